/**
 * Calendar days and wall-clock times in an IANA time zone, as UTC instants. Pure, with one cached
 * Intl formatter per zone (building one costs more than the conversion itself). A daylight-saving
 * day is 23 or 25 hours long; a wall-clock time that does not exist (02:30 on a spring change) maps
 * forward to the first instant after the gap, so a run scheduled then is late, never skipped.
 */

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = partsFormatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Local wall-clock fields of an instant. */
export function wallClock(at: Date, timeZone: string): { year: number; month: number; date: number; hour: number; minute: number } {
  const parts = partsFormatter(timeZone).formatToParts(at);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  return { year: get('year'), month: get('month'), date: get('day'), hour: get('hour'), minute: get('minute') };
}

/** The zone's offset from UTC at an instant, in ms (Paris in summer: +2 h). */
export function offsetMs(at: Date, timeZone: string): number {
  const parts = partsFormatter(timeZone).formatToParts(at);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * The UTC instant of a local wall-clock time (Date.UTC normalises day 32 to the next month). Of a
 * time that happens twice (an autumn change) the first; of one that never happens (a spring gap)
 * the instant just after the gap, read with the offset from before it.
 */
export function instantOf(year: number, month: number, date: number, hour: number, minute: number, timeZone: string): Date {
  const asUtc = Date.UTC(year, month - 1, date, hour, minute);
  // A zone changes offset at most once in a day either side, so these two offsets cover every case.
  const candidates = [offsetMs(new Date(asUtc - DAY), timeZone), offsetMs(new Date(asUtc + DAY), timeZone)]
    .map((offset) => asUtc - offset)
    .sort((a, b) => a - b);
  const exact = candidates.find((instant) => {
    const clock = wallClock(new Date(instant), timeZone);
    return clock.hour === hour && clock.minute === minute;
  });
  return new Date(exact ?? (candidates[1] as number));
}

const DAY = 86_400_000;

/** A calendar day in a time zone, as UTC instants: [start, end). */
export function dayWindow(day: string, timeZone: string): { start: Date; end: Date } {
  const [year, month, date] = parseDay(day);
  return { start: instantOf(year, month, date, 0, 0, timeZone), end: instantOf(year, month, date + 1, 0, 0, timeZone) };
}

/** The local calendar day (YYYY-MM-DD) of an instant. */
export function localDay(at: Date, timeZone: string): string {
  const { year, month, date } = wallClock(at, timeZone);
  return `${year}-${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
}

export function shiftDay(day: string, days: number): string {
  const [year, month, date] = parseDay(day);
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** The consecutive days from `first` to `last`, both included. */
export function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last; day = shiftDay(day, 1)) days.push(day);
  return days;
}

export const isDay = (value: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(value) && shiftDay(value, 0) === value;

function parseDay(day: string): [number, number, number] {
  return day.split('-').map(Number) as [number, number, number];
}
