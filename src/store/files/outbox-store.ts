import path from 'node:path';
import type { ReplyRecord, ReplyState } from '../../domain/records.ts';
import type { OutboxRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isReplyRecord, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

const ACTIVE: ReadonlySet<ReplyState> = new Set(['scheduled', 'sending']);

/** Pending, due, and no live lease on it. */
const isClaimable = (reply: ReplyRecord, now: Date) =>
  ACTIVE.has(reply.state) && Date.parse(reply.sendAt) <= now.getTime() && (!reply.lease || Date.parse(reply.lease.until) < now.getTime());

export class OutboxStore implements OutboxRepository {
  /** Replies not yet settled, by key: what start-up resumes, and what makes a mention "busy". */
  private readonly active = new Map<string, ReplyRecord>();
  private collection!: SegmentedCollection<ReplyRecord, 'text', 'state'>;

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<OutboxStore> {
    const store = new OutboxStore();
    const unsettled: string[] = [];
    store.collection = await SegmentedCollection.open<ReplyRecord, 'text', 'state'>(path.join(dataDir, 'outbox'), {
      partitionOf: (record) => record.requestedAt.slice(0, 10),
      isRecord: isReplyRecord,
      // Only unsettled replies are decrypted at open: the history of sent ones is not read.
      onOpenPlain: (record) => {
        if (ACTIVE.has(record.state)) unsettled.push(record.key);
      },
      indexFields: ['state'],
      personal: PERSONAL.outbox,
      cipher: options.cipher,
    });
    for (const key of unsettled) {
      const record = await store.collection.get(key);
      if (record) store.track(record);
    }
    return store;
  }

  /** What `npm run crm -- encrypt` re-seals. */
  get sealable(): Sealable {
    return this.collection;
  }

  /** What `npm run store -- migrate` copies. */
  get copy(): CollectionCopy {
    return this.collection.copier();
  }

  get(key: string): Promise<ReplyRecord | undefined> {
    return this.collection.get(key);
  }

  async create(record: ReplyRecord): Promise<boolean> {
    let created = false;
    await this.collection.upsertMany([record.key], (_key, existing) => {
      // Checked inside the collection's queue, where no other write can slip in between.
      const busy = [...this.active.values()].some((active) => active.mentionKey === record.mentionKey);
      created = !existing && !(busy && ACTIVE.has(record.state));
      return created ? record : undefined;
    });
    if (created) this.track(record);
    return created;
  }

  async save(record: ReplyRecord): Promise<void> {
    await this.collection.put(record);
    this.track(record);
  }

  async update(key: string, change: (reply: ReplyRecord) => ReplyRecord | undefined): Promise<ReplyRecord | undefined> {
    const updated = await this.collection.update(key, (existing) => {
      const changed = change(existing);
      return changed && { ...changed, key: existing.key };
    });
    if (updated) this.track(updated);
    return updated;
  }

  /**
   * Removes the text of replies to erased mentions (GDPR erasure). Records stay, so a reply's key
   * is still known and can never be sent again.
   */
  async redactForMentions(mentionKeys: ReadonlySet<string>): Promise<Array<{ channel: string; ts: string }>> {
    const announcements: Array<{ channel: string; ts: string }> = [];
    for (const partition of this.collection.partitions()) {
      for await (const record of this.collection.readPartition(partition)) {
        if (!mentionKeys.has(record.mentionKey)) continue;
        if (record.announcement) announcements.push(record.announcement);
        await this.save({
          ...record,
          text: '[erased]',
          mentionKey: 'erased',
          inReplyTo: 'erased',
          state: record.state === 'scheduled' ? 'cancelled' : record.state,
        });
      }
    }
    // The thread announcements quoted the reply's text: the caller blanks them in Slack too.
    return announcements;
  }

  /** The replies written to these mentions, for a GDPR export. */
  async forMentions(mentionKeys: ReadonlySet<string>): Promise<ReplyRecord[]> {
    const found: ReplyRecord[] = [];
    for (const partition of this.collection.partitions()) {
      for await (const record of this.collection.readPartition(partition)) if (mentionKeys.has(record.mentionKey)) found.push(record);
    }
    return found;
  }

  /** Replies still scheduled or being sent. */
  async unsettled(): Promise<ReplyRecord[]> {
    return [...this.active.values()];
  }

  async claimDue(by: string, until: Date, now: Date, limit: number): Promise<ReplyRecord[]> {
    const claimed: ReplyRecord[] = [];
    for (const candidate of [...this.active.values()].sort((a, b) => (a.sendAt < b.sendAt ? -1 : 1))) {
      if (claimed.length >= limit) break;
      const reply = await this.update(candidate.key, (current) =>
        isClaimable(current, now) ? { ...current, lease: { by, until: until.toISOString() } } : undefined,
      );
      if (reply?.lease?.by === by && reply.lease.until === until.toISOString()) claimed.push(reply);
    }
    return claimed;
  }

  async activeFor(mentionKey: string): Promise<ReplyRecord | undefined> {
    return [...this.active.values()].find((record) => record.mentionKey === mentionKey);
  }

  private track(record: ReplyRecord): void {
    if (ACTIVE.has(record.state)) this.active.set(record.key, record);
    else this.active.delete(record.key);
  }
}
