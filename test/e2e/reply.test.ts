import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack-standin.ts';
import { useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of the Undo button on an announcement (the outbox key). */
function undoValueOf(message: StoredMessage): string {
  const actions = (message.blocks as Array<{ type: string; elements?: Array<{ value?: string }> }>).find((b) => b.type === 'actions');
  const value = actions?.elements?.[0]?.value;
  if (!value) throw new Error('the announcement has no Undo button');
  return value;
}

describe('replying from Slack: the modal', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('opens a modal with the @handle, the post and the limit; Send publishes once and confirms everywhere', async () => {
    await bed.start();
    const mention = await flow.mention('where is my order 10482?');
    const view = await flow.openReplyModal(mention);
    const modal = JSON.stringify(view.view);
    expect(modal).toContain('"initial_value":"@ada_l "');
    expect(modal).toContain('where is my order 10482?');
    expect(modal).toContain('X allows 280 characters');

    const response = await flow.submitReply(view, '@ada_l it left our warehouse today, tracking is in your email');
    expect(response.status).toBe(200);
    expect(response.text).not.toContain('errors');

    const [published] = await waitUntil(() => (flow.repliesOnX(mention).length > 0 ? flow.repliesOnX(mention) : undefined), 5_000);
    expect(published?.text).toBe('@ada_l it left our warehouse today, tracking is in your email');
    const announcement = await waitUntil(() => flow.threadOf(mention).find((m) => textOf(m).includes('Sent by')), 5_000);
    expect(textOf(announcement)).toContain(`https://x.com/northwind/status/${published?.id}`);
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Replied by <@U0AGENT01>'), 5_000, 'the mention message updated');
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
  });

  it('refuses empty and over-long text inside the modal, counting as X does, and sends nothing', async () => {
    await bed.start();
    const mention = await flow.mention('question about sizes');
    const view = await flow.openReplyModal(mention);

    const empty = await flow.submitReply(view, '   ');
    expect(JSON.parse(empty.text)).toMatchObject({ response_action: 'errors' });
    expect(empty.text).toContain('The reply is empty');

    const cjk = '漢'.repeat(141); // 141 × 2 = 282 weighted
    const tooLong = await flow.submitReply(view, cjk);
    expect(tooLong.text).toContain('The reply is 282 characters as X counts them; the limit is 280');

    const emoji = '🙂'.repeat(141); // 282 weighted
    expect((await flow.submitReply(view, emoji)).text).toContain('282 characters');
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);

    // 140 emoji (280) and a long URL (23) fit.
    const fits = await flow.submitReply(view, `${'🙂'.repeat(120)} https://northwind.com/${'a'.repeat(200)}`);
    expect(fits.text).not.toContain('errors');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000, 'the reply that fits');
  });

  it('sends a repeated submission of the same modal once', async () => {
    await bed.start();
    const mention = await flow.mention('do you ship to Norway');
    const view = await flow.openReplyModal(mention);
    await Promise.all([flow.submitReply(view, '@ada_l yes, in 3 days'), flow.submitReply(view, '@ada_l yes, in 3 days')]);
    await flow.submitReply(view, '@ada_l yes, in 3 days');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000);
    await sleep(500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
  });

  it('lets only one of two people replying at once send; the other is told who is replying', async () => {
    await bed.start({ REPLY_UNDO_SECONDS: '3' });
    const mention = await flow.mention('my parcel is lost');
    const first = await flow.openReplyModal(mention, 'U0ALICE001');
    const second = await flow.openReplyModal(mention, 'U0BOB00001');
    const [a, b] = await Promise.all([
      flow.submitReply(first, '@ada_l so sorry, a new one ships today', 'U0ALICE001'),
      flow.submitReply(second, '@ada_l looking into it now', 'U0BOB00001'),
    ]);
    const refused = [a, b].filter((r) => r.text.includes('errors'));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.text).toMatch(/is already replying to this post/);
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 8_000);
    await sleep(500);
    expect(flow.repliesOnX(mention)).toHaveLength(1);
  });

  it('shows the higher X price in the announcement of a reply with a link', async () => {
    await bed.start({ REPLY_UNDO_SECONDS: '5' });
    const mention = await flow.mention('where can I see the size guide');
    const view = await flow.openReplyModal(mention);
    await flow.submitReply(view, '@ada_l here it is: https://northwind.com/sizes');
    const announcement = await waitUntil(() => flow.threadOf(mention)[0], 5_000);
    expect(textOf(announcement)).toContain('Sending in 5 s as @northwind');
    expect(textOf(announcement)).toContain('$0.20 for a post with a URL');
    expect(textOf(announcement)).toContain('"text":"Undo"');
  });

  it('fills a saved reply into the modal with the customer and agent names', async () => {
    await bed.start();
    expect(
      (await flow.command('saved add late-parcel Hi {{first_name}}, {{agent}} here: your parcel ships today. {{handle}}')).text,
    ).toContain('Saved “late-parcel”');
    const list = await flow.command('saved list');
    expect(list.response_type).toBe('ephemeral');
    expect(list.text).toContain('late-parcel');

    const pickSavedReply = async (view: Awaited<ReturnType<typeof flow.openReplyModal>>, expected: string) => {
      const select = {
        type: 'block_actions',
        user: { id: 'U0AGENT01', username: 'jess', name: 'jess', team_id: 'T0STANDIN' },
        team: { id: 'T0STANDIN', domain: 'standin' },
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        trigger_id: bed.standins.slack.issueTriggerId(),
        container: { type: 'view', view_id: view.id },
        view: { ...view.view, id: view.id, hash: view.hash, state: { values: {} } },
        actions: [
          {
            type: 'static_select',
            action_id: 'reply_saved_pick',
            block_id: 'reply_saved',
            selected_option: { text: { type: 'plain_text', text: 'late-parcel' }, value: 'late-parcel' },
            action_ts: `${Date.now() / 1000}`,
          },
        ],
      };
      await flow.send({ form: { payload: JSON.stringify(select) } });
      return waitUntil(() => {
        const current = bed.standins.slack.view(view.id);
        return current && JSON.stringify(current.view).includes(expected) ? JSON.stringify(current.view) : undefined;
      }, 5_000);
    };

    const mention = await flow.mention('still waiting for my parcel');
    const view = await flow.openReplyModal(mention);
    expect(JSON.stringify(view.view)).toContain('Start from a saved reply');
    const filled = await pickSavedReply(view, 'Hi Ada, jess here');
    expect(filled).toContain('Hi Ada, jess here: your parcel ships today. @ada_l');
    // The name came from a display name its author chose: the form says so before anything is sent.
    expect(filled).toContain('`{{first_name}}` became “Ada”, from the display name @ada_l chose');

    // A display name that is not a name does not go out in the brand's reply.
    const promo = await flow.mention('still waiting too', { username: 'promo_deals', name: '@here FREE iPhones at deals.example' });
    const promoView = await flow.openReplyModal(promo);
    const safe = await pickSavedReply(promoView, 'Hi there, jess here');
    expect(safe).not.toContain('Hi @here');
    expect(safe).toContain('does not read as a first name, so `{{first_name}}` became “there”');

    expect((await flow.command('saved remove late-parcel')).text).toContain('Removed');
    expect((await flow.command('saved list')).text).toContain('No saved replies yet');
  });
});

