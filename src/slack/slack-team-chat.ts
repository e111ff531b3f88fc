import { referenceLabel, renderDigestChart } from '../charts/digest-chart.ts';
import type { ConversationRecord, DirectMessageRecord } from '../domain/conversations.ts';
import type { DigestFigures } from '../domain/digest-stats.ts';
import type { InboxPage } from '../domain/inbox.ts';
import type { MentionRecord, ReplyRecord } from '../domain/records.ts';
import type { SurgeRecord } from '../domain/surges.ts';
import type { Label } from '../domain/triage/labels.ts';
import {
  type AutomationNote,
  ChatCallError,
  type ContactLabel,
  type ConversationContext,
  type DigestContext,
  type MessageRef,
  type ReplyContext,
  type TeamChat,
} from '../services/team-chat.ts';
import type { ChannelPacer } from './channel-pacer.ts';
import {
  CONVERSATION_METADATA_EVENT,
  DIGEST_METADATA_EVENT,
  DIRECT_MESSAGE_METADATA_EVENT,
  MENTION_BATCH_METADATA_EVENT,
  MENTION_METADATA_EVENT,
  REPLY_METADATA_EVENT,
} from './ids.ts';
import type { MessageToPost, SlackGateway } from './slack-gateway.ts';
import { renderAppHome } from './views/app-home.ts';
import { renderAutomationNote } from './views/automation-note.ts';
import { renderConversationMessage, renderDirectMessage } from './views/conversation-message.ts';
import { periodTitle, renderDigestMessage } from './views/digest-message.ts';
import { renderErasedMessage, renderMentionMessage, renderMovedMessage } from './views/mention-message.ts';
import { renderReplyAnnouncement } from './views/reply-announcement.ts';
import { renderMentionBatch, renderSurgeMessage, renderSurgeNotice, type SurgeExample } from './views/surge-message.ts';

/**
 * The core's TeamChat in Slack: each use case rendered by a pure view and sent through the gateway,
 * with the message metadata that lets a restart find what was already posted.
 */
export class SlackTeamChat implements TeamChat {
  constructor(
    private readonly slack: SlackGateway,
    /** The workspace's URL (from auth.test), for permalinks in digests. */
    private readonly workspaceUrl: () => Promise<string>,
    /** Mention messages keep to Slack's pace per channel, and wait out a 429's Retry-After. */
    private readonly pacer: ChannelPacer,
  ) {}

  postMention(record: MentionRecord, contact: ContactLabel): Promise<MessageRef> {
    return this.postPaced({ channel: record.slack.channel, ...renderMentionMessage(record, contact) });
  }

  /** A post that keeps to the channel's pace, and holds the channel off for a 429's Retry-After. */
  private async postPaced(message: MessageToPost): Promise<MessageRef> {
    await this.pacer.take(message.channel);
    try {
      return await this.slack.postMessage(message);
    } catch (error) {
      if (error instanceof ChatCallError && error.kind === 'rate_limited')
        this.pacer.holdOff(message.channel, error.retryAfterSeconds ?? 1);
      throw error;
    }
  }

  async updateMention(record: MentionRecord & { slack: { ts: string } }, contact: ContactLabel): Promise<void> {
    const { text, blocks } = renderMentionMessage(record, contact);
    await this.slack.updateMessage({ channel: record.slack.channel, ts: record.slack.ts, text, blocks });
  }

  findMention(record: MentionRecord): Promise<MessageRef | undefined> {
    // A minute before the first attempt covers clock skew between this machine and Slack.
    const oldest = Date.parse(record.slack.attemptedAt) / 1000 - 60;
    return this.slack.findMessageByMetadata(record.slack.channel, MENTION_METADATA_EVENT, (payload) => payload.key === record.key, oldest);
  }

