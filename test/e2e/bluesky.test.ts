import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAST, platformEnv, useTestBed, waitUntil } from '../helpers/harness.ts';
import { TEST_KEY } from '../helpers/keys.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

const PAGE = 5;
const tuning = { ...FAST, blueskyPageSize: PAGE };

describe('Bluesky: the same stories as X', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const start = (extra: Record<string, string> = {}) => bed.start({ ...platformEnv(bed.standins, 'bluesky'), ...extra }, tuning);
  const postedKeys = () => bed.mentionKeys().filter((key) => key.startsWith('bluesky:'));
  const keyOf = (post: { uri: string }) => `bluesky:${post.uri}`;

  it('reads a burst bigger than one page back to the newest one seen, posting each once, oldest first', async () => {
    await start();
    const first = bed.standins.bluesky.addMention({ handle: 'ada' }, 'first');
    await flow.posted(keyOf(first));
    const burst = Array.from({ length: 12 }, (_, i) => bed.standins.bluesky.addMention({ handle: `user${i}` }, `burst ${i}`));
    bed.standins.bluesky.addLikeNotification({ handle: 'fan' });
    bed.bot.running.pollNow();
    await waitUntil(() => postedKeys().length === 13, 15_000, 'all 13 mentions');
    expect(postedKeys()).toEqual([first, ...burst].map(keyOf));
    const calls = bed.standins.bluesky.callsTo('app.bsky.notification.listNotifications');
    expect(calls.some((call) => call.query.cursor)).toBe(true);
  });

  it('logs in once: a restart refreshes the saved session, and so does an expired access token', async () => {
    await start();
    const first = bed.standins.bluesky.addMention({ handle: 'grace' }, 'hello');
    await flow.posted(keyOf(first));
    expect(bed.standins.bluesky.sessionsCreated).toBe(1);

    // The access token expires (about two hours on the real service): refreshed, the poll repeated.
    bed.standins.bluesky.expireAccessTokens();
    const second = bed.standins.bluesky.addMention({ handle: 'grace' }, 'after the expiry');
    bed.bot.running.pollNow();
    await flow.posted(keyOf(second));
    expect(bed.standins.bluesky.refreshes).toBeGreaterThanOrEqual(1);
    expect(bed.standins.bluesky.sessionsCreated).toBe(1);
    expect(bed.standins.bluesky.callsTo('app.bsky.notification.listNotifications').some((call) => call.status === 400)).toBe(true);

    await bed.bot.stop();
    const during = bed.standins.bluesky.addMention({ handle: 'grace' }, 'while down');
    await start();
    await flow.posted(keyOf(during));
    expect(bed.standins.bluesky.sessionsCreated).toBe(1);
    expect(postedKeys()).toEqual([first, second, during].map(keyOf));
  });

  it('logs in again, once, when the app password was changed: a new one (allowed to read DMs, say) takes effect at once', async () => {
    await start();
    await flow.posted(keyOf(bed.standins.bluesky.addMention({ handle: 'grace' }, 'hello')));
    await bed.bot.stop();
    // The operator made a new app password and put it in the configuration.
    bed.standins.bluesky.appPassword = 'wxyz-wxyz-wxyz-wxyz';
    await start({ BLUESKY_APP_PASSWORD: 'wxyz-wxyz-wxyz-wxyz' });
    await flow.posted(keyOf(bed.standins.bluesky.addMention({ handle: 'grace' }, 'with the new password')));
    expect(bed.standins.bluesky.sessionsCreated).toBe(2);
    // The saved session names the password by a hash only.
    const file = await readFile(path.join(bed.dataDir, 'bluesky-session.json'), 'utf8');
    expect(file).not.toContain('wxyz-wxyz');
    await bed.bot.stop();
    await start({ BLUESKY_APP_PASSWORD: 'wxyz-wxyz-wxyz-wxyz' });
    await flow.posted(keyOf(bed.standins.bluesky.addMention({ handle: 'grace' }, 'resumed')));
    expect(bed.standins.bluesky.sessionsCreated).toBe(2);
  });

  it('keeps the saved session sealed when PII_ENCRYPTION_KEY is set, and still resumes it', async () => {
    const sealed = { PII_ENCRYPTION_KEY: TEST_KEY };
    await start(sealed);
    const first = bed.standins.bluesky.addMention({ handle: 'grace' }, 'hello');
    await flow.posted(keyOf(first));
    const file = await readFile(path.join(bed.dataDir, 'bluesky-session.json'), 'utf8');
    expect(file).not.toContain('eyJ');
    expect(file).not.toContain(bed.standins.bluesky.brand.did);
    expect(JSON.parse(file).sealed).toMatch(/^v2\./);
    await bed.bot.stop();
    await start(sealed);
    const second = bed.standins.bluesky.addMention({ handle: 'grace' }, 'again');
    await flow.posted(keyOf(second));
    expect(bed.standins.bluesky.sessionsCreated).toBe(1);
  });

  it('replies in the thread with the right root and parent, with Undo, exactly once after a lost answer', async () => {
    await start({ REPLY_UNDO_SECONDS: '1' });
    // The brand posted; a customer replied to it: the reply's root is the brand's post.
    const first = bed.standins.bluesky.addMention({ handle: 'ada' }, 'is the tent waterproof?');
    const firstMention = await flow.posted(keyOf(first));
    await flow.writeInThread(firstMention, 'reply: @ada.bsky.social Yes, to 3,000 mm.');
    await waitUntil(() => bed.standins.bluesky.published().length === 1, 10_000, 'the first reply');
    const brandPost = bed.standins.bluesky.published()[0];
    expect(brandPost?.record.reply?.root.uri).toBe(first.uri);
    // The @handle became a mention facet, so Ada is notified.
    expect(JSON.stringify(brandPost?.record.facets)).toContain('app.bsky.richtext.facet#mention');

    const followUp = bed.standins.bluesky.addMention({ handle: 'ada' }, 'thanks! and the zips?', { replyTo: brandPost });
    const mention = await flow.posted(keyOf(followUp));
    expect(textOf(mention.message)).toContain('on :butterfly: Bluesky');
    const view = await flow.openReplyModal(mention);
    expect(JSON.stringify(view.view)).toContain(
      'Bluesky allows 300 characters as it counts them (each letter or emoji as you see it counts 1)',
    );
    bed.standins.bluesky.faults.inject('com.atproto.repo.createRecord', { kind: 'drop_after_commit' });
    await flow.submitReply(view, '@ada.bsky.social YKK, with a lifetime warranty.');
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Replied by'), 15_000, 'the reply confirmed');

    const replies = bed.standins.bluesky.published().filter((post) => post.record.reply?.parent.uri === followUp.uri);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.record.reply?.root.uri).toBe(first.uri);
    // The retry looked the record up by its key instead of creating a second one.
    expect(bed.standins.bluesky.callsTo('com.atproto.repo.getRecord').length).toBeGreaterThanOrEqual(2);
  });

  it('likes once, and counts the limit in graphemes', async () => {
    await start();
    const post = bed.standins.bluesky.addMention({ handle: 'hedy' }, 'love it');
    const mention = await flow.posted(keyOf(post));
    await flow.press('mention_like', mention.message, mention.key);
    await waitUntil(() => bed.standins.bluesky.likes.has(post.uri), 5_000, 'the like');
    await flow.press('mention_like', mention.message, mention.key);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bed.standins.bluesky.likes.size).toBe(1);

    // A flag is two code points and one grapheme: 300 of them fit, 301 do not.
    const family = '🇫🇷';
    let view = await flow.openReplyModal(mention);
    const tooLong = await flow.submitReply(view, family.repeat(301));
    expect(JSON.stringify(JSON.parse(tooLong.text))).toMatch(/301\D+300|300/);
    expect(JSON.parse(tooLong.text).response_action).toBe('errors');
    view = await flow.openReplyModal(mention);
    const fits = await flow.submitReply(view, family.repeat(300));
    expect(fits.text).toBe('');
    await waitUntil(() => bed.standins.bluesky.published().length === 1, 10_000, 'the 300-grapheme reply');
  });

  it('waits for the reset of a rate-limited login at start-up instead of retrying on its own schedule', async () => {
    bed.standins.bluesky.faults.inject('com.atproto.server.createSession', { kind: 'rate_limit', retryAfterSeconds: 2 });
    await start();
    const health = await bed.health();
    expect(health.platforms.bluesky?.state).toBe('rate_limited');
    const post = bed.standins.bluesky.addMention({ handle: 'ada' }, 'after the wait');
    await waitUntil(() => postedKeys().includes(keyOf(post)), 10_000, 'the mention once logged in');
    const logins = bed.standins.bluesky.callsTo('com.atproto.server.createSession');
    expect(logins.map((call) => call.status)).toEqual([429, 200]);
    expect(Date.parse(logins[1]!.at) - Date.parse(logins[0]!.at)).toBeGreaterThanOrEqual(1500);
  });

  it('waits out a rate limit mid-paging and resumes', async () => {
    await start();
    const first = bed.standins.bluesky.addMention({ handle: 'ada' }, 'first');
    await flow.posted(keyOf(first));
    for (let i = 0; i < 8; i++) bed.standins.bluesky.addMention({ handle: 'ada' }, `more ${i}`);
    bed.standins.bluesky.faults.inject('app.bsky.notification.listNotifications', { kind: 'rate_limit', retryAfterSeconds: 1 }, 1, {
      after: 1,
    });
    bed.bot.running.pollNow();
    await waitUntil(() => postedKeys().length === 9, 15_000, 'all after the wait');
    expect(bed.standins.bluesky.callsTo('app.bsky.notification.listNotifications').some((call) => call.status === 429)).toBe(true);
  });
});
