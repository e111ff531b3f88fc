/// <reference path="./natural-modules.d.ts" />
// natural's TF-IDF alone, not its index (which loads the whole library): see natural-modules.d.ts.
import TfIdf from 'natural/lib/natural/tfidf/tfidf.js';
import { daysBetween, dayWindow, shiftDay, wallClock } from './calendar.ts';
import { LABELS, type Label, needsAnswer } from './triage/labels.ts';

/**
 * The digest's figures, pure: the caller passes the mentions of the period and of the seven days
 * before it; nothing here reads a store or the clock. Days are calendar days in DIGEST_TIMEZONE, so
 * a daylight-saving day is 23 or 25 hours long, never skipped or doubled. A period is one day (the
 * daily digest) or several (`/crm digest 7d`), compared with as many days just before it.
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
  /** A reply to one of the brand's posts (a comment), not a mention. */
  isComment?: boolean;
  resolved: boolean;
  /** What an automatic-reply rule did with it (its latest state), if one acted. */
  automatic?: { state: 'dry_run' | 'scheduled' | 'sent' | 'cancelled' | 'held' | 'failed'; at: string };
  /** Where the mention message is in Slack, for links. */
  slack?: { channel: string; ts: string };
  url: string;
}

/** A like of one of the brand's posts, by a known contact or not. */
export interface DigestLike {
  contactId?: string;
  name: string;
  createdAt: string;
}

export interface Period {
  /** First and last local day, both included. */
  first: string;
  last: string;
}

export interface Trend {
  count: number;
  /** The same count over the same number of days just before the period. */
  previous: number;
  /** Per period-length, averaged over the seven days before the period. */
  average: number;
}

export interface ChartBucket {
  /** `14` for an hour, `Tue 24` for a day. */
  label: string;
  byLabel: Record<Label, number>;
  /** The same bucket's average over the seven days before the period. */
  baseline: number;
}

export interface DigestFigures {
  period: Period & { days: number };
  total: Trend;
  byLabel: Record<Label, Trend>;
  byPlatform: Record<string, Trend>;
  /** Questions and complaints of the period with no reply and not resolved, oldest first. */
  unanswered: DigestMention[];
  firstResponse: { medianMinutes?: number; p90Minutes?: number; withinTargetShare?: number; answered: number; targetMinutes: number };
  sentiment: { positive: number; neutral: number; negative: number; mostNegative: DigestMention[] };
  /** Per contact: their mentions, their comments on the brand's posts, the brand's likes of their posts and our replies. */
  topContacts: Array<{
    contactId: string;
    name: string;
    mentions: number;
    comments: number;
    /** Likes they gave the brand's posts. */
    likesGiven: number;
    /** The brand's likes of their posts. */
    likes: number;
    replies: number;
  }>;
  /** Likes of the brand's posts in the period, and by how many people. */
  likesReceived: { count: number; people: number };
  repliesByStaff: Array<{ user: string; replies: number }>;
  /** The period's most distinctive words against the days before (TF-IDF). */
  terms: string[];
  chart: { bucket: 'hour' | 'day'; buckets: ChartBucket[] };
  /** Private messages of the period, counted only: a digest quotes none. Absent when none are read. */
  privateMessages?: PrivateMessageFigures;
  /** What automatic-reply rules did with the period's mentions. Absent when no rule acted. */
  automaticReplies?: AutomaticReplyFigures;
  /** Surges that overlapped the period: where, when, how many, what about, and the mood. */
  surges?: Array<{
    channel: string;
    startedAt: string;
    endedAt?: string;
    mentions: number;
    terms: string[];
    sentiment: { positive: number; neutral: number; negative: number };
  }>;
}

export interface AutomaticReplyFigures {
  sent: number;
  /** Undone, taken over by a person, or stopped by a pause or a rule change within the Undo window. */
  cancelled: number;
  /** Of the sent: how many a person also answered afterwards (the automatic one was not enough). */
  followedUp: number;
  /** Rules that matched and were held back by a guardrail, or are still dry runs. */
  heldBack: number;
  dryRuns: number;
}

export interface PrivateMessageFigures {
  received: number;
  /** Conversations with a customer message in the period. */
  conversations: number;
  /** Of those: answered (the brand spoke last, or a teammate resolved it) and still waiting. */
  answered: number;
  waiting: number;
  /** From the oldest unanswered customer message to the brand's reply, for replies sent in the period. */
  medianFirstResponseMinutes?: number;
  repliesSent: number;
}

