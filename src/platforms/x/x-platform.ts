import { ApiPartialResponseError, ApiRequestError, ApiResponseError, type TwitterApi } from 'twitter-api-v2';
import type { XConfig } from '../../config.ts';
import { hasUrl, measureForX } from '../../domain/reply-text.ts';
import {
  compareNumericIds,
  type InboundMention,
  type MentionPage,
  type MentionQuery,
  type Platform,
  PlatformError,
  type PublishedPost,
  type RateLimitState,
  type RereadWindow,
  type TextMeasure,
  withPlatformErrors,
} from '../platform.ts';
import { createAppOnlyClient, createUserClient } from './x-client.ts';
import { XDirectMessages } from './x-direct-messages.ts';

/** X allows 5–100 per page; the largest page spends the fewest requests of a tight rate limit. */
export const X_MAX_PAGE_SIZE = 100;
const REQUEST_TIMEOUT_MS = 15_000;

interface XTweet {
  id: string;
  text: string;
  author_id?: string;
  created_at?: string;
  in_reply_to_user_id?: string;
  referenced_tweets?: Array<{ type: string; id: string }>;
}
interface XUser {
  id: string;
  name: string;
  username: string;
}
interface XMentionsResponse {
  data?: XTweet[];
  includes?: { users?: XUser[] };
  meta?: { result_count?: number; next_token?: string; newest_id?: string; oldest_id?: string };
}

/** X's pay-per-use prices (PLATFORMS.md): a post with a URL costs $0.20 instead of $0.015. */
const PRICE_PER_POST = '$0.015';
const PRICE_PER_POST_WITH_URL = '$0.20';

export class XPlatform implements Platform {
  readonly id = 'x' as const;
  readonly displayName = 'X';
  /** "Only the 800 most recent mentions can be reached" (X API v2 mention timeline). */
  readonly reachableDepth = 800;
  /** The brand's DMs, when a DMs channel is configured and the user context (which DMs need) is set. */
  directMessages?: XDirectMessages;

  constructor(
    private readonly userId: string,
    readonly brandHandle: string,
    private readonly reader: TwitterApi,
    /** The brand's OAuth 1.0a user context: absent when only reading is configured. */
    private readonly writer: TwitterApi | undefined,
    private readonly pageSize = X_MAX_PAGE_SIZE,
    private readonly reread: Pick<RereadWindow, 'ms'> = { ms: 0 },
  ) {}

  /**
   * Builds the adapter: the brand's user ID from `GET /2/users/me` when it is not configured
   * (that endpoint needs the user-context credentials), and its handle from `GET /2/users/:id`.
   */
  static async connect(config: XConfig, options: { pageSize?: number; directMessages?: boolean } = {}): Promise<XPlatform> {
    const reader = createAppOnlyClient(config.apiUrl, config.bearerToken);
    const writer = config.userContext ? createUserClient(config.apiUrl, config.userContext) : undefined;
    let userId = config.userId;
    let handle: string | undefined;
    if (!userId) {
      if (!writer) throw new PlatformError('unauthorized', 'X_USER_ID is not set and cannot be looked up');
      const me = await callX(() => writer.v2.me());
      userId = me.data.id;
      handle = me.data.username;
    }
    const brandId = userId;
    handle ??= (await callX(() => reader.v2.user(brandId))).data.username;
    const platform = new XPlatform(brandId, handle, reader, writer, options.pageSize, { ms: config.rereadMinutes * 60_000 });
    if (options.directMessages && writer) {
      platform.directMessages = new XDirectMessages(writer, brandId, handle, config.dmPollIntervalSeconds * 1000);
    }
    return platform;
  }

  measureText(text: string): TextMeasure {
    return measureForX(text);
  }

  replyWarning(text: string): string | undefined {
    return hasUrl(text)
      ? `Contains a link: X charges ${PRICE_PER_POST_WITH_URL} for a post with a URL (${PRICE_PER_POST} without).`
      : undefined;
  }

