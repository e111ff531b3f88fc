import path from 'node:path';
import type { InboundDelivery, WebhookInboxRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject } from './json-file.ts';
import { JsonLinesFile } from './json-lines.ts';

/** A line of the inbox file: a delivery received (its body sealed with a key set), or keys taken in. */
type InboxLine = { received: { key: string; receivedAt: string; body?: string; sealed?: string } } | { done: string[] };

const isInboxLine = (value: unknown): value is InboxLine =>
  isObject(value) && ((isObject(value.received) && typeof value.received.key === 'string') || Array.isArray(value.done));

/**
 * `webhook-inbox.jsonl`: Meta's deliveries, each appended (and flushed by the append) before the
 * webhook is answered, and marked done once its events are stored; rewritten with only what is
 * waiting when the file is mostly done lines. With PII_ENCRYPTION_KEY the bodies are sealed.
 */
export class WebhookInboxStore implements WebhookInboxRepository {
  private constructor(
    private readonly file: JsonLinesFile<InboxLine>,
    private readonly waiting: Map<string, InboundDelivery>,
    private readonly cipher: PiiCipher | undefined,
  ) {}

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<WebhookInboxStore> {
    const file = new JsonLinesFile<InboxLine>(path.join(dataDir, 'webhook-inbox.jsonl'));
    const waiting = new Map<string, InboundDelivery>();
    const store = new WebhookInboxStore(file, waiting, options.cipher);
    for (const line of await file.read(isInboxLine)) {
      if ('received' in line && !waiting.has(line.received.key)) waiting.set(line.received.key, store.opened(line.received));
      if ('done' in line) for (const key of line.done) waiting.delete(key);
    }
    await store.compact();
    return store;
  }

  async add(delivery: InboundDelivery): Promise<boolean> {
    if (this.waiting.has(delivery.key)) return false;
    this.waiting.set(delivery.key, { ...delivery });
    await this.file.append([{ received: this.sealed(delivery) }]);
    return true;
  }

  async pending(limit: number): Promise<InboundDelivery[]> {
    return [...this.waiting.values()]
      .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0))
      .slice(0, limit)
      .map((delivery) => ({ ...delivery }));
  }

  async done(keys: readonly string[]): Promise<void> {
    const done = keys.filter((key) => this.waiting.delete(key));
    if (done.length === 0) return;
    await this.file.append([{ done }]);
    // Emptied at once when nothing waits (the usual case): a delivery's personal data does not linger
    // in the file after it was taken in (an erasure cannot reach it there).
    if (this.waiting.size === 0 || this.file.lines > 2 * this.waiting.size + 200) await this.compact();
  }

  /** For `npm run store -- migrate`: deliveries not yet taken in. */
  get copy(): CollectionCopy<InboundDelivery> {
    return {
      count: async () => this.waiting.size,
      read: () => toAsync([...this.waiting.values()].map((delivery) => ({ ...delivery }))),
      write: async (deliveries) => {
        for (const delivery of deliveries) await this.add(delivery);
      },
    };
  }

  private sealed(delivery: InboundDelivery) {
    const { key, receivedAt, body } = delivery;
    return this.cipher ? { key, receivedAt, sealed: this.cipher.seal(body, `webhook-inbox/${key}`) } : { key, receivedAt, body };
  }

  private opened(line: { key: string; receivedAt: string; body?: string; sealed?: string }): InboundDelivery {
    if (line.sealed !== undefined) {
      if (!this.cipher) throw new Error(`webhook-inbox.jsonl holds a sealed delivery (${line.key}) and PII_ENCRYPTION_KEY is not set`);
      return { key: line.key, receivedAt: line.receivedAt, body: this.cipher.open<string>(line.sealed, `webhook-inbox/${line.key}`) };
    }
    return { key: line.key, receivedAt: line.receivedAt, body: line.body ?? '' };
  }

  private compact(): Promise<void> {
    return this.file.rewrite([...this.waiting.values()].map((delivery) => ({ received: this.sealed(delivery) })));
  }
}
