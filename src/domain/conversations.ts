/**
 * Private messages (X DMs, Bluesky chats, Mastodon direct conversations) as Switchboard keeps them:
 * one conversation per customer thread on a network, one Slack thread per conversation, and every
 * message in it. Their text is personal data: it is shown only in the DMs channel and on the
 * contact's timeline, sealed at rest, exported and erased with the contact.
 */

import type { Author, PlatformId } from '../platforms/platform.ts';

/** A message read from a network's private-message API. Its text is untrusted. */
export interface InboundDirectMessage {
  platform: PlatformId;
  /** The message's ID on its network (X: the dm_event ID; Bluesky: the message ID; Mastodon: the status ID). */
  id: string;
  conversationId: string;
  text: string;
  createdAt: string;
  sender: Author;
  /** Written by the brand (from Switchboard, or from the network's own app). */
  fromBrand: boolean;
  /** The people in the conversation other than the brand. */
  participants: Author[];
  /** Bluesky: the conversation is a request the brand has not accepted yet. */
  isRequest?: boolean;
}

export type ConversationStatus = 'open' | 'resolved';

/**
 * One private conversation. `slack.ts` is the thread's parent message, set only once it exists:
 * a record without it may or may not have reached Slack (its key is in the message metadata).
 */
export interface ConversationRecord {
  /** `platform:dm:conversationId`. */
  key: string;
  platform: PlatformId;
  conversationId: string;
  /** The customer(s) on the other side; the first is the one the contact is linked to. */
  participants: Author[];
  contactId: string;
  status: ConversationStatus;
  assignee?: string;
  resolved?: { by: string; at: string };
  /** When a new message reopened a resolved conversation. */
  reopenedAt?: string;
  isRequest?: boolean;
  /** Newest message either way, and newest from the customer. */
  lastMessageAt: string;
  lastInboundAt?: string;
  /** The oldest customer message not answered yet; absent when the brand spoke last. */
  awaitingSince?: string;
  /** The first customer message (the thread's parent quotes it) and the newest one's ID on the network (a reply threads under it). */
  openingKey?: string;
  lastInboundId?: string;
  slack: { channel: string; attemptedAt: string; ts?: string };
}

/** A message in a conversation, either way. `slack.ts` is its message in the conversation's thread. */
export interface DirectMessageRecord {
  /** `platform:dm-message:id`. */
  key: string;
  conversationKey: string;
  contactId: string;
  platform: PlatformId;
  id: string;
  direction: 'in' | 'out';
  text: string;
  author: Pick<Author, 'id' | 'handle' | 'name'>;
  sentAt: string;
  /** For a reply sent from Switchboard: the Slack user who sent it. */
  sentBy?: string;
  /** For a reply: how long the customer had waited (from the oldest unanswered message), for the digest. */
  responseMs?: number;
  /** Only customer messages are posted into the thread; replies are announced by the reply flow. */
  slack?: { attemptedAt: string; ts?: string };
}

export const conversationKey = (platform: PlatformId, conversationId: string): string => `${platform}:dm:${conversationId}`;
export const directMessageKey = (platform: PlatformId, id: string): string => `${platform}:dm-message:${id}`;
export const isConversationKey = (key: string): boolean => /^[a-z]+:dm:/.test(key);

/** The conversation a newly read message opens or continues (reopening it when it was resolved). */
export function conversationAfterInbound(
  existing: ConversationRecord | undefined,
  message: InboundDirectMessage,
  start: Pick<ConversationRecord, 'contactId' | 'slack'>,
): ConversationRecord {
  const base: ConversationRecord = existing ?? {
    key: conversationKey(message.platform, message.conversationId),
    platform: message.platform,
    conversationId: message.conversationId,
    participants: message.participants,
    contactId: start.contactId,
    status: 'open',
    lastMessageAt: message.createdAt,
    slack: start.slack,
  };
  const later = (a: string | undefined, b: string) => (a && a > b ? a : b);
  if (message.fromBrand) {
    // The brand answered from the network's own app: nothing is awaited any more.
    return { ...base, lastMessageAt: later(base.lastMessageAt, message.createdAt), awaitingSince: undefined };
  }
  // Only a message written after the resolve reopens it (one read late, from before, does not). To
  // the second: X gives message times without milliseconds.
  const reopened = base.status === 'resolved' && (!base.resolved || message.createdAt.slice(0, 19) >= base.resolved.at.slice(0, 19));
  return {
    ...base,
    participants: message.participants.length ? message.participants : base.participants,
    isRequest: message.isRequest ?? base.isRequest,
    status: reopened || base.status === 'open' ? 'open' : base.status,
    resolved: reopened ? undefined : base.resolved,
    reopenedAt: reopened ? message.createdAt : base.reopenedAt,
    lastMessageAt: later(base.lastMessageAt, message.createdAt),
    lastInboundAt: later(base.lastInboundAt, message.createdAt),
    openingKey: base.openingKey ?? directMessageKey(message.platform, message.id),
    lastInboundId: !base.lastInboundAt || message.createdAt >= base.lastInboundAt ? message.id : base.lastInboundId,
    awaitingSince: base.awaitingSince && base.awaitingSince < message.createdAt ? base.awaitingSince : message.createdAt,
  };
}

/** The conversation once the brand's reply is out: answered, with how long the customer waited. */
export function conversationAfterReply(
  conversation: ConversationRecord,
  sentAt: string,
): { conversation: ConversationRecord; responseMs?: number } {
  const waited = conversation.awaitingSince ? Date.parse(sentAt) - Date.parse(conversation.awaitingSince) : undefined;
  return {
    // Answering a message request accepts it (Bluesky).
    conversation: {
      ...conversation,
      awaitingSince: undefined,
      isRequest: false,
      lastMessageAt: sentAt > conversation.lastMessageAt ? sentAt : conversation.lastMessageAt,
    },
    responseMs: waited !== undefined && waited >= 0 ? waited : undefined,
  };
}
