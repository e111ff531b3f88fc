import { createHash } from 'node:crypto';
import type { InboundDirectMessage } from '../domain/conversations.ts';
import { isPosted, mentionKey } from '../domain/records.ts';
import type { Log } from '../log.ts';
import { type InboundMention, isPlatformError, type Platform, type PlatformId, type PushedEvent } from '../platforms/platform.ts';
import type { DirectMessageIngest } from './conversations.ts';
import { type Health, platformComponent } from './health.ts';
import type { MentionIngest } from './ingest.ts';
import type { Leadership } from './leadership.ts';
import type { MentionMessages } from './mention-messages.ts';
import type { Store } from './repositories.ts';
import { backoffMs } from './sleep.ts';

/** Where a network's pushed mentions and messages go: the same intake its reads use. */
export interface PushedIntake {
  mentions: MentionIngest;
  directMessages?: DirectMessageIngest;
}

export interface WebhookIntakeOptions {
  /** The networks whose webhooks are expected: deliveries wait in the inbox until each has connected (only a connected network can read them). */
  networks: readonly PlatformId[];
  /** How often a replica holding the ingest duty looks for deliveries another replica stored. */
  checkEveryMs?: number;
  retryBaseMs: number;
  retryMaxMs: number;
  now?: () => Date;
}

const BATCH = 50;

/**
 * Takes in what networks push (Meta's webhooks). The route stores each verified delivery in the
 * webhook inbox before answering, so a crash after the 200 loses nothing; this turns stored
 * deliveries into mentions and messages through the networks' own intake (the same exactly-once
 * path as a poll) and drops a delivery only once its events are stored. Meta's retries of a
 * delivery are the same inbox key; a duplicate event in another delivery is the same mention or
 * message key, and changes nothing. Deliveries are taken oldest first and each delivery's events
 * in their own time order, so an edit that overtakes its comment still ends with the latest text.
 *
 * Only the replica holding the ingest duty takes deliveries in (any replica may store them).
 */
export class WebhookIntake {
  private readonly now: () => Date;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private failures = 0;
  private retryAt = 0;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly store: Store,
    private readonly platforms: ReadonlyMap<PlatformId, Platform>,
    private readonly intakeOf: (platform: PlatformId) => PushedIntake | undefined,
    private readonly messages: MentionMessages,
    private readonly leadership: Leadership,
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: WebhookIntakeOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Stores one verified delivery (before the webhook is answered), then takes it in behind the answer. */
  async receive(body: string): Promise<void> {
    const key = createHash('sha256').update(body).digest('hex').slice(0, 32);
    const fresh = await this.store.webhookInbox.add({ key, receivedAt: this.now().toISOString(), body });
    if (!fresh) this.log.debug('a webhook delivery came again while the first was waiting; stored once');
    this.takeInSoon();
  }

