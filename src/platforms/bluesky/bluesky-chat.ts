import type { Agent } from '@atproto/api';
import type { InboundDirectMessage } from '../../domain/conversations.ts';
import { measureForBlueskyChat, type TextMeasure } from '../../domain/reply-text.ts';
import {
  type Author,
  type DirectMessageBatch,
  type DirectMessageQuery,
  type DirectMessaging,
  type DirectReplyTarget,
  PlatformError,
  profileUrlOf,
  type SentDirectMessage,
  withPlatformErrors,
} from '../platform.ts';

/** The chat service the PDS forwards to (`atproto-proxy: did:web:api.bsky.chat#bsky_chat`). */
export const BSKY_CHAT_DID = 'did:web:api.bsky.chat';

interface MemberView {
  did: string;
  handle: string;
  displayName?: string;
}
interface MessageView {
  $type?: string;
  id: string;
  rev: string;
  text?: string;
  sender: { did: string };
  sentAt: string;
}
interface ConvoView {
  id: string;
  rev: string;
  members: MemberView[];
  status?: string;
  lastMessage?: MessageView;
}

const isDeleted = (message: MessageView) => message.$type === 'chat.bsky.convo.defs#deletedMessageView' || message.text === undefined;

/**
 * Bluesky chat (chat.bsky.convo.*) through the brand's PDS, which forwards each call to the chat
 * service named in the `atproto-proxy` header. The first read lists conversations (`listConvos`)
 * and remembers the newest `rev`; every later read follows `getLog` from that rev, then reads the
 * new messages of each conversation the log names with `getMessages` (newest first, down to the
 * first one at or below the cursor's rev, or already stored). Conversation requests (`status:
 * request`) are read too. The app password must allow direct messages, or every call answers
 * "Bad token scope" (told as a `scope` error). `sendMessage` has no idempotency key: after an
 * uncertain send, `findSent` looks for the message in the conversation.
 */
export class BlueskyChat implements DirectMessaging {
  private readonly chat: Agent;

  constructor(
    agent: Agent,
    private readonly brandDid: string,
    readonly pollIntervalMs: number,
    /** The Bluesky adapter's translation of what @atproto/api throws. */
    private readonly translate: (error: unknown) => PlatformError,
  ) {
    this.chat = agent.withProxy('bsky_chat', BSKY_CHAT_DID);
  }

  async read(query: DirectMessageQuery): Promise<DirectMessageBatch> {
    const convoIds = new Set<string>();
    let cursor = query.after;
    if (!query.after) {
      let page: string | undefined;
      do {
        const listed = await this.call(() => this.chat.chat.bsky.convo.listConvos({ limit: 100, cursor: page }));
        for (const convo of listed.data.convos as ConvoView[]) {
          if (!cursor || convo.rev > cursor) cursor = convo.rev;
          const last = convo.lastMessage;
          if (last && Date.parse(last.sentAt) >= query.notBefore.getTime()) convoIds.add(convo.id);
        }
        page = listed.data.convos.length ? listed.data.cursor : undefined;
      } while (page);
    } else {
      for (let from = query.after; ; ) {
        const log = await this.call(() => this.chat.chat.bsky.convo.getLog({ cursor: from }));
        for (const entry of log.data.logs as Array<{ $type?: string; rev: string; convoId: string }>) {
          if (entry.rev > (cursor ?? '')) cursor = entry.rev;
          if (entry.$type === 'chat.bsky.convo.defs#logCreateMessage') convoIds.add(entry.convoId);
        }
        const next = log.data.cursor;
        if (!next || log.data.logs.length === 0 || next === from) break;
        from = next;
      }
    }
    const messages: InboundDirectMessage[] = [];
    for (const convoId of convoIds) messages.push(...(await this.newMessagesOf(convoId, query)));
    return { messages, cursor };
  }

