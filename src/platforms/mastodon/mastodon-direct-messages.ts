import type { InboundDirectMessage } from '../../domain/conversations.ts';
import { measureForMastodon, type TextMeasure } from '../../domain/reply-text.ts';
import {
  type Author,
  compareNumericIds,
  type DirectMessageBatch,
  type DirectMessageQuery,
  type DirectMessaging,
  type DirectReplyTarget,
  type RateLimitState,
  type SentDirectMessage,
} from '../platform.ts';
import { htmlToText } from './html-to-text.ts';
import { linkParam, mentionsAccount } from './mastodon-platform.ts';

export interface MastodonAccountView {
  id: string;
  username: string;
  acct: string;
  display_name?: string;
  url: string;
}
interface StatusView {
  id: string;
  created_at: string;
  content: string;
  visibility: string;
  account: MastodonAccountView;
}
interface ConversationView {
  id: string;
  accounts: MastodonAccountView[];
  last_status?: StatusView | null;
}

type Call = <T>(
  method: 'GET' | 'POST',
  path: string,
  body?: Record<string, unknown>,
  headers?: Record<string, string>,
) => Promise<{ body: T; rateLimit?: RateLimitState; link?: string }>;

const PAGE = 40;

/**
 * Mastodon's direct conversations (`GET /api/v1/conversations`, paged by the `Link` header only,
 * newest last status first). A conversation whose last status is newer than the cursor is read
 * whole from that status's context, and only its direct statuses not yet stored are taken. A reply
 * is a direct status under the customer's newest one, mentioning the participants and no one else
 * (in Mastodon, whoever a direct status mentions can read it), with the outbox key as
 * `Idempotency-Key`.
 */
export class MastodonDirectMessages implements DirectMessaging {
  constructor(
    private readonly call: Call,
    private readonly brandAccountId: string,
    private readonly instanceHost: string,
    private readonly maxCharacters: number,
    private readonly urlLength: number,
    readonly pollIntervalMs: number,
    private readonly toAuthor: (account: MastodonAccountView) => Author,
    /** The brand's username on its instance (`northwind`). */
    private readonly brandUsername: string,
  ) {}

  async read(query: DirectMessageQuery): Promise<DirectMessageBatch> {
    const messages: InboundDirectMessage[] = [];
    let newest = query.after;
    let rateLimit: RateLimitState | undefined;
    let path = `/api/v1/conversations?limit=${PAGE}`;
    for (;;) {
      const page = await this.call<ConversationView[]>('GET', path);
      rateLimit = page.rateLimit;
      let reachedKnown = false;
      for (const conversation of page.body) {
        const last = conversation.last_status;
        if (!last) continue;
        if (query.after && compareNumericIds(last.id, query.after) <= 0) {
          reachedKnown = true;
          break;
        }
        if (!query.after && Date.parse(last.created_at) < query.notBefore.getTime()) {
          reachedKnown = true;
          break;
        }
        if (!newest || compareNumericIds(last.id, newest) > 0) newest = last.id;
        messages.push(...(await this.newMessagesOf(conversation, last, query)));
      }
      const maxId = linkParam(page.link, 'next', 'max_id');
      if (reachedKnown || !maxId || page.body.length === 0) break;
      path = `/api/v1/conversations?limit=${PAGE}&max_id=${encodeURIComponent(maxId)}`;
    }
    return { messages, cursor: newest, rateLimit };
  }

  private async newMessagesOf(conversation: ConversationView, last: StatusView, query: DirectMessageQuery) {
    const context = (
      await this.call<{ ancestors: StatusView[]; descendants: StatusView[] }>(
        'GET',
        `/api/v1/statuses/${encodeURIComponent(last.id)}/context`,
      )
    ).body;
    const participants = conversation.accounts.filter((account) => account.id !== this.brandAccountId).map(this.toAuthor);
    const found: InboundDirectMessage[] = [];
    for (const status of [...context.ancestors, last, ...context.descendants]) {
      if (status.visibility !== 'direct') continue;
      if (!query.after && Date.parse(status.created_at) < query.notBefore.getTime()) continue;
      if (await query.isStored(status.id)) continue;
      const fromBrand = status.account.id === this.brandAccountId;
      found.push({
        platform: 'mastodon',
        id: status.id,
        conversationId: conversation.id,
        text: fromBrand ? htmlToText(status.content) : this.withoutBrandInFront(htmlToText(status.content)),
        createdAt: status.created_at,
        sender: this.toAuthor(status.account),
        fromBrand,
        participants,
      });
    }
    return found;
  }

  /**
   * A direct status must @-mention whoever it is for, so a customer's begins with the brand's
   * handle: it says nothing to the team and is left out (other handles in front stay).
   */
  private withoutBrandInFront(text: string): string {
    let rest = text;
    for (;;) {
      const first = /^\s*(@[\w.-]+(?:@[\w.-]+\w)?)\s+/.exec(rest);
      if (!first?.[1] || !mentionsAccount(first[1], this.brandUsername, this.instanceHost)) return rest;
      rest = rest.slice(first[0].length);
    }
  }

  measure(text: string): TextMeasure {
    return measureForMastodon(text, this.maxCharacters, this.urlLength);
  }

  problemWith(text: string, target: DirectReplyTarget): string | undefined {
    const handles = [...text.matchAll(/(?:^|[^\w@/])@(\w+(?:@[\w.-]+\w)?)/g)].map((match) => match[1] ?? '');
    const outsiders = handles.filter(
      (handle) => !target.participants.some((participant) => mentionsAccount(`@${handle}`, participant.handle, this.instanceHost)),
    );
    if (outsiders.length === 0) {
      // The participants' @handles are added in front: they count toward the instance's limit too.
      const sent = measureForMastodon(this.withParticipants(target, text), this.maxCharacters, this.urlLength);
      if (sent.length <= sent.limit) return undefined;
      return `With the participants' @handles in front, as a direct reply needs, it is ${sent.length} characters; this instance allows ${sent.limit}. Shorten it by ${sent.length - sent.limit}.`;
    }
    return `On Mastodon everyone a direct message mentions can read it: remove ${outsiders.map((handle) => `@${handle}`).join(', ')}, who ${outsiders.length === 1 ? 'is' : 'are'} not in this conversation.`;
  }

  async send(target: DirectReplyTarget, text: string, idempotencyKey: string): Promise<SentDirectMessage> {
    const status = this.withParticipants(target, text);
    const created = (
      await this.call<StatusView>(
        'POST',
        '/api/v1/statuses',
        { status, visibility: 'direct', ...(target.lastInboundId ? { in_reply_to_id: target.lastInboundId } : {}) },
        { 'Idempotency-Key': idempotencyKey },
      )
    ).body;
    return { id: created.id, sentAt: created.created_at };
  }

  /** The text as sent: every participant it does not @-mention yet, in front (or they would not see it). */
  private withParticipants(target: DirectReplyTarget, text: string): string {
    const missing = target.participants.filter((participant) => !mentionsAccount(text, participant.handle, this.instanceHost));
    return `${missing.map((participant) => `@${participant.handle} `).join('')}${text}`;
  }

  /** Mastodon keeps an Idempotency-Key for an hour: sending again with it is the lookup. */
  async findSent(): Promise<SentDirectMessage | undefined> {
    return undefined;
  }
}
