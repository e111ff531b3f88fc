import { ContactSearchIndex, type SearchHit } from '../domain/contact-search.ts';
import type { ContactRecord } from '../domain/records.ts';
import type { Author, PlatformId } from '../platforms/platform.ts';

/** Two ways to recognise an author: the platform's user ID (stable) and the handle (what people type). */
const byUserId = (platform: PlatformId, userId: string) => `${platform}:id:${userId}`;
const byHandle = (platform: PlatformId, handle: string) => `${platform}:handle:${handle.toLowerCase()}`;

/**
 * What finds a contact in memory, for both stores: by identity (platform user ID, then handle), by
 * the shop's customer ID, and by what an agent types (fuzzy search). Contacts' names and handles
 * are sealed at rest, so no database index can serve these; the stores keep this one in step with
 * every write (PostgreSQL also with other replicas' writes, through LISTEN/NOTIFY).
 */
export class ContactIndex {
  private readonly identities = new Map<string, string>();
  /** The shop's customer ID (`fields.external_id`) → contact: how imports find who they update. */
  private readonly externalIds = new Map<string, string>();
  private readonly search = new ContactSearchIndex();
  /** The identity keys and customer ID each contact is indexed under, so a change removes what it no longer has. */
  private readonly indexed = new Map<string, { identityKeys: string[]; externalId?: string }>();

  idOfAuthor(platform: PlatformId, author: Pick<Author, 'id' | 'handle'>): string | undefined {
    return this.identities.get(byUserId(platform, author.id)) ?? this.identities.get(byHandle(platform, author.handle));
  }

  idOfExternal(externalId: string): string | undefined {
    return this.externalIds.get(externalId);
  }

  find(query: string, limit: number): SearchHit[] {
    return this.search.search(query, limit);
  }

  /** Indexes the contact as it is now, dropping what it was known by before (a removed handle, email, customer ID). */
  put(record: ContactRecord): void {
    this.remove(record.key);
    const externalId = record.fields?.external_id;
    if (externalId) this.externalIds.set(externalId, record.key);
    this.search.upsert({
      id: record.key,
      name: record.name,
      handles: record.identities.map((identity) => identity.handle),
      emails: record.emails ?? [],
      company: record.company,
    });
    const identityKeys = record.identities.flatMap((identity) => [
      ...(identity.userId ? [byUserId(identity.platform, identity.userId)] : []),
      byHandle(identity.platform, identity.handle),
    ]);
    for (const key of identityKeys) this.identities.set(key, record.key);
    this.indexed.set(record.key, { identityKeys, externalId });
  }

  remove(id: string): void {
    const indexed = this.indexed.get(id);
    if (!indexed) return;
    this.search.remove(id);
    this.indexed.delete(id);
    if (indexed.externalId && this.externalIds.get(indexed.externalId) === id) this.externalIds.delete(indexed.externalId);
    for (const key of indexed.identityKeys) if (this.identities.get(key) === id) this.identities.delete(key);
  }
}
