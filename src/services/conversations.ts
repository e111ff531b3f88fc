import {
  type ConversationRecord,
  conversationAfterInbound,
  conversationKey,
  type DirectMessageRecord,
  directMessageKey,
  type InboundDirectMessage,
} from '../domain/conversations.ts';
import type { Log } from '../log.ts';
import type { Platform, PlatformId } from '../platforms/platform.ts';
import { isPlatformError, type PlatformError } from '../platforms/platform.ts';
import type { Health } from './health.ts';
import type { PollResult } from './ingest.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { Store } from './repositories.ts';
import { backoffMs, sleep } from './sleep.ts';
import { ChatCallError, type ConversationContext, type MessageRef, type TeamChat } from './team-chat.ts';

export type ConversationAnswer = string | undefined;

/** Posted messages' ts are written at least this often (as for mentions). */
const FLUSH_EVERY = 100;
const FLUSH_AFTER_MS = 1_000;

/**
 * Private conversations as the team works them: one Slack thread each in the DMs channel, its
 * parent message kept up to date (state, owner, last message), and the Assign and Resolve buttons.
 */
export class Conversations {
  private readonly watchers: Array<(conversation: ConversationRecord) => void> = [];
  private readonly mutex = new KeyedMutex();
  private readonly redraws = new KeyedMutex();

  constructor(
    private readonly store: Store,
    private readonly platforms: ReadonlyMap<PlatformId, Platform>,
    private readonly chat: TeamChat,
    private readonly log: Log,
    private readonly now: () => Date = () => new Date(),
  ) {}

  find(key: string): Promise<ConversationRecord | undefined> {
    return this.store.conversations.get(key);
  }

  /** The customer's latest message, for the private reply modal: one read, named by the record. */
  async lastInboundText(conversation: Pick<ConversationRecord, 'platform' | 'lastInboundId'>): Promise<string | undefined> {
    if (!conversation.lastInboundId) return undefined;
    const key = directMessageKey(conversation.platform, conversation.lastInboundId);
    return (await this.store.conversations.getMessages([key])).get(key)?.text;
  }

  /** What the parent message shows beside the record: the contact, the network, the opening message. */
  async context(conversation: ConversationRecord): Promise<ConversationContext> {
    const contact = await this.store.contacts.get(conversation.contactId);
    const platform = this.platforms.get(conversation.platform);
    // One read, whatever the conversation's length: the record names its opening message.
    const opening = conversation.openingKey
      ? (await this.store.conversations.getMessages([conversation.openingKey])).get(conversation.openingKey)
      : undefined;
    return {
      contact: {
        id: conversation.contactId,
        name: contact?.name ?? conversation.participants[0]?.name ?? 'Unknown',
        company: contact?.company,
        tags: contact?.tags,
      },
      platformName: platform?.displayName ?? conversation.platform,
      brandHandle: platform?.brandHandle ?? 'brand',
      opening,
    };
  }

  /**
   * Re-renders the parent message from the record as stored now (not as the caller last saw it),
   * one redraw at a time per conversation: a reply settling and a message arriving at once end with
   * the latest state on screen. A failure is logged: the state is saved either way.
   */
  /** Told of every change shown (the App Home inbox keeps its lists current with it). */
  watch(watcher: (conversation: ConversationRecord) => void): void {
    this.watchers.push(watcher);
  }

  refresh(conversation: Pick<ConversationRecord, 'key'>): Promise<void> {
    return this.redraws.run(conversation.key, async () => {
      const latest = await this.store.conversations.get(conversation.key);
      if (latest) for (const watcher of this.watchers) watcher(latest);
      const ts = latest?.slack.ts;
      if (!latest || !ts) return;
      try {
        await this.chat.updateConversation({ ...latest, slack: { ...latest.slack, ts } }, await this.context(latest));
      } catch (error) {
        this.log.warn(`could not update the thread of ${conversation.key}`, { error });
      }
    });
  }

  async update(
    key: string,
    change: (current: ConversationRecord) => ConversationRecord | undefined,
  ): Promise<ConversationRecord | undefined> {
    const updated = await this.store.conversations.upsert(key, (current) => (current ? change(current) : undefined));
    if (updated) await this.refresh(updated);
    return updated;
  }

