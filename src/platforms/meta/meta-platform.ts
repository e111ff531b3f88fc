import type { InboundDirectMessage } from '../../domain/conversations.ts';
import type { TextMeasure } from '../../domain/reply-text.ts';
import {
  type Author,
  type DirectMessageBatch,
  type DirectMessageQuery,
  type DirectMessaging,
  type DirectReplyTarget,
  type InboundMention,
  type MentionPage,
  type MentionQuery,
  type Platform,
  PlatformError,
  type PublishedPost,
  type PushedEvent,
  type PushReceiver,
  type SentDirectMessage,
} from '../platform.ts';
import { GraphApi } from './graph-api.ts';
import { messagingWindow } from './messaging-window.ts';
import { isRecord, readDelivery, stringOf, type WebhookChange, type WebhookMessaging } from './webhook.ts';

export interface MetaConfig {
  appSecret: string;
  verifyToken: string;
  pageId: string;
  pageAccessToken: string;
  instagramAccountId?: string;
  graphUrl: string;
  graphVersion: string;
  /** The app passed Meta's review for the `HUMAN_AGENT` tag: a person's private reply may go out up to 7 days after the customer's last message. */
  humanAgent: boolean;
}

export type MetaNetwork = 'facebook' | 'instagram';

/** How far back a catch-up read looks below its cursor: a webhook Meta retried for an hour is still found. */
const REREAD_MS = 2 * 3_600_000;
/** Posts (or Instagram media) whose comments a catch-up read looks through. */
const RECENT_POSTS = 25;
/** Instagram locks an account for an hour after more than 50 engagement actions in 5 seconds. */
const INSTAGRAM_ACTIONS = { max: 50, perMs: 5_000 };

interface GraphComment {
  id: string;
  message?: string;
  text?: string;
  created_time?: string;
  timestamp?: string;
  from?: { id?: string; name?: string; username?: string };
  username?: string;
  parent?: { id?: string };
  parent_id?: string;
  permalink_url?: string;
  media?: { id?: string; permalink?: string };
  replies?: { data?: GraphComment[] };
}
interface GraphList<T> {
  data?: T[];
  paging?: { next?: string; cursors?: { after?: string } };
}
interface GraphMessage {
  id: string;
  message?: string;
  created_time?: string;
  from?: { id?: string; name?: string; username?: string };
}
interface GraphConversation {
  id: string;
  updated_time?: string;
  participants?: { data?: Array<{ id?: string; name?: string; username?: string }> };
  messages?: { data?: GraphMessage[] };
}

/**
 * A Facebook Page, or the Instagram professional account linked to it, as a Platform. Meta pushes
 * comments and messages by webhook (`pushed`); the reads here only catch up on what a lost webhook
 * missed, every few minutes. Replies: Facebook `POST /{comment-id}/comments`; Instagram
 * `POST /{ig-comment-id}/replies` (top-level comments only: an answer to a reply goes under the
 * comment it replied to) and `POST /{ig-user-id}/mentions` for a comment elsewhere that @mentions
 * the brand. Neither has an idempotency key or refuses a duplicate, so a retried reply looks for
 * itself first. Private replies follow the messaging window (messaging-window.ts).
 */
export class MetaPlatform implements Platform {
  readonly displayName: string;
  readonly directMessages?: DirectMessaging;
  readonly pushed: PushReceiver;
  readonly cannotLike?: string;
  /** Instagram engagement actions in the last 5 s, as times. */
  private readonly recentActions: number[] = [];
  private readonly names = new Map<string, string>();
  private readonly now: () => Date;

  private constructor(
    readonly id: MetaNetwork,
    private readonly graph: GraphApi,
    /** The Page's or the Instagram account's ID. */
    private readonly accountId: string,
    readonly brandHandle: string,
    private readonly config: MetaConfig,
    readonly pollIntervalMs: number,
    options: { directMessages: boolean; now: () => Date },
  ) {
    this.now = options.now;
    this.displayName = id === 'facebook' ? 'Facebook' : 'Instagram';
    if (id === 'instagram') this.cannotLike = "Instagram's API cannot like comments: like it in the Instagram app";
    this.pushed = { eventsOf: (body) => this.eventsOf(body) };
    if (options.directMessages) this.directMessages = this.messaging();
  }