  announceReply(reply: ReplyRecord, shown: ReplyContext): Promise<MessageRef> {
    return this.slack.postMessage({
      channel: reply.thread.channel,
      threadTs: reply.thread.ts,
      metadata: { event_type: REPLY_METADATA_EVENT, event_payload: { key: reply.key } },
      ...renderReplyAnnouncement(reply, shown),
    });
  }

  async updateReplyAnnouncement(reply: ReplyRecord & { announcement: MessageRef }, shown: ReplyContext): Promise<void> {
    await this.slack.updateMessage({ ...reply.announcement, ...renderReplyAnnouncement(reply, shown) });
  }

  findReplyAnnouncement(reply: ReplyRecord): Promise<MessageRef | undefined> {
    return this.slack.findInThread(reply.thread.channel, reply.thread.ts, REPLY_METADATA_EVENT, reply.key);
  }

  async postDigest(channel: string, figures: DigestFigures, shown: DigestContext): Promise<MessageRef> {
    return this.slack.postMessage({ channel, ...(await this.renderDigest(figures, shown)) });
  }

  async updateDigest(message: MessageRef, figures: DigestFigures, shown: DigestContext): Promise<void> {
    const { text, blocks } = await this.renderDigest(figures, shown);
    await this.slack.updateMessage({ ...message, text, blocks });
  }

  findDigest(channel: string, key: string, sinceSeconds: number): Promise<MessageRef | undefined> {
    return this.slack.findMessageByMetadata(channel, DIGEST_METADATA_EVENT, (payload) => payload.key === key, sinceSeconds);
  }

  uploadDigestChart(message: MessageRef, figures: DigestFigures): Promise<string> {
    const title = `${figures.chart.bucket === 'hour' ? 'Mentions per hour' : 'Mentions per day'} · ${periodTitle(figures)}`;
    return this.slack.uploadFile({
      channel: message.channel,
      filename: `switchboard-digest-${figures.period.first}${figures.period.days > 1 ? `-to-${figures.period.last}` : ''}.png`,
      title,
      content: renderDigestChart(figures.chart, title),
      altText: `Bar chart of mentions per ${figures.chart.bucket} by label, against the ${referenceLabel(figures.chart.bucket)}`,
    });
  }

  async showMoved(from: MessageRef, to: MessageRef, move: { key: string; label: Label; by: string }): Promise<void> {
    await this.slack.updateMessage({ ...from, ...renderMovedMessage(to, move, await this.workspaceUrl().catch(() => undefined)) });
  }

  postConversation(conversation: ConversationRecord, shown: ConversationContext): Promise<MessageRef> {
    return this.postPaced({ channel: conversation.slack.channel, ...renderConversationMessage(conversation, shown) });
  }

  async updateConversation(conversation: ConversationRecord & { slack: { ts: string } }, shown: ConversationContext): Promise<void> {
    const { text, blocks } = renderConversationMessage(conversation, shown);
    await this.slack.updateMessage({ channel: conversation.slack.channel, ts: conversation.slack.ts, text, blocks });
  }

  findConversation(conversation: ConversationRecord): Promise<MessageRef | undefined> {
    const oldest = Date.parse(conversation.slack.attemptedAt) / 1000 - 60;
    return this.slack.findMessageByMetadata(
      conversation.slack.channel,
      CONVERSATION_METADATA_EVENT,
      (payload) => payload.key === conversation.key,
      oldest,
    );
  }

  postDirectMessage(
    conversation: ConversationRecord & { slack: { ts: string } },
    message: DirectMessageRecord,
    shown: { reopened: boolean },
  ): Promise<MessageRef> {
    // Into the thread, and also to the channel when it reopened a resolved conversation: the team must see it.
    return this.postPaced({
      channel: conversation.slack.channel,
      threadTs: conversation.slack.ts,
      replyBroadcast: shown.reopened,
      ...renderDirectMessage(message, shown),
    });
  }

