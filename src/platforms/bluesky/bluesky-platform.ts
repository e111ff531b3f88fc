import { createHash } from 'node:crypto';
import { AtpAgent, type AtpSessionData, RichText, XRPCError } from '@atproto/api';
import type { BlueskyConfig } from '../../config.ts';
import { measureForBluesky } from '../../domain/reply-text.ts';
import type { Log } from '../../log.ts';
import type { SessionRepository } from '../../services/repositories.ts';
import {
  type Author,
  type InboundMention,
  type LikePage,
  type MentionPage,
  type MentionQuery,
  type Platform,
  PlatformError,
  type PublishedPost,
  profileUrlOf,
  type RateLimitState,
  type RereadWindow,
  type TextMeasure,
  withPlatformErrors,
} from '../platform.ts';
import { BlueskyChat } from './bluesky-chat.ts';

/** listNotifications takes 1–100: the largest page re-reads the window in the fewest requests. */
export const BLUESKY_PAGE_SIZE = 100;
const POST = 'app.bsky.feed.post';
/** Notifications that are someone talking to the brand (likes, reposts and follows are not). */
const REASONS = ['mention', 'reply', 'quote'];

interface NotificationView {
  uri: string;
  cid: string;
  author: { did: string; handle: string; displayName?: string };
  reason: string;
  record: { text?: string; createdAt?: string };
  indexedAt: string;
  /** For a like: the post that was liked. */
  reasonSubject?: string;
}

/**
 * Bluesky through `@atproto/api`. The session is created once and kept in DATA_DIR, so a restart
 * refreshes it instead of logging in again (createSession: 30 per 5 min, 300 a day); an expired
 * access token is refreshed by the agent and the call repeated, never a new login per poll.
 *
 * Notifications page toward older ones, so a poll reads newest first, down past the newest one
 * already posted by the re-read window (a late notification sorts below it). Cursors are
 * `indexedAt|<hash of the URI>`, ordered as text. A reply's record key is derived
 * from the outbox key and the request time, so a retry finds the reply it already made instead of
 * posting again (Bluesky has no idempotency key and no duplicate check).
 */
export class BlueskyPlatform implements Platform {
  readonly id = 'bluesky' as const;
  readonly displayName = 'Bluesky';
  /** Chats, when a DMs channel is configured (the app password must allow direct messages). */
  directMessages?: BlueskyChat;

  private constructor(
    private readonly agent: AtpAgent,
    private readonly did: string,
    readonly brandHandle: string,
    private readonly pageSize: number,
    private readonly reread: RereadWindow,
  ) {}

  static async connect(
    config: BlueskyConfig,
    options: { sessions: SessionRepository; pageSize?: number; log: Log; directMessages?: { pollIntervalMs: number } },
  ): Promise<BlueskyPlatform> {
    const { sessions } = options;
    // Which app password the saved session was made with, as a hash (never the password itself).
    const fingerprint = createHash('sha256').update(`switchboard-bluesky-session:${config.identifier}:${config.appPassword}`).digest('hex');
    // The agent reports session changes synchronously; they are written in order, one after another.
    let writes = Promise.resolve();
    const persist = (write: () => Promise<void>) => {
      writes = writes.then(write).catch((error: unknown) => options.log.warn('could not keep the Bluesky session', { error }));
    };
    const agent = new AtpAgent({
      service: config.service,
      persistSession: (event, session) => {
        if ((event === 'create' || event === 'update') && session) {
          persist(() => sessions.save('bluesky', { ...session, passwordFingerprint: fingerprint }));
        }
        if (event === 'expired' || event === 'create-failed') persist(() => sessions.clear('bluesky'));
      },
    });
    const stored = await sessions.load('bluesky');
    const saved = asSession(stored);
    // A session made with another app password is not resumed: a new password (one allowed to read
    // direct messages, say) must take effect, not be ignored for the old session's lifetime.
    const samePassword = (stored as { passwordFingerprint?: unknown } | undefined)?.passwordFingerprint === fingerprint;
    const sameAccount = saved && samePassword && (saved.handle === config.identifier || saved.did === config.identifier);
    let resumed = false;
    if (saved && sameAccount) {
      try {
        await agent.resumeSession(saved);
        resumed = true;
        options.log.info('Bluesky session resumed (refreshed, no new login)');
      } catch (error) {
        const mapped = toPlatformError(error);
        if (mapped.isTransient) throw mapped;
        options.log.info('the saved Bluesky session has expired; logging in again');
      }
    }
    if (!resumed) await call(() => agent.login({ identifier: config.identifier, password: config.appPassword }));
    const session = agent.session;
    if (!session) throw new PlatformError('unauthorized', 'Bluesky did not open a session');
    const reread = { ms: config.reread.hours * 3_600_000, count: config.reread.count };
    const platform = new BlueskyPlatform(agent, session.did, session.handle, Math.min(options.pageSize ?? BLUESKY_PAGE_SIZE, 100), reread);
    if (options.directMessages) {
      platform.directMessages = new BlueskyChat(agent, session.did, options.directMessages.pollIntervalMs, toPlatformError);
    }
    return platform;
  }

