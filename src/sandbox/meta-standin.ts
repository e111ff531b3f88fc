import type http from 'node:http';
import { signMetaBody } from '../platforms/meta/webhook.ts';
import { type Reply, StandinServer } from './standin-server.ts';

/**
 * A local stand-in for Meta: the Graph API a Page access token reaches, and Meta's webhook sender,
 * built from Meta's documentation (Graph API reference for Page, Comment, IG User, IG Media,
 * IG Comment, Conversations and the Send API; Webhooks getting started, Webhooks for Pages,
 * Instagram webhook examples; Rate limiting; Messenger error codes):
 * - every path under one version prefix (`/v25.0/...`), the token in `Authorization: Bearer` or
 *   `access_token`; a wrong token answers `{error: {code: 190, type: 'OAuthException'}}` (401);
 * - `X-App-Usage` on every answer (call_count as a percentage of the hourly quota); above 100 %
 *   error code 4 "Application request limit reached" (403);
 * - comments (Facebook: `message`, `from {id, name}`, `created_time` like `2026-12-03T10:00:00+0000`,
 *   `parent`, `is_hidden`; Instagram: `text`, `from {id, username}`, `timestamp`, `parent_id`, `hidden`,
 *   `replies` to top-level comments only, error on a reply to a reply);
 * - Messenger/Instagram messages with the 24-hour window: outside it error code 10 subcode 2018278,
 *   `HUMAN_AGENT` accepted up to 7 days only when the app has the permission;
 * - webhooks signed `X-Hub-Signature-256`, retried while the answer is not 200, optionally
 *   delivered twice, or not at all (a lost webhook).
 */

export interface MetaPerson {
  id: string;
  name: string;
  /** Instagram users. */
  username?: string;
}

interface StoredComment {
  id: string;
  network: 'facebook' | 'instagram';
  /** Facebook: the post; Instagram: the media. */
  objectId: string;
  parentId?: string;
  from: MetaPerson;
  text: string;
  createdAt: number;
  hidden: boolean;
  /** Instagram: a comment on someone else's media that @mentions the brand. */
  mentionOn?: string;
}

interface StoredMessage {
  id: string;
  network: 'facebook' | 'instagram';
  /** The customer's scoped ID. */
  customerId: string;
  fromBrand: boolean;
  text: string;
  at: number;
  tag?: string;
}