/**
 * The period's private-message figures, from the messages sent in it (either way) and the state of
 * their conversations now. Counts and times only: no text goes into a digest.
 */
export function privateMessageFigures(
  messages: ReadonlyArray<{ direction: 'in' | 'out'; conversationKey: string; responseMs?: number }>,
  isWaiting: ReadonlyMap<string, boolean>,
): PrivateMessageFigures {
  const conversations = new Set(messages.filter((message) => message.direction === 'in').map((message) => message.conversationKey));
  const waiting = [...conversations].filter((key) => isWaiting.get(key)).length;
  const replies = messages.filter((message) => message.direction === 'out');
  const times = replies
    .map((reply) => reply.responseMs)
    .filter((ms): ms is number => ms !== undefined)
    .map((ms) => ms / 60_000)
    .sort((a, b) => a - b);
  return {
    received: messages.length - replies.length,
    conversations: conversations.size,
    answered: conversations.size - waiting,
    waiting,
    medianFirstResponseMinutes: percentile(times, 0.5),
    repliesSent: replies.length,
  };
}

const SENTIMENT_EDGE = 0.1;
const HOUR = 3_600_000;
const BASELINE_DAYS = 7;

/** The earliest day whose mentions `computeDigestFigures` needs for a period. */
export const firstDayNeeded = (period: Period): string =>
  shiftDay(period.first, -Math.max(BASELINE_DAYS, daysBetween(period.first, period.last).length));

export function computeDigestFigures(options: {
  period: Period;
  timeZone: string;
  /** Mentions from `firstDayNeeded(period)` to the end of `period.last`; others are ignored. */
  mentions: DigestMention[];
  /** Likes of the brand's posts over the same days (networks that report them). */
  likes?: DigestLike[];
  responseTargetMinutes: number;
}): DigestFigures {
  const { period, timeZone } = options;
  const periodDays = daysBetween(period.first, period.last);
  const length = periodDays.length;
  const allDays = daysBetween(firstDayNeeded(period), period.last);
  const windows = allDays.map((day) => ({ day, ...dayWindow(day, timeZone) }));
  const previousDays = new Set(allDays.slice(allDays.length - 2 * length, allDays.length - length));
  const baselineDays = new Set(allDays.slice(allDays.length - length - BASELINE_DAYS, allDays.length - length));
  const inPeriod = new Set(periodDays);

  // Which day (by index into `windows`) each mention falls on: a binary search, no per-mention Intl call.
  const dayIndexOf = (instant: number): number => {
    let low = 0;
    let high = windows.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const window = windows[middle] as (typeof windows)[number];
      if (instant < window.start.getTime()) high = middle - 1;
      else if (instant >= window.end.getTime()) low = middle + 1;
      else return middle;
    }
    return -1;
  };

  const current: DigestMention[] = [];
  const previous: DigestMention[] = [];
  const baseline: Array<{ mention: DigestMention; dayIndex: number }> = [];
  const currentDayIndex = new Map<DigestMention, number>();
  for (const mention of options.mentions) {
    const dayIndex = dayIndexOf(Date.parse(mention.createdAt));
    const day = windows[dayIndex]?.day;
    if (!day) continue;
    if (inPeriod.has(day)) {
      current.push(mention);
      currentDayIndex.set(mention, dayIndex);
    }
    if (previousDays.has(day)) previous.push(mention);
    if (baselineDays.has(day)) baseline.push({ mention, dayIndex });
  }

  const likesInPeriod = (options.likes ?? []).filter((like) => inPeriod.has(windows[dayIndexOf(Date.parse(like.createdAt))]?.day ?? ''));

  const trend = (matches: (m: DigestMention) => boolean): Trend => ({
    count: count(current, matches),
    previous: count(previous, matches),
    average:
      (count(
        baseline.map((b) => b.mention),
        matches,
      ) /
        BASELINE_DAYS) *
      length,
  });
  const platforms = [...new Set([...current, ...previous].map((m) => m.platform))].sort();

  const waiting = current.filter((m) => needsAnswer(m.label));
  const unanswered = waiting.filter((m) => m.replies.length === 0 && !m.resolved).sort(byCreatedAt);
  const responseMinutes = waiting
    .filter((m) => m.replies[0])
    .map((m) => (Date.parse(m.replies[0]?.at ?? '') - Date.parse(m.createdAt)) / 60_000)
    .sort((a, b) => a - b);
  const withinTarget = responseMinutes.filter((minutes) => minutes <= options.responseTargetMinutes).length;

  return {
    period: { ...period, days: length },
    total: trend(() => true),
    byLabel: Object.fromEntries(LABELS.map((label) => [label, trend((m) => m.label === label)])) as Record<Label, Trend>,
    byPlatform: Object.fromEntries(platforms.map((platform) => [platform, trend((m) => m.platform === platform)])),
    unanswered,
    firstResponse: {
      medianMinutes: percentile(responseMinutes, 0.5),
      p90Minutes: percentile(responseMinutes, 0.9),
      withinTargetShare: responseMinutes.length ? withinTarget / responseMinutes.length : undefined,
      answered: responseMinutes.length,
      targetMinutes: options.responseTargetMinutes,
    },
    sentiment: {
      positive: count(current, (m) => m.sentiment > SENTIMENT_EDGE),
      neutral: count(current, (m) => Math.abs(m.sentiment) <= SENTIMENT_EDGE),
      negative: count(current, (m) => m.sentiment < -SENTIMENT_EDGE),
      mostNegative: current
        .filter((m) => m.sentiment < -SENTIMENT_EDGE)
        .sort((a, b) => a.sentiment - b.sentiment)
        .slice(0, 3),
    },
    topContacts: topContacts(current, likesInPeriod),
    automaticReplies: automaticReplyFigures(current),
    likesReceived: { count: likesInPeriod.length, people: new Set(likesInPeriod.map((like) => like.contactId ?? like.name)).size },
    repliesByStaff: repliesByStaff(current),
    terms: distinctiveTerms(
      current,
      baseline.map((b) => b.mention),
    ),
    chart:
      length === 1
        ? hourlyChart(windows.at(-1) as (typeof windows)[number], current, baseline, windows, timeZone)
        : dailyChart(periodDays, windows.length, current, currentDayIndex, baseline.length),
  };
}

