import type { ParsedFields } from 'node-cron';
import { instantOf, shiftDay, wallClock } from './calendar.ts';

/**
 * When a daily digest is due, worked out from the cron fields on the zone's wall clock rather than
 * by watching timers. node-cron fires the run on time; this answers "which run should have
 * happened by now", which is what start-up catch-up and daylight-saving changes need: a 02:30 run
 * on a spring-change night (when 02:30 never happens) is due at 03:30, and a 01:30 run on an
 * autumn night (which happens twice) names the same digest day both times.
 */

export interface DueRun {
  /** The instant the run was scheduled for. */
  runAt: Date;
  /** The local day it reports on: the day before the run's local day. */
  day: string;
}

const SEARCH_DAYS = 8;

/** The latest scheduled run at or before `now`, looking back a week (a weekly cron still has one). */
export function latestDueRun(fields: ParsedFields, timeZone: string, now: Date): DueRun | undefined {
  const today = wallClock(now, timeZone);
  const todayIso = `${today.year}-${String(today.month).padStart(2, '0')}-${String(today.date).padStart(2, '0')}`;
  const hours = [...fields.hour].sort((a, b) => b - a);
  const minutes = [...fields.minute].sort((a, b) => b - a);
  for (let back = 0; back <= SEARCH_DAYS; back++) {
    const day = shiftDay(todayIso, -back);
    if (!dayMatches(fields, day)) continue;
    const [year, month, date] = day.split('-').map(Number) as [number, number, number];
    for (const hour of hours) {
      for (const minute of minutes) {
        const runAt = instantOf(year, month, date, hour, minute, timeZone);
        if (runAt.getTime() <= now.getTime()) return { runAt, day: shiftDay(day, -1) };
      }
    }
  }
  return undefined;
}

function dayMatches(fields: ParsedFields, day: string): boolean {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const weekday = new Date(Date.UTC(year, month - 1, date)).getUTCDay();
  const lastDate = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const dateMatches = fields.dayOfMonth.some((value) => value === date || (value === 'L' && date === lastDate));
  const weekdayMatches = fields.dayOfWeek.some((value) => value === weekday || value === weekday + 7);
  return fields.month.includes(month) && dateMatches && weekdayMatches;
}
