import type { KnownBlock } from '@slack/types';
import type { MentionRecord } from '../../domain/records.ts';
import { type SurgeRecord, topTerms } from '../../domain/surges.ts';
import type { PlatformId } from '../../platforms/platform.ts';
import type { ContactLabel } from '../../services/team-chat.ts';
import { ACTION, MENTION_BATCH_METADATA_EVENT, overflowValue, SURGE_METADATA_EVENT } from '../ids.ts';
import { escapeMrkdwn, link, quote, truncate } from '../mrkdwn.ts';
import { context, LABEL_EMOJI, section, slackDate } from './blocks.ts';
import { CAN_LIKE, PLATFORM_ICON, PLATFORM_NAME } from './platform-names.ts';

/** A surge message's examples: who wrote what, where. */
export interface SurgeExample {
  handle: string;
  text: string;
  url: string;
  platform: PlatformId;
}

/**
 * The one message per surge per channel: since when, how many, by label and network, sentiment,
 * top terms and three examples; the lower-priority mentions follow in its thread. Pure; updated in
 * place as the surge goes on, and once more when it ends.
 */
export function renderSurgeMessage(surge: SurgeRecord, examples: SurgeExample[]) {
  const { figures } = surge;
  const isOver = Boolean(surge.endedAt);
  const head = isOver
    ? `:ocean: *Surge over*: ${figures.total} mentions from ${slackDate(surge.startedAt)} to ${slackDate(surge.endedAt ?? surge.startedAt)}`
    : `:ocean: *Surge in progress* since ${slackDate(surge.startedAt)}: ${figures.total} mentions so far`;
  const labels = Object.entries(figures.byLabel)
    .map(([label, count]) => `${LABEL_EMOJI[label as keyof typeof LABEL_EMOJI] ?? ''} ${label} ${count}`)
    .join(' · ');
  const networks = Object.entries(figures.byNetwork)
    .map(([network, count]) => `${PLATFORM_NAME[network as PlatformId] ?? network} ${count}`)
    .join(' · ');
  const { positive, neutral, negative } = figures.sentiment;
  const terms = topTerms(figures);
  const blocks: KnownBlock[] = [
    section(head),
    section(
      [
        labels && `*By label* ${labels}`,
        networks && `*By network* ${networks}`,
        `*Sentiment* :slightly_smiling_face: ${positive} · :neutral_face: ${neutral} · :slightly_frowning_face: ${negative}`,
        terms.length ? `*Talked about* ${terms.map((term) => `\`${escapeMrkdwn(term)}\``).join(' · ')}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
  ];
  for (const example of examples.slice(0, 3)) {
    blocks.push(
      section(
        `${PLATFORM_ICON[example.platform]} ${link(example.url, `@${truncate(example.handle, 60)}`)}\n${quote(truncate(example.text, 280), 400)}`,
      ),
    );
  }
  blocks.push(
    context(
      isOver
        ? 'Every mention of the surge is in this channel or in this thread, each with its menu (Reply, Like, Assign to me, Resolve).'
        : 'Questions and complaints from known customers still come one by one in the channel; the rest are in this thread, a few per message, each with its menu (Reply, Like, Assign to me, Resolve).',
    ),
  );
  return {
    text: isOver ? `Surge over: ${figures.total} mentions` : `Surge in progress: ${figures.total} mentions so far`,
    blocks,
    metadata: { event_type: SURGE_METADATA_EVENT, event_payload: { key: surge.key } },
  };
}

/** The notice in the questions channel when a surge starts (a user group is named only if configured). */
export function renderSurgeNotice(surge: SurgeRecord, waiting: number, notifyGroup?: string) {
  // A configured user group is pinged on purpose, once per surge; nothing from outside is in this text.
  const group = notifyGroup ? `<!subteam^${notifyGroup}> ` : '';
  const text = `${group}:ocean: A surge has started in <#${surge.channel}>: ${waiting} mentions waiting. Questions and complaints from known customers still come first, one by one; the rest go into the surge message's thread.`;
  return { text, blocks: [section(text)] };
}

/**
 * A message in a surge's thread holding a few mentions, each with who, what (escaped), where, its
 * label and state, and an overflow menu with the mention's actions, so every one stays actionable.
 */
export function renderMentionBatch(records: ReadonlyArray<{ record: MentionRecord; contact: ContactLabel }>) {
  const blocks: KnownBlock[] = [];
  for (const { record, contact } of records) {
    const { mention, classification, workflow } = record;
    const state = [
      workflow?.assignee ? `:raising_hand: <@${workflow.assignee}>` : '',
      workflow?.replies?.length ? `:speech_balloon: replied by <@${workflow.replies.at(-1)?.by}>` : '',
      workflow?.automatic?.state === 'sent' ? ':robot_face: auto-replied' : '',
      workflow?.liked ? ':heart: liked' : '',
      workflow?.resolved ? ':white_check_mark: resolved' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        verbatim: true,
        text: truncate(
          `${LABEL_EMOJI[classification.label]} *${escapeMrkdwn(truncate(mention.author.name, 60))}* ${link(mention.author.profileUrl, `@${truncate(mention.author.handle, 60)}`)} · ${link(mention.url, `${PLATFORM_NAME[mention.platform]}`)} · ${escapeMrkdwn(truncate(contact.name, 60))}${state ? ` · ${state}` : ''}\n${quote(truncate(mention.text, 500), 700)}`,
          3000,
        ),
      },
      accessory: {
        type: 'overflow',
        action_id: ACTION.mentionOverflow,
        options: [
          { text: { type: 'plain_text', text: 'Reply' }, value: overflowValue('reply', record.key) },
          ...(CAN_LIKE[record.mention.platform]
            ? [{ text: { type: 'plain_text' as const, text: 'Like' }, value: overflowValue('like', record.key) }]
            : []),
          {
            text: { type: 'plain_text', text: workflow?.assignee ? 'Assign to me / let go' : 'Assign to me' },
            value: overflowValue('assign', record.key),
          },
          { text: { type: 'plain_text', text: workflow?.resolved ? 'Reopen' : 'Resolve' }, value: overflowValue('resolve', record.key) },
          ...(record.mention.canHide && !workflow?.removed
            ? [
                {
                  text: { type: 'plain_text' as const, text: workflow?.hidden ? 'Unhide' : 'Hide' },
                  value: overflowValue('hide', record.key),
                },
              ]
            : []),
        ],
      },
    });
  }
  const keys = records.map(({ record }) => record.key);
  return {
    text: `${records.length} mention${records.length === 1 ? '' : 's'} during the surge`,
    blocks,
    metadata: { event_type: MENTION_BATCH_METADATA_EVENT, event_payload: { keys: keys.join(' ') } },
  };
}
