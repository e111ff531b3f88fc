import type { KnownBlock, PlainTextOption, View } from '@slack/types';
import type { BusinessHours } from '../../domain/auto-replies/business-hours.ts';
import { type AutoReplyRule, DEFAULT_DAILY_CAP, type ItemKind, MAX_DAILY_CAP, type RuleDraft } from '../../domain/auto-replies/rules.ts';
import type { SavedReply } from '../../domain/records.ts';
import { LABELS } from '../../domain/triage/labels.ts';
import { LANGUAGE_NAMES, LANGUAGES } from '../../domain/triage/language.ts';
import { PLATFORM_IDS, type PlatformId } from '../../platforms/platform.ts';
import { RULE_FIELD, VIEW } from '../ids.ts';
import { escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { context, section } from './blocks.ts';
import { PLATFORM_NAME } from './platform-names.ts';

const PLATFORMS: readonly PlatformId[] = PLATFORM_IDS;
const KIND_WORDS: Record<ItemKind, string> = { mention: 'Mentions', comment: 'Comments on our posts', dm: 'Private messages' };

const option = (text: string, value: string): PlainTextOption => ({ text: { type: 'plain_text', text: truncate(text, 75) }, value });

export interface RuleModalInput {
  /** Absent: a new rule. */
  rule?: AutoReplyRule;
  savedReplies: SavedReply[];
  businessHours?: BusinessHours;
  timeZone: string;
}

/**
 * The form that builds a rule: *when* (network, kind, label, language, keywords, pattern, contact,
 * business hours) and *then* (a saved reply, an assignee, a channel to tell), a daily cap, and
 * whether to go on to the next rule. Pure. A new rule is saved in dry run; the form says so.
 */
export function renderRuleModal(input: RuleModalInput): View {
  const { rule } = input;
  const when = rule?.when ?? {};
  const actions = rule?.actions ?? {};
  const checked = <T extends string>(values: readonly T[] | undefined, options: PlainTextOption[]) =>
    values?.length ? { initial_options: options.filter((candidate) => values.includes(candidate.value as T)) } : {};
  const selected = (value: string | undefined, options: PlainTextOption[]) => {
    const found = options.find((candidate) => candidate.value === value);
    return found ? { initial_option: found } : {};
  };
  const platformOptions = PLATFORMS.map((platform) => option(PLATFORM_NAME[platform], platform));
  const kindOptions = (['mention', 'comment', 'dm'] as const).map((kind) => option(KIND_WORDS[kind], kind));
  const labelOptions = LABELS.map((label) => option(label, label));
  const languageOptions = LANGUAGES.map((language) => option(LANGUAGE_NAMES[language], language));
  const contactOptions = [option('Anyone', 'any'), option('Known to the CRM', 'known'), option('New to the CRM', 'unknown')];
  const hoursOptions = [option('Any time', 'any'), option('Inside business hours', 'inside'), option('Outside business hours', 'outside')];
  const savedOptions = input.savedReplies.map((reply) => option(reply.name, reply.name));
  const hoursHint = input.businessHours
    ? `Business hours: ${input.businessHours.text}${input.businessHours.timeZone ? '' : ` (${input.timeZone})`}.`
    : 'BUSINESS_HOURS is not set: a rule that depends on business hours never matches.';

  const blocks: KnownBlock[] = [
    section(
      rule
        ? `Editing *${escapeMrkdwn(rule.name)}* (${rule.mode === 'live' ? 'live' : rule.mode === 'off' ? 'off' : 'dry run'}). Its replies still in their Undo window are cancelled when you save.`
        : 'A new rule starts in *dry run*: it says in each thread what it would have sent, and sends nothing until an admin switches it on.',
    ),
    {
      type: 'input',
      block_id: RULE_FIELD.name,
      label: { type: 'plain_text', text: 'Name' },
      element: { type: 'plain_text_input', action_id: RULE_FIELD.name, max_length: 60, ...(rule ? { initial_value: rule.name } : {}) },
    },
    { type: 'header', text: { type: 'plain_text', text: 'When' } },
    {
      type: 'input',
      block_id: RULE_FIELD.kinds,
      label: { type: 'plain_text', text: 'Kind' },
      element: {
        type: 'checkboxes',
        action_id: RULE_FIELD.kinds,
        options: kindOptions,
        ...checked(when.kinds?.length ? when.kinds : ['mention', 'comment'], kindOptions),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.platforms,
      optional: true,
      label: { type: 'plain_text', text: 'Networks (none ticked: all)' },
      element: {
        type: 'checkboxes',
        action_id: RULE_FIELD.platforms,
        options: platformOptions,
        ...checked(when.platforms, platformOptions),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.labels,
      optional: true,
      label: { type: 'plain_text', text: 'Triage label (none ticked: any)' },
      element: { type: 'checkboxes', action_id: RULE_FIELD.labels, options: labelOptions, ...checked(when.labels, labelOptions) },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.languages,
      optional: true,
      label: { type: 'plain_text', text: 'Language (none: any)' },
      element: {
        type: 'multi_static_select',
        action_id: RULE_FIELD.languages,
        options: languageOptions,
        ...checked(when.languages, languageOptions),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.keywords,
      optional: true,
      label: { type: 'plain_text', text: 'Any of these words (comma-separated)' },
      hint: { type: 'plain_text', text: 'Whole words, any case and accents: refund, reembolso, remboursement' },
      element: {
        type: 'plain_text_input',
        action_id: RULE_FIELD.keywords,
        max_length: 500,
        ...(when.keywords?.length ? { initial_value: when.keywords.join(', ') } : {}),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.pattern,
      optional: true,
      label: { type: 'plain_text', text: 'Or a regular expression' },
      element: {
        type: 'plain_text_input',
        action_id: RULE_FIELD.pattern,
        max_length: 200,
        ...(when.pattern ? { initial_value: when.pattern } : {}),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.contact,
      label: { type: 'plain_text', text: 'Author' },
      element: {
        type: 'static_select',
        action_id: RULE_FIELD.contact,
        options: contactOptions,
        ...selected(when.contact ?? 'any', contactOptions),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.tag,
      optional: true,
      label: { type: 'plain_text', text: 'Contact tagged' },
      element: { type: 'plain_text_input', action_id: RULE_FIELD.tag, max_length: 40, ...(when.tag ? { initial_value: when.tag } : {}) },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.hours,
      label: { type: 'plain_text', text: 'Business hours' },
      hint: { type: 'plain_text', text: hoursHint },
      element: {
        type: 'static_select',
        action_id: RULE_FIELD.hours,
        options: hoursOptions,
        ...selected(when.hours ?? 'any', hoursOptions),
      },
    },
    { type: 'header', text: { type: 'plain_text', text: 'Then' } },
    savedOptions.length
      ? {
          type: 'input',
          block_id: RULE_FIELD.savedReply,
          optional: true,
          label: { type: 'plain_text', text: 'Reply with the saved reply' },
          hint: { type: 'plain_text', text: '{{first_name}} and {{handle}} are filled for the author; {{agent}} is left out.' },
          element: {
            type: 'static_select',
            action_id: RULE_FIELD.savedReply,
            options: savedOptions,
            ...selected(actions.savedReply, savedOptions),
          },
        }
      : context('No saved replies yet, so this rule cannot reply: add one with `/crm saved add <name> <text>`.'),
    {
      type: 'input',
      block_id: RULE_FIELD.assignTo,
      optional: true,
      label: { type: 'plain_text', text: 'Assign to' },
      element: { type: 'users_select', action_id: RULE_FIELD.assignTo, ...(actions.assignTo ? { initial_user: actions.assignTo } : {}) },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.notifyChannel,
      optional: true,
      label: { type: 'plain_text', text: 'Tell this channel' },
      element: {
        type: 'conversations_select',
        action_id: RULE_FIELD.notifyChannel,
        filter: { include: ['public', 'private'], exclude_bot_users: true },
        ...(actions.notifyChannel ? { initial_conversation: actions.notifyChannel } : {}),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.dailyCap,
      label: { type: 'plain_text', text: 'At most this many automatic replies a day' },
      element: {
        type: 'number_input',
        action_id: RULE_FIELD.dailyCap,
        is_decimal_allowed: false,
        min_value: '1',
        max_value: String(MAX_DAILY_CAP),
        initial_value: String(rule?.dailyCap ?? DEFAULT_DAILY_CAP),
      },
    },
    {
      type: 'input',
      block_id: RULE_FIELD.continueAfter,
      optional: true,
      label: { type: 'plain_text', text: 'Afterwards' },
      element: {
        type: 'checkboxes',
        action_id: RULE_FIELD.continueAfter,
        options: [option('Go on to the next rules too', 'continue')],
        ...(rule?.continueAfter ? { initial_options: [option('Go on to the next rules too', 'continue')] } : {}),
      },
    },
    context(
      'Whatever a rule says, Switchboard sends at most one automatic reply per author a day, never after a person replied, assigned or resolved, on X only to posts that @mention the brand, never to followers-only posts, and never likes anything.',
    ),
  ];
  return {
    type: 'modal',
    callback_id: VIEW.ruleModal,
    private_metadata: JSON.stringify({ ruleId: rule?.id }),
    title: { type: 'plain_text', text: rule ? 'Edit rule' : 'New automatic reply' },
    submit: { type: 'plain_text', text: rule ? 'Save' : 'Save as dry run' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** What Slack sends back for one input, as far as the rule form reads it. */
export interface SubmittedValue {
  value?: string | null;
  selected_option?: { value?: string } | null;
  selected_options?: Array<{ value?: string }>;
  selected_user?: string | null;
  selected_conversation?: string | null;
}

/** Reads the submitted form into a draft. Unknown option values (a forged payload) are dropped. */
export function readRuleForm(values: Record<string, Record<string, SubmittedValue>>): RuleDraft {
  const field = (name: string) => values[name]?.[name];
  const text = (name: string) => field(name)?.value?.trim() || undefined;
  const many = <T extends string>(name: string, allowed: readonly T[]) =>
    (field(name)?.selected_options ?? []).map((picked) => picked.value).filter((value): value is T => allowed.includes(value as T));
  const one = (name: string) => field(name)?.selected_option?.value ?? undefined;
  const contact = one(RULE_FIELD.contact);
  const hours = one(RULE_FIELD.hours);
  const keywords = (text(RULE_FIELD.keywords) ?? '')
    .split(',')
    .map((keyword) => keyword.trim())
    .filter(Boolean);
  const listed = <T>(items: T[]) => (items.length ? items : undefined);
  return {
    name: text(RULE_FIELD.name) ?? '',
    when: {
      kinds: many(RULE_FIELD.kinds, ['mention', 'comment', 'dm'] as const),
      platforms: listed(many(RULE_FIELD.platforms, PLATFORMS)),
      labels: listed(many(RULE_FIELD.labels, LABELS)),
      languages: listed(many(RULE_FIELD.languages, LANGUAGES)),
      keywords: listed(keywords),
      pattern: text(RULE_FIELD.pattern),
      contact: contact === 'known' || contact === 'unknown' ? contact : undefined,
      tag: text(RULE_FIELD.tag),
      hours: hours === 'inside' || hours === 'outside' ? hours : undefined,
    },
    actions: {
      savedReply: one(RULE_FIELD.savedReply),
      // IDs only, as Slack's pickers give them: anything else (a forged payload) is dropped, never rendered.
      assignTo: slackId(field(RULE_FIELD.assignTo)?.selected_user, /^[UW][A-Z0-9]{2,}$/),
      notifyChannel: slackId(field(RULE_FIELD.notifyChannel)?.selected_conversation, /^[CG][A-Z0-9]{2,}$/),
    },
    continueAfter: (field(RULE_FIELD.continueAfter)?.selected_options ?? []).some((picked) => picked.value === 'continue'),
    dailyCap: Number(text(RULE_FIELD.dailyCap) ?? DEFAULT_DAILY_CAP),
  };
}

const slackId = (value: string | null | undefined, shape: RegExp): string | undefined => (value && shape.test(value) ? value : undefined);

/** Which input a draft's problem belongs to, for Slack's `response_action: errors`. */
export const RULE_PROBLEM_FIELD = {
  name: RULE_FIELD.name,
  pattern: RULE_FIELD.pattern,
  actions: RULE_FIELD.assignTo,
  dailyCap: RULE_FIELD.dailyCap,
  kinds: RULE_FIELD.kinds,
} as const;
