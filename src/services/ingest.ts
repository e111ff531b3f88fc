import { isKnownContact, priorityOf } from '../domain/delivery-order.ts';
import { isPosted, type MentionAttempt, type MentionRecord, mentionKey, type QueuedMention } from '../domain/records.ts';
import type { Classification } from '../domain/triage/labels.ts';
import type { MentionClassifier } from '../domain/triage/triage-model.ts';
import type { Log } from '../log.ts';
import { type InboundMention, type Platform, PlatformError, type RateLimitState } from '../platforms/platform.ts';
import { type Health, platformComponent } from './health.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { DeliveryItem, MentionDelivery } from './mention-delivery.ts';
import type { CursorRepository, Store } from './repositories.ts';
import { sleep } from './sleep.ts';
import { channelFor } from './triage.ts';

export interface IngestOptions {
  channels: { mentions: string; questions: string };
  backfillHours: number;
  now?: () => Date;
}

/** Mentions whose intent is written in one go before they are posted. */
const ATTEMPT_CHUNK = 100;

interface PostStep {
  kind: 'post';
  mention: InboundMention;
  record: MentionRecord;
  /** Its place in the delivery queue (stored with the intent). */
  entry: QueuedMention;
  /** An earlier attempt exists (a crash, an uncertain call): Slack's history is searched first. */
  attemptedBefore: boolean;
  isLate: boolean;
}

type Step =
  | PostStep
  | { kind: 'already_posted'; mention: InboundMention; record: MentionRecord; isLate: boolean }
  /** Not posted: older than the first start's backfill (the cursor moves past it), or erased. */
  | { kind: 'skip'; mention: InboundMention; advance: boolean };

export interface PollResult {
  fetched: number;
  posted: number;
  pages: number;
  /** The platform's rate-limit state after the last request, to pace the next poll. */
  rateLimit?: RateLimitState;
  /**
   * Reading works but part of it is refused until a person acts (Bluesky chat without the app
   * password's DM access): shown on /healthz as failing, already said once in the log.
   */
  needsPerson?: string;
}

/**
 * Brings one platform's new mentions to Slack, each exactly once, without waiting for Slack.
 *
 * The rule that makes it safe: the platform cursor moves past a mention only once its intent (the
 * record, classified, with its contact) and its delivery-queue entry are stored. From there
 * MentionDelivery owes it to Slack: posted in priority order at Slack's pace, its ts recorded, and
 * after a restart looked for in the channel's history before being posted again.
 */
export class MentionIngest {
  private readonly now: () => Date;
  /** One intake at a time per network: a poll's chunk and a pushed batch never write the same mention at once. */
  private readonly intake = new KeyedMutex();
  /** Set when a poll came back so full that older mentions may be out of the platform's reach. */
  gapWarning?: string;

