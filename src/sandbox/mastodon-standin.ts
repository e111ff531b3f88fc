import type http from 'node:http';
import { RateWindows } from './rate-windows.ts';
import { type Reply, StandinServer } from './standin-server.ts';

/**
 * A local stand-in for a Mastodon instance's REST API, built from its documentation
 * (https://docs.joinmastodon.org/methods/notifications/, …/statuses/, …/instance/,
 * …/api/rate-limits/, …/api/guidelines/#pagination): notifications newest first, `types[]`,
 * `limit` (40 by default, 80 at most), `max_id` / `since_id` / `min_id` and a `Link` header;
 * statuses with HTML content, visibility and `Idempotency-Key` (the first status returned again for
 * a repeated key within an hour); favourites; the instance's character limit; 300 requests per
 * 5 minutes with X-RateLimit-* headers (reset as an ISO time); errors as `{ "error": "…" }`.
 */
export interface MastodonAccount {
  id: string;
  username: string;
  /** `username` for local accounts, `username@domain` for remote ones. */
  acct: string;
  display_name: string;
  url: string;
}

export interface MastodonStatus {
  id: string;
  uri: string;
  url: string | null;
  created_at: string;
  content: string;
  visibility: 'public' | 'unlisted' | 'private' | 'direct';
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  account: MastodonAccount;
  mentions: Array<{ id: string; username: string; acct: string; url: string }>;
  favourited?: boolean;
}

interface Notification {
  id: string;
  type: 'mention' | 'favourite' | 'follow';
  created_at: string;
  account: MastodonAccount;
  status?: MastodonStatus;
  /** Its ID is taken, but its transaction has not committed yet: not listed until it does. */
  pending?: boolean;
}

export interface MastodonStandinOptions {
  accessToken?: string;
  domain?: string;
  maxCharacters?: number;
  /** Requests per 5-minute window, per account (Mastodon's default: 300). */
  rateLimit?: number;
  now?: () => number;
}

const WINDOW_MS = 5 * 60_000;
const IDEMPOTENCY_TTL_MS = 60 * 60_000;

export class MastodonStandin extends StandinServer {
  readonly accessToken: string;
  readonly domain: string;
  readonly brand: MastodonAccount;
  maxCharacters: number;
  rateLimit: number;
  /** Status IDs the brand has favourited. */
  readonly favourites = new Set<string>();
  private readonly statuses: MastodonStatus[] = [];
  private readonly notifications: Notification[] = [];
  private readonly accounts = new Map<string, MastodonAccount>();
  private readonly idempotency = new Map<string, { statusId: string; at: number }>();
  private readonly windows: RateWindows;
  private nextId = 113_500_000_000_000_000n;
  private readonly now: () => number;
  /** Direct conversations by the ID of the thread's first status: the conversation's own ID. */
  private readonly conversations = new Map<string, string>();
  private nextConversationId = 1;

  constructor(options: MastodonStandinOptions = {}) {
    super();
    this.accessToken = options.accessToken ?? 'mastodon-standin-token';
    this.domain = options.domain ?? 'social.example';
    this.maxCharacters = options.maxCharacters ?? 500;
    this.rateLimit = options.rateLimit ?? 300;
    this.now = options.now ?? Date.now;
    this.brand = this.account({ username: 'northwind', display_name: 'Northwind Outfitters' });
    this.windows = new RateWindows(this.now, WINDOW_MS, () => this.rateLimit);
  }

  /** The base URL to give the bot (`MASTODON_URL`). */
  get apiUrl(): string {
    return this.url;
  }

  /** A customer (on this instance, or on another when `domain` is given) mentions the brand. */
  addMention(
    author: { username: string; display_name?: string; domain?: string },
    text: string,
    options: { visibility?: MastodonStatus['visibility']; createdAt?: Date; replyTo?: MastodonStatus; uncommitted?: boolean } = {},
  ): MastodonStatus {
    const account = this.account(author);
    const body = text.includes(`@${this.brand.username}`) ? text : `@${this.brand.username} ${text}`;
    const status = this.addStatus(account, body, options.visibility ?? 'public', options.replyTo?.id ?? null, options.createdAt);
    // Notification IDs come from a sequence when the row is inserted, and become visible when its
    // transaction commits: `uncommitted` holds one back (see commitNotifications) while later ones,
    // with higher IDs, are listed.
    this.notifications.push({
      id: this.id(),
      type: 'mention',
      created_at: new Date(this.now()).toISOString(),
      account,
      status,
      ...(options.uncommitted ? { pending: true } : {}),
    });
    if (!options.uncommitted) this.emit('change', { type: 'mention', status });
    return status;
  }