  static async connect(
    config: MetaConfig,
    network: MetaNetwork,
    options: { pollIntervalMs: number; directMessages: boolean; now?: () => Date; sleep?: (ms: number) => Promise<void> },
  ): Promise<MetaPlatform> {
    const graph = new GraphApi({
      baseUrl: config.graphUrl,
      version: config.graphVersion,
      accessToken: config.pageAccessToken,
      sleep: options.sleep,
    });
    const now = options.now ?? (() => new Date());
    if (network === 'facebook') {
      const page = await graph.get<{ id?: string; name?: string; username?: string }>(config.pageId, { fields: 'id,name,username' });
      return new MetaPlatform(
        'facebook',
        graph,
        config.pageId,
        page.username ?? page.name ?? config.pageId,
        config,
        options.pollIntervalMs,
        {
          directMessages: options.directMessages,
          now,
        },
      );
    }
    const accountId = config.instagramAccountId;
    if (!accountId) throw new PlatformError('rejected', 'INSTAGRAM_ACCOUNT_ID is not set');
    const account = await graph.get<{ id?: string; username?: string }>(accountId, { fields: 'id,username' });
    return new MetaPlatform('instagram', graph, accountId, account.username ?? accountId, config, options.pollIntervalMs, {
      directMessages: options.directMessages,
      now,
    });
  }

  replyWarning(): string | undefined {
    return this.id === 'instagram' ? 'Instagram threads replies under the top-level comment' : undefined;
  }

  measureText(text: string): TextMeasure {
    // Facebook comments take 8,000 characters; Instagram comments 2,200.
    return { length: Array.from(text).length, limit: this.id === 'facebook' ? 8_000 : 2_200, isValid: true };
  }

  replyPrefix(author: Author): string {
    // Facebook threads a reply under the comment and has no handles to type; Instagram names the person.
    return this.id === 'instagram' ? `@${author.handle} ` : '';
  }

