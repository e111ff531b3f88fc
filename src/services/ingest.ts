import { type ContactRecord, isPosted, type MentionAttempt, type MentionRecord, mentionKey } from '../domain/records.ts';
import type { Classification } from '../domain/triage/labels.ts';
import type { MentionClassifier } from '../domain/triage/triage-model.ts';
import type { Log } from '../log.ts';
import { type InboundMention, type Platform, PlatformError, type RateLimitState } from '../platforms/platform.ts';
import { type Health, platformComponent } from './health.ts';
import type { CursorRepository, Store } from './repositories.ts';
import { backoffMs, sleep } from './sleep.ts';
import { ChatCallError, type TeamChat } from './team-chat.ts';
import { channelFor } from './triage.ts';

export interface IngestOptions {
  channels: { mentions: string; questions: string };
  backfillHours: number;
  /** Slack retry backoff after an uncertain call (network error, 5xx). */
  retryBaseMs: number;
  retryMaxMs: number;
  now?: () => Date;
  /** Told of each batch of new mentions once they are in Slack and recorded (automatic-reply rules). */
  onPosted?: (records: MentionRecord[]) => Promise<void>;
}

/** Mentions whose intent is written in one go before they are posted. */
const ATTEMPT_CHUNK = 100;
/** Posted mentions' ts and the cursor are written at least this often. */
const FLUSH_EVERY = 100;
const FLUSH_AFTER_MS = 1_000;

type Delivered = { kind: 'posted' | 'recovered_from_history'; ts: string };

interface PostStep {
  kind: 'post';
  mention: InboundMention;
  record: MentionRecord;
  contact: ContactRecord;
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
 * Brings one platform's new mentions into Slack, each exactly once.
 *
 * The rule that makes it safe: a mention counts as seen only together with the `ts` of its Slack
 * message, and the platform cursor moves past a mention only after that. Before posting, the
 * intent is written down; if an earlier attempt exists (a crash, or an uncertain call), the
 * channel's history is searched for the mention's key in message metadata before posting again.
 */
export class MentionIngest {
  private readonly now: () => Date;
  /** Set when a poll came back so full that older mentions may be out of the platform's reach. */
  gapWarning?: string;