  /**
   * A customer writes to the brand privately: a direct status mentioning it, in reply to the
   * newest status of their conversation with the brand when there is one (as a client answers), so
   * it joins that conversation. Mastodon notifies the brand of it as a mention too.
   */
  addDirectMessage(author: { username: string; display_name?: string; domain?: string }, text: string): MastodonStatus {
    const account = this.account(author);
    const previous = [...this.statuses]
      .reverse()
      .find((status) => status.visibility === 'direct' && this.conversationAccounts(status).some((a) => a.id === account.id));
    return this.addMention(author, text, { visibility: 'direct', replyTo: previous });
  }

  /** The brand's direct statuses, oldest first. */
  directByBrand(): MastodonStatus[] {
    return this.published().filter((status) => status.visibility === 'direct');
  }

  /** Commits the notifications held back by `uncommitted`: listed from now on, under their older IDs. */
  commitNotifications(): void {
    for (const notification of this.notifications) delete notification.pending;
    this.emit('change', { type: 'committed' });
  }

  /** The brand posts something of its own (customers then comment on it). */
  brandPost(text: string): MastodonStatus {
    return this.addStatus(this.brand, text, 'public', null);
  }

  /** Someone favourites one of the brand's statuses (a new one if it has none), as an instance notifies it. */
  addFavouriteNotification(
    author: { username: string; display_name?: string; domain?: string },
    status = this.published().at(-1) ?? this.brandPost('Hello from the brand'),
  ): void {
    const account = this.account(author);
    // A favourite notification carries the status that was favourited.
    this.notifications.push({ id: this.id(), type: 'favourite', created_at: new Date(this.now()).toISOString(), account, status });
    this.emit('change', { type: 'favourited', status });
  }

  /** Statuses the brand published (its replies), oldest first. */
  published(): MastodonStatus[] {
    return this.statuses.filter((status) => status.account.id === this.brand.id);
  }

  mentionStatuses(): MastodonStatus[] {
    return this.notifications.filter((n) => n.type === 'mention' && n.status).map((n) => n.status as MastodonStatus);
  }

  protected operationOf(req: http.IncomingMessage, path: string): string {
    if (path === '/api/v1/notifications') return 'notifications';
    if (path === '/api/v1/conversations') return 'conversations';
    if (/^\/api\/v1\/statuses\/[^/]+\/context$/.test(path)) return 'statuses.context';
    if (path === '/api/v1/statuses' && req.method === 'POST') return 'statuses.create';
    if (/^\/api\/v1\/statuses\/[^/]+\/favourite$/.test(path)) return 'statuses.favourite';
    if (/^\/api\/v1\/statuses\/[^/]+\/unfavourite$/.test(path)) return 'statuses.unfavourite';
    if (/^\/api\/v1\/statuses\/[^/]+$/.test(path)) return 'statuses.get';
    if (path === '/api/v1/accounts/verify_credentials') return 'verify_credentials';
    if (path === '/api/v2/instance') return 'instance';
    return `${req.method} ${path}`;
  }

  protected outageReply(): Reply {
    return { status: 503, body: { error: 'Service Unavailable' } };
  }

  protected override rateLimitReply(_operation: string, retryAfterSeconds: number): Reply {
    this.windows.exhaust('account', retryAfterSeconds);
    return { status: 429, body: { error: 'Too many requests' }, headers: this.rateHeaders(false) };
  }

