import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { BlueskyChatStandin } from './bluesky-chat-standin.ts';
import { RateWindows } from './rate-windows.ts';
import { type Reply, StandinServer } from './standin-server.ts';

/**
 * A local stand-in for a Bluesky PDS and AppView over XRPC, built from the atproto docs
 * (https://docs.bsky.app/docs/api/, the lexicons, and the rate-limit guide) and checked against the
 * reference PDS and AppView (`@atproto/dev-env`, test/real/): createSession (30 per 5 minutes,
 * failed logins included, so after 30 wrong passwords the right one gets 429 too), refreshSession
 * (the refresh token rotates) and getSession; access tokens that expire and answer
 * `400 ExpiredToken`; listNotifications newest first by `indexedAt`, which is the post's own
 * `createdAt` (the author's clock, never later than arrival), so a late post sorts below newer ones;
 * its cursor is the last item's timestamp, sent on the last page too, and the next page holds
 * strictly older ones; notifications only for a mention facet (typed "@handle" text makes none),
 * replies in the brand's threads and quotes, one per post; no `displayName` for an author without a
 * profile; getPosts with the viewer's like; createRecord (reply root/parent checked; 300 graphemes
 * and 3,000 bytes, with the PDS's own messages; an existing rkey answers 500 as the PDS does),
 * getRecord (400 RecordNotFound), resolveHandle; `ratelimit-*` headers on every answer; errors as
 * `{ error, message }`. Answers pass @atproto/api's lexicon validation (real DIDs, handles, CIDs and
 * datetimes).
 */
export interface BskyProfile {
  did: string;
  handle: string;
  displayName?: string;
}

export interface BskyPost {
  uri: string;
  cid: string;
  author: BskyProfile;
  record: {
    $type: 'app.bsky.feed.post';
    text: string;
    createdAt: string;
    reply?: { root: { uri: string; cid: string }; parent: { uri: string; cid: string } };
    facets?: unknown[];
    embed?: unknown;
  };
  indexedAt: string;
}

interface Notification {
  uri: string;
  cid: string;
  author: BskyProfile;
  reason: 'mention' | 'reply' | 'quote' | 'like' | 'follow';
  /** For a like: the post that was liked. */
  reasonSubject?: string;
  /** The post itself, or for a like the like record. */
  record: BskyPost['record'] | { $type: 'app.bsky.feed.like'; subject: { uri: string; cid: string }; createdAt: string };
  indexedAt: string;
}

export interface BlueskyStandinOptions {
  handle?: string;
  appPassword?: string;
  /** How long an access token lives (the real service: about two hours). */
  accessTokenTtlMs?: number;
  now?: () => number;
}

const WINDOW_MS = 5 * 60_000;
const SESSION_LIMIT = 30;
const REQUEST_LIMIT = 3000;
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

export class BlueskyStandin extends StandinServer {
  readonly brand: BskyProfile;
  /** The brand's app password; a test may change it (the operator made a new one). */
  appPassword: string;
  accessTokenTtlMs: number;
  /** How many times createSession succeeded (the bot should log in once, then refresh). */
  sessionsCreated = 0;
  refreshes = 0;
  /** Post URIs the brand has liked, with the like record's URI. */
  readonly likes = new Map<string, string>();
  private readonly profiles = new Map<string, BskyProfile>();
  private readonly posts: BskyPost[] = [];
  private readonly notifications: Notification[] = [];
  private readonly access = new Map<string, { did: string; expiresAt: number }>();
  private readonly refresh = new Map<string, string>();
  private readonly windows: RateWindows;
  private readonly now: () => number;
  private clock = 0;
  /** The chat service the PDS forwards chat.bsky.* calls to. */
  readonly chat: BlueskyChatStandin;

  constructor(options: BlueskyStandinOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.appPassword = options.appPassword ?? 'abcd-efgh-ijkl-mnop';
    this.accessTokenTtlMs = options.accessTokenTtlMs ?? 2 * 3_600_000;
    this.brand = this.profile({ handle: options.handle ?? 'northwind.bsky.social', displayName: 'Northwind Outfitters' });
    this.windows = new RateWindows(this.now, WINDOW_MS, (bucket) => (bucket === 'session' ? SESSION_LIMIT : REQUEST_LIMIT));
    this.chat = new BlueskyChatStandin(this.brand, this.now);
  }

