import natural from 'natural';
import type { Label } from './classify.ts';
import { LABELS } from './classify.ts';

/**
 * The daily digest's figures, pure: the caller passes the mentions of the day and of the seven
 * days before it, and a clock; nothing here reads a store or the time. Days are calendar days in
 * DIGEST_TIMEZONE, so a daylight-saving day is 23 or 25 hours long, never skipped or doubled.
 * (The schedule, the Slack message and the chart are built on this in the digest issue.)
 */

/** What the digest needs of one mention. */
export interface DigestMention {
  key: string;
  platform: string;
  label: Label;
  sentiment: number;
  text: string;
  createdAt: string;
  contactId: string;
  contactName: string;
  /** Replies in order; the first one's time gives the first-response time. */
  replies: Array<{ by: string; at: string }>;
  likes: number;
  resolved: boolean;
  slackLink?: string;
}

/** A calendar day in a time zone, as UTC instants: [start, end). */
export function dayWindow(day: string, timeZone: string): { start: Date; end: Date } {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return { start: localMidnight(year, month, date, timeZone), end: localMidnight(year, month, date + 1, timeZone) };
}

/** The UTC instant of 00:00 local time on that date (Date.UTC normalises day 32 to the next month). */
function localMidnight(year: number, month: number, date: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, date);
  // Two passes settle the offset even when midnight is near a daylight-saving change.
  let instant = guess - offsetMs(new Date(guess), timeZone);
  instant = guess - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** The zone's offset from UTC at an instant, in ms (Paris in summer: +2 h). */
export function offsetMs(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The local calendar day (YYYY-MM-DD) of an instant. */
export function localDay(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

export interface DigestFigures {
  day: string;
  total: number;
  byLabel: Record<Label, { count: number; previousDay: number; sevenDayAverage: number }>;
  byPlatform: Record<string, number>;
  /** Questions and complaints of the day with no reply and not resolved, oldest first. */
  unanswered: DigestMention[];
  firstResponse: { medianMinutes?: number; p90Minutes?: number; withinTargetShare?: number; answered: number };
  sentiment: { positive: number; neutral: number; negative: number; mostNegative: DigestMention[] };
  topContacts: Array<{ contactId: string; name: string; mentions: number; likes: number; replies: number }>;
  repliesByStaff: Array<{ user: string; replies: number }>;
  /** The day's most distinctive words against the week before (TF-IDF). */
  terms: string[];
}

const SENTIMENT_EDGE = 0.1;

export function computeDigestFigures(options: {
  day: string;
  timeZone: string;
  /** Mentions from the start of the seventh day before `day` to the end of `day`. */
  mentions: DigestMention[];
  responseTargetMinutes: number;
}): DigestFigures {
  const { day, timeZone } = options;
  const byDay = new Map<string, DigestMention[]>();
  for (const mention of options.mentions) {
    const local = localDay(new Date(mention.createdAt), timeZone);
    byDay.set(local, [...(byDay.get(local) ?? []), mention]);
  }
  const today = byDay.get(day) ?? [];
  const previousDays = Array.from({ length: 7 }, (_, i) => shiftDay(day, -(i + 1)));
  const countLabel = (list: DigestMention[], label: Label) => list.filter((m) => m.label === label).length;

  const byLabel = Object.fromEntries(
    LABELS.map((label) => [
      label,
      {
        count: countLabel(today, label),
        previousDay: countLabel(byDay.get(previousDays[0] ?? '') ?? [], label),
        sevenDayAverage: previousDays.reduce((sum, d) => sum + countLabel(byDay.get(d) ?? [], label), 0) / 7,
      },
    ]),
  ) as DigestFigures['byLabel'];

  const byPlatform: Record<string, number> = {};
  for (const mention of today) byPlatform[mention.platform] = (byPlatform[mention.platform] ?? 0) + 1;

  const needsAnswer = today.filter((m) => m.label === 'Question' || m.label === 'Complaint');
  const unanswered = needsAnswer.filter((m) => m.replies.length === 0 && !m.resolved).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  const responseMinutes = needsAnswer
    .filter((m) => m.replies[0])
    .map((m) => (Date.parse(m.replies[0]?.at ?? '') - Date.parse(m.createdAt)) / 60_000)
    .sort((a, b) => a - b);
  const withinTarget = responseMinutes.filter((minutes) => minutes <= options.responseTargetMinutes).length;

  const contacts = new Map<string, { contactId: string; name: string; mentions: number; likes: number; replies: number }>();
  const staff = new Map<string, number>();
  for (const mention of today) {
    const entry = contacts.get(mention.contactId) ?? {
      contactId: mention.contactId,
      name: mention.contactName,
      mentions: 0,
      likes: 0,
      replies: 0,
    };
    entry.mentions++;
    entry.likes += mention.likes;
    entry.replies += mention.replies.length;
    contacts.set(mention.contactId, entry);
    for (const reply of mention.replies) staff.set(reply.by, (staff.get(reply.by) ?? 0) + 1);
  }

  return {
    day,
    total: today.length,
    byLabel,
    byPlatform,
    unanswered,
    firstResponse: {
      medianMinutes: percentile(responseMinutes, 0.5),
      p90Minutes: percentile(responseMinutes, 0.9),
      withinTargetShare: responseMinutes.length ? withinTarget / responseMinutes.length : undefined,
      answered: responseMinutes.length,
    },
    sentiment: {
      positive: today.filter((m) => m.sentiment > SENTIMENT_EDGE).length,
      neutral: today.filter((m) => Math.abs(m.sentiment) <= SENTIMENT_EDGE).length,
      negative: today.filter((m) => m.sentiment < -SENTIMENT_EDGE).length,
      mostNegative: today
        .filter((m) => m.sentiment < -SENTIMENT_EDGE)
        .sort((a, b) => a.sentiment - b.sentiment)
        .slice(0, 3),
    },
    topContacts: [...contacts.values()]
      .sort((a, b) => b.mentions + b.likes + b.replies - (a.mentions + a.likes + a.replies) || a.name.localeCompare(b.name))
      .slice(0, 5),
    repliesByStaff: [...staff.entries()].map(([user, replies]) => ({ user, replies })).sort((a, b) => b.replies - a.replies),
    terms: distinctiveTerms(
      today,
      previousDays.flatMap((d) => byDay.get(d) ?? []),
    ),
  };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

export function shiftDay(day: string, days: number): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, date + days)).toISOString().slice(0, 10);
}

/** TF-IDF of the day's text against each earlier day as one document; brand handles and stop words left out. */
function distinctiveTerms(today: DigestMention[], before: DigestMention[], count = 5): string[] {
  if (today.length === 0) return [];
  const tfidf = new natural.TfIdf();
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/@\w+/g, ' ')
      .replace(/https?:\/\/\S+/g, ' ');
  tfidf.addDocument(today.map((m) => clean(m.text)).join(' '));
  for (const mention of before) tfidf.addDocument(clean(mention.text));
  return tfidf
    .listTerms(0)
    .filter((term) => term.term.length > 2 && !/^\d+$/.test(term.term))
    .slice(0, count)
    .map((term) => term.term);
}