export interface MetaStandinOptions {
  version?: string;
  /** Graph calls per rolling hour before error code 4 (the app's quota). */
  callsPerHour?: number;
  now?: () => number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export class MetaStandin extends StandinServer {
  readonly appSecret = 'meta-standin-app-secret';
  readonly verifyToken = 'meta-standin-verify-token';
  readonly pageAccessToken = 'meta-standin-page-token';
  readonly page = { id: '1000000000000001', name: 'Northwind Outfitters', username: 'northwind' };
  readonly instagram = { id: '17841400000000001', username: 'northwind' };
  readonly version: string;
  /** The app passed review for the `HUMAN_AGENT` tag. */
  humanAgentPermission = false;
  callsPerHour: number;
  readonly comments = new Map<string, StoredComment>();
  readonly messages: StoredMessage[] = [];
  readonly likes = new Set<string>();
  readonly people = new Map<string, MetaPerson>();
  /** Webhook deliveries sent, with the status the bot answered. */
  readonly deliveries: Array<{ body: string; status: number }> = [];
  /** Where webhooks go (the bot's `/meta/webhook`); none are sent while unset. */
  webhookUrl?: string;
  private readonly posts: Array<{ id: string; createdAt: number; updatedAt: number }> = [];
  private readonly media: Array<{ id: string; createdAt: number }> = [];
  private readonly callTimes: number[] = [];
  private nextId = 1;
  private readonly now: () => number;

  constructor(options: MetaStandinOptions = {}) {
    super();
    this.version = options.version ?? 'v25.0';
    this.callsPerHour = options.callsPerHour ?? 4_800;
    this.now = options.now ?? Date.now;
    const start = this.now() - HOUR_MS;
    this.posts.push({ id: `${this.page.id}_${this.id()}`, createdAt: start, updatedAt: start });
    this.media.push({ id: `1790000${this.id()}`, createdAt: start });
  }

  get apiUrl(): string {
    return `${this.url}/`;
  }

  /** The bot's environment for this Page and its Instagram account. */
  get env(): Record<string, string> {
    return {
      META_APP_SECRET: this.appSecret,
      META_VERIFY_TOKEN: this.verifyToken,
      META_PAGE_ID: this.page.id,
      META_PAGE_ACCESS_TOKEN: this.pageAccessToken,
      INSTAGRAM_ACCOUNT_ID: this.instagram.id,
      META_GRAPH_URL: this.apiUrl,
      META_GRAPH_VERSION: this.version,
    };
  }

  /** The Page's newest post, which comments go under unless told otherwise. */
  get latestPostId(): string {
    return this.posts.at(-1)?.id ?? '';
  }

  get latestMediaId(): string {
    return this.media.at(-1)?.id ?? '';
  }

  // ---- what people do ---------------------------------------------------------------------------

  /** Someone comments on the Page's post (or replies to a comment); Meta sends the `feed` webhook unless `webhook: 'lost'`. */
  async facebookComment(
    from: MetaPerson,
    text: string,
    options: { parentId?: string; webhook?: 'sent' | 'lost' | 'twice'; at?: number } = {},
  ): Promise<StoredComment> {
    this.people.set(from.id, from);
    const post = this.posts.at(-1);
    if (!post) throw new Error('the Page has no post');
    const comment: StoredComment = {
      id: `${post.id.split('_')[1]}_${this.id()}`,
      network: 'facebook',
      objectId: post.id,
      parentId: options.parentId,
      from,
      text,
      createdAt: options.at ?? this.now(),
      hidden: false,
    };
    this.comments.set(comment.id, comment);
    post.updatedAt = Math.max(post.updatedAt, comment.createdAt);
    if (options.webhook !== 'lost') await this.sendWebhook(this.feedDelivery(comment, 'add'), { twice: options.webhook === 'twice' });
    return comment;
  }

  async editFacebookComment(id: string, text: string): Promise<void> {
    const comment = this.comments.get(id);
    if (!comment) throw new Error(`no comment ${id}`);
    comment.text = text;
    await this.sendWebhook(this.feedDelivery(comment, 'edited'));
  }

  async removeFacebookComment(id: string): Promise<void> {
    const comment = this.comments.get(id);
    if (!comment) throw new Error(`no comment ${id}`);
    this.comments.delete(id);
    await this.sendWebhook(this.feedDelivery(comment, 'remove'));
  }

  /** Someone comments on the brand's Instagram media (or replies to a comment there). */
  async instagramComment(
    from: MetaPerson,
    text: string,
    options: { parentId?: string; webhook?: 'sent' | 'lost' } = {},
  ): Promise<StoredComment> {
    this.people.set(from.id, from);
    const media = this.media.at(-1);
    if (!media) throw new Error('the account has no media');
    const parent = options.parentId ? this.comments.get(options.parentId) : undefined;
    const comment: StoredComment = {
      id: `1800000${this.id()}`,
      network: 'instagram',
      objectId: media.id,
      // Instagram threads every reply under the top-level comment.
      parentId: parent ? (parent.parentId ?? parent.id) : undefined,
      from,
      text,
      createdAt: this.now(),
      hidden: false,
    };
    this.comments.set(comment.id, comment);
    if (options.webhook !== 'lost') {
      await this.sendWebhook(
        this.instagramEntry({
          changes: [
            {
              field: 'comments',
              value: {
                id: comment.id,
                from: { id: from.id, username: from.username ?? from.name },
                text,
                media: { id: media.id, media_product_type: 'FEED' },
                ...(comment.parentId ? { parent_id: comment.parentId } : {}),
              },
            },
          ],
        }),
      );
    }
    return comment;
  }

  /** A comment on someone else's Instagram media that @mentions the brand. */
  async instagramMention(from: MetaPerson, text: string): Promise<StoredComment> {
    this.people.set(from.id, from);
    const comment: StoredComment = {
      id: `1800000${this.id()}`,
      network: 'instagram',
      objectId: `1795000${this.id()}`,
      from,
      text,
      createdAt: this.now(),
      hidden: false,
      mentionOn: 'elsewhere',
    };
    this.comments.set(comment.id, comment);
    await this.sendWebhook(
      this.instagramEntry({ changes: [{ field: 'mentions', value: { media_id: comment.objectId, comment_id: comment.id } }] }),
    );
    return comment;
  }

  /** A customer writes to the Page on Messenger, or to the account on Instagram. */
  async customerMessage(
    network: 'facebook' | 'instagram',
    from: MetaPerson,
    text: string,
    options: { at?: number; webhook?: 'sent' | 'lost' } = {},
  ): Promise<StoredMessage> {
    this.people.set(from.id, from);
    const message: StoredMessage = {
      id: `m_${this.id()}`,
      network,
      customerId: from.id,
      fromBrand: false,
      text,
      at: options.at ?? this.now(),
    };
    this.messages.push(message);
    if (options.webhook !== 'lost') await this.sendWebhook(this.messagingDelivery(message));
    return message;
  }

  /** What the brand has sent: replies under comments and private messages. */
  brandComments(): StoredComment[] {
    return [...this.comments.values()].filter((comment) => comment.from.id === this.page.id || comment.from.id === this.instagram.id);
  }

  brandMessages(): StoredMessage[] {
    return this.messages.filter((message) => message.fromBrand);
  }

  /** Signs a delivery and posts it to the bot, as Meta does; retried (up to 5 times) while the answer is not 200. */
  async sendWebhook(payload: unknown, options: { twice?: boolean; signWith?: string } = {}): Promise<number> {
    const url = this.webhookUrl;
    if (!url) return 0;
    const body = JSON.stringify(payload);
    const signature = signMetaBody(options.signWith ?? this.appSecret, body);
    let status = 0;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
          body,
        });
        status = response.status;
        await response.text();
      } catch {
        status = 0;
      }
      this.deliveries.push({ body, status });
      if (status === 200 || options.signWith) break;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
    if (options.twice && status === 200) {
      const again = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body,
      });
      this.deliveries.push({ body, status: again.status });
    }
    return status;
  }

  /** Meta's subscription check: GET with a challenge, which the bot must echo. */
  async verifySubscription(verifyToken = this.verifyToken): Promise<{ status: number; body: string; challenge: string }> {
    const challenge = String(1_000_000 + Math.floor(Math.random() * 1_000_000));
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': verifyToken, 'hub.challenge': challenge });
    const response = await fetch(`${this.webhookUrl}?${query}`);
    return { status: response.status, body: await response.text(), challenge };
  }

  /** The delivery Meta sends for a customer's private message (Messenger or Instagram). */
  messagingDelivery(message: StoredMessage) {
    const accountId = message.network === 'facebook' ? this.page.id : this.instagram.id;
    return {
      object: message.network === 'facebook' ? 'page' : 'instagram',
      entry: [
        {
          id: accountId,
          time: Math.floor(message.at / 1000),
          messaging: [
            {
              sender: { id: message.customerId },
              recipient: { id: accountId },
              timestamp: message.at,
              message: { mid: message.id, text: message.text },
            },
          ],
        },
      ],
    };
  }

  /** The `feed` delivery Meta sends for a comment on the Page's post. */
  feedDelivery(comment: StoredComment, verb: 'add' | 'edited' | 'remove') {
    return {
      object: 'page',
      entry: [
        {
          id: this.page.id,
          time: Math.floor(this.now() / 1000),
          changes: [
            {
              field: 'feed',
              value: {
                item: 'comment',
                verb,
                comment_id: comment.id,
                post_id: comment.objectId,
                parent_id: comment.parentId ?? comment.objectId,
                from: { id: comment.from.id, name: comment.from.name },
                ...(verb === 'remove' ? {} : { message: comment.text }),
                created_time: Math.floor(comment.createdAt / 1000),
              },
            },
          ],
        },
      ],
    };
  }

  private instagramEntry(content: Record<string, unknown>) {
    return { object: 'instagram', entry: [{ id: this.instagram.id, time: Math.floor(this.now() / 1000), ...content }] };
  }

  // ---- the Graph API ---------------------------------------------------------------------------

  protected operationOf(req: http.IncomingMessage, path: string): string {
    const parts = path.split('/').filter(Boolean).slice(1);
    const [id = '', edge] = parts;
    const method = req.method ?? 'GET';
    if (edge) return `${method} ${edge}`;
    if (id === this.page.id) return `${method} page`;
    if (id === this.instagram.id) return `${method} instagram`;
    return `${method} object`;
  }

  protected outageReply(): Reply {
    return graphError(500, 2, 'An unexpected error has occurred. Please retry your request later.', 'OAuthException');
  }

  protected handle(
    operation: string,
    req: http.IncomingMessage,
    path: string,
    query: Record<string, string>,
    body: Record<string, unknown>,
  ): Reply {
    const parts = path.split('/').filter(Boolean);
    if (parts[0] !== this.version) {
      return graphError(400, 2635, `(#2635) You are calling a deprecated or unknown version of the Graph API: ${parts[0] ?? 'none'}`);
    }
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '') || query.access_token;
    if (token !== this.pageAccessToken)
      return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException');
    const usage = this.spendCall();
    const headers = {
      'x-app-usage': JSON.stringify({ call_count: usage, total_cputime: Math.floor(usage / 2), total_time: Math.floor(usage / 2) }),
    };
    if (usage > 100) return { ...graphError(403, 4, '(#4) Application request limit reached'), headers };
    const reply = this.route(operation, parts.slice(1), query, body);
    return { ...reply, headers: { ...reply.headers, ...headers } };
  }

  private route(operation: string, parts: string[], query: Record<string, string>, body: Record<string, unknown>): Reply {
    const [id = '', edge] = parts;
    switch (operation) {
      case 'GET page':
        return ok({ id: this.page.id, name: this.page.name, username: this.page.username });
      case 'GET instagram': {
        const mentioned = /mentioned_comment\.comment_id\(([^)]+)\)/.exec(query.fields ?? '');
        if (mentioned?.[1]) {
          const comment = this.comments.get(mentioned[1]);
          if (!comment?.mentionOn) return graphError(400, 100, '(#100) The comment does not mention this account');
          return ok({
            id: this.instagram.id,
            mentioned_comment: {
              ...this.igComment(comment),
              media: { id: comment.objectId, permalink: `https://www.instagram.com/p/${comment.objectId}/` },
            },
          });
        }
        return ok({ id: this.instagram.id, username: this.instagram.username });
      }
      case 'GET posts':
        return ok({ data: [...this.posts].reverse().map((post) => ({ id: post.id, updated_time: graphTime(post.updatedAt) })) });
      case 'GET media':
        return ok({
          data: [...this.media].reverse().map((media) => ({
            id: media.id,
            permalink: `https://www.instagram.com/p/${media.id}/`,
            comments_count: [...this.comments.values()].filter((comment) => comment.objectId === media.id).length,
          })),
        });
      case 'GET comments': {
        // Facebook: every comment under the post (filter=stream), newest first.
        const under = [...this.comments.values()].filter((comment) => comment.objectId === id || comment.parentId === id);
        if (under[0]?.network === 'instagram' || this.media.some((media) => media.id === id)) {
          const top = under.filter((comment) => !comment.parentId && comment.objectId === id);
          return ok({
            data: top.map((comment) => ({
              ...this.igComment(comment),
              replies: { data: under.filter((reply) => reply.parentId === comment.id).map((reply) => this.igComment(reply)) },
            })),
          });
        }
        return ok({ data: under.sort((a, b) => b.createdAt - a.createdAt).map((comment) => this.fbComment(comment)) });
      }
      case 'GET replies':
        return ok({
          data: [...this.comments.values()].filter((comment) => comment.parentId === id).map((comment) => this.igComment(comment)),
        });
      case 'POST comments': {
        const parent = this.comments.get(id);
        if (!parent || parent.network !== 'facebook')
          return graphError(400, 100, `(#100) Unsupported post request. Object with ID '${id}' does not exist`);
        return ok({ id: this.addBrandComment(parent, String(body.message ?? ''), 'facebook').id });
      }
      case 'POST replies': {
        const parent = this.comments.get(id);
        if (!parent || parent.network !== 'instagram') return graphError(400, 100, `(#100) Object with ID '${id}' does not exist`);
        if (parent.parentId) return graphError(400, 100, '(#100) Replies can only be made to top-level comments');
        return ok({ id: this.addBrandComment(parent, String(body.message ?? ''), 'instagram').id });
      }
      case 'POST mentions': {
        const comment = this.comments.get(String(body.comment_id ?? ''));
        if (!comment?.mentionOn) return graphError(400, 100, '(#100) The comment does not mention this account');
        return ok({ id: this.addBrandComment(comment, String(body.message ?? ''), 'instagram').id });
      }
      case 'POST likes':
        if (!this.comments.has(id) && !this.posts.some((post) => post.id === id))
          return graphError(400, 100, `(#100) Object with ID '${id}' does not exist`);
        this.likes.add(id);
        return ok({ success: true });
      case 'DELETE likes':
        this.likes.delete(id);
        return ok({ success: true });
      case 'POST object': {
        const comment = this.comments.get(id);
        if (!comment) return graphError(400, 100, `(#100) Object with ID '${id}' does not exist`);
        const hidden = comment.network === 'facebook' ? body.is_hidden : body.hide;
        if (typeof hidden !== 'boolean')
          return graphError(400, 100, `(#100) Param ${comment.network === 'facebook' ? 'is_hidden' : 'hide'} must be a boolean`);
        comment.hidden = hidden;
        return ok({ success: true });
      }
      case 'GET object': {
        const comment = this.comments.get(id);
        if (comment)
          return ok(
            comment.network === 'instagram'
              ? {
                  ...this.igComment(comment),
                  media: { id: comment.objectId, permalink: `https://www.instagram.com/p/${comment.objectId}/` },
                }
              : this.fbComment(comment),
          );
        const person = this.people.get(id);
        if (person) return ok({ id: person.id, name: person.name, ...(person.username ? { username: person.username } : {}) });
        return graphError(
          400,
          100,
          `(#100) Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
        );
      }
      case 'GET conversations':
        return ok({ data: this.conversations(query.platform === 'instagram' ? 'instagram' : 'facebook', query.user_id) });
      case 'POST messages':
        return this.send(body);
      default:
        return graphError(400, 100, `(#100) Unknown path components: /${[id, edge].filter(Boolean).join('/')}`);
    }
  }

  private send(body: Record<string, unknown>): Reply {
    const recipient = isRecord(body.recipient) ? String(body.recipient.id ?? '') : '';
    const text = isRecord(body.message) ? String(body.message.text ?? '') : '';
    const inbound = this.messages.filter((message) => message.customerId === recipient && !message.fromBrand);
    const last = inbound.at(-1);
    if (!last) return graphError(400, 100, '(#100) No matching user found', 'OAuthException', 2018001);
    const since = this.now() - last.at;
    const tag = body.messaging_type === 'MESSAGE_TAG' ? String(body.tag ?? '') : undefined;
    if (tag === 'HUMAN_AGENT' && !this.humanAgentPermission) {
      return graphError(
        400,
        10,
        '(#10) This message is sent outside of allowed window. You need the Human Agent permission to use the HUMAN_AGENT tag',
        'OAuthException',
        2018278,
      );
    }
    const allowed = tag === 'HUMAN_AGENT' ? 7 * DAY_MS : DAY_MS;
    if (since > allowed) {
      return graphError(
        400,
        10,
        '(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview',
        'OAuthException',
        2018278,
      );
    }
    const message: StoredMessage = {
      id: `m_${this.id()}`,
      network: last.network,
      customerId: recipient,
      fromBrand: true,
      text,
      at: this.now(),
      tag,
    };
    this.messages.push(message);
    return ok({ recipient_id: recipient, message_id: message.id });
  }

  private conversations(network: 'facebook' | 'instagram', userId: string | undefined) {
    const accountId = network === 'facebook' ? this.page.id : this.instagram.id;
    const byCustomer = new Map<string, StoredMessage[]>();
    for (const message of this.messages) {
      if (message.network !== network || (userId && message.customerId !== userId)) continue;
      byCustomer.set(message.customerId, [...(byCustomer.get(message.customerId) ?? []), message]);
    }
    return [...byCustomer.entries()]
      .map(([customerId, messages]) => {
        const person = this.people.get(customerId) ?? { id: customerId, name: '' };
        const brand =
          network === 'facebook' ? { id: accountId, name: this.page.name } : { id: accountId, username: this.instagram.username };
        const customer =
          network === 'facebook' ? { id: person.id, name: person.name } : { id: person.id, username: person.username ?? person.name };
        const newest = Math.max(...messages.map((message) => message.at));
        return {
          id: `t_${customerId}`,
          updated_time: graphTime(newest),
          participants: { data: [customer, brand] },
          messages: {
            data: [...messages].reverse().map((message) => ({
              id: message.id,
              message: message.text,
              created_time: graphTime(message.at),
              from: message.fromBrand ? brand : customer,
            })),
          },
        };
      })
      .sort((a, b) => (a.updated_time < b.updated_time ? 1 : -1));
  }

  private addBrandComment(parent: StoredComment, text: string, network: 'facebook' | 'instagram'): StoredComment {
    const brand =
      network === 'facebook'
        ? { id: this.page.id, name: this.page.name }
        : { id: this.instagram.id, name: this.instagram.username, username: this.instagram.username };
    const comment: StoredComment = {
      id: network === 'facebook' ? `${parent.id.split('_')[0]}_${this.id()}` : `1800000${this.id()}`,
      network,
      objectId: parent.objectId,
      parentId: parent.id,
      from: brand,
      text,
      createdAt: this.now(),
      hidden: false,
    };
    this.comments.set(comment.id, comment);
    return comment;
  }

  private fbComment(comment: StoredComment) {
    return {
      id: comment.id,
      message: comment.text,
      from: { id: comment.from.id, name: comment.from.name },
      created_time: graphTime(comment.createdAt),
      is_hidden: comment.hidden,
      permalink_url: `https://www.facebook.com/${comment.objectId.replace('_', '/posts/')}?comment_id=${comment.id}`,
      ...(comment.parentId && comment.parentId !== comment.objectId ? { parent: { id: comment.parentId } } : {}),
    };
  }

  private igComment(comment: StoredComment) {
    const username = comment.from.username ?? comment.from.name;
    return {
      id: comment.id,
      text: comment.text,
      timestamp: graphTime(comment.createdAt),
      username,
      from: { id: comment.from.id, username },
      hidden: comment.hidden,
      ...(comment.parentId ? { parent_id: comment.parentId } : {}),
    };
  }

  /** Spends one call of the hourly quota; the share used, as Meta's `call_count` percentage. */
  private spendCall(): number {
    const now = this.now();
    while (this.callTimes.length && (this.callTimes[0] ?? 0) <= now - HOUR_MS) this.callTimes.shift();
    this.callTimes.push(now);
    return Math.ceil((this.callTimes.length / this.callsPerHour) * 100);
  }

  private id(): string {
    return String(this.nextId++).padStart(9, '0');
  }
}

const ok = (body: unknown): Reply => ({ status: 200, body });

function graphError(status: number, code: number, message: string, type = 'OAuthException', subcode?: number): Reply {
  return {
    status,
    body: { error: { message, type, code, ...(subcode ? { error_subcode: subcode } : {}), fbtrace_id: 'AbCdEfGhIjKlMnOp' } },
    headers: status === 401 ? { 'www-authenticate': 'OAuth "Facebook Platform" "invalid_token"' } : undefined,
  };
}

/** Graph's time format: `2026-12-03T10:00:00+0000`. */
const graphTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