  constructor(
    private readonly platform: Platform,
    private readonly store: Store,
    private readonly classifier: MentionClassifier,
    /** Paces posts per channel itself (Slack takes about one message a second per channel). */
    private readonly chat: TeamChat,
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: IngestOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** One poll: every new mention, oldest first, into Slack. Throws PlatformError / ChatCallError. */
  async pollOnce(signal: AbortSignal): Promise<PollResult> {
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

    // Written in batches: the intents of a chunk of mentions in one write per day file before any
    // is posted, then the Slack ts of those posted and the cursor together, every FLUSH_EVERY
    // mentions or second and always before the cursor moves past them.
    let posted = 0;
    let pending: Array<{ key: string; ts: string }> = [];
    let pendingRecords: MentionRecord[] = [];
    let pendingCursor: string | undefined;
    let lastFlush = Date.now();
    const flush = async () => {
      const [done, cursor, records] = [pending, pendingCursor, pendingRecords];
      // One write for both (on PostgreSQL one commit): the posted ts and the cursor past them.
      await this.store.together(async ({ mentions, cursors }) => {
        if (done.length) await mentions.recordPostedMany(done);
        if (cursor) await this.advanceCursor(cursors, cursor);
      });
      pending = [];
      pendingRecords = [];
      pendingCursor = undefined;
      lastFlush = Date.now();
      // A mention found in Slack after a crash is included: the rules' decisions are keyed by
      // mention, so one acted on before the crash is not acted on twice.
      if (records.length && this.options.onPosted) {
        await this.options.onPosted(records).catch((error: unknown) => this.log.error('acting on new mentions failed', { error }));
      }
    };
    try {
      chunks: for (let start = 0; start < mentions.length && !signal.aborted; start += ATTEMPT_CHUNK) {
        for (const step of await this.prepare(mentions.slice(start, start + ATTEMPT_CHUNK), after, notBefore)) {
          if (signal.aborted) break chunks;
          if (step.kind === 'skip') {
            if (step.advance) pendingCursor = step.mention.cursor;
            continue;
          }
          const delivery = step.kind === 'already_posted' ? step : await this.deliver(step, signal);
          if (delivery === undefined) break chunks; // shutting down mid-retry: the cursor stays before this mention
          if (delivery.kind !== 'already_posted') {
            pending.push({ key: step.record.key, ts: delivery.ts });
            pendingRecords.push({ ...step.record, slack: { ...step.record.slack, ts: delivery.ts } });
            posted++;
            if (step.isLate) this.log.info(`${step.record.key} was listed late, below mentions already posted: posted now`);
          }
          pendingCursor = step.mention.cursor;
          if (pending.length >= FLUSH_EVERY || Date.now() - lastFlush >= FLUSH_AFTER_MS) await flush();
        }
      }
    } finally {
      await flush();
    }
    if (!signal.aborted) await this.recordLikes(notBefore, signal);
    return { fetched: mentions.length, posted, pages, rateLimit };
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
  private async prepare(chunk: InboundMention[], after: string | undefined, notBefore: Date): Promise<Step[]> {
    const { mentions } = this.store;
    const steps: Array<Exclude<Step, PostStep> | Omit<PostStep, 'record' | 'contact'>> = [];
    const attempts: MentionAttempt[] = [];
    const toPost: Array<{ mention: InboundMention; existing: MentionRecord | undefined; isLate: boolean }> = [];
    // One read for the chunk (a PostgreSQL round trip per mention would cost more than the rest).
    const known = await mentions.getMany(chunk.map(mentionKey));
    for (const mention of chunk) {
      const key = mentionKey(mention);
      if (after === undefined && Date.parse(mention.createdAt) < notBefore.getTime()) {
        steps.push({ kind: 'skip', mention, advance: true }); // older than the first start's backfill
        continue;
      }
      const isLate = after !== undefined && this.platform.compareCursors(mention.cursor, after) <= 0;
      // A re-read mention that was erased stays erased (GDPR), however often it is listed again.
      if (isLate && (await mentions.wasErased(key))) {
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
    const contactOf = new Map<string, ContactRecord>();
    // Every author of the chunk linked to a contact and every intent written, in one go (on
    // PostgreSQL one commit; one platform per ingest).
    const written = await this.store.together(async ({ contacts, mentions: intents }) => {
      const linked = await contacts.ensureForAuthors(
        this.platform.id,
        toPost.map(({ mention }) => mention.author),
      );
      for (const [i, { mention, existing }] of toPost.entries()) {
        const contact = linked[i];
        const classification = classifications[i];
        if (!contact || !classification) throw new Error(`no contact for ${mentionKey(mention)}`);
        contactOf.set(mentionKey(mention), contact);
        const channel = existing?.slack.channel ?? this.channelFor(classification);
        attempts.push({ key: mentionKey(mention), mention, classification, contactId: contact.key, slack: { channel } });
      }
      return intents.recordAttempts(attempts);
    });
    const stored = new Map(written.map((record) => [record.key, record]));
    return steps.map((step) => {
      if (step.kind !== 'post') return step;
      const record = stored.get(mentionKey(step.mention));
      const contact = contactOf.get(mentionKey(step.mention));
      if (!record || !contact) throw new Error(`the attempt for ${mentionKey(step.mention)} was not stored`);
      return { ...step, record, contact };
    });
  }

  /** Posts one mention unless an earlier attempt already did. Undefined when shutdown interrupted it. */
  private async deliver(step: PostStep, signal: AbortSignal): Promise<Delivered | undefined> {
    const { record, contact } = step;
    const { key } = record;
    const channel = record.slack.channel;
    if (step.attemptedBefore) {
      // An earlier attempt may have reached Slack before a crash: look before posting again.
      const found = await this.findInHistory(record);
      if (found) {
        this.log.info(`found ${key} already in Slack after a restart; not posting it again`, { channel, ts: found });
        return { kind: 'recovered_from_history', ts: found };
      }
    }

    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const posted = await this.chat.postMention(record, { id: contact.key, name: contact.name });
        this.health.set('slack', 'ok');
        this.log.info(`posted ${key} (${record.classification.label}) to ${channel}`, { ts: posted.ts });
        return { kind: 'posted', ts: posted.ts };
      } catch (error) {
        if (!(error instanceof ChatCallError)) throw error;
        if (error.kind === 'rejected') {
          this.health.set('slack', 'failing', { detail: `${error.method}: ${error.detail}` });
          throw error;
        }
        if (error.kind === 'rate_limited') {
          // The channel's pace already holds off for Retry-After; the next post waits for it.
          const seconds = error.retryAfterSeconds ?? 1;
          this.health.set('slack', 'rate_limited', {
            detail: 'Slack asked to slow down (HTTP 429)',
            until: new Date(this.now().getTime() + seconds * 1000),
          });
          this.log.warn(`Slack rate limit on ${channel}; waiting ${seconds} s as Retry-After asks`);
          continue;
        }
        // Uncertain: the message may exist. Wait, then look for it before trying again.
        const wait = backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
        this.health.set('slack', 'backing_off', {
          detail: `${error.method}: ${error.detail}`,
          until: new Date(this.now().getTime() + wait),
        });
        this.log.warn(`Slack post of ${key} uncertain (${error.detail}); checking history in ${wait} ms`);
        await sleep(wait, signal);
        if (signal.aborted) return undefined;
        const found = await this.findInHistory(record).catch((lookupError: unknown) => {
          if (lookupError instanceof ChatCallError && lookupError.kind !== 'rejected') return undefined;
          throw lookupError;
        });
        if (found) {
          this.health.set('slack', 'ok');
          return { kind: 'recovered_from_history', ts: found };
        }
      }
    }
    return undefined;
  }

  private async findInHistory(record: MentionRecord): Promise<string | undefined> {
    return (await this.chat.findMention(record))?.ts;
  }

  private channelFor(classification: Classification): string {
    return channelFor(classification.label, this.options.channels);
  }
}
