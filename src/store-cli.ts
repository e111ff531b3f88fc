import './quiet-dotenv.ts';
import { config as loadDotenv } from 'dotenv';
import { DataDirLockedError } from './store/files/data-dir-lock.ts';
import { openFileStore } from './store/files/file-store.ts';
import { StoreFileError } from './store/files/json-file.ts';
import { cipherFromEnvironment, type PiiCipher } from './store/pii-cipher.ts';
import { openPostgresStore } from './store/postgres/postgres-store.ts';
import { COLLECTIONS, type StoreCopy } from './store/store-copy.ts';

/**
 * `npm run store -- migrate --from <DATA_DIR> --to <DATABASE_URL>` (or the other way round): copies
 * every collection, record by record under its own key (so running it again changes nothing),
 * sealing with PII_ENCRYPTION_KEY on the way in, then checks the counts per collection. A target
 * that already holds data is refused unless `--into-non-empty` says to merge into it.
 */
const USAGE = [
  'Usage: npm run store -- migrate --from <DATA_DIR | postgres://…> --to <postgres://… | DATA_DIR> [--into-non-empty]',
  '  The files side needs the bot stopped (its data-folder lock); PostgreSQL can stay in use by nobody else meanwhile.',
].join('\n');

const BATCH = 500;

interface Side {
  name: string;
  copy: StoreCopy;
  close(): Promise<void>;
  /** Operations a crash cut short (files only): copying half a merge would copy its half. */
  interrupted(): Promise<number>;
}

const isDatabaseUrl = (value: string) => /^postgres(ql)?:\/\//.test(value);
/** Never print a password: the URL's host and database name say which one it is. */
const describe = (place: string) => {
  if (!isDatabaseUrl(place)) return place;
  const url = new URL(place);
  return `postgres://${url.hostname}:${url.port || 5432}${url.pathname}`;
};

async function open(place: string, cipher: PiiCipher | undefined): Promise<Side> {
  if (isDatabaseUrl(place)) {
    const store = await openPostgresStore(place, { cipher, poolSize: 4 });
    return { name: describe(place), copy: store.copy(), close: store.close, interrupted: async () => 0 };
  }
  const store = await openFileStore(place, { cipher });
  return { name: place, copy: store.copy(), close: store.close, interrupted: async () => (await store.interrupted()).length };
}

async function migrate(from: string, to: string, intoNonEmpty: boolean): Promise<number> {
  if (from === to) {
    process.stderr.write('--from and --to are the same store: nothing to do.\n');
    return 2;
  }
  const cipher = cipherFromEnvironment(process.env);
  const source = await open(from, cipher);
  try {
    const cutShort = await source.interrupted();
    if (cutShort) {
      process.stderr.write(
        `${source.name} holds ${cutShort} merge(s), erasure(s) or import(s) that a stop cut short: start the bot on it once (it finishes them), stop it, and migrate then.\n`,
      );
      return 1;
    }
    const target = await open(to, cipher);
    try {
      const before: Record<string, number> = {};
      for (const name of COLLECTIONS) before[name] = await target.copy[name].count();
      const held = Object.entries(before).filter(([, count]) => count > 0);
      if (held.length && !intoNonEmpty) {
        process.stderr.write(
          `${target.name} already holds data (${held.map(([name, count]) => `${count} ${name}`).join(', ')}): nothing was copied.\n` +
            'Add --into-non-empty to merge into it (records with the same key are replaced by the copy).\n',
        );
        return 1;
      }
      process.stdout.write(`Copying ${source.name} → ${target.name}\n`);
      let mismatches = 0;
      for (const name of COLLECTIONS) {
        let batch: unknown[] = [];
        let copied = 0;
        for await (const record of source.copy[name].read()) {
          batch.push(record);
          if (batch.length >= BATCH) {
            await target.copy[name].write(batch);
            copied += batch.length;
            batch = [];
          }
        }
        if (batch.length) await target.copy[name].write(batch);
        copied += batch.length;
        const [inSource, inTarget] = [await source.copy[name].count(), await target.copy[name].count()];
        // Into an empty store the counts match exactly; into a non-empty one the target holds at least the source.
        const ok = held.length ? inTarget >= inSource : inTarget === inSource;
        if (!ok) mismatches += 1;
        process.stdout.write(
          `  ${name.padEnd(15)} ${String(copied).padStart(9)} copied; ${inSource} in source, ${inTarget} in target${ok ? '' : '  MISMATCH'}\n`,
        );
      }
      if (mismatches) {
        process.stderr.write(`${mismatches} collection(s) do not match: check the target before using it.\n`);
        return 1;
      }
      process.stdout.write(
        isDatabaseUrl(to)
          ? `Done. Set DATABASE_URL to this database and start the bot; ${source.name} is left as it was.\n`
          : `Done. Unset DATABASE_URL, set DATA_DIR=${to} and start the bot; the database is left as it was.\n`,
      );
      return 0;
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

async function run(args: string[]): Promise<number> {
  loadDotenv({ quiet: true });
  const [command, ...rest] = args;
  const option = (name: string) => {
    const at = rest.indexOf(name);
    return at >= 0 ? rest[at + 1] : undefined;
  };
  const from = option('--from');
  const to = option('--to');
  const known = new Set(['--from', '--to', '--into-non-empty', from, to]);
  const unknown = rest.filter((arg) => !known.has(arg));
  if (command !== 'migrate' || !from || !to || from.startsWith('--') || to.startsWith('--') || unknown.length) {
    process.stderr.write(`${unknown.length ? `Unknown argument(s): ${unknown.join(' ')}\n` : ''}${USAGE}\n`);
    return 2;
  }
  return migrate(from, to, rest.includes('--into-non-empty'));
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof DataDirLockedError)
    process.stderr.write(`${error.message}\nStop the bot first: the files can be copied only while nothing writes them.\n`);
  else if (error instanceof StoreFileError || error instanceof Error)
    process.stderr.write(`${error.message.replace(/postgres(ql)?:\/\/[^\s]*/g, (url) => describe(url))}\n`);
  process.exitCode = 1;
}
