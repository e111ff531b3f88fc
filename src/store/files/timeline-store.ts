import path from 'node:path';
import type { TimelineEntry } from '../../domain/records.ts';
import type { TimelineRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isTimelineEntry, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

export class TimelineStore implements TimelineRepository {
  private readonly byContact = new Map<string, string[]>();
  private collection!: SegmentedCollection<TimelineEntry, 'text', 'contactId'>;

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<TimelineStore> {
    const store = new TimelineStore();
    store.collection = await SegmentedCollection.open<TimelineEntry, 'text', 'contactId'>(path.join(dataDir, 'timeline'), {
      partitionOf: (entry) => entry.at.slice(0, 10),
      isRecord: isTimelineEntry,
      onOpenPlain: (entry) => store.index(entry),
      indexFields: ['contactId'],
      personal: PERSONAL.timeline,
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

  /** Stores the entry unless its key is already there. Returns whether it was new. */
  async add(entry: TimelineEntry): Promise<boolean> {
    if (this.collection.has(entry.key)) return false;
    await this.collection.put(entry);
    this.index(entry);
    return true;
  }

  /** The contact's entries, newest first. */
  async forContact(contactId: string): Promise<TimelineEntry[]> {
    const entries: TimelineEntry[] = [];
    for (const key of this.byContact.get(contactId) ?? []) {
      const entry = await this.collection.get(key);
      if (entry) entries.push(entry);
    }
    return entries.sort((a, b) => (a.at < b.at ? 1 : -1));
  }

  /** Erases a contact's entries (GDPR erasure). */
  async deleteForContact(contactId: string): Promise<number> {
    const keys = this.byContact.get(contactId) ?? [];
    for (const key of keys) await this.collection.delete(key);
    this.byContact.delete(contactId);
    return keys.length;
  }

  /** Moves every entry of contact `from` to contact `to` (a merge). */
  async reassign(from: string, to: string): Promise<void> {
    for (const entry of await this.forContact(from)) await this.collection.put({ ...entry, contactId: to });
    this.byContact.set(to, [...(this.byContact.get(to) ?? []), ...(this.byContact.get(from) ?? [])]);
    this.byContact.delete(from);
  }

  private index(entry: Pick<TimelineEntry, 'key' | 'contactId'>): void {
    const keys = this.byContact.get(entry.contactId) ?? [];
    keys.push(entry.key);
    this.byContact.set(entry.contactId, keys);
  }
}
