import type { KnownBlock } from '@slack/types';
import type { AuditEntry, SavedReply } from '../../domain/records.ts';
import { LABELS } from '../../domain/triage/labels.ts';
import type { TriageReport } from '../../services/triage.ts';
import { escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { context, LABEL_EMOJI, section, slackDate } from './blocks.ts';

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
    '• `/crm rules`: the automatic-reply rules; `add`, `edit <name>`, `on`/`dry-run`/`off <name>`, `move <name> <n>`, `delete <name>`, `test <text>`, `pause`, `resume` (changes: admins)',
    '• `/crm audit [n]`: the latest public actions and refusals (admins)',
    '• `/crm digest [today | yesterday | 7d | YYYY-MM-DD]`: post the engagement digest to the digest channel now',
    '• `/crm triage`: how often the team kept each triage label in the last 30 days (from the *Relabel* menu)',
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
  unlike: 'took a like back',
  hide: 'hid a comment',
  unhide: 'showed a hidden comment again',
  refused: 'was refused',
  relabel: 'relabelled a mention',
  erasure: 'erased a contact',
  rule_change: 'changed an automatic-reply rule',
  automation_paused: 'paused automatic replies',
  automation_resumed: 'resumed automatic replies',
  auto_reply_dry_run: 'would have replied (dry run)',
  auto_assigned: 'assigned a mention',
};

/** Who acted: a person named (never pinged in an ephemeral answer), or a rule by its name. */
export function describeActor(actor: string): string {
  if (actor.startsWith('rule ')) return `_${escapeMrkdwn(actor)}_`;
  if (actor === 'switchboard') return 'Switchboard';
  return /^[UW][A-Z0-9]+$/.test(actor) ? `<@${actor}>` : escapeMrkdwn(actor);
}

/**
 * `/crm triage`: per label the model gave, how often the team kept it (precision from
 * corrections): a mention nobody relabelled counts as right.
 */
export function renderTriageReport(report: TriageReport): CommandAnswer {
  const percent = (value: number | undefined) => (value === undefined ? '–' : `${Math.round(value * 100)} %`);
  const rows = LABELS.map((label) => {
    const { given, correctedAway, correctedInto, precision } = report.perLabel[label];
    return `${LABEL_EMOJI[label]} *${label}*: ${percent(precision)} kept  ·  ${given} labelled, ${correctedAway} relabelled away, ${correctedInto} relabelled into it`;
  });
  const header = `*Triage, last ${report.days} days*: ${report.triaged} mention${report.triaged === 1 ? '' : 's'} triaged, ${report.corrections} corrected by the team`;
  const hint =
    report.corrections === 0
      ? 'No corrections yet: when a label is wrong, pick the right one in the mention’s *Relabel* menu. Each correction moves the mention if needed, updates the digest and teaches the model.'
      : 'Precision is the share of each label the team kept. Corrections also join the model’s training at every start.';
  const text = `${header}\n${rows.join('\n')}\n${hint}`;
  return { text, blocks: [section(header), section(rows.join('\n')), context(hint)] };
}

export function renderAudit(entries: AuditEntry[]): CommandAnswer {
  if (entries.length === 0) return { text: 'The audit log is empty.' };
  const lines = entries.map((entry) => {
    const when = slackDate(entry.at, 'exact');
    const what = entry.text ? `: “${escapeMrkdwn(truncate(entry.text, 120))}”` : '';
    const post = entry.platformPostId ? ` (post ${escapeMrkdwn(entry.platformPostId)})` : '';
    const detail = entry.detail ? ` (${escapeMrkdwn(truncate(entry.detail, 120))})` : '';
    return `• ${when} ${describeActor(entry.actor)} ${ACTION_WORDS[entry.action]}${what}${post}${detail} · ${escapeMrkdwn(entry.mentionKey ?? '')}`;
  });
  const text = `*Audit log*, newest first\n${lines.join('\n')}`;
  // Quotes reply texts: verbatim, so a bare "@here" in one stays text (staff are named with <@U…> on purpose).
  return { text, blocks: [section(truncate(text, 2900))] };
}
