import { describe, expect, it } from 'vitest';
import { isWithinBusinessHours, parseBusinessHours } from '../../src/domain/auto-replies/business-hours.ts';
import { type GuardrailFacts, guardrailBlocking, mentionsHandle } from '../../src/domain/auto-replies/guardrails.ts';
import {
  type AutoReplyRule,
  checkRuleDraft,
  compilePattern,
  containsKeyword,
  matchRule,
  type RuleSubject,
  rulesThatAct,
} from '../../src/domain/auto-replies/rules.ts';
import { readRuleForm } from '../../src/slack/views/rule-modal.ts';

function hours(text: string) {
  const parsed = parseBusinessHours(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
}

function rule(overrides: Partial<AutoReplyRule> = {}): AutoReplyRule {
  return {
    id: overrides.name ?? 'rule',
    name: 'rule',
    position: 1,
    mode: 'live',
    when: {},
    actions: { savedReply: 'order-status' },
    continueAfter: false,
    dailyCap: 50,
    version: 1,
    createdBy: 'U0ADMIN01',
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedBy: 'U0ADMIN01',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...overrides,
  };
}

const subject = (overrides: Partial<RuleSubject> = {}): RuleSubject => ({
  platform: 'x',
  kind: 'mention',
  text: '@northwind where is my order?',
  label: 'Question',
  language: 'en',
  contact: { isKnown: false, tags: [] },
  at: new Date('2026-11-25T10:00:00Z'),
  ...overrides,
});

const clock = { timeZone: 'Europe/Paris', businessHours: hours('Mon-Fri 09:00-18:00') };

describe('business hours', () => {
  it('reads spans, weekends round the week and an optional zone, and says what is wrong otherwise', () => {
    expect(hours('Mon-Fri 09:00-18:00, Sat 10:00-14:00 Europe/Paris').spans).toHaveLength(2);
    expect(hours('Fri-Mon 22:00-24:00').spans[0]?.days).toEqual(new Set([5, 6, 0, 1]));
    expect(parseBusinessHours('Mon-Fri 9-18')).toMatchObject({ problem: expect.stringContaining('is not a span of days and hours') });
    expect(parseBusinessHours('Mon-Fri 18:00-09:00')).toMatchObject({ problem: expect.stringContaining('two spans') });
    expect(parseBusinessHours('Mon-Fri 09:00-18:00 Mars/Olympus')).toMatchObject({
      problem: expect.stringContaining('not an IANA time zone'),
    });
    expect(parseBusinessHours('Moonday 09:00-18:00')).toMatchObject({ problem: expect.stringContaining('names a day') });
  });

  it('keeps to the wall clock across both daylight-saving changes (Paris: 29 March and 25 October 2026)', () => {
    const office = hours('Mon-Fri 09:00-18:00');
    // Friday 27 March, winter time (UTC+1): 08:30 UTC is 09:30 in Paris.
    expect(isWithinBusinessHours(office, new Date('2026-03-27T08:30:00Z'), 'Europe/Paris')).toBe(true);
    // Monday 30 March, summer time (UTC+2): 07:30 UTC is 09:30 in Paris, 06:30 UTC is 08:30.
    expect(isWithinBusinessHours(office, new Date('2026-03-30T07:30:00Z'), 'Europe/Paris')).toBe(true);
    expect(isWithinBusinessHours(office, new Date('2026-03-30T06:30:00Z'), 'Europe/Paris')).toBe(false);
    // 16:30 UTC: 17:30 in winter (open), 18:30 in summer (closed).
    expect(isWithinBusinessHours(office, new Date('2026-03-27T16:30:00Z'), 'Europe/Paris')).toBe(true);
    expect(isWithinBusinessHours(office, new Date('2026-03-30T16:30:00Z'), 'Europe/Paris')).toBe(false);
    // Back to winter time on Sunday 25 October: Monday 26th 08:30 UTC is 09:30 again.
    expect(isWithinBusinessHours(office, new Date('2026-10-23T07:30:00Z'), 'Europe/Paris')).toBe(true);
    expect(isWithinBusinessHours(office, new Date('2026-10-26T07:30:00Z'), 'Europe/Paris')).toBe(false);
    expect(isWithinBusinessHours(office, new Date('2026-10-26T08:30:00Z'), 'Europe/Paris')).toBe(true);
    // The weekend is closed whatever the hour.
    expect(isWithinBusinessHours(office, new Date('2026-10-25T10:00:00Z'), 'Europe/Paris')).toBe(false);
  });

  it('uses the zone written in the setting over the default one', () => {
    const newYork = hours('Mon-Fri 09:00-17:00 America/New_York');
    // 14:00 UTC on a Wednesday is 09:00 in New York (EST, UTC-5) and 15:00 in Paris.
    expect(isWithinBusinessHours(newYork, new Date('2026-11-25T14:00:00Z'), 'Europe/Paris')).toBe(true);
    expect(isWithinBusinessHours(newYork, new Date('2026-11-25T13:59:00Z'), 'Europe/Paris')).toBe(false);
  });
});

describe('matching a rule', () => {
  it('checks each condition, and says which one failed', () => {
    expect(matchRule(rule({ when: { labels: ['Complaint'] } }), subject(), clock)).toEqual({
      matches: false,
      because: 'it is labelled Question, and the rule wants Complaint',
    });
    expect(matchRule(rule({ when: { platforms: ['mastodon'] } }), subject(), clock).matches).toBe(false);
    expect(matchRule(rule({ when: { languages: ['es'] } }), subject(), clock).matches).toBe(false);
    expect(matchRule(rule({ when: { keywords: ['refund'] } }), subject(), clock).matches).toBe(false);
    expect(matchRule(rule({ when: { keywords: ['refund', 'ORDER'] } }), subject(), clock).matches).toBe(true);
    expect(matchRule(rule({ when: { pattern: 'order\\s*#?\\d+' } }), subject(), clock).matches).toBe(false);
    expect(matchRule(rule({ when: { pattern: 'order\\s*#?\\d+' } }), subject({ text: 'order #123?' }), clock).matches).toBe(true);
    expect(matchRule(rule({ when: { contact: 'known' } }), subject(), clock).matches).toBe(false);
    expect(matchRule(rule({ when: { contact: 'unknown' } }), subject(), clock).matches).toBe(true);
    expect(matchRule(rule({ when: { tag: 'VIP' } }), subject({ contact: { isKnown: true, tags: ['vip'] } }), clock).matches).toBe(true);
    // Wednesday 10:00 UTC is 11:00 in Paris: inside.
    expect(matchRule(rule({ when: { hours: 'outside' } }), subject(), clock)).toEqual({
      matches: false,
      because: 'it arrived inside business hours',
    });
    expect(matchRule(rule({ when: { hours: 'inside' } }), subject(), { timeZone: 'UTC' })).toMatchObject({
      because: 'the rule depends on business hours, and BUSINESS_HOURS is not set',
    });
  });

  it('answers private messages only when the rule names them', () => {
    expect(matchRule(rule(), subject({ kind: 'dm' }), clock)).toMatchObject({
      matches: false,
      because: expect.stringContaining('private message'),
    });
    expect(matchRule(rule({ when: { kinds: ['dm'] } }), subject({ kind: 'dm' }), clock).matches).toBe(true);
    expect(matchRule(rule(), subject({ kind: 'comment' }), clock).matches).toBe(true);
  });

  it('finds keywords whole, in any case and accents, and in scripts without spaces', () => {
    expect(containsKeyword('A refund?', 'refund')).toBe(true);
    expect(containsKeyword('refunded already', 'refund')).toBe(false);
    expect(containsKeyword('Où est mon REMBOURSÉ', 'rembourse')).toBe(true);
    expect(containsKeyword('我的订单在哪里', '订单')).toBe(true);
    expect(containsKeyword('track my parcel please', 'my parcel')).toBe(true);
  });

  it('refuses patterns a crafted post could make run for minutes, and invalid ones', () => {
    expect(compilePattern('(a+)+$')).toMatchObject({ problem: expect.stringContaining('repeats a repetition') });
    expect(compilePattern('(')).toMatchObject({ problem: expect.stringContaining('not a valid regular expression') });
    expect(compilePattern('order\\s+\\d+')).toBeInstanceOf(RegExp);
  });

  it('evaluates in order: the first match acts and stops, unless it continues; off rules are skipped', () => {
    const first = rule({ id: 'a', name: 'a', position: 1, when: { keywords: ['order'] } });
    const second = rule({ id: 'b', name: 'b', position: 2 });
    const off = rule({ id: 'c', name: 'c', position: 0, mode: 'off' });
    expect(rulesThatAct([second, first, off], subject(), clock).map((r) => r.id)).toEqual(['a']);
    expect(rulesThatAct([second, { ...first, continueAfter: true }, off], subject(), clock).map((r) => r.id)).toEqual(['a', 'b']);
    expect(rulesThatAct([{ ...first, mode: 'dry_run' }], subject(), clock).map((r) => r.id)).toEqual(['a']);
  });
});

describe('guardrails no rule can switch off', () => {
  const facts = (overrides: Partial<GuardrailFacts> = {}): GuardrailFacts => ({
    platform: 'x',
    kind: 'mention',
    mentionsBrand: true,
    label: 'Question',
    authorWindowHours: 24,
    sentToday: 0,
    ...overrides,
  });
  const code = (overrides: Partial<GuardrailFacts>, on = rule()) => guardrailBlocking(on, facts(overrides))?.code;

  it('lets a plain question that @mentions the brand through', () => {
    expect(code({})).toBeUndefined();
  });

  it('stops each case, the first that applies', () => {
    expect(code({ paused: { by: 'U0ADMIN01', at: '2026-11-25T09:00:00Z' } })).toBe('paused');
    expect(code({ personActed: 'a person already replied' })).toBe('person_acted');
    expect(code({ platform: 'mastodon', visibility: 'followers' })).toBe('not_public');
    expect(code({ platform: 'mastodon', visibility: 'direct' })).toBe('not_public');
    expect(code({ platform: 'mastodon', visibility: 'followers' }, rule({ when: { kinds: ['mention', 'dm'] } }))).toBeUndefined();
    expect(code({ mentionsBrand: false })).toBe('x_needs_mention');
    expect(code({ label: 'Praise' })).toBe('x_needs_request');
    expect(code({ label: 'Other' })).toBe('x_needs_request');
    expect(code({ platform: 'bluesky', label: 'Praise' })).toBeUndefined();
    expect(code({ kind: 'dm', label: 'Praise' })).toBeUndefined();
    expect(code({ lastToAuthorAt: '2026-11-25T08:00:00.000Z' })).toBe('author_window');
    expect(code({ sentToday: 50 })).toBe('daily_cap');
  });

  it('recognises the brand’s handle as X, Mastodon and Bluesky write it, and not inside another', () => {
    expect(mentionsHandle('@NorthWind where is it', 'northwind')).toBe(true);
    expect(mentionsHandle('cc @northwind@mastodon.social', 'northwind')).toBe(true);
    expect(mentionsHandle('hey @northwind.bsky.social.', 'northwind.bsky.social')).toBe(true);
    expect(mentionsHandle('@northwind_fans love it', 'northwind')).toBe(false);
    expect(mentionsHandle('mail me: ada@northwind.com', 'northwind')).toBe(false);
  });
});

describe('checking a draft', () => {
  const known = { savedReplies: ['order-status'], takenNames: ['Refunds'] };
  const draft = { name: 'Orders', when: {}, actions: { savedReply: 'order-status' }, continueAfter: false, dailyCap: 50 };

  it('accepts a complete draft', () => {
    expect(checkRuleDraft(draft, known)).toEqual({});
  });

  it('names every problem once, by field', () => {
    expect(
      checkRuleDraft({ ...draft, name: 'refunds', when: { pattern: '(a*)*' }, actions: { savedReply: 'gone' }, dailyCap: 0 }, known),
    ).toEqual({
      name: 'Another rule is called “refunds”.',
      pattern: expect.stringContaining('repeats a repetition'),
      actions: expect.stringContaining('There is no saved reply called “gone”'),
      dailyCap: 'A daily cap is a whole number from 1 to 1000.',
    });
    expect(checkRuleDraft({ ...draft, actions: {} }, known).actions).toContain('Choose at least one thing the rule does');
  });
});

describe('reading the rule form', () => {
  it('keeps what Slack’s pickers give and drops what no picker could (a forged payload), never passing it on', () => {
    const draft = readRuleForm({
      rule_name: { rule_name: { value: '  Orders  ' } },
      rule_kinds: { rule_kinds: { selected_options: [{ value: 'mention' }, { value: 'everything' }] } },
      rule_labels: { rule_labels: { selected_options: [{ value: 'Question' }, { value: '<!channel>' }] } },
      rule_assign_to: { rule_assign_to: { selected_user: '<!here>' } },
      rule_notify_channel: { rule_notify_channel: { selected_conversation: 'C0ESCALATE' } },
      rule_daily_cap: { rule_daily_cap: { value: '12' } },
      rule_continue: { rule_continue: { selected_options: [{ value: 'continue' }] } },
    });
    expect(draft).toMatchObject({
      name: 'Orders',
      when: { kinds: ['mention'], labels: ['Question'] },
      actions: { assignTo: undefined, notifyChannel: 'C0ESCALATE' },
      dailyCap: 12,
      continueAfter: true,
    });
  });
});
