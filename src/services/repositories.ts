import type { AutoReplyDecision, AutoReplyRule, DecisionLimits, DecisionResult } from '../domain/auto-replies/rules.ts';
import type { SearchHit } from '../domain/contact-search.ts';
import type { ConversationRecord, DirectMessageRecord } from '../domain/conversations.ts';
import type { CustomerData } from '../domain/customer-data.ts';
import type {
  AuditEntry,
  ContactRecord,
  DigestLogEntry,
  LikeRecord,
  MentionAttempt,
  MentionRecord,
  MentionWorkflow,
  OrderRecord,
  QueuedMention,
  ReplyRecord,
  SavedReply,
  TimelineEntry,
  TriageCorrection,
} from '../domain/records.ts';
import type { SurgeRecord } from '../domain/surges.ts';
import type { Author, PlatformId } from '../platforms/platform.ts';

/**
 * What the core needs from a store, in the core's words. Two adapters implement it: lowdb files in
 * DATA_DIR (store/files/, the embedded default) and PostgreSQL (store/postgres/, several replicas).
 * Every operation is atomic on its own: a read-modify-write of one record (`update`) never loses a
 * concurrent change, whoever else writes, in this process or another replica. Operations that touch
 * several repositories run through `Store.atomically`. test/contract/store-contract.ts is the one
 * suite both adapters pass.
 */

/** Where a mention message went: its ts, and for one posted in a surge's thread, the thread and its batch. */
export interface PostedPlace {
  key: string;
  ts: string;
  threadTs?: string;
  batch?: string[];
}

export interface MentionRepository {
  count(): Promise<number>;
  get(key: string): Promise<MentionRecord | undefined>;
  /** The stored ones of these keys, in one read. */
  getMany(keys: readonly string[]): Promise<Map<string, MentionRecord>>;
  /** The keys of a contact's mentions, oldest first. */
  keysForContact(contactId: string): Promise<string[]>;
  /** Whether this mention was erased (GDPR): a re-read must never store it again. */
  wasErased(key: string): Promise<boolean>;
  /**
   * Write-ahead for a page of mentions, before any Slack call, all or nothing. A mention already
   * attempted keeps its first attempt's time and its Slack ts if it has one.
   */
  recordAttempts(records: readonly MentionAttempt[]): Promise<MentionRecord[]>;
  /**
   * These mentions are in Slack (all or nothing); keys with no attempt are skipped. A mention posted
   * in a surge's thread, with others, also records the thread and its batch. Returns how many were recorded.
   */
  recordPostedMany(posted: ReadonlyArray<PostedPlace>): Promise<number>;
  /** Applies `change` to the workflow atomically: a Like and a reply settling at once both land. */
  updateWorkflow(key: string, change: (workflow: MentionWorkflow) => MentionWorkflow): Promise<MentionRecord>;
  /**
   * Changes a mention's triage (a staff relabel) and where its message lives (moved to the channel
   * the new label routes to), or the post itself (its author edited it), atomically.
   */
  updateTriage(
    key: string,
    change: (record: MentionRecord) => Pick<MentionRecord, 'classification' | 'slack'> & Partial<Pick<MentionRecord, 'mention'>>,
  ): Promise<MentionRecord>;
  /** Moves contact `from`'s mentions (or only `onlyKeys` of them) to contact `to`. */
  reassignContact(from: string, to: string, onlyKeys?: ReadonlySet<string>): Promise<number>;
  /** Erases a contact's mentions, leaving a tombstone per key (no personal data). Returns the keys. */
  deleteForContact(contactId: string): Promise<string[]>;
  /** The UTC days that hold mentions, oldest first. */
  days(): Promise<string[]>;
  readDay(day: string): AsyncIterable<MentionRecord>;
}

export interface ContactRepository {
  count(): Promise<number>;
  get(id: string): Promise<ContactRecord | undefined>;
  /** By the platform's user ID first, then by handle. */
  findByAuthor(platform: PlatformId, author: Pick<Author, 'id' | 'handle'>): Promise<ContactRecord | undefined>;
  /**
   * Links a page of authors to their contacts, creating one per new author, in their order; an
   * author seen twice gets one contact; a known handle gains a user ID not yet recorded.
   */
  ensureForAuthors(platform: PlatformId, authors: readonly Author[]): Promise<ContactRecord[]>;
  /** Stores a contact whole (a new one, or an import's). Prefer `update` for a change. */
  save(record: ContactRecord): Promise<void>;
  /** Read-modify-write of one contact, atomic; `change` returning undefined leaves it as it was. */
  update(id: string, change: (contact: ContactRecord) => ContactRecord | undefined): Promise<ContactRecord | undefined>;
  delete(id: string): Promise<void>;
  /** Contacts matching what an agent typed (name with typos, @handle, email, company), best first. */
  find(query: string, limit?: number): Promise<SearchHit[]>;
  findByExternalId(externalId: string): Promise<ContactRecord | undefined>;
  /** The contact with this email, if exactly one has it. */
  findByEmail(email: string): Promise<ContactRecord | undefined>;
  all(): AsyncIterable<ContactRecord>;
}