describe('replying from Slack: threads, Undo, Like, Assign, Resolve', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('publishes `reply:` (any case) and keeps every other thread message internal, as a note', async () => {
    await bed.start();
    const mention = await flow.mention('is the Alpine jacket warm enough for Iceland');
    await flow.writeInThread(mention, 'She bought two last year, VIP customer');
    await flow.writeInThread(mention, 'REPLY: @ada_l yes, rated to -20C');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000);
    expect(flow.repliesOnX(mention)[0]?.text).toBe('@ada_l yes, rated to -20C');
    await sleep(300);
    expect(bed.standins.x.published()).toHaveLength(1);

    const files = await readdir(path.join(bed.dataDir, 'timeline'));
    const stored = await Promise.all(files.map((file) => readFile(path.join(bed.dataDir, 'timeline', file), 'utf8')));
    expect(stored.join()).toContain('She bought two last year, VIP customer');
    expect(stored.join()).not.toContain('rated to -20C');
  });

  it('ignores bots, edits and deletions in the thread: no loops, nothing published', async () => {
    await bed.start();
    const mention = await flow.mention('hello there');
    const base = { channel: mention.message.channel, threadTs: mention.message.ts };
    const { threadMessageEvent } = await import('../helpers/slack-request.ts');
    await flow.send(threadMessageEvent({ ...base, text: 'reply: loop from a bot', botId: 'B0OTHERBOT' }));
    await flow.send(threadMessageEvent({ ...base, text: 'reply: edited text', subtype: 'message_changed' }));
    await flow.send(threadMessageEvent({ ...base, text: 'reply: deleted', subtype: 'message_deleted' }));
    await sleep(500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);
  });

  it('sends a thread reply once, however often Slack retries the event', async () => {
    await bed.start();
    const mention = await flow.mention('can I change my size');
    const event = await flow.writeInThread(mention, 'reply: @ada_l yes, just reply with the size');
    const ts = event.json.event.ts;
    await flow.writeInThread(mention, 'reply: @ada_l yes, just reply with the size', { ts, retryNum: 1, eventId: event.json.event_id });
    await flow.writeInThread(mention, 'reply: @ada_l yes, just reply with the size', { ts, retryNum: 2, eventId: event.json.event_id });
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000);
    await sleep(500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
  });

  it('cancels for good when Undo is pressed inside the window, and says it is too late after', async () => {
    await bed.start({ REPLY_UNDO_SECONDS: '2' });
    const mention = await flow.mention('refund please');
    await flow.writeInThread(mention, 'reply: @ada_l refund sent');
    const announcement = await waitUntil(() => flow.threadOf(mention).find((m) => textOf(m).includes('Sending in')), 5_000);
    await flow.press(
      'reply_undo',
      announcement,
      (JSON.parse(JSON.stringify(announcement.blocks)) as Array<{ elements?: Array<{ value?: string }> }>).at(-1)?.elements?.[0]?.value ??
        '',
      'U0AGENT02',
    );
    await waitUntil(() => textOf(flow.threadOf(mention)[0]).includes('Undone by <@U0AGENT02>'), 5_000);
    await sleep(2_500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);

    // The button is still on screen when the window ends: a late press is told it is too late.
    await flow.writeInThread(mention, 'reply: @ada_l your refund is on its way');
    const second = await waitUntil(() => flow.threadOf(mention).find((m) => textOf(m).includes('your refund is on its way')), 5_000);
    const undoValue = undoValueOf(second);
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 6_000);
    await flow.press('reply_undo', second, undoValue, 'U0AGENT02');
    await waitUntil(() => flow.ephemeralsFor('U0AGENT02').some((m) => m.text.includes('Too late to undo')), 5_000);
    expect(flow.repliesOnX(mention)).toHaveLength(1);
  });

  it('likes once however often Like is pressed, and shows who liked it', async () => {
    await bed.start();
    const mention = await flow.mention('love the new boots');
    await Promise.all([
      flow.press('mention_like', mention.message, mention.key, 'U0AGENT01'),
      flow.press('mention_like', mention.message, mention.key, 'U0AGENT01'),
    ]);
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Liked by <@U0AGENT01>'), 5_000);
    await flow.press('mention_like', mention.message, mention.key, 'U0AGENT02');
    await waitUntil(() => flow.ephemeralsFor('U0AGENT02').some((m) => m.text.includes('Already liked by <@U0AGENT01>')), 5_000);
    expect(bed.standins.x.callsTo('likes.create')).toHaveLength(1);
    expect(bed.standins.x.likes.has(mention.post.id)).toBe(true);
  });

  it('shows the assignee; a second person is told who owns it; resolve and reopen update the message', async () => {
    await bed.start();
    const mention = await flow.mention('question about returns');
    await flow.press('mention_assign_to_me', mention.message, mention.key, 'U0ALICE001');
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Assigned to <@U0ALICE001>'), 5_000);
    await flow.press('mention_assign_to_me', mention.message, mention.key, 'U0BOB00001');
    await waitUntil(() => flow.ephemeralsFor('U0BOB00001').some((m) => m.text.includes('<@U0ALICE001> owns this one')), 5_000);
    expect(textOf(flow.currentMessage(mention))).toContain('Assigned to <@U0ALICE001>');

    await flow.press('mention_resolve', mention.message, mention.key, 'U0BOB00001');
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Resolved by <@U0BOB00001>'), 5_000);
    expect(textOf(flow.currentMessage(mention))).toContain('"text":"Reopen"');
    await flow.press('mention_resolve', mention.message, mention.key, 'U0BOB00001');
    await waitUntil(() => !textOf(flow.currentMessage(mention)).includes('Resolved by'), 5_000);
    expect(textOf(flow.currentMessage(mention))).toContain('"text":"Resolve"');
  });
});

