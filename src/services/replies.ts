import { conversationAfterReply, directMessageKey, isConversationKey } from '../domain/conversations.ts';
import type { ReplyRecord } from '../domain/records.ts';
import { checkReplyText, describeTextProblem } from '../domain/reply-text.ts';
import type { Log } from '../log.ts';
import { type Platform, PlatformError, type PlatformId, type PublishedPost } from '../platforms/platform.ts';
import type { Conversations } from './conversations.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { MentionMessages } from './mention-messages.ts';
import type { Store } from './repositories.ts';
import { sleep } from './sleep.ts';
import type { MessageRef, ReplyContext, TeamChat } from './team-chat.ts';

export interface ReplyRequest {
  /**
   * Derived from the Slack request: `view:<view id>` for the modal, `thread:<channel>:<ts>` for a
   * `reply:` message. The same request, however often Slack or a person repeats it, has one key.
   */
  requestKey: string;
  mentionKey: string;
  text: string;
  /** The Slack user who asked; for a rule's reply, `rule <name>` (as the audit log names it). */
  userId: string;
  /** Set when an automatic-reply rule asks: its own Undo window (AUTO_REPLY_UNDO_SECONDS), and checks before it goes. */
  automatic?: NonNullable<ReplyRecord['automatic']> & { undoSeconds: number };
}

/**
 * What the replies need from automatic-reply rules (services/auto-replies.ts): a last word before
 * an automatic reply goes out, and to hear how each ended.
 */
export interface AutomaticReplyGate {
  /** Why this automatic reply must not go out now (paused, the rule changed, a person acted), or undefined. */
  reasonToCancel(reply: ReplyRecord): Promise<string | undefined>;
  /** An automatic reply ended (sent, cancelled, failed): shown on its item. */
  settled(reply: ReplyRecord): Promise<void>;
}

export type ReplyOutcome =
  | { kind: 'scheduled'; reply: ReplyRecord }
  /** This very request was seen before: nothing new happens. */
  | { kind: 'duplicate'; reply: ReplyRecord }
  | { kind: 'refused'; message: string }
  | { kind: 'invalid'; message: string }
  /** Another reply to the same mention is waiting or being sent. */
  | { kind: 'busy'; message: string };

export type UndoOutcome = { kind: 'undone' | 'too_late' | 'refused' | 'unknown'; message: string };

export interface ReplyServiceOptions {
  /** Private conversations: a reply to one (its key in `mentionKey`) goes out as a private message. */
  conversations?: Conversations;
  undoSeconds: number;
  /** Wait before the one retry after an uncertain send (network error, 5xx). */
  retryDelayMs: number;
  now?: () => Date;
  /**
   * This process, as named in the leases of the replies it sends. With several replicas each has its
   * own; with the lowdb files there is one process, whose name stays the same across restarts.
   */
  replica?: string;
  /** How long a claim to send lasts: another replica takes over a send only after it (its sender died). */
  leaseMs?: number;
  /** How often due replies nobody is sending are looked for (the replica that accepted one may have died). */
  sweepEveryMs?: number;
}

const LEASE_MS = 60_000;
const SWEEP_EVERY_MS = 2_000;
const SWEEP_BATCH = 20;

/**
 * Public replies, exactly once. The request is stored in the outbox before anything else happens,
 * announced in the mention's thread with Undo, and sent when the undo window ends. The state is
 * saved as `sending` before the platform is called, so a crash mid-call is known after a restart.
 *
 * X has no idempotency key. After an uncertain send (crash, network error, 5xx) the same text is
 * sent once more: if the first went out, X refuses the second as duplicate content, and that
 * refusal counts as sent. If that second attempt cannot settle it either, the reply is marked
 * uncertain and shown to staff; it is never sent a third time.
 */
export class ReplyService {
  private readonly mutex = new KeyedMutex();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Replies already picked up by `resume`, so a second call does not send them again. */
  private readonly resumed = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly now: () => Date;
  private readonly replica: string;
  private sweeper?: NodeJS.Timeout;
  private stopped = false;
  private automation?: AutomaticReplyGate;

