import { describe, expect, it } from 'vitest';
import {
  type ConversationRecord,
  conversationAfterInbound,
  conversationAfterReply,
  type InboundDirectMessage,
  isConversationKey,
} from '../../src/domain/conversations.ts';

const ada = { id: 'did:plc:ada', handle: 'ada.bsky.social', name: 'Ada', profileUrl: 'https://bsky.app/profile/ada.bsky.social' };
const message = (id: string, createdAt: string, fromBrand = false): InboundDirectMessage => ({
  platform: 'bluesky',
  id,
  conversationId: 'c1',
  text: `message ${id}`,
  createdAt,
  sender: fromBrand ? { ...ada, id: 'did:plc:brand' } : ada,
  fromBrand,
  participants: [ada],
});
const start = { contactId: 'contact-1', slack: { channel: 'C0SOCDMS1', attemptedAt: '2026-11-25T09:00:00.000Z' } };

describe('a conversation as messages arrive', () => {
  it('opens with the first message, which it quotes, and waits for an answer from it', () => {
    const opened = conversationAfterInbound(undefined, message('m1', '2026-11-25T09:00:00.000Z'), start);
    expect(opened).toMatchObject({
      key: 'bluesky:dm:c1',
      status: 'open',
      contactId: 'contact-1',
      openingKey: 'bluesky:dm-message:m1',
      lastInboundId: 'm1',
      awaitingSince: '2026-11-25T09:00:00.000Z',
      lastMessageAt: '2026-11-25T09:00:00.000Z',
    });
    const later = conversationAfterInbound(opened, message('m2', '2026-11-25T09:05:00.000Z'), start);
    // Still waiting since the first unanswered message; the opening stays the first.
    expect(later).toMatchObject({ awaitingSince: '2026-11-25T09:00:00.000Z', openingKey: 'bluesky:dm-message:m1', lastInboundId: 'm2' });
  });

  it('is answered by a reply, measuring the wait from the oldest unanswered message, and by the brand writing from the app', () => {
    const opened = conversationAfterInbound(undefined, message('m1', '2026-11-25T09:00:00.000Z'), start);
    const replied = conversationAfterReply(opened, '2026-11-25T09:14:00.000Z');
    expect(replied.responseMs).toBe(14 * 60_000);
    expect(replied.conversation.awaitingSince).toBeUndefined();
    expect(conversationAfterReply({ ...opened, isRequest: true }, '2026-11-25T09:14:00.000Z').conversation.isRequest).toBe(false);
    expect(conversationAfterReply(replied.conversation, '2026-11-25T09:20:00.000Z').responseMs).toBeUndefined();
    const fromApp = conversationAfterInbound(opened, message('b1', '2026-11-25T09:30:00.000Z', true), start);
    expect(fromApp.awaitingSince).toBeUndefined();
    expect(fromApp.lastInboundId).toBe('m1');
  });

  it('reopens when a customer writes after it was resolved, not for a message from before that is read late', () => {
    const opened = conversationAfterInbound(undefined, message('m1', '2026-11-25T09:00:00.000Z'), start);
    const resolved: ConversationRecord = { ...opened, status: 'resolved', resolved: { by: 'U1', at: '2026-11-25T10:00:00.000Z' } };
    const late = conversationAfterInbound(resolved, message('m0', '2026-11-25T09:59:00.000Z'), start);
    expect(late.status).toBe('resolved');
    expect(late.reopenedAt).toBeUndefined();
    const reopened = conversationAfterInbound(resolved, message('m2', '2026-11-25T10:30:00.000Z'), start);
    expect(reopened).toMatchObject({ status: 'open', reopenedAt: '2026-11-25T10:30:00.000Z', resolved: undefined });
  });

  it('tells conversation keys from mention keys', () => {
    expect(isConversationKey('x:dm:1-2')).toBe(true);
    expect(isConversationKey('bluesky:at://did:plc:x/app.bsky.feed.post/3k')).toBe(false);
    expect(isConversationKey('x:1861234567890123456')).toBe(false);
  });
});
