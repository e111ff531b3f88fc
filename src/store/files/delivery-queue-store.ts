import path from 'node:path';
import type { QueuedMention } from '../../domain/records.ts';
import type { DeliveryQueueRepository } from '../../services/repositories.ts';
import { type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject } from './json-file.ts';
import { JsonLinesFile } from './json-lines.ts';

/** A line of the queue file: entries queued, or keys delivered. */
type QueueLine = { queued: QueuedMention[] } | { delivered: string[] };

const isQueueLine = (value: unknown): value is QueueLine =>
  isObject(value) && (Array.isArray(value.queued) || Array.isArray(value.delivered));

/**
 * `slack-queue.jsonl`: what is owed to Slack, as lines of "queued" and "delivered" appended as they
 * happen (one append per batch, whatever the backlog), folded into a map at open and rewritten
 * with only what is still owed when the file is mostly delivered lines.
 */
export class DeliveryQueueStore implements DeliveryQueueRepository {
  private constructor(
    private readonly file: JsonLinesFile<QueueLine>,
    private readonly owed: Map<string, QueuedMention>,
  ) {}

  static async open(dataDir: string): Promise<DeliveryQueueStore> {
    const file = new JsonLinesFile<QueueLine>(path.join(dataDir, 'slack-queue.jsonl'));
    const owed = new Map<string, QueuedMention>();
    for (const line of await file.read(isQueueLine)) {
      if ('queued' in line) for (const entry of line.queued) if (!owed.has(entry.key)) owed.set(entry.key, entry);
      if ('delivered' in line) for (const key of line.delivered) owed.delete(key);
    }
    const store = new DeliveryQueueStore(file, owed);
    await store.compact();
    return store;
  }

  async add(entries: readonly QueuedMention[]): Promise<void> {
    const fresh = entries.filter((entry) => !this.owed.has(entry.key));
    for (const entry of fresh) this.owed.set(entry.key, { ...entry });
    if (fresh.length) await this.file.append([{ queued: fresh }]);
  }

  async remove(keys: readonly string[]): Promise<void> {
    const delivered = keys.filter((key) => this.owed.delete(key));
    if (delivered.length === 0) return;
    await this.file.append([{ delivered }]);
    if (this.file.lines > 2 * this.owed.size + 200) await this.compact();
  }

  async all(): Promise<QueuedMention[]> {
    return [...this.owed.values()].map((entry) => ({ ...entry }));
  }

  /** For `npm run store -- migrate`: what is still owed to Slack. */
  get copy(): CollectionCopy<QueuedMention> {
    return {
      count: async () => this.owed.size,
      read: () => toAsync([...this.owed.values()].map((entry) => ({ ...entry }))),
      write: (entries) => this.add(entries),
    };
  }

  private compact(): Promise<void> {
    return this.file.rewrite(this.owed.size ? [{ queued: [...this.owed.values()] }] : []);
  }
}
