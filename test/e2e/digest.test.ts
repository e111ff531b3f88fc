import { describe, expect, it } from 'vitest';
import type { Label } from '../../src/domain/triage/labels.ts';
import { SlackStandin, type StoredMessage } from '../../src/sandbox/slack-standin.ts';
import { DigestLogStore } from '../../src/store/files/digest-log-store.ts';
import { MentionStore } from '../../src/store/files/mention-store.ts';
import { FAST, useTestBed, waitUntil } from '../helpers/harness.ts';
import { decodePng } from '../helpers/png.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

/** Seeds mentions in the store's own files, as ingest would have left them. */
async function seedMentions(
  dataDir: string,
  mentions: Array<{
    id: string;
    at: string;
    label: Label;
    sentiment?: number;
    author: string;
    text: string;
    replyAt?: string;
    liked?: boolean;
  }>,
): Promise<void> {
  const store = await MentionStore.open(dataDir);
  for (const [index, m] of mentions.entries()) {
    const key = `x:${m.id}`;
    await store.recordAttempt({
      key,
      mention: {
        platform: 'x',
        id: m.id,
        text: m.text,
        url: `https://x.com/${m.author}/status/${m.id}`,
        createdAt: m.at,
        author: { id: `u-${m.author}`, handle: m.author, name: m.author.replace(/_/g, ' '), profileUrl: `https://x.com/${m.author}` },
        cursor: m.id,
      },
      classification: {
        label: m.label,
        sentiment: { score: m.sentiment ?? 0, label: (m.sentiment ?? 0) < 0 ? 'negative' : 'neutral' },
      },
      contactId: `contact-${m.author}`,
      slack: { channel: 'C0QUESTION' },
    });
    await store.recordPosted(key, `1764000000.${String(index).padStart(6, '0')}`);
    if (m.replyAt || m.liked) {
      await store.updateWorkflow(key, (workflow) => ({
        ...workflow,
        replies: m.replyAt ? [{ by: 'U0ALICE001', at: m.replyAt }] : undefined,
        liked: m.liked ? { by: 'U0BOB00001', at: m.at } : undefined,
      }));
    }
  }
}

/** A fixed day (24 Nov 2026, UTC) worked out by hand below. */
const DAY = [
  {
    id: '101',
    at: '2026-11-24T08:00:00.000Z',
    label: 'Question',
    author: 'ada_l',
    text: 'where is my parcel',
    replyAt: '2026-11-24T08:20:00.000Z',
  },
  { id: '102', at: '2026-11-24T09:00:00.000Z', label: 'Complaint', sentiment: -0.6, author: 'grace_h', text: 'zip broke <!channel> again' },
  { id: '103', at: '2026-11-24T10:00:00.000Z', label: 'Question', author: 'ada_l', text: 'and can I change the size?' },
  { id: '104', at: '2026-11-24T12:00:00.000Z', label: 'Praise', sentiment: 0.7, author: 'alan_t', text: 'love the new tent', liked: true },
  // The day before: 2 mentions.
  { id: '90', at: '2026-11-23T11:00:00.000Z', label: 'Question', author: 'ada_l', text: 'hello there' },
  { id: '91', at: '2026-11-23T23:59:59.000Z', label: 'Other', author: 'hedy_l', text: 'nice weather' },
  // Just after the day: not counted in it.
  { id: '105', at: '2026-11-25T00:00:00.000Z', label: 'Complaint', author: 'grace_h', text: 'still broken' },
] as const;

const digestsIn = (messages: StoredMessage[]) => messages.filter((m) => m.metadata?.event_type === 'switchboard_digest');

