import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack-standin.ts';
import type { StandinServer } from '../../src/sandbox/standin-server.ts';
import { platformEnv, type Standins, useChildBotBed, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

const DMS = 'C0SOCDMS1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a test does with one network's private messages, in that network's own terms. */
interface Network {
  name: 'x' | 'bluesky' | 'mastodon';
  label: string;
  env(standins: Standins): Record<string, string>;
  /** The customer (Ada) writes to the brand. */
  customerWrites(standins: Standins, text: string): void;
  /** Texts the brand sent privately, oldest first (Mastodon's with the participant's @handle added). */
  sentByBrand(standins: Standins): string[];
  standin(standins: Standins): StandinServer;
  /** The stand-in's operation names for a read of new messages and for a send. */
  readOperation: string;
  sendOperation: string;
  /** Ada's settings refuse the brand's messages (X and Bluesky). */
  closeInbox?(standins: Standins): void;
}

const ada = { username: 'ada_l', name: 'Ada Lovelace' };
const NETWORKS: Network[] = [
  {
    name: 'x',
    label: 'X direct messages (GET /2/dm_events, OAuth 1.0a)',
    env: (standins) => ({ ...standins.x.env, X_DM_POLL_INTERVAL_SECONDS: '1' }),
    customerWrites: (standins, text) => void standins.x.addDirectMessage(ada, text),
    sentByBrand: (standins) => standins.x.sentDirectMessages().map((event) => event.text),
    standin: (standins) => standins.x,
    readOperation: 'dm_events.read',
    sendOperation: 'dm.create',
    closeInbox: (standins) => standins.x.closedInboxes.add(standins.x.userNamed(ada.username)?.id ?? ''),
  },
  {
    name: 'bluesky',
    label: 'Bluesky chat (chat.bsky.convo through the PDS)',
    env: (standins) => platformEnv(standins, 'bluesky'),
    customerWrites: (standins, text) => void standins.bluesky.addChatMessage({ handle: 'ada.bsky.social', displayName: ada.name }, text),
    sentByBrand: (standins) => standins.bluesky.chat.sentByBrand().map((message) => message.text),
    standin: (standins) => standins.bluesky,
    readOperation: 'chat.bsky.convo.getLog',
    sendOperation: 'chat.bsky.convo.sendMessage',
    closeInbox: (standins) => standins.bluesky.chat.closedInboxes.add(standins.bluesky.profileOf({ handle: 'ada.bsky.social' }).did),
  },
  {
    name: 'mastodon',
    label: 'Mastodon direct conversations (GET /api/v1/conversations)',
    env: (standins) => platformEnv(standins, 'mastodon'),
    customerWrites: (standins, text) => void standins.mastodon.addDirectMessage({ username: 'ada', display_name: ada.name }, text),
    sentByBrand: (standins) =>
      standins.mastodon.directByBrand().map((status) =>
        status.content
          .replace(/<[^>]+>/g, '')
          .replace(/^@ada\s*/, '')
          .replace(/&#39;/g, "'"),
      ),
    standin: (standins) => standins.mastodon,
    readOperation: 'conversations',
    sendOperation: 'statuses.create',
  },
];

/** The DMs channel as a person reads it. */
function dmChannel(standins: () => Standins) {
  const all = () => standins().slack.messages(DMS);
  const parents = () => all().filter((m) => m.metadata?.event_type === 'switchboard_conversation');
  return {
    parents,
    current: (parent: StoredMessage) => all().find((m) => m.ts === parent.ts),
    customerMessagesIn: (parent: StoredMessage) =>
      all().filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts && m.metadata?.event_type === 'switchboard_direct_message'),
    confirmationIn: (parent: StoredMessage) =>
      all().find((m) => m.thread_ts === parent.ts && m.metadata?.event_type === 'switchboard_reply'),
    async waitForThread(timeoutMs = 15_000) {
      const parent = await waitUntil(() => parents()[0], timeoutMs, 'the conversation thread');
      return { parent, key: String(parent.metadata?.event_payload.key), message: parent };
    },
  };
}

describe.each(NETWORKS)('private messages: $label', (network) => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const channel = dmChannel(() => bed.standins);
  const start = () => bed.start({ ...network.env(bed.standins), SLACK_CHANNEL_DMS: DMS });
  const sent = () => network.sentByBrand(bed.standins);

  it('opens one thread, posts follow-ups into it, replies once from the modal and from the thread, and reopens a resolved one', async () => {
    network.customerWrites(bed.standins, 'Hi, my order #4411 never arrived. Can you check?');
    await start();
    const thread = await channel.waitForThread();
    const { parent } = thread;
    expect(textOf(parent)).toContain('order #4411');
    expect(textOf(parent)).toContain('Ada Lovelace');
    for (const label of ['Reply', 'Assign to me', 'Resolve', 'Link contact', 'Waiting for an answer'])
      expect(textOf(parent)).toContain(label);
    // Nothing private outside the DMs channel, and no mention message for it.
    for (const other of ['C0MENTIONS', 'C0QUESTION', 'C0DIGESTS']) {
      expect(JSON.stringify(bed.standins.slack.messages(other))).not.toContain('4411');
    }

    network.customerWrites(bed.standins, 'My address is 12 Elm Street, if that helps');
    bed.bot.running.pollNow();
    await waitUntil(() => channel.customerMessagesIn(parent).length === 1, 10_000, 'the follow-up in the thread');
    expect(textOf(channel.customerMessagesIn(parent)[0])).toContain('12 Elm Street');
    expect(channel.parents()).toHaveLength(1);

    // The Reply button opens a private modal; Send sends once, whatever Slack repeats.
    const viewsBefore = bed.standins.slack.views().length;
    await flow.press('conversation_reply', parent, thread.key);
    const modal = await waitUntil(() => bed.standins.slack.views()[viewsBefore], 5_000, 'the private reply modal');
    expect(JSON.stringify(modal.view)).toContain('Private reply');
    await flow.submitReply(modal, 'Sorry Ada, a new parcel leaves today.');
    await flow.submitReply(modal, 'Sorry Ada, a new parcel leaves today.');
    await waitUntil(() => sent().length === 1, 10_000, 'the reply on the network');
    await waitUntil(() => textOf(channel.confirmationIn(parent)).includes('Sent by'), 5_000, 'the confirmation in the thread');
    await waitUntil(() => !textOf(channel.current(parent)).includes('Waiting for an answer'), 5_000, 'the parent to show it answered');
    // Answering a message request accepts it.
    expect(textOf(channel.current(parent))).not.toContain('message request');

    // `reply:` in the thread, with Slack retrying the event: one more message, once.
    const event = await flow.writeInThread(thread, 'reply: Tracking number follows by email.');
    await flow.writeInThread(thread, 'reply: Tracking number follows by email.', { ts: event.json.event.ts, retryNum: 1 });
    await waitUntil(() => sent().length === 2, 10_000, 'the thread reply on the network');
    await sleep(500);
    expect(sent()).toEqual(['Sorry Ada, a new parcel leaves today.', 'Tracking number follows by email.']);
    // Our own replies, read back from the network, are not posted as the customer's.
    bed.bot.running.pollNow();
    await sleep(800);
    expect(channel.customerMessagesIn(parent)).toHaveLength(1);

    await flow.press('conversation_resolve', parent, thread.key);
    await waitUntil(() => textOf(channel.current(parent)).includes('Resolved by'), 5_000, 'resolved');
    network.customerWrites(bed.standins, 'It came! But the box was damaged.');
    bed.bot.running.pollNow();
    await waitUntil(() => channel.customerMessagesIn(parent).length === 2, 10_000, 'the new message');
    const reopening = channel.customerMessagesIn(parent)[1];
    expect(textOf(reopening)).toContain('Reopened');
    expect(reopening?.reply_broadcast).toBe(true);
    await waitUntil(() => textOf(channel.current(parent)).includes(':large_green_circle: Open'), 5_000, 'the parent reopened');
    expect(channel.parents()).toHaveLength(1);
  });

  it('waits out a rate limit on reading, then posts what arrived once', async () => {
    network.customerWrites(bed.standins, 'first message');
    await start();
    const { parent } = await channel.waitForThread();
    network.standin(bed.standins).faults.inject(network.readOperation, { kind: 'rate_limit', retryAfterSeconds: 2 });
    network.customerWrites(bed.standins, 'second message, sent while the bot waits');
    bed.bot.running.pollNow();
    await waitUntil(
      async () => (await bed.health()).platforms[`${network.name}:dms`]?.state === 'rate_limited',
      5_000,
      'rate_limited on /healthz',
    );
    await waitUntil(() => channel.customerMessagesIn(parent).length === 1, 15_000, 'the message after the reset');
    await sleep(1_500);
    expect(channel.customerMessagesIn(parent)).toHaveLength(1);
    expect(channel.parents()).toHaveLength(1);
  });

  it('posts a message that arrived while the bot was down, once, into the same thread', async () => {
    network.customerWrites(bed.standins, 'before the restart');
    await start();
    const { parent } = await channel.waitForThread();
    await bed.bot.stop();
    network.customerWrites(bed.standins, 'while the bot was down');
    await start();
    await waitUntil(() => channel.customerMessagesIn(parent).length === 1, 15_000, 'the message after the restart');
    await sleep(1_500);
    expect(textOf(channel.customerMessagesIn(parent)[0])).toContain('while the bot was down');
    expect(channel.parents()).toHaveLength(1);
    expect(channel.customerMessagesIn(parent)).toHaveLength(1);
  });

  it('settles a send whose answer was lost as sent, without sending twice', async () => {
    network.customerWrites(bed.standins, 'is my refund through?');
    await start();
    const thread = await channel.waitForThread();
    // The network takes the message, then the connection drops before its answer.
    network.standin(bed.standins).faults.inject(network.sendOperation, { kind: 'drop_after_commit' });
    await flow.writeInThread(thread, 'reply: Yes, it went out this morning.');
    await waitUntil(() => textOf(channel.confirmationIn(thread.parent)).includes('Sent by'), 10_000, 'the reply settled as sent');
    await sleep(500);
    expect(sent()).toEqual(['Yes, it went out this morning.']);
  });

  if (network.closeInbox) {
    it("tells the agent in words when the customer's settings refuse the brand's messages, and sends nothing", async () => {
      network.customerWrites(bed.standins, 'please DM me the label');
      await start();
      const thread = await channel.waitForThread();
      network.closeInbox?.(bed.standins);
      await flow.writeInThread(thread, 'reply: Here it is.');
      const told = await waitUntil(
        () => flow.ephemeralsFor('U0AGENT01').find((m) => /not sent/i.test(m.text)),
        10_000,
        'the refusal told to the agent',
      );
      expect(told.text).toMatch(/settings do not accept/);
      expect(sent()).toEqual([]);
    });
  }
});