  measureText(text: string): TextMeasure {
    return measureForBluesky(text);
  }

  replyWarning(): string | undefined {
    return undefined;
  }

  async fetchMentionPage(query: MentionQuery): Promise<MentionPage> {
    const { notifications, nextPageToken, rateLimit } = await this.notificationPage(REASONS, query);
    const mentions = notifications.filter((n) => n.author.did !== this.did && n.uri.includes(`/${POST}/`)).map((n) => toMention(n));
    return { mentions, nextPageToken, rateLimit };
  }

  /** Likes of the brand's posts, from the same notifications (reason `like`), with their own cursor. */
  async fetchLikePage(query: MentionQuery): Promise<LikePage> {
    const { notifications, nextPageToken, rateLimit } = await this.notificationPage(['like'], query);
    const ownPost = (uri?: string) => Boolean(uri?.startsWith(`at://${this.did}/${POST}/`));
    return {
      likes: notifications
        .filter((n) => ownPost(n.reasonSubject))
        .map((n) => ({
          platform: 'bluesky' as const,
          id: n.uri,
          postId: n.reasonSubject as string,
          author: toAuthor(n.author),
          createdAt: n.indexedAt,
          cursor: cursorOf(n),
        })),
      nextPageToken,
      rateLimit,
    };
  }

  /**
   * One page of notifications, newest first. Their order is the author's clock (the AppView's
   * `indexedAt` is the record's own `createdAt`), so a notification can be listed below ones
   * already seen: paging goes on past the cursor until the re-read window is covered (notifications
   * `reread.ms` older than the cursor, or `reread.count` at or below it), and the caller skips
   * what it already has. On the very first poll it stops once the backfill window is covered.
   * The page token carries the count below the cursor so far: `<count>:<the API's cursor>`.
   */
  private async notificationPage(reasons: string[], query: MentionQuery) {
    const separator = query.pageToken?.indexOf(':') ?? -1;
    const belowSoFar = separator > 0 ? Number(query.pageToken?.slice(0, separator)) : 0;
    const apiCursor = separator > 0 ? query.pageToken?.slice(separator + 1) : undefined;
    const response = await call(() =>
      this.agent.app.bsky.notification.listNotifications({ limit: this.pageSize, cursor: apiCursor, reasons }),
    );
    const all = response.data.notifications as NotificationView[];
    const after = query.after;
    const below = belowSoFar + (after ? all.filter((n) => this.compareCursors(cursorOf(n), after) <= 0).length : 0);
    const oldest = all.at(-1);
    const oldestAt = oldest ? Date.parse(oldest.indexedAt) : Number.NaN;
    const covered = after
      ? below >= this.reread.count || oldestAt < Date.parse(after.slice(0, after.indexOf('|'))) - this.reread.ms
      : oldestAt < query.notBefore.getTime();
    // The AppView returns a cursor on the last page too: only an empty page says the list is over.
    const more = Boolean(response.data.cursor) && all.length > 0;
    return {
      notifications: all.filter((n) => reasons.includes(n.reason)),
      nextPageToken: more && !covered ? `${below}:${response.data.cursor}` : undefined,
      rateLimit: readRateLimit(response.headers),
    };
  }