  protected handle(
    operation: string,
    req: http.IncomingMessage,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): Reply {
    if (operation === 'instance') return ok(this.instance());
    if ((req.headers.authorization ?? '') !== `Bearer ${this.accessToken}`) {
      return { status: 401, body: { error: 'The access token is invalid' } };
    }
    const headers = this.rateHeaders(true);
    if (headers['x-ratelimit-remaining'] === '-1') {
      return { status: 429, body: { error: 'Too many requests' }, headers: { ...headers, 'x-ratelimit-remaining': '0' } };
    }
    const id = path.split('/')[4] ?? '';
    switch (operation) {
      case 'verify_credentials':
        return ok(this.brand, headers);
      case 'notifications':
        return this.listNotifications(query, headers);
      case 'conversations':
        return this.listConversations(query, headers);
      case 'statuses.context': {
        const status = this.statuses.find((s) => s.id === id);
        if (!status) return { status: 404, body: { error: 'Record not found' }, headers };
        return ok({ ancestors: this.ancestorsOf(status), descendants: this.descendantsOf(status) }, headers);
      }
      case 'statuses.get': {
        const status = this.statuses.find((s) => s.id === id);
        return status ? ok(status, headers) : { status: 404, body: { error: 'Record not found' }, headers };
      }
      case 'statuses.create':
        return this.createStatus(req, body, headers);
      case 'statuses.favourite':
      case 'statuses.unfavourite': {
        const status = this.statuses.find((s) => s.id === id);
        if (!status) return { status: 404, body: { error: 'Record not found' }, headers };
        const favourited = operation === 'statuses.favourite';
        if (favourited) this.favourites.add(id);
        else this.favourites.delete(id);
        this.emit('change', { type: favourited ? 'favourite' : 'unfavourite', status });
        return ok({ ...status, favourited }, headers);
      }
      default:
        return { status: 404, body: { error: 'Not found' }, headers };
    }
  }

  /** GET /api/v1/notifications: newest first; `min_id` returns the page just after it, `max_id` the one just before. */
  private listNotifications(query: Record<string, string>, headers: Record<string, string>): Reply {
    const limit = Math.min(Math.max(Number(query.limit ?? 40) || 40, 1), 80);
    const types = query['types[]'] ? [query['types[]']] : undefined;
    const newerThan = (a: string, b: string) => a.length > b.length || (a.length === b.length && a > b);
    let list = this.notifications
      .filter((n) => !n.pending && (!types || types.includes(n.type)))
      .sort((a, b) => (newerThan(a.id, b.id) ? 1 : -1));
    if (query.max_id) list = list.filter((n) => newerThan(query.max_id as string, n.id));
    if (query.since_id) list = list.filter((n) => newerThan(n.id, query.since_id as string));
    let page: Notification[];
    if (query.min_id) {
      // The `limit` notifications immediately after min_id, still returned newest first.
      page = list
        .filter((n) => newerThan(n.id, query.min_id as string))
        .slice(0, limit)
        .reverse();
    } else {
      page = [...list].reverse().slice(0, limit);
    }
    const links: string[] = [];
    const base = `${this.url}/api/v1/notifications?limit=${limit}${types ? `&types[]=${types[0]}` : ''}`;
    // As the server does: `next` only after a full page (there may be more), `prev` whenever there is a page.
    if (page.length === limit) links.push(`<${base}&max_id=${page.at(-1)?.id}>; rel="next"`);
    if (page.length > 0) links.push(`<${base}&min_id=${page[0]?.id}>; rel="prev"`);
    return ok(page, links.length ? { ...headers, link: links.join(', ') } : headers);
  }

