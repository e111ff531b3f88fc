/**
 * The Platform port: what Switchboard needs from a social network, in its own words.
 * Each network is one folder beside this file (x/, mastodon/, bluesky/) and is the only
 * place its SDK is imported. The core speaks of mentions and authors, never of tweets or toots.
 */

import type { InboundDirectMessage } from '../domain/conversations.ts';
import type { TextMeasure } from '../domain/reply-text.ts';
import { SwitchboardError } from '../errors.ts';

export type PlatformId = 'x' | 'mastodon' | 'bluesky' | 'facebook' | 'instagram';

/** Every network Switchboard knows, in the order it lists them. */
export const PLATFORM_IDS: readonly PlatformId[] = ['x', 'mastodon', 'bluesky', 'facebook', 'instagram'];

export interface Author {
  /** The platform's stable user ID (handles can change). */
  id: string;
  /** Without the leading @. */
  handle: string;
  name: string;
  profileUrl: string;
}

/** A post that mentions or replies to the brand, as read from the platform. Its text is untrusted. */
export interface InboundMention {
  platform: PlatformId;
  /** The post's ID on its platform. */
  id: string;
  text: string;
  url: string;
  createdAt: string;
  author: Author;
  /**
   * Where the ingest cursor stands once this mention is safely in Slack. Opaque to the core and
   * ordered by `Platform.compareCursors` (X: the post ID; Mastodon: the notification ID; Bluesky:
   * the notification's indexedAt and URI).
   */
  cursor: string;
  /**
   * Who can see the post, where the network has a choice (Mastodon). A reply is never wider: the
   * answer to a followers-only post is followers-only. Absent means public.
   */
  visibility?: 'public' | 'unlisted' | 'followers' | 'direct';
  /** A reply to one of the brand's own posts (a comment on it), rather than a mention out of the blue. */
  isComment?: boolean;
  /**
   * The post a reply goes under when it is not this one: Instagram takes replies to top-level
   * comments only, so an answer to a reply goes under the comment it replied to.
   */
  replyTarget?: string;
  /** When its author last changed the text (Facebook comments can be edited). */
  editedAt?: string;
  /** The brand can hide it from everyone but its author (a comment on the brand's own Facebook or Instagram post). */
  canHide?: boolean;
}

/** Someone liked (favourited) one of the brand's own posts. */
export interface InboundLike {
  platform: PlatformId;
  /** Unique per like (the notification's or like record's ID). */
  id: string;
  /** The brand's post that was liked. */
  postId: string;
  author: Author;
  createdAt: string;
  /** Ordered by `Platform.compareCursors`, like a mention's. */
  cursor: string;
}

export interface LikePage {
  likes: InboundLike[];
  nextPageToken?: string;
  rateLimit?: RateLimitState;
}

/**
 * How far below its cursor a poll reads again. A network can list a mention *after* newer ones
 * were already read (Bluesky sorts by the author's own clock; X's IDs are only roughly time
 * ordered and posts surface late; Mastodon's notification IDs are handed out before the row is
 * committed), so stopping exactly at the cursor can lose one for good. The re-read items that are
 * already stored cost a lookup and nothing else; each adapter applies what its API allows.
 */
export interface RereadWindow {
  /** Re-read mentions listed up to this long before the newest one seen (by the network's sort time). */
  ms: number;
  /** …and at least this many already-seen mentions below the cursor, where the network pages by count. */
  count: number;
}

export interface MentionQuery {
  /**
   * The cursor of the newest mention already posted; absent on the very first poll. Pages may also
   * hold mentions at or below it (the adapter's re-read window): the caller skips what it has.
   */
  after?: string;
  /** On the first poll only: the oldest creation time worth posting (`BACKFILL_HOURS`). */
  notBefore: Date;
  /** The platform's token for the next page of the same query. */
  pageToken?: string;
}

export interface MentionPage {
  /** Newest first, as every network pages; the caller sorts with `compareCursors`. */
  mentions: InboundMention[];
  nextPageToken?: string;
  rateLimit?: RateLimitState;
}

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetAt: Date;
}

export interface PublishedPost {
  id: string;
  url: string;
}

/** How a platform counts a text: the domain's reply-text rules own the shape. */
export type { TextMeasure };

