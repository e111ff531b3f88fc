import { compareQueued, PriorityQueue } from '../domain/delivery-order.ts';
import { isPosted, type MentionRecord, type QueuedMention } from '../domain/records.ts';
import { addToSurge, emptySurgeFigures, type SurgeRecord, type SurgeSettings, SurgeWatch } from '../domain/surges.ts';
import type { Log } from '../log.ts';
import type { Health } from './health.ts';
import type { Leadership } from './leadership.ts';
import type { PostedPlace, Store } from './repositories.ts';
import { backoffMs, sleep } from './sleep.ts';
import { ChatCallError, type MessageRef, type TeamChat } from './team-chat.ts';

export interface MentionDeliveryOptions {
  /** Slack retry backoff after an uncertain call (network error, 5xx) or a refusal. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** With several replicas, only the one holding the ingest duty posts (it keeps each channel's pace). */
  leadership?: Leadership;
  /** Told of each batch of mentions once their Slack ts is recorded (automatic-reply rules). */
  onPosted?: (records: MentionRecord[]) => Promise<void>;
  now?: () => Date;
  /** Surge mode (see domain/surges.ts); absent: every mention is posted alone, in priority order. */
  surges?: {
    settings: SurgeSettings;
    /** Slack's pace per channel, as the pacer keeps it: what turns a backlog into seconds. */
    perSecond: number;
    /** Where a surge's start is announced (the questions channel). */
    noticeChannel: string;
    /** A user group (`S…`) named in that notice, once per surge (SURGE_NOTIFY_GROUP). */
    notifyGroup?: string;
  };
}

/** A queued mention, and whether an earlier run may have posted it already (look in Slack first). */
export interface DeliveryItem {
  entry: QueuedMention;
  mayBeInSlack: boolean;
}

