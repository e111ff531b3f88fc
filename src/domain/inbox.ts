/**
 * The team's work queue, as the App Home inbox shows it: every mention and private conversation
 * of the last days reduced to what decides which list it is in and in what order. Pure: the
 * inbox service keeps these up to date, the Slack view draws them. No personal data here (names
 * and text are read from the store only for the page on screen, and only for agents).
 */

import type { PlatformId } from '../platforms/platform.ts';
import type { ConversationRecord } from './conversations.ts';
import type { MentionRecord } from './records.ts';
import type { Label } from './triage/labels.ts';

export const INBOX_FILTERS = ['mine', 'unassigned', 'open', 'waiting', 'resolved_today'] as const;
export type InboxFilter = (typeof INBOX_FILTERS)[number];

export const FILTER_TITLES: Record<InboxFilter, string> = {
  mine: 'Mine',
  unassigned: 'Unassigned',
  open: 'Open questions & complaints',
  waiting: 'Waiting on customer',
  resolved_today: 'Resolved today',
};

export const isInboxFilter = (value: string): value is InboxFilter => (INBOX_FILTERS as readonly string[]).includes(value);

export interface InboxItem {
  key: string;
  kind: 'mention' | 'conversation';
  platform: PlatformId;
  /** A mention's triage label; a conversation has none. */
  label?: Label;
  /** When the customer wrote (a conversation: its oldest message not answered yet, else its latest). */
  since: string;
  assignee?: string;
  resolved?: { by: string; at: string };
  /** The brand answered (a reply to the mention; the conversation's last word is the brand's). */
  answered: boolean;
  /** Where its message is, once it is in Slack. */
  slack?: { channel: string; ts: string };
}

export function itemOfMention(record: MentionRecord): InboxItem {
  const workflow = record.workflow ?? {};
  return {
    key: record.key,
    kind: 'mention',
    platform: record.mention.platform,
    label: record.classification.label,
    since: record.mention.createdAt,
    assignee: workflow.assignee,
    resolved: workflow.resolved,
    answered: Boolean(workflow.replies?.length) || workflow.automatic?.state === 'sent',
    slack: record.slack.ts ? { channel: record.slack.channel, ts: record.slack.threadTs ?? record.slack.ts } : undefined,
  };
}

export function itemOfConversation(record: ConversationRecord): InboxItem {
  return {
    key: record.key,
    kind: 'conversation',
    platform: record.platform,
    since: record.awaitingSince ?? record.lastInboundAt ?? record.lastMessageAt,
    assignee: record.assignee,
    resolved: record.status === 'resolved' ? (record.resolved ?? { by: '', at: record.lastMessageAt }) : undefined,
    answered: !record.awaitingSince,
    slack: record.slack.ts ? { channel: record.slack.channel, ts: record.slack.ts } : undefined,
  };
}

/** Questions and complaints, and private conversations, are what someone must answer. */
const needsAnswer = (item: InboxItem) => item.kind === 'conversation' || item.label === 'Question' || item.label === 'Complaint';

export function isIn(item: InboxItem, filter: InboxFilter, userId: string, todayStartsAt: string): boolean {
  if (!item.slack) return false;
  switch (filter) {
    case 'mine':
      return !item.resolved && item.assignee === userId;
    case 'unassigned':
      return !item.resolved && !item.assignee && needsAnswer(item) && !item.answered;
    case 'open':
      return !item.resolved && needsAnswer(item) && !item.answered;
    case 'waiting':
      return !item.resolved && item.answered;
    case 'resolved_today':
      return Boolean(item.resolved && item.resolved.at >= todayStartsAt);
  }
}

const URGENCY: Record<string, number> = { Complaint: 0, Question: 1, conversation: 1, Praise: 2, Other: 3 };

/** Most important first (complaints, then questions and conversations), oldest first within that; resolved: newest first. */
export function workOrder(filter: InboxFilter) {
  return (a: InboxItem, b: InboxItem): number => {
    if (filter === 'resolved_today') return (b.resolved?.at ?? '').localeCompare(a.resolved?.at ?? '');
    const rank = (item: InboxItem) => URGENCY[item.label ?? item.kind] ?? 3;
    return rank(a) - rank(b) || a.since.localeCompare(b.since) || a.key.localeCompare(b.key);
  };
}

export function countsOf(items: Iterable<InboxItem>, userId: string, todayStartsAt: string): Record<InboxFilter, number> {
  const counts = Object.fromEntries(INBOX_FILTERS.map((filter) => [filter, 0])) as Record<InboxFilter, number>;
  for (const item of items) for (const filter of INBOX_FILTERS) if (isIn(item, filter, userId, todayStartsAt)) counts[filter]++;
  return counts;
}

/** One line of the inbox as drawn: the item, and (for agents only) who wrote what. */
export interface InboxEntry {
  item: InboxItem;
  /** Absent for a viewer: personal data is for agents. */
  author?: string;
  excerpt?: string;
}

export interface InboxPage {
  filter: InboxFilter;
  counts: Record<InboxFilter, number>;
  entries: InboxEntry[];
  /** More in this list than the page shows. */
  more: number;
  showsPersonalData: boolean;
  /** For the "updated" line. */
  at: string;
}
