import { expect } from 'vitest';
import type { StoredMessage, StoredView } from '../../src/sandbox/slack-standin.ts';
import type { XPost } from '../../src/sandbox/x-standin.ts';
import { customers, SIGNING_SECRET, type Standins, waitUntil } from './harness.ts';
import { buttonClick, postSignedToSlackEndpoint, slashCommand, threadMessageEvent, viewSubmission } from './slack-request.ts';

export interface PostedMention {
  post: XPost;
  key: string;
  message: StoredMessage;
}

/** A mention message in Slack, whatever its platform. */
export type MentionMessage = Pick<PostedMention, 'key' | 'message'>;

/**
 * Steps a support agent takes, each as the signed HTTP request Slack would send. Shared by the
 * in-process reply stories and the crash tests that run the bot as its own process.
 */
export function replyFlow(standins: () => Standins, botUrl: () => string) {
  const send = (body: Parameters<typeof postSignedToSlackEndpoint>[1], headers?: Record<string, string>) =>
    postSignedToSlackEndpoint(botUrl(), body, { secret: SIGNING_SECRET, headers });

  return {
    send,

    /** A customer mentions the brand; resolves once the mention message is in Slack. */
    async mention(text: string, author = customers[0]!): Promise<PostedMention> {
      const post = standins().x.addMention(author, text);
      return { post, ...(await this.posted(`x:${post.id}`)) };
    },

    /** Waits for the mention message of `key` (any platform: `mastodon:…`, `bluesky:at://…`). */
    async posted(key: string): Promise<MentionMessage> {
      const message = await waitUntil(
        () =>
          standins()
            .slack.allMessages()
            .find((m) => m.metadata?.event_payload.key === key),
        15_000,
        `the mention message for ${key}`,
      );
      return { key, message };
    },

    /** Presses a button on a message. */
    async press(actionId: string, message: StoredMessage, value: string, userId = 'U0AGENT01') {
      const triggerId = standins().slack.issueTriggerId(userId);
      const response = await send(
        buttonClick({ actionId, value, channel: message.channel, messageTs: message.ts, threadTs: message.thread_ts, userId, triggerId }),
      );
      expect(response.status).toBe(200);
      return response;
    },

    /** Presses Reply and waits for the modal the bot opens. */
    async openReplyModal(mention: MentionMessage, userId = 'U0AGENT01'): Promise<StoredView> {
      const before = standins().slack.views().length;
      await this.press('mention_reply', mention.message, mention.key, userId);
      return waitUntil(() => standins().slack.views()[before], 5_000, 'the reply modal');
    },

    /** Submits the modal with `text`; answers Slack's HTTP response (empty, or response_action errors). */
    async submitReply(view: StoredView, text: string, userId = 'U0AGENT01') {
      const current = standins().slack.view(view.id) ?? view;
      return send(viewSubmission({ view: current, userId, values: { reply_text: text } }));
    },

    /** Writes in the mention's thread as a person. */
    async writeInThread(
      mention: MentionMessage,
      text: string,
      options: { userId?: string; ts?: string; retryNum?: number; eventId?: string } = {},
    ) {
      // The message lands in the Slack stand-in first (which gives it its ts), then Slack's event
      // for it reaches the bot. Passing `ts` resends the event of an earlier message.
      const userId = options.userId ?? 'U0AGENT01';
      const ts = options.ts ?? standins().slack.postAsUser(mention.message.channel, userId, text, mention.message.ts).ts;
      const event = threadMessageEvent({
        channel: mention.message.channel,
        threadTs: mention.message.ts,
        text,
        userId,
        ts,
        eventId: options.eventId,
      });
      const headers = options.retryNum
        ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
        : undefined;
      const response = await send(event, headers);
      expect(response.status).toBe(200);
      return event;
    },

    async command(text: string, userId = 'U0AGENT01') {
      const response = await send(
        slashCommand({
          text,
          userId,
          responseUrl: standins().slack.responseUrl('C0MENTIONS', userId),
          triggerId: standins().slack.issueTriggerId(userId),
        }),
      );
      expect(response.status).toBe(200);
      return JSON.parse(response.text || '{}') as { response_type?: string; text?: string };
    },

    /** The bot's messages in the mention's thread (announcements), oldest first. */
    threadOf(mention: MentionMessage): StoredMessage[] {
      return standins()
        .slack.messages(mention.message.channel)
        .filter((m) => m.thread_ts === mention.message.ts && m.bot_id);
    },

    /** The mention message as it is now in Slack (updated in place). */
    currentMessage(mention: MentionMessage): StoredMessage | undefined {
      return standins()
        .slack.messages(mention.message.channel)
        .find((m) => m.ts === mention.message.ts);
    },

    /** What the brand published on X in reply to this mention. */
    repliesOnX(mention: PostedMention): XPost[] {
      return standins()
        .x.published()
        .filter((post) => post.in_reply_to_post_id === mention.post.id);
    },

    ephemeralsFor(userId: string): StoredMessage[] {
      return standins().slack.ephemerals.filter((m) => m.ephemeralTo === userId);
    },
  };
}

/** The text of a message's blocks, for assertions about what a person reads. */
export function textOf(message: StoredMessage | undefined): string {
  return JSON.stringify(message?.blocks ?? []) + (message?.text ?? '');
}
