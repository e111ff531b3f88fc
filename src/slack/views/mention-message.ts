import type { KnownBlock } from '@slack/types';
import type { AutomaticTouch, MentionRecord, MentionWorkflow } from '../../domain/records.ts';
import { type Classification, LABELS, type Sentiment } from '../../domain/triage/labels.ts';
import { LANGUAGE_NAMES } from '../../domain/triage/language.ts';
import { ACTION, BLOCK, ERASED_METADATA_EVENT, MENTION_METADATA_EVENT, relabelValue } from '../ids.ts';
import { escapeMrkdwn, link, quote, truncate } from '../mrkdwn.ts';
import { context, LABEL_EMOJI, section, slackDate } from './blocks.ts';
import { CAN_LIKE, HAS_HANDLES, PLATFORM_ICON, PLATFORM_NAME } from './platform-names.ts';

const SENTIMENT_EMOJI: Record<Sentiment['label'], string> = {
  positive: ':slightly_smiling_face:',
  neutral: ':neutral_face:',
  negative: ':slightly_frowning_face:',
};

/** Shown when a post is not public, so nobody quotes a private post where everyone can see it. */
const AUDIENCE: Record<string, string | undefined> = {
  unlisted: '  ·  :mute: unlisted',
  followers: '  ·  :lock: followers only',
  direct: '  ·  :envelope: direct message',
};

export interface MentionMessage {
  text: string;
  blocks: KnownBlock[];
  metadata: { event_type: string; event_payload: { key: string } };
}

export interface ContactSummary {
  id: string;
  name: string;
}

/**
 * The message for one mention: who, what they wrote (escaped), where, how it was triaged, the
 * linked contact, and the five buttons. Pure: the same record always renders the same message.
 * `metadata` carries the mention's key, so a restart can find the message in the channel's history.
 */
