import { randomUUID } from 'node:crypto';
import type { Author, PlatformId } from '../platforms/platform.ts';
import type { ContactRecord, Identity } from './records.ts';

/**
 * Links a page of one platform's authors to contacts, in their order: a known author keeps their
 * contact (gaining a user ID or a new handle), a new one gets a contact, and an author met twice in
 * the page gets one. Returns each author's contact and those to write. Both stores call this inside
 * whatever makes their write atomic; `known` looks an author up in what is stored.
 */
export async function linkAuthors(
  platform: PlatformId,
  authors: readonly Author[],
  known: (author: Author) => Promise<ContactRecord | undefined>,
  now = new Date().toISOString(),
): Promise<{ contacts: ContactRecord[]; changed: ContactRecord[] }> {
  const changed = new Map<string, ContactRecord>();
  // Authors met earlier in this page, before any store has them.
  const inPage = new Map<string, ContactRecord>();
  const contacts: ContactRecord[] = [];
  for (const author of authors) {
    const byId = `id:${author.id}`;
    const byHandle = `handle:${author.handle.toLowerCase()}`;
    const found = inPage.get(byId) ?? inPage.get(byHandle) ?? (await known(author));
    const existing = found && (changed.get(found.key) ?? found);
    const identity: Identity = { platform, userId: author.id, handle: author.handle, profileUrl: author.profileUrl };
    let contact: ContactRecord;
    if (existing) {
      // A handle added by hand (no user ID yet) gains the ID; a changed handle replaces the old one.
      const match = existing.identities.find((i) => i.platform === platform && (i.userId === author.id || !i.userId));
      if (match && match.userId === author.id && match.handle === author.handle) contact = existing;
      else {
        contact = { ...existing, identities: [...existing.identities.filter((i) => i !== match), identity], updatedAt: now };
        changed.set(contact.key, contact);
      }
    } else {
      contact = { key: randomUUID(), name: author.name || author.handle, identities: [identity], createdAt: now, updatedAt: now };
      changed.set(contact.key, contact);
    }
    inPage.set(byId, contact);
    inPage.set(byHandle, contact);
    contacts.push(contact);
  }
  return { contacts, changed: [...changed.values()] };
}