describe('replying from Slack: X errors are told to the person', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it("refuses a reply to a post that no longer mentions the brand, with X's reason", async () => {
    await bed.start();
    const mention = await flow.mention('hello brand');
    bed.standins.x.editPost(mention.post.id, 'hello world (edited, no mention)');
    await flow.writeInThread(mention, 'reply: @ada_l hello!');
    const told = await waitUntil(() => flow.ephemeralsFor('U0AGENT01').find((m) => m.text.includes('not sent')), 5_000);
    expect(told.text).toContain('you have not been mentioned or otherwise engaged by the author');
    await waitUntil(() => textOf(flow.threadOf(mention)[0]).includes('Not sent'), 5_000);
    expect(bed.standins.x.published()).toHaveLength(0);
  });

  it('tells the person when X rate-limits posting, and publishes nothing', async () => {
    await bed.start();
    const mention = await flow.mention('question one');
    bed.standins.x.faults.inject('tweets.create', { kind: 'rate_limit', retryAfterSeconds: 600 });
    await flow.writeInThread(mention, 'reply: @ada_l answer one');
    const told = await waitUntil(() => flow.ephemeralsFor('U0AGENT01').find((m) => m.text.includes('not sent')), 5_000);
    expect(told.text).toMatch(/posting limit is reached until \d\d:\d\d UTC/);
    expect(bed.standins.x.published()).toHaveLength(0);
  });

  it('retries once after a 5xx and publishes once', async () => {
    await bed.start();
    const mention = await flow.mention('question two');
    bed.standins.x.faults.inject('tweets.create', { kind: 'status', status: 503, body: { title: 'Service Unavailable', status: 503 } });
    await flow.writeInThread(mention, 'reply: @ada_l answer two');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000);
    expect(bed.standins.x.callsTo('tweets.create').map((c) => c.status)).toEqual([503, 201]);
  });

  it("counts X's duplicate refusal after a lost answer as sent, with no second post", async () => {
    await bed.start();
    const mention = await flow.mention('question three');
    bed.standins.x.faults.inject('tweets.create', { kind: 'drop_after_commit' });
    await flow.writeInThread(mention, 'reply: @ada_l answer three');
    await waitUntil(() => textOf(flow.threadOf(mention)[0]).includes('reported it as already published'), 5_000);
    expect(bed.standins.x.callsTo('tweets.create').map((c) => c.status)).toEqual([201, 403]);
    expect(flow.repliesOnX(mention)).toHaveLength(1);
  });

  it('marks a reply uncertain, tells staff and never retries it, when X fails twice', async () => {
    await bed.start();
    const mention = await flow.mention('question four');
    bed.standins.x.faults.inject('tweets.create', { kind: 'status', status: 500, body: { title: 'Internal Error', status: 500 } }, 2);
    await flow.writeInThread(mention, 'reply: @ada_l answer four');
    await waitUntil(() => textOf(flow.threadOf(mention)[0]).includes('Not known whether this reply was published'), 5_000);
    await waitUntil(
      () => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.includes('It is not known whether your reply was published')),
      5_000,
    );
    await sleep(500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(2);
  });
});

