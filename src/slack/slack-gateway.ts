import type { KnownBlock, View } from '@slack/types';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { ChatCallError, type MessageRef } from '../services/team-chat.ts';

/**
 * The Slack Web API calls Switchboard makes, with Slack's failures turned into the core's three
 * kinds (ChatCallError). The WebClient is built with retries off: a retried `chat.postMessage`
 * whose first attempt did reach Slack would post twice, so the caller decides, knowing what
 * "uncertain" means.
 */
export type PostedMessage = MessageRef;

export interface MessageToPost {
  channel: string;
  text: string;
  blocks: KnownBlock[];
  metadata?: { event_type: string; event_payload: Record<string, string> };
  /** Posts into this message's thread. */
  threadTs?: string;
  /** A thread reply shown in the channel too (`reply_broadcast`). */
  replyBroadcast?: boolean;
}

export class SlackGateway {
  private readonly names = new Map<string, string>();

  constructor(private readonly client: WebClient) {}

  async postMessage(message: MessageToPost): Promise<PostedMessage> {
    const common = {
      channel: message.channel,
      text: message.text,
      blocks: message.blocks,
      metadata: message.metadata,
      // Social posts link to themselves; Slack's unfurls would only repeat the card.
      unfurl_links: false,
      unfurl_media: false,
    };
    const result = await this.call('chat.postMessage', () =>
      this.client.chat.postMessage(
        message.threadTs ? { ...common, thread_ts: message.threadTs, reply_broadcast: Boolean(message.replyBroadcast) } : common,
      ),
    );
    if (!result.ts) throw new ChatCallError('uncertain', 'chat.postMessage', 'no ts in the answer');
    return { channel: result.channel ?? message.channel, ts: result.ts };
  }

