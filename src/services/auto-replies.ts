import { randomUUID } from 'node:crypto';
import type { BusinessHours } from '../domain/auto-replies/business-hours.ts';
import { type Guardrail, guardrailBlocking, mentionsHandle } from '../domain/auto-replies/guardrails.ts';
import {
  type AutoReplyRule,
  checkRuleDraft,
  DEFAULT_DAILY_CAP,
  type DraftProblems,
  decisionKey,
  inEvaluationOrder,
  matchRule,
  type RuleClock,
  type RuleDraft,
  type RuleMatch,
  type RuleMode,
  type RuleSubject,
  rulesThatAct,
} from '../domain/auto-replies/rules.ts';
import { dayWindow, localDay } from '../domain/calendar.ts';
import { type ConversationRecord, type DirectMessageRecord, directMessageKey, isConversationKey } from '../domain/conversations.ts';
import { isKnownContact } from '../domain/delivery-order.ts';
import type { AutomaticTouch, ContactRecord, MentionRecord, ReplyRecord } from '../domain/records.ts';
import { fillTemplate, firstNameOf } from '../domain/reply-text.ts';
import type { MentionClassifier } from '../domain/triage/triage-model.ts';
import type { Log } from '../log.ts';
import type { Platform, PlatformId } from '../platforms/platform.ts';
import type { Conversations } from './conversations.ts';
import type { MentionMessages } from './mention-messages.ts';
import type { AutomaticReplyGate, ReplyService } from './replies.ts';
import type { Store } from './repositories.ts';
import type { AutomationNote, MessageRef, TeamChat } from './team-chat.ts';

export interface AutoReplyOptions {
  /** AUTO_REPLY_UNDO_SECONDS. */
  undoSeconds: number;
  /** One automatic reply per author per this many hours (AUTO_REPLY_AUTHOR_WINDOW_HOURS, 1 to 24). */
  authorWindowHours: number;
  businessHours?: BusinessHours;
  /** DIGEST_TIMEZONE: business hours and the daily cap's day, unless the hours name their own zone. */
  timeZone: string;
  now?: () => Date;
}

/** What `/crm rules test` answers: per rule, whether it matches and, if it would reply, what stops it. */
export interface RuleTrial {
  rule: AutoReplyRule;
  match: RuleMatch;
  /** Whether it would act (it matches, is not off, and no earlier rule stopped evaluation). */
  acts: boolean;
  guardrail?: Guardrail;
}

/** A rule change, as the admin asked for it. */
export type RuleChange =
  | { kind: 'added' | 'edited'; rule: AutoReplyRule }
  | { kind: 'invalid'; problems: DraftProblems }
  | { kind: 'unknown' };

/**
 * Automatic replies: rules evaluated on every new mention once it is in Slack, acting through the
 * same outbox, Undo window and audit log as a person's reply (services/replies.ts), within the
 * guardrails of domain/auto-replies/guardrails.ts. What a rule decided for an item is written
 * before it acts, so an item read again, a restart or a second replica never acts twice.
 */