export interface Platform {
  readonly id: PlatformId;
  readonly displayName: string;
  /** The brand's own handle on this platform, without @ ("Sending as @northwind"). */
  readonly brandHandle: string;
  /** One line on what a reply costs or risks here, shown before sending; undefined when nothing to say. */
  replyWarning(text: string): string | undefined;
  /** How the platform counts this text, and its limit. */
  measureText(text: string): TextMeasure;
  /**
   * Publishes `text` as a reply to post `inReplyTo`. `idempotencyKey` is the outbox key and
   * `requestedAt` its time: Mastodon takes the key as `Idempotency-Key`, Bluesky derives the record
   * key from both; X has none (see the reply service). Throws a PlatformError.
   */
  publishReply(request: {
    inReplyTo: string;
    text: string;
    idempotencyKey: string;
    requestedAt?: string;
    /** An earlier attempt may have gone out: a network with no idempotency key and no duplicate check (Meta) looks for it first. */
    isRetry?: boolean;
  }): Promise<PublishedPost>;
  /** Likes (favourites) a post as the brand. Liking twice is harmless on every platform. */
  like(postId: string): Promise<void>;
  /** Takes the brand's like back, where the network lets an app do it (X, Mastodon, Facebook). Harmless when not liked. */
  unlike?(postId: string): Promise<void>;
  /** Why Like is not offered here, when the network's API cannot like this kind of post (Instagram comments). */
  readonly cannotLike?: string;
  /**
   * Hides a comment on the brand's own post from everyone but its author, or shows it again
   * (Facebook, Instagram): moderation for abuse and spam. Doing it twice is harmless.
   */
  setHidden?(postId: string, hidden: boolean): Promise<void>;
  /**
   * How often to read the network when it pushes what happens (Meta's webhooks): reads then only
   * catch up on what a lost webhook missed. Absent: `POLL_INTERVAL_SECONDS`.
   */
  readonly pollIntervalMs?: number;
  /**
   * One request: one page of mentions newer than `query.after`, plus the re-read window below it.
   * Throws a PlatformError.
   */
  fetchMentionPage(query: MentionQuery): Promise<MentionPage>;
  /**
   * One page of likes of the brand's own posts newer than `query.after`, where the network tells
   * them (Mastodon favourites, Bluesky likes; X does not without a request per post).
   */
  fetchLikePage?(query: MentionQuery): Promise<LikePage>;
  /** Orders two mention cursors: negative when `a` comes first. */
  compareCursors(a: string, b: string): number;
  /**
   * How many of the newest mentions the platform lets anyone page back through (X: 800). A poll
   * that returns this many may have missed older ones.
   */
  readonly reachableDepth?: number;
  /** Private messages, where the network has them and the credentials allow them. */
  readonly directMessages?: DirectMessaging;
  /** What a network pushes (Meta's webhooks) read into events; absent for networks that are only read. */
  readonly pushed?: PushReceiver;
  /** What a reply form starts with, to address the author (`@handle ` where the network threads by mention). */
  replyPrefix?(author: Author): string;
}

/** Something a network pushed, in the core's words. Text is untrusted. */
export type PushedEvent =
  | { kind: 'mention'; mention: InboundMention }
  /** The author changed the text (the whole new mention, for when the edit arrives before the post it edits). */
  | { kind: 'edited'; mention: InboundMention; at: string }
  | { kind: 'removed'; platform: PlatformId; id: string; at: string }
  | { kind: 'direct_message'; message: InboundDirectMessage };

export interface PushReceiver {
  /**
   * The events of one stored delivery that are this platform's (a delivery for another network, or
   * for another account, yields none). May read the network for what a delivery leaves out; throws a
   * PlatformError when that read fails, so the delivery is kept and tried again.
   */
  eventsOf(body: string): Promise<PushedEvent[]>;
}

export interface DirectMessageQuery {
  /** Where the last complete read ended (opaque to the core); absent on the very first read. */
  after?: string;
  /** On the first read only: the oldest message worth reading (`BACKFILL_HOURS`). */
  notBefore: Date;
  /** Whether a message (by its ID on the network) is done (in Slack, or the brand's own): such a message is not handed back. */
  isStored(messageId: string): Promise<boolean>;
}

export interface DirectMessageBatch {
  /** Every message newer than the cursor, oldest first within a conversation (the caller sorts by time, keeping ties in this order). */
  messages: InboundDirectMessage[];
  /** Where the next read starts once all of these are stored; absent when it stays where it was. */
  cursor?: string;
  rateLimit?: RateLimitState;
}

export interface SentDirectMessage {
  id: string;
  sentAt: string;
}

