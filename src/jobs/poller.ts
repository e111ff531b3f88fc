import { SwitchboardError } from '../errors.ts';
import type { Log } from '../log.ts';
import { PlatformError } from '../platforms/platform.ts';
import { type Health, platformComponent } from '../services/health.ts';
import type { PollResult } from '../services/ingest.ts';
import type { Leadership } from '../services/leadership.ts';
import { backoffMs, sleep } from '../services/sleep.ts';
import { ChatCallError } from '../services/team-chat.ts';

export interface PollerOptions {
  /** The network's name for messages to a person ("check the Mastodon credentials"). */
  platformName: string;
  intervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** With several replicas, only the one holding the ingest duty polls; the others stand by. */
  leadership?: Leadership;
  now?: () => Date;
}

/** A wait that needs a person (bad token, archived channel) is retried this rarely, not in a storm. */
const NEEDS_A_PERSON_RETRY_MS = 5 * 60_000;
/** However an error looks, the loop never waits less than this: no busy loop. */
const MIN_WAIT_MS = 1_000;

/**
 * When one platform is polled: every `POLL_INTERVAL_SECONDS`, later when the platform says so
 * (rate-limit reset), with backoff on failures. One poll at a time; `stop()` ends the loop after
 * the step in progress, which never leaves a mention half-recorded.
 */
export class Poller {
  private readonly controller = new AbortController();
  private loop?: Promise<void>;
  private failures = 0;
  private readonly now: () => Date;
  private wake?: () => void;
  /** `pollNow` was asked while a poll ran. */
  private wakeRequested = false;

  constructor(
    private readonly platformId: string,
    /** Mentions of one platform, or its private messages. */
    private readonly ingest: { pollOnce(signal: AbortSignal): Promise<PollResult>; gapWarning?: string },
    private readonly health: Health,
    private readonly log: Log,
    private readonly options: PollerOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    this.health.set(this.component, 'starting');
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
    this.health.set(this.component, 'stopped');
  }

  /**
   * Polls now instead of at the next interval (the sandbox's "new mention" button). Asked while a
   * poll is running, the next poll follows it at once: the request is not lost.
   */
  pollNow(): void {
    if (this.wake) this.wake();
    else this.wakeRequested = true;
  }

  private get component() {
    return platformComponent(this.platformId);
  }

  private async run(): Promise<void> {
    const signal = this.controller.signal;
    while (!signal.aborted) {
      let waitMs: number;
      const tenure = this.options.leadership ? await this.options.leadership.claim('ingest') : signal;
      if (!tenure) {
        // Another replica polls. Asked again every interval: when that one dies, this one takes over
        // within one interval (its locks go with its database connection).
        this.health.set(this.component, 'standby', { detail: 'another replica holds the ingest duty' });
        await this.idle(this.options.intervalMs, signal);
        continue;
      }
      try {
        const result = await this.ingest.pollOnce(AbortSignal.any([signal, tenure]));
        this.failures = 0;
        waitMs = this.nextPollDelay(result);
        if (result.needsPerson) {
          waitMs = Math.max(waitMs, NEEDS_A_PERSON_RETRY_MS);
          this.health.set(this.component, 'failing', { detail: result.needsPerson, until: new Date(this.now().getTime() + waitMs) });
          await this.idle(waitMs, signal);
          continue;
        }
        const gap = this.ingest.gapWarning ? `; warning since ${this.ingest.gapWarning}` : '';
        this.health.set(this.component, 'ok', { detail: `${describe(result)}${gap}`, until: new Date(this.now().getTime() + waitMs) });
      } catch (error) {
        waitMs = this.onFailure(error);
      }
      await this.idle(Math.max(MIN_WAIT_MS, waitMs), signal);
    }
  }

  private idle(ms: number, signal: AbortSignal): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    const wakeUp = new AbortController();
    this.wake = () => wakeUp.abort();
    return sleep(ms, AbortSignal.any([signal, wakeUp.signal])).finally(() => {
      this.wake = undefined;
    });
  }

  private nextPollDelay(result: PollResult): number {
    const interval = this.options.intervalMs;
    const rate = result.rateLimit;
    if (rate && rate.remaining === 0) return Math.max(interval, rate.resetAt.getTime() - this.now().getTime() + 1000);
    return interval;
  }

  private onFailure(error: unknown): number {
    const attempt = this.failures++;
    const retry = backoffMs(attempt, this.options.retryBaseMs, this.options.retryMaxMs);
    const at = (ms: number) => new Date(this.now().getTime() + ms);

    // Switched on the one error base: what it is (code), and whether time or a person fixes it (recovery).
    if (error instanceof PlatformError && error.code === 'rate_limited') {
      const ms = Math.max(MIN_WAIT_MS, (error.details.resetAt?.getTime() ?? 0) - this.now().getTime() + 1000);
      this.health.set(this.component, 'rate_limited', { detail: error.message, until: at(ms) });
      this.log.warn(`${error.message}; next poll at ${at(ms).toISOString()}`);
      return ms;
    }
    if (error instanceof ChatCallError) {
      // Slack could not take the post (refused: not_in_channel, channel_not_found, invalid_auth…;
      // or unreachable): keep the mention unposted and the cursor before it, say why, try again.
      const ms = error.isTransient ? retry : Math.max(retry, Math.min(NEEDS_A_PERSON_RETRY_MS, this.options.retryMaxMs));
      this.health.set(this.component, 'backing_off', { detail: `waiting for Slack: ${error.message}`, until: at(ms) });
      this.log.error(`${error.message}; mentions wait until Slack accepts them. Retrying in ${Math.round(ms / 1000)} s`);
      return ms;
    }
    if (error instanceof SwitchboardError && error.isTransient) {
      this.health.set(this.component, 'backing_off', { detail: error.message, until: at(retry) });
      this.log.warn(`${error.message}; retrying in ${Math.round(retry / 1000)} s`);
      return retry;
    }
    if (error instanceof SwitchboardError) {
      const ms = Math.max(this.options.intervalMs, NEEDS_A_PERSON_RETRY_MS);
      this.health.set(this.component, 'failing', { detail: error.message, until: at(ms) });
      const hint = error instanceof PlatformError ? `check the ${this.options.platformName} credentials` : 'this needs a person';
      this.log.error(`${error.message}; ${hint}. Retrying in ${Math.round(ms / 60_000)} min`);
      return ms;
    }
    this.health.set(this.component, 'failing', { detail: error instanceof Error ? error.message : String(error), until: at(retry) });
    this.log.error('poll failed unexpectedly', { error });
    return retry;
  }
}

function describe(result: PollResult): string {
  return `last poll: ${result.fetched} new, ${result.posted} posted, ${result.pages} page(s)`;
}