export class AutoReplies implements AutomaticReplyGate {
  private readonly now: () => Date;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly store: Store,
    private readonly platforms: ReadonlyMap<PlatformId, Platform>,
    private readonly replies: ReplyService,
    private readonly mentionMessages: MentionMessages,
    private readonly chat: TeamChat,
    private readonly classifier: MentionClassifier | undefined,
    private readonly log: Log,
    private readonly options: AutoReplyOptions,
    /** Private conversations: a rule for private messages assigns through it (the thread is redrawn). */
    private readonly conversations?: Conversations,
  ) {
    this.now = options.now ?? (() => new Date());
    replies.attachAutomation(this);
  }

  private get clock(): RuleClock {
    return { businessHours: this.options.businessHours, timeZone: this.options.businessHours?.timeZone ?? this.options.timeZone };
  }

  /**
   * New mentions, now in Slack: queued, so ingest goes on posting while rules act (in arrival order,
   * one batch at a time). A stop drops what is still queued: those mentions get no automatic reply,
   * which is the safe side (a person answers them).
   */
  considerMentions(records: readonly MentionRecord[]): Promise<void> {
    if (records.length && !this.stopped) this.enqueue(() => this.actOnMentions(records));
    return Promise.resolve();
  }

  /** Resolves once every queued batch has been acted on (tests and the bench wait on it). */
  idle(): Promise<void> {
    return this.queue;
  }

  /** Lets the batch being acted on finish, and drops the rest. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
  }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.stopped ? undefined : work()))
      .catch((error: unknown) => this.log.error('automatic-reply rules failed', { error }));
  }

  private async actOnMentions(records: readonly MentionRecord[]): Promise<void> {
    const rules = (await this.store.autoReplies.rules()).filter((rule) => rule.mode !== 'off');
    if (rules.length === 0 || (await this.store.autoReplies.paused())) return;
    for (const record of records) {
      try {
        await this.consider(record, rules);
      } catch (error) {
        this.log.error(`automatic-reply rules failed on ${record.key}`, { error });
      }
    }
  }

  private async consider(record: MentionRecord, rules: AutoReplyRule[]): Promise<void> {
    const contact = await this.store.contacts.get(record.contactId);
    const subject = subjectOf(record, contact, this.now());
    for (const rule of rulesThatAct(rules, subject, this.clock)) await this.act(rule, record, contact);
  }

  private async act(rule: AutoReplyRule, record: MentionRecord, contact: ContactRecord | undefined): Promise<void> {
    const now = this.now();
    const key = decisionKey(record.key, rule.id);
    const base = { key, itemKey: record.key, ruleId: rule.id, contactId: record.contactId, at: now.toISOString() };
    const isLive = rule.mode === 'live';
    const platform = this.platforms.get(record.mention.platform);
    const actor = `rule ${rule.name}`;
    let touch: AutomaticTouch | undefined;

    if (rule.actions.savedReply) {
      const blocked = guardrailBlocking(rule, {
        ...this.itemFacts(record, platform),
        paused: await this.store.autoReplies.paused(),
        personActed: personActedOn(record),
        authorWindowHours: this.options.authorWindowHours,
        sentToday: 0,
      });
      const saved = await this.store.savedReplies.find(rule.actions.savedReply);
      const text = saved && fillForAuthor(saved.text, record.mention.author, contact);
      const heldBecause = blocked?.words ?? (text ? undefined : `the saved reply “${rule.actions.savedReply}” no longer exists`);
      if (heldBecause) {
        if (!(await this.store.autoReplies.decide({ ...base, outcome: 'held' })).stored) return;
        touch = { rule: rule.name, state: 'held', at: base.at, detail: heldBecause };
      } else if (text) {
        const decided = await this.store.autoReplies.decide({ ...base, outcome: isLive ? 'reply' : 'dry_run' }, this.limits(rule, now));
        if (!decided.stored && decided.because === 'known') return; // acted on before (a re-read, a restart)
        if (!decided.stored) {
          const guard = guardrailBlocking(rule, {
            ...this.itemFacts(record, platform),
            authorWindowHours: this.options.authorWindowHours,
            lastToAuthorAt: decided.because === 'author_window' ? decided.lastToAuthorAt : undefined,
            sentToday: decided.because === 'daily_cap' ? rule.dailyCap : 0,
          });
          // Stored under the same key (the reply was not): a re-read of the item does not try again.
          if (!(await this.store.autoReplies.decide({ ...base, outcome: 'held' })).stored) return;
          touch = { rule: rule.name, state: 'held', at: base.at, detail: guard?.words ?? decided.because };
        } else if (isLive) {
          touch = await this.scheduleReply(rule, record, text, actor);
        } else {
          touch = { rule: rule.name, state: 'dry_run', at: base.at, detail: text };
          await this.store.audit.record({ actor, action: 'auto_reply_dry_run', mentionKey: record.key, text });
          await this.tellDryRun(rule, record, text, platform);
        }
      }
    } else if (!(await this.store.autoReplies.decide({ ...base, outcome: 'acted' })).stored) {
      return;
    }

    if (rule.actions.assignTo && isLive && !record.workflow?.assignee) {
      await this.store.audit.record({ actor, action: 'auto_assigned', mentionKey: record.key, detail: rule.actions.assignTo });
      touch = { ...(touch ?? { rule: rule.name, state: 'held', at: base.at }), assigned: rule.actions.assignTo };
    }
    if (rule.actions.notifyChannel && isLive) await this.notify(rule, record, platform);
    if (!isLive && !rule.actions.savedReply) await this.tellDryRun(rule, record, undefined, platform);
    if (touch) await this.show(record.key, touch);
  }

  private itemFacts(record: MentionRecord, platform: Platform | undefined) {
    return {
      platform: record.mention.platform,
      kind: record.mention.isComment ? ('comment' as const) : ('mention' as const),
      visibility: record.mention.visibility,
      label: record.classification.label,
      mentionsBrand: platform ? mentionsHandle(record.mention.text, platform.brandHandle) : false,
    };
  }

  private limits(rule: AutoReplyRule, now: Date) {
    const zone = this.clock.timeZone;
    return {
      authorSince: new Date(now.getTime() - this.options.authorWindowHours * 3_600_000).toISOString(),
      daySince: dayWindow(localDay(now, zone), zone).start.toISOString(),
      dailyCap: rule.dailyCap,
    };
  }

  private async scheduleReply(rule: AutoReplyRule, record: MentionRecord, text: string, actor: string): Promise<AutomaticTouch> {
    const at = this.now().toISOString();
    const outcome = await this.replies.request({
      requestKey: `auto:${rule.id}:${record.key}`,
      mentionKey: record.key,
      text,
      userId: actor,
      automatic: { ruleId: rule.id, ruleName: rule.name, ruleVersion: rule.version, undoSeconds: this.options.undoSeconds },
    });
    if (outcome.kind === 'scheduled' || outcome.kind === 'duplicate') return { rule: rule.name, state: 'scheduled', at };
    this.log.info(`rule "${rule.name}" did not reply to ${record.key}: ${outcome.message}`);
    return { rule: rule.name, state: 'held', at, detail: outcome.message };
  }

  private async tellDryRun(rule: AutoReplyRule, record: MentionRecord, text: string | undefined, platform: Platform | undefined) {
    if (!record.slack.ts) return;
    await this.postDryRun(rule, { channel: record.slack.channel, ts: record.slack.ts }, text, platform);
  }

  /** In the item's thread: what the rule would have done. */
  private postDryRun(rule: AutoReplyRule, thread: MessageRef, text: string | undefined, platform: Platform | undefined) {
    return this.postNote(rule, {
      kind: 'dry_run',
      thread,
      ruleName: rule.name,
      text,
      assignTo: rule.actions.assignTo,
      notifyChannel: rule.actions.notifyChannel,
      brandHandle: platform?.brandHandle ?? 'brand',
      platformName: platform?.displayName ?? 'the network',
    });
  }

  private async notify(rule: AutoReplyRule, record: MentionRecord, platform: Platform | undefined) {
    const channel = rule.actions.notifyChannel;
    if (!channel || !record.slack.ts) return;
    await this.postNote(rule, {
      kind: 'notify',
      channel,
      ruleName: rule.name,
      item: { channel: record.slack.channel, ts: record.slack.ts },
      label: record.classification.label,
      handle: record.mention.author.handle,
      platformName: platform?.displayName ?? record.mention.platform,
    });
  }

  /** A rule's note; one that cannot be posted is logged (the rule's other actions stand). */
  private async postNote(rule: AutoReplyRule, note: AutomationNote): Promise<void> {
    try {
      await this.chat.postAutomationNote(note);
    } catch (error) {
      this.log.warn(`rule "${rule.name}" could not post its ${note.kind === 'dry_run' ? 'dry run' : 'note'}`, { error });
    }
  }

  /** Records what a rule did on the mention and redraws its message. */
  private async show(mentionKey: string, touch: AutomaticTouch): Promise<void> {
    await this.mentionMessages.update(mentionKey, (workflow) => ({
      ...workflow,
      assignee: touch.assigned && !workflow.assignee ? touch.assigned : workflow.assignee,
      automatic: { ...touch, assigned: touch.assigned ?? workflow.automatic?.assigned },
    }));
  }

  // —— The gate the replies ask (AutomaticReplyGate) ——

  async reasonToCancel(reply: ReplyRecord): Promise<string | undefined> {
    if (!reply.automatic) return undefined;
    const paused = await this.store.autoReplies.paused();
    if (paused) return 'automatic replies were paused';
    const rule = await this.store.autoReplies.getRule(reply.automatic.ruleId);
    if (!rule) return 'its rule was deleted';
    if (rule.mode !== 'live') return `its rule was switched to ${rule.mode === 'off' ? 'off' : 'dry run'}`;
    if (rule.version !== reply.automatic.ruleVersion) return 'its rule was edited after it was scheduled';
    if (isConversationKey(reply.mentionKey)) {
      const conversation = await this.store.conversations.get(reply.mentionKey);
      return conversation ? personActedOnConversation(conversation) : 'the conversation is no longer known';
    }
    const mention = await this.store.mentions.get(reply.mentionKey);
    if (!mention) return 'the post is no longer known';
    return personActedOn(mention);
  }

  async settled(reply: ReplyRecord): Promise<void> {
    // A conversation's thread shows it in the announcement; a mention's message shows it too.
    if (!reply.automatic || isConversationKey(reply.mentionKey) || !(await this.store.mentions.get(reply.mentionKey))) return;
    const state: AutomaticTouch['state'] =
      reply.state === 'sent' ? 'sent' : reply.state === 'cancelled' ? 'cancelled' : reply.state === 'scheduled' ? 'scheduled' : 'failed';
    const detail = reply.state === 'cancelled' ? (reply.cancelReason ?? 'undone') : reply.failure;
    const rule = reply.automatic.ruleName;
    await this.mentionMessages.update(reply.mentionKey, (workflow) => ({
      ...workflow,
      automatic: { rule, state, at: this.now().toISOString(), detail, assigned: workflow.automatic?.assigned },
    }));
  }

  /**
   * Conversations that received private messages, now in their Slack threads: rules for private
   * messages (kind `dm`) act on the latest customer message. Replies go privately, through the same
   * outbox; an assignment becomes the conversation's owner (a person's, from then on).
   */
  considerConversations(keys: readonly string[]): Promise<void> {
    if (keys.length && !this.stopped) this.enqueue(() => this.actOnConversations(keys));
    return Promise.resolve();
  }

  private async actOnConversations(keys: readonly string[]): Promise<void> {
    const rules = (await this.store.autoReplies.rules()).filter((rule) => rule.mode !== 'off' && rule.when.kinds?.includes('dm'));
    if (rules.length === 0 || (await this.store.autoReplies.paused())) return;
    for (const key of keys) {
      try {
        const conversation = await this.store.conversations.get(key);
        if (!conversation?.slack.ts || !conversation.lastInboundId) continue;
        const messageKey = directMessageKey(conversation.platform, conversation.lastInboundId);
        const message = (await this.store.conversations.getMessages([messageKey])).get(messageKey);
        if (!message) continue;
        const contact = await this.store.contacts.get(conversation.contactId);
        const classification = this.classifier?.classify(message.text, {});
        const subject: RuleSubject = {
          platform: conversation.platform,
          kind: 'dm',
          text: message.text,
          label: classification?.label,
          language: classification?.language,
          contact: { isKnown: isKnownContact(contact, conversation.slack.attemptedAt), tags: contact?.tags ?? [] },
          at: this.now(),
        };
        for (const rule of rulesThatAct(rules, subject, this.clock)) {
          await this.actOnConversation(rule, conversation as ConversationRecord & { slack: { ts: string } }, message, contact);
        }
      } catch (error) {
        this.log.error(`automatic-reply rules failed on ${key}`, { error });
      }
    }
  }

  private async actOnConversation(
    rule: AutoReplyRule,
    conversation: ConversationRecord & { slack: { ts: string } },
    message: DirectMessageRecord,
    contact: ContactRecord | undefined,
  ): Promise<void> {
    const now = this.now();
    const base = {
      key: decisionKey(message.key, rule.id),
      itemKey: message.key,
      ruleId: rule.id,
      contactId: conversation.contactId,
      at: now.toISOString(),
    };
    const isLive = rule.mode === 'live';
    const platform = this.platforms.get(conversation.platform);
    const thread = { channel: conversation.slack.channel, ts: conversation.slack.ts };
    const saved = rule.actions.savedReply ? await this.store.savedReplies.find(rule.actions.savedReply) : undefined;
    const text = saved && fillForAuthor(saved.text, message.author, contact);
    const blocked = guardrailBlocking(rule, {
      platform: conversation.platform,
      kind: 'dm',
      mentionsBrand: true,
      label: undefined,
      paused: await this.store.autoReplies.paused(),
      personActed: personActedOnConversation(conversation),
      authorWindowHours: this.options.authorWindowHours,
      sentToday: 0,
    });
    const outcome = !text ? 'acted' : blocked ? 'held' : isLive ? 'reply' : 'dry_run';
    const decided = await this.store.autoReplies.decide({ ...base, outcome }, text && !blocked ? this.limits(rule, now) : undefined);
    if (!decided.stored && decided.because === 'known') return;
    if (!decided.stored) {
      await this.store.autoReplies.decide({ ...base, outcome: 'held' });
      this.log.info(`rule "${rule.name}" held back on ${conversation.key}: ${decided.because}`);
    } else if (text && !blocked && isLive) {
      const outcome = await this.replies.request({
        requestKey: `auto:${rule.id}:${message.key}`,
        mentionKey: conversation.key,
        text,
        userId: `rule ${rule.name}`,
        automatic: { ruleId: rule.id, ruleName: rule.name, ruleVersion: rule.version, undoSeconds: this.options.undoSeconds },
      });
      if (outcome.kind !== 'scheduled' && outcome.kind !== 'duplicate')
        this.log.info(`rule "${rule.name}" did not reply in ${conversation.key}: ${outcome.message}`);
    } else if (text && !blocked) {
      await this.store.audit.record({ actor: `rule ${rule.name}`, action: 'auto_reply_dry_run', mentionKey: conversation.key });
    } else if (blocked) {
      this.log.info(`rule "${rule.name}" held back on ${conversation.key}: ${blocked.words}`);
    }
    if (!isLive && (text || rule.actions.assignTo || rule.actions.notifyChannel) && (!text || (!blocked && decided.stored))) {
      await this.postDryRun(rule, thread, text, platform);
    }
    if (isLive && rule.actions.assignTo && !conversation.assignee && this.conversations) {
      const assignee = rule.actions.assignTo;
      await this.conversations.update(conversation.key, (current) => (current.assignee ? undefined : { ...current, assignee }));
      await this.store.audit.record({
        actor: `rule ${rule.name}`,
        action: 'auto_assigned',
        mentionKey: conversation.key,
        detail: assignee,
      });
    }
    if (isLive && rule.actions.notifyChannel) {
      await this.postNote(rule, {
        kind: 'notify',
        channel: rule.actions.notifyChannel,
        ruleName: rule.name,
        item: thread,
        handle: message.author.handle,
        platformName: `${platform?.displayName ?? conversation.platform} (private message)`,
      });
    }
  }

  /** A person assigned, resolved or answered an item: a rule's reply waiting on it is not sent. */
  async personActed(mentionKey: string, userId: string, what: string): Promise<void> {
    await this.replies.cancelAutomatic({ mentionKey }, userId, `a person ${what} it`);
  }

  // —— Rules, as admins manage them in Slack ——

  async list(): Promise<{ rules: AutoReplyRule[]; paused?: { by: string; at: string } }> {
    return { rules: inEvaluationOrder(await this.store.autoReplies.rules()), paused: await this.store.autoReplies.paused() };
  }

  async find(nameOrId: string): Promise<AutoReplyRule | undefined> {
    const wanted = nameOrId
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    return (await this.store.autoReplies.rules()).find((rule) => rule.id === nameOrId || rule.name.toLowerCase() === wanted);
  }

  /** A new rule always starts in dry run: it shows what it would do until an admin switches it on. */
  async add(draft: RuleDraft, by: string): Promise<RuleChange> {
    const rules = await this.store.autoReplies.rules();
    const problems = await this.check(
      draft,
      rules.map((rule) => rule.name),
    );
    if (problems) return { kind: 'invalid', problems };
    const at = this.now().toISOString();
    const rule: AutoReplyRule = {
      id: randomUUID(),
      ...draft,
      name: draft.name.trim(),
      position: Math.max(0, ...rules.map((other) => other.position)) + 1,
      mode: 'dry_run',
      version: 1,
      createdBy: by,
      createdAt: at,
      updatedBy: by,
      updatedAt: at,
    };
    if (!(await this.store.autoReplies.addRule(rule)))
      return { kind: 'invalid', problems: { name: `Another rule is called “${rule.name}”.` } };
    await this.store.audit.record({ actor: by, action: 'rule_change', detail: `added “${rule.name}” (dry run)` });
    return { kind: 'added', rule };
  }

  /** Edits a rule; its replies still in their Undo window are cancelled (they were written under the old rule). */
  async edit(id: string, draft: RuleDraft, by: string): Promise<RuleChange> {
    const rules = await this.store.autoReplies.rules();
    const problems = await this.check(
      draft,
      rules.filter((rule) => rule.id !== id).map((rule) => rule.name),
    );
    if (problems) return { kind: 'invalid', problems };
    const rule = await this.store.autoReplies.updateRule(id, (current) => ({
      ...current,
      ...draft,
      name: draft.name.trim(),
      version: current.version + 1,
      updatedBy: by,
      updatedAt: this.now().toISOString(),
    }));
    if (!rule) return { kind: 'unknown' };
    await this.store.audit.record({ actor: by, action: 'rule_change', detail: `edited “${rule.name}”` });
    await this.replies.cancelAutomatic({ ruleId: id }, by, `rule “${rule.name}” was edited`);
    return { kind: 'edited', rule };
  }

  async setMode(id: string, mode: RuleMode, by: string): Promise<AutoReplyRule | undefined> {
    const rule = await this.store.autoReplies.updateRule(id, (current) =>
      current.mode === mode
        ? undefined
        : { ...current, mode, version: current.version + 1, updatedBy: by, updatedAt: this.now().toISOString() },
    );
    if (!rule) return undefined;
    await this.store.audit.record({ actor: by, action: 'rule_change', detail: `“${rule.name}” is now ${describeMode(mode)}` });
    if (mode !== 'live')
      await this.replies.cancelAutomatic({ ruleId: id }, by, `rule “${rule.name}” was switched to ${describeMode(mode)}`);
    return rule;
  }

  /** Moves a rule to `position` (1 = evaluated first), renumbering the others. */
  async move(id: string, position: number, by: string): Promise<AutoReplyRule[] | undefined> {
    const ordered = inEvaluationOrder(await this.store.autoReplies.rules());
    const moving = ordered.find((rule) => rule.id === id);
    if (!moving) return undefined;
    const rest = ordered.filter((rule) => rule.id !== id);
    rest.splice(Math.max(0, Math.min(rest.length, position - 1)), 0, moving);
    for (const [index, rule] of rest.entries()) {
      // Order is not content: the version stays, so replies in their window are not cancelled by a move.
      await this.store.autoReplies.updateRule(rule.id, (current) =>
        current.position === index + 1 ? undefined : { ...current, position: index + 1 },
      );
    }
    await this.store.audit.record({ actor: by, action: 'rule_change', detail: `moved “${moving.name}” to position ${position}` });
    return inEvaluationOrder(await this.store.autoReplies.rules());
  }

  async remove(id: string, by: string): Promise<AutoReplyRule | undefined> {
    const rule = await this.store.autoReplies.getRule(id);
    if (!rule || !(await this.store.autoReplies.removeRule(id))) return undefined;
    await this.store.audit.record({ actor: by, action: 'rule_change', detail: `deleted “${rule.name}”` });
    await this.replies.cancelAutomatic({ ruleId: id }, by, `rule “${rule.name}” was deleted`);
    return rule;
  }

  /** Pauses every automatic action at once: replies waiting in their Undo window are cancelled too. */
  async pause(by: string): Promise<{ cancelled: number; already?: { by: string; at: string } }> {
    const already = await this.store.autoReplies.paused();
    if (already) return { cancelled: 0, already };
    await this.store.autoReplies.setPaused({ by, at: this.now().toISOString() });
    await this.store.audit.record({ actor: by, action: 'automation_paused' });
    return { cancelled: await this.replies.cancelAutomatic({}, by, 'automatic replies were paused') };
  }

  async resume(by: string): Promise<boolean> {
    if (!(await this.store.autoReplies.paused())) return false;
    await this.store.autoReplies.setPaused(undefined);
    await this.store.audit.record({ actor: by, action: 'automation_resumed' });
    return true;
  }

  /**
   * What the rules would do with a text, as a new public @mention from someone new, on the first
   * configured network: triaged by the same model, evaluated in order, guardrails checked.
   */
  async test(text: string, on?: PlatformId): Promise<{ subject: RuleSubject; trials: RuleTrial[]; paused: boolean }> {
    const platform = (on && this.platforms.get(on)) || [...this.platforms.values()][0];
    const classification = this.classifier?.classify(text, { brandHandles: platform ? [platform.brandHandle] : [] });
    const subject: RuleSubject = {
      platform: platform?.id ?? on ?? 'x',
      kind: 'mention',
      text,
      label: classification?.label,
      language: classification?.language,
      contact: { isKnown: false, tags: [] },
      at: this.now(),
    };
    const paused = Boolean(await this.store.autoReplies.paused());
    let stopped = false;
    const trials = inEvaluationOrder(await this.store.autoReplies.rules()).map((rule): RuleTrial => {
      const match = matchRule(rule, subject, this.clock);
      const acts = !stopped && match.matches && rule.mode !== 'off';
      if (acts && !rule.continueAfter) stopped = true;
      const guardrail = acts
        ? guardrailBlocking(rule, {
            platform: subject.platform,
            kind: 'mention',
            label: subject.label,
            // A mention, by definition: it names the brand (X lists only posts that @mention it).
            mentionsBrand: true,
            paused: undefined,
            authorWindowHours: this.options.authorWindowHours,
            sentToday: 0,
          })
        : undefined;
      return { rule, match, acts, guardrail };
    });
    return { subject, trials, paused };
  }

  private async check(draft: RuleDraft, takenNames: string[]): Promise<DraftProblems | undefined> {
    const savedReplies = (await this.store.savedReplies.list()).map((reply) => reply.name);
    const problems = checkRuleDraft({ ...draft, dailyCap: draft.dailyCap || DEFAULT_DAILY_CAP }, { savedReplies, takenNames });
    return Object.keys(problems).length ? problems : undefined;
  }
}