describe('private messages: network-specific rules', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const channel = dmChannel(() => bed.standins);

  it('links the customer to a known contact, assigns to one agent at a time, and refuses a viewer', async () => {
    bed.standins.x.addMention({ username: 'margaret_h', name: 'Margaret Hamilton' }, 'my public account');
    bed.standins.x.addDirectMessage({ username: 'apollo_guidance', name: 'Apollo Guidance' }, 'this is Margaret, from my other account');
    await bed.start({ SLACK_CHANNEL_DMS: DMS, X_DM_POLL_INTERVAL_SECONDS: '1', SLACK_AGENTS: 'U0AGENT01,U0AGENT02' });
    await waitUntil(() => bed.mentionKeys().length === 1, 10_000, 'the public mention');
    const thread = await channel.waitForThread();
    expect(textOf(thread.parent)).toContain('Contact: *Apollo Guidance*');

    // Link contact: the type-ahead finds Margaret; the conversation and the identity move to her.
    const before = bed.standins.slack.views().length;
    await flow.press('conversation_link_contact', thread.parent, thread.key);
    const view = await waitUntil(() => bed.standins.slack.views()[before], 5_000, 'the Link contact modal');
    const { blockSuggestion, viewSubmission } = await import('../../src/sandbox/slack-payloads.ts');
    const suggested = await flow.send(blockSuggestion({ view, actionId: 'contact_pick', blockId: 'contact_pick', value: 'margret' }));
    const options = (JSON.parse(suggested.text) as { options: Array<{ text: { text: string }; value: string }> }).options;
    expect(options[0]?.text.text).toContain('Margaret Hamilton');
    await flow.send(viewSubmission({ view, values: { contact_pick: options[0]?.value ?? '' } }));
    await waitUntil(() => textOf(channel.current(thread.parent)).includes('Contact: *Margaret Hamilton*'), 5_000, 'the thread relinked');
    const card = JSON.stringify(await flow.command('lookup @margaret_h'));
    expect(card).toContain('@apollo_guidance');
    expect(card).toContain('Private conversations* 1 (1 open)');

    // Assign: the presser owns it; a second agent is told who does; the owner's second press lets go.
    await flow.press('conversation_assign_to_me', thread.parent, thread.key);
    await waitUntil(() => textOf(channel.current(thread.parent)).includes('Owned by <@U0AGENT01>'), 5_000, 'assigned');
    await flow.press('conversation_assign_to_me', thread.parent, thread.key, 'U0AGENT02');
    await waitUntil(
      () => flow.ephemeralsFor('U0AGENT02').some((m) => m.text.includes('<@U0AGENT01> owns this conversation')),
      5_000,
      'told',
    );
    await flow.press('conversation_assign_to_me', thread.parent, thread.key);
    await waitUntil(() => textOf(channel.current(thread.parent)).includes('Nobody owns it yet'), 5_000, 'unassigned');

    // A viewer may not reply, privately either: refused in words, no form, nothing sent.
    const views = bed.standins.slack.views().length;
    await flow.press('conversation_reply', thread.parent, thread.key, 'U0VIEWER01');
    await waitUntil(() => flow.ephemeralsFor('U0VIEWER01').length > 0, 5_000, 'the refusal');
    await flow.writeInThread(thread, 'reply: hello from a viewer', { userId: 'U0VIEWER01' });
    await sleep(500);
    expect(bed.standins.slack.views()).toHaveLength(views);
    expect(bed.standins.x.sentDirectMessages()).toEqual([]);
  });

  it('Mastodon: a direct status comes as a conversation, never as a mention; a reply stays direct and mentions no outsider', async () => {
    bed.standins.mastodon.addDirectMessage({ username: 'ada', display_name: 'Ada Lovelace' }, 'my card was charged twice');
    await bed.start({ ...platformEnv(bed.standins, 'mastodon'), SLACK_CHANNEL_DMS: DMS });
    const thread = await channel.waitForThread();
    // The brand's @handle every direct status begins with is left out of what the team reads.
    expect(textOf(thread.parent)).toContain('"text":">my card was charged twice');
    expect(textOf(thread.parent)).not.toContain('@northwind');
    await sleep(1_000);
    expect(bed.mentionKeys()).toEqual([]);
    await flow.writeInThread(thread, 'reply: @grace please look at this one');
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.includes('@grace')), 5_000, 'the refusal');
    expect(bed.standins.mastodon.directByBrand()).toEqual([]);
    // 497 characters fit the instance's 500, but not with "@ada@social.example " in front (counted as "@ada ").
    await flow.writeInThread(thread, `reply: ${'a'.repeat(497)}`);
    await waitUntil(
      () => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.includes("With the participants' @handles in front")),
      5_000,
      'the length refusal',
    );
    await flow.writeInThread(thread, 'reply: Refund on its way.');
    const reply = await waitUntil(() => bed.standins.mastodon.directByBrand()[0], 10_000, 'the direct reply');
    expect(reply.visibility).toBe('direct');
    expect(reply.mentions.map((mention) => mention.username)).toEqual(['ada']);
    expect(reply.in_reply_to_id).not.toBeNull();
  });

  it('Bluesky: an app password without access to direct messages is said once, on /healthz too, and mentions keep working', async () => {
    bed.standins.bluesky.chat.appPasswordAllowsChat = false;
    bed.standins.bluesky.addChatMessage({ handle: 'ada.bsky.social' }, 'hello?');
    const bot = await bed.start({ ...platformEnv(bed.standins, 'bluesky'), SLACK_CHANNEL_DMS: DMS });
    const health = await waitUntil(
      async () => {
        const h = await bed.health();
        return h.platforms['bluesky:dms']?.state === 'failing' ? h : undefined;
      },
      10_000,
      'failing on /healthz',
    );
    expect(health.platforms['bluesky:dms']?.detail).toContain('Allow access to your direct messages');
    const roles = ((await (await fetch(`${bot.url}/healthz`)).json()) as { roles: string[] }).roles;
    expect(roles).toEqual(expect.arrayContaining(['poller:bluesky', 'poller:bluesky:dms']));
    bed.standins.bluesky.addMention({ handle: 'grace.bsky.social' }, 'do you ship to Oslo?');
    bot.running.pollNow();
    await waitUntil(() => bed.mentionKeys().length === 1, 10_000, 'the mention');
    bot.running.pollNow();
    await sleep(1_000);
    expect(bot.logs.filter((line) => line.includes('Allow access to your direct messages'))).toHaveLength(1);
    expect(channel.parents()).toEqual([]);
  });

  it('X: keeps 30 follow-ups in order, and a read with nothing new asks for the newest event alone, never the pages below what is stored', async () => {
    bed.standins.x.addDirectMessage(ada, 'first');
    await bed.start({ SLACK_CHANNEL_DMS: DMS, X_DM_POLL_INTERVAL_SECONDS: '1' });
    const { parent } = await channel.waitForThread();
    for (let i = 0; i < 30; i++) bed.standins.x.addDirectMessage(ada, `follow-up ${i}`);
    bed.bot.running.pollNow();
    await waitUntil(() => channel.customerMessagesIn(parent).length === 30, 20_000, 'the 30 follow-ups');
    const readsBefore = bed.standins.x.callsTo('dm_events.read').length;
    bed.bot.running.pollNow();
    await waitUntil(() => bed.standins.x.callsTo('dm_events.read').length > readsBefore, 5_000, 'another read');
    await sleep(300);
    // A read with nothing new asks for the newest event alone (X bills each event read) and stops there.
    const last = bed.standins.x.callsTo('dm_events.read').at(-1);
    expect(last?.query.max_results).toBe('1');
    expect(last?.query.pagination_token).toBeUndefined();
    expect(channel.customerMessagesIn(parent).map((m) => textOf(m).match(/follow-up \d+/)?.[0])).toEqual(
      Array.from({ length: 30 }, (_, i) => `follow-up ${i}`),
    );
  });
});

