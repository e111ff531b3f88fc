import type { ConversationRecord, DirectMessageRecord } from '../../src/domain/conversations.ts';
import type { ContactRecord, MentionRecord } from '../../src/domain/records.ts';
import type { Store } from '../../src/services/repositories.ts';

type AttemptRecord = Omit<MentionRecord, 'slack'> & { slack: { channel: string } };

/** Payload factories with defaults: a test states only what matters to it. */
export function mentionRecord(
  id: string,
  createdAt = '2026-11-25T09:00:00.000Z',
  overrides: { text?: string; handle?: string; name?: string } = {},
): AttemptRecord {
  return {
    key: `x:${id}`,
    mention: {
      platform: 'x',
      id,
      text: overrides.text ?? `mention ${id}`,
      url: `https://x.com/ada/status/${id}`,
      createdAt,
      author: { id: '42', handle: overrides.handle ?? 'ada', name: overrides.name ?? 'Ada', profileUrl: 'https://x.com/ada' },
      cursor: id,
    },
    classification: { label: 'Question', sentiment: { score: 0, label: 'neutral' } },
    contactId: 'contact-1',
    slack: { channel: 'C0MENTIONS' },
  };
}

/** A person in a store, with a mention (and its triage correction), an email, a note, an order and a like of ours: what merges and erasures move or remove. */
export async function storedPerson(store: Store, id: string, name: string): Promise<ContactRecord> {
  const handle = `${name.toLowerCase()}_h`;
  const [contact] = await store.contacts.ensureForAuthors('x', [{ id, handle, name, profileUrl: `https://x.com/${handle}` }]);
  if (!contact) throw new Error('no contact');
  await store.contacts.update(contact.key, (current) => ({ ...current, emails: [`${name.toLowerCase()}@example.com`] }));
  await store.mentions.recordAttempts([
    { ...mentionRecord(`9${id}`, '2026-11-25T09:00:00.000Z', { text: `${name} wrote this`, handle, name }), contactId: contact.key },
  ]);
  // A teammate corrected its triage label: the correction names the post, so erasure removes it too.
  await store.triageCorrections.record({
    mentionKey: `x:9${id}`,
    label: 'Complaint',
    modelLabel: 'Question',
    by: 'U0AGENT01',
    at: '2026-11-25T09:30:00.000Z',
  });
  await store.timeline.add({
    key: `note-${id}`,
    contactId: contact.key,
    kind: 'note',
    text: `${name}'s note`,
    by: 'U0AGENT01',
    at: '2026-11-25T10:00:00.000Z',
  });
  await store.orders.save({
    key: `order:${id}`,
    externalId: id,
    email: `${name.toLowerCase()}@example.com`,
    totalCents: 1000,
    currency: 'EUR',
    status: 'paid',
    createdAt: '2026-11-20T08:00:00.000Z',
    contactId: contact.key,
    importedAt: '2026-11-25T08:00:00.000Z',
  });
  await store.likes.record({
    key: `x:like-${id}`,
    platform: 'x',
    postId: '1',
    author: { id, handle, name },
    contactId: contact.key,
    createdAt: '2026-11-25T11:00:00.000Z',
  });
  return contact;
}

/** A private conversation as ingest opens it, with one Bluesky customer. */
export function conversationRecord(key: string, options: { contactId: string; attemptedAt: string }): ConversationRecord {
  return {
    key,
    platform: 'bluesky',
    conversationId: key.split(':dm:')[1] ?? key,
    participants: [{ id: 'did:plc:ada', handle: 'ada.bsky.social', name: 'Ada', profileUrl: 'https://bsky.app/profile/ada.bsky.social' }],
    contactId: options.contactId,
    status: 'open',
    lastMessageAt: options.attemptedAt,
    slack: { channel: 'C0DMS', attemptedAt: options.attemptedAt },
  };
}

/** A customer's message in a conversation. */
export function directMessage(conversationKey: string, id: string, sentAt: string): DirectMessageRecord {
  const platform = conversationKey.split(':')[0] as DirectMessageRecord['platform'];
  return {
    key: `${platform}:dm-message:${id}`,
    conversationKey,
    contactId: 'c1',
    platform,
    id,
    direction: 'in',
    text: `message ${id}`,
    author: { id: 'did:plc:ada', handle: 'ada.bsky.social', name: 'Ada' },
    sentAt,
  };
}
