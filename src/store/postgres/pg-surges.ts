import type { SurgeRecord } from '../../domain/surges.ts';
import type { SurgeRepository } from '../../services/repositories.ts';
import { isObject } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import type { Db } from './db.ts';

const isSurge = (value: unknown): value is SurgeRecord => isObject(value) && typeof value.key === 'string';

/** Surges in PostgreSQL (migration 7). */
export class PgSurges implements SurgeRepository {
  constructor(private readonly db: Db) {}

  async active(channel: string): Promise<SurgeRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>(
      "SELECT record FROM surges WHERE channel = $1 AND NOT (record ? 'endedAt') ORDER BY started_at DESC LIMIT 1",
      [channel],
    );
    const record = rows[0]?.record;
    return isSurge(record) ? record : undefined;
  }

  async save(record: SurgeRecord): Promise<void> {
    await this.db.query(
      'INSERT INTO surges (key, channel, started_at, record) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET record = $4',
      [record.key, record.channel, record.startedAt, JSON.stringify(record)],
    );
  }

  get copy(): CollectionCopy<SurgeRecord> {
    return {
      count: async () => (await this.between('', '9999')).length,
      read: () => this.listed(),
      write: async (records) => {
        for (const record of records) await this.save(record);
      },
    };
  }

  private async *listed(): AsyncGenerator<SurgeRecord> {
    yield* await this.between('', '9999');
  }

  async between(start: string, end: string): Promise<SurgeRecord[]> {
    const { rows } = await this.db.query<{ record: unknown }>(
      "SELECT record FROM surges WHERE started_at < $2 AND coalesce(record->>'endedAt', '9999') >= $1 ORDER BY started_at",
      [start, end],
    );
    return rows.map((row) => row.record).filter(isSurge);
  }
}
