import { describe, expect, it } from 'vitest';
import { cronProblem, DigestSchedule } from '../../src/domain/digest-schedule.ts';

const due = (pattern: string, timeZone: string, now: string) => {
  const run = new DigestSchedule(pattern, timeZone).latestDueRun(new Date(now));
  return run && { runAt: run.runAt.toISOString(), day: run.day };
};

describe('the digest schedule (croner, for both firing and catching up)', () => {
  it("is today's run once its time has come, reporting on yesterday", () => {
    expect(due('0 9 * * *', 'Europe/Paris', '2026-11-25T08:00:00Z')).toEqual({ runAt: '2026-11-25T08:00:00.000Z', day: '2026-11-24' });
  });

  it("is yesterday's run until today's time comes", () => {
    expect(due('0 9 * * *', 'Europe/Paris', '2026-11-25T07:59:59Z')).toEqual({ runAt: '2026-11-24T08:00:00.000Z', day: '2026-11-23' });
  });

  it('runs a time that falls in the spring gap when the gap ends, so the day is not skipped', () => {
    // Paris, 29 March 2026: 02:00 jumps to 03:00, so 02:30 never happens; the run is at 03:00.
    expect(due('30 2 * * *', 'Europe/Paris', '2026-03-29T01:31:00Z')).toEqual({ runAt: '2026-03-29T01:00:00.000Z', day: '2026-03-28' });
    expect(new DigestSchedule('30 2 * * *', 'Europe/Paris').nextRun(new Date('2026-03-29T00:10:00Z'))?.toISOString()).toBe(
      '2026-03-29T01:00:00.000Z',
    );
  });

  it('runs once in a repeated autumn hour, naming the same day on both passes', () => {
    // Paris, 25 October 2026: 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    expect(due('30 2 * * *', 'Europe/Paris', '2026-10-25T00:45:00Z')).toEqual({ runAt: '2026-10-25T00:30:00.000Z', day: '2026-10-24' });
    expect(due('30 2 * * *', 'Europe/Paris', '2026-10-25T01:45:00Z')).toEqual({ runAt: '2026-10-25T00:30:00.000Z', day: '2026-10-24' });
  });

  it('honours weekdays, the last day of the month, the nth weekday, the last weekday and the nearest weekday', () => {
    // Weekdays only: on Sunday 29 Nov the latest run is Friday's.
    expect(due('0 9 * * 1-5', 'UTC', '2026-11-29T12:00:00Z')?.runAt).toBe('2026-11-27T09:00:00.000Z');
    expect(due('0 9 L * *', 'UTC', '2026-11-30T10:00:00Z')?.day).toBe('2026-11-29');
    // These passed the old validation but were never posted: one library now fires and checks them.
    expect(due('0 9 * * 5#2', 'UTC', '2026-12-15T10:00:00Z')?.runAt).toBe('2026-12-11T09:00:00.000Z');
    expect(due('0 9 * * 5L', 'UTC', '2026-12-01T10:00:00Z')?.runAt).toBe('2026-11-27T09:00:00.000Z');
    expect(due('0 9 15W * *', 'UTC', '2026-11-20T10:00:00Z')?.runAt).toBe('2026-11-16T09:00:00.000Z'); // the 15th is a Sunday
  });

  it('finds no due run more than a week back', () => {
    expect(due('0 9 L * *', 'UTC', '2026-11-29T10:00:00Z')).toBeUndefined();
  });

  it('refuses an expression it cannot honour, with the reason', () => {
    expect(cronProblem('0 9 * * *')).toBeUndefined();
    expect(cronProblem('61 9 * * *')).toMatch(/minute/);
    expect(cronProblem('0 9 31 2 *')).toBe('it never matches a real date');
    expect(cronProblem('every morning')).toBeDefined();
  });
});
