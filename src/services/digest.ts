import { dayWindow, shiftDay } from '../domain/calendar.ts';
import {
  computeDigestFigures,
  type DigestFigures,
  type DigestLike,
  type DigestMention,
  firstDayNeeded,
  type Period,
  privateMessageFigures,
} from '../domain/digest-stats.ts';
import type { DigestLogEntry, MentionRecord } from '../domain/records.ts';
import { topTerms } from '../domain/surges.ts';
import type { Log } from '../log.ts';
import type { Health } from './health.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { ConversationRepository, LikeRepository, MentionRepository, Store, SurgeRepository } from './repositories.ts';
import type { MessageRef, TeamChat } from './team-chat.ts';

export interface DigestOptions {
  channel: string;
  timeZone: string;
  responseTargetMinutes: number;
}

export type DailyOutcome = 'posted' | 'already_posted' | 'found_posted';

/**
 * Builds digests from the store and posts them. The scheduled daily digest is posted exactly once
 * per day: an attempt is logged before chat.postMessage, and an attempt without a ts (a crash, a
 * lost answer) is settled by finding the message's metadata in the channel before posting again.
 * The chart follows as a file upload; if that fails the text digest stands on its own.
 */
export class DigestService {
  private readonly lock = new KeyedMutex();

  constructor(
    private readonly store: Store,
    private readonly chat: TeamChat,
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: DigestOptions,
  ) {}

  /** The figures for a period, read from the days' mention files only (not the whole history). */
  async figures(period: Period): Promise<DigestFigures> {
    const figures = await digestFiguresFrom(this.store, period, this.options);
    // Top contacts by their CRM name (merged identities), not the name on one post.
    for (const contact of figures.topContacts) contact.name = (await this.store.contacts.get(contact.contactId))?.name ?? contact.name;
    return figures;
  }

  /** The scheduled digest for `day`, exactly once whatever restarts or repeated runs happen. */
  postDaily(day: string, now: Date): Promise<DailyOutcome> {
    const key = `daily:${day}`;
    return this.lock.run(key, async () => {
      const channel = this.options.channel;
      const entry = await this.store.digests.get(key);
      if (entry?.ts) return 'already_posted';
      if (entry) {
        const found = await this.chat.findDigest(entry.channel, key, Date.parse(entry.attemptedAt) / 1000 - 60);
        if (found) {
          this.log.info(`digest for ${day} was already in Slack (found by its metadata); not posting it again`);
          await this.store.digests.update(key, { ts: found.ts, postedAt: now.toISOString() });
          return 'found_posted';
        }
      }
      await this.store.digests.recordAttempt(key, channel, now, { period: { first: day, last: day } });
      const figures = await this.figures({ first: day, last: day });
      const posted = await this.publish(figures, key);
      await this.store.digests.update(key, { ts: posted.ts, postedAt: new Date().toISOString(), chart: { state: 'uploading' } });
      const chart = await this.uploadChart(figures, posted);
      await this.store.digests.update(key, { chart });
      return 'posted';
    });
  }

  /** `/crm digest`: posted now, on request, to the digest channel. */
  async postOnRequest(period: Period, requestedBy: string): Promise<MessageRef & { quiet: boolean }> {
    const key = `asked:${period.first}:${period.last}:${Date.now()}`;
    // Logged like the daily one, so an erasure can find and redraw it.
    await this.store.digests.recordAttempt(key, this.options.channel, new Date(), { period, requestedBy });
    const figures = await this.figures(period);
    const posted = await this.publish(figures, key, requestedBy);
    await this.store.digests.update(key, { ts: posted.ts, postedAt: new Date().toISOString() });
    await this.uploadChart(figures, posted);
    return { ...posted, quiet: figures.total.count === 0 };
  }

  /**
   * After an erasure: every posted digest whose period touched one of these UTC days (a day either
   * side, for the time zone) is rebuilt from the store as it is now, without the person, and
   * updated in place. The chart (counts per hour, no names) stays.
   */
  async redrawCovering(days: ReadonlySet<string>): Promise<{ redrawn: number; failed: number }> {
    let redrawn = 0;
    let failed = 0;
    if (!days.size) return { redrawn, failed };
    for (const entry of await this.store.digests.all()) {
      const period = entry.period ?? periodOfDailyKey(entry.key);
      if (!entry.ts || !period) continue;
      const touched = [...days].some((day) => day >= shiftDay(period.first, -1) && day <= shiftDay(period.last, 1));
      if (!touched) continue;
      try {
        const figures = await this.figures(period);
        await this.lock.run(entry.key, () =>
          this.chat.updateDigest({ channel: entry.channel, ts: entry.ts ?? '' }, figures, {
            key: entry.key,
            timeZone: this.options.timeZone,
            requestedBy: entry.requestedBy,
          }),
        );
        redrawn += 1;
      } catch (error) {
        failed += 1;
        this.log.warn(`could not redraw the digest ${entry.key} after an erasure`, { error });
      }
    }
    return { redrawn, failed };
  }

