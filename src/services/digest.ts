import { renderDigestChart } from '../charts/digest-chart.ts';
import { dayWindow, shiftDay } from '../domain/calendar.ts';
import {
  computeDigestFigures,
  type DigestFigures,
  type DigestLike,
  type DigestMention,
  firstDayNeeded,
  type Period,
} from '../domain/digest-stats.ts';
import type { Log } from '../log.ts';
import { DIGEST_METADATA_EVENT } from '../slack/ids.ts';
import { type PostedMessage, SlackCallError, type SlackGateway } from '../slack/slack-gateway.ts';
import { periodTitle, renderDigestMessage } from '../slack/views/digest-message.ts';
import type { DigestLogEntry } from '../store/digest-log-store.ts';
import type { LikeStore } from '../store/like-store.ts';
import type { MentionRecord, MentionStore } from '../store/mention-store.ts';
import type { Store } from '../store/store.ts';
import type { Health } from './health.ts';
import { KeyedMutex } from './keyed-mutex.ts';

export interface DigestOptions {
  channel: string;
  timeZone: string;
  responseTargetMinutes: number;
  workspaceUrl: () => Promise<string>;
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
    private readonly slack: SlackGateway,
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
      const entry = this.store.digests.get(key);
      if (entry?.ts) return 'already_posted';
      if (entry) {
        const found = await this.slack.findMessageByMetadata(
          entry.channel,
          DIGEST_METADATA_EVENT,
          (payload) => payload.key === key,
          Date.parse(entry.attemptedAt) / 1000 - 60,
        );
        if (found) {
          this.log.info(`digest for ${day} was already in Slack (found by its metadata); not posting it again`);
          await this.store.digests.update(key, { ts: found.ts, postedAt: now.toISOString() });
          return 'found_posted';
        }
      }
      await this.store.digests.recordAttempt(key, channel, now);
      const figures = await this.figures({ first: day, last: day });
      const posted = await this.publish(figures, key);
      await this.store.digests.update(key, { ts: posted.ts, postedAt: new Date().toISOString(), chart: { state: 'uploading' } });
      const chart = await this.uploadChart(figures, posted);
      await this.store.digests.update(key, { chart });
      return 'posted';
    });
  }

  /** `/crm digest`: posted now, on request, to the digest channel. */
  async postOnRequest(period: Period, requestedBy: string): Promise<PostedMessage & { quiet: boolean }> {
    const figures = await this.figures(period);
    const posted = await this.publish(figures, `asked:${period.first}:${period.last}:${Date.now()}`, requestedBy);
    await this.uploadChart(figures, posted);
    return { ...posted, quiet: figures.total.count === 0 };
  }

  private async publish(figures: DigestFigures, key: string, requestedBy?: string): Promise<PostedMessage> {
    const message = renderDigestMessage(figures, {
      workspaceUrl: await this.options.workspaceUrl(),
      timeZone: this.options.timeZone,
      key,
      requestedBy,
      // Staff are named, never @-mentioned: a digest pings nobody, the person who asked for it included.
      staffNames: new Map(
        await Promise.all(
          [...new Set([...figures.repliesByStaff.map((s) => s.user), ...(requestedBy ? [requestedBy] : [])])].map(
            async (user) => [user, await this.slack.displayName(user)] as const,
          ),
        ),
      ),
    });
    try {
      const posted = await this.slack.postMessage({ channel: this.options.channel, ...message });
      this.health.set('digest', 'ok');
      return posted;
    } catch (error) {
      const detail = error instanceof SlackCallError ? error.message : String(error);
      this.health.set('digest', 'failing', { detail });
      throw error;
    }
  }

  /** The chart goes to the same channel right after the digest; a quiet period has nothing to chart. */
  private async uploadChart(figures: DigestFigures, digest: PostedMessage): Promise<NonNullable<DigestLogEntry['chart']>> {
    if (figures.total.count === 0) return { state: 'uploaded' };
    const title = `${figures.chart.bucket === 'hour' ? 'Mentions per hour' : 'Mentions per day'} · ${periodTitle(figures)}`;
    try {
      const fileId = await this.slack.uploadFile({
        channel: digest.channel,
        filename: `switchboard-digest-${figures.period.first}${figures.period.days > 1 ? `-to-${figures.period.last}` : ''}.png`,
        title,
        content: renderDigestChart(figures.chart, title),
        altText: `Bar chart of mentions per ${figures.chart.bucket} by label, against the 7-day average`,
      });
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
  store: { mentions: MentionStore; likes?: LikeStore },
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
  return computeDigestFigures({
    period,
    timeZone: options.timeZone,
    mentions,
    likes,
    responseTargetMinutes: options.responseTargetMinutes,
  });
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
    slack: record.slack.ts ? { channel: record.slack.channel, ts: record.slack.ts } : undefined,
    url: mention.url,
  };
}
