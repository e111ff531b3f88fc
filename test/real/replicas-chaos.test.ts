import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  botEnv,
  type ChildBot,
  customers,
  postedMentionKeys,
  type Standins,
  spawnBot,
  startStandins,
  tempDataDir,
  waitUntil,
} from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';
import { type RealPostgres, requirePostgres, startRealPostgres } from './services.ts';

/**
 * Three replicas (`npm start` processes) on one real PostgreSQL, under a steady stream of mentions
 * and replies, with the poller leader killed with `kill -9` every 20 s for two minutes. Every
 * mention is posted once, every reply published once, nothing lost, and another replica takes the
 * polling over within two poll intervals each time.
 */
const POLL_SECONDS = 2;
const RUN_MS = 120_000;
const KILL_EVERY_MS = 20_000;

const available = await requirePostgres();
let server: RealPostgres;
let standins: Standins;
beforeAll(async () => {
  if (!available) return;
  server = await startRealPostgres();
  standins = await startStandins();
});
afterAll(async () => {
  await standins?.close();
  await server?.stop();
});

interface Replica {
  bot: ChildBot;
  remove(): Promise<void>;
}

async function rolesOf(bot: ChildBot): Promise<string[]> {
  try {
    const response = await fetch(`${bot.url()}/healthz`, { signal: AbortSignal.timeout(1000) });
    return ((await response.json()) as { roles?: string[] }).roles ?? [];
  } catch {
    return [];
  }
}

describe.runIf(available)('several replicas on one PostgreSQL', () => {
  it(
    'posts every mention once and publishes every reply once while the poller leader is killed every 20 s',
    async () => {
      const url = await server.createDatabase();
      const replicas: Replica[] = [];
      const alive = () => replicas.filter((replica) => replica.bot.child.exitCode === null && replica.bot.child.signalCode === null);
      const startReplica = async () => {
        const data = await tempDataDir();
        const bot = await spawnBot(
          botEnv(standins, data.dir, {
            DATABASE_URL: url,
            POLL_INTERVAL_SECONDS: String(POLL_SECONDS),
            REPLY_UNDO_SECONDS: '2',
            LOG_LEVEL: 'info',
          }),
        );
        replicas.push({ bot, remove: data.remove });
        return bot;
      };
      const leader = async (): Promise<ChildBot | undefined> => {
        for (const replica of alive()) if ((await rolesOf(replica.bot)).includes('poller:x')) return replica.bot;
        return undefined;
      };
      const flow = replyFlow(
        () => standins,
        () => {
          // Slack's requests reach any replica (a load balancer): here, a random live one.
          const live = alive();
          return live[Math.floor(Math.random() * live.length)]?.bot.url() ?? '';
        },
      );

      try {
        for (let i = 0; i < 3; i++) await startReplica();
        await waitUntil(leader, 15_000, 'a poller leader');

        const posts: Array<{ id: string }> = [];
        const replyTexts: string[] = [];
        const failovers: number[] = [];
        let stopping = false;
        // A mention every 1.5 s (Slack takes about one message a second per channel).
        const mentions = (async () => {
          for (let n = 0; !stopping; n++) {
            posts.push(standins.x.addMention(customers[n % customers.length]!, `chaos mention ${n}: where is my order?`));
            await new Promise((resolve) => setTimeout(resolve, 1500));
          }
        })();
        // A reply every 3 s, written in the thread of a mention already in Slack, through a random replica.
        const replies = (async () => {
          for (let n = 0; !stopping; n++) {
            await new Promise((resolve) => setTimeout(resolve, 3000));
            const message = standins.slack
              .allMessages()
              .filter((m) => m.metadata?.event_type === 'switchboard_mention')
              .at(-1 - (n % 3));
            if (!message) continue;
            const text = `reply: chaos answer ${String(n).padStart(4, '0')}`;
            try {
              await flow.writeInThread({ key: String(message.metadata?.event_payload.key), message }, text);
              replyTexts.push(text.slice('reply: '.length));
            } catch {
              // The replica picked was the one just killed: Slack would retry; the request is not counted.
            }
          }
        })();

        const started = Date.now();
        while (Date.now() - started < RUN_MS) {
          await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
          // One poller at a time: never two replicas holding the duty.
          const holders = (await Promise.all(alive().map(async (replica) => (await rolesOf(replica.bot)).includes('poller:x')))).filter(
            Boolean,
          );
          expect(holders).toHaveLength(1);
          const victim = await leader();
          if (!victim) continue;
          victim.child.kill('SIGKILL');
          const killedAt = Date.now();
          await victim.exited;
          const next = await waitUntil(leader, 4 * POLL_SECONDS * 1000, 'a new poller leader');
          failovers.push(Date.now() - killedAt);
          expect(next).not.toBe(victim);
          await startReplica(); // keep three
        }
        stopping = true;
        await Promise.all([mentions, replies]);

        // Everything settles: every mention in Slack, every reply on X.
        await waitUntil(() => new Set(postedMentionKeys(standins.slack)).size === posts.length, 60_000, 'every mention in Slack');
        const publishedTexts = () => standins.x.published().map((post) => post.text);
        await waitUntil(
          () => replyTexts.every((text) => publishedTexts().some((published) => published.includes(text))),
          90_000,
          'every reply published',
        );
        await new Promise((resolve) => setTimeout(resolve, 3 * POLL_SECONDS * 1000)); // nothing more arrives late

        const keys = postedMentionKeys(standins.slack);
        expect(keys.slice().sort()).toEqual(posts.map((post) => `x:${post.id}`).sort());
        expect(new Set(keys).size).toBe(keys.length);
        for (const text of replyTexts)
          expect(
            publishedTexts().filter((published) => published.includes(text)),
            text,
          ).toHaveLength(1);
        expect(failovers.length).toBeGreaterThanOrEqual(5);
        for (const ms of failovers) expect(ms).toBeLessThanOrEqual(2 * POLL_SECONDS * 1000);
        console.info(
          `chaos: ${posts.length} mentions posted once each, ${replyTexts.length} replies published once each, ` +
            `${failovers.length} leaders killed; failover ${failovers.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}`,
        );
      } finally {
        for (const replica of replicas) {
          if (replica.bot.child.exitCode === null && replica.bot.child.signalCode === null) replica.bot.child.kill('SIGTERM');
          await replica.bot.exited;
          await replica.remove();
        }
        await server.dropDatabase(url);
      }
    },
    RUN_MS + 240_000,
  );
});
