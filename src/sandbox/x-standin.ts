import { createHmac, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { twitterText } from '../domain/twitter-text.ts';
import { RateWindows } from './rate-windows.ts';
import { type Reply, StandinServer } from './standin-server.ts';

/**
 * A local stand-in for the X API v2, built from its documentation
 * (https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id): newest first, `since_id`,
 * `start_time`, `pagination_token` paging, `max_results` 5–100, `expansions=author_id` with
 * `includes.users`, only the newest 800 mentions reachable, the three `x-rate-limit-*` headers on
 * every answer, and errors in X's problem format.
 */
export interface XUser {
  id: string;
  username: string;
  name: string;
}

export interface XPost {
  id: string;
  text: string;
  author_id: string;
  created_at: string;
  conversation_id: string;
  in_reply_to_user_id?: string;
  in_reply_to_post_id?: string;
}

/** The brand's OAuth 1.0a user context, as the developer portal issues it. */
export interface XUserContext {
  appKey: string;
  appSecret: string;
  accessToken: string;
  accessSecret: string;
}

export interface XStandinOptions {
  bearerToken?: string;
  userContext?: XUserContext;
  brand?: XUser;
  /** Requests per 15-minute window on the mentions endpoint (300 on pay-per-use/Pro, 10 on Basic). */
  mentionsLimit?: number;
  now?: () => number;
}

const WINDOW_MS = 15 * 60_000;
/** Requests per 15 minutes per user, from X's rate-limit table (pay-per-use / Pro). */
const WINDOW_LIMITS: Record<string, number> = {
  'tweets.create': 100,
  'likes.create': 50,
  'likes.delete': 50,
  'users.me': 75,
  'users.lookup': 300,
  // Direct messages: 15 reads and 15 sends per 15 minutes per user (and 1,440 sends a day).
  'dm_events.read': 15,
  'dm_conversation.events': 15,
  'dm.create': 15,
};
const DM_SENDS_PER_DAY = 1_440;

/** A direct-message event as X returns it (MessageCreate; the others are not modelled). */
export interface XDmEvent {
  id: string;
  event_type: 'MessageCreate';
  text: string;
  sender_id: string;
  dm_conversation_id: string;
  created_at: string;
}
/** X: "only the 800 most recent mentions can be reached". */
const TIMELINE_DEPTH = 800;

/** The stand-in's Snowflake worker number (10 bits). */
const WORKER_ID = 17n;

export class XStandin extends StandinServer {
  readonly bearerToken: string;
  readonly userContext: XUserContext;
  readonly brand: XUser;
  /** Post IDs the brand has liked. */
  readonly likes = new Set<string>();
  private readonly users = new Map<string, XUser>();
  private readonly posts: XPost[] = [];
  private readonly ids = new Set<bigint>();
  private newestId = 0n;
  private readonly windows: RateWindows;
  private readonly now: () => number;
  mentionsLimit: number;
  private readonly dmEvents: XDmEvent[] = [];
  /** Users (by ID) whose settings accept no DMs from the brand. */
  readonly closedInboxes = new Set<string>();
  /** Sends in the rolling day, for X's 1,440-a-day cap. */
  private readonly dmSendTimes: number[] = [];

  constructor(options: XStandinOptions = {}) {
    super();
    this.bearerToken = options.bearerToken ?? 'x-standin-bearer';
    this.userContext = options.userContext ?? {
      appKey: 'standin-app-key',
      appSecret: 'standin-app-secret',
      accessToken: '1500000000000000001-standin-access',
      accessSecret: 'standin-access-secret',
    };
    this.brand = options.brand ?? { id: '1500000000000000001', username: 'northwind', name: 'Northwind Outfitters' };
    this.mentionsLimit = options.mentionsLimit ?? 300;
    this.now = options.now ?? Date.now;
    this.users.set(this.brand.id, this.brand);
    this.windows = new RateWindows(this.now, WINDOW_MS, (operation) =>
      operation === 'mentions' ? this.mentionsLimit : (WINDOW_LIMITS[operation] ?? 75),
    );
  }

  /** The base URL to give the bot (`X_API_URL`). */
  get apiUrl(): string {
    return `${this.url}/2/`;
  }

  /** The environment that points the bot at this stand-in as the brand's X account (sandbox, tests, bench). */
  get env(): Record<string, string> {
    return {
      X_API_URL: this.apiUrl,
      X_BEARER_TOKEN: this.bearerToken,
      X_APP_KEY: this.userContext.appKey,
      X_APP_SECRET: this.userContext.appSecret,
      X_ACCESS_TOKEN: this.userContext.accessToken,
      X_ACCESS_SECRET: this.userContext.accessSecret,
      X_USER_ID: this.brand.id,
    };
  }

  /** Publishes a post mentioning the brand, as `author` would; returns it. */
  addMention(author: Omit<XUser, 'id'> & { id?: string }, text: string, createdAt?: Date, replyTo?: XPost): XPost {
    const mentioning = text.includes(`@${this.brand.username}`) ? text : `@${this.brand.username} ${text}`;
    const post = this.addPost(author, mentioning, createdAt, replyTo);
    this.emit('change', { type: 'mention', post, author: this.users.get(post.author_id) });
    return post;
  }

  /** A customer sends the brand a direct message (a one-to-one conversation); returns the event. */
  addDirectMessage(author: Omit<XUser, 'id'> & { id?: string }, text: string, createdAt?: Date): XDmEvent {
    const user = this.userFor(author);
    const event = this.dmEvent(user.id, this.conversationWith(user.id), text, createdAt);
    this.emit('change', { type: 'dm', event });
    return event;
  }

  /** The one-to-one conversation's ID, as X names it: the two user IDs, smaller first. */
  conversationWith(userId: string): string {
    const [a, b] = [userId, this.brand.id].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
    return `${a}-${b}`;
  }

  /** Every DM either way, oldest first (the sandbox's Networks view). */
  directMessages(): XDmEvent[] {
    return [...this.dmEvents];
  }

  userById(id: string): XUser | undefined {
    return this.users.get(id);
  }

  /** DMs the brand sent, oldest first. */
  sentDirectMessages(): XDmEvent[] {
    return this.dmEvents.filter((event) => event.sender_id === this.brand.id);
  }

  userNamed(username: string): XUser | undefined {
    return [...this.users.values()].find((user) => user.username.toLowerCase() === username.toLowerCase());
  }

  private dmEvent(senderId: string, conversationId: string, text: string, createdAt?: Date): XDmEvent {
    const written = createdAt ?? new Date(this.now());
    const event: XDmEvent = {
      id: this.snowflake(written.getTime(), createdAt === undefined).toString(),
      event_type: 'MessageCreate',
      text,
      sender_id: senderId,
      dm_conversation_id: conversationId,
      created_at: written.toISOString().replace(/\.\d{3}Z$/, '.000Z'),
    };
    this.dmEvents.push(event);
    return event;
  }

  /** Publishes any post (one that does not mention the brand, too). */
  addPost(author: Omit<XUser, 'id'> & { id?: string }, text: string, createdAt?: Date, inReplyTo?: XPost): XPost {
    const user = this.userFor(author);
    const written = createdAt ?? new Date(this.now());
    const id = this.snowflake(written.getTime(), createdAt === undefined).toString();
    const post: XPost = {
      id,
      text,
      author_id: user.id,
      created_at: written.toISOString().replace(/\.\d{3}Z$/, '.000Z'),
      conversation_id: inReplyTo?.conversation_id ?? id,
      // X sets these only on a reply: a post that merely mentions someone has neither.
      in_reply_to_user_id: inReplyTo?.author_id,
      ...(inReplyTo ? { in_reply_to_post_id: inReplyTo.id } : {}),
    };
    this.posts.push(post);
    return post;
  }

  /**
   * A Snowflake ID as X makes them: milliseconds since X's epoch in the top 41 bits, then a worker
   * and a sequence number. A post given an earlier `createdAt` gets an ID below newer ones, as a
   * post does that reaches the mention timeline late (IDs are only ordered to about a second).
   */
  private snowflake(ms: number, isNow: boolean): bigint {
    let id = ((BigInt(ms) - 1_288_834_974_657n) << 22n) | (WORKER_ID << 12n);
    // One worker's sequence: posts made now keep the order they were made in, as tests expect.
    if (isNow && id <= this.newestId) id = this.newestId + 1n;
    while (this.ids.has(id)) id++;
    this.ids.add(id);
    if (id > this.newestId) this.newestId = id;
    return id;
  }

  /** Changes a post's text, as an edit on X does (an edit can remove the mention). */
  editPost(id: string, text: string): void {
    const post = this.posts.find((p) => p.id === id);
    if (!post) throw new Error(`no post ${id}`);
    post.text = text;
  }

  /** Posts that mention the brand, with their authors (the X view of the sandbox). */
  mentions(): Array<XPost & { author: XUser }> {
    return this.posts.filter((post) => this.isMention(post)).map((post) => ({ ...post, author: this.users.get(post.author_id)! }));
  }

  /** What the brand published through the API (replies), oldest first. */
  published(): XPost[] {
    return this.posts.filter((post) => post.author_id === this.brand.id);
  }

  private isMention(post: XPost): boolean {
    return post.author_id !== this.brand.id && post.text.toLowerCase().includes(`@${this.brand.username.toLowerCase()}`);
  }

  protected operationOf(req: http.IncomingMessage, path: string): string {
    if (path === '/2/users/me') return 'users.me';
    if (/^\/2\/users\/[^/]+\/mentions$/.test(path)) return 'mentions';
    if (req.method === 'POST' && path === '/2/tweets') return 'tweets.create';
    if (req.method === 'POST' && /^\/2\/users\/[^/]+\/likes$/.test(path)) return 'likes.create';
    if (req.method === 'DELETE' && /^\/2\/users\/[^/]+\/likes\/[^/]+$/.test(path)) return 'likes.delete';
    if (req.method === 'GET' && /^\/2\/users\/\d+$/.test(path)) return 'users.lookup';
    if (req.method === 'GET' && path === '/2/dm_events') return 'dm_events.read';
    if (req.method === 'GET' && /^\/2\/dm_conversations\/[^/]+\/dm_events$/.test(path)) return 'dm_conversation.events';
    if (req.method === 'POST' && /^\/2\/dm_conversations\/[^/]+\/messages$/.test(path)) return 'dm.create';
    return `${req.method} ${path}`;
  }

  /**
   * Checks an OAuth 1.0a header the way X does: consumer key and token known, HMAC-SHA1 signature
   * over the method, URL and parameters (https://docs.x.com/resources/fundamentals/authentication).
   */
  private isSignedByBrand(req: http.IncomingMessage, path: string, query: Record<string, string>): boolean {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('OAuth ')) return false;
    const oauth = Object.fromEntries(
      [...header.slice(6).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', decodeURIComponent(m[2] ?? '')]),
    );
    const { appKey, appSecret, accessToken, accessSecret } = this.userContext;
    if (oauth.oauth_consumer_key !== appKey || oauth.oauth_token !== accessToken || !oauth.oauth_signature) return false;
    const encode = (value: string) =>
      encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    const params = { ...query, ...oauth };
    delete params.oauth_signature;
    const normalized = Object.keys(params)
      .sort()
      .map((key) => `${encode(key)}=${encode(params[key] ?? '')}`)
      .join('&');
    const base = [req.method ?? 'GET', encode(`http://${req.headers.host}${path}`), encode(normalized)].join('&');
    const expected = createHmac('sha1', `${encode(appSecret)}&${encode(accessSecret)}`)
      .update(base)
      .digest();
    const given = Buffer.from(oauth.oauth_signature, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  protected outageReply(): Reply {
    return problem(503, 'Service Unavailable', 'Service Unavailable', this.rateHeaders('mentions', false));
  }

  protected override rateLimitReply(operation: string, retryAfterSeconds: number): Reply {
    this.windows.exhaust(operation, retryAfterSeconds);
    return problem(429, 'Too Many Requests', 'Too Many Requests', this.rateHeaders(operation, false));
  }

  protected handle(
    operation: string,
    req: http.IncomingMessage,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): Reply {
    const auth = req.headers.authorization ?? '';
    // The brand's own endpoints (and its DMs): its OAuth 1.0a user context only.
    if (operation === 'users.me' || operation === 'tweets.create' || operation.startsWith('likes.') || operation.startsWith('dm')) {
      if (!auth.startsWith('OAuth ')) {
        return problem(403, 'Unsupported Authentication', 'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.');
      }
      if (!this.isSignedByBrand(req, path, query)) return problem(401, 'Unauthorized', 'Unauthorized');
      const headers = this.rateHeaders(operation, true);
      if (headers['x-rate-limit-remaining'] === '-1') return problem(429, 'Too Many Requests', 'Too Many Requests', headers);
      if (operation.startsWith('dm')) return this.directMessageEndpoints(operation, path, query, body, headers);
      if (operation === 'users.me') return { status: 200, body: { data: this.brand }, headers };
      if (operation === 'likes.create') return this.like(path, body, headers);
      if (operation === 'likes.delete') {
        // DELETE /2/users/:id/likes/:tweet_id answers liked: false, liked or not.
        if (path.split('/')[3] !== this.brand.id)
          return problem(403, 'Forbidden', 'You are not permitted to perform this action.', headers);
        this.likes.delete(path.split('/')[5] ?? '');
        this.emit('change', { type: 'unliked' });
        return { status: 200, headers, body: { data: { liked: false } } };
      }
      return this.createPost(body, headers);
    }
    if (operation === 'users.lookup') {
      const user = this.users.get(path.split('/')[3] ?? '');
      if (!user) return { status: 200, body: { errors: [{ title: 'Not Found Error', detail: 'Could not find user.' }] } };
      return { status: 200, body: { data: user }, headers: this.rateHeaders(operation, true) };
    }
    if (operation !== 'mentions') return problem(404, 'Not Found Error', `No route for ${req.method} ${path}`);
    if (auth !== `Bearer ${this.bearerToken}` && !auth.startsWith('OAuth ')) {
      return problem(401, 'Unauthorized', 'Unauthorized');
    }
    const headers = this.rateHeaders(operation, true);
    if (headers['x-rate-limit-remaining'] === '-1') {
      return problem(429, 'Too Many Requests', 'Too Many Requests', this.rateHeaders(operation, false));
    }
    const userId = path.split('/')[3] ?? '';
    if (userId !== this.brand.id) return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', headers);
    return this.mentionTimeline(query, headers);
  }

  /**
   * Direct messages (https://docs.x.com/x-api/direct-messages): the brand's own, with its OAuth 1.0a
   * user context only (an app-only token is refused as for any user-context endpoint); events newest
   * first with `pagination_token`, `max_results` 1–100, `expansions` for senders; a send answers 201
   * with the conversation and event IDs; a person whose settings refuse DMs gets X's 403.
   */
  private directMessageEndpoints(
    operation: string,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
    headers: Record<string, string>,
  ): Reply {
    const conversationId = decodeURIComponent(path.split('/')[3] ?? '');
    if (operation === 'dm.create') {
      const text = typeof body.text === 'string' ? body.text : '';
      if (!text.trim()) return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', headers);
      if (Array.from(text).length > 10_000) {
        return problem(400, 'Invalid Request', 'The `text` field must be at most 10000 characters.', headers, ['text', 'too long']);
      }
      const customer = conversationId.split('-').find((id) => id !== this.brand.id) ?? '';
      if (!this.dmEvents.some((event) => event.dm_conversation_id === conversationId)) {
        return problem(403, 'Forbidden', 'You are not permitted to send messages to this conversation.', headers);
      }
      if (this.closedInboxes.has(customer)) {
        return problem(403, 'Forbidden', 'You are not permitted to send messages to this user.', headers);
      }
      const dayAgo = this.now() - 86_400_000;
      while ((this.dmSendTimes[0] ?? Number.POSITIVE_INFINITY) < dayAgo) this.dmSendTimes.shift();
      if (this.dmSendTimes.length >= DM_SENDS_PER_DAY) return problem(429, 'Too Many Requests', 'Too Many Requests', headers);
      this.dmSendTimes.push(this.now());
      const event = this.dmEvent(this.brand.id, conversationId, text);
      this.emit('change', { type: 'dm-sent', event });
      return { status: 201, headers, body: { data: { dm_conversation_id: conversationId, dm_event_id: event.id } } };
    }
    const paging = pagingOf(query, headers, { min: 1, max: 100, byDefault: 100 });
    if ('status' in paging) return paging;
    const { maxResults, until } = paging;
    // The last 30 days only.
    const oldest = this.now() - 30 * 86_400_000;
    const matching = this.dmEvents
      .filter((event) => operation !== 'dm_conversation.events' || event.dm_conversation_id === conversationId)
      .filter((event) => Date.parse(event.created_at) >= oldest && (until === undefined || BigInt(event.id) < until))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    const page = matching.slice(0, maxResults);
    const last = page.at(-1);
    if (page.length === 0) return { status: 200, headers, body: { meta: { result_count: 0 } } };
    const fields = new Set((query['dm_event.fields'] ?? '').split(','));
    const senders = [...new Set(page.map((event) => event.sender_id))];
    const wantsSenders = (query.expansions ?? '').split(',').includes('sender_id');
    return {
      status: 200,
      headers,
      body: {
        data: page.map((event) => ({
          id: event.id,
          event_type: event.event_type,
          text: event.text,
          ...(fields.has('sender_id') ? { sender_id: event.sender_id } : {}),
          ...(fields.has('dm_conversation_id') ? { dm_conversation_id: event.dm_conversation_id } : {}),
          ...(fields.has('created_at') ? { created_at: event.created_at } : {}),
        })),
        ...(wantsSenders ? { includes: { users: senders.map((id) => this.users.get(id)).filter(Boolean) } } : {}),
        meta: {
          result_count: page.length,
          ...(matching.length > page.length && last ? { next_token: Buffer.from(last.id).toString('base64url') } : {}),
        },
      },
    };
  }

  /** https://docs.x.com/x-api/posts/create-post, with the rules a support bot meets. */
  private createPost(body: Record<string, unknown>, headers: Record<string, string>): Reply {
    const text = typeof body.text === 'string' ? body.text : '';
    if (!text.trim()) return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', headers);
    if (twitterText.parseTweet(text).weightedLength > 280) {
      return problem(
        400,
        'Invalid Request',
        'Your Tweet text is too long. For more information on how X determines text length see https://github.com/twitter/twitter-text.',
        headers,
      );
    }
    const replyTo = (body.reply as { in_reply_to_tweet_id?: unknown } | undefined)?.in_reply_to_tweet_id;
    const target = typeof replyTo === 'string' ? this.posts.find((post) => post.id === replyTo) : undefined;
    if (replyTo !== undefined && !target) {
      return problem(403, 'Forbidden', 'You attempted to reply to a Tweet that is deleted or not visible to you.', headers);
    }
    // Since February 2026, a program may reply only to people who mentioned or quoted the account.
    if (target && target.author_id !== this.brand.id && !this.isMention(target)) {
      return problem(
        403,
        'Forbidden',
        'Reply to this conversation is not allowed because you have not been mentioned or otherwise engaged by the author of the post you are replying to.',
        headers,
      );
    }
    if (this.published().some((post) => post.text === text)) {
      return problem(403, 'Forbidden', 'You are not allowed to create a Tweet with duplicate content.', headers);
    }
    const post = this.addPost(this.brand, text, undefined, target);
    this.emit('change', { type: 'published', post });
    return { status: 201, headers, body: { data: { id: post.id, text: post.text, edit_history_tweet_ids: [post.id] } } };
  }

  private like(path: string, body: Record<string, unknown>, headers: Record<string, string>): Reply {
    if (path.split('/')[3] !== this.brand.id) return problem(403, 'Forbidden', 'You are not permitted to perform this action.', headers);
    const postId = typeof body.tweet_id === 'string' ? body.tweet_id : '';
    if (!this.posts.some((post) => post.id === postId)) {
      return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', headers);
    }
    this.likes.add(postId);
    this.emit('change', { type: 'liked', postId });
    return { status: 200, headers, body: { data: { liked: true } } };
  }

  private mentionTimeline(query: Record<string, string>, headers: Record<string, string>): Reply {
    const paging = pagingOf(query, headers, { min: 5, max: 100, byDefault: 10 });
    if ('status' in paging) return paging;
    const { maxResults, until } = paging;
    let since: bigint | undefined;
    try {
      since = query.since_id ? BigInt(query.since_id) : undefined;
    } catch {
      return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', headers);
    }
    const startTime = query.start_time ? Date.parse(query.start_time) : undefined;
    if (startTime !== undefined && Number.isNaN(startTime)) {
      return problem(400, 'Invalid Request', `Invalid start_time [${query.start_time}]`, headers);
    }
    const reachable = this.posts
      .filter((post) => this.isMention(post))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
      .slice(0, TIMELINE_DEPTH);
    const matching = reachable.filter(
      (post) =>
        (since === undefined || BigInt(post.id) > since) &&
        (until === undefined || BigInt(post.id) < until) &&
        (startTime === undefined || Date.parse(post.created_at) >= startTime),
    );
    const page = matching.slice(0, maxResults);
    const last = page.at(-1);
    const hasMore = matching.length > page.length && last;
    if (page.length === 0) return { status: 200, body: { meta: { result_count: 0 } }, headers };
    const authorIds = [...new Set(page.map((post) => post.author_id))];
    const wantsAuthors = (query.expansions ?? '').split(',').includes('author_id');
    return {
      status: 200,
      headers,
      body: {
        data: page.map((post) => this.postFields(post, query['tweet.fields'])),
        ...(wantsAuthors ? { includes: { users: authorIds.map((id) => this.users.get(id)) } } : {}),
        meta: {
          result_count: page.length,
          newest_id: page[0]?.id,
          oldest_id: last?.id,
          ...(hasMore ? { next_token: Buffer.from(last.id).toString('base64url') } : {}),
        },
      },
    };
  }

  /** A post as X returns it: id, text and edit history always; other fields only when asked for in `tweet.fields`. */
  private postFields(post: XPost, requested = ''): Record<string, unknown> {
    const fields = new Set(requested.split(','));
    const optional: Record<string, unknown> = {
      author_id: post.author_id,
      created_at: post.created_at,
      conversation_id: post.conversation_id,
      in_reply_to_user_id: post.in_reply_to_user_id,
      referenced_tweets: post.in_reply_to_post_id ? [{ type: 'replied_to', id: post.in_reply_to_post_id }] : undefined,
    };
    return {
      id: post.id,
      text: post.text,
      edit_history_tweet_ids: [post.id],
      ...Object.fromEntries(Object.entries(optional).filter(([name, value]) => fields.has(name) && value !== undefined)),
    };
  }

  private userFor(author: Omit<XUser, 'id'> & { id?: string }): XUser {
    const known = [...this.users.values()].find((u) => u.username.toLowerCase() === author.username.toLowerCase());
    if (known) return known;
    const user: XUser = { id: author.id ?? String(2_000_000_000 + this.users.size), username: author.username, name: author.name };
    this.users.set(user.id, user);
    return user;
  }

  /** Spends one request of the window when `spend`; remaining -1 means this request is over the limit. */
  private rateHeaders(operation: string, spend: boolean): Record<string, string> {
    const window = this.windows.take(operation, spend);
    return {
      'x-rate-limit-limit': String(window.limit),
      'x-rate-limit-remaining': String(window.remaining),
      'x-rate-limit-reset': String(Math.ceil(window.resetAt / 1000)),
    };
  }
}

/** `max_results` within the endpoint's bounds, and the ID a `pagination_token` continues below; or X's 400. */
function pagingOf(
  query: Record<string, string>,
  headers: Record<string, string>,
  bounds: { min: number; max: number; byDefault: number },
): { maxResults: number; until?: bigint } | Reply {
  const maxResults = query.max_results ? Number(query.max_results) : bounds.byDefault;
  if (!Number.isInteger(maxResults) || maxResults < bounds.min || maxResults > bounds.max) {
    return problem(
      400,
      'Invalid Request',
      `The \`max_results\` query parameter value [${query.max_results}] is not between ${bounds.min} and ${bounds.max}`,
      headers,
      ['max_results', String(query.max_results)],
    );
  }
  try {
    return {
      maxResults,
      until: query.pagination_token ? BigInt(Buffer.from(query.pagination_token, 'base64url').toString('utf8')) : undefined,
    };
  } catch {
    return problem(400, 'Invalid Request', 'One or more parameters to your request was invalid.', headers);
  }
}

/**
 * X's error body. A 400 Invalid Request names the parameter in `errors` and keeps a generic
 * `detail`, as X does; other problems carry their detail directly.
 */
function problem(status: number, title: string, detail: string, headers?: Record<string, string>, parameter?: [string, string]): Reply {
  const type = status === 429 ? 'about:blank' : 'https://api.twitter.com/2/problems/invalid-request';
  const fixed = headers && headers['x-rate-limit-remaining'] === '-1' ? { ...headers, 'x-rate-limit-remaining': '0' } : headers;
  if (status === 400 && title === 'Invalid Request') {
    const errors = [{ ...(parameter ? { parameters: { [parameter[0]]: [parameter[1]] } } : {}), message: detail }];
    return { status, body: { errors, title, detail: 'One or more parameters to your request was invalid.', type }, headers: fixed };
  }
  return { status, body: { title, detail, type, status }, headers: fixed };
}
