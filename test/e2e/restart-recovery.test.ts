import { describe, expect, it } from 'vitest';
import { customers, expectEachPostedOnce, postedMentionKeys, useChildBotBed, waitUntil } from '../helpers/harness.ts';

/** Every mention reaches Slack exactly once, across SIGTERM, kill -9 at the worst moment, and restarts. */
describe('restart and crash recovery (the bot as its own process)', () => {
  const bed = useChildBotBed();
  const bots = bed.bots;
  const start = () => bed.start();
  const mentionKeys = () => postedMentionKeys(bed.standins.slack);
  const expectEachOnce = (posts: Array<{ id: string }>) => expectEachPostedOnce(bed.standins.slack, posts);

  it('stops gracefully on SIGTERM and picks up where it left off', async () => {
    const posts = customers.slice(0, 3).map((c) => bed.standins.x.addMention(c, `question from ${c.name}: do you ship to Canada`));
    const first = await start();
    await waitUntil(() => mentionKeys().length === 3, 20_000, 'three mentions');
    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.stderr.join('\n')).toMatch(/SIGTERM received/);

    posts.push(bed.standins.x.addMention(customers[3]!, 'posted while the bot was down'));
    await start();
    await waitUntil(() => mentionKeys().length === 4, 20_000, 'the mention from the downtime');
    // Later polls use since_id and bring nothing twice.
    const polls = bed.standins.x.callsTo('mentions').length;
    await waitUntil(() => bed.standins.x.callsTo('mentions').length >= polls + 2, 10_000, 'two more polls');
    expectEachOnce(posts);
  });

  it('after kill -9 between the Slack post and the store write, finds the message in history instead of posting twice', async () => {
    const post = bed.standins.x.addMention(customers[0]!, 'my order never arrived');
    // Slack takes 1.5 s to answer this post; the bot dies while waiting, and Slack still posts it.
    bed.standins.slack.faults.inject('chat.postMessage', { kind: 'delay', ms: 1500 });
    const crashed = new Promise<void>((resolve) => {
      const onRequest = (request: { method: string }) => {
        if (request.method !== 'chat.postMessage') return;
        bed.standins.slack.off('request', onRequest);
        bots[0]?.child.kill('SIGKILL');
        resolve();
      };
      bed.standins.slack.on('request', onRequest);
    });
    await start();
    await crashed;
    expect((await bots[0]!.exited).signal).toBe('SIGKILL');
    await waitUntil(() => mentionKeys().length === 1, 5_000, 'Slack to finish the interrupted post');

    const second = await start();
    await second.waitForLog(/already in Slack after a restart/);
    await waitUntil(() => bed.standins.x.callsTo('mentions').length >= 3, 10_000, 'polls after the restart');
    expectEachOnce([post]);
    expect(bed.standins.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(bed.standins.slack.callsTo('conversations.history').length).toBeGreaterThan(0);
  });

  it('after kill -9 in the middle of a batch, posts the rest exactly once', async () => {
    const posts = Array.from({ length: 8 }, (_, i) =>
      bed.standins.x.addMention(customers[i % 4]!, `batch mention ${i + 1}, how do I track it`),
    );
    const first = await start();
    // Default pacing (Slack's ~1 post per second per channel) spreads the batch over seconds.
    await waitUntil(() => mentionKeys().length >= 4, 20_000, 'half the batch');
    first.child.kill('SIGKILL');
    await first.exited;
    const beforeRestart = mentionKeys().length;
    expect(beforeRestart).toBeLessThan(8);

    await start();
    await waitUntil(() => mentionKeys().length === 8, 30_000, 'the whole batch');
    const polls = bed.standins.x.callsTo('mentions').length;
    await waitUntil(() => bed.standins.x.callsTo('mentions').length >= polls + 1, 10_000, 'one more poll');
    expectEachOnce(posts);
  });

  it('refuses to start a second process on the same DATA_DIR', async () => {
    await start();
    const second = await bed.start({}, { waitForListening: false });
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    expect(second.stderr.join('\n')).toMatch(/DATA_DIR .* is in use by another Switchboard process \(pid \d+/);
  });
});