  constructor(
    private readonly store: Store,
    private readonly platforms: ReadonlyMap<PlatformId, Platform>,
    private readonly chat: TeamChat,
    private readonly mentionMessages: MentionMessages,
    private readonly log: Log,
    private readonly options: ReplyServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.replica = options.replica ?? 'local';
  }

  /** Automatic-reply rules are built on these replies; they attach once both exist. */
  attachAutomation(gate: AutomaticReplyGate): void {
    this.automation = gate;
  }

  async request(request: ReplyRequest): Promise<ReplyOutcome> {
    const { outbox, mentions, audit } = this.store;
    const seen = await outbox.get(request.requestKey);
    if (seen) return { kind: 'duplicate', reply: seen };

    const target = await this.targetOf(request.mentionKey, request.text);
    if (target.kind !== 'ok') return target;
    const { platform, inReplyTo, thread } = target;
    const outcome = await this.mutex.run(request.mentionKey, async (): Promise<ReplyOutcome> => {
      // Checked again inside the lock: a double submission may have stored it meanwhile.
      const again = await outbox.get(request.requestKey);
      if (again) return { kind: 'duplicate', reply: again };
      // An erasure may have run while this waited for the lock: nothing about the person is stored again.
      const stillThere = isConversationKey(request.mentionKey)
        ? await this.store.conversations.get(request.mentionKey)
        : await mentions.get(request.mentionKey);
      if (!stillThere) {
        return { kind: 'refused', message: 'This mention was erased at the person’s request meanwhile. Nothing was sent.' };
      }
      const now = this.now();
      const undoSeconds = request.automatic?.undoSeconds ?? this.options.undoSeconds;
      // A person replying takes over from a rule's reply still in its Undo window.
      const tookOver = request.automatic
        ? undefined
        : await this.cancelAutomaticFor(request.mentionKey, request.userId, 'a person replied instead');
      const reply: ReplyRecord = {
        key: request.requestKey,
        mentionKey: request.mentionKey,
        platform: platform.id,
        inReplyTo,
        text: request.text,
        requestedBy: request.userId,
        requestedAt: now.toISOString(),
        sendAt: new Date(now.getTime() + undoSeconds * 1000).toISOString(),
        state: 'scheduled',
        thread,
        attempts: 0,
        automatic: request.automatic && {
          ruleId: request.automatic.ruleId,
          ruleName: request.automatic.ruleName,
          ruleVersion: request.automatic.ruleVersion,
        },
      };
      if (tookOver) this.track(this.afterAutomaticCancelled(tookOver));
      // The store is the guard, across replicas too: one request per key, one pending reply per mention.
      if (!(await outbox.create(reply))) {
        const same = await outbox.get(request.requestKey);
        if (same) return { kind: 'duplicate', reply: same };
        const busy = await outbox.activeFor(request.mentionKey);
        const who = busy ? `<@${busy.requestedBy}> is` : 'Someone is';
        const when = busy?.state === 'scheduled' ? `sending ${this.relative(busy.sendAt)}` : 'being sent now';
        return {
          kind: 'busy',
          message: `${who} already replying to this post (${when}). Nothing was sent; undo theirs first to send a different reply.`,
        };
      }
      await audit.record({
        actor: request.userId,
        action: 'reply_scheduled',
        mentionKey: request.mentionKey,
        // A private message's text stays in the DMs channel and the contact's timeline, not the audit log.
        text: isConversationKey(request.mentionKey) ? undefined : request.text,
      });
      return { kind: 'scheduled', reply };
    });
    if (outcome.kind !== 'scheduled') return outcome;

    // Answered now (Slack's form waits for this); the announcement is a Slack call, so it comes
    // after. The timer starts at once: the undo window does not wait for Slack.
    this.schedule(outcome.reply);
    this.track(this.announce(outcome.reply));
    return outcome;
  }

