import type { KnownBlock } from '@slack/types';
import type { AuditEntry, SavedReply } from '../../domain/records.ts';
import { escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { section, slackDate } from './blocks.ts';

/** Answers to `/crm` subcommands: plain, short, visible only to the person who asked. */
export interface CommandAnswer {
  text: string;
  blocks?: KnownBlock[];
}

/**
 * A one-line answer that may quote outside text (build it with `mrkdwnWith`): shown as a verbatim
 * section, so Slack does not parse a bare "@here" in a name either.
 */
export function renderNotice(text: string): CommandAnswer {
  return { text, blocks: [section(text)] };
}

export function renderHelp(prefix?: string): CommandAnswer {
  const lines = [
    '*Switchboard* · `/crm` commands',
    '• `/crm lookup <name | @handle | email>`: a contact card (typos are fine)',
    "• `/crm note <contact> <text>`: an internal note on the contact's timeline",
    '• `/crm tag <contact> <tag>` · `/crm merge <contact> <contact>`',
    '• `/crm link <@handle> <contact>`: X `@name`, Mastodon `@name@server`, Bluesky `@name.bsky.social`',
    '• `/crm forget <contact>`: erase a contact and their data (GDPR; asks first)',
    '• `/crm export <contact>`: their data as a JSON file in your direct messages (GDPR)',
    '• `/crm saved list`: the saved replies offered in the Reply form',
    '• `/crm saved add <name> <text>`: add or replace one; `{{first_name}}`, `{{handle}}` and `{{agent}}` are filled in',
    '• `/crm saved remove <name>`',
    '• `/crm audit [n]`: the latest public actions and refusals (admins)',
    '• `/crm digest [today | yesterday | 7d | YYYY-MM-DD]`: post the engagement digest to the digest channel now',
    '• `/crm help`: this list',
    "In a mention's thread, start a message with `reply:` to answer publicly; anything else stays internal as a note.",
  ];
  const text = [prefix, ...lines].filter(Boolean).join('\n');
  // The prefix can echo what was typed: verbatim, like every text that may carry outside words.
  return { text, blocks: [section(text)] };
}

export function renderSavedReplies(replies: SavedReply[]): CommandAnswer {
  if (replies.length === 0) return { text: 'No saved replies yet. Add one with `/crm saved add <name> <text>`.' };
  const lines = replies.map((reply) => `• *${escapeMrkdwn(reply.name)}*: ${escapeMrkdwn(truncate(reply.text, 200))}`);
  const text = `*Saved replies* (${replies.length})\n${lines.join('\n')}`;
  return { text, blocks: [section(truncate(text, 2900))] };
}

const ACTION_WORDS: Record<AuditEntry['action'], string> = {
  reply_scheduled: 'scheduled a reply',
  reply_sent: 'reply published',
  reply_undone: 'undid a reply',
  reply_failed: 'reply refused by the platform',
  reply_uncertain: 'reply uncertain',
  like: 'liked',
  refused: 'was refused',
  erasure: 'erased a contact',
};

export function renderAudit(entries: AuditEntry[]): CommandAnswer {
  if (entries.length === 0) return { text: 'The audit log is empty.' };
  const lines = entries.map((entry) => {
    const when = slackDate(entry.at, 'exact');
    const what = entry.text ? `: “${escapeMrkdwn(truncate(entry.text, 120))}”` : '';
    const post = entry.platformPostId ? ` (post ${escapeMrkdwn(entry.platformPostId)})` : '';
    const detail = entry.detail ? ` (${escapeMrkdwn(truncate(entry.detail, 120))})` : '';
    return `• ${when} <@${entry.actor}> ${ACTION_WORDS[entry.action]}${what}${post}${detail} · ${escapeMrkdwn(entry.mentionKey ?? '')}`;
  });
  const text = `*Audit log*, newest first\n${lines.join('\n')}`;
  // Quotes reply texts: verbatim, so a bare "@here" in one stays text (staff are named with <@U…> on purpose).
  return { text, blocks: [section(truncate(text, 2900))] };
}
