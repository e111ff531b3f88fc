import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { trainTriageModel } from '../src/domain/triage/triage-model.ts';
import { createLog } from '../src/log.ts';
import { compareNumericIds, type InboundMention, type Platform } from '../src/platforms/platform.ts';
import { Health } from '../src/services/health.ts';
import { MentionIngest } from '../src/services/ingest.ts';
import { MentionDelivery } from '../src/services/mention-delivery.ts';
import { ChatCallError, type MessageRef, type TeamChat } from '../src/services/team-chat.ts';
import { ChannelPacer } from '../src/slack/channel-pacer.ts';
import { openFileStore } from '../src/store/files/file-store.ts';

/**
 * A surge in accelerated time: every duration runs `SPEED` times faster (10 minutes in 12 s), and
 * every figure is given back in the surge's own seconds. Slack is a stand-in that allows one message
 * a second per channel and answers 429 beyond (the pacer is the bot's own); X is a page of the posts
 * written so far, read every `POLL_SECONDS`.
 */
const SPEED = 50;
/**
 * How often X is read: a post waits for the next read before anything else, so a 30 s goal from
 * creation to Slack needs reads at least that often (X's mention timeline allows one every 2 s).
 */
export const POLL_SECONDS = 15;

export interface SurgeBenchFigures {
  /** Latency from a post's creation to its Slack message, in seconds, per priority class. */
  latency: Record<1 | 2 | 3, { count: number; p50: number; p99: number }>;
  /** Slack calls per second per channel over the busiest 10 seconds (timer jitter in accelerated time blurs single seconds), and 429s. */
  maxCallsPerSecond: number;
  rateLimited: number;
  surges: number;
}

interface Plan {
  at: number;
  text: string;
  author: { id: string; handle: string; name: string };
  priority: 1 | 2 | 3;
}

const KNOWN = Array.from({ length: 20 }, (_, i) => ({ id: String(9_000 + i), handle: `customer_${i}`, name: `Customer ${i}` }));
const COMPLAINTS = [
  'my order is two weeks late, where is it?',
  'the app crashes at checkout, I cannot pay',
  'charged twice for the same order, please refund',
];
const CHATTER = [
  'lol this brand is everywhere today',
  'who else saw the ad',
  'that campaign though',
  'ok the jacket is nice',
  'trending again haha',
];

/** `total` mentions over `minutes`: most in a burst in the middle, the rest spread out. */
function plan(total: number, minutes: number, burstShare: number): Plan[] {
  const posts: Plan[] = [];
  const span = minutes * 60;
  for (let i = 0; i < total; i++) {
    const isBurst = i < total * burstShare;
    const at = isBurst ? span * 0.2 + (span * 0.5 * i) / (total * burstShare) : (span * i) / total;
    const roll = i % 20;
    if (roll === 0) {
      const author = KNOWN[i % KNOWN.length] ?? { id: '1', handle: 'x', name: 'x' };
      posts.push({ at, text: `@northwind ${COMPLAINTS[i % 3]}`, author, priority: 1 });
    } else if (roll < 7) {
      posts.push({
        at,
        text: `@northwind ${COMPLAINTS[i % 3]}`,
        author: { id: String(100_000 + i), handle: `fan_${i}`, name: `Fan ${i}` },
        priority: 2,
      });
    } else {
      posts.push({
        at,
        text: `@northwind ${CHATTER[i % 5]}`,
        author: { id: String(100_000 + i), handle: `fan_${i}`, name: `Fan ${i}` },
        priority: 3,
      });
    }
  }
  return posts.sort((a, b) => a.at - b.at);
}

