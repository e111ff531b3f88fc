import { dayWindow, localDay } from '../domain/calendar.ts';
import type { ConversationRecord } from '../domain/conversations.ts';
import {
  countsOf,
  type InboxEntry,
  type InboxFilter,
  type InboxItem,
  isIn,
  itemOfConversation,
  itemOfMention,
  workOrder,
} from '../domain/inbox.ts';
import type { MentionRecord } from '../domain/records.ts';
import type { Log } from '../log.ts';
import type { Conversations } from './conversations.ts';
import type { Store } from './repositories.ts';
import type { TeamChat } from './team-chat.ts';

export interface InboxOptions {
  /** How many days back the inbox looks (mentions older than this are history, not work). */
  days: number;
  timeZone: string;
  /** Whether this person may see names and text (agents). */
  canSeePersonalData: (userId: string) => Promise<boolean>;
  /** Changes are gathered this long before the open inboxes are redrawn (Slack allows about 100 views.publish a minute). */
  debounceMs?: number;
  now?: () => Date;
}

/** Lines a page shows: Slack's Home tab takes 100 blocks, and a person reads the first screen. */
const PAGE_SIZE = 15;
/** An inbox opened this long ago is still redrawn on changes; after it, only when opened again. */
const WATCH_MS = 60 * 60_000;
/**
 * Slack allows `views.publish` about 100 times a minute per workspace: redraws on change stay under
 * 60 a minute (the most recently opened inboxes first; the rest wait for the next change, or are
 * redrawn when opened), and one person's inbox is redrawn at most every 5 s.
 */
const REDRAWS_PER_MINUTE = 60;
const PER_PERSON_MS = 5_000;

/**
 * The App Home inbox: what is open, mine, unassigned, waiting or resolved today, for each person.
 * An index of the last days' mentions and conversations is kept in memory (keys, labels, owners,
 * states, times: no names, no text), loaded at start and kept current by every change the services
 * make; a page reads only the records it shows, so an erased one simply drops out. Inboxes opened
 * in the last hour are redrawn (debounced) when something changes.
 */
export class Inbox {
  private readonly items = new Map<string, InboxItem>();
  private readonly viewers = new Map<string, { filter: InboxFilter; openedAt: number; drawnAt?: number }>();
  /** When each redraw of the last minute went out (the budget above). */
  private readonly redraws: number[] = [];
  private readonly now: () => Date;
  private timer?: NodeJS.Timeout;
  private loaded?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly store: Store,
    /** The customer's latest message, shown as a conversation's excerpt. */
    private readonly conversations: Pick<Conversations, 'lastInboundText'>,
    private readonly chat: TeamChat,
    private readonly log: Log,
    private readonly options: InboxOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Reads the last days' mentions and every open conversation into the index (once). */
  load(): Promise<void> {
    this.loaded ??= (async () => {
      const from = localDay(new Date(this.now().getTime() - this.options.days * 86_400_000), 'UTC');
      for (const day of await this.store.mentions.days()) {
        if (day < from) continue;
        for await (const record of this.store.mentions.readDay(day)) this.items.set(record.key, itemOfMention(record));
      }
      for await (const conversation of this.store.conversations.all()) {
        if (conversation.status === 'open' || conversation.lastMessageAt >= from)
          this.items.set(conversation.key, itemOfConversation(conversation));
      }
    })().catch((error: unknown) => {
      this.loaded = undefined; // tried again at the next open
      throw error;
    });
    return this.loaded;
  }

  noteMention(record: MentionRecord): void {
    this.items.set(record.key, itemOfMention(record));
    this.changed();
  }

  noteMentions(records: readonly MentionRecord[]): void {
    for (const record of records) this.items.set(record.key, itemOfMention(record));
    this.changed();
  }

  noteConversation(record: ConversationRecord): void {
    this.items.set(record.key, itemOfConversation(record));
    this.changed();
  }

  /** The person opened the Home tab, or picked a list: draw it for them now. */
  async open(userId: string, filter?: InboxFilter): Promise<void> {
    const chosen = filter ?? this.viewers.get(userId)?.filter ?? 'mine';
    this.viewers.set(userId, { filter: chosen, openedAt: Date.now() });
    await this.publish(userId, chosen);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** What a person's inbox shows: counts for every list, and the first page of the chosen one. */
  async page(userId: string, filter: InboxFilter) {
    await this.load();
    const todayStartsAt = dayWindow(localDay(this.now(), this.options.timeZone), this.options.timeZone).start.toISOString();
    const listed = [...this.items.values()].filter((item) => isIn(item, filter, userId, todayStartsAt)).sort(workOrder(filter));
    const shown = listed.slice(0, PAGE_SIZE);
    const personal = await this.options.canSeePersonalData(userId);
    const entries: InboxEntry[] = [];
    const mentions = await this.store.mentions.getMany(shown.filter((item) => item.kind === 'mention').map((item) => item.key));
    for (const item of shown) {
      if (item.kind === 'mention') {
        const record = mentions.get(item.key);
        if (!record) {
          this.items.delete(item.key); // erased meanwhile
          continue;
        }
        entries.push(
          personal ? { item, author: record.mention.author.name || record.mention.author.handle, excerpt: record.mention.text } : { item },
        );
        continue;
      }
      const conversation = await this.store.conversations.get(item.key);
      if (!conversation) {
        this.items.delete(item.key);
        continue;
      }
      const customer = conversation.participants[0];
      const last = personal ? await this.conversations.lastInboundText(conversation) : undefined;
      entries.push(personal ? { item, author: customer?.name || customer?.handle, excerpt: last } : { item });
    }
    return {
      filter,
      counts: countsOf(this.items.values(), userId, todayStartsAt),
      entries,
      more: Math.max(0, listed.length - shown.length),
      showsPersonalData: personal,
      at: this.now().toISOString(),
    };
  }

  private async publish(userId: string, filter: InboxFilter): Promise<void> {
    try {
      await this.chat.publishHome(userId, await this.page(userId, filter));
    } catch (error) {
      this.log.warn(`could not draw the inbox of ${userId}`, { error });
    }
  }

  /** Something changed: the inboxes open in the last hour are redrawn once the changes settle. */
  private changed(): void {
    if (this.stopped || this.viewers.size === 0 || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      while (this.redraws.length && (this.redraws[0] ?? 0) <= now - 60_000) this.redraws.shift();
      const watching = [...this.viewers.entries()].sort((a, b) => b[1].openedAt - a[1].openedAt);
      let deferred = false;
      for (const [userId, viewer] of watching) {
        if (viewer.openedAt < now - WATCH_MS) {
          this.viewers.delete(userId);
          continue;
        }
        if (this.redraws.length >= REDRAWS_PER_MINUTE || (viewer.drawnAt ?? 0) > now - PER_PERSON_MS) {
          deferred = true;
          continue;
        }
        viewer.drawnAt = now;
        this.redraws.push(now);
        void this.publish(userId, viewer.filter);
      }
      // Whoever waited is redrawn a little later, even if nothing else changes.
      if (deferred) setTimeout(() => this.changed(), PER_PERSON_MS).unref();
    }, this.options.debounceMs ?? 2_000);
    this.timer.unref();
  }
}