  /** Where a reply goes: under a public post, or into a private conversation; with the text checked for it. */
  private async targetOf(
    key: string,
    text: string,
  ): Promise<{ kind: 'ok'; platform: Platform; inReplyTo: string; thread: MessageRef } | { kind: 'refused' | 'invalid'; message: string }> {
    if (isConversationKey(key)) {
      const conversation = await this.store.conversations.get(key);
      const platform = conversation ? this.platforms.get(conversation.platform) : undefined;
      const dms = platform?.directMessages;
      if (!conversation?.slack.ts || !platform || !dms) {
        return {
          kind: 'refused',
          message: 'This conversation is not known to Switchboard (or its network is not configured), so nothing was sent.',
        };
      }
      const problem = checkReplyText(text, (candidate) => dms.measure(candidate));
      if (problem) return { kind: 'invalid', message: describeTextProblem(problem, `${platform.displayName} private messages`) };
      const refusal = dms.problemWith?.(text, {
        conversationId: conversation.conversationId,
        participants: conversation.participants,
        lastInboundAt: conversation.lastInboundAt,
      });
      if (refusal) return { kind: 'invalid', message: refusal };
      return {
        kind: 'ok',
        platform,
        inReplyTo: conversation.conversationId,
        thread: { channel: conversation.slack.channel, ts: conversation.slack.ts },
      };
    }
    const mention = await this.store.mentions.get(key);
    const platform = mention ? this.platforms.get(mention.mention.platform) : undefined;
    if (!mention?.slack.ts || !platform) {
      return {
        kind: 'refused',
        message: 'This mention is not known to Switchboard (or its platform is not configured), so nothing was sent.',
      };
    }
    const problem = checkReplyText(text, (candidate) => platform.measureText(candidate));
    if (problem) return { kind: 'invalid', message: describeTextProblem(problem, platform.displayName) };
    // A mention posted in a surge's thread is answered in that thread.
    const thread = { channel: mention.slack.channel, ts: mention.slack.threadTs ?? mention.slack.ts };
    return { kind: 'ok', platform, inReplyTo: mention.mention.replyTarget ?? mention.mention.id, thread };
  }

  async undo(replyKey: string, userId: string): Promise<UndoOutcome> {
    const found = await this.store.outbox.get(replyKey);
    if (!found) return { kind: 'unknown', message: 'That reply is not known to Switchboard.' };
    return this.mutex.run(found.mentionKey, async () => {
      // Atomic: an Undo and a replica claiming the send at the same instant cannot both win.
      let undoneNow = false;
      const reply = await this.store.outbox.update(replyKey, (current) => {
        if (current.state !== 'scheduled') return undefined;
        undoneNow = true;
        return { ...current, state: 'cancelled', cancelledBy: userId, lease: undefined };
      });
      if (!reply) return { kind: 'unknown', message: 'That reply is not known to Switchboard.' };
      if (!undoneNow && reply.state === 'cancelled') return { kind: 'undone', message: 'This reply was already undone; nothing was sent.' };
      if (!undoneNow) {
        return {
          kind: 'too_late',
          message: `Too late to undo: the reply is ${reply.state === 'sent' ? 'already published' : reply.state}.`,
        };
      }
      const cancelled = reply;
      this.clearTimer(replyKey);
      await this.store.audit.record({ actor: userId, action: 'reply_undone', mentionKey: reply.mentionKey, text: reply.text });
      if (cancelled.automatic) await this.afterAutomaticCancelled(cancelled);
      else await this.showAnnouncement(cancelled);
      return { kind: 'undone', message: 'Undone: nothing was sent.' };
    });
  }

