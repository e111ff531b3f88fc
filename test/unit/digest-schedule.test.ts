import cron from 'node-cron';
import { describe, expect, it } from 'vitest';
import { latestDueRun } from '../../src/domain/digest-schedule.ts';

const due = (pattern: string, timeZone: string, now: string) => {
  const run = latestDueRun(cron.parse(pattern), timeZone, new Date(now));
  return run && { runAt: run.runAt.toISOString(), day: run.day };
};

describe('latestDueRun', () => {
  it("is today's run once its time has passed, reporting on yesterday", () => {
    expect(due('0 9 * * *', 'Europe/Paris', '2026-11-25T08:00:00Z')).toEqual({ runAt: '2026-11-25T08:00:00.000Z', day: '2026-11-24' });
  });

  it("is yesterday's run until today's time comes", () => {
    expect(due('0 9 * * *', 'Europe/Paris', '2026-11-25T07:59:59Z')).toEqual({ runAt: '2026-11-24T08:00:00.000Z', day: '2026-11-23' });
  });

  it('moves a run that falls in the spring gap to just after it, so the day is not skipped', () => {
    // Paris, 29 March 2026: 02:00 jumps to 03:00; node-cron never matches 02:30 that night.
    expect(cron.createTask('30 2 * * *', () => {}, { timezone: 'Europe/Paris' }).match(new Date('2026-03-29T00:30:00Z'))).toBe(false);
    expect(due('30 2 * * *', 'Europe/Paris', '2026-03-29T01:31:00Z')).toEqual({ runAt: '2026-03-29T01:30:00.000Z', day: '2026-03-28' });
  });

  it('names the same day for both passes of a repeated autumn hour', () => {
    // Paris, 25 October 2026: 02:30 happens at 00:30 UTC and again at 01:30 UTC.
    expect(due('30 2 * * *', 'Europe/Paris', '2026-10-25T00:45:00Z')?.day).toBe('2026-10-24');
    expect(due('30 2 * * *', 'Europe/Paris', '2026-10-25T01:45:00Z')?.day).toBe('2026-10-24');
  });

  it('honours weekdays and the last day of the month', () => {
    // Weekdays only: on Sunday 29 Nov the latest run is Friday's.
    expect(due('0 9 * * 1-5', 'UTC', '2026-11-29T12:00:00Z')?.runAt).toBe('2026-11-27T09:00:00.000Z');
    expect(due('0 9 L * *', 'UTC', '2026-11-30T10:00:00Z')?.day).toBe('2026-11-29');
    expect(due('0 9 L * *', 'UTC', '2026-11-29T10:00:00Z')).toBeUndefined();
  });
});
