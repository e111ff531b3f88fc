import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createLog } from '../../src/log.ts';
import { BlueskyStandin } from '../../src/sandbox/bluesky-standin.ts';
import { MastodonStandin } from '../../src/sandbox/mastodon-standin.ts';
import { MetaStandin } from '../../src/sandbox/meta-standin.ts';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { XStandin } from '../../src/sandbox/x-standin.ts';
import { type RunningSwitchboard, startSwitchboard, type Tuning } from '../../src/switchboard.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Fast pacing for in-process tests: nobody waits real seconds between posts. */
export const FAST: Partial<Tuning> = { slackPostsPerSecond: 200, slackBurst: 50, retryBaseMs: 50, retryMaxMs: 400 };

export interface Standins {
  slack: SlackStandin;
  x: XStandin;
  mastodon: MastodonStandin;
  bluesky: BlueskyStandin;
  meta: MetaStandin;
  close(): Promise<void>;
}

export async function startStandins(options: { mentionsLimit?: number; userGroups?: Record<string, string[]> } = {}): Promise<Standins> {
  const slack = new SlackStandin({ userGroups: options.userGroups });
  const x = new XStandin({ mentionsLimit: options.mentionsLimit });
  const mastodon = new MastodonStandin();
  const bluesky = new BlueskyStandin();
  const meta = new MetaStandin();
  await Promise.all([slack.listen(), x.listen(), mastodon.listen(), bluesky.listen(), meta.listen()]);
  return {
    slack,
    x,
    mastodon,
    bluesky,
    meta,
    close: async () => void (await Promise.all([slack.close(), x.close(), mastodon.close(), bluesky.close(), meta.close()])),
  };
}

/** Environment for one platform only, in place of X's: `bed.start(platformEnv(bed.standins, 'mastodon'))`. */
export function platformEnv(standins: Standins, platform: 'x' | 'mastodon' | 'bluesky' | 'meta'): Record<string, string> {
  const none = { X_BEARER_TOKEN: '', X_APP_KEY: '', X_APP_SECRET: '', X_ACCESS_TOKEN: '', X_ACCESS_SECRET: '', X_USER_ID: '' };
  if (platform === 'meta') return { ...none, ...standins.meta.env };
  if (platform === 'mastodon')
    return { ...none, MASTODON_URL: standins.mastodon.apiUrl, MASTODON_ACCESS_TOKEN: standins.mastodon.accessToken };
  if (platform === 'bluesky') {
    return {
      ...none,
      BLUESKY_SERVICE: standins.bluesky.apiUrl,
      BLUESKY_IDENTIFIER: standins.bluesky.brand.handle,
      BLUESKY_APP_PASSWORD: standins.bluesky.appPassword,
    };
  }
  return {};
}

export async function tempDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-test-'));
  // A listener still finishing when the bot stops may write one more file while the folder is removed: retry.
  return { dir, remove: () => rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}

/** The environment a real deployment would have, pointed at the stand-ins. */
export function botEnv(standins: Standins, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: standins.slack.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: standins.slack.apiUrl,
    SLACK_CHANNEL_MENTIONS: 'C0MENTIONS',
    SLACK_CHANNEL_QUESTIONS: 'C0QUESTION',
    SLACK_CHANNEL_DIGEST: 'C0DIGESTS',
    ...standins.x.env,
    REPLY_UNDO_SECONDS: '0',
    // The tests' usual person is an admin (so agent too); the roles story sets its own lists.
    SLACK_ADMINS: 'U0AGENT01',
    POLL_INTERVAL_SECONDS: '1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export interface InProcessBot {
  running: RunningSwitchboard;
  url: string;
  logs: string[];
  stop(): Promise<void>;
}

/** Starts the bot in this process through the same start-up path as `npm start`, minus process.env. */
export async function startBot(env: Record<string, string>, tuning: Partial<Tuning> = FAST): Promise<InProcessBot> {
  const config = loadConfig(env);
  const logs: string[] = [];
  const log = createLog({ level: 'debug', write: (line) => logs.push(line) });
  const running = await startSwitchboard(config, log, tuning);
  return { running, url: `http://127.0.0.1:${running.port}`, logs, stop: () => running.stop() };
}

export interface ChildBot {
  child: ChildProcess;
  stderr: string[];
  url: () => string;
  /** Resolves once a stderr line matches. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `src/main.ts` as its own process, as `npm start` does, for crash, signal and exit-code tests. */
export function spawnBot(env: Record<string, string>, options: { waitForListening?: boolean } = {}): Promise<ChildBot> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(ROOT, 'src/main.ts')], {
    cwd: os.tmpdir(), // no stray .env from the repo
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  let port = 0;
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let buffered = '';
  const onData = (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      stderr.push(line);
      const listening = /listening on port (\d+)/.exec(line);
      if (listening) port = Number(listening[1]);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  };
  child.stderr.on('data', onData);
  child.stdout.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      if (buffered) stderr.push(buffered);
      resolve({ code, signal });
    }),
  );
  const waitForLog = (pattern: RegExp, timeoutMs = 20_000) => {
    const seen = stderr.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no log line matching ${pattern} in ${timeoutMs} ms:\n${stderr.join('\n')}`)),
        timeoutMs,
      );
      waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`bot exited before logging ${pattern}:\n${stderr.join('\n')}`));
      });
    });
  };
  const bot: ChildBot = { child, stderr, url: () => `http://127.0.0.1:${port}`, waitForLog, exited };
  if (options.waitForListening === false) return Promise.resolve(bot);
  return waitForLog(/listening on port \d+/).then(() => bot);
}

