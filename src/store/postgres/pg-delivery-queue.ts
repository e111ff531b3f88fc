import type { QueuedMention } from '../../domain/records.ts';
import type { DeliveryQueueRepository } from '../../services/repositories.ts';
import { isObject } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import type { Db } from './db.ts';

const isQueued = (value: unknown): value is QueuedMention => isObject(value) && typeof value.key === 'string';

/** The Slack delivery queue in PostgreSQL (migration 6): one row per mention owed to Slack. */
export class PgDeliveryQueue implements DeliveryQueueRepository {
  constructor(private readonly db: Db) {}

  async add(entries: readonly QueuedMention[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db.query(
      `INSERT INTO delivery_queue (key, record)
       SELECT entry->>'key', entry FROM jsonb_array_elements($1::jsonb) AS entry
       ON CONFLICT (key) DO NOTHING`,
      [JSON.stringify(entries)],
    );
  }

  async remove(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.query('DELETE FROM delivery_queue WHERE key = ANY($1)', [[...keys]]);
  }

  get copy(): CollectionCopy<QueuedMention> {
    return {
      count: async () => (await this.all()).length,
      read: () => this.listed(),
      write: (entries) => this.add(entries),
    };
  }

  private async *listed(): AsyncGenerator<QueuedMention> {
    yield* await this.all();
  }

  async all(): Promise<QueuedMention[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM delivery_queue');
    return rows.map((row) => row.record).filter(isQueued);
  }
}