  /**
   * GET /api/v1/conversations: the brand's direct conversations, newest last status first; paged by
   * the last status's ID (`max_id`, `since_id`, `min_id`), with a `Link` header as the server does.
   */
  private listConversations(query: Record<string, string>, headers: Record<string, string>): Reply {
    const limit = Math.min(Math.max(Number(query.limit ?? 20) || 20, 1), 40);
    const newer = (a: string, b: string) => a.length > b.length || (a.length === b.length && a > b);
    let list = [...this.conversations.entries()]
      .map(([rootId, id]) => ({ id, last: this.lastOfThread(rootId) }))
      .filter((conversation): conversation is { id: string; last: MastodonStatus } => Boolean(conversation.last))
      .sort((a, b) => (newer(a.last.id, b.last.id) ? -1 : 1));
    if (query.max_id) list = list.filter((c) => newer(query.max_id as string, c.last.id));
    if (query.since_id) list = list.filter((c) => newer(c.last.id, query.since_id as string));
    if (query.min_id) list = list.filter((c) => newer(c.last.id, query.min_id as string)).slice(-limit);
    const page = list.slice(0, limit);
    const links: string[] = [];
    const base = `${this.url}/api/v1/conversations?limit=${limit}`;
    if (page.length === limit) links.push(`<${base}&max_id=${page.at(-1)?.last.id}>; rel="next"`);
    if (page.length > 0) links.push(`<${base}&min_id=${page[0]?.last.id}>; rel="prev"`);
    const body = page.map(({ id, last }) => ({
      id,
      unread: last.account.id !== this.brand.id,
      accounts: this.conversationAccounts(last).filter((account) => account.id !== this.brand.id),
      last_status: last,
    }));
    return ok(body, links.length ? { ...headers, link: links.join(', ') } : headers);
  }

  private rootOf(status: MastodonStatus): MastodonStatus {
    let current = status;
    for (;;) {
      const parent = current.in_reply_to_id ? this.statuses.find((s) => s.id === current.in_reply_to_id) : undefined;
      if (!parent) return current;
      current = parent;
    }
  }

  private ancestorsOf(status: MastodonStatus): MastodonStatus[] {
    const ancestors: MastodonStatus[] = [];
    let current = status;
    for (;;) {
      const parent = current.in_reply_to_id ? this.statuses.find((s) => s.id === current.in_reply_to_id) : undefined;
      if (!parent) return ancestors.reverse();
      ancestors.push(parent);
      current = parent;
    }
  }

  private descendantsOf(status: MastodonStatus): MastodonStatus[] {
    const children = this.statuses.filter((s) => s.in_reply_to_id === status.id);
    return children.flatMap((child) => [child, ...this.descendantsOf(child)]);
  }

  private lastOfThread(rootId: string): MastodonStatus | undefined {
    const root = this.statuses.find((s) => s.id === rootId);
    if (!root) return undefined;
    return [root, ...this.descendantsOf(root)].filter((s) => s.visibility === 'direct').at(-1);
  }

  /** Who is in a direct status's conversation: its author and everyone it mentions. */
  private conversationAccounts(status: MastodonStatus): MastodonAccount[] {
    const mentioned = status.mentions
      .map((mention) => this.accounts.get(mention.acct) ?? this.accounts.get(mention.acct.split('@')[0] ?? ''))
      .filter((account): account is MastodonAccount => Boolean(account));
    const all = [status.account, ...mentioned];
    return all.filter((account, index) => all.findIndex((other) => other.id === account.id) === index);
  }

  /** POST /api/v1/statuses with Idempotency-Key, in_reply_to_id and visibility. */
  private createStatus(req: http.IncomingMessage, body: Record<string, unknown>, headers: Record<string, string>): Reply {
    const key = String(req.headers['idempotency-key'] ?? '');
    const previous = key ? this.idempotency.get(key) : undefined;
    if (previous && this.now() - previous.at < IDEMPOTENCY_TTL_MS) {
      return ok(
        this.statuses.find((s) => s.id === previous.statusId),
        headers,
      );
    }
    const text = String(body.status ?? '');
    if (!text.trim()) return { status: 422, body: { error: "Validation failed: Text can't be blank" }, headers };
    const countable = text.replace(/https?:\/\/\S+/g, 'x'.repeat(23)).replace(/@(\w+)@[\w.-]+\w/g, '@$1');
    if (Array.from(countable).length > this.maxCharacters) {
      return { status: 422, body: { error: `Validation failed: Text character limit of ${this.maxCharacters} exceeded` }, headers };
    }
    const parent = body.in_reply_to_id ? this.statuses.find((s) => s.id === String(body.in_reply_to_id)) : undefined;
    if (body.in_reply_to_id && !parent) return { status: 404, body: { error: 'Record not found' }, headers };
    const visibility = (body.visibility as MastodonStatus['visibility'] | undefined) ?? 'public';
    if (!['public', 'unlisted', 'private', 'direct'].includes(visibility)) {
      return { status: 422, body: { error: 'Validation failed: Visibility is not included in the list' }, headers };
    }
    const status = this.addStatus(this.brand, text, visibility, parent?.id ?? null);
    if (key) this.idempotency.set(key, { statusId: status.id, at: this.now() });
    this.emit('change', { type: 'status', status });
    return ok(status, headers);
  }