  /**
   * Finds a message the bot posted earlier by its metadata, searching the channel's history back
   * to `oldest` (Unix seconds). Used after an uncertain post or a crash, before posting again.
   */
  async findMessageByMetadata(
    channel: string,
    eventType: string,
    matches: (payload: Record<string, unknown>) => boolean,
    oldest: number,
  ): Promise<PostedMessage | undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.call('conversations.history', () =>
        this.client.conversations.history({ channel, oldest: oldest.toFixed(6), include_all_metadata: true, limit: 200, cursor }),
      );
      for (const message of page.messages ?? []) {
        const metadata = message.metadata as { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
        if (message.ts && metadata?.event_type === eventType && metadata.event_payload && matches(metadata.event_payload)) {
          return { channel, ts: message.ts };
        }
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }

  async updateMessage(message: {
    channel: string;
    ts: string;
    text: string;
    blocks: KnownBlock[];
    metadata?: { event_type: string; event_payload: Record<string, string> };
  }): Promise<void> {
    await this.call('chat.update', () =>
      this.client.chat.update({
        channel: message.channel,
        ts: message.ts,
        text: message.text,
        blocks: message.blocks,
        ...(message.metadata ? { metadata: message.metadata } : {}),
      }),
    );
  }

  /** A message only `user` sees (in a thread when `threadTs` is given). */
  async postEphemeral(message: { channel: string; user: string; text: string; threadTs?: string; blocks?: KnownBlock[] }): Promise<void> {
    await this.call('chat.postEphemeral', () =>
      this.client.chat.postEphemeral({
        channel: message.channel,
        user: message.user,
        text: message.text,
        blocks: message.blocks,
        thread_ts: message.threadTs,
      }),
    );
  }

  async openView(triggerId: string, view: View): Promise<{ viewId: string }> {
    const result = await this.call('views.open', () => this.client.views.open({ trigger_id: triggerId, view }));
    return { viewId: result.view?.id ?? '' };
  }

  /** Draws a person's App Home tab (`views.publish`). */
  async publishView(userId: string, view: View): Promise<void> {
    await this.call('views.publish', () => this.client.views.publish({ user_id: userId, view }));
  }

  async updateView(viewId: string, view: View, hash?: string): Promise<void> {
    await this.call('views.update', () => this.client.views.update({ view_id: viewId, view, hash }));
  }

  async userGroupMembers(groupId: string): Promise<string[]> {
    const result = await this.call('usergroups.users.list', () => this.client.usergroups.users.list({ usergroup: groupId }));
    return result.users ?? [];
  }

  /** Finds a message the bot posted in a thread by its metadata (conversations.replies). */
  findInThread(channel: string, threadTs: string, eventType: string, key: string): Promise<PostedMessage | undefined> {
    return this.findInThreadWhere(channel, threadTs, eventType, (payload) => payload.key === key);
  }

  /** The first message in a thread with this metadata type whose payload `matches`. */
  async findInThreadWhere(
    channel: string,
    threadTs: string,
    eventType: string,
    matches: (payload: Record<string, unknown>) => boolean,
  ): Promise<(PostedMessage & { payload: Record<string, unknown> }) | undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.call('conversations.replies', () =>
        this.client.conversations.replies({ channel, ts: threadTs, include_all_metadata: true, limit: 200, cursor }),
      );
      for (const message of page.messages ?? []) {
        const metadata = message.metadata as { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
        if (message.ts && metadata?.event_type === eventType && metadata.event_payload && matches(metadata.event_payload)) {
          return { channel, ts: message.ts, payload: metadata.event_payload };
        }
      }
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
    return undefined;
  }

  /** The metadata of one top-level message (a thread's parent), or undefined if it has none. */
  async messageMetadata(channel: string, ts: string): Promise<Record<string, unknown> | undefined> {
    const page = await this.call('conversations.history', () =>
      this.client.conversations.history({ channel, latest: ts, oldest: ts, inclusive: true, limit: 1, include_all_metadata: true }),
    );
    const message = page.messages?.find((m) => m.ts === ts);
    const metadata = message?.metadata as { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
    return metadata?.event_payload ? { event_type: metadata.event_type, ...metadata.event_payload } : undefined;
  }

  /** A direct message channel with `user` (needs im:write). */
  async openDirectMessage(user: string): Promise<string> {
    const result = await this.call('conversations.open', () => this.client.conversations.open({ users: user }));
    const id = result.channel?.id;
    if (!id) throw new ChatCallError('uncertain', 'conversations.open', 'no channel in the answer');
    return id;
  }

  /**
   * Uploads a file into a channel the current way (files.getUploadURLExternal, a POST of the bytes
   * to the URL it gives, files.completeUploadExternal); files.upload is retired.
   */
  async uploadFile(file: {
    channel: string;
    filename: string;
    title: string;
    content: Buffer;
    comment?: string;
    altText?: string;
  }): Promise<string> {
    const url = await this.call('files.getUploadURLExternal', () =>
      this.client.files.getUploadURLExternal({ filename: file.filename, length: file.content.length, alt_text: file.altText }),
    );
    if (!url.upload_url || !url.file_id) throw new ChatCallError('rejected', 'files.getUploadURLExternal', 'no upload URL');
    const uploaded = await fetch(url.upload_url, { method: 'POST', body: file.content }).catch((error: unknown) => {
      throw new ChatCallError('uncertain', 'file upload', error instanceof Error ? error.message : String(error));
    });
    if (!uploaded.ok) throw new ChatCallError('rejected', 'file upload', `HTTP ${uploaded.status}`);
    await this.call('files.completeUploadExternal', () =>
      this.client.files.completeUploadExternal({
        files: [{ id: url.file_id as string, title: file.title }],
        channel_id: file.channel,
        initial_comment: file.comment,
      }),
    );
    return url.file_id;
  }

  /**
   * A person's display name, cached: a digest names staff without `<@U…>`, which would notify them
   * every morning. Falls back to the ID if Slack does not know it or cannot be reached.
   */
  async displayName(userId: string): Promise<string> {
    const cached = this.names.get(userId);
    if (cached) return cached;
    try {
      const result = await this.call('users.info', () => this.client.users.info({ user: userId }));
      const name = result.user?.profile?.display_name || result.user?.real_name || result.user?.name || userId;
      this.names.set(userId, name);
      return name;
    } catch {
      return userId;
    }
  }

  async authTest(): Promise<{ userId: string; botId: string; teamId: string; url: string }> {
    const result = await this.call('auth.test', () => this.client.auth.test());
    return {
      userId: result.user_id ?? '',
      botId: result.bot_id ?? '',
      teamId: result.team_id ?? '',
      url: result.url ?? 'https://slack.com/',
    };
  }

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toChatCallError(method, error);
    }
  }
}

export function toChatCallError(method: string, error: unknown): ChatCallError {
  const coded = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  switch (coded.code) {
    case ErrorCode.RateLimitedError:
      return new ChatCallError('rate_limited', method, 'ratelimited', coded.retryAfter ?? 1, { cause: error });
    case ErrorCode.PlatformError:
      return new ChatCallError('rejected', method, coded.data?.error ?? 'unknown_error', undefined, { cause: error });
    case ErrorCode.HTTPError:
      return new ChatCallError('uncertain', method, `HTTP ${coded.statusCode ?? '?'}`, undefined, { cause: error });
    default:
      return new ChatCallError('uncertain', method, coded.message ?? String(error), undefined, { cause: error });
  }
}
