import { describe, expect, it } from 'vitest';
import { buttonClick } from '../../src/sandbox/slack-payloads.ts';
import { FAST, platformEnv, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

/**
 * A mention listed after newer ones were already read (a slow clock, a backdated post, a post that
 * surfaces late, a notification committed late) is posted once, on every network, and re-reading
 * the window below the cursor never posts anything twice.
 */
describe('late mentions: listed below ones already seen, still posted once', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const keysOf = (prefix: string) => bed.mentionKeys().filter((key) => key.startsWith(prefix));
  /** Two more full polls, so that anything posted twice would have been. */
  const pollTwice = async (calls: () => number) => {
    for (let i = 0; i < 2; i++) {
      const before = calls();
      bed.bot.running.pollNow();
      await waitUntil(() => calls() > before, 10_000, 'another poll');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  };

  it('Bluesky: a post backdated 10 minutes and one written a second before the newest seen', async () => {
    const { bluesky } = bed.standins;
    await bed.start(platformEnv(bed.standins, 'bluesky'), { ...FAST, blueskyPageSize: 5 });
    const newest = bluesky.addMention({ handle: 'ada' }, 'the newest one');
    await flow.posted(`bluesky:${newest.uri}`);

    // Listed below `newest` (their indexedAt is the author's createdAt): the old cursor skipped both.
    const backdated = bluesky.addMention({ handle: 'grace' }, 'from a phone with a slow clock', {
      createdAt: new Date(Date.now() - 10 * 60_000),
    });
    const secondEarlier = bluesky.addMention({ handle: 'hedy' }, 'a second earlier', {
      createdAt: new Date(Date.parse(newest.indexedAt) - 1000),
    });
    expect(backdated.indexedAt < newest.indexedAt && secondEarlier.indexedAt < newest.indexedAt).toBe(true);
    bed.bot.running.pollNow();
    await flow.posted(`bluesky:${backdated.uri}`);
    await flow.posted(`bluesky:${secondEarlier.uri}`);

    await pollTwice(() => bluesky.callsTo('app.bsky.notification.listNotifications').length);
    expect(keysOf('bluesky:').sort()).toEqual([newest, backdated, secondEarlier].map((post) => `bluesky:${post.uri}`).sort());
    expect(bed.bot.logs.join('\n')).toMatch(/was listed late, below mentions already posted: queued now/);
  });

  it('Bluesky: a late post beyond the time window is still posted when it is within the count window', async () => {
    const { bluesky } = bed.standins;
    await bed.start({ ...platformEnv(bed.standins, 'bluesky'), BLUESKY_REREAD_HOURS: '1' }, { ...FAST, blueskyPageSize: 5 });
    const newest = bluesky.addMention({ handle: 'ada' }, 'today');
    await flow.posted(`bluesky:${newest.uri}`);
    const lastWeek = bluesky.addMention({ handle: 'grace' }, 'dated last week', { createdAt: new Date(Date.now() - 7 * 86_400_000) });
    bed.bot.running.pollNow();
    await flow.posted(`bluesky:${lastWeek.uri}`);
    expect(keysOf('bluesky:')).toHaveLength(2);
  });

  it('X: a post that reaches the mention timeline after a newer one, with a lower ID', async () => {
    const { x } = bed.standins;
    await bed.start();
    const newest = await flow.mention('the newest one');
    // Made 30 s before `newest` (so its Snowflake ID is lower) and visible only now.
    const late = x.addMention({ username: 'grace_h', name: 'Grace Hopper' }, 'indexed late', new Date(Date.now() - 30_000));
    expect(BigInt(late.id) < BigInt(newest.post.id)).toBe(true);
    bed.bot.running.pollNow();
    await flow.posted(`x:${late.id}`);

    await pollTwice(() => x.callsTo('mentions').length);
    expect(keysOf('x:').sort()).toEqual([`x:${newest.post.id}`, `x:${late.id}`].sort());
    const sinceIds = x
      .callsTo('mentions')
      .map((call) => call.query.since_id)
      .filter(Boolean);
    expect(sinceIds.every((id) => BigInt(id as string) < BigInt(newest.post.id))).toBe(true);
  });

  it('Mastodon: a notification whose transaction commits after a newer one was read', async () => {
    const { mastodon } = bed.standins;
    await bed.start(platformEnv(bed.standins, 'mastodon'), { ...FAST, mastodonPageSize: 5 });
    const first = mastodon.addMention({ username: 'ada' }, 'first');
    await flow.posted(`mastodon:${first.id}`);
    // Its notification ID is taken before `newer`'s, but it is listed only after `newer` was read.
    const late = mastodon.addMention({ username: 'grace' }, 'committed late', { uncommitted: true });
    const newer = mastodon.addMention({ username: 'hedy' }, 'newer');
    bed.bot.running.pollNow();
    await flow.posted(`mastodon:${newer.id}`);
    mastodon.commitNotifications();
    bed.bot.running.pollNow();
    await flow.posted(`mastodon:${late.id}`);

    await pollTwice(() => mastodon.callsTo('notifications').length);
    expect(keysOf('mastodon:').sort()).toEqual([first, newer, late].map((status) => `mastodon:${status.id}`).sort());
  });

  it('does not bring back a mention that was erased, however often it is re-read', async () => {
    const { bluesky } = bed.standins;
    await bed.start(platformEnv(bed.standins, 'bluesky'));
    const erased = bluesky.addMention({ handle: 'ada' }, 'please forget me');
    await flow.posted(`bluesky:${erased.uri}`);
    const question = await flow.command('forget @ada.bsky.social');
    const contactId = JSON.stringify(question).match(/"value":"([^"]+)"/)?.[1] ?? '';
    await flow.send(buttonClick({ actionId: 'crm_forget_confirm', value: contactId, channel: 'C0MENTIONS', messageTs: '1.1' }));
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.startsWith('Erased')), 5_000, 'the erasure');

    const after = bluesky.addMention({ handle: 'grace' }, 'a new one');
    await flow.posted(`bluesky:${after.uri}`);
    await pollTwice(() => bluesky.callsTo('app.bsky.notification.listNotifications').length);
    // Its one message now says "erased" and names no post; a re-read would have posted it again under its key.
    expect(keysOf('bluesky:').filter((key) => key === `bluesky:${erased.uri}`)).toHaveLength(0);
    expect(bed.standins.slack.allMessages().filter((m) => m.metadata?.event_type === 'switchboard_erased')).toHaveLength(1);
    expect((await flow.command('lookup @ada.bsky.social')).text).toContain('No contact matches');
  });
});
