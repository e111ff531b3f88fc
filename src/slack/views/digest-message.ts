import type { KnownBlock } from '@slack/types';
import type { AutomaticReplyFigures, DigestFigures, DigestMention, PrivateMessageFigures, Trend } from '../../domain/digest-stats.ts';
import { LABELS } from '../../domain/triage/labels.ts';
import type { PlatformId } from '../../platforms/platform.ts';
import { DIGEST_METADATA_EVENT } from '../ids.ts';
import { escapeMrkdwn, link, truncate } from '../mrkdwn.ts';
import type { MessageToPost } from '../slack-gateway.ts';
import { context as contextBlock, LABEL_EMOJI, mrkdwn, section } from './blocks.ts';
import { PLATFORM_NAME } from './platform-names.ts';

/**
 * The digest as a Slack message, pure. A quiet period is one line; otherwise each section appears
 * only when it has something to say. Customer text is escaped; links go to the mention messages.
 */

export interface DigestMessageContext {
  /** The workspace's URL from auth.test (`https://acme.slack.com/`), for message permalinks. */
  workspaceUrl: string;
  timeZone: string;
  /** The metadata key that makes this digest findable again (exactly once across restarts). */
  key: string;
  /** Who asked for it, for `/crm digest`; absent for the scheduled digest. */
  requestedBy?: string;
  /** Staff display names by user ID (named, not mentioned: a digest should not notify anyone). */
  staffNames: ReadonlyMap<string, string>;
}

const MAX_LISTED = 8;

export function periodTitle(figures: Pick<DigestFigures, 'period'>): string {
  const { first, last, days } = figures.period;
  return days === 1 ? `Daily digest · ${formatDay(last)}` : `${days}-day digest · ${formatDay(first)} to ${formatDay(last)}`;
}

export function renderDigestMessage(figures: DigestFigures, context: DigestMessageContext): Omit<MessageToPost, 'channel'> {
  const title = periodTitle(figures);
  const metadata = { event_type: DIGEST_METADATA_EVENT, event_payload: { key: context.key } };
  const asked = context.requestedBy ? ` · asked for by ${escapeMrkdwn(context.staffNames.get(context.requestedBy) ?? 'a colleague')}` : '';
  const footer: KnownBlock = contextBlock(`Days in ${context.timeZone}${asked}`);
  const before = figures.period.days === 1 ? `the day before` : `the ${figures.period.days} days before`;

  const privately = figures.privateMessages;
  const privateBlocks = privately && (privately.received || privately.repliesSent) ? [section(privateText(privately))] : [];
  if (figures.total.count === 0) {
    const text = `${title}: a quiet ${figures.period.days === 1 ? 'day' : 'period'}, no mentions (${figures.total.previous} ${before}).`;
    return {
      text,
      blocks: [
        section(
          `:zzz: *${title}*: a quiet ${figures.period.days === 1 ? 'day' : 'period'}, no mentions (${figures.total.previous} ${before}).`,
        ),
        // A day of private messages only is not quiet for the team.
        ...privateBlocks,
        footer,
      ],
      metadata,
    };
  }

  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    {
      type: 'section',
      text: mrkdwn(`*${plural(figures.total.count, 'mention')}* ${trendText(figures.total, figures.period.days)}`),
      fields: LABELS.map((label) =>
        mrkdwn(
          `${LABEL_EMOJI[label]} *${label}* ${figures.byLabel[label].count}  ${trendText(figures.byLabel[label], figures.period.days)}`,
        ),
      ),
    },
    contextBlock(
      Object.entries(figures.byPlatform)
        .map(
          ([platform, trend]) =>
            `${PLATFORM_NAME[platform as PlatformId] ?? platform} ${trend.count} ${trendText(trend, figures.period.days)}`,
        )
        .join(' · '),
    ),
  ];

  blocks.push(section(unansweredText(figures.unanswered, context.workspaceUrl)));
  blocks.push(section(responseText(figures.firstResponse)));
  if (figures.automaticReplies) blocks.push(section(automaticText(figures.automaticReplies)));
  if (figures.surges?.length) blocks.push(section(surgesText(figures.surges, context.timeZone)));
  blocks.push(...privateBlocks);
  blocks.push(section(sentimentText(figures.sentiment, context.workspaceUrl)));
  blocks.push(
    section(
      `*Top contacts*\n${figures.topContacts
        .map(
          (c, i) =>
            `${i + 1}. ${escapeMrkdwn(c.name)}: ${[
              c.mentions ? plural(c.mentions, 'mention') : '',
              c.comments ? plural(c.comments, 'comment') : '',
              c.likesGiven ? `${plural(c.likesGiven, 'like')} of our posts` : '',
              c.replies ? `${plural(c.replies, 'reply', 'replies')} from us` : '',
              c.likes ? `${plural(c.likes, 'like')} from us` : '',
            ]
              .filter(Boolean)
              .join(', ')}`,
        )
        .join('\n')}`,
    ),
  );
  const extras: string[] = [];
  if (figures.likesReceived.count > 0) {
    extras.push(`*Likes on our posts* ${figures.likesReceived.count} from ${plural(figures.likesReceived.people, 'person', 'people')}`);
  }
  if (figures.terms.length) extras.push(`*Talked about* ${figures.terms.map((term) => `\`${escapeMrkdwn(term)}\``).join(' · ')}`);
  extras.push(
    figures.repliesByStaff.length
      ? `*Replies sent* ${figures.repliesByStaff.map((s) => `${escapeMrkdwn(context.staffNames.get(s.user) ?? s.user)} ${s.replies}`).join(' · ')}`
      : '*Replies sent* none',
  );
  blocks.push(section(extras.join('\n')));
  blocks.push(footer);

  const text = `${title}: ${plural(figures.total.count, 'mention')}, ${figures.unanswered.length} still unanswered.`;
  return { text, blocks, metadata };
}

function unansweredText(unanswered: DigestMention[], workspaceUrl: string): string {
  if (unanswered.length === 0) return '*Still unanswered* none: every question and complaint has a reply or is resolved :white_check_mark:';
  const lines = unanswered.slice(0, MAX_LISTED).map((m) => `• ${mentionLine(m, workspaceUrl)}`);
  if (unanswered.length > MAX_LISTED) lines.push(`…and ${unanswered.length - MAX_LISTED} more`);
  return `*Still unanswered* (${unanswered.length}, oldest first)\n${lines.join('\n')}`;
}

/** Each surge named: where, from when to when, how many, what about, and the mood. */
function surgesText(surges: NonNullable<DigestFigures['surges']>, timeZone: string): string {
  const time = (iso: string) => new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
  const lines = surges.map((surge) => {
    const span = `${time(surge.startedAt)}–${surge.endedAt ? time(surge.endedAt) : 'still going'}`;
    const terms = surge.terms.length ? `, about ${surge.terms.map((term) => `\`${escapeMrkdwn(term)}\``).join(' ')}` : '';
    const { positive, neutral, negative } = surge.sentiment;
    return `• <#${surge.channel}> ${span}: ${plural(surge.mentions, 'mention')}${terms} · :slightly_smiling_face: ${positive} :neutral_face: ${neutral} :slightly_frowning_face: ${negative}`;
  });
  return `:ocean: *Surges*\n${lines.join('\n')}`;
}