  compareCursors(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  async publishReply(request: { inReplyTo: string; text: string; requestedAt?: string; isRetry?: boolean }): Promise<PublishedPost> {
    const target = parseReplyTarget(request.inReplyTo);
    if (request.isRetry) {
      const found = await this.findOwnReply(target.commentId, request.text, request.requestedAt);
      if (found) return found;
    }
    if (this.id === 'facebook') {
      const made = await this.graph.post<{ id: string }>(`${target.commentId}/comments`, { message: request.text });
      return { id: made.id, url: `https://www.facebook.com/${made.id}` };
    }
    await this.paceInstagramAction();
    const made =
      target.kind === 'mention'
        ? await this.graph.post<{ id: string }>(`${this.accountId}/mentions`, {
            media_id: target.mediaId,
            comment_id: target.commentId,
            message: request.text,
          })
        : await this.graph.post<{ id: string }>(`${target.commentId}/replies`, { message: request.text });
    return { id: made.id, url: '' };
  }

  async like(postId: string): Promise<void> {
    if (this.cannotLike) throw new PlatformError('rejected', this.cannotLike);
    await this.graph.post(`${postId}/likes`, {});
  }

  async unlike(postId: string): Promise<void> {
    if (this.cannotLike) throw new PlatformError('rejected', this.cannotLike);
    await this.graph.delete(`${postId}/likes`);
  }

  async setHidden(postId: string, hidden: boolean): Promise<void> {
    if (this.id === 'instagram') {
      await this.paceInstagramAction();
      await this.graph.post(postId, { hide: hidden });
    } else {
      await this.graph.post(postId, { is_hidden: hidden });
    }
  }

  /** The catch-up read: comments on the latest posts, newer than the cursor less two hours. */
  async fetchMentionPage(query: MentionQuery): Promise<MentionPage> {
    const since = query.after ? Date.parse(query.after.split('|')[0] ?? '') - REREAD_MS : query.notBefore.getTime();
    const comments = this.id === 'facebook' ? await this.recentFacebookComments(since) : await this.recentInstagramComments(since);
    const mentions = comments
      .map((comment) => this.toMention(comment))
      .filter((mention): mention is InboundMention => mention !== undefined && Date.parse(mention.createdAt) >= since)
      .sort((a, b) => (a.cursor < b.cursor ? 1 : -1));
    return { mentions };
  }

  private async recentFacebookComments(since: number): Promise<GraphComment[]> {
    const posts = await this.graph.get<GraphList<{ id: string; updated_time?: string }>>(`${this.accountId}/posts`, {
      fields: 'id,updated_time',
      limit: RECENT_POSTS,
    });
    const comments: GraphComment[] = [];
    for (const post of posts.data ?? []) {
      if (post.updated_time && Date.parse(post.updated_time) < since) continue;
      const page = await this.graph.get<GraphList<GraphComment>>(`${post.id}/comments`, {
        filter: 'stream',
        order: 'reverse_chronological',
        fields: 'id,message,from,created_time,parent{id},permalink_url',
        limit: 100,
      });
      comments.push(...(page.data ?? []));
    }
    return comments;
  }

  private async recentInstagramComments(since: number): Promise<GraphComment[]> {
    const media = await this.graph.get<GraphList<{ id: string; permalink?: string; comments_count?: number }>>(`${this.accountId}/media`, {
      fields: 'id,permalink,comments_count',
      limit: RECENT_POSTS,
    });
    const comments: GraphComment[] = [];
    for (const item of media.data ?? []) {
      if (!item.comments_count) continue;
      const page = await this.graph.get<GraphList<GraphComment>>(`${item.id}/comments`, {
        fields: 'id,text,timestamp,from,username,parent_id,replies{id,text,timestamp,from,username,parent_id}',
        limit: 50,
      });
      for (const comment of page.data ?? []) {
        const withMedia = { ...comment, media: { id: item.id, permalink: item.permalink } };
        comments.push(
          withMedia,
          ...(comment.replies?.data ?? []).map((reply) => ({ ...reply, parent_id: comment.id, media: withMedia.media })),
        );
      }
    }
    return comments.filter((comment) => Date.parse(comment.timestamp ?? '') >= since);
  }

  /** A comment as a mention, unless it is the brand's own. */
  private toMention(comment: GraphComment, options: { mentionOf?: { mediaId: string } } = {}): InboundMention | undefined {
    const fromId = comment.from?.id ?? '';
    const handle = comment.from?.username ?? comment.username ?? '';
    if (fromId === this.accountId || (this.id === 'instagram' && handle.toLowerCase() === this.brandHandle.toLowerCase())) return undefined;
    const createdAt = isoOf(comment.created_time ?? comment.timestamp) ?? this.now().toISOString();
    const parentId = comment.parent?.id ?? comment.parent_id;
    if (this.id === 'facebook') {
      const name = comment.from?.name ?? 'Facebook user';
      return {
        platform: 'facebook',
        id: comment.id,
        text: comment.message ?? '',
        url: comment.permalink_url ?? `https://www.facebook.com/${comment.id}`,
        createdAt,
        // Facebook has no handles: the ID scoped to the app is the one stable name.
        author: { id: fromId || 'unknown', handle: fromId || 'unknown', name, profileUrl: 'https://www.facebook.com/' },
        cursor: `${createdAt}|${comment.id}`,
        isComment: true,
        canHide: true,
      };
    }
    const mentionOf = options.mentionOf;
    return {
      platform: 'instagram',
      id: comment.id,
      text: comment.text ?? '',
      url: comment.media?.permalink ?? 'https://www.instagram.com/',
      createdAt,
      author: { id: fromId || handle, handle, name: handle, profileUrl: `https://www.instagram.com/${handle}` },
      cursor: `${createdAt}|${comment.id}`,
      isComment: !mentionOf,
      // On someone else's media only the media's owner can hide a comment; a reply there goes through /mentions.
      canHide: !mentionOf,
      replyTarget: mentionOf ? `mention:${mentionOf.mediaId}:${comment.id}` : parentId,
    };
  }

  // ---- webhooks -------------------------------------------------------------------------------

  private async eventsOf(body: string): Promise<PushedEvent[]> {
    const delivery = readDelivery(body);
    const object = this.id === 'facebook' ? 'page' : 'instagram';
    const events: PushedEvent[] = [];
    for (const change of delivery.changes) {
      if (change.object !== object || change.accountId !== this.accountId) continue;
      events.push(...(await this.changeEvents(change)));
    }
    for (const messaging of delivery.messaging) {
      if (messaging.object !== object || messaging.accountId !== this.accountId || !this.directMessages) continue;
      const message = await this.messageOf(messaging);
      if (message) events.push({ kind: 'direct_message', message });
    }
    return events;
  }

  private async changeEvents(change: WebhookChange): Promise<PushedEvent[]> {
    const value = change.value;
    const at = new Date((change.time || this.now().getTime() / 1000) * 1000).toISOString();
    if (this.id === 'facebook') {
      // Page `feed` changes: only comments (posts, reactions and shares are not for the team).
      if (change.field !== 'feed' || value.item !== 'comment') return [];
      const id = stringOf(value.comment_id);
      if (!id) return [];
      const verb = stringOf(value.verb);
      if (verb === 'remove') return [{ kind: 'removed', platform: 'facebook', id, at }];
      const from = isRecord(value.from) ? value.from : {};
      const createdTime =
        typeof value.created_time === 'number' ? new Date(value.created_time * 1000).toISOString() : stringOf(value.created_time);
      const parentId = stringOf(value.parent_id);
      const mention = this.toMention({
        id,
        message: stringOf(value.message) ?? '',
        created_time: createdTime,
        from: { id: stringOf(from.id), name: stringOf(from.name) },
        parent: parentId && parentId !== stringOf(value.post_id) ? { id: parentId } : undefined,
      });
      if (!mention) return [];
      if (verb === 'edited') return [{ kind: 'edited', mention, at }];
      return verb === 'add' ? [{ kind: 'mention', mention }] : [];
    }
    // Instagram sends IDs and a little text; the comment is read for its time and its media's link.
    if (change.field === 'comments') {
      const id = stringOf(value.id);
      if (!id) return [];
      const comment = await this.readComment(id);
      const mention = comment && this.toMention(comment);
      return mention ? [{ kind: 'mention', mention }] : [];
    }
    if (change.field === 'mentions') {
      const commentId = stringOf(value.comment_id);
      const mediaId = stringOf(value.media_id);
      if (!commentId || !mediaId) return []; // an @mention in a caption: nothing to answer under
      const found = await this.graph.get<{ mentioned_comment?: GraphComment }>(this.accountId, {
        fields: `mentioned_comment.comment_id(${commentId}){id,text,timestamp,username,from,media{id,permalink}}`,
      });
      const mention = found.mentioned_comment && this.toMention(found.mentioned_comment, { mentionOf: { mediaId } });
      return mention ? [{ kind: 'mention', mention }] : [];
    }
    return [];
  }

  /** An Instagram comment by ID; undefined when it is gone (deleted before it was read). */
  private async readComment(id: string): Promise<GraphComment | undefined> {
    try {
      return await this.graph.get<GraphComment>(id, { fields: 'id,text,timestamp,from,username,parent_id,media{id,permalink}' });
    } catch (error) {
      if (error instanceof PlatformError && error.code === 'rejected') return undefined;
      throw error;
    }
  }

  private async messageOf(event: WebhookMessaging): Promise<InboundDirectMessage | undefined> {
    const message = event.message;
    if (!message || message.isDeleted) return undefined;
    const text = message.text ?? (message.hasAttachments ? '[an attachment: open the conversation on the network to see it]' : undefined);
    if (text === undefined) return undefined;
    const fromBrand = message.isEcho || event.senderId === this.accountId;
    const customerId = fromBrand ? event.recipientId : event.senderId;
    const customer = await this.person(customerId);
    const brand: Author = { id: this.accountId, handle: this.brandHandle, name: this.brandHandle, profileUrl: '' };
    return {
      platform: this.id,
      id: message.mid,
      // One conversation per customer and Page (or account): the customer's scoped ID names it.
      conversationId: customerId,
      text,
      createdAt: new Date(event.timestamp).toISOString(),
      sender: fromBrand ? brand : customer,
      fromBrand,
      participants: [customer],
    };
  }

  /** A customer's name, read once per process (Meta's user profile API) and kept. */
  private async person(id: string): Promise<Author> {
    let name = this.names.get(id);
    if (name === undefined) {
      try {
        const profile = await this.graph.get<{ name?: string; username?: string }>(id, {
          fields: this.id === 'facebook' ? 'name' : 'name,username',
        });
        // Messenger gives a name; Instagram a username (shown as the handle) and sometimes a name.
        name = (this.id === 'facebook' ? profile.name : (profile.username ?? profile.name)) ?? '';
      } catch (error) {
        if (!(error instanceof PlatformError) || error.isTransient) throw error;
        name = ''; // no profile access: the conversation still comes in
      }
      if (this.names.size > 10_000) this.names.clear();
      this.names.set(id, name);
    }
    return this.author(id, name);
  }

  private author(id: string, name: string): Author {
    const fallback = this.id === 'facebook' ? 'Messenger user' : 'Instagram user';
    if (this.id === 'facebook') return { id, handle: id, name: name || fallback, profileUrl: 'https://www.facebook.com/' };
    return {
      id,
      handle: name || id,
      name: name || fallback,
      profileUrl: name ? `https://www.instagram.com/${name}` : 'https://www.instagram.com/',
    };
  }

  // ---- private messages -----------------------------------------------------------------------

  private messaging(): DirectMessaging {
    const network = this.id === 'facebook' ? 'Messenger' : 'Instagram';
    const platformParam = this.id === 'facebook' ? 'messenger' : 'instagram';
    const limit = this.id === 'facebook' ? 2_000 : 1_000;
    return {
      pollIntervalMs: this.pollIntervalMs,
      read: (query) => this.readConversations(query, platformParam),
      measure: (text) => ({ length: Array.from(text).length, limit, isValid: true }),
      problemWith: (_text, target) => {
        const verdict = messagingWindow(network, target.lastInboundAt, this.now(), this.config.humanAgent);
        return verdict.kind === 'closed' ? `Not sent: ${verdict.reason}.` : undefined;
      },
      send: (target, text, _key, options) => this.sendMessage(target, text, network, options?.byRule ?? false),
      findSent: (target, text, since) => this.findSentMessage(target, text, since, platformParam),
    };
  }

  private async readConversations(query: DirectMessageQuery, platformParam: string): Promise<DirectMessageBatch> {
    const since = query.after ? Date.parse(query.after) - REREAD_MS : query.notBefore.getTime();
    const listed = await this.graph.get<GraphList<GraphConversation>>(`${this.config.pageId}/conversations`, {
      platform: platformParam,
      fields: 'id,updated_time,participants,messages.limit(25){id,message,from,created_time}',
      limit: 25,
    });
    const messages: InboundDirectMessage[] = [];
    let newest = query.after;
    for (const conversation of listed.data ?? []) {
      const updated = isoOf(conversation.updated_time);
      if (!updated || Date.parse(updated) < since) continue;
      if (!newest || updated > newest) newest = updated;
      const other = (conversation.participants?.data ?? []).find((person) => person.id && person.id !== this.accountId);
      if (!other?.id) continue;
      const customer = this.author(other.id, other.username ?? other.name ?? '');
      const brand: Author = { id: this.accountId, handle: this.brandHandle, name: this.brandHandle, profileUrl: '' };
      // Graph lists a conversation's messages newest first; the core wants them oldest first.
      for (const message of [...(conversation.messages?.data ?? [])].reverse()) {
        const createdAt = isoOf(message.created_time);
        if (!createdAt || Date.parse(createdAt) < since || message.message === undefined) continue;
        if (await query.isStored(message.id)) continue;
        const fromBrand = message.from?.id === this.accountId;
        messages.push({
          platform: this.id,
          id: message.id,
          conversationId: other.id,
          text: message.message,
          createdAt,
          sender: fromBrand ? brand : customer,
          fromBrand,
          participants: [customer],
        });
      }
    }
    return { messages, cursor: newest };
  }

  private async sendMessage(target: DirectReplyTarget, text: string, network: string, byRule: boolean): Promise<SentDirectMessage> {
    // Checked again at the send: the Undo window may have carried it past the messaging window.
    // HUMAN_AGENT is for a person's reply only (Meta's policy): a rule's reply gets the 24 hours.
    const verdict = messagingWindow(network, target.lastInboundAt, this.now(), this.config.humanAgent && !byRule);
    if (verdict.kind === 'closed') throw new PlatformError('rejected', verdict.reason);
    const sent = await this.graph.post<{ message_id?: string; recipient_id?: string }>(`${this.config.pageId}/messages`, {
      recipient: { id: target.conversationId },
      message: { text },
      ...(verdict.kind === 'human_agent' ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : { messaging_type: 'RESPONSE' }),
    });
    if (!sent.message_id) throw new PlatformError('unavailable', `${network} answered without a message ID`);
    return { id: sent.message_id, sentAt: this.now().toISOString() };
  }

  private async findSentMessage(
    target: DirectReplyTarget,
    text: string,
    since: string,
    platformParam: string,
  ): Promise<SentDirectMessage | undefined> {
    const listed = await this.graph.get<GraphList<GraphConversation>>(`${this.config.pageId}/conversations`, {
      platform: platformParam,
      user_id: target.conversationId,
      fields: 'id,messages.limit(25){id,message,from,created_time}',
    });
    const from = Date.parse(since) - 60_000;
    for (const conversation of listed.data ?? []) {
      for (const message of conversation.messages?.data ?? []) {
        const at = isoOf(message.created_time);
        if (message.from?.id === this.accountId && message.message === text && at && Date.parse(at) >= from)
          return { id: message.id, sentAt: at };
      }
    }
    return undefined;
  }

  /** After an uncertain reply: the brand's reply with this text under the comment, if it went out. */
  private async findOwnReply(commentId: string, text: string, requestedAt: string | undefined): Promise<PublishedPost | undefined> {
    const edge = this.id === 'facebook' ? 'comments' : 'replies';
    const listed = await this.graph.get<GraphList<GraphComment>>(`${commentId}/${edge}`, {
      fields: 'id,message,text,from,username,created_time,timestamp',
      ...(this.id === 'facebook' ? { order: 'reverse_chronological', filter: 'stream' } : {}),
      limit: 100,
    });
    const from = requestedAt ? Date.parse(requestedAt) - 60_000 : 0;
    for (const reply of listed.data ?? []) {
      const isOurs = reply.from?.id === this.accountId || (reply.username ?? reply.from?.username) === this.brandHandle;
      const at = Date.parse(reply.created_time ?? reply.timestamp ?? '');
      if (isOurs && (reply.message ?? reply.text) === text && at >= from) {
        return { id: reply.id, url: this.id === 'facebook' ? `https://www.facebook.com/${reply.id}` : '' };
      }
    }
    return undefined;
  }

  /** Waits for a slot when 50 Instagram actions went out in the last 5 s (Meta locks the account for an hour beyond). */
  private async paceInstagramAction(): Promise<void> {
    for (;;) {
      const now = Date.now();
      while (this.recentActions.length && (this.recentActions[0] ?? 0) <= now - INSTAGRAM_ACTIONS.perMs) this.recentActions.shift();
      if (this.recentActions.length < INSTAGRAM_ACTIONS.max) {
        this.recentActions.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, (this.recentActions[0] ?? now) + INSTAGRAM_ACTIONS.perMs - now + 1));
    }
  }
}

/** Where a reply goes: under a comment, or (Instagram) through /mentions for a comment on someone else's media. */
function parseReplyTarget(value: string): { kind: 'comment'; commentId: string } | { kind: 'mention'; mediaId: string; commentId: string } {
  const mention = /^mention:([^:]+):(.+)$/.exec(value);
  if (mention?.[1] && mention[2]) return { kind: 'mention', mediaId: mention[1], commentId: mention[2] };
  return { kind: 'comment', commentId: value };
}

/** Graph times (`2026-12-03T10:00:00+0000`) as ISO strings. */
function isoOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const parsed = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(parsed) ? undefined : new Date(parsed).toISOString();
}
