import { twitterText } from './twitter-text.ts';

/**
 * Rules for the text of a public reply. Pure: the modal, thread commands and the sending service
 * all ask the same questions here.
 */

/** X's limit: 280 weighted characters; URLs count 23, CJK and emoji count 2 (measured by twitter-text). */
export const X_MAX_WEIGHTED_LENGTH = 280;

export interface TextMeasure {
  length: number;
  limit: number;
  /** Where the platform has a limit rule that is not length (X: invalid characters). */
  isValid: boolean;
  /** How the platform counts, said to a person who went over ("links count 23"). */
  countingRule?: string;
  /** Why a text that fits the length is still refused. */
  invalidReason?: string;
}

export function measureForX(text: string): TextMeasure {
  const parsed = twitterText.parseTweet(text);
  return {
    length: parsed.weightedLength,
    limit: X_MAX_WEIGHTED_LENGTH,
    isValid: parsed.valid || parsed.weightedLength > X_MAX_WEIGHTED_LENGTH,
    countingRule: 'links count 23, emoji and CJK count 2',
  };
}

export type TextProblem =
  | { kind: 'empty' }
  | { kind: 'too_long'; length: number; limit: number; countingRule?: string }
  | { kind: 'invalid'; reason?: string };

export function checkReplyText(text: string, measure: (text: string) => TextMeasure): TextProblem | undefined {
  if (text.trim().length === 0) return { kind: 'empty' };
  const measured = measure(text);
  if (measured.length > measured.limit) {
    return { kind: 'too_long', length: measured.length, limit: measured.limit, countingRule: measured.countingRule };
  }
  if (!measured.isValid) return { kind: 'invalid', reason: measured.invalidReason };
  return undefined;
}

export function describeTextProblem(problem: TextProblem, platform: string): string {
  switch (problem.kind) {
    case 'empty':
      return 'The reply is empty: write something to send.';
    case 'too_long':
      return `The reply is ${problem.length} characters as ${platform} counts them; the limit is ${problem.limit}${problem.countingRule ? ` (${problem.countingRule})` : ''}. Shorten it by ${problem.length - problem.limit}.`;
    case 'invalid':
      return `${platform} would refuse this text (${problem.reason ?? `it contains characters ${platform} does not allow`}).`;
  }
}

export function hasUrl(text: string): boolean {
  return twitterText.extractUrls(text).length > 0;
}

/** A thread message is a public reply only when it starts with `reply:` (any case); everything else is a note. */
export type ThreadCommand = { kind: 'reply'; text: string } | { kind: 'note'; text: string };

export function parseThreadMessage(text: string): ThreadCommand {
  const match = /^\s*reply:\s*/i.exec(text);
  return match ? { kind: 'reply', text: text.slice(match[0].length).trim() } : { kind: 'note', text: text.trim() };
}

export interface TemplateValues {
  first_name: string;
  handle: string;
  agent: string;
}

/** Fills `{{first_name}}`, `{{handle}}` and `{{agent}}`; unknown variables are left as written, to be seen. */
export function fillTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as keyof TemplateValues] : whole,
  );
}

/** What `{{first_name}}` becomes when the display name does not read as a name. */
export const FIRST_NAME_FALLBACK = 'there';

/**
 * `{{first_name}}` from a display name, which the author chose and may be anything ("@here
 * FREE iPhones", "🔥🔥", "visit evil.example"). The first word is used only when it reads as a name:
 * letters in any script (with marks, apostrophes and hyphens), at most 30, no handle, link or
 * domain; otherwise "there" ("Hi there,"). The form shows which, before anything is sent.
 */
export function firstNameOf(displayName: string): { firstName: string; fromDisplayName: boolean } {
  const first = displayName.trim().split(/\s+/)[0] ?? '';
  const word = first.replace(/^[("'“‘]+|[)"'”’.,!?:;]+$/gu, '');
  const readsAsName = /^\p{L}[\p{L}\p{M}'’-]{0,29}$/u.test(word) && !/https?:|www\./i.test(displayName);
  return readsAsName ? { firstName: word, fromDisplayName: true } : { firstName: FIRST_NAME_FALLBACK, fromDisplayName: false };
}

const URL_PATTERN = /https?:\/\/[^\s<>"]+/g;

/**
 * Mastodon's count (StatusLengthValidator): characters (code points), every URL as 23, and a
 * remote mention `@user@domain` as `@user`. The limit is the instance's own.
 */
export function measureForMastodon(text: string, limit: number, urlLength = 23): TextMeasure {
  const countable = text.replace(URL_PATTERN, 'x'.repeat(urlLength)).replace(/(^|[^\w/])@(\w+)@[\w.-]+\w/g, '$1@$2');
  return { length: Array.from(countable).length, limit, isValid: true, countingRule: 'links count 23, @user@server counts as @user' };
}

/** Bluesky's limit: 300 graphemes (what a person sees as one character, emoji with modifiers included). */
export const BLUESKY_MAX_GRAPHEMES = 300;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

export function measureForBluesky(text: string): TextMeasure {
  let length = 0;
  for (const _ of graphemes.segment(text)) length++;
  // The record's text is also capped at 3,000 bytes of UTF-8.
  const bytes = Buffer.byteLength(text, 'utf8');
  return {
    length,
    limit: BLUESKY_MAX_GRAPHEMES,
    isValid: bytes <= 3000,
    countingRule: 'each letter or emoji as you see it counts 1',
    invalidReason: `it is ${bytes} bytes; a post may have at most 3,000, which long runs of emoji can reach`,
  };
}

/** Bluesky chat: a message may have 1,000 graphemes and 10,000 bytes of UTF-8 (chat.bsky.convo.defs#messageInput). */
export function measureForBlueskyChat(text: string): TextMeasure {
  let length = 0;
  for (const _ of graphemes.segment(text)) length++;
  const bytes = Buffer.byteLength(text, 'utf8');
  return {
    length,
    limit: 1_000,
    isValid: bytes <= 10_000,
    countingRule: 'each letter or emoji as you see it counts 1',
    invalidReason: `it is ${bytes} bytes; a chat message may have at most 10,000`,
  };
}

/** X direct messages: up to 10,000 characters. */
export function measureForXDirectMessage(text: string): TextMeasure {
  return { length: Array.from(text).length, limit: 10_000, isValid: true, countingRule: 'characters' };
}