export function renderMentionMessage(
  record: Pick<MentionRecord, 'key' | 'mention' | 'classification' | 'workflow'>,
  contact: ContactSummary,
): MentionMessage {
  const { mention, classification } = record;
  const workflow = record.workflow ?? {};
  const { author } = mention;
  const platform = PLATFORM_NAME[mention.platform];
  const name = truncate(author.name, 80);
  const when = slackDate(mention.createdAt);
  const sentiment = classification.sentiment;
  const metadata = { event_type: MENTION_METADATA_EVENT, event_payload: { key: record.key } };

  // Resolved: out of the way, one line (who, when, what it was) and Reopen.
  if (workflow.resolved) {
    const excerpt = escapeMrkdwn(truncate(mention.text.replace(/\s+/g, ' '), 90));
    return {
      text: `Resolved: ${classification.label} from @${escapeMrkdwn(truncate(author.handle, 60))} on ${platform}`,
      metadata,
      blocks: [
        {
          ...section(
            `:white_check_mark: Resolved by <@${workflow.resolved.by}> ${slackDate(workflow.resolved.at)}  ·  ${LABEL_EMOJI[classification.label]} ${classification.label} from *${escapeMrkdwn(name)}* on ${PLATFORM_ICON[mention.platform]} ${link(mention.url, platform)}: “${excerpt}”`,
          ),
          accessory: { type: 'button', action_id: ACTION.resolve, text: { type: 'plain_text', text: 'Reopen' }, value: record.key },
        },
      ],
    };
  }

  return {
    // Notification and accessibility fallback: no outside text beyond the handle, escaped.
    text: `${classification.label} from @${escapeMrkdwn(truncate(author.handle, 60))} on ${platform}`,
    metadata,
    blocks: [
      section(
        `*${escapeMrkdwn(name)}* ${HAS_HANDLES[mention.platform] ? `${link(author.profileUrl, `@${truncate(author.handle, 60)}`)} ` : ''}on ${PLATFORM_ICON[mention.platform]} ${platform}`,
      ),
      section(quote(mention.text)),
      ...(mention.editedAt ? [context(`:pencil2: Edited by its author ${slackDate(mention.editedAt)}`)] : []),
      context(
        `${labelLine(classification)}  ·  ${SENTIMENT_EMOJI[sentiment.label]} Sentiment: ${sentiment.label} (${formatScore(sentiment.score)})${languageNote(classification)}  ·  ${link(mention.url, `View on ${platform}`)}${mention.isComment ? '  ·  :leftwards_arrow_with_hook: reply to our post' : ''}${AUDIENCE[mention.visibility ?? 'public'] ?? ''}  ·  ${when}`,
      ),
      context(`:bust_in_silhouette: Contact: *${escapeMrkdwn(truncate(contact.name, 80))}*`),
      ...workflowBlocks(record.workflow),
      {
        type: 'actions',
        block_id: BLOCK.mentionActions,
        elements: [
          { type: 'button', action_id: ACTION.reply, text: { type: 'plain_text', text: 'Reply' }, style: 'primary', value: record.key },
          ...(CAN_LIKE[mention.platform]
            ? [
                {
                  // Pressed again, it takes the like back where the network lets an app do it.
                  type: 'button' as const,
                  action_id: ACTION.like,
                  text: { type: 'plain_text' as const, text: workflow.liked ? 'Liked' : 'Like' },
                  value: record.key,
                },
              ]
            : []),
          { type: 'button', action_id: ACTION.linkContact, text: { type: 'plain_text', text: 'Link contact' }, value: record.key },
          // Pressed again by the assignee, it unassigns; the line above says who owns it.
          {
            type: 'button',
            action_id: ACTION.assignToMe,
            text: { type: 'plain_text', text: workflow.assignee ? 'Unassign' : 'Assign to me' },
            value: record.key,
          },
          {
            type: 'button',
            action_id: ACTION.resolve,
            text: { type: 'plain_text', text: workflow.resolved ? 'Reopen' : 'Resolve' },
            value: record.key,
          },
          ...(mention.canHide && !workflow.removed
            ? [
                {
                  // Moderation: hidden from everyone but its author (abuse, spam); pressed again, shown.
                  type: 'button' as const,
                  action_id: ACTION.hide,
                  text: { type: 'plain_text' as const, text: workflow.hidden ? 'Unhide' : 'Hide' },
                  value: record.key,
                },
              ]
            : []),
          {
            // A teammate corrects the triage: the message moves if the label routes elsewhere,
            // the digest counts follow, and the model learns from it.
            type: 'static_select',
            action_id: ACTION.relabel,
            placeholder: { type: 'plain_text', text: 'Relabel' },
            options: LABELS.filter((label) => label !== classification.label).map((label) => ({
              text: { type: 'plain_text', text: label },
              value: relabelValue(label, record.key),
            })),
          },
        ],
      },
    ],
  };
}

/** The label, and who corrected it from what, when a teammate did. */
function labelLine(classification: Classification): string {
  const { label, relabel } = classification;
  const corrected = relabel ? ` (relabelled from ${relabel.from} by <@${relabel.by}>)` : '';
  return `${LABEL_EMOJI[label]} *${label}*${corrected}`;
}

/** The language, when it is not English (most teams read English first; the rest is worth a word). */
function languageNote(classification: Classification): string {
  const language = classification.language;
  return language && language !== 'en' && language !== 'und' ? `  ·  :globe_with_meridians: ${LANGUAGE_NAMES[language]}` : '';
}

