import type { PlatformId } from '../../platforms/platform.ts';
import type { Label } from '../triage/labels.ts';
import type { DetectedLanguage } from '../triage/language.ts';
import { type BusinessHours, isWithinBusinessHours } from './business-hours.ts';

/**
 * Automatic-reply rules: *when* a post or private message looks like this, *then* send a saved
 * reply, assign it, or tell a channel. Kept in the store, edited by admins in Slack, evaluated in
 * their order; the first that matches acts, unless it says to continue to the next.
 */

/** What an item is, as far as rules see: a mention out of the blue, a comment on one of our posts, or a private message. */
export type ItemKind = 'mention' | 'comment' | 'dm';
export const ITEM_KINDS: readonly ItemKind[] = ['mention', 'comment', 'dm'];

/** A new rule is a dry run until an admin switches it on; `off` keeps it without evaluating it. */
export type RuleMode = 'dry_run' | 'live' | 'off';

export interface RuleConditions {
  /** Absent: every network. */
  platforms?: PlatformId[];
  /** Absent: public mentions and comments, never private messages (a DM rule names `dm`). */
  kinds?: ItemKind[];
  labels?: Label[];
  languages?: DetectedLanguage[];
  /** Any of these words or phrases, whole, ignoring case and accents. */
  keywords?: string[];
  /** A regular expression the text must match (case-insensitive, Unicode). */
  pattern?: string;
  /** Known: the CRM had this person before the item (an import, a link, an earlier post). */
  contact?: 'known' | 'unknown';
  /** The contact carries this tag. */
  tag?: string;
  /** Inside or outside `BUSINESS_HOURS`. */
  hours?: 'inside' | 'outside';
}

export interface RuleActions {
  /** The name of a saved reply, its variables filled for the item's author. */
  savedReply?: string;
  /** A Slack user ID to assign the item to. */
  assignTo?: string;
  /** A Slack channel ID told about the item, with a link to its message. */
  notifyChannel?: string;
}

export interface AutoReplyRule {
  id: string;
  name: string;
  /** Evaluation order, lowest first. */
  position: number;
  mode: RuleMode;
  when: RuleConditions;
  actions: RuleActions;
  /** Go on to the next rule after this one acted. */
  continueAfter: boolean;
  /** Automatic replies this rule may send a day (in the business-hours zone); never unlimited. */
  dailyCap: number;
  /** Bumped by every change: a reply scheduled under an older version is not sent. */
  version: number;
  createdBy: string;
  createdAt: string;
  updatedBy: string;
  updatedAt: string;
}

export const DEFAULT_DAILY_CAP = 50;
export const MAX_DAILY_CAP = 1_000;

/** An item as the rules read it. Its text is untrusted; it is only ever matched, never run. */
export interface RuleSubject {
  platform: PlatformId;
  kind: ItemKind;
  text: string;
  label?: Label;
  language?: DetectedLanguage;
  contact: { isKnown: boolean; tags: readonly string[] };
  at: Date;
}

export interface RuleClock {
  businessHours?: BusinessHours;
  /** DIGEST_TIMEZONE: the zone of the business hours unless they name their own. */
  timeZone: string;
}

/** Folds case and accents, so `reembolso` finds `Reembolso` and `remboursé` finds `rembourse`. */
export function foldText(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

/** A keyword found whole: `refund` in "a refund?" but not in "refunded"; phrases and any script too. */
export function containsKeyword(text: string, keyword: string): boolean {
  const folded = foldText(keyword.trim());
  if (!folded) return false;
  const haystack = foldText(text);
  let from = 0;
  for (;;) {
    const at = haystack.indexOf(folded, from);
    if (at === -1) return false;
    const before = haystack[at - 1] ?? ' ';
    const after = haystack[at + folded.length] ?? ' ';
    // Scripts written without spaces (Chinese, Japanese) have no word edges to check.
    const isUnspaced = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u.test(folded);
    if (isUnspaced || (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after))) return true;
    from = at + 1;
  }
}

/** Longest text a rule's pattern is run on: a hostile post cannot make a careless pattern run for long. */
const PATTERN_INPUT_LIMIT = 2_000;

