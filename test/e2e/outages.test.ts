import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  botEnv,
  customers,
  FAST,
  type InProcessBot,
  type Standins,
  startBot,
  startStandins,
  tempDataDir,
  waitUntil,
} from '../helpers/harness.ts';

/** X and Slack misbehave the way they do in production; nothing is lost, nothing doubled, no busy loop. */
describe('outages and rate limits', () => {
  let standins: Standins;
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  let bot: InProcessBot | undefined;

  beforeEach(async () => {
    standins = await startStandins();
    data = await tempDataDir();
  });
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
    await standins.close();
    await data.remove();
  });

  const keys = () =>
    standins.slack
      .allMessages()
      .filter((m) => m.metadata?.event_type === 'switchboard_mention')
      .map((m) => String(m.metadata?.event_payload.key));
  const expectEachOnce = (posts: Array<{ id: string }>) => {
    expect(keys().sort()).toEqual(posts.map((p) => `x:${p.id}`).sort());
  };
  const healthOf = async () =>
    (await (await fetch(`${bot!.url}/healthz`)).json()) as {
      slack: { state: string; detail?: string };
      platforms: Record<string, { state: string; detail?: string; until?: string }>;
    };
  const addQuestions = (n: number) =>
    Array.from({ length: n }, (_, i) => standins.x.addMention(customers[i % 4]!, `where is parcel ${i + 1}`));

  it('waits out an X 429 until x-rate-limit-reset, without polling in between', async () => {
    const posts = addQuestions(2);
    standins.x.faults.inject('mentions', { kind: 'rate_limit', retryAfterSeconds: 2 });
    bot = await startBot(botEnv(standins, data.dir));

    const health = await waitUntil(async () => {
      const h = await healthOf();
      return h.platforms.x?.state === 'rate_limited' ? h : undefined;
    }, 5_000);
    expect(Date.parse(health.platforms.x?.until ?? '')).toBeGreaterThan(Date.now());
    await waitUntil(() => keys().length === 2, 10_000, 'the mentions after the reset');
    const [limited, next] = standins.x.callsTo('mentions');
    expect(limited?.status).toBe(429);
    // The reset is whole seconds away; the bot waits for it (plus a second of margin) and not less.
    expect(Date.parse(next!.at) - Date.parse(limited!.at)).toBeGreaterThanOrEqual(1_500);
    expectEachOnce(posts);
  });

  it('resumes paging from the same page after a rate limit mid-way, without refetching earlier pages', async () => {
    const posts = addQuestions(12);
    standins.x.faults.inject('mentions', { kind: 'rate_limit', retryAfterSeconds: 1 }, 1, { after: 1 });
    bot = await startBot(botEnv(standins, data.dir), { ...FAST, xPageSize: 5 });

    await waitUntil(() => keys().length === 12, 10_000, 'all 12 mentions');
    const [first, limited, resumed] = standins.x.callsTo('mentions');
    expect(first?.query.pagination_token).toBeUndefined();
    expect(limited?.status).toBe(429);
    expect(resumed?.query.pagination_token).toBe(limited?.query.pagination_token);
    expect(resumed?.status).toBe(200);
    expectEachOnce(posts);
  });

  it('backs off on X 5xx and network errors, says so on /healthz, and recovers', async () => {
    const posts = addQuestions(3);
    standins.x.faults.inject('mentions', { kind: 'status', status: 503, body: { title: 'Service Unavailable', status: 503 } }, 2);
    standins.x.faults.inject('mentions', { kind: 'drop' }, 1, { after: 0 });
    bot = await startBot(botEnv(standins, data.dir));

    await waitUntil(async () => (await healthOf()).platforms.x?.state === 'backing_off', 5_000, 'backing_off on /healthz');
    await waitUntil(() => keys().length === 3, 10_000, 'the mentions after recovery');
    const statuses = standins.x.callsTo('mentions').map((c) => c.status);
    expect(statuses.slice(0, 3)).toEqual([503, 503, 0]);
    // Backoff, not a busy loop: the failed attempts are spread out.
    const times = standins.x.callsTo('mentions').map((c) => Date.parse(c.at));
    expect(times[3]! - times[0]!).toBeGreaterThanOrEqual(100);
    expectEachOnce(posts);
    await waitUntil(async () => (await healthOf()).platforms.x?.state === 'ok', 5_000, 'ok again');
  });

  it('waits for Retry-After on a Slack 429 and posts once', async () => {
    const posts = addQuestions(1);
    standins.slack.faults.inject('chat.postMessage', { kind: 'rate_limit', retryAfterSeconds: 1 });
    bot = await startBot(botEnv(standins, data.dir));

    await waitUntil(() => keys().length === 1, 10_000, 'the mention');
    const [limited, accepted] = standins.slack.callsTo('chat.postMessage');
    expect(limited?.status).toBe(429);
    expect(accepted?.status).toBe(200);
    expect(Date.parse(accepted!.at) - Date.parse(limited!.at)).toBeGreaterThanOrEqual(950);
    expect(standins.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expectEachOnce(posts);
  });

  it('holds mentions through a Slack outage and posts each once when Slack is back', async () => {
    bot = await startBot(botEnv(standins, data.dir));
    await waitUntil(() => standins.x.callsTo('mentions').length >= 1, 5_000, 'a first poll');
    standins.slack.faults.outage = true;
    const posts = addQuestions(3);
    bot.running.pollNow();
    await waitUntil(async () => (await healthOf()).slack.state === 'backing_off', 5_000, 'Slack backing off');
    expect(keys()).toHaveLength(0);
    standins.slack.faults.outage = false;
    await waitUntil(() => keys().length === 3, 15_000, 'the held mentions');
    expectEachOnce(posts);
  });

  it('when the answer to a post is lost, finds the message in history rather than posting again', async () => {
    const posts = addQuestions(2);
    standins.slack.faults.inject('chat.postMessage', { kind: 'drop_after_commit' });
    bot = await startBot(botEnv(standins, data.dir));

    await waitUntil(() => keys().length === 2, 10_000, 'both mentions');
    await waitUntil(() => standins.x.callsTo('mentions').length >= 3, 10_000, 'later polls');
    expect(standins.slack.callsTo('chat.postMessage')).toHaveLength(2);
    expect(standins.slack.callsTo('conversations.history').length).toBeGreaterThanOrEqual(1);
    expectEachOnce(posts);
  });

  it('keeps mentions and the cursor when Slack refuses the channel, and says why on /healthz', async () => {
    addQuestions(1);
    bot = await startBot(botEnv(standins, data.dir, { SLACK_CHANNEL_QUESTIONS: 'C0ARCHIVED' }));
    const health = await waitUntil(async () => {
      const h = await healthOf();
      return h.platforms.x?.detail?.includes('channel_not_found') ? h : undefined;
    }, 5_000);
    expect(health.slack.state).toBe('failing');
    expect(keys()).toHaveLength(0);
    // Retried rarely, not in a storm.
    const attempts = standins.slack.callsTo('chat.postMessage').length;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(standins.slack.callsTo('chat.postMessage').length - attempts).toBeLessThanOrEqual(3);
  });
});