  /** A customer sends the brand a chat message (opening a conversation request when they have none). */
  addChatMessage(author: { handle: string; displayName?: string }, text: string, createdAt?: Date) {
    const message = this.chat.customerWrites(this.profile(author), text, createdAt);
    this.emit('change', { type: 'chat', message });
    return message;
  }

  /** The profile a handle stands for (the same the stand-in uses for posts and chats). */
  profileOf(author: { handle: string; displayName?: string }): BskyProfile {
    return this.profile(author);
  }

  /** The base URL to give the bot (`BLUESKY_SERVICE`). */
  get apiUrl(): string {
    return this.url;
  }

  /** Makes every access token issued so far expire now (as two hours passing would). */
  expireAccessTokens(): void {
    for (const token of this.access.values()) token.expiresAt = 0;
  }

  /**
   * A customer posts mentioning the brand (or replying to `replyTo`). The brand's @handle is added
   * when the text lacks it (not on a reply), as a mention facet unless `facet: false` (a client that
   * only typed the text). `createdAt` is the author's clock: a slow clock or a backdated post.
   */
  addMention(
    author: { handle: string; displayName?: string },
    text: string,
    options: { replyTo?: BskyPost; createdAt?: Date; facet?: boolean } = {},
  ): BskyPost {
    const body = options.replyTo || text.includes(`@${this.brand.handle}`) ? text : `@${this.brand.handle} ${text}`;
    return this.customerPost(author, body, options);
  }

  /** A customer quotes one of the brand's posts (a quote notification, no mention needed). */
  addQuote(author: { handle: string; displayName?: string }, text: string, quoted: BskyPost): BskyPost {
    return this.customerPost(author, text, { quote: quoted });
  }

  /**
   * Any post by a customer, notified to the brand as the AppView does: `mention` when a facet
   * mentions the brand (a reply that mentions it too makes this one notification), else `reply`
   * when the brand wrote the parent or the thread's root, else `quote` when it quotes the brand.
   */
  customerPost(
    author: { handle: string; displayName?: string },
    text: string,
    options: { replyTo?: BskyPost; quote?: BskyPost; createdAt?: Date; facet?: boolean } = {},
  ): BskyPost {
    const profile = this.profile(author);
    const parent = options.replyTo;
    const reply = parent
      ? { root: parent.record.reply?.root ?? { uri: parent.uri, cid: parent.cid }, parent: { uri: parent.uri, cid: parent.cid } }
      : undefined;
    const facets = options.facet === false ? undefined : this.mentionFacets(text);
    const embed = options.quote
      ? { $type: 'app.bsky.embed.record', record: { uri: options.quote.uri, cid: options.quote.cid } }
      : undefined;
    const post = this.addPost(profile, text, reply, options.createdAt, this.tid(), facets, embed);
    const brandWrote = (uri?: string) => Boolean(uri?.startsWith(`at://${this.brand.did}/`));
    const reason = JSON.stringify(facets ?? []).includes(this.brand.did)
      ? 'mention'
      : brandWrote(reply?.parent.uri) || brandWrote(reply?.root.uri)
        ? 'reply'
        : brandWrote(options.quote?.uri)
          ? 'quote'
          : undefined;
    if (reason) {
      this.notifications.push({ uri: post.uri, cid: post.cid, author: profile, reason, record: post.record, indexedAt: post.indexedAt });
      this.emit('change', { type: 'mention', post });
    }
    return post;
  }

  /** Mention facets for every @handle in `text` that names a known account, with UTF-8 byte offsets. */
  private mentionFacets(text: string): unknown[] | undefined {
    const facets: unknown[] = [];
    for (const match of text.matchAll(/(^|\s)@([a-z0-9.-]+\.[a-z]+)/gi)) {
      const profile = this.profiles.get((match[2] ?? '').toLowerCase());
      if (!profile) continue;
      const byteStart = Buffer.byteLength(text.slice(0, (match.index ?? 0) + (match[1] ?? '').length));
      const byteEnd = byteStart + Buffer.byteLength(`@${match[2]}`);
      facets.push({
        $type: 'app.bsky.richtext.facet',
        index: { byteStart, byteEnd },
        features: [{ $type: 'app.bsky.richtext.facet#mention', did: profile.did }],
      });
    }
    return facets.length ? facets : undefined;
  }

  /** The brand posts something of its own (customers then reply to it). */
  brandPost(text: string): BskyPost {
    return this.addPost(this.brand, text);
  }