/** Mentions per message in a surge's thread. */
const PER_BATCH = 5;
/** A surge message is updated at most this often. */
const SURGE_UPDATE_EVERY_MS = 10_000;

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
  private pending: PostedPlace[] = [];
  private readonly watches = new Map<string, SurgeWatch>();
  /** The surge going on per channel, as stored, with when its message was last updated. */
  private readonly surges = new Map<string, { record: SurgeRecord; shownAt: number; changed: boolean }>();
  private readonly checkedStoredSurge = new Set<string>();
  private readonly calmTimers = new Map<string, NodeJS.Timeout>();
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
    const arrivals = new Map<string, number>();
    for (const item of items) arrivals.set(item.entry.channel, (arrivals.get(item.entry.channel) ?? 0) + 1);
    for (const [channel, count] of arrivals) {
      this.watchOf(channel)?.arrived(count, this.now().getTime());
      this.wake(channel);
    }
  }

  private watchOf(channel: string): SurgeWatch | undefined {
    const settings = this.options.surges?.settings;
    if (!settings) return undefined;
    let watch = this.watches.get(channel);
    if (!watch) {
      watch = new SurgeWatch(settings);
      this.watches.set(channel, watch);
    }
    return watch;
  }

  /**
   * Enters or leaves a surge as the backlog and arrivals say, and returns the one going on. A surge
   * stored as going on (a restart mid-surge) is taken up again: no second message, no second notice.
   */
  private async surgeIn(channel: string, backlog: number): Promise<SurgeRecord | undefined> {
    const watch = this.watchOf(channel);
    const surgeOptions = this.options.surges;
    if (!watch || !surgeOptions) return undefined;
    const now = this.now();
    if (!this.checkedStoredSurge.has(channel)) {
      this.checkedStoredSurge.add(channel);
      const stored = await this.store.surges.active(channel);
      if (stored) {
        watch.resume(Date.parse(stored.startedAt));
        this.surges.set(channel, { record: stored, shownAt: 0, changed: true });
      }
    }
    const change = watch.update(backlog, surgeOptions.perSecond, now.getTime());
    if (change === 'entered') {
      const record: SurgeRecord = {
        key: `surge:${channel}:${now.toISOString()}`,
        channel,
        startedAt: now.toISOString(),
        figures: emptySurgeFigures(),
      };
      await this.store.surges.save(record);
      this.log.warn(`surge in ${channel}: ${backlog} mentions waiting; lower-priority ones go into the surge message's thread`);
      const posted = await this.chat.postSurge(record, []).catch((error: unknown) => {
        this.log.warn(`could not post the surge message in ${channel}`, { error });
        return undefined;
      });
      const withMessage = posted ? { ...record, slack: { ts: posted.ts } } : record;
      if (posted) await this.store.surges.save(withMessage);
      this.surges.set(channel, { record: withMessage, shownAt: Date.now(), changed: false });
      await this.chat
        .postSurgeNotice(surgeOptions.noticeChannel, withMessage, backlog, surgeOptions.notifyGroup)
        .catch((error: unknown) => this.log.warn('could not post the surge notice', { error }));
    }
    if (change === 'left') {
      const current = this.surges.get(channel);
      this.surges.delete(channel);
      if (current) {
        const ended = { ...current.record, endedAt: now.toISOString() };
        await this.store.surges.save(ended);
        this.log.info(`surge in ${channel} over: ${ended.figures.total} mentions`);
        await this.showSurge(ended);
      }
      return undefined;
    }
    return this.surges.get(channel)?.record;
  }

  /** Counts posted mentions into the channel's surge, and updates its message at most every 10 s. */
  private async countIntoSurge(channel: string, records: MentionRecord[]): Promise<void> {
    const current = this.surges.get(channel);
    if (!current) return;
    let figures = current.record.figures;
    for (const record of records) {
      figures = addToSurge(figures, {
        key: record.key,
        text: record.mention.text,
        label: record.classification.label,
        platform: record.mention.platform,
        sentiment: record.classification.sentiment.score,
      });
    }
    current.record = { ...current.record, figures };
    current.changed = true;
    if (Date.now() - current.shownAt < SURGE_UPDATE_EVERY_MS) return;
    current.shownAt = Date.now();
    current.changed = false;
    await this.store.surges.save(current.record);
    await this.showSurge(current.record);
  }

  private async showSurge(surge: SurgeRecord): Promise<void> {
    if (!surge.slack) return;
    try {
      const examples = await this.store.mentions.getMany(surge.figures.examples);
      await this.chat.updateSurge({ ...surge, slack: surge.slack }, [...examples.values()]);
    } catch (error) {
      this.log.warn(`could not update the surge message in ${surge.channel}`, { error });
    }
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
    for (const timer of this.calmTimers.values()) clearTimeout(timer);
    this.calmTimers.clear();
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
      const surge = await this.surgeIn(channel, queue.size);
      const item = queue.pop();
      if (!item) break;
      if (surge?.slack && item.entry.priority !== 1) {
        // In a surge, what is not a known customer's question or complaint goes into the surge
        // message's thread, a few per message, each still with its actions.
        const batch = [item];
        while (batch.length < PER_BATCH && queue.size > 0 && queue.peek()?.entry.priority !== 1) {
          const next = queue.pop();
          if (next) batch.push(next);
        }
        const posted = await this.deliverBatch({ channel, ts: surge.slack.ts }, batch, signal);
        if (posted === undefined) break;
        if (this.pending.length >= FLUSH_EVERY || Date.now() - this.lastFlush >= FLUSH_AFTER_MS) await this.flush();
        continue;
      }
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
      await this.countIntoSurge(channel, [record]);
      if (this.pending.length >= FLUSH_EVERY || Date.now() - this.lastFlush >= FLUSH_AFTER_MS) await this.flush();
    }
    await this.flush();
    const surge = this.surges.get(channel);
    if (surge?.changed) {
      surge.changed = false;
      surge.shownAt = Date.now();
      await this.store.surges.save(surge.record);
      await this.showSurge(surge.record);
    }
    if (surge) this.watchForCalm(channel);
  }

  /** With the queue empty no post asks whether the surge is over: a timer does, until it is. */
  private watchForCalm(channel: string): void {
    if (this.calmTimers.has(channel) || this.stopping.signal.aborted) return;
    const coolDown = (this.options.surges?.settings.coolDownSeconds ?? 60) * 1000;
    const timer = setTimeout(
      () => {
        this.calmTimers.delete(channel);
        if (this.workers.has(channel)) return; // the worker asks itself
        void this.surgeIn(channel, this.queues.get(channel)?.size ?? 0)
          .then((surge) => {
            if (surge) this.watchForCalm(channel);
          })
          .catch((error: unknown) => this.log.warn(`could not check the surge in ${channel}`, { error }));
      },
      Math.max(500, Math.min(coolDown / 2, 30_000)),
    );
    timer.unref();
    this.calmTimers.set(channel, timer);
  }

  /**
   * A few mentions in one message in the surge's thread. Each that an earlier run may have posted is
   * looked for in the thread first. Returns how many were posted (undefined when a stop interrupted it).
   */
  private async deliverBatch(thread: MessageRef, items: DeliveryItem[], signal: AbortSignal): Promise<number | undefined> {
    const records = await this.store.mentions.getMany(items.map((item) => item.entry.key));
    const owed: MentionRecord[] = [];
    for (const item of items) {
      const record = records.get(item.entry.key);
      if (!record || isPosted(record)) {
        await this.store.deliveryQueue.remove([item.entry.key]);
        this.held.delete(item.entry.key);
        continue;
      }
      const found = item.mayBeInSlack ? await this.chat.findMentionBatch(thread, record.key).catch(() => undefined) : undefined;
      if (found) {
        this.pending.push({ key: record.key, ts: found.ts, threadTs: thread.ts, batch: found.keys });
        this.pendingRecords.push({ ...record, slack: { ...record.slack, ts: found.ts, threadTs: thread.ts, batch: found.keys } });
        continue;
      }
      owed.push(record);
    }
    if (owed.length === 0) return 0;
    const mentions = [];
    for (const record of owed) {
      const contact = await this.store.contacts.get(record.contactId);
      mentions.push({ record, contact: { id: record.contactId, name: contact?.name ?? record.mention.author.name } });
    }
    const batch = owed.map((record) => record.key);
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const posted = await this.chat.postMentionBatch(thread, mentions);
        this.health.set('slack', 'ok');
        for (const record of owed) {
          this.pending.push({ key: record.key, ts: posted.ts, threadTs: thread.ts, batch });
          this.pendingRecords.push({ ...record, slack: { ...record.slack, ts: posted.ts, threadTs: thread.ts, batch } });
        }
        this.log.info(`posted ${owed.length} mention(s) into the surge thread of ${thread.channel}`, { ts: posted.ts });
        await this.countIntoSurge(thread.channel, owed);
        return owed.length;
      } catch (error) {
        if (!(error instanceof ChatCallError)) throw error;
        if (error.kind === 'rate_limited') continue;
        const wait = backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
        this.health.set('slack', error.kind === 'rejected' ? 'failing' : 'backing_off', { detail: `${error.method}: ${error.detail}` });
        await sleep(error.kind === 'rejected' ? Math.max(wait, Math.min(NEEDS_A_PERSON_RETRY_MS, this.options.retryMaxMs)) : wait, signal);
        if (signal.aborted) break;
        if (error.kind === 'uncertain') {
          // It may be in the thread: the first mention's key finds the message.
          const found = await this.chat.findMentionBatch(thread, owed[0]?.key ?? '').catch(() => undefined);
          if (found) {
            for (const record of owed) {
              this.pending.push({ key: record.key, ts: found.ts, threadTs: thread.ts, batch: found.keys });
              this.pendingRecords.push({ ...record, slack: { ...record.slack, ts: found.ts, threadTs: thread.ts, batch: found.keys } });
            }
            return owed.length;
          }
        }
      }
    }
    for (const record of owed) this.held.delete(record.key);
    return undefined;
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
