import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { InboundDirectMessage } from '../src/domain/conversations.ts';
import { createLog } from '../src/log.ts';
import type { DirectMessaging, Platform } from '../src/platforms/platform.ts';
import { Conversations, DirectMessageIngest } from '../src/services/conversations.ts';
import { Health } from '../src/services/health.ts';
import type { TeamChat } from '../src/services/team-chat.ts';
import { renderConversationMessage, renderDirectMessage } from '../src/slack/views/conversation-message.ts';
import { openFileStore } from '../src/store/files/file-store.ts';

/**
 * Private messages through `DirectMessageIngest` (store, contact, write-ahead, the thread's parent
 * redrawn after each message, Block Kit rendering; Slack answers at once), read in batches while the
 * history grows: the cost of a message must not grow with the number already stored.
 */
/** Reads of 500 (100 new conversations each) that fill one 1,000-record segment of conversations. */
const SEGMENT_CYCLE = 10;

export async function benchDirectMessages(batches: number, perBatch: number) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-dms-'));
  const store = await openFileStore(dir);
  try {
    let ts = 0;
    const posted = (channel: string) => ({ channel, ts: `1764000000.${String(++ts).padStart(6, '0')}` });
    const chat = {
      postConversation: async (conversation, shown) => {
        renderConversationMessage(conversation, shown);
        return posted(conversation.slack.channel);
      },
      updateConversation: async (conversation, shown) => void renderConversationMessage(conversation, shown),
      findConversation: async () => undefined,
      postDirectMessage: async (conversation, message, shown) => {
        renderDirectMessage(message, shown);
        return posted(conversation.slack.channel);
      },
      findDirectMessage: async () => undefined,
    } as Pick<
      TeamChat,
      'postConversation' | 'updateConversation' | 'findConversation' | 'postDirectMessage' | 'findDirectMessage'
    > as TeamChat;
    let pending: InboundDirectMessage[] = [];
    let sequence = 0;
    const directMessages: DirectMessaging = {
      pollIntervalMs: 1000,
      read: async () => ({ messages: pending, cursor: String(sequence) }),
      measure: (text) => ({ length: text.length, limit: 1000, isValid: true }),
      send: async () => ({ id: 'x', sentAt: new Date().toISOString() }),
      findSent: async () => undefined,
    };
    const platform = { id: 'bluesky', displayName: 'Bluesky', brandHandle: 'northwind', directMessages } as Pick<
      Platform,
      'id' | 'displayName' | 'brandHandle' | 'directMessages'
    > as Platform;
    const log = createLog({ level: 'error' });
    const conversations = new Conversations(store, new Map([['bluesky', platform]]), chat, log);
    const ingest = new DirectMessageIngest(platform, store, chat, conversations, new Health(), log, {
      channel: 'C0SOCDMS1',
      backfillHours: 24 * 365,
      retryBaseMs: 10,
      retryMaxMs: 100,
    });
    const perMessageMs: number[] = [];
    const start = Date.now();
    for (let batch = 0; batch < batches; batch++) {
      // Each batch: new customers (a conversation each) writing five messages apiece.
      pending = Array.from({ length: perBatch }, (_, i) => {
        const n = sequence++;
        const customer = batch * perBatch + Math.floor(i / 5);
        const author = { id: `did:plc:c${customer}`, handle: `c${customer}.bsky.social`, name: `Customer ${customer}`, profileUrl: '' };
        return {
          platform: 'bluesky',
          id: `m${n}`,
          conversationId: `convo-${customer}`,
          text: `message ${n}: where is my order ${customer}?`,
          createdAt: new Date(start + n).toISOString(),
          sender: author,
          fromBrand: false,
          participants: [author],
        };
      });
      const t0 = performance.now();
      const result = await ingest.pollOnce(new AbortController().signal);
      if (result.posted !== perBatch) throw new Error(`bench: posted ${result.posted} of ${perBatch}`);
      perMessageMs.push((performance.now() - t0) / perBatch);
    }
    // Segment files hold 1,000 records: a write's cost rises as its segment fills and falls when a new
    // one starts (with 100 new conversations a read, every 10 reads), so whole cycles are compared:
    // the first 10 reads against the last 10.
    const cycle = Math.min(SEGMENT_CYCLE, Math.floor(batches / 2));
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
    const early = mean(perMessageMs.slice(0, cycle));
    const late = mean(perMessageMs.slice(-cycle));
    return { stored: batches * perBatch, earlyMs: early, lateMs: late, perSecond: 1000 / late, perBatchMs: perMessageMs };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