/** Compiles a rule's pattern, or says why it cannot be one. */
export function compilePattern(pattern: string): RegExp | { problem: string } {
  if (pattern.length > 200) return { problem: 'The pattern is longer than 200 characters.' };
  // Nested repetition ("(a+)+") can take exponential time on a crafted post: refused up front.
  if (/\([^()]*[+*}][^()]*\)[+*{]/.test(pattern)) {
    return { problem: 'The pattern repeats a repetition (like `(a+)+`), which a crafted post could make run for minutes.' };
  }
  try {
    return new RegExp(pattern, 'iu');
  } catch (error) {
    return { problem: `The pattern is not a valid regular expression: ${error instanceof Error ? error.message : String(error)}.` };
  }
}

/** The outcome of one rule against one item: whether it matches, and the first condition that did not. */
export type RuleMatch = { matches: true } | { matches: false; because: string };

/** Whether a rule's conditions hold for an item. Pure; the explanation is shown by `/crm rules test`. */
export function matchRule(rule: Pick<AutoReplyRule, 'when'>, subject: RuleSubject, clock: RuleClock): RuleMatch {
  const when = rule.when;
  const no = (because: string): RuleMatch => ({ matches: false, because });
  const kinds = when.kinds?.length ? when.kinds : (['mention', 'comment'] as ItemKind[]);
  if (!kinds.includes(subject.kind))
    return no(`it is a ${describeKind(subject.kind)}, and the rule is for ${kinds.map(describeKind).join(' or ')}`);
  if (when.platforms?.length && !when.platforms.includes(subject.platform)) return no(`the rule is not for ${subject.platform}`);
  if (when.labels?.length && (!subject.label || !when.labels.includes(subject.label))) {
    return no(`it is labelled ${subject.label ?? 'nothing'}, and the rule wants ${when.labels.join(' or ')}`);
  }
  if (when.languages?.length && (!subject.language || !when.languages.includes(subject.language))) {
    return no(`its language is ${subject.language ?? 'unknown'}, and the rule wants ${when.languages.join(' or ')}`);
  }
  if (when.keywords?.length && !when.keywords.some((keyword) => containsKeyword(subject.text, keyword))) {
    return no('none of the rule’s keywords is in the text');
  }
  if (when.pattern) {
    const pattern = compilePattern(when.pattern);
    if (!(pattern instanceof RegExp)) return no(pattern.problem);
    if (!pattern.test(subject.text.slice(0, PATTERN_INPUT_LIMIT))) return no('the text does not match the rule’s pattern');
  }
  if (when.contact === 'known' && !subject.contact.isKnown) return no('the author is new to the CRM');
  if (when.contact === 'unknown' && subject.contact.isKnown) return no('the author is already known to the CRM');
  if (when.tag && !subject.contact.tags.some((tag) => tag.toLowerCase() === when.tag?.toLowerCase())) {
    return no(`the contact is not tagged ${when.tag}`);
  }
  if (when.hours) {
    if (!clock.businessHours) return no('the rule depends on business hours, and BUSINESS_HOURS is not set');
    const inside = isWithinBusinessHours(clock.businessHours, subject.at, clock.timeZone);
    if (when.hours === 'inside' && !inside) return no('it arrived outside business hours');
    if (when.hours === 'outside' && inside) return no('it arrived inside business hours');
  }
  return { matches: true };
}

export function describeKind(kind: ItemKind): string {
  return kind === 'dm' ? 'private message' : kind === 'comment' ? 'comment on our post' : 'mention';
}

/** Rules in the order they are evaluated. */
export const inEvaluationOrder = (rules: readonly AutoReplyRule[]): AutoReplyRule[] =>
  [...rules].sort((a, b) => a.position - b.position || a.createdAt.localeCompare(b.createdAt));

/**
 * The rules that act on an item, in order: each matching rule that is not off, stopping after the
 * first that acts unless it says to continue. Dry-run rules act too (they report, and send nothing).
 */
export function rulesThatAct(rules: readonly AutoReplyRule[], subject: RuleSubject, clock: RuleClock): AutoReplyRule[] {
  const acting: AutoReplyRule[] = [];
  for (const rule of inEvaluationOrder(rules)) {
    if (rule.mode === 'off' || !matchRule(rule, subject, clock).matches) continue;
    acting.push(rule);
    if (!rule.continueAfter) break;
  }
  return acting;
}

/**
 * What a rule did with one item, kept for the guardrails (one automatic reply per author per
 * window, a daily cap per rule) and so that an item read again is never acted on twice. Keyed by
 * item and rule. Names IDs only: erasing the contact removes its decisions.
 */