  findDirectMessage(
    conversation: ConversationRecord & { slack: { ts: string } },
    message: DirectMessageRecord,
  ): Promise<MessageRef | undefined> {
    return this.slack.findInThread(conversation.slack.channel, conversation.slack.ts, DIRECT_MESSAGE_METADATA_EVENT, message.key);
  }

  postSurge(surge: SurgeRecord, examples: MentionRecord[]): Promise<MessageRef> {
    return this.postPaced({ channel: surge.channel, ...renderSurgeMessage(surge, examples.map(exampleOf)) });
  }

  async updateSurge(surge: SurgeRecord & { slack: { ts: string } }, examples: MentionRecord[]): Promise<void> {
    await this.slack.updateMessage({ channel: surge.channel, ts: surge.slack.ts, ...renderSurgeMessage(surge, examples.map(exampleOf)) });
  }

  postSurgeNotice(channel: string, surge: SurgeRecord, waiting: number, notifyGroup?: string): Promise<MessageRef> {
    return this.postPaced({ channel, ...renderSurgeNotice(surge, waiting, notifyGroup) });
  }

  postMentionBatch(thread: MessageRef, mentions: ReadonlyArray<{ record: MentionRecord; contact: ContactLabel }>): Promise<MessageRef> {
    return this.postPaced({ channel: thread.channel, threadTs: thread.ts, ...renderMentionBatch(mentions) });
  }

  async updateMentionBatch(message: MessageRef, mentions: ReadonlyArray<{ record: MentionRecord; contact: ContactLabel }>): Promise<void> {
    const { text, blocks } = renderMentionBatch(mentions);
    await this.slack.updateMessage({ channel: message.channel, ts: message.ts, text, blocks });
  }

  async findMentionBatch(thread: MessageRef, key: string): Promise<(MessageRef & { keys: string[] }) | undefined> {
    const keysOf = (payload: Record<string, unknown>) => String(payload.keys ?? '').split(' ');
    const found = await this.slack.findInThreadWhere(thread.channel, thread.ts, MENTION_BATCH_METADATA_EVENT, (payload) =>
      keysOf(payload).includes(key),
    );
    return found && { channel: found.channel, ts: found.ts, keys: keysOf(found.payload) };
  }

  async postAutomationNote(note: AutomationNote): Promise<MessageRef> {
    const assigneeName = note.kind === 'dry_run' && note.assignTo ? await this.slack.displayName(note.assignTo) : undefined;
    const rendered = renderAutomationNote(note, { workspaceUrl: await this.workspaceUrl(), assigneeName });
    if (note.kind === 'notify') return this.postPaced({ channel: note.channel, ...rendered });
    return this.postPaced({ channel: note.thread.channel, threadTs: note.thread.ts, ...rendered });
  }

  async showErased(message: MessageRef): Promise<void> {
    await this.slack.updateMessage({ ...message, ...renderErasedMessage() });
  }

  async tellPrivately(to: { channel: string; user: string; threadTs?: string }, text: string): Promise<void> {
    await this.slack.postEphemeral({ ...to, text });
  }

  async publishHome(userId: string, page: InboxPage): Promise<void> {
    await this.slack.publishView(userId, renderAppHome(page, await this.workspaceUrl()));
  }

  private async renderDigest(figures: DigestFigures, shown: DigestContext) {
    // Staff are named, never @-mentioned: a digest pings nobody, the person who asked for it included.
    const users = new Set([...figures.repliesByStaff.map((staff) => staff.user), ...(shown.requestedBy ? [shown.requestedBy] : [])]);
    const staffNames = new Map(await Promise.all([...users].map(async (user) => [user, await this.slack.displayName(user)] as const)));
    return renderDigestMessage(figures, { ...shown, workspaceUrl: await this.workspaceUrl(), staffNames });
  }
}

const exampleOf = (record: MentionRecord): SurgeExample => ({
  handle: record.mention.author.handle,
  text: record.mention.text,
  url: record.mention.url,
  platform: record.mention.platform,
});
