import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { type Leadership, SoleLeadership } from '../services/leadership.ts';
import type { Store } from '../services/repositories.ts';
import { type FileStore, openFileStore } from './files/file-store.ts';
import type { PiiCipher } from './pii-cipher.ts';
import { PgLeadership } from './postgres/pg-leadership.ts';
import { openPostgresStore } from './postgres/postgres-store.ts';

export interface OpenedStore {
  store: Store;
  /** The files, when that is the store: what only they have (the sealing counts, `encrypt`). */
  files?: FileStore;
  /** Who does the one-at-a-time duties (polling, the digest). */
  leadership: Leadership;
  /** This process's name in reply leases: unique per process with PostgreSQL, fixed with the files. */
  replica: string;
  /** For the start-up log line: which store, without credentials. */
  description: string;
}

/**
 * DATABASE_URL set: PostgreSQL, shared by any number of replicas. Unset: the lowdb files in
 * DATA_DIR, one process (their lock refuses a second).
 */
export async function openConfiguredStore(
  config: { dataDir: string; databaseUrl?: string },
  options: { cipher?: PiiCipher } = {},
): Promise<OpenedStore> {
  if (config.databaseUrl) {
    const store = await openPostgresStore(config.databaseUrl, { cipher: options.cipher });
    const url = new URL(config.databaseUrl);
    return {
      store,
      leadership: new PgLeadership(config.databaseUrl),
      replica: `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      description: `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}${store.migrated ? ` (${store.migrated} schema step(s) applied)` : ''}`,
    };
  }
  const files = await openFileStore(config.dataDir, { cipher: options.cipher });
  return { store: files, files, leadership: new SoleLeadership(), replica: 'local', description: `files in ${config.dataDir}` };
}