  async publishReply(request: { inReplyTo: string; text: string }): Promise<PublishedPost> {
    const writer = this.requireWriter('reply');
    // https://docs.x.com/x-api/posts/create-post: reply.in_reply_to_tweet_id
    const created = await callX(() =>
      writer.v2.post<{ data: { id: string; text: string } }>(
        'tweets',
        { text: request.text, reply: { in_reply_to_tweet_id: request.inReplyTo } },
        { timeout: REQUEST_TIMEOUT_MS },
      ),
    );
    return { id: created.data.id, url: `https://x.com/${this.brandHandle}/status/${created.data.id}` };
  }

  async like(postId: string): Promise<void> {
    const writer = this.requireWriter('like');
    await callX(() => writer.v2.post(`users/${this.userId}/likes`, { tweet_id: postId }, { timeout: REQUEST_TIMEOUT_MS }));
  }

  async unlike(postId: string): Promise<void> {
    const writer = this.requireWriter('unlike');
    await callX(() =>
      writer.v2.delete(`users/${this.userId}/likes/${encodeURIComponent(postId)}`, undefined, { timeout: REQUEST_TIMEOUT_MS }),
    );
  }

  private requireWriter(action: string): TwitterApi {
    if (!this.writer) {
      throw new PlatformError(
        'unauthorized',
        `X_APP_KEY, X_APP_SECRET, X_ACCESS_TOKEN and X_ACCESS_SECRET are not set: Switchboard can read X but not ${action} as the brand`,
      );
    }
    return this.writer;
  }

  get brandUserId(): string {
    return this.userId;
  }

  async fetchMentionPage(query: MentionQuery): Promise<MentionPage> {
    // https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id
    const params: Record<string, string> = {
      max_results: String(this.pageSize),
      expansions: 'author_id',
      'tweet.fields': 'created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets',
      'user.fields': 'username,name',
    };
    if (query.after) params.since_id = rewoundSinceId(query.after, this.reread.ms);
    else params.start_time = query.notBefore.toISOString();
    if (query.pageToken) params.pagination_token = query.pageToken;

    const response = await callX(() =>
      this.reader.v2.get<XMentionsResponse>(`users/${this.userId}/mentions`, params, {
        fullResponse: true,
        timeout: REQUEST_TIMEOUT_MS,
      }),
    );
    const body = response.data;
    const users = new Map((body.includes?.users ?? []).map((user) => [user.id, user]));
    return {
      mentions: (body.data ?? []).map((tweet) => toMention(tweet, users, this.userId)),
      nextPageToken: body.meta?.next_token,
      rateLimit: response.rateLimit ? toRateLimit(response.rateLimit) : undefined,
    };
  }

  compareCursors(a: string, b: string): number {
    return compareNumericIds(a, b);
  }
}

/** X's Snowflake epoch (2010-11-04T01:42:54.657Z): an ID's top 41 bits are milliseconds since it. */
const SNOWFLAKE_EPOCH_MS = 1_288_834_974_657n;

/** When a post ID was made, to the millisecond. */
export function snowflakeTime(id: string): number {
  return Number((BigInt(id) >> 22n) + SNOWFLAKE_EPOCH_MS);
}

/** The smallest ID X could have made at `ms`: `since_id` of it returns everything made after. */
export function snowflakeAt(ms: number): string {
  const sinceEpoch = BigInt(Math.floor(ms)) - SNOWFLAKE_EPOCH_MS;
  return (sinceEpoch > 0n ? sinceEpoch << 22n : 1n).toString();
}

/**
 * The `since_id` that re-reads the window before `cursor`. Snowflake IDs are only k-sorted (within
 * about a second) and a post can reach the mention timeline after newer ones, so `since_id` =
 * the newest ID seen would skip it for good: reading from an ID minted `windowMs` earlier catches
 * it (https://github.com/tesaguri/leaky-snowflake). X bills a post read twice in one UTC day once
 * (docs.x.com, Usage and billing: daily deduplication), so the overlap costs no extra reads.
 */
