import type { MastodonConfig } from '../../config.ts';
import { measureForMastodon } from '../../domain/reply-text.ts';
import {
  type Author,
  compareNumericIds,
  type InboundMention,
  type LikePage,
  type MentionPage,
  type MentionQuery,
  type Platform,
  PlatformError,
  type PublishedPost,
  type RateLimitState,
  type TextMeasure,
} from '../platform.ts';
import { htmlToText } from './html-to-text.ts';
import { MastodonDirectMessages } from './mastodon-direct-messages.ts';

/** Mastodon allows up to 80 notifications a page (40 by default): fewer requests of 300 per 5 min. */
export const MASTODON_MAX_PAGE_SIZE = 80;
const REQUEST_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_CHARACTERS = 500;

interface MastodonAccount {
  id: string;
  username: string;
  acct: string;
  display_name?: string;
  url: string;
}
interface MastodonStatus {
  id: string;
  uri: string;
  url?: string | null;
  created_at: string;
  content: string;
  visibility: 'public' | 'unlisted' | 'private' | 'direct';
  in_reply_to_account_id?: string | null;
  account: MastodonAccount;
}
interface MastodonNotification {
  id: string;
  type: string;
  created_at: string;
  account: MastodonAccount;
  status?: MastodonStatus;
}

/**
 * Mastodon through its plain REST API, any instance. Cursors are notification IDs (numeric strings
 * that grow with time, compared like X's); a mention's ID is its status ID, what a reply and a
 * favourite need. Paging goes from the newest down past the cursor with `max_id`, so a burst larger
 * than a page is read page by page, never skipped, and a notification committed late is still seen.
 */
export class MastodonPlatform implements Platform {
  readonly id = 'mastodon' as const;
  readonly displayName = 'Mastodon';
  /** Direct conversations, when a DMs channel is configured: direct statuses then come only through them. */
  directMessages?: MastodonDirectMessages;

  private constructor(
    private readonly config: MastodonConfig,
    private readonly brandAccountId: string,
    readonly brandHandle: string,
    private readonly instanceHost: string,
    private readonly maxCharacters: number,
    private readonly urlLength: number,
    private readonly pageSize: number,
    private readonly rereadCount: number,
  ) {}

  /** Learns the brand account (verify_credentials) and the instance's character limit (v2/instance). */
  static async connect(
    config: MastodonConfig,
    options: { pageSize?: number; directMessages?: { pollIntervalMs: number } } = {},
  ): Promise<MastodonPlatform> {
    const probe = new MastodonPlatform(config, '', '', new URL(config.url).host, DEFAULT_MAX_CHARACTERS, 23, 0, 0);
    const me = (await probe.call<MastodonAccount>('GET', '/api/v1/accounts/verify_credentials')).body;
    const instance = (
      await probe.call<{
        domain?: string;
        configuration?: { statuses?: { max_characters?: number; characters_reserved_per_url?: number } };
      }>('GET', '/api/v2/instance')
    ).body;
    const statuses = instance.configuration?.statuses;
    const platform = new MastodonPlatform(
      config,
      me.id,
      me.acct.includes('@') ? me.acct : `${me.acct}@${instance.domain ?? probe.instanceHost}`,
      instance.domain ?? probe.instanceHost,
      statuses?.max_characters ?? DEFAULT_MAX_CHARACTERS,
      statuses?.characters_reserved_per_url ?? 23,
      Math.min(options.pageSize ?? MASTODON_MAX_PAGE_SIZE, MASTODON_MAX_PAGE_SIZE),
      config.rereadCount,
    );
    if (options.directMessages) {
      platform.directMessages = new MastodonDirectMessages(
        (method, path, body, headers) => platform.call(method, path, body, headers),
        platform.brandAccountId,
        platform.instanceHost,
        platform.maxCharacters,
        platform.urlLength,
        options.directMessages.pollIntervalMs,
        (account) => platform.toAuthor(account),
        me.username,
      );
    }
    return platform;
  }

  measureText(text: string): TextMeasure {
    return measureForMastodon(text, this.maxCharacters, this.urlLength);
  }

  replyWarning(): string | undefined {
    return undefined;
  }

