import { describe, expect, it } from 'vitest';
import { useChildBotBed, waitUntil } from '../helpers/harness.ts';
import { type PostedMention, replyFlow, textOf } from '../helpers/reply-flow.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A public reply reaches X once, or is shown to staff as uncertain, whenever the bot is killed:
 * in the undo window, during the call to X (whether X published or not), or after it.
 */
describe('replies across kill -9 (the bot as its own process)', () => {
  const bed = useChildBotBed();
  const current = () => bed.current();
  const flow = replyFlow(
    () => bed.standins,
    () => current().url(),
  );
  const start = (undoSeconds: number) => bed.start({ REPLY_UNDO_SECONDS: String(undoSeconds) });
  const kill = async () => {
    current().child.kill('SIGKILL');
    await current().exited;
  };
  /** Kills the bot the moment its call to X arrives, before X answers. */
  const killOnXPost = () =>
    new Promise<void>((resolve) => {
      const onRequest = (request: { method: string }) => {
        if (request.method !== 'tweets.create') return;
        bed.standins.x.off('request', onRequest);
        current().child.kill('SIGKILL');
        resolve();
      };
      bed.standins.x.on('request', onRequest);
    });
  const announcementOf = (mention: PostedMention) => textOf(flow.threadOf(mention)[0]);

  it('sends a reply scheduled before a crash once its undo window has passed', async () => {
    await start(3);
    const mention = await flow.mention('where is my parcel');
    await flow.writeInThread(mention, 'reply: @ada_l it arrives tomorrow');
    await waitUntil(() => announcementOf(mention).includes('Sending in'), 10_000, 'the announcement');
    await kill();
    expect(bed.standins.x.published()).toHaveLength(0);

    await start(3);
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 15_000, 'the reply after the restart');
    await waitUntil(() => announcementOf(mention).includes('Sent by'), 5_000, 'the confirmation');
    await sleep(1_000);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
    expect(flow.threadOf(mention)).toHaveLength(1); // announced once, across the crash
  });

  it('after a crash while the announcement was being posted, finds it in the thread and announces once', async () => {
    await start(2);
    const mention = await flow.mention('do you ship to Norway');
    // Slack takes 1.5 s to post the announcement; the bot dies waiting, and Slack still posts it.
    bed.standins.slack.faults.inject('chat.postMessage', { kind: 'delay', ms: 1_500 });
    const killed = new Promise<void>((resolve) => {
      const onRequest = (request: { method: string; body: Record<string, unknown> }) => {
        if (request.method !== 'chat.postMessage' || !request.body.thread_ts) return;
        bed.standins.slack.off('request', onRequest);
        current().child.kill('SIGKILL');
        resolve();
      };
      bed.standins.slack.on('request', onRequest);
    });
    await flow.writeInThread(mention, 'reply: @ada_l yes, in 3 days');
    await killed;
    await current().exited;
    await waitUntil(() => flow.threadOf(mention).length === 1, 5_000, 'Slack to finish posting the announcement');

    await start(2);
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 15_000, 'the reply after the restart');
    await waitUntil(() => announcementOf(mention).includes('Sent by'), 5_000, 'the original announcement updated');
    expect(flow.threadOf(mention)).toHaveLength(1);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
  });

  it('never sends a reply that was undone before a crash', async () => {
    await start(3);
    const mention = await flow.mention('cancel my order');
    await flow.writeInThread(mention, 'reply: @ada_l cancelled!');
    const announcement = await waitUntil(() => flow.threadOf(mention).find((m) => textOf(m).includes('Sending in')), 10_000);
    const actions = (announcement.blocks as Array<{ type: string; elements?: Array<{ value?: string }> }>).find(
      (b) => b.type === 'actions',
    );
    await flow.press('reply_undo', announcement, actions?.elements?.[0]?.value ?? '');
    await waitUntil(() => announcementOf(mention).includes('Undone'), 5_000);
    await kill();

    await start(3);
    await sleep(4_500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);
  });

  it('after a crash during the call that X did publish, settles it as sent without a second post', async () => {
    await start(0);
    const mention = await flow.mention('is the store open sunday');
    // X takes 1.5 s and publishes even though the caller is gone.
    bed.standins.x.faults.inject('tweets.create', { kind: 'delay', ms: 1_500 });
    const killed = killOnXPost();
    await flow.writeInThread(mention, 'reply: @ada_l yes, 10 to 4');
    await killed;
    await current().exited;
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000, 'X to finish publishing');

    await start(0);
    await waitUntil(() => announcementOf(mention).includes('reported it as already published'), 15_000, 'the settled announcement');
    expect(flow.repliesOnX(mention)).toHaveLength(1);
    expect(bed.standins.x.callsTo('tweets.create').map((call) => call.status)).toEqual([201, 403]);
  });

  it('after a crash during a call X never received in full, publishes it once', async () => {
    await start(0);
    const mention = await flow.mention('do you price match');
    bed.standins.x.faults.inject('tweets.create', { kind: 'hang' });
    const killed = killOnXPost();
    await flow.writeInThread(mention, 'reply: @ada_l we do, within 14 days');
    await killed;
    await current().exited;
    expect(bed.standins.x.published()).toHaveLength(0);

    await start(0);
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 15_000, 'the reply after the restart');
    await waitUntil(() => announcementOf(mention).includes('Sent by'), 5_000, 'the confirmation');
    expect(flow.repliesOnX(mention)).toHaveLength(1);
  });

  it("does not send again when Slack retries a thread event after the bot's restart", async () => {
    await start(0);
    const mention = await flow.mention('thanks!');
    const event = await flow.writeInThread(mention, 'reply: @ada_l you are welcome');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 10_000);
    // Killed once the outbox says sent: a kill between X's answer and that write is the
    // "crash during the call" case above, settled by sending once more; this one is about Slack's retry.
    await waitUntil(() => announcementOf(mention).includes('Sent by'), 5_000, 'the confirmation');
    await kill();

    await start(0);
    await flow.writeInThread(mention, 'reply: @ada_l you are welcome', {
      ts: event.json.event.ts,
      retryNum: 1,
      eventId: event.json.event_id,
    });
    await sleep(1_000);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
  });
});