  private addStatus(
    account: MastodonAccount,
    text: string,
    visibility: MastodonStatus['visibility'],
    inReplyTo: string | null,
    createdAt?: Date,
  ): MastodonStatus {
    const id = this.id();
    const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    // Mastodon renders mentions as h-card links and paragraphs as <p>, as the real server does.
    const content = `<p>${escaped
      .replace(/\n\n+/g, '</p><p>')
      .replace(/\n/g, '<br />')
      .replace(
        /@(\w+)(@[\w.-]+\w)?/g,
        (_handle, user: string) =>
          `<span class="h-card"><a href="https://${this.domain}/@${user}" class="u-url mention">@<span>${user}</span></a></span>`,
      )}</p>`;
    const remote = account.acct.includes('@');
    const status: MastodonStatus = {
      id,
      uri: `https://${remote ? account.acct.split('@')[1] : this.domain}/users/${account.username}/statuses/${id}`,
      url: `https://${remote ? account.acct.split('@')[1] : this.domain}/@${account.username}/${id}`,
      created_at: (createdAt ?? new Date(this.now())).toISOString(),
      content,
      visibility,
      in_reply_to_id: inReplyTo,
      in_reply_to_account_id: inReplyTo ? (this.statuses.find((s) => s.id === inReplyTo)?.account.id ?? null) : null,
      account,
      mentions: [...text.matchAll(/@(\w+)(?:@([\w.-]+\w))?/g)].map((match) => ({
        id: '0',
        username: match[1] ?? '',
        acct: match[2] ? `${match[1]}@${match[2]}` : (match[1] ?? ''),
        url: `https://${match[2] ?? this.domain}/@${match[1]}`,
      })),
    };
    this.statuses.push(status);
    // A direct status starts a conversation, or joins the one its thread belongs to.
    if (visibility === 'direct') {
      const root = this.rootOf(status);
      if (!this.conversations.has(root.id)) this.conversations.set(root.id, String(this.nextConversationId++));
    }
    return status;
  }

  private account(author: { username: string; display_name?: string; domain?: string }): MastodonAccount {
    const acct = author.domain && author.domain !== this.domain ? `${author.username}@${author.domain}` : author.username;
    const existing = this.accounts.get(acct);
    if (existing) return existing;
    const account: MastodonAccount = {
      id: String(109_000_000_000 + this.accounts.size),
      username: author.username,
      acct,
      display_name: author.display_name ?? author.username,
      url: `https://${author.domain ?? this.domain}/@${author.username}`,
    };
    this.accounts.set(acct, account);
    return account;
  }

  private instance() {
    return {
      domain: this.domain,
      title: 'Stand-in instance',
      version: '4.3.0',
      configuration: { statuses: { max_characters: this.maxCharacters, max_media_attachments: 4, characters_reserved_per_url: 23 } },
    };
  }

  private id(): string {
    // Snowflake-like and increasing, as Mastodon's IDs are.
    this.nextId += BigInt(1 + Math.floor(Math.random() * 1000));
    return this.nextId.toString();
  }

  /** Spends one request when `spend`; remaining -1 marks a request over the limit. */
  private rateHeaders(spend: boolean): Record<string, string> {
    const window = this.windows.take('account', spend);
    return {
      'x-ratelimit-limit': String(window.limit),
      'x-ratelimit-remaining': String(window.remaining),
      'x-ratelimit-reset': new Date(window.resetAt).toISOString(),
    };
  }
}

const ok = (body: unknown, headers: Record<string, string> = {}): Reply => ({ status: 200, body, headers });