describe('replying from Slack: permissions and the audit log', () => {
  const bed = useTestBed({ userGroups: { S0SUPPORT1: ['U0GROUPIE1'] } });
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('lets listed users and user-group members reply and like; refuses others and audits it', async () => {
    await bed.start({ REPLY_ALLOWED_USERS: 'U0ALLOWED1,S0SUPPORT1' });
    const mention = await flow.mention('can someone help');
    const viewsBefore = bed.standins.slack.views().length;
    await flow.press('mention_reply', mention.message, mention.key, 'U0OUTSIDER');
    await waitUntil(
      () => flow.ephemeralsFor('U0OUTSIDER').some((m) => m.text.startsWith('Replying on the brand’s behalf is for support agents')),
      5_000,
    );
    expect(bed.standins.slack.views()).toHaveLength(viewsBefore); // no form opened
    await flow.press('mention_like', mention.message, mention.key, 'U0OUTSIDER');
    await waitUntil(
      () => flow.ephemeralsFor('U0OUTSIDER').some((m) => m.text.startsWith('Liking posts as the brand is for support agents')),
      5_000,
    );
    await flow.writeInThread(mention, 'reply: @ada_l sneaky', { userId: 'U0OUTSIDER' });
    await waitUntil(() => flow.ephemeralsFor('U0OUTSIDER').filter((m) => m.text.includes('Nothing was done')).length === 3, 5_000);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);
    expect(bed.standins.x.callsTo('likes.create')).toHaveLength(0);

    await flow.writeInThread(mention, 'reply: @ada_l from the support group', { userId: 'U0GROUPIE1' });
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000);
    expect(bed.standins.slack.callsTo('usergroups.users.list').length).toBeGreaterThanOrEqual(1);

    expect((await flow.command('audit', 'U0OUTSIDER')).text).toContain('Reading the audit log is for Switchboard admins');
    const audit = await flow.command('audit 20', 'U0AGENT01');
    expect(audit.response_type).toBe('ephemeral');
    expect(audit.text).toContain('<@U0OUTSIDER> was refused');
    expect(audit.text).toContain('<@U0GROUPIE1> reply published: “@ada_l from the support group”');
    expect(audit.text).toMatch(/\(post \d+\)/);
  });

  it('answers the form and /crm export before any Slack call: a Slack that never answers does not hold them up', async () => {
    await bed.start();
    const mention = await flow.mention('where is it');
    const view = await flow.openReplyModal(mention);
    // The thread announcement and the export's upload never get an answer from Slack.
    bed.standins.slack.faults.inject('chat.postMessage', { kind: 'hang' });
    bed.standins.slack.faults.inject('conversations.open', { kind: 'hang' });
    const submitted = await flow.submitReply(view, '@ada_l it left the warehouse today');
    expect(submitted.status).toBe(200);
    expect(submitted.text).toBe('');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000, 'the reply sent all the same');
    const exported = await flow.command('export @ada_l');
    expect(exported.text).toMatch(/^Preparing contact-/);
  });

  it('refuses requests from another Slack workspace', async () => {
    await bed.start();
    const mention = await flow.mention('hello');
    const { threadMessageEvent, slashCommand } = await import('../helpers/slack-request.ts');
    await flow.send(
      threadMessageEvent({ channel: mention.message.channel, threadTs: mention.message.ts, text: 'reply: hi', teamId: 'T0INTRUDER' }),
    );
    const command = await flow.send(slashCommand({ text: 'audit', teamId: 'T0INTRUDER' }));
    expect(command.text).toContain('Switchboard serves another workspace');
    await sleep(500);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);
  });

  it('answers unknown /crm input with usage', async () => {
    await bed.start();
    const answer = await flow.command('frobnicate now');
    expect(answer.text).toContain('`frobnicate` is not a /crm command');
    expect(answer.text).toContain('/crm saved add <name> <text>');
    expect((await flow.command('audit lots')).text).toContain('is not a number of entries');
    expect((await flow.command('saved add')).text).toContain('Usage: `/crm saved add <name> <text>`');
  });
});