  /**
   * Replies with the mention's visibility (a followers-only or direct mention never gets a public
   * answer) and the outbox key as `Idempotency-Key`: Mastodon returns the first status for a
   * repeated key (kept an hour), so a retry after an uncertain call cannot post twice. The author is
   * @-mentioned if the text does not already do so, or they would not be notified.
   */
  async publishReply(request: { inReplyTo: string; text: string; idempotencyKey: string }): Promise<PublishedPost> {
    const original = (await this.call<MastodonStatus>('GET', `/api/v1/statuses/${encodeURIComponent(request.inReplyTo)}`)).body;
    const author = this.fullAcct(original.account.acct);
    const status =
      mentionsAccount(request.text, original.account.acct, this.instanceHost) || this.fullAcct(original.account.acct) === this.brandHandle
        ? request.text
        : `@${author} ${request.text}`;
    const created = (
      await this.call<MastodonStatus>(
        'POST',
        '/api/v1/statuses',
        { status, in_reply_to_id: request.inReplyTo, visibility: original.visibility },
        { 'Idempotency-Key': request.idempotencyKey },
      )
    ).body;
    return { id: created.id, url: created.url ?? created.uri };
  }

  async like(postId: string): Promise<void> {
    await this.call('POST', `/api/v1/statuses/${encodeURIComponent(postId)}/favourite`);
  }

  async unlike(postId: string): Promise<void> {
    await this.call('POST', `/api/v1/statuses/${encodeURIComponent(postId)}/unfavourite`);
  }

  async fetchMentionPage(query: MentionQuery): Promise<MentionPage> {
    const { notifications, nextPageToken, rateLimit } = await this.notificationPage('mention', query);
    // With direct conversations read, a direct status is a private message, never a mention message.
    const isPrivate = (n: MastodonNotification) => Boolean(this.directMessages) && n.status?.visibility === 'direct';
    return {
      mentions: notifications.filter((n) => n.status && !isPrivate(n)).map((n) => this.toMention(n)),
      nextPageToken,
      rateLimit,
    };
  }

  /** Favourites of the brand's statuses, paged exactly like mentions (their own cursor). */
  async fetchLikePage(query: MentionQuery): Promise<LikePage> {
    const { notifications, nextPageToken, rateLimit } = await this.notificationPage('favourite', query);
    const likes = notifications
      .filter((n) => n.status && n.account.id !== this.brandAccountId)
      .map((n) => ({
        platform: 'mastodon' as const,
        id: n.id,
        postId: (n.status as MastodonStatus).id,
        author: this.toAuthor(n.account),
        createdAt: n.created_at,
        cursor: n.id,
      }));
    return { likes, nextPageToken, rateLimit };
  }

  /**
   * One page of one type of notification, newest first (`max_id` paging, which new arrivals do
   * not shift). With a cursor, paging goes on down past it until `rereadCount` already-seen
   * notifications were listed again: Mastodon hands out notification IDs from a sequence before
   * the row is committed, so under load a lower ID can become visible after a higher one was read,
   * and `min_id` = the newest seen would skip it for good. The caller skips what it already has.
   * On the very first poll it stops once the backfill window is covered. Like the server's own
   * `Link: rel="next"`, only a full page says there may be more. Token: `max:<id>:<count below>`.
   */
  private async notificationPage(type: 'mention' | 'favourite', query: MentionQuery) {
    // https://docs.joinmastodon.org/methods/notifications/#get
    const params = new URLSearchParams({ 'types[]': type, limit: String(this.pageSize) });
    const [, maxId, belowSoFar] = (query.pageToken ?? '').split(':');
    if (maxId) params.set('max_id', maxId);
    const { body, rateLimit, link } = await this.call<MastodonNotification[]>('GET', `/api/v1/notifications?${params}`);

    const after = query.after;
    const below = Number(belowSoFar ?? 0) + (after ? body.filter((n) => compareNumericIds(n.id, after) <= 0).length : 0);
    const oldest = body.reduce<MastodonNotification | undefined>((a, b) => (a && compareNumericIds(a.id, b.id) < 0 ? a : b), undefined);
    const covered = after ? below >= this.rereadCount : oldest !== undefined && Date.parse(oldest.created_at) < query.notBefore.getTime();
    const nextMaxId = linkParam(link, 'next', 'max_id') ?? oldest?.id;
    const nextPageToken = body.length === this.pageSize && !covered && nextMaxId ? `max:${nextMaxId}:${below}` : undefined;
    return { notifications: body.filter((n) => n.type === type), nextPageToken, rateLimit };
  }

  compareCursors(a: string, b: string): number {
    return compareNumericIds(a, b);
  }

