import path from 'node:path';
import type { LikeRecord } from '../../domain/records.ts';
import type { LikeRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isLikeRecord, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

export class LikeStore implements LikeRepository {
  private collection!: SegmentedCollection<LikeRecord, 'author'>;

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<LikeStore> {
    const store = new LikeStore();
    store.collection = await SegmentedCollection.open<LikeRecord, 'author'>(path.join(dataDir, 'likes'), {
      partitionOf: (record) => record.createdAt.slice(0, 10),
      isRecord: isLikeRecord,
      personal: PERSONAL.likes,
      cipher: options.cipher,
    });
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

  /** Stores a like once; true when it was new. */
  async record(like: LikeRecord): Promise<boolean> {
    if (await this.collection.get(like.key)) return false;
    await this.collection.put(like);
    return true;
  }

  /**
   * Every like by this person: linked to their contact, or made by one of their identities before
   * they were a contact. Reads every day's file: erasure and export are rare, ingest never does this.
   */
  async forPerson(contactId: string, identities: ReadonlyArray<{ platform: string; userId: string }>): Promise<LikeRecord[]> {
    const isTheirs = (like: LikeRecord) =>
      like.contactId === contactId ||
      identities.some((identity) => identity.platform === like.platform && identity.userId === like.author.id);
    const found: LikeRecord[] = [];
    for (const day of this.collection.partitions()) {
      for await (const like of this.collection.readPartition(day)) if (isTheirs(like)) found.push(like);
    }
    return found;
  }

  /** Moves the likes linked to contact `from` to contact `to` (a merge). Reads every day's file, as erasure does. */
  async reassign(from: string, to: string): Promise<void> {
    for (const day of this.collection.partitions()) {
      const keys: string[] = [];
      for await (const like of this.collection.readPartition(day)) if (like.contactId === from) keys.push(like.key);
      if (keys.length) await this.collection.upsertMany(keys, (_key, like) => (like ? { ...like, contactId: to } : undefined));
    }
  }

  /** Erases a person's likes (GDPR erasure). */
  async deleteForPerson(contactId: string, identities: ReadonlyArray<{ platform: string; userId: string }>): Promise<number> {
    const likes = await this.forPerson(contactId, identities);
    for (const like of likes) await this.collection.delete(like.key);
    return likes.length;
  }

  /** The likes whose UTC day is `day` (the digest reads by day, as for mentions). */
  readDay(day: string): AsyncGenerator<LikeRecord> {
    return this.collection.readPartition(day);
  }
}
