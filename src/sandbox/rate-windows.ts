/**
 * Fixed rate-limit windows as the platforms document them (X: 15 minutes, Mastodon and Bluesky:
 * 5 minutes), one per named bucket. Each stand-in turns the state into its own headers.
 */
export interface WindowState {
  limit: number;
  /** What is left after this request; -1 when this request is over the limit. */
  remaining: number;
  /** Unix ms. */
  resetAt: number;
}

export class RateWindows {
  private readonly windows = new Map<string, { resetAt: number; used: number }>();

  constructor(
    private readonly now: () => number,
    private readonly windowMs: number,
    private readonly limitOf: (bucket: string) => number,
  ) {}

  /** The bucket's state, spending one request when `spend`. */
  take(bucket: string, spend = true): WindowState {
    const window = this.current(bucket);
    const limit = this.limitOf(bucket);
    let remaining = Math.max(0, limit - window.used);
    if (spend) {
      if (remaining <= 0) remaining = -1;
      else {
        window.used++;
        remaining--;
      }
    }
    return { limit, remaining, resetAt: window.resetAt };
  }

  /** Uses the bucket up until `retryAfterSeconds` from now (an injected 429). */
  exhaust(bucket: string, retryAfterSeconds: number): void {
    const window = this.current(bucket);
    window.used = Number.MAX_SAFE_INTEGER;
    window.resetAt = this.now() + retryAfterSeconds * 1000;
  }

  private current(bucket: string) {
    let window = this.windows.get(bucket);
    if (!window || this.now() >= window.resetAt) {
      window = { resetAt: this.now() + this.windowMs, used: 0 };
      this.windows.set(bucket, window);
    }
    return window;
  }
}
