import path from 'node:path';
import type { Low } from 'lowdb';
import type { SurgeRecord } from '../../domain/surges.ts';
import type { SurgeRepository } from '../../services/repositories.ts';
import { type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';

interface SurgeData {
  surges: SurgeRecord[];
}

const isSurgeData = (data: unknown): data is SurgeData => isObject(data) && Array.isArray(data.surges);

/** `surges.json`: a handful a year, a small file; the last 500 are kept. */
export class SurgeStore implements SurgeRepository {
  private constructor(private readonly db: Low<SurgeData>) {}

  static async open(dataDir: string): Promise<SurgeStore> {
    return new SurgeStore(await openJsonFile(path.join(dataDir, 'surges.json'), { surges: [] }, isSurgeData));
  }

  async active(channel: string): Promise<SurgeRecord | undefined> {
    const found = this.db.data.surges.find((surge) => surge.channel === channel && !surge.endedAt);
    return found && structuredClone(found);
  }

  async save(record: SurgeRecord): Promise<void> {
    this.db.data.surges = [...this.db.data.surges.filter((surge) => surge.key !== record.key), structuredClone(record)].slice(-500);
    await this.db.write();
  }

  /** For `npm run store -- migrate`. */
  get copy(): CollectionCopy<SurgeRecord> {
    return {
      count: async () => this.db.data.surges.length,
      read: () => toAsync(structuredClone(this.db.data.surges)),
      write: async (records) => {
        for (const record of records) await this.save(record);
      },
    };
  }

  async between(start: string, end: string): Promise<SurgeRecord[]> {
    return this.db.data.surges
      .filter((surge) => surge.startedAt < end && (surge.endedAt ?? '9999') >= start)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
      .map((surge) => structuredClone(surge));
  }
}
