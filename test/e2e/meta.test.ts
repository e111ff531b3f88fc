import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signMetaBody } from '../../src/platforms/meta/webhook.ts';
import { FAST, platformEnv, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';

const DMS = 'C0SOCDMS1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ada = { id: '6100000000000042', name: 'Ada Lovelace' };
const grace = { id: '6100000000000043', name: 'Grace Hopper' };
const igAda = { id: '17841400000000042', name: 'Ada Lovelace', username: 'ada.lovelace' };
const igGrace = { id: '17841400000000043', name: 'Grace Hopper', username: 'gracehopper' };

describe('Facebook Pages and Instagram, by Meta webhooks', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const meta = () => bed.standins.meta;
  const start = async (extra: Record<string, string> = {}, tuning = FAST) => {
    const bot = await bed.start({ ...platformEnv(bed.standins, 'meta'), SLACK_CHANNEL_DMS: DMS, ...extra }, tuning);
    meta().webhookUrl = `${bot.url}/meta/webhook`;
    return bot;
  };
  /** The catch-up reads at start (comments and conversations on both networks) are over. */
  const firstReadsDone = () =>
    waitUntil(
      async () => {
        const { platforms } = await bed.health();
        return ['facebook', 'instagram', 'facebook:dms', 'instagram:dms'].every((name) => platforms[name]?.state === 'ok');
      },
      10_000,
      'the first catch-up reads',
    );

  it('answers the handshake, takes a comment in once, follows its edit, replies once, likes, hides and unhides it, and shows a removal', async () => {
    await start();
    // Meta's subscription check: the challenge echoed for the right token, 403 for another.
    const handshake = await meta().verifySubscription();
    expect(handshake).toMatchObject({ status: 200, body: handshake.challenge });
    expect((await meta().verifySubscription('not-the-token')).status).toBe(403);

    // Meta delivers the same comment twice: one mention message.
    const comment = await meta().facebookComment(ada, 'Where is my order #4411? It was due Monday.', { webhook: 'twice' });
    const key = `facebook:${comment.id}`;
    const mention = await flow.posted(key);
    expect(textOf(mention.message)).toContain('Where is my order #4411?');
    expect(textOf(mention.message)).toContain('Facebook');
    expect(textOf(mention.message)).toContain('Ada Lovelace');
    for (const label of ['Reply', 'Like', 'Hide', 'Assign to me']) expect(textOf(mention.message)).toContain(label);
    expect(meta().deliveries.filter((delivery) => delivery.status === 200).length).toBeGreaterThanOrEqual(2);
    await sleep(300);
    expect(bed.mentionKeys().filter((k) => k === key)).toHaveLength(1);

    // The author edits it: the message shows the new text and says it was edited.
    await meta().editFacebookComment(comment.id, 'Where is my order #4411? It was due Monday. Still nothing!');
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Still nothing!'), 5_000, 'the edited text');
    expect(textOf(flow.currentMessage(mention))).toContain('Edited by its author');

    // Reply from the modal, submitted twice: one comment under Ada's, in the pinned Graph version.
    const modal = await flow.openReplyModal(mention);
    // Facebook threads the reply under the comment: no @handle to start with.
    expect(JSON.stringify(modal.view)).not.toContain('@6100000000000042');
    await flow.submitReply(modal, 'Sorry Ada, it ships today.');
    await flow.submitReply(modal, 'Sorry Ada, it ships today.');
    await waitUntil(() => meta().brandComments().length === 1, 10_000, 'the reply on Facebook');
    await sleep(300);
    expect(meta().brandComments()).toMatchObject([{ parentId: comment.id, text: 'Sorry Ada, it ships today.' }]);
    expect(meta().calls.every((call) => call.path.startsWith('/v25.0/'))).toBe(true);

    await flow.press('mention_like', mention.message, key);
    await waitUntil(() => meta().likes.has(comment.id), 5_000, 'the like as the Page');

    // Moderation: Hide, then Unhide, each on Facebook, on the message, and in the audit log.
    await flow.press('mention_hide', mention.message, key);
    await waitUntil(() => meta().comments.get(comment.id)?.hidden === true, 5_000, 'the comment hidden');
    await waitUntil(() => textOf(flow.currentMessage(mention)).includes('Hidden by'), 5_000, 'Hidden on the message');
    expect(textOf(flow.currentMessage(mention))).toContain('Unhide');
    await flow.press('mention_hide', mention.message, key);
    await waitUntil(() => meta().comments.get(comment.id)?.hidden === false, 5_000, 'the comment shown again');
    await waitUntil(() => !textOf(flow.currentMessage(mention)).includes('Hidden by'), 5_000, 'Hidden gone from the message');
    const audit = (await flow.command('audit')).text ?? '';
    expect(audit).toContain('hid a comment');
    expect(audit).toContain('showed a hidden comment again');

    // A viewer may not hide: refused before anything reaches Facebook.
    await bed.bot.stop();
    await start({ SLACK_AGENTS: 'U0AGENT01', SLACK_ADMINS: 'U0AGENT01' });
    const callsBefore = meta().callsTo('POST object').length;
    await flow.press('mention_hide', mention.message, key, 'U0VIEWER01');
    await waitUntil(
      () => flow.ephemeralsFor('U0VIEWER01').some((m) => m.text.includes('Hiding or unhiding comments')),
      5_000,
      'the refusal',
    );
    expect(meta().callsTo('POST object')).toHaveLength(callsBefore);

    // Grace comments, then deletes it: the message says so and offers no Hide.
    const gone = await meta().facebookComment(grace, 'This brand is a scam!!!');
    const goneMention = await flow.posted(`facebook:${gone.id}`);
    await meta().removeFacebookComment(gone.id);
    await waitUntil(() => textOf(flow.currentMessage(goneMention)).includes('Deleted by its author'), 5_000, 'the removal shown');
    expect(textOf(flow.currentMessage(goneMention))).not.toContain('Hide');
  });

  it('takes Instagram comments and @mentions in, answers a reply under its top-level comment, and offers no Like there', async () => {
    await start();
    const top = await meta().instagramComment(igAda, 'Does the jacket come in green?');
    const topMention = await flow.posted(`instagram:${top.id}`);
    expect(textOf(topMention.message)).toContain('@ada.lovelace');
    expect(textOf(topMention.message)).toContain('Instagram');
    expect(textOf(topMention.message)).not.toContain('Like');
    expect(textOf(topMention.message)).toContain('Hide');

    // Grace answers Ada's comment; the brand's reply to Grace goes under Ada's top-level comment.
    const reply = await meta().instagramComment(igGrace, '@ada.lovelace I asked them too, does it?', { parentId: top.id });
    const replyMention = await flow.posted(`instagram:${reply.id}`);
    const modal = await flow.openReplyModal(replyMention);
    expect(JSON.stringify(modal.view)).toContain('@gracehopper');
    await flow.submitReply(modal, '@gracehopper Yes, green arrives in March!');
    await waitUntil(() => meta().brandComments().length === 1, 10_000, 'the reply on Instagram');
    expect(meta().brandComments()[0]).toMatchObject({ parentId: top.id, text: '@gracehopper Yes, green arrives in March!' });

    // An @mention in a comment on someone else's post: answered through POST /{ig-user-id}/mentions.
    const elsewhere = await meta().instagramMention(igGrace, '@northwind my order never came');
    const elsewhereMention = await flow.posted(`instagram:${elsewhere.id}`);
    expect(textOf(elsewhereMention.message)).not.toContain('Hide');
    await flow.submitReply(await flow.openReplyModal(elsewhereMention), '@gracehopper Sorry! Could you DM us your order number?');
    await waitUntil(() => meta().callsTo('POST mentions').length === 1, 10_000, 'the reply through /mentions');
    expect(meta().callsTo('POST mentions')[0]?.body).toMatchObject({ comment_id: elsewhere.id, media_id: elsewhere.objectId });

    // Liking an Instagram comment is not something the API can do: said, and nothing is called.
    await flow.press('mention_like', topMention.message, `instagram:${top.id}`);
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.includes('cannot like comments')), 5_000, 'the explanation');
    expect(meta().callsTo('POST likes')).toHaveLength(0);
  });

  it('replies to Messenger and Instagram messages inside the 24-hour window, and says why and until when outside it', async () => {
    const dms = () => bed.standins.slack.messages(DMS);
    const parents = () => dms().filter((m) => m.metadata?.event_type === 'switchboard_conversation');
    await start();
    await meta().customerMessage('facebook', ada, 'Hi! Can I change the size of order #4411?');
    const parent = await waitUntil(() => parents()[0], 10_000, 'the Messenger thread');
    expect(textOf(parent)).toContain('order #4411');
    expect(textOf(parent)).toContain('Ada Lovelace');
    const key = String(parent.metadata?.event_payload.key);
    await flow.writeInThread({ key, message: parent }, 'reply: Of course, which size would you like?');
    await waitUntil(() => meta().brandMessages().length === 1, 10_000, 'the Messenger reply');
    expect(meta().callsTo('POST messages')[0]?.body).toMatchObject({
      recipient: { id: ada.id },
      messaging_type: 'RESPONSE',
      message: { text: 'Of course, which size would you like?' },
    });

    // Instagram messages too, in their own thread.
    await meta().customerMessage('instagram', igGrace, 'is the green jacket back?');
    await waitUntil(() => parents().length === 2, 10_000, 'the Instagram thread');

    // Grace wrote on Messenger two days ago (the webhook came late): the reply is refused, saying until when.
    const twoDaysAgo = Date.now() - 2 * 24 * 3_600_000;
    await meta().customerMessage('facebook', grace, 'Do you ship to Norway?', { at: twoDaysAgo });
    const late = await waitUntil(() => parents().find((m) => textOf(m).includes('Norway')), 10_000, 'the late thread');
    const lateKey = String(late.metadata?.event_payload.key);
    const before = bed.standins.slack.views().length;
    await flow.press('conversation_reply', late, lateKey);
    const lateModal = await waitUntil(() => bed.standins.slack.views()[before], 5_000, 'the private reply modal');
    const refused = await flow.submitReply(lateModal, 'Yes we do!');
    const until = new Date(twoDaysAgo + 24 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
    expect(refused.text).toContain('Messenger allows replies for 24 hours');
    expect(refused.text).toContain(until);
    expect(refused.text).toContain('Human Agent');
    expect(meta().brandMessages()).toHaveLength(1);

    // With the Human Agent permission (META_HUMAN_AGENT=true), a person's reply goes out tagged.
    await bed.bot.stop();
    meta().humanAgentPermission = true;
    await start({ META_HUMAN_AGENT: 'true' });
    await flow.writeInThread({ key: lateKey, message: late }, 'reply: Yes, we ship to Norway.');
    await waitUntil(() => meta().brandMessages().length === 2, 10_000, 'the tagged reply');
    expect(meta().callsTo('POST messages').at(-1)?.body).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  it('recovers comments and messages whose webhooks were lost, once, even when the webhook arrives after all', async () => {
    await start({}, { ...FAST, metaCatchUpMs: 60 * 60_000 });
    await firstReadsDone();
    const lost = await meta().facebookComment(ada, 'Is anyone reading these? My refund is late.', { webhook: 'lost' });
    const lostIg = await meta().instagramComment(igAda, 'hello?? nobody answers DMs', { webhook: 'lost' });
    const lostMessage = await meta().customerMessage('facebook', grace, 'Following up on my refund', { webhook: 'lost' });
    await sleep(500);
    expect(bed.mentionKeys()).not.toContain(`facebook:${lost.id}`);
    // The catch-up read (every few minutes; now, for the test) finds them.
    bed.bot.running.pollNow();
    await flow.posted(`facebook:${lost.id}`);
    await flow.posted(`instagram:${lostIg.id}`);
    await waitUntil(
      () => bed.standins.slack.messages(DMS).some((m) => textOf(m).includes('Following up on my refund')),
      10_000,
      'the lost message',
    );
    // Meta's webhook arrives late after all: nothing twice.
    await meta().sendWebhook(meta().feedDelivery(lost, 'add'));
    await meta().sendWebhook(meta().messagingDelivery(lostMessage));
    bed.bot.running.pollNow();
    await sleep(1_000);
    expect(bed.mentionKeys().filter((k) => k === `facebook:${lost.id}`)).toHaveLength(1);
    expect(bed.mentionKeys().filter((k) => k === `instagram:${lostIg.id}`)).toHaveLength(1);
    expect(bed.standins.slack.messages(DMS).filter((m) => textOf(m).includes('Following up on my refund'))).toHaveLength(1);
  });

  it('refuses forged, unsigned and oversized deliveries with nothing stored, read or posted', async () => {
    await start();
    const forged = {
      object: 'page',
      entry: [
        {
          id: meta().page.id,
          time: 1,
          changes: [
            {
              field: 'feed',
              value: { item: 'comment', verb: 'add', comment_id: '1_666', post_id: '1_1', from: ada, message: 'forged', created_time: 1 },
            },
          ],
        },
      ],
    };
    await firstReadsDone();
    const callsBefore = meta().calls.length;
    expect(await meta().sendWebhook(forged, { signWith: 'not-the-app-secret' })).toBe(403);
    const url = `${bed.bot.url}/meta/webhook`;
    const body = JSON.stringify(forged);
    const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    const huge = JSON.stringify({ ...forged, padding: 'x'.repeat(1_100_000) });
    const tooLarge = await fetch(url, {
      method: 'POST',
      headers: { 'x-hub-signature-256': signMetaBody(meta().appSecret, huge) },
      body: huge,
    });
    expect(tooLarge.status).toBe(413);
    await sleep(500);
    expect(bed.mentionKeys()).toEqual([]);
    expect(meta().calls.length).toBe(callsBefore);
    expect(await readFile(path.join(bed.dataDir, 'webhook-inbox.jsonl'), 'utf8').catch(() => '')).toBe('');
    // The right signature over the same bytes is taken.
    expect(await meta().sendWebhook(forged)).toBe(200);
    await flow.posted('facebook:1_666');
  });

  /** The bodies of the deliveries the inbox file says are still waiting. */
  const waitingInInbox = async () => {
    const text = await readFile(path.join(bed.dataDir, 'webhook-inbox.jsonl'), 'utf8').catch(() => '');
    const waiting = new Map<string, string>();
    for (const line of text.split('\n').filter(Boolean)) {
      const parsed = JSON.parse(line) as { received?: { key: string; body: string }; done?: string[] };
      if (parsed.received) waiting.set(parsed.received.key, parsed.received.body);
      for (const key of parsed.done ?? []) waiting.delete(key);
    }
    return [...waiting.values()];
  };

  it('keeps a delivery it could not take in yet (Instagram throttling) across a restart, and takes it in once', async () => {
    await start();
    // Instagram's comment read is throttled (#4): the bot waits the minute Meta asks for, and is stopped meanwhile.
    meta().faults.inject('GET object', {
      kind: 'status',
      status: 403,
      body: { error: { message: '(#4) Application request limit reached', type: 'OAuthException', code: 4 } },
    });
    const comment = await meta().instagramComment(igAda, 'Is the store open on Sunday?');
    await waitUntil(
      () => bed.bot.logs.some((line) => line.includes('could not be taken in') && line.includes('in 60 s')),
      5_000,
      'the throttled attempt',
    );
    await bed.bot.stop();
    const waiting = await waitingInInbox();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toContain(comment.id);
    await start();
    await flow.posted(`instagram:${comment.id}`);
    await sleep(500);
    expect(bed.mentionKeys().filter((k) => k === `instagram:${comment.id}`)).toHaveLength(1);
    await waitUntil(async () => (await waitingInInbox()).length === 0, 5_000, 'the inbox emptied');
  });

  it('counts Facebook and Instagram in the digest by network', async () => {
    await start();
    await meta().facebookComment(ada, 'Where is my order? It is late.');
    await meta().instagramComment(igAda, 'Love the new colours!');
    await waitUntil(() => bed.mentionKeys().length === 2, 10_000, 'both mentions');
    await flow.command('digest today');
    const digest = await waitUntil(
      () =>
        bed.standins.slack
          .messages('C0DIGESTS')
          .find((m) => m.metadata?.event_type === 'switchboard_digest' || textOf(m).includes('mentions')),
      10_000,
      'the digest',
    );
    expect(textOf(digest)).toContain('Facebook 1');
    expect(textOf(digest)).toContain('Instagram 1');
  });
});
