import path from 'node:path';
import type { Low } from 'lowdb';
import type { MentionAttempt, MentionRecord, MentionWorkflow } from '../../domain/records.ts';
import type { MentionRepository, PostedPlace } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { erasureHash, isMentionRecord, PERSONAL } from '../record-shapes.ts';
import { type CollectionCopy, type TombstoneRow, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

/**
 * Erased mentions, by a hash of their key only (no one can read back whose they were): ingest
 * re-reads a window below its cursor to catch late posts, and must not bring an erased one back.
 */
interface ErasedData {
  erased: Record<string, string>;
}
const isErasedData = (data: unknown): data is ErasedData => isObject(data) && isObject(data.erased);

export class MentionStore implements MentionRepository {
  /**
   * Per contact, the segments holding their mentions (numbers, not keys: a million key strings
   * would be most of the store's memory). Never too few; after a merge it may list a segment the
   * contact has left, which `keysWhere` then finds nothing in.
   */
  private readonly byContact = new Map<string, number[]>();
  /** `byContact` is built after open, in the background, from the segments' index files: start-up does not wait for it. */
  private contactIndexReady: Promise<void> = Promise.resolve();
  /** The post (author, text, link) is personal data; the key, labels and Slack place are not. */
  private collection!: SegmentedCollection<MentionRecord, 'mention', 'contactId'>;
  private erased!: Low<ErasedData>;

  static async open(dataDir: string, options: { maxPerSegment?: number; cipher?: PiiCipher } = {}): Promise<MentionStore> {
    const store = new MentionStore();
    store.erased = await openJsonFile(path.join(dataDir, 'erased-mentions.json'), { erased: {} }, isErasedData);
    store.collection = await SegmentedCollection.open<MentionRecord, 'mention', 'contactId'>(path.join(dataDir, 'mentions'), {
      // Partition by the day the mention was written on its platform: the digest reads by day.
      partitionOf: (record) => record.mention.createdAt.slice(0, 10),
      isRecord: isMentionRecord,
      maxPerSegment: options.maxPerSegment,
      // Opening reads only the keys; the contact index follows from the same small files, never
      // decrypting a mention.
      indexFields: ['contactId'],
      personal: PERSONAL.mentions,
      cipher: options.cipher,
    });
    store.contactIndexReady = store.collection.scanField('contactId', (contactId, segment) => {
      if (typeof contactId === 'string') store.indexContact(contactId, segment);
    });
    // Awaited where it is used (keysForContact); never an unhandled rejection meanwhile.
    store.contactIndexReady.catch(() => {});
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

  /** Erased mentions' tombstones, for `npm run store -- migrate`. */
  get erasedCopy(): CollectionCopy<TombstoneRow> {
    return {
      count: async () => Object.keys(this.erased.data.erased).length,
      read: () => toAsync(Object.entries(this.erased.data.erased).map(([hash, at]) => ({ hash, at }))),
      write: async (rows) => {
        for (const row of rows) this.erased.data.erased[row.hash] = row.at;
        await this.erased.write();
      },
    };
  }

  /** The keys of a contact's mentions, oldest first. */
  async keysForContact(contactId: string): Promise<string[]> {
    await this.contactIndexReady;
    const segments = this.byContact.get(contactId);
    return segments ? this.collection.keysWhere(segments, 'contactId', contactId) : [];
  }

  /** Moves every mention of contact `from` to contact `to` (a merge, or a link by hand). */
  async reassignContact(from: string, to: string, onlyKeys?: ReadonlySet<string>): Promise<number> {
    const keys = (await this.keysForContact(from)).filter((key) => !onlyKeys || onlyKeys.has(key));
    for (const key of keys) {
      await this.collection.update(key, (record) => ({ ...record, contactId: to }));
      this.indexContact(to, this.collection.segmentNumberOf(key));
    }
    if (!onlyKeys) this.byContact.delete(from);
    return keys.length;
  }

  /** Erases a contact's mentions from the files (GDPR erasure). Returns the erased keys. */
  async deleteForContact(contactId: string): Promise<string[]> {
    const keys = await this.keysForContact(contactId);
    // Tombstones first: a crash midway leaves a mention hidden, never one brought back.
    const at = new Date().toISOString();
    for (const key of keys) this.erased.data.erased[erasureHash(key)] = at;
    if (keys.length) await this.erased.write();
    for (const key of keys) await this.collection.delete(key);
    this.byContact.delete(contactId);
    return keys;
  }

  /** Whether this mention was erased (GDPR): ingest must not store it again when it re-reads it. */
  async wasErased(key: string): Promise<boolean> {
    return Object.hasOwn(this.erased.data.erased, erasureHash(key));
  }

  /** Called once per stored mention (at open, and when a mention is recorded or moves to a contact). */
  private indexContact(contactId: string, segment: number | undefined): void {
    if (segment === undefined) return;
    const segments = this.byContact.get(contactId);
    if (!segments) this.byContact.set(contactId, [segment]);
    // A contact's mentions arrive in order: the segment is almost always the last one listed.
    else if (segments.at(-1) !== segment && !segments.includes(segment)) segments.push(segment);
  }

  async count(): Promise<number> {
    return this.collection.size;
  }

  get(key: string): Promise<MentionRecord | undefined> {
    return this.collection.get(key);
  }

  async getMany(keys: readonly string[]): Promise<Map<string, MentionRecord>> {
    const found = new Map<string, MentionRecord>();
    for (const key of keys) {
      const record = await this.collection.get(key);
      if (record) found.set(key, record);
    }
    return found;
  }

  /** Write-ahead: the intent to post, stored before the Slack call. */
  async recordAttempt(record: MentionAttempt): Promise<MentionRecord> {
    const [stored] = await this.recordAttempts([record]);
    if (!stored) throw new Error(`recordAttempt: ${record.key} was not stored`);
    return stored;
  }

  /**
   * Write-ahead for several mentions at once (a page): one write per day file they touch. A mention
   * already attempted keeps its first attempt's time (the history search starts there) and its
   * Slack ts if it has one.
   */
  async recordAttempts(records: readonly MentionAttempt[]): Promise<MentionRecord[]> {
    const byKey = new Map(records.map((record) => [record.key, record]));
    const now = new Date().toISOString();
    const stored = await this.collection.upsertMany([...byKey.keys()], (key, existing) => {
      const record = byKey.get(key);
      if (!record) return undefined;
      return {
        ...record,
        workflow: existing?.workflow ?? record.workflow,
        slack: existing?.slack.ts ? existing.slack : { channel: record.slack.channel, attemptedAt: existing?.slack.attemptedAt ?? now },
      };
    });
    for (const record of stored) this.indexContact(record.contactId, this.collection.segmentNumberOf(record.key));
    return stored;
  }

  /** The mention is in Slack: only now is it seen. */
  async recordPosted(key: string, ts: string): Promise<MentionRecord> {
    const [stored] = await this.markPosted([{ key, ts }]);
    if (!stored) throw new Error(`recordPosted: no attempt recorded for ${key}`);
    return stored;
  }

  /** Several mentions are in Slack: one write per day file they touch. */
  async recordPostedMany(posted: ReadonlyArray<PostedPlace>): Promise<number> {
    return (await this.markPosted(posted)).length;
  }

  private markPosted(posted: ReadonlyArray<PostedPlace>): Promise<MentionRecord[]> {
    const placeOf = new Map(posted.map((entry) => [entry.key, entry]));
    const postedAt = new Date().toISOString();
    return this.collection.upsertMany([...placeOf.keys()], (key, existing) => {
      const place = placeOf.get(key);
      if (!existing || !place) return undefined;
      const { ts, threadTs, batch } = place;
      return { ...existing, slack: { ...existing.slack, ts, postedAt, ...(threadTs ? { threadTs, batch } : {}) } };
    });
  }

  /**
   * Applies `change` to the mention's workflow, atomically: a reply marked sent and a Like pressed
   * at the same instant both land, whoever holds which lock. Returns the updated record.
   */
  async updateWorkflow(key: string, change: (workflow: MentionWorkflow) => MentionWorkflow): Promise<MentionRecord> {
    const stored = await this.collection.update(key, (existing) => ({ ...existing, workflow: change({ ...existing.workflow }) }));
    if (!stored) throw new Error(`updateWorkflow: no mention ${key}`);
    return stored;
  }

  async updateTriage(
    key: string,
    change: (record: MentionRecord) => Pick<MentionRecord, 'classification' | 'slack'> & Partial<Pick<MentionRecord, 'mention'>>,
  ): Promise<MentionRecord> {
    const stored = await this.collection.update(key, (existing) => ({ ...existing, ...change(existing) }));
    if (!stored) throw new Error(`updateTriage: no mention ${key}`);
    return stored;
  }

  async days(): Promise<string[]> {
    return this.collection.partitions();
  }

  readDay(day: string): AsyncGenerator<MentionRecord> {
    return this.collection.readPartition(day);
  }
}