export async function benchSurge(total: number, minutes: number, burstShare: number): Promise<SurgeBenchFigures> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-surge-'));
  const store = await openFileStore(dir);
  const log = createLog({ level: 'error' });
  const model = trainTriageModel();
  const started = Date.now();
  /** The surge's own clock: `SPEED` times faster than this process's. */
  const now = () => new Date(Date.UTC(2026, 10, 25, 9) + (Date.now() - started) * SPEED);
  const seconds = () => (now().getTime() - Date.UTC(2026, 10, 25, 9)) / 1000;
  try {
    for (const [i, author] of KNOWN.entries()) {
      await store.contacts.save({
        key: `known-${i}`,
        name: author.name,
        identities: [{ platform: 'x', userId: author.id, handle: author.handle, profileUrl: `https://x.com/${author.handle}` }],
        emails: [`${author.handle}@example.com`],
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
      });
    }
    const posts = plan(total, minutes, burstShare).map((post, i) => ({ ...post, id: String(1_900_000_000_000_000_000n + BigInt(i)) }));
    const createdAtOf = new Map(posts.map((post) => [`x:${post.id}`, post.at]));
    const priorityOf = new Map(posts.map((post) => [`x:${post.id}`, post.priority]));
    const latencies: Record<1 | 2 | 3, number[]> = { 1: [], 2: [], 3: [] };
    const callsBySecond = new Map<string, number>();
    let rateLimited = 0;
    let surges = 0;
    let ts = 0;
    // Slack's side: one message a second per channel (a short burst tolerated), 429 beyond.
    const allowance = new Map<string, { tokens: number; at: number }>();
    const slackTakes = (channel: string) => {
      const second = `${channel}:${Math.floor(seconds() / 10)}`;
      callsBySecond.set(second, (callsBySecond.get(second) ?? 0) + 1);
      const bucket = allowance.get(channel) ?? { tokens: 3, at: seconds() };
      bucket.tokens = Math.min(3, bucket.tokens + (seconds() - bucket.at));
      bucket.at = seconds();
      allowance.set(channel, bucket);
      if (bucket.tokens < 1) {
        rateLimited++;
        throw new ChatCallError('rate_limited', 'chat.postMessage', 'ratelimited', 1 / SPEED);
      }
      bucket.tokens -= 1;
    };
    // The bot's side: its own pacer, at Slack's pace in accelerated time.
    const pacer = new ChannelPacer({ perSecond: SPEED, burst: 1 });
    const post = async (channel: string, keys: string[]): Promise<MessageRef> => {
      await pacer.take(channel);
      try {
        slackTakes(channel);
      } catch (error) {
        pacer.holdOff(channel, 1 / SPEED);
        throw error;
      }
      ts += 1;
      for (const key of keys) {
        const priority = priorityOf.get(key) ?? 3;
        latencies[priority].push(seconds() - (createdAtOf.get(key) ?? 0));
      }
      return { channel, ts: `1764061200.${String(ts).padStart(6, '0')}` };
    };
    const chat = {
      postMention: (record) => post(record.slack.channel, [record.key]),
      postMentionBatch: (thread, mentions) =>
        post(
          thread.channel,
          mentions.map((mention) => mention.record.key),
        ),
      postSurge: (surge) => {
        surges++;
        return post(surge.channel, []);
      },
      updateSurge: async () => {},
      postSurgeNotice: (channel) => post(channel, []),
      findMention: async () => undefined,
      findMentionBatch: async () => undefined,
    } as Pick<
      TeamChat,
      'postMention' | 'postMentionBatch' | 'postSurge' | 'updateSurge' | 'postSurgeNotice' | 'findMention' | 'findMentionBatch'
    > as TeamChat;
    const delivery = new MentionDelivery(store, chat, new Health(), log, {
      retryBaseMs: 10,
      retryMaxMs: 100,
      now,
      surges: {
        settings: { backlogSeconds: 60, sigmas: 4, minPerMinute: 30, coolDownSeconds: 300 },
        perSecond: 1,
        noticeChannel: 'C0QUESTION',
      },
    });
    const written = () => posts.filter((post) => post.at <= seconds());
    const platform = {
      id: 'x',
      displayName: 'X',
      brandHandle: 'northwind',
      compareCursors: compareNumericIds,
      fetchMentionPage: async () => ({
        mentions: written()
          .map(
            (post): InboundMention => ({
              platform: 'x',
              id: post.id,
              text: post.text,
              url: `https://x.com/${post.author.handle}/status/${post.id}`,
              createdAt: new Date(Date.UTC(2026, 10, 25, 9) + post.at * 1000).toISOString(),
              author: { ...post.author, profileUrl: `https://x.com/${post.author.handle}` },
              cursor: post.id,
            }),
          )
          .reverse(),
      }),
    } as unknown as Platform;
    await store.cursors.set('x', '1');
    const ingest = new MentionIngest(platform, store, model, delivery, new Health(), log, {
      channels: { mentions: 'C0MENTIONS', questions: 'C0QUESTION' },
      backfillHours: 24 * 365,
    });
    const end = minutes * 60;
    while (seconds() < end + POLL_SECONDS) {
      await ingest.pollOnce(new AbortController().signal);
      await new Promise((resolve) => setTimeout(resolve, (POLL_SECONDS * 1000) / SPEED));
    }
    await delivery.idle();
    await delivery.stop();
    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
      return { count: sorted.length, p50: at(0.5), p99: at(0.99) };
    };
    return {
      latency: { 1: stats(latencies[1]), 2: stats(latencies[2]), 3: stats(latencies[3]) },
      maxCallsPerSecond: Math.max(0, ...callsBySecond.values()) / 10,
      rateLimited,
      surges,
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