/** What the rules did: sent, stopped in their Undo window, and how often a person still had to answer. */
function automaticText(figures: AutomaticReplyFigures): string {
  const followed = figures.sent ? ` · a person followed up on ${figures.followedUp} of ${figures.sent}` : '';
  const held = figures.heldBack ? ` · ${figures.heldBack} held back by a guardrail` : '';
  const dry = figures.dryRuns ? ` · ${plural(figures.dryRuns, 'dry run')}` : '';
  return `:robot_face: *Automatic replies* ${figures.sent} sent, ${figures.cancelled} cancelled in their Undo window${followed}${held}${dry}`;
}

/** Private messages, counted: their texts stay in the DMs channel. */
function privateText(figures: PrivateMessageFigures): string {
  const response =
    figures.medianFirstResponseMinutes === undefined ? '' : ` · first response median ${duration(figures.medianFirstResponseMinutes)}`;
  return `:envelope: *Private messages* ${plural(figures.received, 'message')} in ${plural(figures.conversations, 'conversation')}: ${figures.answered} answered, ${figures.waiting} waiting for us · ${plural(figures.repliesSent, 'reply', 'replies')} sent${response}`;
}

function responseText(response: DigestFigures['firstResponse']): string {
  if (response.answered === 0) return '*First response* no question or complaint was answered';
  const share =
    response.withinTargetShare === undefined
      ? ''
      : ` · ${Math.round(response.withinTargetShare * 100)}% within ${duration(response.targetMinutes)}`;
  return `*First response* median ${duration(response.medianMinutes ?? 0)} · 90th percentile ${duration(response.p90Minutes ?? 0)}${share} (${response.answered} answered)`;
}

function sentimentText(sentiment: DigestFigures['sentiment'], workspaceUrl: string): string {
  const split = `*Sentiment* :slightly_smiling_face: ${sentiment.positive} positive · :neutral_face: ${sentiment.neutral} neutral · :slightly_frowning_face: ${sentiment.negative} negative`;
  if (sentiment.mostNegative.length === 0) return split;
  return `${split}\nMost negative:\n${sentiment.mostNegative.map((m) => `• ${mentionLine(m, workspaceUrl)}`).join('\n')}`;
}

/** `09:14 Ada Lovelace (Question): “where is…”`, the time linking to the mention message. */
function mentionLine(mention: DigestMention, workspaceUrl: string): string {
  const excerpt = `“${escapeMrkdwn(truncate(mention.text.replace(/\s+/g, ' '), 90))}”`;
  const where = mention.slack ? link(permalink(workspaceUrl, mention.slack), 'open') : link(mention.url, 'view post');
  return `*${escapeMrkdwn(mention.contactName)}* (${mention.label}, ${PLATFORM_NAME[mention.platform as PlatformId] ?? mention.platform}) ${excerpt} ${where}`;
}

/** Slack's permalink form for a message: `…/archives/C123/p1764000000123456`. */
export function permalink(workspaceUrl: string, message: { channel: string; ts: string }): string {
  return `${workspaceUrl.replace(/\/?$/, '/')}archives/${message.channel}/p${message.ts.replace('.', '')}`;
}

function trendText(trend: Trend, days: number): string {
  const change = `${signed(trend.count - trend.previous)} vs ${days === 1 ? 'the day before' : 'the period before'}`;
  return days === 1 ? `(${change} · 7-day avg ${trend.average.toFixed(1)})` : `(${change})`;
}

const signed = (n: number): string => (n > 0 ? `▲${n}` : n < 0 ? `▼${-n}` : '±0');

/**
 * Every section of the digest quotes outside text (names, post excerpts, terms): escaped, and
 * `verbatim` so Slack does not turn a bare "@here" in a post into a ping, every day it stays unanswered.
 */

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function duration(minutes: number): string {
  const rounded = Math.round(minutes);
  if (rounded < 60) return `${rounded} min`;
  const hours = Math.floor(rounded / 60);
  if (hours < 24) return rounded % 60 ? `${hours} h ${rounded % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

export function formatDay(day: string): string {
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(`${day}T12:00:00Z`))
    .replace(',', '');
}