  private toMention(notification: MastodonNotification): InboundMention {
    const status = notification.status as MastodonStatus;
    const account = status.account;
    return {
      platform: 'mastodon',
      id: status.id,
      text: htmlToText(status.content),
      // The status may live on another server; `url` can be null (then `uri` is the canonical address).
      url: status.url ?? status.uri,
      createdAt: status.created_at,
      author: this.toAuthor(account),
      cursor: notification.id,
      visibility: status.visibility === 'private' ? 'followers' : status.visibility,
      isComment: Boolean(status.in_reply_to_account_id) && status.in_reply_to_account_id === this.brandAccountId,
    };
  }

  private toAuthor(account: MastodonAccount): Author {
    return { id: account.id, handle: this.fullAcct(account.acct), name: account.display_name || account.username, profileUrl: account.url };
  }

  /** `alice` on this instance is `alice@this.host`: one handle form everywhere (contacts, replies). */
  private fullAcct(acct: string): string {
    return acct.includes('@') ? acct : `${acct}@${this.instanceHost}`;
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<{ body: T; rateLimit?: RateLimitState; link?: string }> {
    let response: Response;
    try {
      response = await fetch(`${this.config.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.config.accessToken}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new PlatformError('unavailable', `Mastodon could not be reached: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    }
    const rateLimit = readRateLimit(response.headers);
    const text = await response.text().catch(() => '');
    if (!response.ok) throw toPlatformError(response.status, text, rateLimit);
    try {
      return { body: JSON.parse(text) as T, rateLimit, link: response.headers.get('link') ?? undefined };
    } catch (error) {
      throw new PlatformError('unavailable', `Mastodon's answer was not JSON (HTTP ${response.status})`, { cause: error });
    }
  }
}

/** https://docs.joinmastodon.org/api/rate-limits/: X-RateLimit-Limit, -Remaining, -Reset (an ISO 8601 time). */
function readRateLimit(headers: Headers): RateLimitState | undefined {
  const limit = Number(headers.get('x-ratelimit-limit'));
  const remaining = Number(headers.get('x-ratelimit-remaining'));
  const reset = Date.parse(headers.get('x-ratelimit-reset') ?? '');
  if (!Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset) || headers.get('x-ratelimit-limit') === null) {
    return undefined;
  }
  return { limit, remaining, resetAt: new Date(reset) };
}

function toPlatformError(status: number, text: string, rateLimit: RateLimitState | undefined): PlatformError {
  let detail = `HTTP ${status}`;
  try {
    const parsed = JSON.parse(text) as { error?: string };
    if (parsed.error) detail = parsed.error;
  } catch {
    // not JSON: keep the status
  }
  if (status === 429) {
    // Mastodon's windows are 5 minutes: without a reset header, wait one out.
    const resetAt = rateLimit?.resetAt ?? new Date(Date.now() + 5 * 60_000);
    return new PlatformError('rate_limited', `Mastodon rate limit reached: ${detail}`, { resetAt, status });
  }
  if (status === 401 || status === 403)
    return new PlatformError('unauthorized', `Mastodon refused the access token: ${detail}`, { status });
  if (status >= 500) return new PlatformError('unavailable', `Mastodon is unavailable: ${detail}`, { status });
  return new PlatformError('rejected', `Mastodon refused: ${detail}`, { status });
}

/**
 * Whether `text` @-mentions the account (`acct` as Mastodon gives it: `ada` on this instance,
 * `ada@other.example` elsewhere): "@ada@other.example, thanks" does; "@adam" or
 * "@ada@other.example.org" does not.
 */
export function mentionsAccount(text: string, acct: string, instanceHost: string): boolean {
  const local = acct.includes('@') ? '' : `(@${escapeRegExp(instanceHost)})?`;
  return new RegExp(`(^|[^\\w@])@${escapeRegExp(acct)}${local}(?![\\w@-])(?!\\.\\w)`, 'i').test(text);
}

/** A query parameter of one relation in a `Link` header: `<…?min_id=5>; rel="prev"` → `5`. */
export function linkParam(header: string | undefined, rel: string, param: string): string | undefined {
  for (const part of header?.split(',') ?? []) {
    const match = /<([^>]+)>\s*;\s*rel="([^"]+)"/.exec(part.trim());
    if (match?.[2] === rel && match[1]) return new URL(match[1]).searchParams.get(param) ?? undefined;
  }
  return undefined;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