/** Automatic replies among the period's mentions; a follow-up is a person's reply after the rule's. */
function automaticReplyFigures(current: DigestMention[]): AutomaticReplyFigures | undefined {
  const touched = current.filter((m) => m.automatic);
  if (touched.length === 0) return undefined;
  const sent = touched.filter((m) => m.automatic?.state === 'sent');
  return {
    sent: sent.length,
    cancelled: count(touched, (m) => m.automatic?.state === 'cancelled'),
    followedUp: count(sent, (m) => m.replies.some((reply) => reply.at > (m.automatic?.at ?? ''))),
    heldBack: count(touched, (m) => m.automatic?.state === 'held'),
    dryRuns: count(touched, (m) => m.automatic?.state === 'dry_run'),
  };
}

const count = (list: DigestMention[], matches: (m: DigestMention) => boolean): number => {
  let n = 0;
  for (const item of list) if (matches(item)) n++;
  return n;
};

const byCreatedAt = (a: DigestMention, b: DigestMention) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0);

const emptyCounts = (): Record<Label, number> => Object.fromEntries(LABELS.map((label) => [label, 0])) as Record<Label, number>;

/** One bar per hour of the day (23 or 25 on a change), against the same hour's 7-day average. */
function hourlyChart(
  day: { start: Date; end: Date },
  current: DigestMention[],
  baseline: Array<{ mention: DigestMention; dayIndex: number }>,
  windows: Array<{ start: Date }>,
  timeZone: string,
): DigestFigures['chart'] {
  const hours = Math.round((day.end.getTime() - day.start.getTime()) / HOUR);
  const buckets: ChartBucket[] = Array.from({ length: hours }, (_, i) => ({
    label: String(wallClock(new Date(day.start.getTime() + i * HOUR), timeZone).hour),
    byLabel: emptyCounts(),
    baseline: 0,
  }));
  for (const mention of current) {
    const bucket = buckets[Math.floor((Date.parse(mention.createdAt) - day.start.getTime()) / HOUR)];
    if (bucket) bucket.byLabel[mention.label]++;
  }
  for (const { mention, dayIndex } of baseline) {
    const start = windows[dayIndex]?.start.getTime() ?? 0;
    const bucket = buckets[Math.floor((Date.parse(mention.createdAt) - start) / HOUR)];
    if (bucket) bucket.baseline += 1 / BASELINE_DAYS;
  }
  return { bucket: 'hour', buckets };
}

