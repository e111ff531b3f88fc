/**
 * The records Switchboard keeps, as the core sees them: every store (lowdb files today) implements
 * them, and services and views speak in these types, never in a store's.
 */

import type { Author, InboundMention, PlatformId } from '../platforms/platform.ts';
import type { OrderInput } from './customer-data.ts';
import type { Classification, Label } from './triage/labels.ts';

/** Who is handling a mention and what has been done: shown on the mention message. */
export interface MentionWorkflow {
  assignee?: string;
  resolved?: { by: string; at: string };
  liked?: { by: string; at: string };
  replies?: Array<{ by: string; at: string; url?: string }>;
  /** What an automatic-reply rule did here (shown as "Auto-replied by rule …"). */
  automatic?: AutomaticTouch;
  /** Hidden from everyone but its author by a person (Facebook, Instagram moderation). */
  hidden?: { by: string; at: string };
  /** Its author deleted it on the network. */
  removed?: { at: string };
}

/** The latest automatic-reply rule to act on a mention, and how its reply stands. */
export interface AutomaticTouch {
  rule: string;
  state: 'dry_run' | 'scheduled' | 'sent' | 'cancelled' | 'held' | 'failed';
  at: string;
  /** Why it was held back or cancelled; or, for a dry run, what it would have sent. */
  detail?: string;
  /** The rule assigned the mention to this person (a rule's assignment is not a person acting). */
  assigned?: string;
}

/**
 * A mention as Switchboard keeps it. `slack.ts` is set only once the Slack message exists:
 * a record without it is a post that was attempted and may or may not have reached Slack.
 */
export interface MentionRecord {
  /** `platform:id`, e.g. `x:1861234567890123456`: unique across platforms, carried in Slack metadata. */
  key: string;
  mention: InboundMention;
  classification: Classification;
  contactId: string;
  slack: {
    channel: string;
    /** When the post to Slack was first attempted: the history search starts a little before it. */
    attemptedAt: string;
    ts?: string;
    postedAt?: string;
    /** Where its message was before a relabel moved it (each now a pointer): erasure clears them too. */
    previous?: Array<{ channel: string; ts: string }>;
    /**
     * Posted during a surge, in the surge message's thread, in one message with a few others
     * (`batch`, their keys in order): `ts` is that message's, `threadTs` the surge message's.
     */
    threadTs?: string;
    batch?: string[];
  };
  workflow?: MentionWorkflow;
}

/**
 * Who needs an answer first, when Slack's pace (one message a second per channel) means a backlog:
 * 1 — a question or complaint from someone the CRM knew before (an import, a link, an earlier
 * post); 2 — any other question or complaint; 3 — the rest. Oldest first within a class.
 */
export type DeliveryPriority = 1 | 2 | 3;

/** A mention message owed to Slack (services/mention-delivery.ts). */
export interface QueuedMention {
  key: string;
  channel: string;
  priority: DeliveryPriority;
  /** When the post was written on its network: the order within a class. */
  createdAt: string;
  queuedAt: string;
}

/** A mention about to be posted: its Slack place is only a channel yet. */
export type MentionAttempt = Omit<MentionRecord, 'slack'> & { slack: { channel: string } };

export const mentionKey = (mention: Pick<InboundMention, 'platform' | 'id'>): string => `${mention.platform}:${mention.id}`;

/** Whether the mention's Slack message exists (an attempt alone may or may not have reached Slack). */
export const isPosted = (record: MentionRecord | undefined): record is MentionRecord & { slack: { ts: string } } =>
  Boolean(record?.slack.ts);

export interface Identity {
  platform: PlatformId;
  userId: string;
  handle: string;
  profileUrl: string;
}