  /**
   * Cancels automatic replies still in their Undo window: one item's (a person acted on it), one
   * rule's (it was edited, switched off or deleted), or all (automation paused). Returns how many.
   */
  async cancelAutomatic(which: { mentionKey?: string; ruleId?: string }, by: string, reason: string): Promise<number> {
    let cancelled = 0;
    for (const pending of await this.store.outbox.unsettled()) {
      if (!pending.automatic || pending.state !== 'scheduled') continue;
      if (which.mentionKey !== undefined && pending.mentionKey !== which.mentionKey) continue;
      if (which.ruleId !== undefined && pending.automatic.ruleId !== which.ruleId) continue;
      const done = await this.mutex.run(pending.mentionKey, () => this.cancelAutomaticFor(pending.mentionKey, by, reason));
      if (done) {
        cancelled++;
        await this.afterAutomaticCancelled(done);
      }
    }
    return cancelled;
  }

  /** Inside the item's lock: cancels its automatic reply if one waits in its window. Returns it, cancelled. */
  private async cancelAutomaticFor(mentionKey: string, by: string, reason: string): Promise<ReplyRecord | undefined> {
    const waiting = await this.store.outbox.activeFor(mentionKey);
    if (!waiting?.automatic || waiting.state !== 'scheduled') return undefined;
    let cancelledNow = false;
    const cancelled = await this.store.outbox.update(waiting.key, (current) => {
      if (current.state !== 'scheduled') return undefined;
      cancelledNow = true;
      return { ...current, state: 'cancelled', cancelledBy: by, cancelReason: reason, lease: undefined };
    });
    if (!cancelledNow || !cancelled) return undefined;
    this.clearTimer(waiting.key);
    await this.store.audit.record({ actor: by, action: 'reply_undone', mentionKey, text: cancelled.text, detail: reason });
    return cancelled;
  }

  /** The thread and the item show that an automatic reply will not go. */
  private async afterAutomaticCancelled(reply: ReplyRecord): Promise<void> {
    await this.showAnnouncement(reply);
    await this.automation?.settled(reply).catch((error: unknown) => this.log.warn(`could not show how ${reply.key} ended`, { error }));
  }

  /**
   * Picks up replies left unsettled by a previous run. Called at start-up and again once every
   * platform has connected: a reply whose platform is not connected yet waits for the second call,
   * and none is resumed twice.
   */
  async resume(options: { allConnected?: boolean } = {}): Promise<void> {
    for (const reply of await this.store.outbox.unsettled()) {
      // Until every platform is connected, a missing one may still come; after, it is not configured.
      if (this.resumed.has(reply.key) || (!options.allConnected && !this.platforms.has(reply.platform))) continue;
      this.resumed.add(reply.key);
      // A crash after the request was stored may have left it unannounced, or announced without the
      // announcement's ts saved: find it in the thread by its metadata, else announce it now.
      const announced = reply.announcement ? reply : await this.findOrAnnounce(reply);
      // Scheduled ones wait out their window here; due ones, and sends a crash cut short, are claimed now.
      this.schedule(announced);
    }
    this.startSweeping();
  }