  private async publish(figures: DigestFigures, key: string, requestedBy?: string): Promise<MessageRef> {
    try {
      const posted = await this.chat.postDigest(this.options.channel, figures, { key, timeZone: this.options.timeZone, requestedBy });
      this.health.set('digest', 'ok');
      return posted;
    } catch (error) {
      this.health.set('digest', 'failing', { detail: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }

  /** The chart goes to the same channel right after the digest; a quiet period has nothing to chart. */
  private async uploadChart(figures: DigestFigures, digest: MessageRef): Promise<NonNullable<DigestLogEntry['chart']>> {
    if (figures.total.count === 0) return { state: 'uploaded' };
    try {
      const fileId = await this.chat.uploadDigestChart(digest, figures);
      return { state: 'uploaded', fileId };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.log.warn(`the digest chart could not be uploaded (${detail}); the text digest is posted`);
      return { state: 'failed', detail };
    }
  }
}

/**
 * The figures for a period from the mention store: only the files of the days involved are read,
 * so the cost follows the period's traffic, not the size of the history.
 */
export async function digestFiguresFrom(
  store: { mentions: MentionRepository; likes?: LikeRepository; conversations?: ConversationRepository; surges?: SurgeRepository },
  period: Period,
  options: { timeZone: string; responseTargetMinutes: number },
): Promise<DigestFigures> {
  const from = firstDayNeeded(period);
  const start = dayWindow(from, options.timeZone).start.getTime();
  const end = dayWindow(period.last, options.timeZone).end.getTime();
  // Mention files are by UTC day; a local day can touch the UTC days either side of it.
  const mentions: DigestMention[] = [];
  const likes: DigestLike[] = [];
  const within = (iso: string) => Date.parse(iso) >= start && Date.parse(iso) < end;
  for (let day = shiftDay(from, -1); day <= shiftDay(period.last, 1); day = shiftDay(day, 1)) {
    for await (const record of store.mentions.readDay(day)) if (within(record.mention.createdAt)) mentions.push(toDigestMention(record));
    if (store.likes) {
      for await (const like of store.likes.readDay(day)) {
        if (within(like.createdAt)) likes.push({ contactId: like.contactId, name: like.author.name, createdAt: like.createdAt });
      }
    }
  }
  const figures = computeDigestFigures({
    period,
    timeZone: options.timeZone,
    mentions,
    likes,
    responseTargetMinutes: options.responseTargetMinutes,
  });
  if (store.conversations) figures.privateMessages = await privateFigures(store.conversations, period, options.timeZone);
  if (store.surges) {
    const periodStart = dayWindow(period.first, options.timeZone).start.toISOString();
    const surges = await store.surges.between(periodStart, new Date(end).toISOString());
    if (surges.length) {
      figures.surges = surges.map((surge) => ({
        channel: surge.channel,
        startedAt: surge.startedAt,
        endedAt: surge.endedAt,
        mentions: surge.figures.total,
        terms: topTerms(surge.figures, 3),
        sentiment: surge.figures.sentiment,
      }));
    }
  }
  return figures;
}

/** Private messages sent in the period (either way), and whether their conversations still wait for an answer. */
async function privateFigures(conversations: ConversationRepository, period: Period, timeZone: string) {
  const start = dayWindow(period.first, timeZone).start.getTime();
  const end = dayWindow(period.last, timeZone).end.getTime();
  const messages: Array<{ direction: 'in' | 'out'; conversationKey: string; responseMs?: number }> = [];
  for (let day = shiftDay(period.first, -1); day <= shiftDay(period.last, 1); day = shiftDay(day, 1)) {
    for await (const message of conversations.readMessagesDay(day)) {
      const at = Date.parse(message.sentAt);
      if (at >= start && at < end) {
        messages.push({ direction: message.direction, conversationKey: message.conversationKey, responseMs: message.responseMs });
      }
    }
  }
  const isWaiting = new Map<string, boolean>();
  for (const key of new Set(messages.map((message) => message.conversationKey))) {
    const conversation = await conversations.get(key);
    isWaiting.set(key, Boolean(conversation?.awaitingSince) && conversation?.status !== 'resolved');
  }
  return privateMessageFigures(messages, isWaiting);
}

function toDigestMention(record: MentionRecord): DigestMention {
  const { mention, workflow } = record;
  return {
    key: record.key,
    platform: mention.platform,
    label: record.classification.label,
    sentiment: record.classification.sentiment.score,
    text: mention.text,
    createdAt: mention.createdAt,
    contactId: record.contactId,
    contactName: mention.author.name || `@${mention.author.handle}`,
    replies: (workflow?.replies ?? []).map((reply) => ({ by: reply.by, at: reply.at })),
    likes: workflow?.liked ? 1 : 0,
    isComment: Boolean(mention.isComment),
    resolved: Boolean(workflow?.resolved),
    automatic: workflow?.automatic && { state: workflow.automatic.state, at: workflow.automatic.at },
    slack: record.slack.ts ? { channel: record.slack.channel, ts: record.slack.ts } : undefined,
    url: mention.url,
  };
}

/** `daily:2026-11-25` → that day (entries written before the log kept periods). */
function periodOfDailyKey(key: string): Period | undefined {
  const day = /^daily:(\d{4}-\d{2}-\d{2})$/.exec(key)?.[1];
  return day ? { first: day, last: day } : undefined;
}
