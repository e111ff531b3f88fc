import { wallClock } from '../calendar.ts';

/**
 * Business hours as an operator writes them in `BUSINESS_HOURS`: one or more spans separated by
 * commas, each days then times, e.g. `Mon-Fri 09:00-18:00, Sat 10:00-14:00`, optionally ending in
 * an IANA zone (`Mon-Fri 09:00-18:00 Europe/Paris`) when the team's hours are not kept in
 * `DIGEST_TIMEZONE`. Times are wall-clock times in that zone, so a daylight-saving change moves the
 * instants, never the hours the team reads.
 */
export interface BusinessHours {
  spans: Array<{ days: ReadonlySet<number>; fromMinute: number; toMinute: number }>;
  /** The zone written in the setting, if any; otherwise the caller's (DIGEST_TIMEZONE). */
  timeZone?: string;
  /** As written, for messages. */
  text: string;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function dayIndex(word: string): number | undefined {
  const index = DAY_NAMES.indexOf(word.slice(0, 3).toLowerCase());
  return index === -1 ? undefined : index;
}

function minuteOf(time: string): number | undefined {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!match) return undefined;
  const [hour, minute] = [Number(match[1]), Number(match[2])];
  if (hour > 24 || minute > 59 || (hour === 24 && minute > 0)) return undefined;
  return hour * 60 + minute;
}

export const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Parses `BUSINESS_HOURS`; a problem comes back in words that say what to write instead. */
export function parseBusinessHours(text: string): BusinessHours | { problem: string } {
  const example = 'write it like `Mon-Fri 09:00-18:00` or `Mon-Fri 09:00-18:00, Sat 10:00-14:00 Europe/Paris`';
  let rest = text.trim();
  let timeZone: string | undefined;
  const zone = /\s([A-Za-z_]+\/[A-Za-z_+\-/0-9]+|UTC)$/.exec(rest);
  if (zone?.[1]) {
    if (!isTimeZone(zone[1])) return { problem: `"${zone[1]}" is not an IANA time zone; ${example}` };
    timeZone = zone[1];
    rest = rest.slice(0, zone.index).trim();
  }
  const spans: BusinessHours['spans'] = [];
  for (const part of rest.split(',').map((piece) => piece.trim())) {
    const match = /^([A-Za-z]+)(?:\s*-\s*([A-Za-z]+))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/.exec(part);
    if (!match) return { problem: `"${part}" is not a span of days and hours; ${example}` };
    const first = dayIndex(match[1] ?? '');
    const last = match[2] === undefined ? first : dayIndex(match[2]);
    const fromMinute = minuteOf(match[3] ?? '');
    const toMinute = minuteOf(match[4] ?? '');
    if (first === undefined || last === undefined)
      return { problem: `"${part}" names a day that is not Mon, Tue, Wed, Thu, Fri, Sat or Sun` };
    if (fromMinute === undefined || toMinute === undefined) return { problem: `"${part}" has a time that is not HH:MM (00:00 to 24:00)` };
    if (toMinute <= fromMinute) {
      return { problem: `"${part}" ends before it starts; hours that pass midnight are two spans (\`Fri 22:00-24:00, Sat 00:00-02:00\`)` };
    }
    const days = new Set<number>();
    // Mon-Fri, or round the week (Fri-Mon).
    for (let day = first; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === last) break;
    }
    spans.push({ days, fromMinute, toMinute });
  }
  return { spans, timeZone, text: text.trim() };
}

/** Whether `at` falls inside the hours, read on the wall clock of the hours' zone (or `defaultZone`). */
export function isWithinBusinessHours(hours: BusinessHours, at: Date, defaultZone: string): boolean {
  const clock = wallClock(at, hours.timeZone ?? defaultZone);
  const weekday = new Date(Date.UTC(clock.year, clock.month - 1, clock.date)).getUTCDay();
  const minute = clock.hour * 60 + clock.minute;
  return hours.spans.some((span) => span.days.has(weekday) && minute >= span.fromMinute && minute < span.toMinute);
}
