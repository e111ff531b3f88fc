import type { TwitterApi } from 'twitter-api-v2';
import type { InboundDirectMessage } from '../../domain/conversations.ts';
import { measureForXDirectMessage, type TextMeasure } from '../../domain/reply-text.ts';
import {
  type Author,
  compareNumericIds,
  type DirectMessageBatch,
  type DirectMessageQuery,
  type DirectMessaging,
  type DirectReplyTarget,
  PlatformError,
  type RateLimitState,
  type SentDirectMessage,
  withPlatformErrors,
} from '../platform.ts';
import { toPlatformError } from './x-platform.ts';

interface XDmEvent {
  id: string;
  event_type: string;
  text?: string;
  sender_id?: string;
  dm_conversation_id?: string;
  participant_ids?: string[];
  created_at?: string;
}
interface XDmEventsResponse {
  data?: XDmEvent[];
  includes?: { users?: Array<{ id: string; username: string; name: string }> };
  meta?: { result_count?: number; next_token?: string };
}

const FIELDS = {
  'dm_event.fields': 'id,text,event_type,dm_conversation_id,created_at,sender_id,participant_ids',
  event_types: 'MessageCreate',
  expansions: 'sender_id,participant_ids',
  'user.fields': 'username,name',
};
/**
 * X bills every DM event a read returns ($0.010 each) and has no `since_id` for DMs: a read first
 * asks for the newest event alone, and only when it is new reads on, 100 at a time. A quiet poll
 * costs one event, not a page of already-stored ones.
 */
const PROBE = 1;
const PAGE = 100;
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * X direct messages through `GET /2/dm_events` (OAuth 1.0a user context: the brand's own DMs, the
 * last 30 days). X has no `since_id` for DMs: a read pages newest first and stops at the first event
 * at or below the cursor (the newest event ID stored), so stored events are not read again beyond
 * the page that reaches them. Sending has no idempotency key: the reply service looks for the sent
 * message (`findSent`) before sending again after an uncertain call.
 */
export class XDirectMessages implements DirectMessaging {
  /** X caps DMs sent by a user at 1,440 a day. */
  readonly sendsPerDay = 1_440;

  constructor(
    private readonly writer: TwitterApi,
    private readonly brandId: string,
    private readonly brandHandle: string,
    readonly pollIntervalMs: number,
  ) {}

  async read(query: DirectMessageQuery): Promise<DirectMessageBatch> {
    const messages: InboundDirectMessage[] = [];
    let pageToken: string | undefined;
    let rateLimit: RateLimitState | undefined;
    let newest = query.after;
    let first = true;
    for (;;) {
      const params: Record<string, string> = { ...FIELDS, max_results: String(first && query.after ? PROBE : PAGE) };
      if (pageToken) params.pagination_token = pageToken;
      const response = await callX(() =>
        this.writer.v2.get<XDmEventsResponse>('dm_events', params, { fullResponse: true, timeout: REQUEST_TIMEOUT_MS }),
      );
      first = false;
      rateLimit = response.rateLimit
        ? { limit: response.rateLimit.limit, remaining: response.rateLimit.remaining, resetAt: new Date(response.rateLimit.reset * 1000) }
        : undefined;
      const users = new Map((response.data.includes?.users ?? []).map((user) => [user.id, user]));
      let reachedKnown = false;
      for (const event of response.data.data ?? []) {
        if (query.after && compareNumericIds(event.id, query.after) <= 0) {
          reachedKnown = true;
          break;
        }
        const createdAt = event.created_at ?? new Date().toISOString();
        if (!query.after && Date.parse(createdAt) < query.notBefore.getTime()) {
          reachedKnown = true;
          break;
        }
        if (!newest || compareNumericIds(event.id, newest) > 0) newest = event.id;
        if (event.event_type !== 'MessageCreate' || !event.dm_conversation_id) continue;
        messages.push(this.toMessage(event, createdAt, users));
      }
      pageToken = response.data.meta?.next_token;
      if (reachedKnown || !pageToken) break;
      if (rateLimit?.remaining === 0) {
        // The rest waits for the next read: nothing is stored past what was read, and the cursor stays.
        throw new PlatformError('rate_limited', 'X DM read limit reached while paging', { resetAt: rateLimit.resetAt });
      }
    }
    // Read newest first; written oldest first (X gives times to the second: equal times keep this order).
    return { messages: messages.reverse(), cursor: newest, rateLimit };
  }

  private toMessage(event: XDmEvent, createdAt: string, users: Map<string, { id: string; username: string; name: string }>) {
    const conversationId = event.dm_conversation_id ?? '';
    // One-to-one conversations are named "<smaller id>-<larger id>"; group ones list participant_ids.
    const others = (event.participant_ids ?? conversationId.split('-')).filter((id) => id !== this.brandId && /^\d+$/.test(id));
    const author = (id: string): Author => {
      const user = users.get(id);
      return {
        id,
        handle: user?.username ?? id,
        name: user?.name ?? user?.username ?? 'X user',
        profileUrl: user ? `https://x.com/${user.username}` : `https://x.com/i/user/${id}`,
      };
    };
    const senderId = event.sender_id ?? '';
    const fromBrand = senderId === this.brandId;
    const message: InboundDirectMessage = {
      platform: 'x',
      id: event.id,
      conversationId,
      text: event.text ?? '',
      createdAt,
      sender: fromBrand ? { id: this.brandId, handle: this.brandHandle, name: this.brandHandle, profileUrl: '' } : author(senderId),
      fromBrand,
      participants: others.map(author),
    };
    return message;
  }

  measure(text: string): TextMeasure {
    return measureForXDirectMessage(text);
  }

  async send(target: DirectReplyTarget, text: string): Promise<SentDirectMessage> {
    // https://docs.x.com/x-api/direct-messages/send-a-new-message-to-a-dm-conversation
    const created = await callX(() =>
      this.writer.v2.post<{ data: { dm_conversation_id: string; dm_event_id: string } }>(
        `dm_conversations/${encodeURIComponent(target.conversationId)}/messages`,
        { text },
        { timeout: REQUEST_TIMEOUT_MS },
      ),
    );
    return { id: created.data.dm_event_id, sentAt: new Date().toISOString() };
  }

  async findSent(target: DirectReplyTarget, text: string, since: string): Promise<SentDirectMessage | undefined> {
    const response = await callX(() =>
      this.writer.v2.get<XDmEventsResponse>(
        `dm_conversations/${encodeURIComponent(target.conversationId)}/dm_events`,
        { ...FIELDS, max_results: '50' },
        { timeout: REQUEST_TIMEOUT_MS },
      ),
    );
    // A minute of slack for clock skew between this machine and X.
    const from = Date.parse(since) - 60_000;
    const sent = (response.data ?? []).find(
      (event) => event.sender_id === this.brandId && event.text === text && Date.parse(event.created_at ?? '') >= from,
    );
    return sent ? { id: sent.id, sentAt: sent.created_at ?? since } : undefined;
  }
}

/** X's DM refusals, in words a support agent can act on. */
function explainDmError(error: PlatformError): PlatformError {
  const status = error.details.status;
  if (status === 403 && /not permitted|not allowed|cannot send/i.test(error.message)) {
    return new PlatformError(
      'rejected',
      "X refused: this person's settings do not accept direct messages from the brand (they may have turned DMs off or blocked the account)",
      error.details,
    );
  }
  return error;
}

const callX = <T>(call: () => Promise<T>): Promise<T> => withPlatformErrors(call, (error) => explainDmError(toPlatformError(error)));