describe.each(NETWORKS)('private messages across kill -9: $label', (network) => {
  const bed = useChildBotBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.current().url(),
  );
  const channel = dmChannel(() => bed.standins);
  const start = () => bed.start({ ...network.env(bed.standins), SLACK_CHANNEL_DMS: DMS, REPLY_UNDO_SECONDS: '1' });

  it('sends a reply once when the bot dies between the send and recording it', async () => {
    network.customerWrites(bed.standins, 'where is my parcel?');
    await start();
    const thread = await channel.waitForThread(20_000);
    // The bot is killed the moment its send reaches the network; the network still takes it.
    const killed = new Promise<void>((resolve) => {
      const onRequest = (request: { method: string }) => {
        if (request.method !== network.sendOperation) return;
        network.standin(bed.standins).off('request', onRequest);
        bed.current().child.kill('SIGKILL');
        resolve();
      };
      network.standin(bed.standins).on('request', onRequest);
    });
    await flow.writeInThread(thread, 'reply: It is out for delivery.');
    await killed;
    await bed.current().exited;
    await waitUntil(() => network.sentByBrand(bed.standins).length === 1, 5_000, 'the network to take the message');

    await start();
    await waitUntil(() => textOf(channel.confirmationIn(thread.parent)).includes('Sent by'), 20_000, 'the reply settled after the restart');
    await sleep(1_500);
    expect(network.sentByBrand(bed.standins)).toEqual(['It is out for delivery.']);
    // Read back from the network, the reply is not posted as the customer's.
    expect(channel.customerMessagesIn(thread.parent)).toEqual([]);
  });
});