/** Polls `check` until it returns a truthy value. */
export async function waitUntil<T>(check: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export const customers = [
  { username: 'ada_l', name: 'Ada Lovelace' },
  { username: 'grace_h', name: 'Grace Hopper' },
  { username: 'mhamilton', name: 'Margaret Hamilton' },
  { username: 'katherine_j', name: 'Katherine Johnson' },
];

/** Keys of the mention messages in Slack (from their metadata), in posting order. */
export function postedMentionKeys(slack: SlackStandin): string[] {
  return slack
    .allMessages()
    .filter((m) => m.metadata?.event_type === 'switchboard_mention')
    .map((m) => String(m.metadata?.event_payload.key));
}

/** Every given post is in Slack, and each exactly once. */
export function expectEachPostedOnce(slack: SlackStandin, posts: Array<{ id: string }>): void {
  const keys = postedMentionKeys(slack);
  expect(keys.slice().sort()).toEqual(posts.map((post) => `x:${post.id}`).sort());
  expect(new Set(keys).size).toBe(keys.length);
}

export interface HealthBody {
  status: string;
  slack: { state: string; detail?: string; until?: string };
  platforms: Record<string, { state: string; detail?: string; until?: string }>;
}

export async function readHealth(url: string): Promise<HealthBody> {
  const response = await fetch(`${url}/healthz`);
  if (response.status !== 200) throw new Error(`/healthz answered ${response.status}`);
  return (await response.json()) as HealthBody;
}

/**
 * The usual end-to-end set-up, registered as vitest hooks: fresh stand-ins and DATA_DIR per test,
 * and the bot (once a test starts it) stopped after it.
 */
export function useTestBed(options: { userGroups?: Record<string, string[]> } = {}) {
  let standins: Standins | undefined;
  let data: { dir: string; remove(): Promise<void> } | undefined;
  let bot: InProcessBot | undefined;
  beforeEach(async () => {
    standins = await startStandins(options);
    data = await tempDataDir();
  });
  afterEach(async () => {
    await bot?.stop();
    bot = undefined;
    await standins?.close();
    await data?.remove();
  });
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is not ready: use it inside a test`);
    return value;
  };
  return {
    get standins() {
      return need(standins, 'standins');
    },
    get dataDir() {
      return need(data, 'data dir').dir;
    },
    get bot() {
      return need(bot, 'the bot');
    },
    env(extra: Record<string, string> = {}) {
      return botEnv(need(standins, 'standins'), need(data, 'data dir').dir, extra);
    },
    async start(extra: Record<string, string> = {}, tuning: Partial<Tuning> = FAST) {
      bot = await startBot(this.env(extra), tuning);
      return bot;
    },
    mentionKeys() {
      return postedMentionKeys(need(standins, 'standins').slack);
    },
    expectEachPostedOnce(posts: Array<{ id: string }>) {
      expectEachPostedOnce(need(standins, 'standins').slack, posts);
    },
    health() {
      return readHealth(need(bot, 'the bot').url);
    },
  };
}

/**
 * The set-up for tests that run the bot as its own process (signals, kill -9, exit codes): fresh
 * stand-ins and DATA_DIR per test, and every bot process killed and reaped after it.
 */
export function useChildBotBed() {
  let standins: Standins | undefined;
  let data: { dir: string; remove(): Promise<void> } | undefined;
  const bots: ChildBot[] = [];
  beforeEach(async () => {
    standins = await startStandins();
    data = await tempDataDir();
  });
  afterEach(async () => {
    for (const bot of bots.splice(0)) {
      if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill('SIGKILL');
      await bot.exited;
    }
    await standins?.close();
    await data?.remove();
  });
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('use the bed inside a test');
    return value;
  };
  return {
    get standins() {
      return need(standins);
    },
    get dataDir() {
      return need(data).dir;
    },
    bots,
    /** The bot started last. */
    current: () => {
      const bot = bots.at(-1);
      if (!bot) throw new Error('no bot started');
      return bot;
    },
    async start(extra: Record<string, string> = {}, options: { waitForListening?: boolean } = {}) {
      const bot = await spawnBot(botEnv(need(standins), need(data).dir, extra), options);
      bots.push(bot);
      return bot;
    },
  };
}