  constructor(
    private readonly platform: Platform,
    private readonly store: Store,
    private readonly classifier: MentionClassifier,
    /** Posts the mention messages, in priority order at Slack's pace; ingest hands them over and moves on. */
    private readonly delivery: MentionDelivery,
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: IngestOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** One poll: every new mention, oldest first, into Slack. Throws PlatformError / ChatCallError. */
  async pollOnce(signal: AbortSignal): Promise<PollResult> {
    await this.delivery.ensureResumed();
    const after = await this.store.cursors.get(this.platform.id);
    const notBefore = new Date(this.now().getTime() - this.options.backfillHours * 3_600_000);
    const {
      items: mentions,
      pages,
      rateLimit,
    } = await this.fetchAllPages(async (pageToken) => {
      const page = await this.platform.fetchMentionPage({ after, notBefore, pageToken });
      return { items: page.mentions, nextPageToken: page.nextPageToken, rateLimit: page.rateLimit };
    }, signal);
    // Pages also hold the re-read window below the cursor (see RereadWindow): only what lies
    // above it is new for sure; what lies below is late if it is not stored yet.
    const isBelowCursor = (cursor: string) => after !== undefined && this.platform.compareCursors(cursor, after) <= 0;
    const depth = this.platform.reachableDepth;
    const fresh = mentions.filter((mention) => !isBelowCursor(mention.cursor)).length;
    if (after !== undefined && depth !== undefined && fresh >= depth) {
      // The platform's window was full: mentions older than it may be gone. Say so loudly.
      const detail = `${fresh} new mentions in one poll reached ${this.platform.displayName}'s ${depth}-mention window: older ones may have been missed`;
      this.gapWarning = `${this.now().toISOString()}: ${detail}`;
      this.log.warn(detail);
    }
    // Pages come newest first; Slack should read in the order people wrote. Reversed first, so the
    // (stable) sort keeps mentions with equal cursors (X: the same millisecond) oldest first too.
    mentions.reverse().sort((a, b) => this.platform.compareCursors(a.cursor, b.cursor));

    // Each chunk: contacts, intents and queue entries in one write, then handed to the delivery
    // (which posts in priority order at Slack's pace, in the background), then the cursor moves:
    // a mention is safe once its intent and queue entry are stored.
    let queued = 0;
    for (let start = 0; start < mentions.length && !signal.aborted; start += ATTEMPT_CHUNK) {
      const chunk = mentions.slice(start, start + ATTEMPT_CHUNK);
      queued += await this.intake.run('intake', async () => {
        const steps = await this.prepare(chunk, { after, notBefore });
        const toDeliver: DeliveryItem[] = [];
        let cursor: string | undefined;
        for (const step of steps) {
          if (step.kind === 'skip' && !step.advance) continue;
          if (step.kind === 'post') {
            toDeliver.push({ entry: step.entry, mayBeInSlack: step.attemptedBefore });
            if (step.isLate) this.log.info(`${step.record.key} was listed late, below mentions already posted: queued now`);
          }
          cursor = step.mention.cursor;
        }
        this.delivery.enqueue(toDeliver);
        if (cursor) await this.advanceCursor(this.store.cursors, cursor);
        return toDeliver.length;
      });
    }
    if (!signal.aborted) await this.recordLikes(notBefore, signal);
    return { fetched: mentions.length, posted: queued, pages, rateLimit };
  }
  /**
   * Mentions the network pushed (Meta's webhooks), by the same rule as a poll's: intent and queue
   * entry stored before this returns, then owed to Slack. No cursor moves (the catch-up reads keep
   * their own); one already stored, or erased, is skipped, so a webhook retried, duplicated or
   * arriving after the catch-up read found the same comment changes nothing. Returns how many were queued.
   */
  async acceptPushed(pushed: readonly InboundMention[]): Promise<number> {
    await this.delivery.ensureResumed();
    const mentions = [...pushed].sort((a, b) => this.platform.compareCursors(a.cursor, b.cursor));
    let queued = 0;
    for (let start = 0; start < mentions.length; start += ATTEMPT_CHUNK) {
      const chunk = mentions.slice(start, start + ATTEMPT_CHUNK);
      queued += await this.intake.run('intake', async () => {
        const steps = await this.prepare(chunk, { pushed: true });
        const toDeliver = steps.flatMap((step) =>
          step.kind === 'post' ? [{ entry: step.entry, mayBeInSlack: step.attemptedBefore }] : [],
        );
        this.delivery.enqueue(toDeliver);
        return toDeliver.length;
      });
    }
    return queued;
  }

  /**
   * Likes of the brand's own posts (where the network reports them): stored once each, with the
   * liker's contact when they are known, for the digest. Nothing goes to Slack, and a like alone
   * does not make a contact. Their cursor moves only after the page's likes are stored.
   */
  private async recordLikes(notBefore: Date, signal: AbortSignal): Promise<void> {
    const platform = this.platform;
    if (!platform.fetchLikePage) return;
    const stream = `${platform.id}:likes` as const;
    const after = await this.store.cursors.get(stream);
    const fetchLikePage = platform.fetchLikePage.bind(platform);
    const { items: likes } = await this.fetchAllPages(async (pageToken) => {
      const page = await fetchLikePage({ after, notBefore, pageToken });
      return { items: page.likes, nextPageToken: page.nextPageToken, rateLimit: page.rateLimit };
    }, signal);
    if (signal.aborted || likes.length === 0) return;
    likes.sort((a, b) => platform.compareCursors(a.cursor, b.cursor));
    for (const like of likes) {
      if (after !== undefined || Date.parse(like.createdAt) >= notBefore.getTime()) {
        const contact = await this.store.contacts.findByAuthor(like.platform, like.author);
        await this.store.likes.record({
          key: `${like.platform}:${like.id}`,
          platform: like.platform,
          postId: like.postId,
          author: { id: like.author.id, handle: like.author.handle, name: like.author.name },
          contactId: contact?.key,
          createdAt: like.createdAt,
        });
      }
    }
    const newest = likes.at(-1)?.cursor;
    if (newest && (after === undefined || platform.compareCursors(newest, after) > 0)) await this.store.cursors.set(stream, newest);
  }

  /**
   * Follows `nextPageToken` to the end (mentions or likes alike). A rate limit mid-way waits for
   * the reset and resumes from the same page, so a backlog larger than one rate window is not
   * fetched from scratch. Items are told apart by `id`.
   */
  private async fetchAllPages<T extends { id: string }>(
    fetchPage: (pageToken: string | undefined) => Promise<{ items: T[]; nextPageToken?: string; rateLimit?: RateLimitState }>,
    signal: AbortSignal,
  ) {
    const items: T[] = [];
    const seen = new Set<string>();
    let pageToken: string | undefined;
    let pages = 0;
    let rateLimit: RateLimitState | undefined;
    do {
      let page: Awaited<ReturnType<typeof fetchPage>>;
      try {
        page = await fetchPage(pageToken);
      } catch (error) {
        if (error instanceof PlatformError && error.code === 'rate_limited' && pages > 0 && !signal.aborted) {
          await this.waitForReset(error.details.resetAt, signal);
          continue;
        }
        throw error;
      }
      pages++;
      rateLimit = page.rateLimit;
      for (const item of page.items) {
        // A page boundary can shift while new items arrive: never take one twice.
        if (!seen.has(item.id)) items.push(item);
        seen.add(item.id);
      }
      pageToken = page.nextPageToken;
      if (pageToken && page.rateLimit && page.rateLimit.remaining === 0) {
        await this.waitForReset(page.rateLimit.resetAt, signal);
      }
    } while (pageToken && !signal.aborted);
    if (signal.aborted && pageToken) return { items: [], pages, rateLimit }; // incomplete: take nothing
    return { items, pages, rateLimit };
  }

  private async waitForReset(resetAt: Date | undefined, signal: AbortSignal): Promise<void> {
    const until = resetAt ?? new Date(this.now().getTime() + 60_000);
    this.health.set(platformComponent(this.platform.id), 'rate_limited', { detail: 'waiting for the rate-limit reset', until });
    this.log.warn(`${this.platform.displayName} rate limit reached; resuming at ${until.toISOString()}`);
    await sleep(until.getTime() - this.now().getTime() + 1000, signal);
    this.health.set(platformComponent(this.platform.id), 'ok');
  }

  private async advanceCursor(cursors: CursorRepository, cursor: string): Promise<void> {
    const current = await cursors.get(this.platform.id);
    if (current === undefined || this.platform.compareCursors(cursor, current) > 0) {
      await cursors.set(this.platform.id, cursor);
    }
  }

  /**
   * Decides, for a chunk of mentions in order, what each needs, and writes the intent to post for
   * all that will be posted in one go (write-ahead: before any Slack call).
   */
  private async prepare(chunk: InboundMention[], read: { after?: string; notBefore?: Date; pushed?: boolean }): Promise<Step[]> {
    const { after, notBefore } = read;
    const { mentions } = this.store;
    const steps: Array<Exclude<Step, PostStep> | Omit<PostStep, 'record' | 'entry'>> = [];
    const attempts: MentionAttempt[] = [];
    const toPost: Array<{ mention: InboundMention; existing: MentionRecord | undefined; isLate: boolean }> = [];
    // One read for the chunk (a PostgreSQL round trip per mention would cost more than the rest).
    const known = await mentions.getMany(chunk.map(mentionKey));
    for (const mention of chunk) {
      const key = mentionKey(mention);
      if (!read.pushed && notBefore && after === undefined && Date.parse(mention.createdAt) < notBefore.getTime()) {
        steps.push({ kind: 'skip', mention, advance: true }); // older than the first start's backfill
        continue;
      }
      const isLate = after !== undefined && this.platform.compareCursors(mention.cursor, after) <= 0;
      // A re-read (or pushed again) mention that was erased stays erased (GDPR), however often it is listed again.
      if ((isLate || read.pushed) && (await mentions.wasErased(key))) {
        steps.push({ kind: 'skip', mention, advance: false });
        continue;
      }
      const existing = known.get(key);
      if (isPosted(existing)) {
        steps.push({ kind: 'already_posted', mention, record: existing, isLate });
        continue;
      }
      toPost.push({ mention, existing, isLate });
      steps.push({ kind: 'post', mention, attemptedBefore: Boolean(existing), isLate });
    }
    // Classified before the write, which then holds no lock while the CPU works.
    const classifications = toPost.map(
      ({ mention, existing }) =>
        existing?.classification ??
        // Who the post speaks to is part of what it says: "@brand still waiting" is not "@friend still waiting".
        this.classifier.classify(mention.text, { brandHandles: [this.platform.brandHandle], repliesToBrand: mention.isComment }),
    );
    const entries = new Map<string, QueuedMention>();
    const queuedAt = this.now().toISOString();
    // Every author of the chunk linked to a contact, every intent and queue entry written, in one
    // go (on PostgreSQL one commit; one platform per ingest).
    const written = await this.store.together(async ({ contacts, mentions: intents, deliveryQueue }) => {
      const linked = await contacts.ensureForAuthors(
        this.platform.id,
        toPost.map(({ mention }) => mention.author),
      );
      for (const [i, { mention, existing }] of toPost.entries()) {
        const contact = linked[i];
        const classification = classifications[i];
        if (!contact || !classification) throw new Error(`no contact for ${mentionKey(mention)}`);
        const channel = existing?.slack.channel ?? this.channelFor(classification);
        const key = mentionKey(mention);
        attempts.push({ key, mention, classification, contactId: contact.key, slack: { channel } });
        // Who needs an answer first: a question or complaint from someone the CRM knew before this post.
        const priority = priorityOf(classification.label, isKnownContact(contact, existing?.slack.attemptedAt ?? queuedAt));
        entries.set(key, { key, channel, priority, createdAt: mention.createdAt, queuedAt });
      }
      const recorded = await intents.recordAttempts(attempts);
      await deliveryQueue.add([...entries.values()]);
      return recorded;
    });
    const stored = new Map(written.map((record) => [record.key, record]));
    return steps.map((step) => {
      if (step.kind !== 'post') return step;
      const record = stored.get(mentionKey(step.mention));
      const entry = entries.get(mentionKey(step.mention));
      if (!record || !entry) throw new Error(`the attempt for ${mentionKey(step.mention)} was not stored`);
      return { ...step, record, entry };
    });
  }

  private channelFor(classification: Classification): string {
    return channelFor(classification.label, this.options.channels);
  }
}
