/**
 * Paces posts per channel: Slack allows about one message per second per channel, with short
 * bursts tolerated (https://docs.slack.dev/apis/web-api/rate-limits). A token bucket per channel
 * lets a small burst through at once and then spaces the rest.
 */
export interface PacerOptions {
  /** Sustained rate per channel. */
  perSecond: number;
  /** Posts allowed back to back before pacing starts. */
  burst: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class ChannelPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number; queue: Promise<void> }>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: PacerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Resolves when a post to `channel` may go out. Callers for one channel are served in order. */
  take(channel: string): Promise<void> {
    const bucket = this.buckets.get(channel) ?? { tokens: this.options.burst, at: this.now(), queue: Promise.resolve() };
    this.buckets.set(channel, bucket);
    const turn = bucket.queue.then(async () => {
      this.refill(bucket);
      if (bucket.tokens < 1) {
        await this.sleep(((1 - bucket.tokens) / this.options.perSecond) * 1000);
        this.refill(bucket);
      }
      bucket.tokens -= 1;
    });
    bucket.queue = turn;
    return turn;
  }

  /** After a 429 for this channel, nothing more goes out until Slack's Retry-After has passed. */
  holdOff(channel: string, seconds: number): void {
    const bucket = this.buckets.get(channel);
    if (!bucket) return;
    bucket.tokens = -seconds * this.options.perSecond;
    bucket.at = this.now();
  }

  private refill(bucket: { tokens: number; at: number }): void {
    const now = this.now();
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.options.perSecond);
    bucket.at = now;
  }
}
