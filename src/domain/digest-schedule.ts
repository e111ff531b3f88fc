import { Cron } from 'croner';
import { localDay, shiftDay } from './calendar.ts';

/**
 * When the daily digest runs, from DIGEST_CRON in DIGEST_TIMEZONE, with one library (croner) for
 * both questions: when the next run fires, and which run should have happened by now (what start-up
 * catch-up and daylight-saving changes need). A run in a spring gap (02:30 on a night when 02:00
 * jumps to 03:00) runs when the gap ends; a run in a repeated autumn hour runs once.
 */
export interface DueRun {
  /** The instant the run was scheduled for. */
  runAt: Date;
  /** The local day it reports on: the day before the run's local day. */
  day: string;
}

/** A week back: a weekly cron still has a run to find. Longer gaps are not caught up (README). */
const SEARCH_MS = 8 * 86_400_000;

export class DigestSchedule {
  private readonly cron: Cron;

  /** Throws with croner's reason when the expression is not valid. */
  constructor(
    readonly pattern: string,
    readonly timeZone: string,
  ) {
    this.cron = new Cron(pattern, { timezone: timeZone, paused: true });
  }

  /** The next run after `now`, or undefined when the expression never matches a real date (`0 9 31 2 *`). */
  nextRun(now: Date): Date | undefined {
    return this.cron.nextRun(now) ?? undefined;
  }

  /** The latest scheduled run at or before `now`, within a week. */
  latestDueRun(now: Date): DueRun | undefined {
    // croner's previous runs are strictly before the given time: a millisecond on includes `now`.
    const [runAt] = this.cron.previousRuns(1, new Date(now.getTime() + 1));
    if (!runAt || now.getTime() - runAt.getTime() > SEARCH_MS) return undefined;
    return { runAt, day: shiftDay(localDay(runAt, this.timeZone), -1) };
  }
}

/** Why DIGEST_CRON cannot be used, or undefined when it can. */
export function cronProblem(pattern: string, timeZone = 'UTC'): string | undefined {
  try {
    const schedule = new DigestSchedule(pattern, timeZone);
    return schedule.nextRun(new Date()) ? undefined : 'it never matches a real date';
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
  }
}