export const describeMode = (mode: RuleMode): string => (mode === 'live' ? 'live' : mode === 'off' ? 'off' : 'dry run');

/** A person (not a rule) answered, assigned or resolved the mention: the words why no rule should reply. */
function personActedOn(record: MentionRecord): string | undefined {
  const workflow = record.workflow;
  if (!workflow) return undefined;
  if (workflow.replies?.length) return 'a person already replied';
  if (workflow.resolved) return 'a person resolved it';
  if (workflow.assignee && workflow.assignee !== workflow.automatic?.assigned) return 'a person assigned it';
  return undefined;
}

/** A person owns the conversation, resolved it, or the brand has answered since the customer wrote. */
function personActedOnConversation(conversation: ConversationRecord): string | undefined {
  if (conversation.isRequest) return 'it is a message request: a person accepts it first';
  if (conversation.status === 'resolved') return 'a person resolved it';
  if (conversation.assignee) return 'a person owns the conversation';
  if (!conversation.awaitingSince) return 'the brand already answered';
  return undefined;
}

/** The rules' view of a mention. */
function subjectOf(record: MentionRecord, contact: ContactRecord | undefined, now: Date): RuleSubject {
  const isKnown = isKnownContact(contact, record.slack.attemptedAt);
  return {
    platform: record.mention.platform,
    kind: record.mention.isComment ? 'comment' : 'mention',
    text: record.mention.text,
    label: record.classification.label,
    language: record.classification.language,
    contact: { isKnown, tags: contact?.tags ?? [] },
    at: now,
  };
}

/** A saved reply filled for the author: a rule signs as the brand, so `{{agent}}` is left out. */
function fillForAuthor(template: string, author: { name: string; handle: string }, contact: ContactRecord | undefined): string {
  const name = contact?.name ?? author.name;
  return fillTemplate(template, { first_name: firstNameOf(name).firstName, handle: `@${author.handle}`, agent: '' })
    .replace(/[ \t]{2,}/g, ' ')
    .trim();
}