  private async newMessagesOf(convoId: string, query: DirectMessageQuery): Promise<InboundDirectMessage[]> {
    const convo = (await this.call(() => this.chat.chat.bsky.convo.getConvo({ convoId }))).data.convo as ConvoView;
    const members = new Map(convo.members.map((member) => [member.did, toAuthor(member)]));
    const participants = convo.members.filter((member) => member.did !== this.brandDid).map(toAuthor);
    const found: InboundDirectMessage[] = [];
    let page: string | undefined;
    pages: do {
      const listed = await this.call(() => this.chat.chat.bsky.convo.getMessages({ convoId, limit: 100, cursor: page }));
      for (const message of listed.data.messages as MessageView[]) {
        if (query.after && message.rev <= query.after) break pages;
        if (!query.after && Date.parse(message.sentAt) < query.notBefore.getTime()) break pages;
        if (isDeleted(message) || (await query.isStored(message.id))) continue;
        const fromBrand = message.sender.did === this.brandDid;
        found.push({
          platform: 'bluesky',
          id: message.id,
          conversationId: convoId,
          text: message.text ?? '',
          createdAt: message.sentAt,
          sender: members.get(message.sender.did) ?? {
            id: message.sender.did,
            handle: message.sender.did,
            name: 'Bluesky user',
            profileUrl: '',
          },
          fromBrand,
          participants,
          isRequest: convo.status === 'request',
        });
      }
      page = listed.data.messages.length ? listed.data.cursor : undefined;
    } while (page);
    return found.reverse(); // oldest first
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    return withPlatformErrors(run, (error) => chatError(error, this.translate));
  }

  measure(text: string): TextMeasure {
    return measureForBlueskyChat(text);
  }

  async send(target: DirectReplyTarget, text: string): Promise<SentDirectMessage> {
    const sent = await this.call(() => this.chat.chat.bsky.convo.sendMessage({ convoId: target.conversationId, message: { text } }));
    return { id: sent.data.id, sentAt: sent.data.sentAt };
  }

  async findSent(target: DirectReplyTarget, text: string, since: string): Promise<SentDirectMessage | undefined> {
    const listed = await this.call(() => this.chat.chat.bsky.convo.getMessages({ convoId: target.conversationId, limit: 50 }));
    const from = Date.parse(since) - 60_000;
    const sent = (listed.data.messages as MessageView[]).find(
      (message) => message.sender.did === this.brandDid && message.text === text && Date.parse(message.sentAt) >= from,
    );
    return sent ? { id: sent.id, sentAt: sent.sentAt } : undefined;
  }
}

const toAuthor = (member: MemberView): Author => ({
  id: member.did,
  handle: member.handle,
  name: member.displayName || member.handle,
  profileUrl: profileUrlOf('bluesky', member.handle),
});

/** The chat service's refusals in words; everything else as the Bluesky adapter translates it. */
function chatError(error: unknown, translate: (error: unknown) => PlatformError): PlatformError {
  {
    const mapped = translate(error);
    const message = error instanceof Error ? error.message : '';
    // "Bad token method" from the reference PDS, "Bad token scope" from older ones.
    if (/bad token (scope|method)/i.test(message)) {
      return new PlatformError(
        'scope',
        'the Bluesky app password does not allow direct messages: create a new one in Settings → Privacy and security → App passwords with "Allow access to your direct messages" ticked, set it as BLUESKY_APP_PASSWORD and restart',
        mapped.details,
      );
    }
    if (/disabled incoming messages|not accepting messages|blocked|must follow/i.test(message)) {
      return new PlatformError(
        'rejected',
        `Bluesky refused: this person's chat settings do not accept messages from the brand (${message})`,
        mapped.details,
      );
    }
    if (/convo.*locked|locked convo/i.test(message)) {
      return new PlatformError(
        'rejected',
        'Bluesky refused: this conversation is locked (the customer left it or the account was suspended)',
        mapped.details,
      );
    }
    return mapped;
  }
}
