import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack-standin.ts';
import { platformEnv, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

const DMS = 'C0SOCDMS1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Private messages end to end, one network at a time, against the stand-ins: a conversation opens
 * one thread in the DMs channel, later messages go into it, a reply goes out once, and nothing is
 * lost or posted twice across downtime, rate limits and restarts.
 */
describe('private messages on Bluesky (chat through the PDS)', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const start = (extra: Record<string, string> = {}) =>
    bed.start({ ...platformEnv(bed.standins, 'bluesky'), SLACK_CHANNEL_DMS: DMS, ...extra });
  const ada = { handle: 'ada.bsky.social', displayName: 'Ada Lovelace' };
  const parents = () => bed.standins.slack.messages(DMS).filter((m) => m.metadata?.event_type === 'switchboard_conversation');
  const threadOf = (parent: StoredMessage) =>
    bed.standins.slack.messages(DMS).filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
  const customerMessagesIn = (parent: StoredMessage) =>
    threadOf(parent).filter((m) => m.metadata?.event_type === 'switchboard_direct_message');
  const currentParent = () => bed.standins.slack.messages(DMS).find((m) => m.ts === parents()[0]?.ts);

  it('opens one thread per conversation, posts follow-ups into it, replies once from the thread, and reopens a resolved one', async () => {
    bed.standins.bluesky.addChatMessage(ada, 'Hi, my order #4411 never arrived. Can you check?');
    await start();
    const parent = await waitUntil(() => parents()[0], 15_000, 'the conversation thread');
    expect(textOf(parent)).toContain('order #4411');
    expect(textOf(parent)).toContain('Ada Lovelace');
    expect(textOf(parent)).toContain('Bluesky');
    expect(textOf(parent)).toContain('message request');
    for (const label of ['Reply', 'Assign to me', 'Resolve', 'Link contact']) expect(textOf(parent)).toContain(label);
    // Nothing private in the mentions channels.
    expect(JSON.stringify(bed.standins.slack.messages('C0MENTIONS'))).not.toContain('4411');

    bed.standins.bluesky.addChatMessage(ada, 'My address is 12 Elm Street, if that helps');
    bed.bot.running.pollNow();
    await waitUntil(() => customerMessagesIn(parent).length === 1, 10_000, 'the follow-up in the thread');
    expect(textOf(customerMessagesIn(parent)[0])).toContain('12 Elm Street');
    expect(parents()).toHaveLength(1);

    const conversationKey = String(parent.metadata?.event_payload.key);
    const mention = { key: conversationKey, message: parent };
    await flow.writeInThread(mention, 'reply: Sorry Ada! A new parcel leaves today.');
    await waitUntil(() => bed.standins.bluesky.chat.sentByBrand().length === 1, 10_000, 'the reply on Bluesky');
    await waitUntil(
      () => textOf(flow.threadOf(mention).find((m) => m.metadata?.event_type === 'switchboard_reply')).includes('Sent by'),
      5_000,
      'the confirmation',
    );
    // Slack retries the same event: nothing new is sent.
    const thread = bed.standins.slack.messages(DMS).filter((m) => m.thread_ts === parent.ts && !m.bot_id);
    await flow.writeInThread(mention, 'reply: Sorry Ada! A new parcel leaves today.', { ts: thread.at(-1)?.ts, retryNum: 1 });
    await sleep(500);
    expect(bed.standins.bluesky.chat.sentByBrand().map((m) => m.text)).toEqual(['Sorry Ada! A new parcel leaves today.']);
    await waitUntil(() => !textOf(currentParent()).includes('Waiting for an answer'), 5_000, 'the parent to show it answered');

    await flow.press('conversation_resolve', parent, conversationKey);
    await waitUntil(() => textOf(currentParent()).includes('Resolved by'), 5_000, 'resolved');
    bed.standins.bluesky.addChatMessage(ada, 'It came! But the box was damaged.');
    bed.bot.running.pollNow();
    await waitUntil(() => customerMessagesIn(parent).length === 2, 10_000, 'the new message');
    const reopening = customerMessagesIn(parent)[1];
    expect(textOf(reopening)).toContain('Reopened');
    expect(reopening?.reply_broadcast).toBe(true);
    await waitUntil(() => textOf(currentParent()).includes(':large_green_circle: Open'), 5_000, 'the parent reopened');
    expect(parents()).toHaveLength(1);
  });
});