describe('the daily digest', () => {
  const bed = useTestBed();
  let clock = new Date();
  const tuning = { ...FAST, now: () => clock, digestCheckMs: 100 };
  const digests = () => digestsIn(bed.standins.slack.messages('C0DIGESTS'));

  /** The scheduler has been running on this DATA_DIR since `since` (so runs after it were missed, not new). */
  async function scheduledSince(since: string) {
    await (await DigestLogStore.open(bed.dataDir)).since(new Date(since));
  }

  /** The fixed day in the store, the scheduler running since last week, and now 09:30: today's 09:00 run was missed. */
  async function missedThisMorningsRun() {
    await seedMentions(bed.dataDir, [...DAY]);
    await scheduledSince('2026-11-20T00:00:00Z');
    clock = new Date('2026-11-25T09:30:00Z');
  }

  it('posts a digest missed while the bot was down on start-up, with the figures worked out by hand and a chart', async () => {
    await missedThisMorningsRun();
    await bed.start({ DIGEST_CRON: '0 9 * * *', DIGEST_TIMEZONE: 'UTC' }, tuning);

    const [digest] = await waitUntil(() => (digests().length ? digests() : undefined), 10_000, 'the digest');
    const text = JSON.stringify(digest?.blocks);
    expect(digest?.metadata?.event_payload).toEqual({ key: 'daily:2026-11-24' });
    expect(text).toContain('Daily digest · Tue 24 Nov 2026');
    expect(text).toContain('*4 mentions* (▲2 vs the day before · 7-day avg 0.3)');
    expect(text).toContain('*Question* 2  (▲1 vs the day before');
    expect(text).toContain('*Complaint* 1');
    expect(text).toContain('X 4 (▲2 vs the day before · 7-day avg 0.3)');
    // Unanswered, oldest first, linking to their Slack messages; customer text escaped.
    expect(text).toContain('*Still unanswered* (2, oldest first)');
    expect(text.indexOf('zip broke')).toBeLessThan(text.indexOf('change the size'));
    expect(text).toContain('zip broke &lt;!channel&gt; again');
    expect(text).toContain('<https://standin.slack.com/archives/C0QUESTION/p1764000000000001|open>');
    expect(text).toContain('*First response* median 20 min · 90th percentile 20 min · 100% within 1 h (1 answered)');
    expect(text).toContain(':slightly_smiling_face: 1 positive · :neutral_face: 2 neutral · :slightly_frowning_face: 1 negative');
    expect(text).toContain('1. ada l: 2 mentions, 1 reply from us');
    expect(text).toContain('*Replies sent* alice 1');
    expect(SlackStandin.pingsIn(digest as StoredMessage)).toEqual([]);

    // The chart follows in the same channel, a real PNG uploaded through the external upload flow.
    const fileMessage = await waitUntil(() => bed.standins.slack.messages('C0DIGESTS').find((m) => m.files?.length), 10_000, 'the chart');
    const file = bed.standins.slack.files.get(fileMessage.files?.[0]?.id ?? '');
    expect(file?.title).toBe('Mentions per hour · Daily digest · Tue 24 Nov 2026');
    expect(file?.altText).toContain('Bar chart');
    const image = decodePng(file?.content ?? Buffer.alloc(0));
    expect([image.width, image.height]).toEqual([800, 420]);
    expect(bed.standins.slack.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(bed.standins.slack.callsTo('files.completeUploadExternal')[0]?.body).toMatchObject({ channel_id: 'C0DIGESTS' });
  });

  it('posts each day once: a restart, repeated checks and the next day', async () => {
    await missedThisMorningsRun();
    await bed.start({}, tuning);
    await waitUntil(() => digests().length === 1, 10_000, 'the first digest');
    await bed.bot.stop();

    // Restarted right after posting, with the checker running many times: still one.
    clock = new Date('2026-11-25T09:31:00Z');
    await bed.start({}, tuning);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(digests()).toHaveLength(1);

    // The next morning the next day's digest goes out, once (the "just after" mention is in it).
    clock = new Date('2026-11-26T09:00:30Z');
    await waitUntil(() => digests().length === 2, 10_000, 'the second digest');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(digests().map((d) => d.metadata?.event_payload.key)).toEqual(['daily:2026-11-24', 'daily:2026-11-25']);
    expect(JSON.stringify(digests()[1]?.blocks)).toContain('*1 mention*');
  });

  it('does not post a catch-up digest on a fresh install, only from the next run on', async () => {
    await seedMentions(bed.dataDir, [...DAY]);
    clock = new Date('2026-11-25T09:30:00Z');
    await bed.start({}, tuning);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(digests()).toHaveLength(0);
    clock = new Date('2026-11-26T09:00:05Z');
    await waitUntil(() => digests().length === 1, 10_000, 'the next run');
  });

  it('neither skips nor repeats a run across daylight-saving changes (02:30 in Paris)', async () => {
    await scheduledSince('2026-03-01T00:00:00Z');
    // 29 March: 02:30 never happens; the run is due when the gap ends, at 03:00 local (01:00 UTC).
    clock = new Date('2026-03-29T00:59:00Z');
    await bed.start({ DIGEST_CRON: '30 2 * * *', DIGEST_TIMEZONE: 'Europe/Paris' }, tuning);
    await waitUntil(() => digests().length === 1, 10_000, 'the run of 28 March');
    expect(digests()[0]?.metadata?.event_payload.key).toBe('daily:2026-03-27');
    clock = new Date('2026-03-29T01:01:00Z');
    await waitUntil(() => digests().length === 2, 10_000, 'the run in the spring gap');
    expect(digests()[1]?.metadata?.event_payload.key).toBe('daily:2026-03-28');

    // 25 October: 02:30 happens twice (00:30 and 01:30 UTC); one digest.
    clock = new Date('2026-10-25T00:31:00Z');
    await waitUntil(() => digests().length === 3, 10_000, 'the autumn run');
    clock = new Date('2026-10-25T01:31:00Z');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(
      digests()
        .map((d) => d.metadata?.event_payload.key)
        .slice(2),
    ).toEqual(['daily:2026-10-24']);
    // A quiet day is one line.
    expect(digests()[2]?.blocks).toHaveLength(2);
    expect(digests()[2]?.text).toContain('a quiet day, no mentions');
  });

  it('finds a digest whose answer was lost instead of posting it twice', async () => {
    await missedThisMorningsRun();
    // Slack posts the digest but the answer never arrives (the first postMessage is the digest).
    bed.standins.slack.faults.inject('chat.postMessage', { kind: 'drop_after_commit' });
    await bed.start({}, tuning);
    await waitUntil(() => bed.standins.slack.callsTo('conversations.history').length > 0, 10_000, 'the history search');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(digests()).toHaveLength(1);
  });

  it('still posts the text digest when the chart upload fails', async () => {
    await missedThisMorningsRun();
    bed.standins.slack.faults.inject('files.completeUploadExternal', { kind: 'status', status: 500 }, 5);
    await bed.start({}, tuning);
    await waitUntil(() => digests().length === 1, 10_000, 'the digest');
    await waitUntil(() => bed.standins.slack.callsTo('files.completeUploadExternal').length > 0, 5_000, 'the upload attempt');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(bed.standins.slack.messages('C0DIGESTS').filter((m) => m.files?.length)).toHaveLength(0);
    expect(digests()).toHaveLength(1);
    const log = await DigestLogStore.open(bed.dataDir);
    expect((await log.get('daily:2026-11-24'))?.chart?.state).toBe('failed');
  });
});

describe('/crm digest', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const clock = new Date('2026-11-25T15:00:00Z');

  it('posts today, yesterday, a date or the last 7 days on request, and tells the asker', async () => {
    await seedMentions(bed.dataDir, [...DAY]);
    await bed.start({}, { ...FAST, now: () => clock });

    expect((await flow.command('digest yesterday')).text).toContain('Building the digest for Tue 24 Nov 2026');
    const told = await waitUntil(
      () => bed.standins.slack.ephemerals.find((m) => m.text.includes('The digest for Tue 24 Nov 2026 is in <#C0DIGESTS>')),
      10_000,
      'the follow-up',
    );
    expect(told.ephemeralTo).toBe('U0AGENT01');
    const posted = digestsIn(bed.standins.slack.messages('C0DIGESTS'));
    expect(JSON.stringify(posted[0]?.blocks)).toContain('*4 mentions*');
    expect(JSON.stringify(posted[0]?.blocks)).toContain('asked for by agent');

    await flow.command('digest 7d');
    await waitUntil(() => digestsIn(bed.standins.slack.messages('C0DIGESTS')).length === 2, 10_000, 'the weekly digest');
    const weekly = JSON.stringify(digestsIn(bed.standins.slack.messages('C0DIGESTS'))[1]?.blocks);
    expect(weekly).toContain('7-day digest · Wed 18 Nov 2026 to Tue 24 Nov 2026');
    // Today so far (25 Nov) is not part of it.
    expect(weekly).toContain('*6 mentions*');

    await flow.command('digest 2026-11-01');
    await waitUntil(() => bed.standins.slack.ephemerals.some((m) => m.text.includes('(a quiet one: no mentions)')), 10_000, 'a quiet day');
  });

  it('answers bad input with usage and posts nothing', async () => {
    await bed.start({}, { ...FAST, now: () => clock });
    expect((await flow.command('digest 2026-02-30')).text).toContain('2026-02-30 is not a calendar date.');
    expect((await flow.command('digest 2026-12-01')).text).toContain('has not happened yet (today is 2026-11-25)');
    expect((await flow.command('digest tomorrow')).text).toContain(
      '`tomorrow` is not a period.\nUsage: `/crm digest [today | yesterday | 7d | YYYY-MM-DD]`',
    );
    expect((await flow.command('digest today please')).text).toContain('Give one period, not 2.');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(digestsIn(bed.standins.slack.messages('C0DIGESTS'))).toHaveLength(0);
  });
});