describe('private messages: privacy', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const channel = dmChannel(() => bed.standins);
  const SECRET = 'my door code is 4711';
  const botText = (messages: StoredMessage[]) =>
    JSON.stringify(messages.filter((m) => m.bot_id).map((m) => [m.text, m.blocks, m.metadata]));

  it('keeps private text to the DMs channel and the timeline: the digest counts, lookups show agents only, export and forget cover it', async () => {
    bed.standins.bluesky.addChatMessage({ handle: 'ada.bsky.social', displayName: 'Ada Lovelace' }, `Hello, ${SECRET}`);
    await bed.start({ ...platformEnv(bed.standins, 'bluesky'), SLACK_CHANNEL_DMS: DMS, SLACK_AGENTS: 'U0AGENT01' });
    const thread = await channel.waitForThread();
    await flow.writeInThread(thread, 'She prefers evening deliveries');
    await flow.writeInThread(thread, 'reply: Thanks Ada, the courier will use it.');
    await waitUntil(() => bed.standins.bluesky.chat.sentByBrand().length === 1, 10_000, 'the reply');
    await waitUntil(() => textOf(channel.confirmationIn(thread.parent)).includes('Sent by'), 5_000, 'the confirmation');

    // The digest counts private messages and quotes none.
    await flow.command('digest');
    const digest = await waitUntil(
      () => bed.standins.slack.allMessages().find((m) => m.metadata?.event_type === 'switchboard_digest'),
      10_000,
      'the digest',
    );
    expect(textOf(digest)).toContain('*Private messages* 1 message in 1 conversation: 1 answered, 0 waiting for us · 1 reply sent');
    for (const other of ['C0MENTIONS', 'C0QUESTION', 'C0DIGESTS']) {
      expect(botText(bed.standins.slack.messages(other))).not.toContain('4711');
      expect(botText(bed.standins.slack.messages(other))).not.toContain('courier');
    }

    // An agent's lookup shows the conversation on the timeline; a viewer's shows none of it.
    const agentCard = JSON.stringify(await flow.command('lookup @ada.bsky.social'));
    expect(agentCard).toContain('4711');
    expect(agentCard).toContain('Private conversations* 1');
    const viewerCard = JSON.stringify(await flow.command('lookup @ada.bsky.social', 'U0VIEWER01'));
    expect(viewerCard).toContain('Ada Lovelace');
    expect(viewerCard).not.toContain('4711');
    expect(viewerCard).not.toContain('Private conversations');

    // Export holds the conversation, both ways.
    const before = bed.standins.slack.files.size;
    await flow.command('export @ada.bsky.social');
    await waitUntil(() => bed.standins.slack.files.size > before, 5_000, 'the export file');
    const exported = [...bed.standins.slack.files.values()].at(-1)?.content?.toString('utf8') ?? '';
    expect(exported).toContain('privateConversations');
    expect(exported).toContain(SECRET);
    expect(exported).toContain('the courier will use it');

    // Forget: nothing left on disk, and the thread's bot messages say "erased".
    const { buttonClick } = await import('../../src/sandbox/slack-payloads.ts');
    const question = await flow.command('forget @ada.bsky.social');
    const contactId = JSON.stringify(question).match(/"value":"([^"]+)"/)?.[1] ?? '';
    await flow.send(buttonClick({ actionId: 'crm_forget_confirm', value: contactId, channel: 'C0MENTIONS', messageTs: '1.1' }));
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.startsWith('Erased')), 10_000, 'the erasure');
    const { jsonFilesText } = await import('../helpers/data-files.ts');
    const files = await jsonFilesText(bed.dataDir);
    for (const trace of ['4711', 'courier', 'ada.bsky.social', 'Ada Lovelace', thread.key]) expect(files, trace).not.toContain(trace);
    const dms = botText(bed.standins.slack.messages(DMS));
    for (const trace of ['4711', 'courier', 'ada.bsky.social', thread.key]) expect(dms, trace).not.toContain(trace);
    expect(dms).toContain("Erased at the person's request");

    // A later read of the network never brings the erased conversation back; a new message starts afresh.
    const threadsBefore = channel.parents().length;
    bed.bot.running.pollNow();
    await sleep(1_000);
    expect(channel.parents()).toHaveLength(threadsBefore);
    bed.standins.bluesky.addChatMessage({ handle: 'ada.bsky.social' }, 'one more thing');
    bed.bot.running.pollNow();
    await waitUntil(() => channel.parents().length === threadsBefore + 1, 10_000, 'a new thread for a new message');
    expect(textOf(channel.parents().at(-1))).toContain('one more thing');
    expect(textOf(channel.parents().at(-1))).not.toContain('4711');
  });
});

