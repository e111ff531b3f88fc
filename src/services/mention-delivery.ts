import { compareQueued, PriorityQueue } from '../domain/delivery-order.ts';
import { isPosted, type MentionRecord, type QueuedMention } from '../domain/records.ts';
import type { Log } from '../log.ts';
import type { Health } from './health.ts';
import type { Leadership } from './leadership.ts';
import type { Store } from './repositories.ts';
import { backoffMs, sleep } from './sleep.ts';
import { ChatCallError, type TeamChat } from './team-chat.ts';

export interface MentionDeliveryOptions {
  /** Slack retry backoff after an uncertain call (network error, 5xx) or a refusal. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** With several replicas, only the one holding the ingest duty posts (it keeps each channel's pace). */
  leadership?: Leadership;
  /** Told of each batch of mentions once their Slack ts is recorded (automatic-reply rules). */
  onPosted?: (records: MentionRecord[]) => Promise<void>;
  now?: () => Date;
}

/** A queued mention, and whether an earlier run may have posted it already (look in Slack first). */
export interface DeliveryItem {
  entry: QueuedMention;
  mayBeInSlack: boolean;
}

/** Posted ts and the queue are written at least this often. */
const FLUSH_EVERY = 100;
const FLUSH_AFTER_MS = 1_000;
/** A refusal that needs a person (an archived channel, the bot not invited) is retried this rarely. */
const NEEDS_A_PERSON_RETRY_MS = 5 * 60_000;
/** While another replica holds the ingest duty, how often to ask again. */
const CLAIM_EVERY_MS = 2_000;

/**
 * Mention messages to Slack, each exactly once, in order of who needs an answer (DeliveryPriority,
 * then the oldest post), one worker per channel at Slack's pace. Ingest never waits for it: it
 * writes each mention's intent and its queue entry, hands it over and moves its cursor on. The queue
 * is in the store, so a restart (or another replica taking over) resumes it; an entry an earlier
 * run may have posted is looked for in the channel's history before it is posted.
 */
export class MentionDelivery {
  private readonly queues = new Map<string, PriorityQueue<DeliveryItem>>();
  /** Keys in a queue or being posted: handed over again (a re-read, a restart), they are not queued twice. */
  private readonly held = new Set<string>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private pending: Array<{ key: string; ts: string }> = [];
  private pendingRecords: MentionRecord[] = [];
  private lastFlush = Date.now();
  private flushing: Promise<void> = Promise.resolve();
  private tenure?: AbortSignal;
  /** The tenure in which the stored queue was last resumed. */
  private resumedIn?: AbortSignal;
  private claiming?: Promise<AbortSignal | undefined>;
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly chat: TeamChat,
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: MentionDeliveryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** How many mentions are waiting for Slack, per channel. */
  backlog(): Map<string, number> {
    return new Map([...this.queues].map(([channel, queue]) => [channel, queue.size]));
  }

  /** New mentions, intents and queue entries already stored. Posting happens in the background. */
  enqueue(items: readonly DeliveryItem[]): void {
    for (const item of items) {
      if (this.held.has(item.entry.key)) continue;
      this.held.add(item.entry.key);
      const queue = this.queues.get(item.entry.channel) ?? new PriorityQueue<DeliveryItem>((a, b) => compareQueued(a.entry, b.entry));
      this.queues.set(item.entry.channel, queue);
      queue.push(item);
    }
    for (const channel of new Set(items.map((item) => item.entry.channel))) this.wake(channel);
  }

  /**
   * At start, and whenever this replica takes the ingest duty: what the store says is still owed to
   * Slack. Any of it may have been posted by the run that queued it: each is looked for first.
   */
  async resume(): Promise<number> {
    const entries = (await this.store.deliveryQueue.all()).filter((entry) => !this.held.has(entry.key));
    if (entries.length === 0) return 0;
    const records = await this.store.mentions.getMany(entries.map((entry) => entry.key));
    // Posted (its ts recorded before the queue was told) or erased meanwhile: nothing is owed.
    const settled = entries.filter((entry) => {
      const record = records.get(entry.key);
      return !record || isPosted(record);
    });
    await this.store.deliveryQueue.remove(settled.map((entry) => entry.key));
    const owed = entries.filter((entry) => !settled.includes(entry));
    if (owed.length) this.log.info(`resuming ${owed.length} mention message(s) owed to Slack`);
    this.enqueue(owed.map((entry) => ({ entry, mayBeInSlack: true })));
    return owed.length;
  }

  /**
   * Called by each poll: the first time this replica polls (after a start, or after taking the
   * ingest duty over from another), what the store says is owed is resumed.
   */
  async ensureResumed(): Promise<void> {
    if (this.resumedIn && !this.resumedIn.aborted) return;
    if (!(await this.holdsDuty())) return;
    this.resumedIn = this.tenure ?? new AbortController().signal;
    await this.resume();
  }