export interface AutoReplyDecision {
  /** `<item key>|<rule id>`. */
  key: string;
  itemKey: string;
  ruleId: string;
  contactId: string;
  at: string;
  /** `reply`: a live reply was scheduled; `dry_run`: it would have been; `held`: a guardrail stopped it; `acted`: assign or notify only. */
  outcome: 'reply' | 'dry_run' | 'held' | 'acted';
}

export const decisionKey = (itemKey: string, ruleId: string): string => `${itemKey}|${ruleId}`;

/** The limits a decision to reply is stored under, atomically with it. */
export interface DecisionLimits {
  /** No `reply` to the same contact at or after this instant. */
  authorSince: string;
  /** Fewer than `dailyCap` decisions of this rule with this outcome at or after this instant. */
  daySince: string;
  dailyCap: number;
}

export type DecisionResult =
  | { stored: true }
  | { stored: false; because: 'known' }
  | { stored: false; because: 'author_window'; lastToAuthorAt: string }
  | { stored: false; because: 'daily_cap' };

/** What an admin fills in to add or edit a rule; the rest (ID, order, mode, version) is the service's. */
export interface RuleDraft {
  name: string;
  when: RuleConditions;
  actions: RuleActions;
  continueAfter: boolean;
  dailyCap: number;
}

/** Which part of a draft is wrong, in words for the form: keyed by the field (`name`, `pattern`, `actions`, `dailyCap`). */
export type DraftProblems = Partial<Record<'name' | 'pattern' | 'actions' | 'dailyCap' | 'kinds', string>>;

/** Checks a draft before it is stored: a name, a valid pattern, at least one action, a cap within bounds. */
export function checkRuleDraft(draft: RuleDraft, known: { savedReplies: readonly string[]; takenNames: readonly string[] }): DraftProblems {
  const problems: DraftProblems = {};
  const name = draft.name.trim();
  if (!name) problems.name = 'Give the rule a name.';
  else if (name.length > 60) problems.name = 'A rule name is at most 60 characters.';
  else if (/[\s]{2,}|[<>]/.test(name)) problems.name = 'A rule name cannot hold < or > or runs of spaces.';
  else if (known.takenNames.some((taken) => taken.toLowerCase() === name.toLowerCase()))
    problems.name = `Another rule is called “${name}”.`;
  if (draft.when.pattern) {
    const pattern = compilePattern(draft.when.pattern);
    if (!(pattern instanceof RegExp)) problems.pattern = pattern.problem;
  }
  const { savedReply, assignTo, notifyChannel } = draft.actions;
  if (!savedReply && !assignTo && !notifyChannel)
    problems.actions = 'Choose at least one thing the rule does: a saved reply, an assignee or a channel to tell.';
  else if (savedReply && !known.savedReplies.some((reply) => reply.toLowerCase() === savedReply.toLowerCase())) {
    problems.actions = `There is no saved reply called “${savedReply}”: add it with /crm saved add first.`;
  }
  if (!Number.isInteger(draft.dailyCap) || draft.dailyCap < 1 || draft.dailyCap > MAX_DAILY_CAP) {
    problems.dailyCap = `A daily cap is a whole number from 1 to ${MAX_DAILY_CAP}.`;
  }
  if (draft.when.kinds?.length === 0) problems.kinds = 'Choose at least one kind of item.';
  return problems;
}

/** One line per condition, for lists and the dry-run note. */
export function describeConditions(when: RuleConditions): string[] {
  const parts: string[] = [];
  parts.push((when.kinds?.length ? when.kinds : (['mention', 'comment'] as ItemKind[])).map(describeKind).join(' or '));
  if (when.platforms?.length) parts.push(`on ${when.platforms.join(', ')}`);
  if (when.labels?.length) parts.push(`labelled ${when.labels.join(' or ')}`);
  if (when.languages?.length) parts.push(`in ${when.languages.join(', ')}`);
  if (when.keywords?.length) parts.push(`with ${when.keywords.map((keyword) => `“${keyword}”`).join(' or ')}`);
  if (when.pattern) parts.push(`matching /${when.pattern}/`);
  if (when.contact) parts.push(`from ${when.contact === 'known' ? 'a known contact' : 'someone new'}`);
  if (when.tag) parts.push(`tagged ${when.tag}`);
  if (when.hours) parts.push(`${when.hours} business hours`);
  return parts;
}
