import { describe, expect, it } from 'vitest';
import { customers, FAST, useTestBed, waitUntil } from '../helpers/harness.ts';

/** X and Slack misbehave the way they do in production; nothing is lost, nothing doubled, no busy loop. */
describe('outages and rate limits', () => {
  const bed = useTestBed();

  const addQuestions = (n: number) =>
    Array.from({ length: n }, (_, i) => bed.standins.x.addMention(customers[i % 4]!, `where is parcel ${i + 1}`));

  it('waits out an X 429 until x-rate-limit-reset, without polling in between', async () => {
    const posts = addQuestions(2);
    bed.standins.x.faults.inject('mentions', { kind: 'rate_limit', retryAfterSeconds: 2 });
    await bed.start();

    const health = await waitUntil(async () => {
      const h = await bed.health();
      return h.platforms.x?.state === 'rate_limited' ? h : undefined;
    }, 5_000);
    expect(Date.parse(health.platforms.x?.until ?? '')).toBeGreaterThan(Date.now());
    await waitUntil(() => bed.mentionKeys().length === 2, 10_000, 'the mentions after the reset');
    const [limited, next] = bed.standins.x.callsTo('mentions');
    expect(limited?.status).toBe(429);
    // The reset is whole seconds away; the bot waits for it (plus a second of margin) and not less.
    expect(Date.parse(next!.at) - Date.parse(limited!.at)).toBeGreaterThanOrEqual(1_500);
    bed.expectEachPostedOnce(posts);
  });

  it('resumes paging from the same page after a rate limit mid-way, without refetching earlier pages', async () => {
    const posts = addQuestions(12);
    bed.standins.x.faults.inject('mentions', { kind: 'rate_limit', retryAfterSeconds: 1 }, 1, { after: 1 });
    await bed.start({}, { ...FAST, xPageSize: 5 });

    await waitUntil(() => bed.mentionKeys().length === 12, 10_000, 'all 12 mentions');
    const [first, limited, resumed] = bed.standins.x.callsTo('mentions');
    expect(first?.query.pagination_token).toBeUndefined();
    expect(limited?.status).toBe(429);
    expect(resumed?.query.pagination_token).toBe(limited?.query.pagination_token);
    expect(resumed?.status).toBe(200);
    bed.expectEachPostedOnce(posts);
  });

  it('backs off on X 5xx and network errors, says so on /healthz, and recovers', async () => {
    const posts = addQuestions(3);
    bed.standins.x.faults.inject('mentions', { kind: 'status', status: 503, body: { title: 'Service Unavailable', status: 503 } }, 2);
    bed.standins.x.faults.inject('mentions', { kind: 'drop' }, 1, { after: 0 });
    await bed.start();

    await waitUntil(async () => (await bed.health()).platforms.x?.state === 'backing_off', 5_000, 'backing_off on /healthz');
    await waitUntil(() => bed.mentionKeys().length === 3, 10_000, 'the mentions after recovery');
    const statuses = bed.standins.x.callsTo('mentions').map((c) => c.status);
    expect(statuses.slice(0, 3)).toEqual([503, 503, 0]);
    // Backoff, not a busy loop: the failed attempts are spread out.
    const times = bed.standins.x.callsTo('mentions').map((c) => Date.parse(c.at));
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(100);
    bed.expectEachPostedOnce(posts);
    await waitUntil(async () => (await bed.health()).platforms.x?.state === 'ok', 5_000, 'ok again');
  });

  it('waits for Retry-After on a Slack 429 and posts once', async () => {
    const posts = addQuestions(1);
    bed.standins.slack.faults.inject('chat.postMessage', { kind: 'rate_limit', retryAfterSeconds: 1 });
    await bed.start();

    await waitUntil(() => bed.mentionKeys().length === 1, 10_000, 'the mention');
    const [limited, accepted] = bed.standins.slack.callsTo('chat.postMessage');
    expect(limited?.status).toBe(429);
    expect(accepted?.status).toBe(200);
    expect(Date.parse(accepted!.at) - Date.parse(limited!.at)).toBeGreaterThanOrEqual(950);
    expect(bed.standins.slack.callsTo('chat.postMessage')).toHaveLength(2);
    bed.expectEachPostedOnce(posts);
  });

  it('holds mentions through a Slack outage and posts each once when Slack is back', async () => {
    await bed.start();
    await waitUntil(() => bed.standins.x.callsTo('mentions').length >= 1, 5_000, 'a first poll');
    bed.standins.slack.faults.outage = true;
    const posts = addQuestions(3);
    bed.bot.running.pollNow();
    await waitUntil(async () => (await bed.health()).slack.state === 'backing_off', 5_000, 'Slack backing off');
    expect(bed.mentionKeys()).toHaveLength(0);
    bed.standins.slack.faults.outage = false;
    await waitUntil(() => bed.mentionKeys().length === 3, 15_000, 'the held mentions');
    bed.expectEachPostedOnce(posts);
  });

  it('when the answer to a post is lost, finds the message in history rather than posting again', async () => {
    const posts = addQuestions(2);
    bed.standins.slack.faults.inject('chat.postMessage', { kind: 'drop_after_commit' });
    await bed.start();

    await waitUntil(() => bed.mentionKeys().length === 2, 10_000, 'both mentions');
    await waitUntil(() => bed.standins.x.callsTo('mentions').length >= 3, 10_000, 'later polls');
    expect(bed.standins.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(bed.standins.slack.callsTo('conversations.history').length).toBeGreaterThanOrEqual(1);
    bed.expectEachPostedOnce(posts);
  });

  it('keeps the mention queued when Slack refuses the channel, says why on /healthz, and reading goes on', async () => {
    addQuestions(1);
    await bed.start({ SLACK_CHANNEL_QUESTIONS: 'C0ARCHIVED' });
    const health = await waitUntil(async () => {
      const h = await bed.health();
      return h.slack.detail?.includes('channel_not_found') ? h : undefined;
    }, 5_000);
    expect(health.slack.state).toBe('failing');
    // Reading X is fine: the mention is stored and owed to Slack, not lost with the cursor moved on.
    expect(health.platforms.x?.state).toBe('ok');
    expect(bed.mentionKeys()).toHaveLength(0);
    // Retried rarely, not in a storm.
    const attempts = bed.standins.slack.callsTo('chat.postMessage').length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(bed.standins.slack.callsTo('chat.postMessage').length - attempts).toBeLessThanOrEqual(3);
  });
});
