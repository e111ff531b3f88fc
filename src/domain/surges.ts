import type { PlatformId } from '../platforms/platform.ts';
import type { Label } from './triage/labels.ts';

/**
 * When a channel is in a surge: Slack takes about one message a second per channel, so a backlog
 * that would take longer than `backlogSeconds` to post at that pace is a surge; so is a minute's
 * arrivals far above what is usual (the mean plus `sigmas` standard deviations of earlier minutes,
 * learnt as the bot runs, and at least `minPerMinute`). A surge ends only once the backlog is short
 * and arrivals have been ordinary for `coolDownSeconds`, so it does not flap.
 */
export interface SurgeSettings {
  backlogSeconds: number;
  sigmas: number;
  minPerMinute: number;
  coolDownSeconds: number;
}

export const DEFAULT_SURGE_SETTINGS: SurgeSettings = { backlogSeconds: 60, sigmas: 4, minPerMinute: 30, coolDownSeconds: 300 };

/** Per channel: arrivals by minute, a running mean and variance of ordinary minutes, and the state. */
export class SurgeWatch {
  private minute = -1;
  private count = 0;
  private mean = 0;
  private variance = 0;
  private minutesSeen = 0;
  private calmSince?: number;
  surging = false;
  since?: number;

  constructor(private readonly settings: SurgeSettings) {}

  /** A surge stored as going on when this process started: it goes on until calm, as if never interrupted. */
  resume(sinceMs: number): void {
    this.surging = true;
    this.since = sinceMs;
  }

  /** Mentions queued for this channel at `nowMs`. */
  arrived(count: number, nowMs: number): void {
    this.roll(nowMs);
    this.count += count;
  }

  /** Decides the state from the backlog (mentions waiting) and Slack's pace; says whether it changed. */
  update(backlog: number, perSecond: number, nowMs: number): 'entered' | 'left' | undefined {
    this.roll(nowMs);
    const isLongBacklog = backlog / perSecond > this.settings.backlogSeconds;
    const spread = Math.sqrt(this.variance);
    const isRush =
      this.count >= this.settings.minPerMinute && this.minutesSeen >= 3 && this.count > this.mean + this.settings.sigmas * spread;
    if (!this.surging && (isLongBacklog || isRush)) {
      this.surging = true;
      this.since = nowMs;
      this.calmSince = undefined;
      return 'entered';
    }
    if (!this.surging) return undefined;
    const isCalm = backlog / perSecond <= this.settings.backlogSeconds / 4 && !isRush;
    if (!isCalm) {
      this.calmSince = undefined;
      return undefined;
    }
    this.calmSince ??= nowMs;
    if (nowMs - this.calmSince < this.settings.coolDownSeconds * 1000) return undefined;
    this.surging = false;
    this.since = undefined;
    this.calmSince = undefined;
    return 'left';
  }

  /** A finished minute joins the baseline, unless it was part of a surge (which is not "usual"). */
  private roll(nowMs: number): void {
    const minute = Math.floor(nowMs / 60_000);
    if (minute === this.minute) return;
    if (this.minute >= 0 && !this.surging) {
      // Welford's running mean and variance over ordinary minutes (idle minutes count as zero).
      const quiet = Math.min(minute - this.minute - 1, 60);
      for (const value of [this.count, ...Array.from({ length: quiet }, () => 0)]) {
        this.minutesSeen += 1;
        const delta = value - this.mean;
        this.mean += delta / this.minutesSeen;
        this.variance += (delta * (value - this.mean) - this.variance) / this.minutesSeen;
      }
    }
    this.minute = minute;
    this.count = 0;
  }
}

/** What a surge message shows, kept with the surge and updated as mentions come in. */
export interface SurgeFigures {
  total: number;
  byLabel: Partial<Record<Label, number>>;
  byNetwork: Partial<Record<PlatformId, number>>;
  sentiment: { positive: number; neutral: number; negative: number };
  /** Word counts, for the top terms (common words and handles left out). */
  words: Record<string, number>;
  /** A few posts, to show what people are saying (mention keys). */
  examples: string[];
}

export const emptySurgeFigures = (): SurgeFigures => ({
  total: 0,
  byLabel: {},
  byNetwork: {},
  sentiment: { positive: 0, neutral: 0, negative: 0 },
  words: {},
  examples: [],
});

const COMMON = new Set(
  'the and for you your with this that have has are was were not but all can our out get got just its it’s i’m from they what when where how why who will would about there their them then than been into more some like also very really still again'.split(
    ' ',
  ),
);

/** Adds one mention to the figures (pure: returns new figures). Word counts are kept to the 200 most frequent. */
export function addToSurge(
  figures: SurgeFigures,
  mention: { key: string; text: string; label: Label; platform: PlatformId; sentiment: number },
): SurgeFigures {
  const words = { ...figures.words };
  for (const word of mention.text
    .toLowerCase()
    .replace(/@[\w.@-]+|https?:\/\/\S+/g, ' ')
    .split(/[^\p{L}\p{N}’']+/u)) {
    if (word.length > 2 && !COMMON.has(word) && !/^\d+$/.test(word)) words[word] = (words[word] ?? 0) + 1;
  }
  const kept =
    Object.entries(words).length > 400
      ? Object.fromEntries(
          Object.entries(words)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 200),
        )
      : words;
  const mood = mention.sentiment > 0.1 ? 'positive' : mention.sentiment < -0.1 ? 'negative' : 'neutral';
  return {
    total: figures.total + 1,
    byLabel: { ...figures.byLabel, [mention.label]: (figures.byLabel[mention.label] ?? 0) + 1 },
    byNetwork: { ...figures.byNetwork, [mention.platform]: (figures.byNetwork[mention.platform] ?? 0) + 1 },
    sentiment: { ...figures.sentiment, [mood]: figures.sentiment[mood] + 1 },
    words: kept,
    examples: figures.examples.length < 3 ? [...figures.examples, mention.key] : figures.examples,
  };
}

export const topTerms = (figures: SurgeFigures, count = 5): string[] =>
  Object.entries(figures.words)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, count)
    .map(([word]) => word);

/** A surge as the digest and the surge message name it. */
export interface SurgeRecord {
  /** `surge:<channel>:<start ISO>`. */
  key: string;
  channel: string;
  startedAt: string;
  endedAt?: string;
  /** The surge message, once posted. */
  slack?: { ts: string };
  figures: SurgeFigures;
}
