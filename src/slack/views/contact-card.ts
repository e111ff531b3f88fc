import type { KnownBlock } from '@slack/types';
import type { ContactRecord } from '../../domain/records.ts';
import type { ContactProfile, Interaction } from '../../services/crm.ts';
import type { ErasureSummary } from '../../services/erasure.ts';
import { ACTION } from '../ids.ts';
import { escapeMrkdwn, link, mrkdwnWith, truncate } from '../mrkdwn.ts';
import { context, mrkdwn, section, slackDate } from './blocks.ts';
import type { CommandAnswer } from './command-answers.ts';
import { permalink } from './digest-message.ts';
import { PLATFORM_NAME } from './platform-names.ts';

const KIND_EMOJI: Record<Interaction['kind'], string> = {
  mention: ':speech_balloon:',
  reply: ':outbox_tray:',
  like: ':heart:',
  note: ':memo:',
  order: ':package:',
  private: ':envelope:',
};

function identitiesLine(contact: ContactRecord): string {
  if (contact.identities.length === 0) return 'no social identity yet';
  return contact.identities
    .map((identity) => `${PLATFORM_NAME[identity.platform]} ${link(identity.profileUrl, `@${identity.handle}`)}`)
    .join(' · ');
}

function when(iso: string | undefined): string {
  return iso ? slackDate(iso) : 'never';
}

function ordersTotal(totals: Record<string, number>): string {
  const parts = Object.entries(totals).map(([currency, cents]) => `${(cents / 100).toFixed(2)} ${currency}`);
  return parts.length ? ` · ${parts.join(' + ')}` : '';
}

function sentimentTrend(sentiment: ContactProfile['sentiment']): string {
  if (sentiment.recent === undefined) return 'no mentions yet';
  const recent = sentiment.recent.toFixed(2);
  if (sentiment.before === undefined) return `${recent} (latest mentions)`;
  const delta = sentiment.recent - sentiment.before;
  const arrow = delta > 0.1 ? 'improving :arrow_upper_right:' : delta < -0.1 ? 'worsening :arrow_lower_right:' : 'steady';
  return `${recent}, ${arrow} (was ${sentiment.before.toFixed(2)})`;
}

/**
 * A contact's card for `/crm lookup`: who they are (identities with links, company, tags), how they
 * engage, what is still open, and the last five interactions. Only the caller sees it.
 */
export function renderContactCard(profile: ContactProfile, options: { personalData: boolean }): CommandAnswer {
  const { contact } = profile;
  const { personalData } = options;
  const details = personalData
    ? [
        contact.company ? `:office: ${escapeMrkdwn(contact.company)}` : undefined,
        contact.emails?.length ? `:email: ${contact.emails.map(escapeMrkdwn).join(', ')}` : undefined,
        contact.phone ? `:phone: ${escapeMrkdwn(contact.phone)}` : undefined,
        contact.tags?.length ? `:label: ${contact.tags.map((tag) => `\`${escapeMrkdwn(tag)}\``).join(' ')}` : undefined,
      ].filter(Boolean)
    : [':lock: Contact details, orders, notes and private messages are shown to support agents.'];
  const figures = [
    `*Mentions* ${profile.mentions}`,
    `*Replies received* ${profile.repliesReceived}`,
    `*Likes received* ${profile.likesReceived}`,
    `*Notes* ${profile.notes}`,
    `*Orders* ${profile.orders.count}${personalData ? ordersTotal(profile.orders.totals) : ''}`,
    // Private conversations are personal data: agents see them, viewers do not even see that there are any.
    ...(personalData
      ? [
          `*Private conversations* ${profile.privateConversations.count}${profile.privateConversations.count ? ` (${profile.privateConversations.open} open)` : ''}`,
        ]
      : []),
    `*Last contact* ${when(profile.lastContactAt)}`,
    `*First response (median)* ${profile.medianFirstResponseMinutes === undefined ? 'none yet' : `${Math.round(profile.medianFirstResponseMinutes)} min`}`,
  ];
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(contact.name, 140) } },
    section([identitiesLine(contact), ...details].join('\n')),
    { type: 'section', fields: figures.map(mrkdwn) },
    context(`Sentiment: ${sentimentTrend(profile.sentiment)}`),
  ];
  if (profile.openQuestions.length > 0) {
    const lines = profile.openQuestions
      .slice(0, 5)
      .map(
        (record) =>
          `• ${record.classification.label}: ${link(record.mention.url, truncate(record.mention.text, 80))} (${when(record.mention.createdAt)})`,
      );
    blocks.push(section(`*Open questions (${profile.openQuestions.length})*\n${lines.join('\n')}`));
  }
  // Staff notes, orders and private messages are about the person, not public posts: agents only.
  const visible = personalData
    ? profile.latest
    : profile.latest.filter((item) => item.kind === 'mention' || item.kind === 'reply' || item.kind === 'like');
  const latest = visible.map((item) => {
    const by = item.by ? ` by <@${item.by}>` : '';
    const text = item.kind === 'reply' || item.kind === 'like' ? '' : `: ${escapeMrkdwn(truncate(item.text, 100))}`;
    const where = item.url ? ` · ${link(item.url, 'open')}` : '';
    return `${KIND_EMOJI[item.kind]} ${when(item.at)} ${item.kind}${by}${text}${where}`;
  });
  blocks.push(section(`*Latest*\n${latest.length ? latest.join('\n') : 'Nothing yet.'}`));
  blocks.push(context(`Contact ID \`${contact.key}\``));
  return { text: mrkdwnWith`${contact.name}: ${profile.mentions} mentions, ${profile.openQuestions.length} open`, blocks };
}