  /**
   * Every few seconds: due replies no live lease covers are claimed and sent. This is how a reply
   * accepted by a replica that died is still sent, by another, once.
   */
  private startSweeping(): void {
    if (this.sweeper || this.stopped) return;
    this.sweeper = setInterval(() => this.track(this.sweep()), this.options.sweepEveryMs ?? SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  private async sweep(): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const claimed = await this.store.outbox.claimDue(this.replica, this.leaseEnd(now), now, SWEEP_BATCH);
    for (const reply of claimed) {
      this.clearTimer(reply.key);
      this.track(this.mutex.run(reply.mentionKey, () => this.deliver(reply)));
    }
  }

  private leaseEnd(now: Date): Date {
    return new Date(now.getTime() + (this.options.leaseMs ?? LEASE_MS));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweeper);
    for (const key of [...this.timers.keys()]) this.clearTimer(key);
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(reply: ReplyRecord): void {
    if (this.stopped) return;
    const delay = Math.max(0, Date.parse(reply.sendAt) - this.now().getTime());
    this.clearTimer(reply.key);
    this.timers.set(
      reply.key,
      setTimeout(() => {
        this.timers.delete(reply.key);
        this.track(this.sendScheduled(reply.key));
      }, delay),
    );
  }

  /** At the end of its undo window: claimed (one replica only, and not while another's lease lives), then sent. */
  private async sendScheduled(replyKey: string): Promise<void> {
    if (this.stopped) return;
    const now = this.now();
    const lease = { by: this.replica, until: this.leaseEnd(now).toISOString() };
    const claimed = await this.store.outbox.update(replyKey, (current) => {
      const isPending = current.state === 'scheduled' || current.state === 'sending';
      const isFree = !current.lease || current.lease.by === this.replica || Date.parse(current.lease.until) < now.getTime();
      return isPending && isFree ? { ...current, lease } : undefined;
    });
    if (!claimed || claimed.lease?.until !== lease.until || this.stopped) return;
    await this.mutex.run(claimed.mentionKey, () => this.deliver(claimed));
  }

  /** Sends a reply this process has claimed, `scheduled` or left `sending`. Runs inside the mention's lock. */
  private async deliver(start: ReplyRecord): Promise<void> {
    const platform = this.platforms.get(start.platform);
    let reply = start;
    if (!platform) {
      await this.settle(reply, { state: 'failed', failure: `${reply.platform} is not configured any more` });
      return;
    }
    if (reply.automatic && reply.attempts === 0) {
      // The last word before a rule's reply goes: paused meanwhile, the rule changed, a person acted.
      const reason = this.automation ? await this.automation.reasonToCancel(reply) : 'automatic replies are not running';
      if (reason) {
        const cancelled = await this.store.outbox.update(reply.key, (current) =>
          current.state === 'scheduled' && current.lease?.by === this.replica
            ? { ...current, state: 'cancelled', cancelledBy: 'switchboard', cancelReason: reason, lease: undefined }
            : undefined,
        );
        if (cancelled?.state === 'cancelled' && cancelled.cancelReason === reason) {
          this.log.info(`automatic reply ${reply.key} cancelled: ${reason}`);
          await this.afterAutomaticCancelled(cancelled);
        }
        return;
      }
    }
    for (;;) {
      const isRetry = reply.attempts > 0; // an earlier attempt may have gone out
      // Only while still ours and pending: an Undo may have won the moment before.
      const attempt = reply.attempts + 1;
      const sending = await this.store.outbox.update(reply.key, (current) =>
        (current.state === 'scheduled' || current.state === 'sending') && current.lease?.by === this.replica
          ? { ...current, state: 'sending', attempts: attempt }
          : undefined,
      );
      if (sending?.state !== 'sending' || sending.attempts !== attempt) return;
      reply = sending;
      let published: PublishedPost;
      try {
        published = isConversationKey(reply.mentionKey)
          ? await this.sendPrivately(platform, reply, isRetry)
          : await platform.publishReply({
              inReplyTo: reply.inReplyTo,
              text: reply.text,
              idempotencyKey: reply.key,
              requestedAt: reply.requestedAt,
              isRetry,
            });
      } catch (error) {
        // Only the platform call's own outcome decides whether the reply may have gone out.
        const failure = error instanceof PlatformError ? error : new PlatformError('unavailable', String(error), { cause: error });
        if (failure.code === 'duplicate' && isRetry) {
          const note = `${platform.displayName} reported it as already published`;
          await this.settle(reply, { state: 'sent', sent: { at: this.now().toISOString(), note } });
          return;
        }
        if (failure.code === 'unavailable' && !isRetry && !this.stopped) {
          this.log.warn(`reply ${reply.key} uncertain (${failure.message}); sending once more to settle it`);
          await sleep(this.options.retryDelayMs);
          continue;
        }
        if (failure.code === 'unavailable') {
          await this.settle(reply, { state: 'uncertain', failure: failure.message });
          return;
        }
        await this.settle(reply, { state: 'failed', failure: this.explain(failure) });
        return;
      }
      // The platform confirmed it: whatever fails from here on is ours, and never a reason to send again.
      await this.settle(reply, { state: 'sent', sent: { id: published.id, url: published.url, at: this.now().toISOString() } });
      return;
    }
  }

  /**
   * A reply into a private conversation. X and Bluesky have no idempotency key: after an uncertain
   * attempt the conversation is searched for the message first, and only a message not found is
   * sent again. Mastodon takes the outbox key as `Idempotency-Key`. X's daily cap is checked first.
   */
  private async sendPrivately(platform: Platform, reply: ReplyRecord, isRetry: boolean): Promise<PublishedPost> {
    const dms = platform.directMessages;
    const conversation = await this.store.conversations.get(reply.mentionKey);
    if (!dms || !conversation) throw new PlatformError('rejected', 'the conversation is no longer known (erased?)');
    const target = {
      conversationId: conversation.conversationId,
      participants: conversation.participants,
      lastInboundId: conversation.lastInboundId,
      lastInboundAt: conversation.lastInboundAt,
    };
    if (isRetry) {
      const found = await dms.findSent(target, reply.text, reply.requestedAt);
      if (found) return { id: found.id, url: '' };
    }
    if (dms.sendsPerDay !== undefined) {
      const day = await this.privateSendsInLastDay(platform.id);
      if (day.count >= dms.sendsPerDay) {
        // A slot frees when the oldest of the day's sends is 24 hours old.
        const freeAt = day.oldest ? new Date(Date.parse(day.oldest) + 86_400_000).toISOString().slice(11, 16) : undefined;
        throw new PlatformError(
          'rejected',
          `${platform.displayName} allows ${dms.sendsPerDay.toLocaleString('en')} private messages a day from one account, and ${day.count.toLocaleString('en')} went out in the last 24 hours; send it ${freeAt ? `after ${freeAt} UTC` : 'later'}`,
        );
      }
    }
    const sent = await dms.send(target, reply.text, reply.key, { byRule: Boolean(reply.automatic) });
    return { id: sent.id, url: '' };
  }

  /** The brand's private messages on a network in the last 24 hours, and the oldest of them (two days of records, read once per send). */
  private async privateSendsInLastDay(platform: PlatformId): Promise<{ count: number; oldest?: string }> {
    const now = this.now().getTime();
    const since = new Date(now - 86_400_000).toISOString();
    let count = 0;
    let oldest: string | undefined;
    for (const day of new Set([since.slice(0, 10), new Date(now).toISOString().slice(0, 10)])) {
      for await (const message of this.store.conversations.readMessagesDay(day)) {
        if (message.platform !== platform || message.direction !== 'out' || message.sentAt < since) continue;
        count++;
        if (!oldest || message.sentAt < oldest) oldest = message.sentAt;
      }
    }
    return { count, oldest };
  }

  /**
   * Runs `erase` (a GDPR erasure of these mentions) while no reply to them can start or finish:
   * scheduled ones are cancelled first, one being sent is waited for (it holds its mention's lock),
   * and a request arriving meanwhile waits, then finds the mention gone. Nothing about the person
   * is written back after the erasure.
   */
  holdForErasure<T>(mentionKeys: readonly string[], erase: () => Promise<T>): Promise<T> {
    const keys = [...new Set(mentionKeys)].sort(); // one order for every caller: no deadlock
    const holdFrom = async (index: number): Promise<T> => {
      const key = keys[index];
      if (key !== undefined) return this.mutex.run(key, () => holdFrom(index + 1));
      // Every lock is held: cancel what still waits in its undo window, then erase.
      for (const mentionKey of keys) {
        const waiting = await this.store.outbox.activeFor(mentionKey);
        if (waiting?.state !== 'scheduled') continue;
        this.clearTimer(waiting.key);
        await this.store.outbox.update(waiting.key, (current) =>
          current.state === 'scheduled' ? { ...current, state: 'cancelled', cancelledBy: 'erasure', lease: undefined } : undefined,
        );
      }
      return erase();
    };
    return holdFrom(0);
  }

  /**
   * Records how a send ended. The outbox comes first: once it says `sent`, no restart or retry sends
   * again. The rest (audit, the mention message, telling the requester, the announcement) is
   * reported to staff when it fails, and never undoes or repeats the send.
   */
  private async settle(reply: ReplyRecord, change: Pick<ReplyRecord, 'state'> & Partial<ReplyRecord>): Promise<void> {
    // Onto the record as stored now: an erasure meanwhile has removed the text, and it stays removed.
    const settled = (await this.store.outbox.update(reply.key, (current) => ({ ...current, ...change, lease: undefined }))) ?? {
      ...reply,
      ...change,
    };
    if (settled.mentionKey === 'erased') {
      this.log.info(`reply ${settled.key} is ${settled.state}; its mention was erased meanwhile`);
      await this.showAnnouncement(settled);
      return;
    }
    const afterwards = async (what: string, step: () => Promise<unknown>) => {
      try {
        await step();
      } catch (error) {
        this.log.error(`reply ${settled.key} is ${settled.state}, but ${what} failed`, { error });
      }
    };
    const { audit } = this.store;
    const isPrivate = isConversationKey(settled.mentionKey);
    const base = { actor: settled.requestedBy, mentionKey: settled.mentionKey, text: isPrivate ? undefined : settled.text };
    if (settled.state === 'sent' && isPrivate) {
      this.log.info(`private reply ${settled.key} sent`, { id: settled.sent?.id });
      await afterwards('recording it in the audit log', () =>
        audit.record({ ...base, action: 'reply_sent', platformPostId: settled.sent?.id, detail: settled.sent?.note }),
      );
      await afterwards('recording it in the conversation', () => this.recordPrivateReply(settled));
    } else if (settled.state === 'sent' && settled.automatic) {
      this.log.info(`automatic reply ${settled.key} published`, { id: settled.sent?.id });
      await afterwards('recording it in the audit log', () =>
        audit.record({ ...base, action: 'reply_sent', platformPostId: settled.sent?.id, detail: settled.sent?.note }),
      );
    } else if (settled.state === 'sent') {
      this.log.info(`reply ${settled.key} published`, { id: settled.sent?.id });
      await afterwards('recording it in the audit log', () =>
        audit.record({ ...base, action: 'reply_sent', platformPostId: settled.sent?.id, detail: settled.sent?.note }),
      );
      await afterwards('updating the mention message', () =>
        this.mentionMessages.update(settled.mentionKey, (workflow) => ({
          ...workflow,
          replies: [...(workflow.replies ?? []), { by: settled.requestedBy, at: settled.sent?.at ?? '', url: settled.sent?.url }],
        })),
      );
    } else {
      const action = settled.state === 'uncertain' ? 'reply_uncertain' : 'reply_failed';
      this.log.warn(`reply ${settled.key} ${settled.state}: ${settled.failure}`);
      await afterwards('recording it in the audit log', () => audit.record({ ...base, action, detail: settled.failure }));
      const platformName = this.platforms.get(settled.platform)?.displayName ?? settled.platform;
      // A rule has nobody to tell privately: its announcement in the thread says it.
      if (!settled.automatic)
        await afterwards('telling the requester', () =>
          this.tellRequester(
            settled,
            settled.state === 'uncertain'
              ? `It is not known whether your reply was published (${settled.failure}). Check ${platformName} before sending it again: Switchboard will not retry it.`
              : `Your reply was not sent: ${settled.failure}.`,
          ),
        );
    }
    if (settled.automatic) await afterwards('showing it on the item', async () => this.automation?.settled(settled));
    await this.showAnnouncement(settled);
  }

  /** The sent private message joins the conversation (stored under its network ID: a re-read finds it known). */
  private async recordPrivateReply(reply: ReplyRecord): Promise<void> {
    const conversation = await this.store.conversations.get(reply.mentionKey);
    if (!conversation || !reply.sent) return;
    const sentAt = reply.sent.at;
    const { responseMs } = conversationAfterReply(conversation, sentAt);
    if (reply.sent.id) {
      const platform = this.platforms.get(reply.platform);
      await this.store.conversations.addMessage({
        key: directMessageKey(reply.platform, reply.sent.id),
        conversationKey: conversation.key,
        contactId: conversation.contactId,
        platform: reply.platform,
        id: reply.sent.id,
        direction: 'out',
        text: reply.text,
        author: { id: 'brand', handle: platform?.brandHandle ?? 'brand', name: platform?.displayName ?? reply.platform },
        sentAt,
        sentBy: reply.requestedBy,
        responseMs,
      });
    }
    await this.options.conversations?.update(conversation.key, (current) => conversationAfterReply(current, sentAt).conversation);
  }

  private explain(error: PlatformError): string {
    switch (error.code) {
      case 'rate_limited': {
        const until = error.details.resetAt ? ` until ${error.details.resetAt.toISOString().slice(11, 16)} UTC` : '';
        return `the platform's posting limit is reached${until}; try again then`;
      }
      case 'duplicate':
        return 'the platform refused it as a duplicate of a post the brand already published; change the wording';
      default:
        return error.message;
    }
  }

  private async findOrAnnounce(reply: ReplyRecord): Promise<ReplyRecord> {
    const found = await this.chat.findReplyAnnouncement(reply).catch(() => undefined);
    if (!found) return this.announce(reply);
    return (
      (await this.store.outbox.update(reply.key, (current) => ({ ...current, announcement: found }))) ?? { ...reply, announcement: found }
    );
  }

  private async announce(reply: ReplyRecord): Promise<ReplyRecord> {
    try {
      const posted = await this.chat.announceReply(reply, this.announcementContext(reply));
      const announced = { ...reply, announcement: { channel: posted.channel, ts: posted.ts } };
      // Saved under the lock: a send or an undo must see the announcement to update it.
      return await this.mutex.run(reply.mentionKey, async () => {
        const updated =
          (await this.store.outbox.update(reply.key, (current) => ({ ...current, announcement: announced.announcement }))) ?? announced;
        // Sent, undone or failed while the announcement was on its way: show that, not "sending".
        if (updated.state !== 'scheduled') await this.showAnnouncement(updated);
        return updated;
      });
    } catch (error) {
      // The reply stays scheduled: announcing is for people, sending does not depend on it.
      this.log.warn(`could not announce reply ${reply.key} in its thread`, { error });
      return reply;
    }
  }

  private async showAnnouncement(reply: ReplyRecord): Promise<void> {
    const { announcement } = reply;
    if (!announcement) return;
    try {
      await this.chat.updateReplyAnnouncement({ ...reply, announcement }, this.announcementContext(reply));
    } catch (error) {
      this.log.warn(`could not update the announcement of reply ${reply.key}`, { error });
    }
  }

  private announcementContext(reply: ReplyRecord): ReplyContext {
    const platform = this.platforms.get(reply.platform);
    return {
      brandHandle: platform?.brandHandle ?? 'brand',
      platformName: platform?.displayName ?? reply.platform,
      warning: platform?.replyWarning(reply.text),
      now: this.now(),
    };
  }

  private async tellRequester(reply: ReplyRecord, text: string): Promise<void> {
    try {
      await this.chat.tellPrivately({ channel: reply.thread.channel, user: reply.requestedBy, threadTs: reply.thread.ts }, text);
    } catch (error) {
      this.log.warn('could not tell the requester about their reply', { error });
    }
  }

  private relative(iso: string): string {
    const seconds = Math.max(0, Math.ceil((Date.parse(iso) - this.now().getTime()) / 1000));
    return `in ${seconds} s`;
  }

  private clearTimer(key: string): void {
    const timer = this.timers.get(key);
    if (timer) clearTimeout(timer);
    this.timers.delete(key);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((error: unknown) => this.log.error('reply delivery failed unexpectedly', { error }));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
