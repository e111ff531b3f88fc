import type { PlatformId } from '../../platforms/platform.ts';
import type { Label } from '../triage/labels.ts';
import type { AutoReplyRule, ItemKind } from './rules.ts';

/**
 * The limits no rule can switch off. Checked when a rule would reply, and again at the end of the
 * Undo window (a person may have acted meanwhile, or automation been paused). Pure: the facts are
 * read by the caller.
 */
export type GuardrailCode =
  /** `/crm rules pause`: nothing automatic is sent until someone resumes. */
  | 'paused'
  /** A person answered, assigned or resolved the item: they own it now. */
  | 'person_acted'
  /** The author had an automatic reply recently (one per author per window). */
  | 'author_window'
  /** The rule has sent its daily allowance. */
  | 'daily_cap'
  /** X allows automated replies only to posts that @mention the account. */
  | 'x_needs_mention'
  /** …and only to people asking for help (a question or a complaint), never on a keyword alone. */
  | 'x_needs_request'
  /** Followers-only and direct posts get no public automatic reply (a DM rule answers privately). */
  | 'not_public';

export interface Guardrail {
  code: GuardrailCode;
  /** Shown on the mention message and in `/crm rules test`: why no automatic reply went. */
  words: string;
}

export const AUTHOR_WINDOW_HOURS = 24;

export interface GuardrailFacts {
  platform: PlatformId;
  kind: ItemKind;
  visibility?: 'public' | 'unlisted' | 'followers' | 'direct';
  /** Whether the text @mentions the brand's own handle (not merely a reply to one of its posts). */
  mentionsBrand: boolean;
  /** The item's triage label: on X, only a question or a complaint asks for help. */
  label?: Label;
  paused?: { by: string; at: string };
  /** A person has replied to, assigned or resolved the item. */
  personActed?: string;
  /** When the author last had an automatic reply, if within the window. */
  lastToAuthorAt?: string;
  authorWindowHours: number;
  /** Automatic replies this rule already sent (or scheduled) today. */
  sentToday: number;
}

/** The first guardrail that stops this rule replying to this item, or undefined when it may. */
export function guardrailBlocking(rule: Pick<AutoReplyRule, 'dailyCap' | 'when'>, facts: GuardrailFacts): Guardrail | undefined {
  if (facts.paused) return { code: 'paused', words: `automatic replies are paused (by <@${facts.paused.by}>)` };
  if (facts.personActed) return { code: 'person_acted', words: facts.personActed };
  const isPrivateRule = rule.when.kinds?.includes('dm') ?? false;
  if (facts.kind !== 'dm' && (facts.visibility === 'followers' || facts.visibility === 'direct') && !isPrivateRule) {
    return {
      code: 'not_public',
      words: `the post is ${facts.visibility === 'direct' ? 'a direct post' : 'for followers only'}, so no public automatic reply`,
    };
  }
  if (facts.platform === 'x' && facts.kind !== 'dm' && !facts.mentionsBrand) {
    return { code: 'x_needs_mention', words: 'X allows automatic replies only to posts that @mention the brand' };
  }
  if (facts.platform === 'x' && facts.kind !== 'dm' && facts.label !== 'Question' && facts.label !== 'Complaint') {
    return {
      code: 'x_needs_request',
      words: `X allows automatic replies only to people asking for help, and this reads as ${facts.label === 'Praise' ? 'praise' : 'neither a question nor a complaint'}`,
    };
  }
  if (facts.lastToAuthorAt) {
    return {
      code: 'author_window',
      words: `the author had an automatic reply at ${facts.lastToAuthorAt.slice(11, 16)} UTC (one per ${facts.authorWindowHours} h)`,
    };
  }
  if (facts.sentToday >= rule.dailyCap) return { code: 'daily_cap', words: `the rule has sent its ${rule.dailyCap} for today` };
  return undefined;
}

/** Whether a text @mentions this handle (`@northwind`, any case; Mastodon's `@northwind@server` too). */
export function mentionsHandle(text: string, handle: string): boolean {
  const bare = handle.replace(/^@/, '').split('@')[0] ?? '';
  if (!bare) return false;
  const escaped = bare.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w@])@${escaped}(?![\\w])`, 'i').test(text);
}