describe('private messages: crashes while posting to Slack, outages, Undo and refusals', () => {
  const child = useChildBotBed();
  const channel = dmChannel(() => child.standins);
  const bluesky = NETWORKS.find((network) => network.name === 'bluesky') as Network;

  /** Kills the bot the moment its `nth` post to the DMs channel reaches Slack; Slack still posts it (1.5 s later). */
  const killOnDmPost = (nth: number) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const onRequest = (request: { method: string; body: Record<string, unknown> }) => {
        if (request.method !== 'chat.postMessage' || request.body.channel !== DMS || ++seen < nth) return;
        child.standins.slack.off('request', onRequest);
        child.current().child.kill('SIGKILL');
        resolve();
      };
      child.standins.slack.faults.inject('chat.postMessage', { kind: 'delay', ms: 1_500 }, 1, { after: nth - 1 });
      child.standins.slack.on('request', onRequest);
    });

  for (const [nth, what] of [
    [1, "the thread's parent"],
    [2, 'a message in the thread'],
  ] as const) {
    it(`after kill -9 while ${what} was being posted, finds it in Slack and posts each message once`, async () => {
      bluesky.customerWrites(child.standins, 'first: where is my parcel?');
      bluesky.customerWrites(child.standins, 'second: it was due Monday');
      const killed = killOnDmPost(nth);
      await child.start({ ...bluesky.env(child.standins), SLACK_CHANNEL_DMS: DMS });
      await killed;
      await child.current().exited;
      await sleep(2_000); // Slack finishes the post the bot never heard back about

      await child.start({ ...bluesky.env(child.standins), SLACK_CHANNEL_DMS: DMS });
      const { parent } = await channel.waitForThread(20_000);
      await waitUntil(() => channel.customerMessagesIn(parent).length === 1, 20_000, 'the second message in the thread');
      await sleep(2_000);
      expect(channel.parents()).toHaveLength(1);
      expect(channel.customerMessagesIn(parent)).toHaveLength(1);
      expect(textOf(parent)).toContain('first: where is my parcel?');
      expect(textOf(channel.customerMessagesIn(parent)[0])).toContain('second: it was due Monday');
      expect(
        child.standins.slack.callsTo('conversations.history').length + child.standins.slack.callsTo('conversations.replies').length,
      ).toBeGreaterThan(0);
    });
  }
});