/** What a conversation reply needs to know of its conversation. */
export interface DirectReplyTarget {
  conversationId: string;
  participants: Author[];
  /** The newest customer message (Mastodon threads a direct reply under it). */
  lastInboundId?: string;
  /** When the customer last wrote: Messenger and Instagram allow replies only for a while after it. */
  lastInboundAt?: string;
}

/**
 * A network's private messages (X DMs, Bluesky chat, Mastodon direct conversations), in the
 * core's words. Reads are incremental from a cursor the core persists; sends come from the reply
 * outbox, exactly once (see the reply service: `findSent` settles an uncertain send).
 */
export interface DirectMessaging {
  /** How long to wait between reads (X's DM reads have their own, tight limit). */
  readonly pollIntervalMs: number;
  /** Reads what is new since `query.after`, paging as needed. Throws a PlatformError. */
  read(query: DirectMessageQuery): Promise<DirectMessageBatch>;
  /** How the network counts a private message, and its limit. */
  measure(text: string): TextMeasure;
  /** A reason this text may not go to this conversation (e.g. it names someone outside it), in words. */
  problemWith?(text: string, target: DirectReplyTarget): string | undefined;
  /**
   * Sends `text` into the conversation. `idempotencyKey` is the outbox key (Mastodon takes it).
   * `byRule`: an automatic-reply rule sends it, not a person (Meta's HUMAN_AGENT tag is for people
   * only). Throws a PlatformError.
   */
  send(target: DirectReplyTarget, text: string, idempotencyKey: string, options?: { byRule?: boolean }): Promise<SentDirectMessage>;
  /**
   * After a send whose outcome is unknown: the brand's message with this text in the conversation,
   * sent at or after `since`, if it went out. Networks with an idempotency key answer undefined
   * (sending again with the same key is safe).
   */
  findSent(target: DirectReplyTarget, text: string, since: string): Promise<SentDirectMessage | undefined>;
  /** Sends allowed in a rolling day, where the network caps them (X: 1,440 per user). */
  readonly sendsPerDay?: number;
}

export type PlatformErrorCode =
  | 'rate_limited'
  | 'unauthorized'
  | 'rejected'
  | 'unavailable'
  /** The platform refused the text as a duplicate of a post already published (X's 403). */
  | 'duplicate'
  /** The credentials cannot do this (Bluesky: an app password made without access to direct messages). */
  | 'scope';

/** A vendor error translated into what the core can act on. */
export class PlatformError extends SwitchboardError {
  declare readonly code: PlatformErrorCode;

  constructor(
    code: PlatformErrorCode,
    message: string,
    readonly details: { resetAt?: Date; status?: number; cause?: unknown } = {},
  ) {
    // Rate limits and outages pass by themselves; refusals (auth, not found, duplicate) need a person or a change.
    super(code, message, code === 'rate_limited' || code === 'unavailable' ? 'transient' : 'needs_person', { cause: details.cause });
  }
}

/** Runs one vendor call, turning whatever it throws into a PlatformError with the adapter's `translate`. */
export async function withPlatformErrors<T>(run: () => Promise<T>, translate: (error: unknown) => PlatformError): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw translate(error);
  }
}

/** IDs sent as decimal strings of 64-bit numbers (X's, Mastodon's): compare by length, then digits. */
export function compareNumericIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export const isPlatformError = (error: unknown): error is PlatformError => error instanceof PlatformError;

/**
 * Which network a handle typed by a person belongs to: `user@server` is Mastodon (X handles have
 * no @ or dot), a domain-like `name.bsky.social` is Bluesky, anything else X.
 */
export function platformOfHandle(handle: string): PlatformId {
  const bare = handle.replace(/^@/, '');
  if (/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(bare)) return 'mastodon';
  if (bare.includes('.')) return 'bluesky';
  return 'x';
}

/** A handle's public profile page on its network. */
export function profileUrlOf(platform: PlatformId, handle: string): string {
  const bare = handle.replace(/^@/, '');
  if (platform === 'mastodon') {
    const [user, server] = bare.split('@');
    return `https://${server}/@${user}`;
  }
  if (platform === 'bluesky') return `https://bsky.app/profile/${bare}`;
  if (platform === 'instagram') return `https://www.instagram.com/${bare}`;
  // Messenger and Page comments name people by an ID scoped to the Page, with no public handle.
  if (platform === 'facebook') return 'https://www.facebook.com/';
  return `https://x.com/${bare}`;
}