/** A platform's mention stream (`x`), or another stream of it (`mastodon:likes`, `bluesky:dms`). */
export type CursorName = PlatformId | `${PlatformId}:likes` | `${PlatformId}:dms`;

export interface CursorRepository {
  get(name: CursorName): Promise<string | undefined>;
  set(name: CursorName, after: string): Promise<void>;
}

export interface OutboxRepository {
  get(key: string): Promise<ReplyRecord | undefined>;
  /**
   * Stores a new reply request once: false (and nothing written) when its key is known, or when
   * another reply to the same mention is still scheduled or being sent.
   */
  create(record: ReplyRecord): Promise<boolean>;
  save(record: ReplyRecord): Promise<void>;
  /** Read-modify-write of one reply, atomic; `change` returning undefined leaves it as it was. */
  update(key: string, change: (reply: ReplyRecord) => ReplyRecord | undefined): Promise<ReplyRecord | undefined>;
  /** Replies still scheduled or being sent. */
  unsettled(): Promise<ReplyRecord[]>;
  /**
   * Claims up to `limit` pending replies due by `now` that no live lease covers, for `by` until
   * `until`, each for one claimant only however many replicas ask at once. Returns the claimed.
   */
  claimDue(by: string, until: Date, now: Date, limit: number): Promise<ReplyRecord[]>;
  activeFor(mentionKey: string): Promise<ReplyRecord | undefined>;
  /** Removes the text of replies to erased mentions; returns the announcements that quoted it. */
  redactForMentions(mentionKeys: ReadonlySet<string>): Promise<Array<{ channel: string; ts: string }>>;
  forMentions(mentionKeys: ReadonlySet<string>): Promise<ReplyRecord[]>;
}

export interface AuditRepository {
  /** Adds an entry; one given a `key` (an operation run again after a crash) is stored once. */
  record(entry: Omit<AuditEntry, 'key' | 'at'> & { at?: string; key?: string }): Promise<AuditEntry>;
  redactForMentions(mentionKeys: ReadonlySet<string>): Promise<number>;
  forMentions(mentionKeys: ReadonlySet<string>): Promise<AuditEntry[]>;
  /** The newest `count` entries, newest first. */
  latest(count: number): Promise<AuditEntry[]>;
}

export interface TriageCorrectionRepository {
  /** Stores a correction, replacing an earlier one of the same mention (whose `modelLabel` it keeps). */
  record(correction: TriageCorrection): Promise<TriageCorrection>;
  get(mentionKey: string): Promise<TriageCorrection | undefined>;
  /** Corrections made at or after `at` (ISO time), oldest first. */
  since(at: string): Promise<TriageCorrection[]>;
  all(): AsyncIterable<TriageCorrection>;
  /** Erasure: forgets the corrections of these mentions. Returns how many. */
  deleteForMentions(mentionKeys: ReadonlySet<string>): Promise<number>;
}

/**
 * Private conversations and their messages (domain/conversations.ts). Each operation is atomic on
 * its own, like the mentions'; a message key is stored once however often it is read.
 */
export interface ConversationRepository {
  get(key: string): Promise<ConversationRecord | undefined>;
  /**
   * Read-modify-write of one conversation, creating it when `change` returns one for an absent key;
   * `change` returning undefined leaves it as it was (and the stored one, if any, is returned).
   */
  upsert(
    key: string,
    change: (current: ConversationRecord | undefined) => ConversationRecord | undefined,
  ): Promise<ConversationRecord | undefined>;
  forContact(contactId: string): Promise<ConversationRecord[]>;
  /** Every conversation (the digest's unanswered count, export). */
  all(): AsyncIterable<ConversationRecord>;
  /** `upsert` for several conversations as one write (a read's conversations, on the files one write per segment). */
  upsertMany(
    keys: readonly string[],
    change: (key: string, current: ConversationRecord | undefined) => ConversationRecord | undefined,
  ): Promise<ConversationRecord[]>;
  getMessages(keys: readonly string[]): Promise<Map<string, DirectMessageRecord>>;
  /** Write-ahead for a read's messages, in one write: each stored unless its key is known. Returns those newly stored. */
  addMessages(messages: readonly DirectMessageRecord[]): Promise<DirectMessageRecord[]>;
  /** These messages are in Slack: their thread message's ts, in one write (keys unknown, or already posted, are skipped). */
  recordMessagesPosted(posted: ReadonlyArray<{ key: string; ts: string }>): Promise<number>;
  /** Stores the message unless its key is known; returns what is stored under the key, and whether it was new. */
  addMessage(message: DirectMessageRecord): Promise<{ message: DirectMessageRecord; isNew: boolean }>;
  /** A conversation's messages, oldest first. */
  messagesOf(conversationKey: string): Promise<DirectMessageRecord[]>;
  /** Messages sent (either way) on one UTC day. */
  readMessagesDay(day: string): AsyncIterable<DirectMessageRecord>;
  /** Moves contact `from`'s conversations and messages to contact `to`. */
  reassignContact(from: string, to: string): Promise<void>;
  /**
   * Erases a contact's conversations and messages (GDPR), leaving per conversation only a hash of
   * its key and the time: a re-read of the network never stores its older messages again.
   */
  deleteForContact(contactId: string): Promise<{ conversations: ConversationRecord[]; messages: DirectMessageRecord[] }>;
  /** When this conversation was erased, if it was: messages sent before then are never stored again. */
  erasedAt(conversationKey: string): Promise<string | undefined>;
}