/** One line of who has done what, in the order a reader asks: owner, answer, state. */
function workflowBlocks(workflow: MentionWorkflow | undefined): KnownBlock[] {
  if (!workflow) return [];
  const parts: string[] = [];
  const automatic = workflow.automatic;
  if (workflow.assignee) {
    const byRule = automatic?.assigned === workflow.assignee ? ` by rule “${escapeMrkdwn(automatic.rule)}”` : '';
    parts.push(`:raising_hand: Assigned to <@${workflow.assignee}>${byRule}`);
  }
  if (automatic) parts.push(automaticLine(automatic));
  for (const reply of workflow.replies ?? []) {
    parts.push(`:speech_balloon: Replied by <@${reply.by}>${reply.url ? ` · ${link(reply.url, 'view reply')}` : ''}`);
  }
  if (workflow.liked) parts.push(`:heart: Liked by <@${workflow.liked.by}>`);
  if (workflow.hidden) parts.push(`:see_no_evil: Hidden by <@${workflow.hidden.by}> (only its author sees it)`);
  if (workflow.removed) parts.push(`:wastebasket: Deleted by its author ${slackDate(workflow.removed.at)}`);
  if (workflow.resolved) parts.push(`:white_check_mark: Resolved by <@${workflow.resolved.by}>`);
  if (parts.length === 0) return [];
  return [context(parts.join('  ·  '))];
}

/** What an automatic-reply rule did here, in one line; the thread holds the text and the Undo. */
function automaticLine(automatic: AutomaticTouch): string {
  const rule = `rule “${escapeMrkdwn(truncate(automatic.rule, 60))}”`;
  const detail = automatic.detail ? escapeMrkdwn(truncate(automatic.detail, 160)) : '';
  switch (automatic.state) {
    case 'sent':
      return `:robot_face: Auto-replied by ${rule}`;
    case 'scheduled':
      return `:robot_face: Automatic reply by ${rule} waiting in its Undo window (see the thread)`;
    case 'cancelled':
      return `:robot_face: ${rule[0]?.toUpperCase()}${rule.slice(1)}'s automatic reply was cancelled${detail ? `: ${detail}` : ''}`;
    case 'failed':
      return `:robot_face: ${rule[0]?.toUpperCase()}${rule.slice(1)}'s automatic reply was not sent${detail ? `: ${detail}` : ''}`;
    case 'dry_run':
      return `:test_tube: ${rule[0]?.toUpperCase()}${rule.slice(1)} would have replied (dry run, nothing sent)`;
    case 'held':
      return detail
        ? `:robot_face: ${rule[0]?.toUpperCase()}${rule.slice(1)} matched; no automatic reply: ${detail}`
        : `:robot_face: Handled by ${rule}`;
  }
}

function formatScore(score: number): string {
  return score > 0 ? `+${score.toFixed(2)}` : score.toFixed(2);
}

/**
 * What a mention message becomes once the mention has moved to another channel (relabelled): who
 * moved it, as what, and a link to where it is now. It keeps the mention's metadata, so notes typed
 * in its thread still reach the contact. No text of the post.
 */
export function renderMovedMessage(
  to: { channel: string; ts: string },
  move: { key: string; label: Classification['label']; by: string },
  workspaceUrl: string | undefined,
): MentionMessage {
  const permalink = workspaceUrl ? `${workspaceUrl.replace(/\/?$/, '/')}archives/${to.channel}/p${to.ts.replace('.', '')}` : undefined;
  const where = `moved to <#${to.channel}>${permalink ? ` (<${permalink}|open it>)` : ''}`;
  return {
    text: `Relabelled ${move.label} and moved`,
    metadata: { event_type: MENTION_METADATA_EVENT, event_payload: { key: move.key } },
    blocks: [context(`:arrow_right: Relabelled *${move.label}* by <@${move.by}> and ${where}.`)],
  };
}

/**
 * What a message the bot wrote about a person becomes once they are erased (GDPR). Its metadata is
 * replaced too: the old one named the mention's key, and with it the post's ID on its network.
 */
export function renderErasedMessage(): {
  text: string;
  blocks: KnownBlock[];
  metadata: { event_type: string; event_payload: Record<string, string> };
} {
  return {
    text: 'Erased',
    blocks: [context(":wastebasket: Erased at the person's request.")],
    metadata: { event_type: ERASED_METADATA_EVENT, event_payload: {} },
  };
}
