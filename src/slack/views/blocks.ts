import type { ContextBlock, MrkdwnElement, SectionBlock } from '@slack/types';
import type { Label } from '../../domain/triage/labels.ts';
import { escapeMrkdwn, truncate } from '../mrkdwn.ts';

/**
 * The one safe Block Kit toolkit every view builds with. Every mrkdwn text object is made by
 * `mrkdwn`, which sets `verbatim: true`, so Slack never auto-parses a bare "@here", "#channel" or
 * URL in it. Outside text (posts, names, handles, imported fields, saved replies) goes in already
 * escaped: `outside(text)` on its own, or `mrkdwnWith`, `quote` and `link` inside a sentence.
 */
export function mrkdwn(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** A text object holding nothing but outside text, escaped. */
export function outside(text: string): MrkdwnElement {
  return mrkdwn(escapeMrkdwn(text));
}

/** A section of mrkdwn, cut to the 3,000 characters Slack accepts. */
export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(truncate(text, 3000)) };
}

export function context(...texts: string[]): ContextBlock {
  return { type: 'context', elements: texts.map(mrkdwn) };
}

/** The same emoji for a label in every view. */
export const LABEL_EMOJI: Readonly<Record<Label, string>> = {
  Question: ':question:',
  Complaint: ':warning:',
  Praise: ':tada:',
  Other: ':speech_balloon:',
};

const DATE_FORMATS = {
  /** "Today at 09:41", "Yesterday at …", "Nov 25th at …": how Slack shows times. */
  pretty: '{date_short_pretty} at {time}',
  /** For logs of actions, to the second. */
  exact: '{date_short} {time_secs}',
} as const;

/**
 * A date shown the way Slack shows dates, in each reader's own time zone (`<!date^…>`); the
 * fallback, for clients that cannot render it, is UTC.
 */
export function slackDate(iso: string, format: keyof typeof DATE_FORMATS = 'pretty'): string {
  const seconds = Math.floor(Date.parse(iso) / 1000);
  if (!Number.isFinite(seconds)) return escapeMrkdwn(iso);
  const fallback = `${new Date(seconds * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${seconds}^${DATE_FORMATS[format]}|${fallback}>`;
}
