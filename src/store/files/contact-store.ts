import path from 'node:path';
import type { SearchHit } from '../../domain/contact-search.ts';
import { linkAuthors } from '../../domain/link-authors.ts';
import type { ContactRecord } from '../../domain/records.ts';
import type { Author, PlatformId } from '../../platforms/platform.ts';
import type { ContactRepository } from '../../services/repositories.ts';
import { ContactIndex } from '../contact-index.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isContactRecord, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

type ContactPersonalField = (typeof PERSONAL.contacts)[number];

export class ContactStore implements ContactRepository {
  private readonly index = new ContactIndex();
  private collection!: SegmentedCollection<ContactRecord, ContactPersonalField>;

  /** With a cipher (PII_ENCRYPTION_KEY), everything that tells who the person is is sealed on disk. */
  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<ContactStore> {
    const store = new ContactStore();
    store.collection = await SegmentedCollection.open(path.join(dataDir, 'contacts'), {
      partitionOf: (record) => record.createdAt.slice(0, 7),
      isRecord: isContactRecord,
      onOpen: (record) => store.index.put(record),
      personal: PERSONAL.contacts,
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

  private read(id: string): Promise<ContactRecord | undefined> {
    return this.collection.get(id);
  }

  async count(): Promise<number> {
    return this.collection.size;
  }

  get(id: string): Promise<ContactRecord | undefined> {
    return this.read(id);
  }

  /** The contact this author is linked to: by user ID first, then by handle. */
  async findByAuthor(platform: PlatformId, author: Pick<Author, 'id' | 'handle'>): Promise<ContactRecord | undefined> {
    const id = this.index.idOfAuthor(platform, author);
    return id ? this.read(id) : undefined;
  }

  /**
   * Links an author to their contact, creating one for a new author. A known handle with a user ID
   * not yet recorded (an identity added by hand, by handle only) gains the ID.
   */
  async ensureForAuthor(platform: PlatformId, author: Author): Promise<ContactRecord> {
    const [contact] = await this.ensureForAuthors(platform, [author]);
    if (!contact) throw new Error('ensureForAuthor: no contact');
    return contact;
  }

  /**
   * `ensureForAuthor` for a page of authors, in their order: contacts created or changed are
   * written in one go (one write per file they touch), and an author seen twice gets one contact.
   */
  async ensureForAuthors(platform: PlatformId, authors: readonly Author[]): Promise<ContactRecord[]> {
    const { contacts, changed } = await linkAuthors(platform, authors, (author) => this.findByAuthor(platform, author));
    const byKey = new Map(changed.map((contact) => [contact.key, contact]));
    if (byKey.size) await this.collection.upsertMany([...byKey.keys()], (key) => byKey.get(key));
    for (const contact of changed) this.index.put(contact);
    return contacts;
  }

  /** Removes a contact from its file and every index (after a merge, or an erasure). */
  async delete(id: string): Promise<void> {
    await this.collection.delete(id);
    this.index.remove(id);
  }

  /** Contacts matching what an agent typed (name with typos, @handle, email, company), best first. */
  async find(query: string, limit = 10): Promise<SearchHit[]> {
    return this.index.find(query, limit);
  }

  /** Stores a contact whole and re-indexes it. */
  async save(record: ContactRecord): Promise<void> {
    await this.collection.put(record);
    this.index.put(record);
  }

  /** Read, change and write as one step in the collection's queue: no concurrent change is lost. */
  async update(id: string, change: (contact: ContactRecord) => ContactRecord | undefined): Promise<ContactRecord | undefined> {
    const updated = await this.collection.update(id, (existing) => {
      const changed = change(existing);
      return changed && { ...changed, key: existing.key };
    });
    if (updated) this.index.put(updated);
    return updated;
  }

  /** Every contact, partition by partition (exports). */
  async *all(): AsyncGenerator<ContactRecord> {
    for (const partition of this.collection.partitions()) {
      yield* this.collection.readPartition(partition);
    }
  }

  findByExternalId(externalId: string): Promise<ContactRecord | undefined> {
    const id = this.index.idOfExternal(externalId);
    return id ? this.read(id) : Promise.resolve(undefined);
  }

  /** The contact with this email, if exactly one has it. */
  async findByEmail(email: string): Promise<ContactRecord | undefined> {
    const hits = this.index.find(email, 2).filter((hit) => hit.isExact);
    return hits.length === 1 && hits[0] ? this.read(hits[0].id) : undefined;
  }
}