  start(): void {
    const every = this.options.checkEveryMs ?? 2_000;
    this.timer = setInterval(() => this.takeInSoon(), every);
    this.timer.unref();
    this.takeInSoon();
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Runs a take-in now, or once more after the one running (a delivery may have come in meanwhile). */
  takeInSoon(): void {
    if (this.shutdown.signal.aborted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.takeIn()
      .catch((error: unknown) => this.log.error('taking in webhook deliveries failed', { error }))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.takeInSoon();
        }
      });
  }

  private async takeIn(): Promise<void> {
    if (Date.now() < this.retryAt) return;
    if (!this.options.networks.every((id) => this.platforms.has(id))) return; // taken in once they connect
    if (!(await this.leadership.claim('ingest'))) return;
    for (;;) {
      if (this.shutdown.signal.aborted) return;
      const deliveries = await this.store.webhookInbox.pending(BATCH);
      if (deliveries.length === 0) return;
      // A batch's events are taken in together (one write per network, as a poll's page is): the
      // deliveries are dropped only once all of them are stored; a failure keeps them all, and
      // taking one in again changes nothing.
      let complete: boolean;
      try {
        complete = await this.takeInBatch(deliveries.map((delivery) => delivery.body));
      } catch (error) {
        this.backOff(error);
        return;
      }
      if (!complete) return; // a stop cut it short: all of them stay
      await this.store.webhookInbox.done(deliveries.map((delivery) => delivery.key));
      this.failures = 0;
    }
  }

  /** Waits before the next try when a network or Slack failed; the deliveries stay in the inbox. */
  private backOff(error: unknown): void {
    const wait =
      isPlatformError(error) && error.details.resetAt
        ? Math.max(error.details.resetAt.getTime() - Date.now(), 0)
        : backoffMs(this.failures, this.options.retryBaseMs, this.options.retryMaxMs);
    this.failures++;
    this.retryAt = Date.now() + wait;
    setTimeout(() => this.takeInSoon(), wait + 10).unref();
    this.log.warn(
      `a webhook delivery could not be taken in (${error instanceof Error ? error.message : String(error)}); trying again in ${Math.round(wait / 1000)} s`,
    );
  }

  /** Deliveries' events, through every network's intake. False when a stop interrupted it. */
  private async takeInBatch(bodies: string[]): Promise<boolean> {
    const events: Array<{ platform: PlatformId; event: PushedEvent }> = [];
    for (const body of bodies) {
      for (const platform of this.platforms.values()) {
        if (!platform.pushed) continue;
        try {
          for (const event of await platform.pushed.eventsOf(body)) events.push({ platform: platform.id, event });
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          // Signed by Meta but not JSON: nothing in it can ever be read. Said, and dropped.
          this.log.warn('a signed webhook delivery was not JSON; dropped');
          break;
        }
      }
    }
    events.sort((a, b) => timeOf(a.event).localeCompare(timeOf(b.event)));
    for (const platformId of new Set(events.map(({ platform }) => platform))) {
      const intake = this.intakeOf(platformId);
      if (!intake) continue;
      const mine = events.filter(({ platform }) => platform === platformId).map(({ event }) => event);
      if (!(await this.apply(platformId, intake, mine))) return false;
      this.health.set(platformComponent(platformId), 'ok');
    }
    return true;
  }

  private async apply(platform: PlatformId, intake: PushedIntake, events: PushedEvent[]): Promise<boolean> {
    // The latest word on each comment wins: an edit folded into its comment, a removal noted once it is in Slack.
    const mentions = new Map<string, InboundMention>();
    const removed = new Map<string, string>();
    const messages: InboundDirectMessage[] = [];
    for (const event of events) {
      if (event.kind === 'mention') {
        const key = mentionKey(event.mention);
        const known = mentions.get(key);
        mentions.set(key, known?.editedAt ? { ...event.mention, text: known.text, editedAt: known.editedAt } : event.mention);
      } else if (event.kind === 'edited') {
        const key = mentionKey(event.mention);
        mentions.set(key, { ...(mentions.get(key) ?? event.mention), text: event.mention.text, editedAt: event.at });
      } else if (event.kind === 'removed') {
        removed.set(mentionKey({ platform: event.platform, id: event.id }), event.at);
      } else {
        messages.push(event.message);
      }
    }
    // Edits of mentions already stored change their text; the rest are new mentions.
    const known = await this.store.mentions.getMany([...mentions.keys()]);
    const fresh: InboundMention[] = [];
    for (const [key, mention] of mentions) {
      const stored = known.get(key);
      if (!stored) fresh.push(mention);
      else if (mention.editedAt && mention.text !== stored.mention.text) await this.edit(key, mention);
    }
    if (fresh.length) await intake.mentions.acceptPushed(fresh);
    for (const [key, at] of removed) await this.remove(key, at);
    if (messages.length && intake.directMessages) {
      const posted = await intake.directMessages.acceptPushed(messages, this.shutdown.signal);
      if (posted === undefined) return false;
    } else if (messages.length) {
      this.log.info(`${messages.length} private message(s) from ${platform} not taken in: SLACK_CHANNEL_DMS is not set`);
    }
    return true;
  }

  /** The author changed the text: the stored mention and its message follow (the triage stays as it was). */
  private async edit(key: string, mention: InboundMention): Promise<void> {
    const updated = await this.store.mentions.updateTriage(key, (record) => ({
      classification: record.classification,
      slack: record.slack,
      mention: { ...record.mention, text: mention.text, editedAt: mention.editedAt },
    }));
    this.log.info(`${key} was edited by its author`);
    if (isPosted(updated)) await this.messages.refresh(updated);
  }

  /** The author deleted it: the message says so (and keeps what was said, for the team's record). */
  private async remove(key: string, at: string): Promise<void> {
    const stored = await this.store.mentions.get(key);
    if (!stored || stored.workflow?.removed) return;
    await this.messages.update(key, (workflow) => ({ ...workflow, removed: { at } }));
    this.log.info(`${key} was removed by its author`);
  }
}

function timeOf(event: PushedEvent): string {
  if (event.kind === 'mention') return event.mention.createdAt;
  if (event.kind === 'direct_message') return event.message.createdAt;
  return event.at;
}
