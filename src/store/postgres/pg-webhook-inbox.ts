import type { InboundDelivery, WebhookInboxRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import type { CollectionCopy } from '../store-copy.ts';
import type { Db } from './db.ts';

/** Meta's webhook deliveries in PostgreSQL (migration 8), bodies sealed with a key set; any replica stores, the ingest leader takes them in. */
export class PgWebhookInbox implements WebhookInboxRepository {
  constructor(
    private readonly db: Db,
    private readonly cipher?: PiiCipher,
  ) {}

  async add(delivery: InboundDelivery): Promise<boolean> {
    const body = this.cipher ? this.cipher.seal(delivery.body, `webhook-inbox/${delivery.key}`) : delivery.body;
    const { rowCount } = await this.db.query(
      'INSERT INTO webhook_inbox (key, received_at, body, sealed) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING',
      [delivery.key, delivery.receivedAt, body, Boolean(this.cipher)],
    );
    return (rowCount ?? 0) > 0;
  }

  async pending(limit: number): Promise<InboundDelivery[]> {
    const { rows } = await this.db.query<{ key: string; received_at: string; body: string; sealed: boolean }>(
      'SELECT key, received_at, body, sealed FROM webhook_inbox ORDER BY received_at, key LIMIT $1',
      [limit],
    );
    return rows.map((row) => ({
      key: row.key,
      receivedAt: row.received_at,
      body: row.sealed ? this.open(row.key, row.body) : row.body,
    }));
  }

  async done(keys: readonly string[]): Promise<void> {
    if (keys.length) await this.db.query('DELETE FROM webhook_inbox WHERE key = ANY($1)', [[...keys]]);
  }

  get copy(): CollectionCopy<InboundDelivery> {
    const inbox = this;
    return {
      count: async () => (await this.pending(1_000_000)).length,
      read: async function* () {
        yield* await inbox.pending(1_000_000);
      },
      write: async (deliveries) => {
        for (const delivery of deliveries) await this.add(delivery);
      },
    };
  }

  private open(key: string, sealed: string): string {
    if (!this.cipher) throw new Error(`webhook_inbox holds a sealed delivery (${key}) and PII_ENCRYPTION_KEY is not set`);
    return this.cipher.open<string>(sealed, `webhook-inbox/${key}`);
  }
}
