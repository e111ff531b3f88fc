import type { ConversationRecord, DirectMessageRecord } from '../domain/conversations.ts';
import type { DigestFigures } from '../domain/digest-stats.ts';
import type { InboxPage } from '../domain/inbox.ts';
import type { MentionRecord, ReplyRecord } from '../domain/records.ts';
import type { SurgeRecord } from '../domain/surges.ts';
import type { Label } from '../domain/triage/labels.ts';
import { SwitchboardError } from '../errors.ts';

/**
 * Where the core shows its work to the team, in the core's words: post or update a mention message,
 * announce a reply, post a digest, find a message by its key after a crash. `slack/` implements it
 * (Block Kit, metadata, the Web API); services depend on this interface only, never on `slack/`.
 */
export interface TeamChat {
  postMention(record: MentionRecord, contact: ContactLabel): Promise<MessageRef>;
  updateMention(record: MentionRecord & { slack: { ts: string } }, contact: ContactLabel): Promise<void>;
  /** The mention's message, if an earlier attempt posted it (searched from just before the attempt). */
  findMention(record: MentionRecord): Promise<MessageRef | undefined>;

  announceReply(reply: ReplyRecord, shown: ReplyContext): Promise<MessageRef>;
  updateReplyAnnouncement(reply: ReplyRecord & { announcement: MessageRef }, shown: ReplyContext): Promise<void>;
  findReplyAnnouncement(reply: ReplyRecord): Promise<MessageRef | undefined>;

  postDigest(channel: string, figures: DigestFigures, shown: DigestContext): Promise<MessageRef>;
  /** Redraws a posted digest from new figures (after an erasure removed someone from them). */
  updateDigest(message: MessageRef, figures: DigestFigures, shown: DigestContext): Promise<void>;
  findDigest(channel: string, key: string, sinceSeconds: number): Promise<MessageRef | undefined>;
  /** The digest's chart as a file in the digest's channel; returns the file's ID. */
  uploadDigestChart(message: MessageRef, figures: DigestFigures): Promise<string>;

  /**
   * Leaves a pointer where a mention message was, once it has been posted again in the channel its
   * new label routes to: who moved it, as what, and where to. No text of the post.
   */
  showMoved(from: MessageRef, to: MessageRef, move: { key: string; label: Label; by: string }): Promise<void>;

  /**
   * A private conversation's thread: its parent message (who, the contact, the network, state and
   * buttons, with the opening message) and each later customer message in the thread. Found again
   * after a crash by their keys in the message metadata.
   */
  postConversation(conversation: ConversationRecord, shown: ConversationContext): Promise<MessageRef>;
  updateConversation(conversation: ConversationRecord & { slack: { ts: string } }, shown: ConversationContext): Promise<void>;
  findConversation(conversation: ConversationRecord): Promise<MessageRef | undefined>;
  postDirectMessage(
    conversation: ConversationRecord & { slack: { ts: string } },
    message: DirectMessageRecord,
    shown: { reopened: boolean },
  ): Promise<MessageRef>;
  findDirectMessage(
    conversation: ConversationRecord & { slack: { ts: string } },
    message: DirectMessageRecord,
  ): Promise<MessageRef | undefined>;

  /**
   * Surges: the one message per surge per channel (its figures and three examples, updated in
   * place), the notice in the questions channel when one starts, and the messages in its thread
   * that hold a few lower-priority mentions each (updated as their state changes).
   */
  postSurge(surge: SurgeRecord, examples: MentionRecord[]): Promise<MessageRef>;
  updateSurge(surge: SurgeRecord & { slack: { ts: string } }, examples: MentionRecord[]): Promise<void>;
  postSurgeNotice(channel: string, surge: SurgeRecord, waiting: number, notifyGroup?: string): Promise<MessageRef>;
  postMentionBatch(thread: MessageRef, mentions: ReadonlyArray<{ record: MentionRecord; contact: ContactLabel }>): Promise<MessageRef>;
  updateMentionBatch(message: MessageRef, mentions: ReadonlyArray<{ record: MentionRecord; contact: ContactLabel }>): Promise<void>;
  /** The message in a surge's thread that holds this mention, if an earlier attempt posted it. */
  findMentionBatch(thread: MessageRef, key: string): Promise<(MessageRef & { keys: string[] }) | undefined>;

  /** What an automatic-reply rule tells the team: a dry run in the item's thread, or a note to a channel. */
  postAutomationNote(note: AutomationNote): Promise<MessageRef>;

  /** Replaces a message the bot wrote about a person with "erased" (GDPR erasure). */
  showErased(message: MessageRef): Promise<void>;
  /** A line only `user` sees, in the thread when `threadTs` is given. */
  tellPrivately(to: { channel: string; user: string; threadTs?: string }, text: string): Promise<void>;
  /** Draws a person's inbox in the app's Home tab. */
  publishHome(userId: string, page: InboxPage): Promise<void>;
}

export type AutomationNote =
  /** In the item's thread: what a rule in dry run would have done (sent this text, assigned, told a channel). */
  | {
      kind: 'dry_run';
      thread: MessageRef;
      ruleName: string;
      text?: string;
      assignTo?: string;
      notifyChannel?: string;
      brandHandle: string;
      platformName: string;
    }
  /** To the rule's channel: a link to the item's message, who wrote it (handle only) and how it was triaged. */
  | { kind: 'notify'; channel: string; ruleName: string; item: MessageRef; label?: Label; handle: string; platformName: string };

export interface MessageRef {
  channel: string;
  ts: string;
}

/** How a mention message names its contact. */
export interface ContactLabel {
  id: string;
  name: string;
}

/** What a conversation's parent message shows beside the record. */
export interface ConversationContext {
  contact: ContactLabel & { company?: string; tags?: string[] };
  platformName: string;
  brandHandle: string;
  /** The opening message (the parent quotes it). */
  opening?: Pick<DirectMessageRecord, 'key' | 'text' | 'sentAt'>;
}

export interface ReplyContext {
  brandHandle: string;
  platformName: string;
  /** A platform's caution about the text (e.g. X hides replies that start with a handle). */
  warning?: string;
  now: Date;
}

export interface DigestContext {
  /** Unique per digest: carried in the message so a restart can find it. */
  key: string;
  timeZone: string;
  /** Who asked for it (`/crm digest`), named, never pinged. */
  requestedBy?: string;
}

/**
 * A call to the team's chat that failed, in three kinds the core acts on:
 * - `rate_limited`: nothing happened; try again after `retryAfterSeconds`.
 * - `uncertain`: network error, timeout or 5xx: it may or may not have taken effect; look before repeating.
 * - `rejected`: refused (channel_not_found, not_in_channel, invalid_auth…); retrying will not help until someone acts.
 */
export type ChatFailureKind = 'rate_limited' | 'uncertain' | 'rejected';

export class ChatCallError extends SwitchboardError {
  constructor(
    readonly kind: ChatFailureKind,
    readonly method: string,
    /** What the chat said, e.g. `not_in_channel` or `HTTP 503`. */
    readonly detail: string,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(`chat_${kind}`, `Slack ${method} failed (${kind}): ${detail}`, kind === 'rejected' ? 'needs_person' : 'transient', options);
  }
}