describe('private messages: outages, Undo and refusals', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const channel = dmChannel(() => bed.standins);

  it('backs off while the chat service is down, says so on /healthz, and posts what arrived once it is back', async () => {
    bed.standins.bluesky.addChatMessage({ handle: 'ada.bsky.social' }, 'before the outage');
    await bed.start({ ...platformEnv(bed.standins, 'bluesky'), SLACK_CHANNEL_DMS: DMS });
    const { parent } = await channel.waitForThread();
    bed.standins.bluesky.faults.inject(
      'chat.bsky.convo.getLog',
      { kind: 'status', status: 502, body: { error: 'UpstreamFailure', message: 'Bad gateway' } },
      3,
    );
    bed.standins.bluesky.addChatMessage({ handle: 'ada.bsky.social' }, 'during the outage');
    bed.bot.running.pollNow();
    await waitUntil(async () => (await bed.health()).platforms['bluesky:dms']?.state === 'backing_off', 5_000, 'backing_off on /healthz');
    await waitUntil(() => channel.customerMessagesIn(parent).length === 1, 15_000, 'the message after the outage');
    await waitUntil(async () => (await bed.health()).platforms['bluesky:dms']?.state === 'ok', 5_000, 'ok again');
    expect(channel.customerMessagesIn(parent)).toHaveLength(1);
  });

  it('holds a private reply for the Undo window; Undo sends nothing', async () => {
    bed.standins.x.addDirectMessage(ada, 'please cancel my order');
    await bed.start({ SLACK_CHANNEL_DMS: DMS, X_DM_POLL_INTERVAL_SECONDS: '1', REPLY_UNDO_SECONDS: '3' });
    const thread = await channel.waitForThread();
    await flow.writeInThread(thread, 'reply: Cancelled, Ada.');
    const announcement = await waitUntil(() => channel.confirmationIn(thread.parent), 5_000, 'the announcement');
    expect(textOf(announcement)).toContain('Sending in');
    await flow.press('reply_undo', announcement, String(announcement.metadata?.event_payload.key));
    await waitUntil(() => textOf(channel.confirmationIn(thread.parent)).includes('Undone'), 5_000, 'undone');
    await sleep(3_500);
    expect(bed.standins.x.sentDirectMessages()).toEqual([]);
  });

  it('Bluesky: tells the agent in words when the customer left the conversation', async () => {
    bed.standins.bluesky.addChatMessage({ handle: 'ada.bsky.social' }, 'never mind');
    await bed.start({ ...platformEnv(bed.standins, 'bluesky'), SLACK_CHANNEL_DMS: DMS });
    const thread = await channel.waitForThread();
    bed.standins.bluesky.chat.leave(bed.standins.bluesky.profileOf({ handle: 'ada.bsky.social' }));
    await flow.writeInThread(thread, 'reply: Are you still there?');
    const told = await waitUntil(() => flow.ephemeralsFor('U0AGENT01').find((m) => /not sent/i.test(m.text)), 10_000, 'the refusal');
    expect(told.text).toContain('this conversation is locked');
    expect(bed.standins.bluesky.chat.sentByBrand()).toEqual([]);
  });

  it('X: refuses a reply once the brand has sent 1,440 DMs in 24 hours, saying when, and sends nothing', async () => {
    bed.standins.x.addDirectMessage(ada, 'hello?');
    // The day's 1,440 sends are already in the store (written as the bot writes its own).
    const { openFileStore } = await import('../../src/store/files/file-store.ts');
    const store = await openFileStore(bed.dataDir);
    const now = Date.now();
    await store.conversations.addMessages(
      Array.from({ length: 1_440 }, (_, i) => ({
        key: `x:dm-message:sent-${i}`,
        conversationKey: 'x:dm:other',
        contactId: 'someone',
        platform: 'x' as const,
        id: `sent-${i}`,
        direction: 'out' as const,
        text: 'earlier answer',
        author: { id: 'brand', handle: 'northwind', name: 'X' },
        sentAt: new Date(now - 60_000 - i * 1_000).toISOString(),
      })),
    );
    await store.close();
    await bed.start({ SLACK_CHANNEL_DMS: DMS, X_DM_POLL_INTERVAL_SECONDS: '1' });
    const thread = await channel.waitForThread();
    await flow.writeInThread(thread, 'reply: Hi Ada!');
    const told = await waitUntil(() => flow.ephemeralsFor('U0AGENT01').find((m) => /not sent/i.test(m.text)), 10_000, 'the refusal');
    expect(told.text).toContain('X allows 1,440 private messages a day from one account, and 1,440 went out in the last 24 hours');
    expect(told.text).toMatch(/send it after \d\d:\d\d UTC/);
    expect(bed.standins.x.callsTo('dm.create')).toEqual([]);
  });
});