/**
 * One bar per day of the period, against the average day of the week before it. `dayIndexOf`
 * counts days from the start of the whole window, whose last `periodDays.length` days are the period.
 */
function dailyChart(
  periodDays: string[],
  windowDays: number,
  current: DigestMention[],
  dayIndexOf: Map<DigestMention, number>,
  baselineCount: number,
): DigestFigures['chart'] {
  const firstIndex = windowDays - periodDays.length;
  const weekday = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', timeZone: 'UTC' });
  const buckets: ChartBucket[] = periodDays.map((day) => ({
    label: weekday.format(new Date(`${day}T12:00:00Z`)),
    byLabel: emptyCounts(),
    baseline: baselineCount / BASELINE_DAYS,
  }));
  for (const mention of current) {
    const bucket = buckets[(dayIndexOf.get(mention) ?? -1) - firstIndex];
    if (bucket) bucket.byLabel[mention.label]++;
  }
  return { bucket: 'day', buckets };
}

function topContacts(current: DigestMention[], likes: DigestLike[]): DigestFigures['topContacts'] {
  const contacts = new Map<string, DigestFigures['topContacts'][number]>();
  const entryFor = (contactId: string, name: string) => {
    let entry = contacts.get(contactId);
    if (!entry) {
      entry = { contactId, name, mentions: 0, comments: 0, likesGiven: 0, likes: 0, replies: 0 };
      contacts.set(contactId, entry);
    }
    return entry;
  };
  // Likes count for known contacts only: an unknown liker is not a customer the team knows yet.
  for (const like of likes) if (like.contactId) entryFor(like.contactId, like.name).likesGiven++;
  for (const mention of current) {
    const entry = entryFor(mention.contactId, mention.contactName);
    if (mention.isComment) entry.comments++;
    else entry.mentions++;
    entry.likes += mention.likes;
    entry.replies += mention.replies.length;
  }
  const engagement = (c: DigestFigures['topContacts'][number]) => c.mentions + c.comments + c.likesGiven + c.likes + c.replies;
  return [...contacts.values()].sort((a, b) => engagement(b) - engagement(a) || a.name.localeCompare(b.name)).slice(0, 5);
}

function repliesByStaff(current: DigestMention[]): DigestFigures['repliesByStaff'] {
  const staff = new Map<string, number>();
  for (const mention of current) for (const reply of mention.replies) staff.set(reply.by, (staff.get(reply.by) ?? 0) + 1);
  return [...staff.entries()]
    .map(([user, replies]) => ({ user, replies }))
    .sort((a, b) => b.replies - a.replies || a.user.localeCompare(b.user));
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** Words natural's stop list lets through that say nothing about what customers talk about. */
const CHATTER = new Set([
  'every',
  'anyone',
  'everyone',
  'really',
  'also',
  'just',
  'get',
  'got',
  'one',
  'thing',
  'things',
  'today',
  'now',
  'please',
  'thanks',
  'thank',
]);

/**
 * TF-IDF with the period's text as one document and each earlier day as another, so a word scores
 * high when the period uses it a lot and the week before hardly did. Handles, links, numbers and
 * stop words (natural's list) are left out.
 */
function distinctiveTerms(current: DigestMention[], before: DigestMention[], count = 5): string[] {
  if (current.length === 0) return [];
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/@[\w.]+/g, ' ')
      .replace(/https?:\/\/\S+/g, ' ');
  const tfidf = new TfIdf();
  tfidf.addDocument(current.map((m) => clean(m.text)).join(' '));
  const earlierDays = new Map<string, string[]>();
  for (const mention of before) {
    const day = mention.createdAt.slice(0, 10);
    let texts = earlierDays.get(day);
    if (!texts) {
      texts = [];
      earlierDays.set(day, texts);
    }
    texts.push(clean(mention.text));
  }
  for (const texts of earlierDays.values()) tfidf.addDocument(texts.join(' '));
  return tfidf
    .listTerms(0)
    .filter((term) => term.term.length > 2 && !/^\d+$/.test(term.term) && !CHATTER.has(term.term))
    .slice(0, count)
    .map((term) => term.term);
}