  /** Assigns to the presser; their second press unassigns; someone else's press is told who owns it. */
  assign(key: string, userId: string): Promise<ConversationAnswer> {
    return this.mutex.run(key, async () => {
      const conversation = await this.find(key);
      if (!conversation) return 'This conversation is not known to Switchboard (erased?).';
      const owner = conversation.assignee;
      if (owner && owner !== userId) return `<@${owner}> owns this conversation. Ask them before taking it over.`;
      await this.update(key, (current) => ({ ...current, assignee: owner ? undefined : userId }));
      return undefined;
    });
  }

  toggleResolved(key: string, userId: string): Promise<ConversationAnswer> {
    return this.mutex.run(key, async () => {
      const conversation = await this.find(key);
      if (!conversation) return 'This conversation is not known to Switchboard (erased?).';
      const at = this.now().toISOString();
      await this.update(key, (current) =>
        current.status === 'resolved'
          ? { ...current, status: 'open', resolved: undefined }
          : { ...current, status: 'resolved', resolved: { by: userId, at } },
      );
      return undefined;
    });
  }
}

export interface DirectMessageIngestOptions {
  channel: string;
  backfillHours: number;
  retryBaseMs: number;
  retryMaxMs: number;
  now?: () => Date;
  /** Told which conversations received customer messages, once those are in their threads (automatic-reply rules). */
  onReceived?: (conversationKeys: string[]) => Promise<void>;
}

/**
 * Brings one network's private messages into the DMs channel, each exactly once, by the same rule
 * as mentions: a message is written down (with the time of the attempt) before its Slack post, is
 * seen only with the post's ts, and the network cursor moves only once every message read is in
 * Slack. After a crash the thread is searched for the message's key before posting again.
 */
export class DirectMessageIngest {
  private readonly now: () => Date;
  /** One intake at a time: a read and a pushed batch never post the same message twice. */
  private readonly intake = new KeyedMutex();
  /** The network refused access to private messages (Bluesky: app password scope): said once. */
  private refusedScope?: string;
  gapWarning?: string;