  /** Resolves once every queue is empty and what was posted is recorded (tests and the bench wait on it). */
  async idle(): Promise<void> {
    while (this.workers.size > 0) await Promise.all([...this.workers.values()]);
    await this.flushing;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.workers.values()]);
    await this.flush();
  }

  private wake(channel: string): void {
    if (this.workers.has(channel) || this.stopping.signal.aborted) return;
    const worker = this.work(channel)
      .catch((error: unknown) => this.log.error(`posting mentions to ${channel} failed unexpectedly`, { error }))
      .finally(() => {
        this.workers.delete(channel);
        // Something may have been queued as the worker finished.
        if ((this.queues.get(channel)?.size ?? 0) > 0) this.wake(channel);
      });
    this.workers.set(channel, worker);
  }

  /** Only while this replica holds the ingest duty (always, on the files). */
  private async holdsDuty(): Promise<boolean> {
    if (!this.options.leadership) return true;
    if (this.tenure && !this.tenure.aborted) return true;
    this.claiming ??= this.options.leadership.claim('ingest').finally(() => {
      this.claiming = undefined;
    });
    this.tenure = await this.claiming;
    return Boolean(this.tenure && !this.tenure.aborted);
  }

  private async work(channel: string): Promise<void> {
    const queue = this.queues.get(channel);
    const signal = this.stopping.signal;
    while (queue && queue.size > 0 && !signal.aborted) {
      if (!(await this.holdsDuty())) {
        // Another replica posts now; it resumes from the store. What this one held is dropped.
        for (let item = queue.pop(); item; item = queue.pop()) this.held.delete(item.entry.key);
        await sleep(CLAIM_EVERY_MS, signal);
        return;
      }
      const item = queue.pop();
      if (!item) break;
      const record = await this.store.mentions.get(item.entry.key);
      if (!record || isPosted(record)) {
        // Erased meanwhile, or recorded by another path: nothing owed.
        await this.store.deliveryQueue.remove([item.entry.key]);
        this.held.delete(item.entry.key);
        continue;
      }
      const ts = await this.deliver(record, item.mayBeInSlack, signal);
      if (ts === undefined) {
        // Stopping mid-retry: it stays queued in the store for the next run.
        this.held.delete(item.entry.key);
        break;
      }
      this.pending.push({ key: record.key, ts });
      this.pendingRecords.push({ ...record, slack: { ...record.slack, ts } });
      if (this.pending.length >= FLUSH_EVERY || Date.now() - this.lastFlush >= FLUSH_AFTER_MS) await this.flush();
    }
    await this.flush();
  }

  /** Records posted ts and empties the queue entries in one write, then tells the rules. One flush at a time. */
  private flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      const [done, records] = [this.pending, this.pendingRecords];
      if (done.length === 0) return;
      this.pending = [];
      this.pendingRecords = [];
      this.lastFlush = Date.now();
      await this.store.together(async ({ mentions, deliveryQueue }) => {
        await mentions.recordPostedMany(done);
        await deliveryQueue.remove(done.map((entry) => entry.key));
      });
      for (const entry of done) this.held.delete(entry.key);
      if (this.options.onPosted) {
        await this.options.onPosted(records).catch((error: unknown) => this.log.error('acting on new mentions failed', { error }));
      }
    });
    this.flushing = run.catch((error: unknown) => this.log.error('recording posted mentions failed', { error }));
    return this.flushing;
  }

  /** Posts one mention unless an earlier attempt already did. Undefined when a stop interrupted it. */
  private async deliver(record: MentionRecord, mayBeInSlack: boolean, signal: AbortSignal): Promise<string | undefined> {
    const { key } = record;
    const channel = record.slack.channel;
    if (mayBeInSlack) {
      const found = await this.findInHistory(record).catch(() => undefined);
      if (found) {
        this.log.info(`found ${key} already in Slack after a restart; not posting it again`, { channel, ts: found });
        return found;
      }
    }
    const contact = await this.store.contacts.get(record.contactId);
    const label = { id: record.contactId, name: contact?.name ?? record.mention.author.name };
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const posted = await this.chat.postMention(record, label);
        this.health.set('slack', 'ok');
        this.log.info(`posted ${key} (${record.classification.label}) to ${channel}`, { ts: posted.ts });
        return posted.ts;
      } catch (error) {
        if (!(error instanceof ChatCallError)) throw error;
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
        const wait = backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
        if (error.kind === 'rejected') {
          // Retried rarely, not in a storm: a person has to act (invite the bot, fix the channel ID).
          const rarely = Math.max(wait, Math.min(NEEDS_A_PERSON_RETRY_MS, this.options.retryMaxMs));
          // Refused (not_in_channel, channel_not_found…): nothing was posted; it waits for a person to fix it.
          this.health.set('slack', 'failing', {
            detail: `${error.method}: ${error.detail}`,
            until: new Date(this.now().getTime() + rarely),
          });
          this.log.error(`Slack refused the mention message of ${key} (${error.detail}); retrying in ${Math.round(rarely / 1000)} s`);
          await sleep(rarely, signal);
          continue;
        }
        // Uncertain: the message may exist. Wait, then look for it before trying again.
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
          return found;
        }
      }
    }
    return undefined;
  }

  private async findInHistory(record: MentionRecord): Promise<string | undefined> {
    return (await this.chat.findMention(record))?.ts;
  }
}
