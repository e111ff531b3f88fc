import { describe, expect, it } from 'vitest';
import { dayWindow, isDay, localDay, shiftDay } from '../../src/domain/calendar.ts';
import { computeDigestFigures, type DigestMention, privateMessageFigures } from '../../src/domain/digest-stats.ts';

const mention = (overrides: Partial<DigestMention> & { createdAt: string }): DigestMention => ({
  key: `x:${overrides.createdAt}`,
  platform: 'x',
  label: 'Question',
  sentiment: 0,
  text: '@northwind where is my parcel',
  contactId: 'c1',
  contactName: 'Ada Lovelace',
  replies: [],
  likes: 0,
  resolved: false,
  url: 'https://x.com/ada/status/1',
  ...overrides,
});

describe('days in DIGEST_TIMEZONE', () => {
  it('is 24 hours on an ordinary day, starting at local midnight', () => {
    const { start, end } = dayWindow('2026-11-25', 'Europe/Paris');
    expect(start.toISOString()).toBe('2026-11-24T23:00:00.000Z');
    expect(end.getTime() - start.getTime()).toBe(24 * 3_600_000);
  });

  it('is 23 hours on the spring change and 25 on the autumn one (Paris)', () => {
    const spring = dayWindow('2026-03-29', 'Europe/Paris');
    expect(spring.start.toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(spring.end.toISOString()).toBe('2026-03-29T22:00:00.000Z');
    const autumn = dayWindow('2026-10-25', 'Europe/Paris');
    expect(autumn.start.toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(autumn.end.getTime() - autumn.start.getTime()).toBe(25 * 3_600_000);
  });

  it('works across month ends and in zones west of UTC', () => {
    expect(dayWindow('2026-11-30', 'America/New_York').end.toISOString()).toBe('2026-12-01T05:00:00.000Z');
    expect(localDay(new Date('2026-12-01T04:59:59Z'), 'America/New_York')).toBe('2026-11-30');
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28');
  });
});

describe('computeDigestFigures', () => {
  // Paris, 2026-11-25: local midnight is 23:00 UTC the day before.
  const day = '2026-11-25';
  const mentions = [
    // Late on the 24th in UTC but the 25th in Paris: counted today.
    mention({ createdAt: '2026-11-24T23:30:00Z', replies: [{ by: 'U0ALICE001', at: '2026-11-24T23:40:00Z' }] }),
    mention({
      createdAt: '2026-11-25T08:00:00Z',
      label: 'Complaint',
      sentiment: -0.8,
      text: '@northwind zip broken again',
      replies: [{ by: 'U0BOB00001', at: '2026-11-25T10:00:00Z' }],
    }),
    mention({
      createdAt: '2026-11-25T09:00:00Z',
      label: 'Complaint',
      sentiment: -0.4,
      text: '@northwind zip broken, refund please',
      contactId: 'c2',
      contactName: 'Grace Hopper',
    }),
    mention({
      createdAt: '2026-11-25T12:00:00Z',
      label: 'Praise',
      sentiment: 0.6,
      text: '@northwind love the zip fix',
      likes: 1,
      isComment: true,
      replies: [{ by: 'U0ALICE001', at: '2026-11-25T12:30:00Z' }],
    }),
    mention({ createdAt: '2026-11-25T15:00:00Z', label: 'Question', resolved: true, platform: 'mastodon' }),
    // 23:30 Paris on the 25th is 22:30 UTC: still today; 23:10 UTC is the 26th in Paris.
    mention({ createdAt: '2026-11-25T22:30:00Z', label: 'Other' }),
    mention({ createdAt: '2026-11-25T23:10:00Z', label: 'Other' }),
    // The day before (Paris), and older days in the week.
    mention({ createdAt: '2026-11-24T10:00:00Z', label: 'Complaint' }),
    mention({ createdAt: '2026-11-24T11:00:00Z', label: 'Complaint' }),
    mention({ createdAt: '2026-11-20T10:00:00Z', label: 'Complaint', text: '@northwind parcel late parcel late' }),
  ];
  const figures = computeDigestFigures({
    period: { first: day, last: day },
    timeZone: 'Europe/Paris',
    mentions,
    responseTargetMinutes: 60,
  });

  it('counts the local day by label, against the day before and the 7-day average', () => {
    expect(figures.total).toEqual({ count: 6, previous: 2, average: 3 / 7 });
    expect(figures.byLabel.Complaint).toEqual({ count: 2, previous: 2, average: 3 / 7 });
    expect(figures.byLabel.Question.count).toBe(2);
    expect(figures.byLabel.Other.count).toBe(1);
    expect(figures.byPlatform).toEqual({ mastodon: { count: 1, previous: 0, average: 0 }, x: { count: 5, previous: 2, average: 3 / 7 } });
  });

  it('leaves out automatic replies when no rule acted, and counts them when rules did: sent, cancelled, followed up by a person', () => {
    expect(figures.automaticReplies).toBeUndefined();
    const at = (time: string) => `2026-11-25T${time}:00Z`;
    const automatic = computeDigestFigures({
      period: { first: day, last: day },
      timeZone: 'Europe/Paris',
      responseTargetMinutes: 60,
      mentions: [
        // Sent, and a person answered after it: a follow-up.
        mention({
          createdAt: at('08:00'),
          automatic: { state: 'sent', at: at('08:01') },
          replies: [{ by: 'U0ALICE001', at: at('09:00') }],
        }),
        // Sent, and nobody needed to add anything.
        mention({ createdAt: at('08:10'), automatic: { state: 'sent', at: at('08:11') } }),
        // A person took over inside the window.
        mention({
          createdAt: at('08:20'),
          automatic: { state: 'cancelled', at: at('08:20') },
          replies: [{ by: 'U0BOB00001', at: at('08:20') }],
        }),
        mention({ createdAt: at('08:30'), automatic: { state: 'held', at: at('08:30') } }),
        mention({ createdAt: at('08:40'), automatic: { state: 'dry_run', at: at('08:40') } }),
        mention({ createdAt: at('08:50') }),
      ],
    });
    expect(automatic.automaticReplies).toEqual({ sent: 2, cancelled: 1, followedUp: 1, heldBack: 1, dryRuns: 1 });
  });

  it('lists unanswered questions and complaints, oldest first, leaving out resolved ones', () => {
    expect(figures.unanswered.map((m) => m.createdAt)).toEqual(['2026-11-25T09:00:00Z']);
  });

  it('computes first-response median, p90 and the share within target', () => {
    // Questions and complaints answered: 10 min and 120 min.
    expect(figures.firstResponse).toEqual({ medianMinutes: 10, p90Minutes: 120, withinTargetShare: 0.5, answered: 2, targetMinutes: 60 });
  });

  it('splits sentiment and names the most negative posts first', () => {
    expect(figures.sentiment).toMatchObject({ positive: 1, neutral: 3, negative: 2 });
    expect(figures.sentiment.mostNegative.map((m) => m.sentiment)).toEqual([-0.8, -0.4]);
  });

  it('ranks contacts by engagement and counts replies per staff member', () => {
    expect(figures.topContacts[0]).toMatchObject({ contactId: 'c1', mentions: 4, comments: 1, likes: 1, replies: 3 });
    expect(figures.repliesByStaff).toEqual([
      { user: 'U0ALICE001', replies: 2 },
      { user: 'U0BOB00001', replies: 1 },
    ]);
  });

  it("finds the day's distinctive words against the week", () => {
    expect(figures.terms).toContain('zip');
    expect(figures.terms).not.toContain('northwind');
    expect(figures.terms).not.toContain('please');
  });
});

describe('the chart buckets', () => {
  it('has one bar per local hour, 23 on the spring change, with the 7-day average per hour', () => {
    const day = '2026-03-29';
    const mentions = [
      // 00:30 and 03:30 Paris (the clocks jump from 02:00 to 03:00 that night).
      mention({ createdAt: '2026-03-28T23:30:00Z', label: 'Question' }),
      mention({ createdAt: '2026-03-29T01:30:00Z', label: 'Complaint' }),
      // 00:30 Paris on two of the days before: the 00 h baseline is 2/7.
      mention({ createdAt: '2026-03-27T23:30:00Z' }),
      mention({ createdAt: '2026-03-22T23:30:00Z' }),
    ];
    const { chart } = computeDigestFigures({
      period: { first: day, last: day },
      timeZone: 'Europe/Paris',
      mentions,
      responseTargetMinutes: 60,
    });
    expect(chart.bucket).toBe('hour');
    expect(chart.buckets).toHaveLength(23);
    expect(chart.buckets.slice(0, 4).map((b) => b.label)).toEqual(['0', '1', '3', '4']);
    expect(chart.buckets[0]?.byLabel.Question).toBe(1);
    expect(chart.buckets[2]?.byLabel.Complaint).toBe(1);
    expect(chart.buckets[0]?.baseline).toBeCloseTo(2 / 7);
    expect(chart.buckets[5]?.baseline).toBe(0);
  });
});

describe('a seven-day period', () => {
  it('compares the week with the week before and charts one bar per day', () => {
    const mentions = [
      mention({ createdAt: '2026-11-19T10:00:00Z' }),
      mention({ createdAt: '2026-11-25T10:00:00Z' }),
      mention({ createdAt: '2026-11-25T11:00:00Z', label: 'Praise' }),
      // The week before: 12th to 18th.
      mention({ createdAt: '2026-11-12T10:00:00Z' }),
      mention({ createdAt: '2026-11-11T10:00:00Z' }),
    ];
    const figures = computeDigestFigures({
      period: { first: '2026-11-19', last: '2026-11-25' },
      timeZone: 'UTC',
      mentions,
      responseTargetMinutes: 60,
    });
    expect(figures.period.days).toBe(7);
    expect(figures.total).toEqual({ count: 3, previous: 1, average: 1 });
    expect(figures.chart.bucket).toBe('day');
    expect(figures.chart.buckets.map((b) => b.label)).toEqual(['Thu 19', 'Fri 20', 'Sat 21', 'Sun 22', 'Mon 23', 'Tue 24', 'Wed 25']);
    expect(figures.chart.buckets[6]?.byLabel).toMatchObject({ Question: 1, Praise: 1 });
    expect(figures.chart.buckets[0]?.baseline).toBeCloseTo(1 / 7);
  });

  it('accepts only real calendar days', () => {
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-1-5')).toBe(false);
  });
});

describe('likes of the brand posts', () => {
  it('counts every like of the period, credits known contacts, and ignores other days', () => {
    const figures = computeDigestFigures({
      period: { first: '2026-11-25', last: '2026-11-25' },
      timeZone: 'UTC',
      mentions: [mention({ createdAt: '2026-11-25T10:00:00Z', contactId: 'c1', contactName: 'Ada Lovelace' })],
      likes: [
        { contactId: 'c1', name: 'Ada', createdAt: '2026-11-25T11:00:00Z' },
        { contactId: 'c1', name: 'Ada', createdAt: '2026-11-25T12:00:00Z' },
        { contactId: 'c9', name: 'Grace', createdAt: '2026-11-25T13:00:00Z' },
        { name: 'stranger', createdAt: '2026-11-25T14:00:00Z' },
        { contactId: 'c1', name: 'Ada', createdAt: '2026-11-24T23:59:00Z' },
      ],
      responseTargetMinutes: 60,
    });
    expect(figures.likesReceived).toEqual({ count: 4, people: 3 });
    expect(figures.topContacts[0]).toMatchObject({ contactId: 'c1', mentions: 1, likesGiven: 2 });
    expect(figures.topContacts.find((c) => c.contactId === 'c9')).toMatchObject({ mentions: 0, likesGiven: 1 });
    expect(figures.topContacts.some((c) => c.name === 'stranger')).toBe(false);
  });
});

describe('privateMessageFigures', () => {
  it('counts messages, conversations, answered and waiting ones, and the median wait for a reply; no text goes in', () => {
    const figures = privateMessageFigures(
      [
        { direction: 'in', conversationKey: 'x:dm:a' },
        { direction: 'in', conversationKey: 'x:dm:a' },
        { direction: 'out', conversationKey: 'x:dm:a', responseMs: 10 * 60_000 },
        { direction: 'in', conversationKey: 'bluesky:dm:b' },
        { direction: 'out', conversationKey: 'bluesky:dm:b', responseMs: 30 * 60_000 },
        { direction: 'in', conversationKey: 'mastodon:dm:c' },
        // A reply in a conversation whose customer wrote before the period: counted as a reply, not a conversation.
        { direction: 'out', conversationKey: 'x:dm:old', responseMs: 50 * 60_000 },
      ],
      new Map([
        ['x:dm:a', false],
        ['bluesky:dm:b', false],
        ['mastodon:dm:c', true],
      ]),
    );
    expect(figures).toEqual({
      received: 4,
      conversations: 3,
      answered: 2,
      waiting: 1,
      medianFirstResponseMinutes: 30,
      repliesSent: 3,
    });
  });

  it('has no median when no reply was timed', () => {
    expect(
      privateMessageFigures([{ direction: 'in', conversationKey: 'x:dm:a' }], new Map([['x:dm:a', true]])).medianFirstResponseMinutes,
    ).toBeUndefined();
  });
});