  constructor(
    private readonly platform: Platform,
    private readonly store: Store,
    private readonly chat: TeamChat,
    private readonly conversations: Conversations,
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: DirectMessageIngestOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  private get stream() {
    return `${this.platform.id}:dms` as const;
  }

  async pollOnce(signal: AbortSignal): Promise<PollResult> {
    const dms = this.platform.directMessages;
    if (!dms) return { fetched: 0, posted: 0, pages: 0 };
    const after = await this.store.cursors.get(this.stream);
    const notBefore = new Date(this.now().getTime() - this.options.backfillHours * 3_600_000);
    let batch: Awaited<ReturnType<typeof dms.read>>;
    try {
      batch = await dms.read({
        after,
        notBefore,
        // Done means in Slack (or the brand's own): a message only attempted before a crash is read again.
        isStored: async (id) => {
          const key = directMessageKey(this.platform.id, id);
          const stored = (await this.store.conversations.getMessages([key])).get(key);
          return Boolean(stored && (stored.direction === 'out' || stored.slack?.ts));
        },
      });
    } catch (error) {
      if (isPlatformError(error) && error.code === 'scope') return this.scopeRefused(error);
      throw error;
    }
    this.refusedScope = undefined;
    // Oldest first; a stable sort keeps a conversation's messages of the same second in the order read.
    const messages = [...batch.messages].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    const posted = await this.intake.run('intake', () => this.take(messages, signal));
    // Only a read taken whole moves the cursor: what was not posted is read again next time.
    if (posted !== undefined && !signal.aborted && batch.cursor && batch.cursor !== after) {
      await this.store.cursors.set(this.stream, batch.cursor);
    }
    return { fetched: messages.length, posted: posted ?? 0, pages: 1, rateLimit: batch.rateLimit };
  }

  /**
   * Messages the network pushed (Meta's webhooks), by the same rules as a read's: each stored before
   * its Slack post, posted once into its conversation's thread; one already in Slack, or erased, is
   * skipped. The cursor is the catch-up reads' and does not move. Returns how many were posted, or
   * undefined when a stop interrupted it (what was not posted stays owed and is pushed or read again).
   */
  acceptPushed(messages: readonly InboundDirectMessage[], signal: AbortSignal): Promise<number | undefined> {
    const ordered = [...messages].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
    return this.intake.run('intake', () => this.take(ordered, signal));
  }

  /** Says once, in the log and on /healthz, what to do; mentions keep working meanwhile. */
  private scopeRefused(error: PlatformError): PollResult {
    if (this.refusedScope !== error.message) this.log.error(`private messages are not read: ${error.message}`);
    this.refusedScope = error.message;
    return { fetched: 0, posted: 0, pages: 0, needsPerson: `private messages are not read: ${error.message}` };
  }

  /**
   * A read's messages into Slack, each once, with the writes batched as for mentions: what is
   * already known is read in one go, every customer linked to a contact in one write, each
   * conversation updated once, the intents written in one write before any Slack call, and the
   * posted ts recorded together (every 100 messages or second). Returns how many were posted, or
   * undefined when a stop interrupted it.
   */
  private async take(messages: InboundDirectMessage[], signal: AbortSignal): Promise<number | undefined> {
    const platform = this.platform.id;
    const { conversations, contacts } = this.store;
    const keyOf = (message: InboundDirectMessage) => directMessageKey(platform, message.id);
    const conversationOf = (message: InboundDirectMessage) => conversationKey(platform, message.conversationId);
    const known = await conversations.getMessages(messages.map(keyOf));
    const erasedAt = new Map<string, string | undefined>();
    for (const key of new Set(messages.map(conversationOf))) erasedAt.set(key, await conversations.erasedAt(key));
    // An erased conversation's older messages never come back (GDPR); a new one starts it afresh.
    // A message already in Slack, or the brand's already stored, is done.
    const open = messages.filter((message) => {
      const erased = erasedAt.get(conversationOf(message));
      const stored = known.get(keyOf(message));
      return !(erased && message.createdAt <= erased) && !(stored && (stored.direction === 'out' || stored.slack?.ts));
    });
    if (open.length === 0) return 0;

    // Contacts for the customers, in one write; then each conversation once, folding in its new messages.
    const customers = open.map((message) => message.participants[0] ?? message.sender);
    const linked = await contacts.ensureForAuthors(platform, customers);
    const contactOf = new Map(open.map((message, index) => [keyOf(message), linked[index]?.key ?? '']));
    const attemptedAt = this.now().toISOString();
    /** The message that reopened its conversation, by conversation. */
    const reopenedBy = new Map<string, string>();
    const grouped = new Map<string, InboundDirectMessage[]>();
    for (const message of open) grouped.set(conversationOf(message), [...(grouped.get(conversationOf(message)) ?? []), message]);
    const existedBefore = new Set<string>();
    const updated = await conversations.upsertMany([...grouped.keys()], (key, current) => {
      if (current) existedBefore.add(key);
      let next = current;
      for (const message of grouped.get(key) ?? []) {
        if (known.has(keyOf(message))) continue; // an earlier attempt already folded it in
        const before = next;
        next = conversationAfterInbound(next, message, {
          contactId: contactOf.get(keyOf(message)) ?? '',
          slack: { channel: this.options.channel, attemptedAt },
        });
        if (before?.status === 'resolved' && next.status === 'open') reopenedBy.set(key, keyOf(message));
      }
      return next === current ? undefined : next;
    });
    const state = new Map(updated.map((conversation) => [conversation.key, conversation]));
    for (const key of grouped.keys()) {
      if (!state.has(key)) {
        const stored = await conversations.get(key);
        if (stored) state.set(key, stored);
      }
    }

    // Write-ahead: every new message before any Slack call, in one write.
    const records = open
      .filter((message) => !known.has(keyOf(message)))
      .map((message) => {
        const conversation = state.get(conversationOf(message));
        if (!conversation) throw new Error(`the conversation of ${keyOf(message)} was not stored`);
        const record = this.record(message, conversation, message.fromBrand ? 'out' : 'in');
        return message.fromBrand ? record : { ...record, slack: { attemptedAt } };
      });
    await conversations.addMessages(records);
    const written = new Map([...known, ...records.map((record) => [record.key, record] as const)]);

    let posted = 0;
    let pending: Array<{ key: string; ts: string }> = [];
    let lastFlush = Date.now();
    const flush = async () => {
      if (pending.length) await conversations.recordMessagesPosted(pending);
      pending = [];
      lastFlush = Date.now();
    };
    const touched = new Set<string>();
    /** Conversations with a customer message posted now: what rules for private messages look at. */
    const received = new Set<string>();
    try {
      for (const message of open) {
        if (signal.aborted) return undefined;
        const key = conversationOf(message);
        touched.add(key);
        const record = written.get(keyOf(message));
        if (message.fromBrand || !record) continue; // the brand's (from its own app): kept for the timeline and "answered"
        let conversation = state.get(key);
        if (!conversation) continue;
        // The thread's parent first: the conversation's first message opens it (and is quoted in it).
        const parent = await this.ensureParent(conversation, signal, existedBefore.has(key));
        if (!parent) return undefined;
        conversation = parent.conversation;
        state.set(key, conversation);
        received.add(key);
        if (parent.openedWith === record.key) {
          pending.push({ key: record.key, ts: parent.ref.ts });
          posted++;
          continue;
        }
        const thread = { ...conversation, slack: { ...conversation.slack, ts: parent.ref.ts } };
        const reopened = reopenedBy.get(key) === record.key;
        const ts = await this.deliver(
          () => this.chat.postDirectMessage(thread, record, { reopened }),
          known.has(record.key) ? () => this.chat.findDirectMessage(thread, record) : undefined,
          signal,
        );
        if (!ts) return undefined;
        pending.push({ key: record.key, ts });
        posted++;
        this.log.info(`posted ${record.key} into the thread of ${key}${reopened ? ' (reopened)' : ''}`);
        if (pending.length >= FLUSH_EVERY || Date.now() - lastFlush >= FLUSH_AFTER_MS) await flush();
      }
    } finally {
      await flush();
      // Each thread's parent redrawn once (state, owner, last message), not once per message.
      for (const key of touched) await this.conversations.refresh({ key });
    }
    if (received.size && this.options.onReceived) {
      await this.options
        .onReceived([...received])
        .catch((error: unknown) => this.log.error('acting on new private messages failed', { error }));
    }
    return posted;
  }

  /** The conversation's parent message, posted now or found after an earlier attempt. */
  private async ensureParent(
    conversation: ConversationRecord,
    signal: AbortSignal,
    /** The conversation was stored before this message: an earlier attempt may have posted its parent. */
    attemptedBefore: boolean,
  ): Promise<{ ref: MessageRef; conversation: ConversationRecord; openedWith?: string } | undefined> {
    // Posted already: the opening message lives in it (a crash may have left only that unrecorded).
    if (conversation.slack.ts) {
      return { ref: { channel: conversation.slack.channel, ts: conversation.slack.ts }, conversation, openedWith: conversation.openingKey };
    }
    const context = await this.conversations.context(conversation);
    const ts = await this.deliver(
      () => this.chat.postConversation(conversation, context),
      () => this.chat.findConversation(conversation),
      signal,
      !attemptedBefore,
    );
    if (!ts) return undefined;
    const updated =
      (await this.store.conversations.upsert(conversation.key, (current) =>
        current ? { ...current, slack: { ...current.slack, ts: current.slack.ts ?? ts } } : undefined,
      )) ?? conversation;
    const openedWith = context.opening?.key;
    return { ref: { channel: updated.slack.channel, ts: updated.slack.ts ?? ts }, conversation: updated, openedWith };
  }

  /**
   * One Slack post with the ingest's rules: a rate limit waits; an uncertain call looks before
   * posting again; a refusal stops the poll (the cursor stays). `find` first when an attempt was
   * already made. Undefined when the bot is stopping.
   */
  private async deliver(
    post: () => Promise<MessageRef>,
    find: (() => Promise<MessageRef | undefined>) | undefined,
    signal: AbortSignal,
    skipFirstLookup = false,
  ): Promise<string | undefined> {
    if (find && !skipFirstLookup) {
      const found = await find().catch(() => undefined);
      if (found) return found.ts;
    }
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const posted = await post();
        this.health.set('slack', 'ok');
        return posted.ts;
      } catch (error) {
        if (!(error instanceof ChatCallError) || error.kind === 'rejected') throw error;
        const wait =
          error.kind === 'rate_limited'
            ? (error.retryAfterSeconds ?? 1) * 1000
            : backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
        this.log.warn(`Slack post of a private message ${error.kind} (${error.detail}); trying again in ${wait} ms`);
        await sleep(wait, signal);
        if (signal.aborted) return undefined;
        if (error.kind === 'uncertain' && find) {
          const found = await find().catch(() => undefined);
          if (found) return found.ts;
        }
      }
    }
    return undefined;
  }

  private record(message: InboundDirectMessage, conversation: ConversationRecord, direction: 'in' | 'out'): DirectMessageRecord {
    return {
      key: directMessageKey(message.platform, message.id),
      conversationKey: conversation.key,
      contactId: conversation.contactId,
      platform: message.platform,
      id: message.id,
      direction,
      text: message.text,
      author: { id: message.sender.id, handle: message.sender.handle, name: message.sender.name },
      sentAt: message.createdAt,
    };
  }
}