/**
 * Automatic-reply rules, the global pause, and what each rule decided per item. `decide` is the
 * guard: it stores a decision to reply only while the author's window and the rule's daily cap
 * allow it, checked and written as one step, whichever replica asks.
 */
export interface AutoReplyRepository {
  rules(): Promise<AutoReplyRule[]>;
  getRule(id: string): Promise<AutoReplyRule | undefined>;
  /** Adds a rule; false (and nothing written) when another has the same name, in any case. */
  addRule(rule: AutoReplyRule): Promise<boolean>;
  /** Read-modify-write of one rule, atomic; `change` returning undefined leaves it as it was. */
  updateRule(id: string, change: (rule: AutoReplyRule) => AutoReplyRule | undefined): Promise<AutoReplyRule | undefined>;
  removeRule(id: string): Promise<boolean>;
  paused(): Promise<{ by: string; at: string } | undefined>;
  setPaused(state: { by: string; at: string } | undefined): Promise<void>;
  /** Stores a decision unless its key is known; a `reply` or `dry_run` also only within `limits`. */
  decide(decision: AutoReplyDecision, limits?: DecisionLimits): Promise<DecisionResult>;
  getDecision(key: string): Promise<AutoReplyDecision | undefined>;
  /** The latest `reply` decision for a contact at or after `since`. */
  lastReplyTo(contactId: string, since: string): Promise<string | undefined>;
  /** How many decisions of a rule with this outcome at or after `since`. */
  countFor(ruleId: string, outcome: AutoReplyDecision['outcome'], since: string): Promise<number>;
  forContact(contactId: string): Promise<AutoReplyDecision[]>;
  reassignContact(from: string, to: string): Promise<void>;
  /** Erasure: forgets a contact's decisions. Returns how many. */
  deleteForContact(contactId: string): Promise<number>;
}

/**
 * Mention messages waiting for Slack, by channel: written with the mention's intent, before the
 * cursor moves past it, and removed once its ts is recorded. After a restart it says what is still
 * owed to Slack without reading every mention (a stored record without a ts may or may not be in
 * Slack: the channel's history is looked through before posting it).
 */
export interface DeliveryQueueRepository {
  /** Adds entries; one whose key is queued already is left as it is. */
  add(entries: readonly QueuedMention[]): Promise<void>;
  remove(keys: readonly string[]): Promise<void>;
  all(): Promise<QueuedMention[]>;
}

/**
 * A webhook delivery (Meta's), stored before it is answered: a crash after the 200 loses nothing.
 * Its body is the raw JSON, untrusted and personal (names, messages): sealed at rest with a key.
 */
export interface InboundDelivery {
  /** A hash of the body: Meta's retry of the same delivery is the same key. */
  key: string;
  receivedAt: string;
  body: string;
}

export interface WebhookInboxRepository {
  /** Stores it unless its key is waiting already; true when it was new. */
  add(delivery: InboundDelivery): Promise<boolean>;
  /** Deliveries not yet taken in, oldest first. */
  pending(limit: number): Promise<InboundDelivery[]>;
  /** Taken in: their events are stored; the deliveries are dropped. */
  done(keys: readonly string[]): Promise<void>;
}

/** Surges, per channel: the one going on (its message, its running figures) and those past, for the digest. */
export interface SurgeRepository {
  active(channel: string): Promise<SurgeRecord | undefined>;
  save(record: SurgeRecord): Promise<void>;
  /** Surges that overlap [start, end) (ISO times), oldest first. */
  between(start: string, end: string): Promise<SurgeRecord[]>;
}

export interface SavedReplyRepository {
  list(): Promise<SavedReply[]>;
  find(name: string): Promise<SavedReply | undefined>;
  /** Adds or replaces by name (case-insensitive). Returns whether it replaced one. */
  upsert(reply: SavedReply): Promise<boolean>;
  remove(name: string): Promise<boolean>;
}