export interface ContactRecord {
  /** The contact's ID (`key` is what the segmented store indexes by). */
  key: string;
  name: string;
  identities: Identity[];
  emails?: string[];
  phone?: string;
  company?: string;
  tags?: string[];
  /** Anything else the team tracks (plan, region, account manager…). */
  fields?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/**
 * The durable outbox of public replies. A request is stored under a key derived from the Slack
 * request (the modal's view ID, the thread message's channel and ts) before anything is sent or
 * announced: a key seen before is never sent again, whatever Slack retries or a person repeats.
 */
export type ReplyState =
  /** Waiting out the undo window. */
  | 'scheduled'
  /** Undone within the window: never sent. */
  | 'cancelled'
  /** The call to the platform has started: after a crash, it is not known whether it went out. */
  | 'sending'
  | 'sent'
  /** The platform refused it; nothing was published. */
  | 'failed'
  /** It may or may not be out, and it could not be settled: shown to staff, never sent again. */
  | 'uncertain';

export interface ReplyRecord {
  key: string;
  mentionKey: string;
  platform: PlatformId;
  /** The post replied to, on its platform. */
  inReplyTo: string;
  text: string;
  requestedBy: string;
  requestedAt: string;
  sendAt: string;
  state: ReplyState;
  /** The mention message (the thread the reply is announced in). */
  thread: { channel: string; ts: string };
  announcement?: { channel: string; ts: string };
  attempts: number;
  sent?: { id?: string; url?: string; at: string; note?: string };
  cancelledBy?: string;
  failure?: string;
  /** Set when a rule asked for it: which rule, at which version (a reply of an older version is not sent). */
  automatic?: { ruleId: string; ruleName: string; ruleVersion: number };
  /** Why it was cancelled when nobody pressed Undo (a person took over, automation was paused…). */
  cancelReason?: string;
  /**
   * Which process is sending it, until when: with several replicas, the one that claimed a due reply
   * sends it; another takes over only once the lease has run out (its holder died mid-send).
   */
  lease?: { by: string; until: string };
}

/** Every public action, and every refusal of one: who, when, what, and the platform post. */
export type AuditAction =
  | 'reply_scheduled'
  | 'reply_sent'
  | 'reply_undone'
  | 'reply_failed'
  | 'reply_uncertain'
  | 'like'
  /** The brand's like taken back. */
  | 'unlike'
  /** A comment hidden from everyone but its author, or shown again (Facebook, Instagram). */
  | 'hide'
  | 'unhide'
  | 'refused'
  /** A teammate corrected a mention's triage label (`detail`: from → to). */
  | 'relabel'
  /** A contact's personal data was erased (GDPR); the entry names no one but the person who did it. */
  | 'erasure'
  /** An admin added, edited, switched or deleted an automatic-reply rule (`detail` says what). */
  | 'rule_change'
  /** Automatic replies paused or resumed for everyone. */
  | 'automation_paused'
  | 'automation_resumed'
  /** A rule in dry run would have replied (`text`: what it would have sent). */
  | 'auto_reply_dry_run'
  /** A rule assigned a mention (`detail`: to whom). */
  | 'auto_assigned';

export interface AuditEntry {
  key: string;
  at: string;
  /** Slack user ID of the person who acted, `rule <name>` for an automatic-reply rule, or `switchboard` for the bot's own steps. */
  actor: string;
  action: AuditAction;
  mentionKey?: string;
  text?: string;
  platformPostId?: string;
  detail?: string;
}

/** What happened with a contact, beyond their mentions: internal notes (and, later, orders). */
export interface TimelineEntry {
  /** Derived from the source (e.g. the Slack message's channel and ts), so a retried event stores once. */
  key: string;
  contactId: string;
  kind: 'note';
  text: string;
  by: string;
  at: string;
  mentionKey?: string;
}

/** An order from the shop or billing system, linked to a contact by email or customer ID. */
export interface OrderRecord extends OrderInput {
  /** `order:<external ID>`. */
  key: string;
  contactId?: string;
  importedAt: string;
}

/**
 * Likes of the brand's own posts, as the networks report them: what the digest sums per customer.
 * Keyed `platform:id`, so reading the same like twice (a retry, a restart) stores it once.
 */
export interface LikeRecord {
  key: string;
  platform: PlatformId;
  postId: string;
  author: Pick<Author, 'id' | 'handle' | 'name'>;
  /** The contact the liker is known as, if any: a like alone does not make a contact. */
  contactId?: string;
  createdAt: string;
}

/** The team's library of saved replies, with `{{first_name}}`, `{{handle}}`, `{{agent}}` variables. */
/**
 * A staff member's correction of a mention's triage label. It names the post by key only (its text
 * stays with the mention, so erasing the mention erases what the correction taught); the latest
 * correction of a mention replaces the earlier ones, and `modelLabel` stays what the model said.
 */
export interface TriageCorrection {
  mentionKey: string;
  label: Label;
  modelLabel: Label;
  by: string;
  at: string;
}

export interface SavedReply {
  name: string;
  text: string;
  createdBy: string;
  createdAt: string;
}

/**
 * Which scheduled digests have been posted. An entry is written before the Slack call (an attempt)
 * and completed with the message ts after it, so a restart knows to search the channel rather than
 * post again. `since` is when this DATA_DIR first ran the scheduler: runs before it were never
 * missed, so a fresh install does not post a catch-up digest for a day it never watched.
 */
export interface DigestLogEntry {
  key: string;
  channel: string;
  /** The days it covers (absent in entries written before digests could be redrawn: `daily:<day>` says it). */
  period?: { first: string; last: string };
  /** Who asked for it (`/crm digest`), a Slack user ID. */
  requestedBy?: string;
  attemptedAt: string;
  ts?: string;
  postedAt?: string;
  chart?: { state: 'uploading' | 'uploaded' | 'failed'; fileId?: string; detail?: string };
}
