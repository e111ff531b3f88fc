import { describe, expect, it } from 'vitest';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { FAST, platformEnv, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

const PAGE = 5;
const tuning = { ...FAST, mastodonPageSize: PAGE };

describe('Mastodon: the same stories as X', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const start = (extra: Record<string, string> = {}) => bed.start({ ...platformEnv(bed.standins, 'mastodon'), ...extra }, tuning);
  const postedKeys = () => bed.mentionKeys().filter((key) => key.startsWith('mastodon:'));

  it('pages a burst bigger than one page from the newest down past the cursor, posting each once, in order', async () => {
    await start();
    const first = bed.standins.mastodon.addMention({ username: 'ada' }, 'first one');
    await flow.posted(`mastodon:${first.id}`);
    // 13 arrive between two polls: pages of 5 with max_id, down past the cursor, none skipped.
    const burst = Array.from({ length: 13 }, (_, i) =>
      bed.standins.mastodon.addMention({ username: `user${i}`, domain: 'other.example' }, `burst ${i}`),
    );
    bed.standins.mastodon.addFavouriteNotification({ username: 'fan' });
    bed.bot.running.pollNow();
    await waitUntil(() => postedKeys().length === 14, 15_000, 'all 14 mentions');
    expect(postedKeys()).toEqual([first, ...burst].map((status) => `mastodon:${status.id}`));
    const pages = bed.standins.mastodon.callsTo('notifications').filter((call) => call.query.max_id);
    expect(pages.length).toBeGreaterThanOrEqual(2);
    expect(pages.every((call) => call.query['types[]'] === 'mention' && call.query.limit === String(PAGE))).toBe(true);
  });

  it('keeps its cursor across a restart: mentions during the downtime arrive once', async () => {
    await start();
    const before = bed.standins.mastodon.addMention({ username: 'grace' }, 'before the restart');
    await flow.posted(`mastodon:${before.id}`);
    await bed.bot.stop();
    const during = Array.from({ length: 7 }, (_, i) => bed.standins.mastodon.addMention({ username: 'grace' }, `while down ${i}`));
    await start();
    await waitUntil(() => postedKeys().length === 8, 15_000, 'the mentions from the downtime');
    expect(postedKeys()).toEqual([before, ...during].map((s) => `mastodon:${s.id}`));
  });

  it('shows the post as text (HTML decoded, then escaped for Slack), with the platform and a link to the post', async () => {
    await start();
    const status = bed.standins.mastodon.addMention(
      { username: 'tom', display_name: 'Tom & Jerry', domain: 'mas.example' },
      'Line one\nR&D <b>bold</b> <!channel>\n\nSecond paragraph',
    );
    const { message } = await flow.posted(`mastodon:${status.id}`);
    const text = textOf(message);
    expect(text).toContain('R&amp;D &lt;b&gt;bold&lt;/b&gt; &lt;!channel&gt;');
    expect(text).toContain('>@northwind Line one\\n>R&amp;D');
    expect(text).toContain('on :elephant: Mastodon');
    expect(text).toContain(`<https://mas.example/@tom/${status.id}|View on Mastodon>`);
    expect(text).toContain('@tom@mas.example');
    expect(SlackStandin.pingsIn(message)).toEqual([]);
  });

  it('replies with Undo, the mention’s visibility and the outbox key as Idempotency-Key, exactly once', async () => {
    await start({ REPLY_UNDO_SECONDS: '1' });
    const status = bed.standins.mastodon.addMention({ username: 'ada', domain: 'other.example' }, 'where is my parcel?', {
      visibility: 'private',
    });
    const mention = await flow.posted(`mastodon:${status.id}`);
    expect(textOf(mention.message)).toContain(':lock: followers only');
    const view = await flow.openReplyModal(mention);
    expect(JSON.stringify(view.view)).toContain('your reply will be followers-only too');
    expect(JSON.stringify(view.view)).toContain('@ada@other.example');
    expect(JSON.stringify(view.view)).toContain('500');
    // The answer to the first POST is lost after Mastodon has published it: the retry carries the same key.
    bed.standins.mastodon.faults.inject('statuses.create', { kind: 'drop_after_commit' });
    await flow.submitReply(view, '@ada@other.example It left the warehouse today.');
    await waitUntil(() => flow.threadOf(mention).some((m) => textOf(m).includes('Sending in')), 5_000, 'the Undo window');
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Replied by'), 15_000, 'the reply confirmed');

    const posts = bed.standins.mastodon.callsTo('statuses.create');
    expect(posts.length).toBe(2);
    const keys = posts.map((call) => call.headers['idempotency-key']);
    expect(keys[0]).toMatch(/^view:/);
    expect(keys[1]).toBe(keys[0]);
    expect(bed.standins.mastodon.published()).toHaveLength(1);
    expect(bed.standins.mastodon.published()[0]).toMatchObject({ visibility: 'private', in_reply_to_id: status.id });
  });

  it('@-mentions the author when the reply does not, and likes (favourites) once', async () => {
    await start();
    const status = bed.standins.mastodon.addMention({ username: 'hedy' }, 'love the new tent');
    const mention = await flow.posted(`mastodon:${status.id}`);
    await flow.writeInThread(mention, 'reply: Thank you so much!');
    await waitUntil(() => bed.standins.mastodon.published().length === 1, 10_000, 'the thread reply');
    expect(bed.standins.mastodon.published()[0]?.content).toContain('@<span>hedy</span>');
    await flow.press('mention_like', mention.message, mention.key);
    await flow.press('mention_like', mention.message, mention.key);
    await waitUntil(() => bed.standins.mastodon.favourites.has(status.id), 5_000, 'the favourite');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(bed.standins.mastodon.callsTo('statuses.favourite')).toHaveLength(1);
  });

  it("measures against the instance's own limit", async () => {
    bed.standins.mastodon.maxCharacters = 60;
    await start();
    const status = bed.standins.mastodon.addMention({ username: 'alan' }, 'question?');
    const mention = await flow.posted(`mastodon:${status.id}`);
    const view = await flow.openReplyModal(mention);
    const response = await flow.submitReply(view, `@alan ${'a'.repeat(70)} https://example.com/${'x'.repeat(80)}`);
    const body = JSON.parse(response.text) as { response_action?: string; errors?: Record<string, string> };
    expect(body.response_action).toBe('errors');
    expect(Object.values(body.errors ?? {})[0]).toMatch(/99\/60|limit of 60|60/);
    expect(bed.standins.mastodon.callsTo('statuses.create')).toHaveLength(0);
  });

  it('says so on /healthz and in the log when the instance revokes the token, without a storm', async () => {
    await start();
    const first = bed.standins.mastodon.addMention({ username: 'ada' }, 'first');
    await flow.posted(`mastodon:${first.id}`);
    bed.standins.mastodon.faults.inject(
      'notifications',
      { kind: 'status', status: 401, body: { error: 'The access token was revoked' } },
      50,
    );
    bed.bot.running.pollNow();
    await waitUntil(async () => (await bed.health()).platforms.mastodon?.state === 'failing', 5_000, 'failing on /healthz');
    expect((await bed.health()).platforms.mastodon?.detail).toContain('Mastodon refused the access token: The access token was revoked');
    expect(bed.bot.logs.some((line) => line.includes('check the Mastodon credentials'))).toBe(true);
    const calls = bed.standins.mastodon.callsTo('notifications').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(bed.standins.mastodon.callsTo('notifications').length).toBe(calls);
  });

  it('waits out a rate limit mid-paging and resumes from the same page', async () => {
    await start();
    const first = bed.standins.mastodon.addMention({ username: 'ada' }, 'first');
    await flow.posted(`mastodon:${first.id}`);
    for (let i = 0; i < 8; i++) bed.standins.mastodon.addMention({ username: 'ada' }, `more ${i}`);
    bed.standins.mastodon.faults.inject('notifications', { kind: 'rate_limit', retryAfterSeconds: 1 }, 1, { after: 1 });
    bed.bot.running.pollNow();
    await waitUntil(() => postedKeys().length === 9, 15_000, 'all after the wait');
    const health = await bed.health();
    expect(health.platforms.mastodon?.state).toBe('ok');
    expect(bed.standins.mastodon.callsTo('notifications').some((call) => call.status === 429)).toBe(true);
  });
});
