import pg from 'pg';
import type { SearchHit } from '../../domain/contact-search.ts';
import { linkAuthors } from '../../domain/link-authors.ts';
import type { ContactRecord } from '../../domain/records.ts';
import type { Author, PlatformId } from '../../platforms/platform.ts';
import type { ContactRepository } from '../../services/repositories.ts';
import { ContactIndex } from '../contact-index.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { RecordSealer, type StoredRecord } from '../record-sealer.ts';
import { isContactRecord, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { countRows, type Db, streamRecords, updateRow } from './db.ts';

/** The channel every replica listens on: a changed contact's key, sent when its transaction commits. */
const CHANNEL = 'switchboard_contacts';
/** Any fixed number: page writes that create contacts take it, so two never make one author twice. */
const ENSURE_LOCK = 0x5357_4354; // "SWCT"

/**
 * Contacts in PostgreSQL, found through an in-memory ContactIndex. Names and handles are sealed at
 * rest with PII_ENCRYPTION_KEY, so neither pg_trgm nor any other database index can search them;
 * the index is built at open (as the files do) and kept in step with this replica's writes at
 * commit and with other replicas' through LISTEN/NOTIFY (a missed notification is caught up by
 * the full reload that follows a reconnect).
 */
export class PgContacts implements ContactRepository {
  private readonly sealer: RecordSealer<ContactRecord>;

  private constructor(
    private readonly db: Db,
    private readonly index: ContactIndex,
    cipher: PiiCipher | undefined,
  ) {
    this.sealer = new RecordSealer('contacts', PERSONAL.contacts, isContactRecord, cipher, 'the contacts table');
  }

  /** The repository bound to a transaction: the same index, the same sealing. */
  bind(db: Db): PgContacts {
    return new PgContacts(db, this.index, this.sealer.cipher);
  }

  static async open(db: Db, url: string, cipher: PiiCipher | undefined): Promise<{ contacts: PgContacts; stop(): Promise<void> }> {
    const contacts = new PgContacts(db, new ContactIndex(), cipher);
    const listener = await contacts.follow(url);
    return { contacts, stop: listener.stop };
  }

  private decode = (stored: unknown): ContactRecord => this.sealer.open(stored as StoredRecord);

  /** Listens first, then loads: a change committed while loading is applied again, never missed. */
  private async follow(url: string): Promise<{ stop(): Promise<void> }> {
    let stopped = false;
    let client: pg.Client | undefined;
    const connect = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: url });
      next.on('notification', (message) => {
        // Our own writes are in the index already; another replica's are read back, a batch at a time.
        if (message.channel !== CHANNEL || !message.payload || this.db.ownSessions.has(message.processId)) return;
        this.changedElsewhere.add(message.payload);
        this.refreshSoon();
      });
      next.on('error', () => {
        // The connection is gone (a server restart, a network cut): reconnect and reload, as
        // notifications sent meanwhile are lost.
        if (stopped) return;
        setTimeout(() => void connect().catch(() => {}), 1000).unref();
      });
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
      client = next;
      await this.reload();
    };
    await connect();
    return {
      stop: async () => {
        stopped = true;
        this.stopped = true;
        clearTimeout(this.refreshTimer);
        await client?.end().catch(() => {});
      },
    };
  }

  private async reload(): Promise<void> {
    for await (const contact of this.all()) this.index.put(contact);
  }

  /** Contacts another replica changed, read back together a moment after the first notice. */
  private readonly changedElsewhere = new Set<string>();
  private refreshTimer?: NodeJS.Timeout;

  private stopped = false;

  private refreshSoon(): void {
    if (this.stopped) return;
    this.refreshTimer ??= setTimeout(() => {
      this.refreshTimer = undefined;
      const keys = [...this.changedElsewhere];
      this.changedElsewhere.clear();
      void this.refreshMany(keys).catch(() => {
        for (const key of keys) this.changedElsewhere.add(key);
        this.refreshSoon();
      });
    }, 20);
  }

  private async refreshMany(keys: string[]): Promise<void> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM contacts WHERE key = ANY($1)', [keys]);
    const found = new Set<string>();
    for (const row of rows) {
      const contact = this.decode(row.record);
      found.add(contact.key);
      this.index.put(contact);
    }
    for (const key of keys) if (!found.has(key)) this.index.remove(key);
  }

  /** Re-reads one contact (after a rollback put it back to what is committed). */
  private async refresh(key: string): Promise<void> {
    const contact = await this.get(key);
    if (contact) this.index.put(contact);
    else this.index.remove(key);
  }

  private async write(db: Db, records: readonly ContactRecord[]): Promise<void> {
    if (!records.length) return;
    await db.query(
      `INSERT INTO contacts (key, record) SELECT * FROM unnest($1::text[], $2::jsonb[])
       ON CONFLICT (key) DO UPDATE SET record = excluded.record`,
      [records.map((r) => r.key), records.map((r) => JSON.stringify(this.sealer.seal(r)))],
    );
    await db.query(`SELECT pg_notify('${CHANNEL}', key) FROM unnest($1::text[]) AS key`, [records.map((r) => r.key)]);
    // Indexed at once, so later steps of the same transaction (an import's orders) find them; a
    // rollback puts back what is committed.
    for (const record of records) this.index.put(record);
    db.afterRollback(() => {
      for (const record of records) void this.refresh(record.key).catch(() => {});
    });
  }

  count(): Promise<number> {
    return countRows(this.db, 'contacts');
  }

  /** For `npm run store -- migrate`. */
  get copy(): CollectionCopy<ContactRecord> {
    return {
      count: () => this.count(),
      read: () => this.all(),
      write: (records) => this.db.transaction((tx) => this.write(tx, records)),
    };
  }

  async get(id: string): Promise<ContactRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM contacts WHERE key = $1', [id]);
    return rows[0] ? this.decode(rows[0].record) : undefined;
  }

  async findByAuthor(platform: PlatformId, author: Pick<Author, 'id' | 'handle'>): Promise<ContactRecord | undefined> {
    const id = this.index.idOfAuthor(platform, author);
    return id ? this.get(id) : undefined;
  }

  ensureForAuthors(platform: PlatformId, authors: readonly Author[]): Promise<ContactRecord[]> {
    return this.db.transaction(async (tx) => {
      // One page at a time across replicas: two never create a contact for one new author.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [ENSURE_LOCK]);
      // The page's known contacts in one query, not a round trip per author.
      const ids = [...new Set(authors.map((author) => this.index.idOfAuthor(platform, author)).filter((id) => id !== undefined))];
      const { rows } = await tx.query<{ record: unknown }>('SELECT record FROM contacts WHERE key = ANY($1)', [ids]);
      const known = new Map(rows.map((row) => this.decode(row.record)).map((contact) => [contact.key, contact]));
      const { contacts, changed } = await linkAuthors(platform, authors, async (author) => {
        const id = this.index.idOfAuthor(platform, author);
        return id === undefined ? undefined : known.get(id);
      });
      await this.write(tx, changed);
      return contacts;
    });
  }

  async save(record: ContactRecord): Promise<void> {
    await this.db.transaction((tx) => this.write(tx, [record]));
  }

  update(id: string, change: (contact: ContactRecord) => ContactRecord | undefined): Promise<ContactRecord | undefined> {
    return updateRow(
      this.db,
      'contacts',
      id,
      this.decode,
      (contact) => {
        const changed = change(contact);
        return changed && { ...changed, key: contact.key };
      },
      (tx, next) => this.write(tx, [next]),
    );
  }

  async delete(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('DELETE FROM contacts WHERE key = $1', [id]);
      await tx.query('SELECT pg_notify($1, $2)', [CHANNEL, id]);
      this.index.remove(id);
      tx.afterRollback(() => void this.refresh(id).catch(() => {}));
    });
  }

  async find(query: string, limit = 10): Promise<SearchHit[]> {
    return this.index.find(query, limit);
  }

  async findByExternalId(externalId: string): Promise<ContactRecord | undefined> {
    const id = this.index.idOfExternal(externalId);
    return id ? this.get(id) : undefined;
  }

  async findByEmail(email: string): Promise<ContactRecord | undefined> {
    const hits = this.index.find(email, 2).filter((hit) => hit.isExact);
    return hits.length === 1 && hits[0] ? this.get(hits[0].id) : undefined;
  }

  all(): AsyncIterable<ContactRecord> {
    return streamRecords(this.db, 'contacts', 'true', [], this.decode);
  }
}
