import type { Button, KnownBlock, View } from '@slack/types';
import { FILTER_TITLES, INBOX_FILTERS, type InboxEntry, type InboxPage } from '../../domain/inbox.ts';
import { ACTION } from '../ids.ts';
import { escapeMrkdwn, link, truncate } from '../mrkdwn.ts';
import { context, LABEL_EMOJI, section, slackDate } from './blocks.ts';
import { permalink } from './digest-message.ts';
import { PLATFORM_ICON, PLATFORM_NAME } from './platform-names.ts';

/**
 * The App Home inbox: one button per list with its count (the chosen one highlighted), then the
 * list's first page, most important and oldest first: what it is, where, since when, who owns it,
 * a link to its message, and the buttons to take it or close it. Names and text only when the
 * page says the person may see personal data; always escaped. Pure.
 */
export function renderAppHome(page: InboxPage, workspaceUrl: string): View {
  const tabs: Button[] = INBOX_FILTERS.map((filter) => ({
    type: 'button',
    action_id: `${ACTION.homeFilter}_${filter}`,
    text: { type: 'plain_text', text: `${FILTER_TITLES[filter]} (${page.counts[filter]})` },
    value: filter,
    ...(filter === page.filter ? { style: 'primary' as const } : {}),
  }));
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Switchboard inbox' } },
    { type: 'actions', block_id: 'home_filters', elements: tabs },
    context(`*${FILTER_TITLES[page.filter]}*: ${describe(page)}  ·  updated ${slackDate(page.at)}`),
    { type: 'divider' },
  ];
  if (page.entries.length === 0) blocks.push(section(EMPTY[page.filter]));
  for (const entry of page.entries) blocks.push(...entryBlocks(entry, workspaceUrl));
  if (page.more > 0) blocks.push(context(`…and ${page.more} more in this list, oldest first. Resolve or assign some to see the rest.`));
  if (!page.showsPersonalData) blocks.push(context(':lock: Names and messages are shown to agents only.'));
  return { type: 'home', blocks };
}

function describe(page: InboxPage): string {
  const count = page.counts[page.filter];
  const noun = count === 1 ? 'item' : 'items';
  return page.filter === 'resolved_today' ? `${count} ${noun}, newest first` : `${count} ${noun}, most urgent and oldest first`;
}

const EMPTY: Record<InboxPage['filter'], string> = {
  mine: ':sparkles: Nothing is assigned to you. Take one from *Unassigned*.',
  unassigned: ':sparkles: Every question, complaint and conversation has an owner or an answer.',
  open: ':sparkles: No question or complaint is waiting for an answer.',
  waiting: 'Nothing answered is waiting for the customer.',
  resolved_today: 'Nothing was resolved today yet.',
};

function entryBlocks(entry: InboxEntry, workspaceUrl: string): KnownBlock[] {
  const { item } = entry;
  const what =
    item.kind === 'conversation' ? ':envelope: Private conversation' : `${LABEL_EMOJI[item.label ?? 'Other']} ${item.label ?? 'Mention'}`;
  const where = `${PLATFORM_ICON[item.platform]} ${PLATFORM_NAME[item.platform]}`;
  const who = entry.author ? ` from *${escapeMrkdwn(truncate(entry.author, 60))}*` : '';
  const said = entry.excerpt ? `\n>${escapeMrkdwn(truncate(entry.excerpt.replace(/\s+/g, ' '), 140))}` : '';
  const state = [
    item.assignee ? `:raising_hand: <@${item.assignee}>` : 'unassigned',
    item.resolved?.by ? `:white_check_mark: resolved by <@${item.resolved.by}> ${slackDate(item.resolved.at)}` : undefined,
    item.answered && !item.resolved ? ':speech_balloon: answered' : undefined,
  ].filter(Boolean);
  const open = item.slack ? link(permalink(workspaceUrl, item.slack), 'Open in channel') : '';
  const conversation = item.kind === 'conversation';
  const buttons: Button[] = [
    {
      type: 'button',
      action_id: conversation ? ACTION.conversationAssign : ACTION.assignToMe,
      text: { type: 'plain_text', text: item.assignee ? 'Unassign' : 'Assign to me' },
      value: item.key,
    },
    {
      type: 'button',
      action_id: conversation ? ACTION.conversationResolve : ACTION.resolve,
      text: { type: 'plain_text', text: item.resolved ? 'Reopen' : 'Resolve' },
      value: item.key,
    },
  ];
  return [
    section(`${what}${who} on ${where}, ${slackDate(item.since)}${said}`),
    context(`${state.join('  ·  ')}${open ? `  ·  ${open}` : ''}`),
    { type: 'actions', block_id: `home_item_${item.key}`.slice(0, 255), elements: buttons },
  ];
}
