import path from 'node:path';
import type { Low } from 'lowdb';
import type { DigestLogEntry } from '../../domain/records.ts';
import type { DigestLogRepository } from '../../services/repositories.ts';
import { type CollectionCopy, type FactRow, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';

interface DigestLogData {
  since?: string;
  digests: Record<string, DigestLogEntry>;
}

const isDigestLogData = (data: unknown): data is DigestLogData => isObject(data) && isObject(data.digests);

export class DigestLogStore implements DigestLogRepository {
  private constructor(private readonly db: Low<DigestLogData>) {}

  static async open(dataDir: string): Promise<DigestLogStore> {
    return new DigestLogStore(await openJsonFile(path.join(dataDir, 'digests.json'), { digests: {} }, isDigestLogData));
  }

  /** When the scheduler first ran on this DATA_DIR (set on first call). */
  async since(now: Date): Promise<Date> {
    if (!this.db.data.since) {
      this.db.data.since = now.toISOString();
      await this.db.write();
    }
    return new Date(this.db.data.since);
  }

  async get(key: string): Promise<DigestLogEntry | undefined> {
    return this.db.data.digests[key];
  }

  /** Every digest attempted or posted, for redrawing after an erasure. */
  async all(): Promise<DigestLogEntry[]> {
    return Object.values(this.db.data.digests);
  }

  /** For `npm run store -- migrate`: the log, and when the scheduler first ran (a fact). */
  get copy(): CollectionCopy<DigestLogEntry> {
    return {
      count: async () => Object.keys(this.db.data.digests).length,
      read: () => toAsync(Object.values(this.db.data.digests)),
      write: async (entries) => {
        for (const entry of entries) this.db.data.digests[entry.key] = entry;
        await this.db.write();
      },
    };
  }

  get factsCopy(): CollectionCopy<FactRow> {
    const facts = () => (this.db.data.since ? [{ name: 'digest_since', value: this.db.data.since }] : []);
    return {
      count: async () => facts().length,
      read: () => toAsync(facts()),
      write: async (rows) => {
        const since = rows.find((row) => row.name === 'digest_since');
        if (!since) return;
        this.db.data.since = since.value;
        await this.db.write();
      },
    };
  }

  async recordAttempt(
    key: string,
    channel: string,
    at: Date,
    details: Pick<DigestLogEntry, 'period' | 'requestedBy'> = {},
  ): Promise<DigestLogEntry> {
    const entry: DigestLogEntry = { key, channel, attemptedAt: at.toISOString(), ...details };
    this.db.data.digests[key] = entry;
    await this.db.write();
    return entry;
  }

  async update(key: string, change: Partial<Omit<DigestLogEntry, 'key'>>): Promise<DigestLogEntry> {
    const existing = this.db.data.digests[key];
    if (!existing) throw new Error(`digest log: no entry ${key}`);
    const updated = { ...existing, ...change };
    this.db.data.digests[key] = updated;
    await this.db.write();
    return updated;
  }
}