export interface TimelineRepository {
  /** Stores the entry unless its key is known. Returns whether it was new. */
  add(entry: TimelineEntry): Promise<boolean>;
  /** Newest first. */
  forContact(contactId: string): Promise<TimelineEntry[]>;
  deleteForContact(contactId: string): Promise<number>;
  reassign(from: string, to: string): Promise<void>;
}

export interface OrderRepository {
  get(key: string): Promise<OrderRecord | undefined>;
  save(order: OrderRecord): Promise<void>;
  all(): AsyncIterable<OrderRecord>;
  /** Newest first. */
  forContact(contactId: string): Promise<OrderRecord[]>;
  reassign(from: string, to: string): Promise<void>;
  deleteForContact(contactId: string): Promise<number>;
}

export interface DigestLogRepository {
  /** When the scheduler first ran on this store (set on first call). */
  since(now: Date): Promise<Date>;
  get(key: string): Promise<DigestLogEntry | undefined>;
  all(): Promise<DigestLogEntry[]>;
  /** Written before the Slack call (replacing an earlier attempt with this key), completed by `update` after it. */
  recordAttempt(key: string, channel: string, at: Date, details?: Pick<DigestLogEntry, 'period' | 'requestedBy'>): Promise<DigestLogEntry>;
  update(key: string, change: Partial<Omit<DigestLogEntry, 'key'>>): Promise<DigestLogEntry>;
}

export interface LikeRepository {
  /** Stores a like once; true when it was new. */
  record(like: LikeRecord): Promise<boolean>;
  forPerson(contactId: string, identities: ReadonlyArray<{ platform: string; userId: string }>): Promise<LikeRecord[]>;
  reassign(from: string, to: string): Promise<void>;
  deleteForPerson(contactId: string, identities: ReadonlyArray<{ platform: string; userId: string }>): Promise<number>;
  readDay(day: string): AsyncIterable<LikeRecord>;
}

/**
 * Each platform's login session (tokens), by platform ID, so a restart resumes it instead of
 * logging in again. Sealed at rest with PII_ENCRYPTION_KEY. A session that cannot be read is no
 * session: the platform logs in again.
 */
export interface SessionRepository {
  load(name: string): Promise<unknown>;
  save(name: string, session: unknown): Promise<void>;
  clear(name: string): Promise<void>;
}

export interface Repositories {
  mentions: MentionRepository;
  contacts: ContactRepository;
  cursors: CursorRepository;
  outbox: OutboxRepository;
  audit: AuditRepository;
  savedReplies: SavedReplyRepository;
  autoReplies: AutoReplyRepository;
  deliveryQueue: DeliveryQueueRepository;
  webhookInbox: WebhookInboxRepository;
  surges: SurgeRepository;
  triageCorrections: TriageCorrectionRepository;
  conversations: ConversationRepository;
  timeline: TimelineRepository;
  orders: OrderRepository;
  digests: DigestLogRepository;
  likes: LikeRepository;
  sessions: SessionRepository;
}

/**
 * Operations that touch several repositories. Merges and erasures name IDs only; an import carries
 * its checked data, so that one cut short can be run again (it is idempotent).
 */
export type AtomicOperation =
  | { kind: 'merge'; targetId: string; sourceId: string }
  | { kind: 'forget'; contactId: string; actor: string }
  | { kind: 'import'; data: CustomerData };

export interface InterruptedOperation {
  id: string;
  operation: AtomicOperation;
  /** Marks it finished. */
  done(): Promise<void>;
}

export interface Store extends Repositories {
  /** `files` (lowdb in DATA_DIR) or `postgres`. */
  readonly kind: 'files' | 'postgres';
  /**
   * Runs `apply` all or nothing. PostgreSQL: one transaction, `apply` gets repositories bound to it.
   * Files: the operation is journalled before the first file changes and removed after the last;
   * one cut short is listed by `interrupted()` and its owner runs it again to the end (every step of
   * such an operation must be safe to run twice). `id` is stable across such a re-run.
   */
  atomically<T>(operation: AtomicOperation, apply: (repositories: Repositories, id: string) => Promise<T>): Promise<T>;
  /**
   * Runs several writes as one: on PostgreSQL one transaction, so one commit (one flush to disk) for
   * a page of mentions instead of one per call; on the files the calls run as they come, each
   * atomic on its own. For what must be all or nothing across a crash on the files, `atomically`.
   */
  together<T>(work: (repositories: Repositories) => Promise<T>): Promise<T>;
  /** Operations a crash cut short (files only; always empty on PostgreSQL), oldest first. */
  interrupted(): Promise<InterruptedOperation[]>;
  close(): Promise<void>;
}