  /** Someone likes one of the brand's posts (a new one if it has none): a `like` notification, not a mention. */
  addLikeNotification(
    author: { handle: string; displayName?: string },
    subject = this.published().at(-1) ?? this.brandPost('Hello from the brand'),
  ): void {
    const profile = this.profile(author);
    const indexedAt = this.timestamp();
    this.notifications.push({
      uri: `at://${profile.did}/app.bsky.feed.like/${this.tid()}`,
      cid: cidOf(`like:${profile.did}:${subject.uri}`),
      author: profile,
      reason: 'like',
      reasonSubject: subject.uri,
      record: { $type: 'app.bsky.feed.like', subject: { uri: subject.uri, cid: subject.cid }, createdAt: indexedAt },
      indexedAt,
    });
    this.emit('change', { type: 'liked', subject });
  }

  published(): BskyPost[] {
    return this.posts.filter((post) => post.author.did === this.brand.did);
  }

  mentionPosts(): BskyPost[] {
    return this.notifications
      .filter((n) => n.reason === 'mention' || n.reason === 'reply')
      .map((n) => this.posts.find((p) => p.uri === n.uri) as BskyPost);
  }

  protected operationOf(_req: http.IncomingMessage, path: string): string {
    return path.replace(/^\/xrpc\//, '');
  }

  protected outageReply(): Reply {
    return { status: 503, body: { error: 'InternalServerError', message: 'Service Unavailable' } };
  }

  protected override rateLimitReply(operation: string, retryAfterSeconds: number): Reply {
    // createSession answers with its own window's headers (30;w=300), as the PDS does.
    const bucket = operation === 'com.atproto.server.createSession' ? 'session' : 'all';
    this.windows.exhaust(bucket, retryAfterSeconds);
    return { status: 429, body: { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }, headers: this.rateHeaders(bucket, false) };
  }

  protected handle(
    operation: string,
    req: http.IncomingMessage,
    _path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): Reply {
    const headers = this.rateHeaders('all', true);
    if (Number(headers['ratelimit-remaining']) < 0)
      return this.error(429, 'RateLimitExceeded', 'Rate Limit Exceeded', { ...headers, 'ratelimit-remaining': '0' });
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    switch (operation) {
      case 'com.atproto.server.createSession':
        return this.createSession(body, headers);
      case 'com.atproto.server.refreshSession':
        return this.refreshSession(bearer, headers);
      case 'com.atproto.identity.resolveHandle': {
        const profile = [...this.profiles.values()].find((p) => p.handle === query.handle);
        return profile ? ok({ did: profile.did }, headers) : this.error(400, 'InvalidRequest', 'Unable to resolve handle', headers);
      }
    }
    const session = this.access.get(bearer);
    if (!session) return this.error(401, 'AuthenticationRequired', 'Invalid identifier or password', headers);
    if (this.now() >= session.expiresAt) return this.error(400, 'ExpiredToken', 'Token has expired', headers);
    const url = new URL(req.url ?? '/', 'http://standin');
    if (operation.startsWith('chat.bsky.')) {
      const reply = this.chat.handle(operation, req.headers, url.searchParams, body, headers);
      if (operation === 'chat.bsky.convo.sendMessage' && reply.status === 200) this.emit('change', { type: 'chat-sent' });
      return reply;
    }
    switch (operation) {
      case 'com.atproto.server.getSession':
        return ok({ did: this.brand.did, handle: this.brand.handle, active: true, emailConfirmed: true }, headers);
      case 'app.bsky.notification.listNotifications':
        return this.listNotifications(url.searchParams, headers);
      case 'app.bsky.feed.getPosts': {
        const uris = url.searchParams.getAll('uris');
        const posts = this.posts
          .filter((post) => uris.includes(post.uri))
          .map((post) => ({ ...post, viewer: this.likes.has(post.uri) ? { like: this.likes.get(post.uri) } : {} }));
        return ok({ posts }, headers);
      }
      case 'com.atproto.repo.getRecord': {
        const uri = `at://${query.repo}/${query.collection}/${query.rkey}`;
        const post = this.posts.find((p) => p.uri === uri);
        return post
          ? ok({ uri, cid: post.cid, value: post.record }, headers)
          : this.error(400, 'RecordNotFound', `Could not locate record: ${uri}`, headers);
      }
      case 'com.atproto.repo.createRecord':
        return this.createRecord(body, headers);
      default:
        return this.error(501, 'MethodNotImplemented', `Method Not Implemented: ${operation}`, headers);
    }
  }

  private createSession(body: Record<string, unknown>, headers: Record<string, string>): Reply {
    // createSession has its own, much tighter limit: 30 per 5 minutes (and 300 a day).
    if (this.windows.take('session').remaining < 0) {
      return this.error(429, 'RateLimitExceeded', 'Rate Limit Exceeded', this.rateHeaders('session', false));
    }
    if ((body.identifier !== this.brand.handle && body.identifier !== this.brand.did) || body.password !== this.appPassword) {
      return this.error(401, 'AuthenticationRequired', 'Invalid identifier or password', headers);
    }
    this.sessionsCreated++;
    return ok(this.issueTokens(), headers);
  }

  private refreshSession(refreshJwt: string, headers: Record<string, string>): Reply {
    const did = this.refresh.get(refreshJwt);
    if (!did) return this.error(400, 'ExpiredToken', 'Token has been revoked', headers);
    // A refresh token is good once: the new pair replaces it.
    this.refresh.delete(refreshJwt);
    this.refreshes++;
    return ok(this.issueTokens(), headers);
  }

  private issueTokens() {
    const accessJwt = `eyJ.access.${randomBytes(12).toString('hex')}`;
    const refreshJwt = `eyJ.refresh.${randomBytes(12).toString('hex')}`;
    this.access.set(accessJwt, { did: this.brand.did, expiresAt: this.now() + this.accessTokenTtlMs });
    this.refresh.set(refreshJwt, this.brand.did);
    return { did: this.brand.did, handle: this.brand.handle, accessJwt, refreshJwt, active: true, emailConfirmed: true };
  }

  /**
   * Newest first by `indexedAt`. As the AppView does, the cursor is the last item's timestamp (on
   * the last page too) and the next page holds only strictly older items; an empty page has none.
   */
  private listNotifications(params: URLSearchParams, headers: Record<string, string>): Reply {
    const limit = Math.min(Math.max(Number(params.get('limit') ?? 50) || 50, 1), 100);
    const reasons = params.getAll('reasons');
    const cursor = params.get('cursor');
    const page = this.notifications
      .map((n, index) => ({ n, index }))
      .filter(({ n }) => (reasons.length === 0 || reasons.includes(n.reason)) && (!cursor || n.indexedAt < cursor))
      .sort((a, b) => (a.n.indexedAt === b.n.indexedAt ? b.index - a.index : a.n.indexedAt < b.n.indexedAt ? 1 : -1))
      .slice(0, limit);
    const last = page.at(-1);
    return ok(
      { notifications: page.map(({ n }) => ({ ...n, isRead: false, labels: [] })), ...(last ? { cursor: last.n.indexedAt } : {}) },
      headers,
    );
  }

  private createRecord(body: Record<string, unknown>, headers: Record<string, string>): Reply {
    if (body.repo !== this.brand.did && body.repo !== this.brand.handle) return this.error(400, 'InvalidRequest', 'Invalid repo', headers);
    const collection = String(body.collection ?? '');
    const rkey = body.rkey ? String(body.rkey) : this.tid();
    if (!/^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/.test(rkey))
      return this.error(400, 'InvalidRequest', 'Invalid record key (expected a TID)', headers);
    const uri = `at://${this.brand.did}/${collection}/${rkey}`;
    if (this.posts.some((p) => p.uri === uri) || [...this.likes.values()].includes(uri)) {
      // The reference PDS fails the commit on a duplicate key with a bare 500, not a 4xx.
      return this.error(500, 'InternalServerError', 'Internal Server Error', headers);
    }
    const record = (body.record ?? {}) as Record<string, unknown>;
    if (collection === 'app.bsky.feed.like') {
      const subject = record.subject as { uri?: string; cid?: string } | undefined;
      const post = this.posts.find((p) => p.uri === subject?.uri && p.cid === subject?.cid);
      if (!post) return this.error(400, 'InvalidRequest', 'Like subject not found', headers);
      this.likes.set(post.uri, uri);
      this.emit('change', { type: 'like', post });
      return ok({ uri, cid: cidOf(uri) }, headers);
    }
    if (collection !== 'app.bsky.feed.post') return this.error(400, 'InvalidRequest', `Unsupported collection ${collection}`, headers);
    const text = String(record.text ?? '');
    // The lexicon's two limits on text, checked bytes first, in the PDS's own words.
    const tooBig = (unit: 'string' | 'grapheme', max: number, got: number) =>
      this.error(
        400,
        'InvalidRequest',
        `Invalid app.bsky.feed.post record: ${unit} too big (maximum ${max}, got ${got}) at $.record.text`,
        headers,
      );
    const bytes = Buffer.byteLength(text);
    if (bytes > 3000) return tooBig('string', 3000, bytes);
    let length = 0;
    for (const _ of graphemes.segment(text)) length++;
    if (length > 300) return tooBig('grapheme', 300, length);
    const reply = record.reply as BskyPost['record']['reply'];
    if (reply) {
      const exists = (ref: { uri: string; cid: string } | undefined) => this.posts.some((p) => p.uri === ref?.uri && p.cid === ref?.cid);
      if (!exists(reply.parent) || !exists(reply.root))
        return this.error(400, 'InvalidRequest', 'Invalid reply: root or parent not found', headers);
      const parent = this.posts.find((p) => p.uri === reply.parent.uri);
      const expectedRoot = parent?.record.reply?.root.uri ?? parent?.uri;
      if (reply.root.uri !== expectedRoot)
        return this.error(400, 'InvalidRequest', 'Invalid reply: root does not match the parent’s thread', headers);
    }
    const post = this.addPost(this.brand, text, reply, undefined, rkey, record.facets as unknown[] | undefined);
    this.emit('change', { type: 'post', post });
    return ok({ uri: post.uri, cid: post.cid, validationStatus: 'valid' }, headers);
  }

  private addPost(
    author: BskyProfile,
    text: string,
    reply?: BskyPost['record']['reply'],
    createdAt?: Date,
    rkey = this.tid(),
    facets?: unknown[],
    embed?: unknown,
  ): BskyPost {
    // The AppView sorts by the record's own createdAt, capped at the time it arrived.
    const arrived = this.timestamp();
    const written = createdAt ? createdAt.toISOString() : arrived;
    const record: BskyPost['record'] = {
      $type: 'app.bsky.feed.post',
      text,
      createdAt: written,
      ...(reply ? { reply } : {}),
      ...(facets ? { facets } : {}),
      ...(embed ? { embed } : {}),
    };
    const indexedAt = written < arrived ? written : arrived;
    const uri = `at://${author.did}/app.bsky.feed.post/${rkey}`;
    const post: BskyPost = { uri, cid: cidOf(JSON.stringify(record) + uri), author, record, indexedAt };
    this.posts.push(post);
    return post;
  }

  private profile(author: { handle: string; displayName?: string }): BskyProfile {
    const handle = (author.handle.includes('.') ? author.handle : `${author.handle}.bsky.social`).toLowerCase();
    const existing = this.profiles.get(handle);
    if (existing) return existing;
    const did = `did:plc:${base32(createHash('sha256').update(handle).digest()).slice(0, 24)}`;
    // An account with no profile record has no displayName at all (the AppView leaves it out).
    const profile: BskyProfile = { did, handle, ...(author.displayName ? { displayName: author.displayName } : {}) };
    this.profiles.set(handle, profile);
    return profile;
  }

  /** Distinct, increasing timestamps (two posts in one millisecond still sort). */
  private timestamp(): string {
    this.clock = Math.max(this.clock + 1, this.now());
    return new Date(this.clock).toISOString();
  }

  private tid(): string {
    const micros = BigInt(Math.max(this.clock + 1, this.now())) * 1000n + BigInt(Math.floor(Math.random() * 1000));
    let value = (micros << 10n) | BigInt(Math.floor(Math.random() * 1024));
    let out = '';
    for (let i = 0; i < 13; i++) {
      out = '234567abcdefghijklmnopqrstuvwxyz'[Number(value & 31n)] + out;
      value >>= 5n;
    }
    return out;
  }

  private rateHeaders(bucket: 'all' | 'session', spend: boolean): Record<string, string> {
    const window = this.windows.take(bucket, spend);
    return {
      'ratelimit-limit': String(window.limit),
      'ratelimit-remaining': String(window.remaining),
      'ratelimit-reset': String(Math.ceil(window.resetAt / 1000)),
      'ratelimit-policy': `${window.limit};w=${WINDOW_MS / 1000}`,
    };
  }

  private error(status: number, error: string, message: string, headers: Record<string, string>): Reply {
    return { status, body: { error, message }, headers };
  }
}

const ok = (body: unknown, headers: Record<string, string> = {}): Reply => ({ status: 200, body, headers });

/** A CIDv1 (dag-cbor, sha2-256) as atproto uses, base32 with the `b` multibase prefix. */
function cidOf(content: string): string {
  const digest = createHash('sha256').update(content).digest();
  return `b${base32(Buffer.concat([Buffer.from([0x01, 0x71, 0x12, 0x20]), digest]))}`;
}

function base32(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