/** Several contacts matched: a short list to choose from. */
export function renderContactChoices(query: string, contacts: ContactRecord[], options: { personalData: boolean }): CommandAnswer {
  const lines = contacts.map((contact) => {
    const handles = contact.identities.map((identity) => `@${escapeMrkdwn(identity.handle)}`).join(', ');
    const extra = (options.personalData ? [contact.company, contact.emails?.[0]] : [])
      .filter(Boolean)
      .map((value) => escapeMrkdwn(String(value)));
    return `• *${escapeMrkdwn(contact.name)}* ${handles} ${extra.length ? `(${extra.join(', ')})` : ''} · \`${contact.key}\``;
  });
  const text = `Several contacts match “${escapeMrkdwn(truncate(query, 60))}”. Look up one by @handle, email or ID:\n${lines.join('\n')}`;
  return { text, blocks: [section(truncate(text, 2900))] };
}

/** `/crm forget` asks before erasing: what will go, and two buttons. */
export function renderForgetConfirmation(contact: ContactRecord, mentions: number): CommandAnswer {
  const text = `Erase *${escapeMrkdwn(contact.name)}* for good? The contact, its ${contact.identities.length} identit${contact.identities.length === 1 ? 'y' : 'ies'}, ${mentions} mention(s), notes, orders and personal details are removed from every Switchboard file. This cannot be undone.`;
  return {
    text,
    blocks: [
      section(text),
      {
        type: 'actions',
        elements: [
          {
            type: 'button',
            action_id: ACTION.confirmForget,
            style: 'danger',
            text: { type: 'plain_text', text: 'Erase for good' },
            value: contact.key,
          },
          { type: 'button', action_id: ACTION.cancelForget, text: { type: 'plain_text', text: 'Cancel' }, value: contact.key },
        ],
      },
    ],
  };
}

/**
 * After `/crm forget`: what went, and the staff messages in threads that Slack keeps (a bot cannot
 * delete a person's message), each linked so an admin can delete it.
 */
export function renderErasureDone(name: string, summary: ErasureSummary, workspaceUrl: string): string {
  const { mentions, messagesErased, messagesNotErased, digestsRedrawn, digestsNotRedrawn, threadNotes } = summary;
  const digests = digestsRedrawn ? `, ${digestsRedrawn} digest(s) that named or quoted them were redrawn without them` : '';
  const lines = [
    mrkdwnWith`Erased ${name}: the contact, ${mentions} mention(s), notes, orders and likes; ${String(messagesErased)} of Switchboard's messages about them now say "erased"${digests}. The audit log records only that an erasure happened.`,
  ];
  if (messagesNotErased || digestsNotRedrawn) {
    lines.push(
      `:warning: Slack refused ${messagesNotErased} message update(s) and ${digestsNotRedrawn} digest update(s) (deleted or archived meanwhile?): the log lists where.`,
    );
  }
  const done = lines.join('\n');
  if (threadNotes.length === 0) return done;
  const links = threadNotes.map((note, i) => link(permalink(workspaceUrl, note), `note ${i + 1}`)).join(' · ');
  return `${done}\nStaff messages in threads were saved as notes about them and stay in Slack until deleted: ${links}`;
}