export function rewoundSinceId(cursor: string, windowMs: number): string {
  if (windowMs <= 0) return cursor;
  const rewound = snowflakeAt(snowflakeTime(cursor) - windowMs);
  return compareNumericIds(rewound, cursor) < 0 ? rewound : cursor;
}

function toMention(tweet: XTweet, users: Map<string, XUser>, brandId: string): InboundMention {
  const user = tweet.author_id ? users.get(tweet.author_id) : undefined;
  const handle = user?.username ?? 'i';
  return {
    platform: 'x',
    id: tweet.id,
    text: tweet.text,
    url: `https://x.com/${handle}/status/${tweet.id}`,
    createdAt: tweet.created_at ?? new Date().toISOString(),
    author: {
      id: tweet.author_id ?? 'unknown',
      handle: user?.username ?? 'unknown',
      name: user?.name ?? user?.username ?? 'Unknown author',
      profileUrl: user ? `https://x.com/${user.username}` : 'https://x.com',
    },
    // The post's millisecond, not the post: a cursor outlives an erasure of its author, so it names
    // no one's post. A post from the same millisecond counts as at the cursor and is re-read.
    cursor: snowflakeAt(snowflakeTime(tweet.id)),
    isComment: tweet.in_reply_to_user_id === brandId && (tweet.referenced_tweets ?? []).some((ref) => ref.type === 'replied_to'),
  };
}

function toRateLimit(rate: { limit: number; remaining: number; reset: number }): RateLimitState {
  return { limit: rate.limit, remaining: rate.remaining, resetAt: new Date(rate.reset * 1000) };
}

/** Runs one X call and turns whatever the library throws into a PlatformError. */
const callX = <T>(call: () => Promise<T>): Promise<T> => withPlatformErrors(call, toPlatformError);

export function toPlatformError(error: unknown): PlatformError {
  if (error instanceof ApiResponseError) {
    const status = error.code;
    const detail = describeXError(error.data) ?? `HTTP ${status}`;
    if (status === 429) {
      const reset = error.rateLimit?.reset;
      // Without the header, wait a full 15-minute window: X's rate windows are 15 minutes.
      const resetAt = reset ? new Date(reset * 1000) : new Date(Date.now() + 15 * 60_000);
      return new PlatformError('rate_limited', `X rate limit reached: ${detail}`, { resetAt, status, cause: error });
    }
    if (status === 401) return new PlatformError('unauthorized', `X refused the credentials: ${detail}`, { status, cause: error });
    if (status === 403 && /duplicate content/i.test(detail)) {
      return new PlatformError('duplicate', `X refused a duplicate: ${detail}`, { status, cause: error });
    }
    if (status >= 500) return new PlatformError('unavailable', `X is unavailable: ${detail}`, { status, cause: error });
    return new PlatformError('rejected', `X refused: ${detail}`, { status, cause: error });
  }
  if (error instanceof ApiRequestError) {
    return new PlatformError('unavailable', `X could not be reached: ${error.requestError.message}`, { cause: error });
  }
  if (error instanceof ApiPartialResponseError) {
    return new PlatformError('unavailable', `X's answer was cut off: ${error.message}`, { cause: error });
  }
  if (error instanceof PlatformError) return error;
  return new PlatformError('unavailable', `X call failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

function describeXError(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const record = data as { detail?: unknown; title?: unknown; errors?: Array<{ message?: string; detail?: string }> };
  // An Invalid Request says which parameter in `errors`; its `detail` is only "One or more parameters…".
  const first = record.errors?.[0];
  if (first?.message || first?.detail) return first.message ?? first.detail;
  if (typeof record.detail === 'string') return record.detail;
  return typeof record.title === 'string' ? record.title : undefined;
}
