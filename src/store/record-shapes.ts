import { createHash } from 'node:crypto';
import type { ConversationRecord, DirectMessageRecord } from '../domain/conversations.ts';
import type { AuditEntry, ContactRecord, LikeRecord, MentionRecord, OrderRecord, ReplyRecord, TimelineEntry } from '../domain/records.ts';

/**
 * What each collection holds, for both stores: how to recognise a record read back, and which of
 * its fields are personal data (sealed together at rest when PII_ENCRYPTION_KEY is set). One list,
 * so the files and PostgreSQL seal the same fields and data copies between them as it is.
 */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isMentionRecord = (value: unknown): value is MentionRecord =>
  isObject(value) &&
  typeof value.key === 'string' &&
  isObject(value.mention) &&
  isObject(value.classification) &&
  typeof value.contactId === 'string' &&
  isObject(value.slack) &&
  typeof value.slack.channel === 'string';

export const isContactRecord = (value: unknown): value is ContactRecord =>
  isObject(value) && typeof value.key === 'string' && typeof value.name === 'string' && Array.isArray(value.identities);

export const isReplyRecord = (value: unknown): value is ReplyRecord =>
  isObject(value) && typeof value.key === 'string' && typeof value.mentionKey === 'string' && typeof value.state === 'string';

export const isAuditEntry = (value: unknown): value is AuditEntry =>
  isObject(value) && typeof value.key === 'string' && typeof value.action === 'string' && typeof value.at === 'string';

export const isTimelineEntry = (value: unknown): value is TimelineEntry =>
  isObject(value) && typeof value.key === 'string' && typeof value.contactId === 'string' && typeof value.kind === 'string';

export const isOrderRecord = (value: unknown): value is OrderRecord =>
  isObject(value) && typeof value.key === 'string' && typeof value.totalCents === 'number' && typeof value.currency === 'string';

export const isLikeRecord = (value: unknown): value is LikeRecord =>
  isObject(value) && typeof value.key === 'string' && typeof value.createdAt === 'string' && isObject(value.author);

export const isConversationRecord = (value: unknown): value is ConversationRecord =>
  isObject(value) &&
  typeof value.key === 'string' &&
  typeof value.contactId === 'string' &&
  Array.isArray(value.participants) &&
  typeof value.status === 'string' &&
  isObject(value.slack);

export const isDirectMessageRecord = (value: unknown): value is DirectMessageRecord =>
  isObject(value) &&
  typeof value.key === 'string' &&
  typeof value.conversationKey === 'string' &&
  typeof value.text === 'string' &&
  isObject(value.author) &&
  typeof value.sentAt === 'string';

/** Personal fields per collection (the post with its author; a contact's name and details; texts that quote people). */
export const PERSONAL = {
  mentions: ['mention'],
  contacts: ['name', 'identities', 'emails', 'phone', 'company', 'tags', 'fields'],
  outbox: ['text'],
  audit: ['text', 'detail'],
  timeline: ['text'],
  orders: ['email', 'customerExternalId'],
  likes: ['author'],
  conversations: ['participants'],
  directMessages: ['text', 'author'],
} as const satisfies Record<string, readonly string[]>;

/** An erased mention's tombstone: a hash of its key only (no one can read back whose it was), the same in both stores. */
export const erasureHash = (key: string): string => createHash('sha256').update(`switchboard-erased:${key}`).digest('hex');