  compareCursors(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  async publishReply(request: { inReplyTo: string; text: string; idempotencyKey: string; requestedAt?: string }): Promise<PublishedPost> {
    const rkey = tidFor(request.requestedAt ?? new Date().toISOString(), request.idempotencyKey);
    const existing = await this.findOwnPost(rkey);
    if (existing) return { id: existing, url: this.postUrl(rkey) };

    const parent = await this.post(request.inReplyTo);
    // A reply names the thread's first post (root) and the post it answers (parent).
    const root = (parent.record as { reply?: { root?: { uri: string; cid: string } } }).reply?.root ?? { uri: parent.uri, cid: parent.cid };
    const text = new RichText({ text: request.text });
    // Turns @handles and links into facets, so the customer is notified and links work.
    await call(() => text.detectFacets(this.agent));
    const created = await call(() =>
      this.agent.com.atproto.repo.createRecord({
        repo: this.did,
        collection: POST,
        rkey,
        record: {
          $type: POST,
          text: text.text,
          facets: text.facets,
          reply: { root, parent: { uri: parent.uri, cid: parent.cid } },
          createdAt: new Date().toISOString(),
        },
      }),
    );
    return { id: created.data.uri, url: this.postUrl(rkey) };
  }

  async like(postUri: string): Promise<void> {
    const post = await this.post(postUri);
    // A second like record would count twice: the viewer state says whether the brand already likes it.
    if ((post.viewer as { like?: string } | undefined)?.like) return;
    await call(() => this.agent.like(post.uri, post.cid));
  }

  private async post(uri: string) {
    const found = await call(() => this.agent.app.bsky.feed.getPosts({ uris: [uri] }));
    const post = found.data.posts[0];
    if (!post) throw new PlatformError('rejected', 'Bluesky: the post no longer exists (deleted?)');
    return post;
  }

  private async findOwnPost(rkey: string): Promise<string | undefined> {
    try {
      const found = await this.agent.com.atproto.repo.getRecord({ repo: this.did, collection: POST, rkey });
      return found.data.uri;
    } catch (error) {
      if (error instanceof XRPCError && (error.error === 'RecordNotFound' || error.status === 404)) return undefined;
      if (error instanceof XRPCError && error.status === 400 && /not found/i.test(error.message)) return undefined;
      throw toPlatformError(error);
    }
  }

  private postUrl(rkey: string): string {
    return `https://bsky.app/profile/${this.brandHandle}/post/${rkey}`;
  }
}

const toAuthor = (author: NotificationView['author']): Author => ({
  id: author.did,
  handle: author.handle,
  name: author.displayName || author.handle,
  profileUrl: profileUrlOf('bluesky', author.handle),
});

/**
 * `indexedAt|<hash of the URI>`: ordered by time, ties broken by something stable. The URI itself
 * names the author's DID, and a cursor is kept after the author is erased, so only a hash is kept.
 */
const cursorOf = (n: NotificationView) => `${n.indexedAt}|${createHash('sha256').update(n.uri).digest('hex').slice(0, 16)}`;

function toMention(n: NotificationView): InboundMention {
  const rkey = n.uri.split('/').pop() ?? '';
  return {
    platform: 'bluesky',
    id: n.uri,
    text: n.record.text ?? '',
    url: `https://bsky.app/profile/${n.author.handle}/post/${rkey}`,
    createdAt: n.record.createdAt ?? n.indexedAt,
    author: toAuthor(n.author),
    cursor: cursorOf(n),
    // "reply" is a reply in one of the brand's threads; mentions and quotes are not comments.
    isComment: n.reason === 'reply',
  };
}

const TID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';

/**
 * A record key in the TID format (13 base32-sortable characters: 53 bits of microseconds since
 * the epoch, 10 bits of clock ID), from the request's time and a hash of its key: the same request
 * always gets the same key, and keys sort by time like any other post's.
 */
export function tidFor(requestedAt: string, key: string): string {
  const micros =
    BigInt(Date.parse(requestedAt)) * 1000n +
    BigInt(Number.parseInt(createHash('sha256').update(key).digest('hex').slice(0, 3), 16) % 1000);
  const clockId = BigInt(Number.parseInt(createHash('sha256').update(`clock:${key}`).digest('hex').slice(0, 3), 16) & 0x3ff);
  let value = (micros << 10n) | clockId;
  let tid = '';
  for (let i = 0; i < 13; i++) {
    tid = TID_ALPHABET[Number(value & 31n)] + tid;
    value >>= 5n;
  }
  return tid;
}

/** https://docs.bsky.app/docs/advanced-guides/rate-limits: ratelimit-limit, -remaining, -reset (Unix seconds). */
function readRateLimit(headers: Record<string, string | undefined>): RateLimitState | undefined {
  const limit = Number(headers['ratelimit-limit']);
  const remaining = Number(headers['ratelimit-remaining']);
  const reset = Number(headers['ratelimit-reset']);
  if (!headers['ratelimit-limit'] || !Number.isFinite(limit) || !Number.isFinite(remaining) || !Number.isFinite(reset)) return undefined;
  return { limit, remaining, resetAt: new Date(reset * 1000) };
}

/** Runs one Bluesky call and turns what @atproto/api throws into a PlatformError. */
const call = <T>(run: () => Promise<T>): Promise<T> => withPlatformErrors(run, toPlatformError);

export function toPlatformError(error: unknown): PlatformError {
  if (error instanceof PlatformError) return error;
  if (error instanceof XRPCError) {
    const detail = `${error.error ?? 'error'}: ${error.message}`;
    const status = error.status;
    if (status === 429) {
      const reset = Number(error.headers?.['ratelimit-reset']);
      const resetAt = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : new Date(Date.now() + 5 * 60_000);
      return new PlatformError('rate_limited', `Bluesky rate limit reached (${detail})`, { resetAt, status, cause: error });
    }
    if (
      status === 401 ||
      ['AuthRequired', 'InvalidToken', 'ExpiredToken', 'AuthenticationRequired', 'AccountTakedown'].includes(error.error)
    ) {
      return new PlatformError('unauthorized', `Bluesky refused the login (${detail})`, { status, cause: error });
    }
    // 1 and 2 are @atproto/xrpc's "no answer" and "unreadable answer".
    if (status >= 500 || status === 1 || status === 2)
      return new PlatformError('unavailable', `Bluesky is unavailable (${detail})`, { status, cause: error });
    return new PlatformError('rejected', `Bluesky refused (${detail})`, { status, cause: error });
  }
  return new PlatformError('unavailable', `Bluesky call failed: ${error instanceof Error ? error.message : String(error)}`, {
    cause: error,
  });
}

export type { AtpSessionData };

/** A stored session, if it still has what resuming needs. */
function asSession(value: unknown): AtpSessionData | undefined {
  const data = value as Partial<AtpSessionData> | undefined;
  return typeof data?.did === 'string' && typeof data.refreshJwt === 'string' && typeof data.accessJwt === 'string'
    ? (data as AtpSessionData)
    : undefined;
}
