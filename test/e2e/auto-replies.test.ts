import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack-standin.ts';
import { customers, useTestBed, waitUntil } from '../helpers/harness.ts';
import { type MentionMessage, replyFlow, textOf } from '../helpers/reply-flow.ts';
import { viewSubmission } from '../helpers/slack-request.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ORDER_REPLY = '{{handle}} Hi {{first_name}}, every order can be tracked at https://example.com/track {{agent}}';

/** The rule form's fields a test leaves alone: any kind of public post, anyone, any time, 50 a day. */
const FORM_DEFAULTS = { rule_kinds: ['mention', 'comment'], rule_contact: 'any', rule_hours: 'any', rule_daily_cap: '50' };

describe('automatic replies: rules answer common questions, within guardrails', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const published = () => bed.standins.x.published();

  /** `/crm rules add`, then the form submitted as an admin would fill it. Returns Slack's answer to the submission. */
  async function addRule(values: Record<string, string | string[]>, userId = 'U0AGENT01') {
    const before = bed.standins.slack.views().length;
    const answer = await flow.command('rules add', userId);
    expect(answer.text).toContain('Opening the rule form');
    const view = await waitUntil(() => bed.standins.slack.views()[before], 5_000, 'the rule form');
    return flow.send(viewSubmission({ view, userId, values: { ...FORM_DEFAULTS, ...values } }));
  }

  async function openEditForm(name: string) {
    const before = bed.standins.slack.views().length;
    expect((await flow.command(`rules edit ${name}`)).text).toContain(`Opening “${name}”`);
    return waitUntil(() => bed.standins.slack.views()[before], 5_000, 'the edit form');
  }

  async function liveRule(name: string, values: Record<string, string | string[]>) {
    const submitted = await addRule({ rule_name: name, ...values });
    expect(submitted.text).not.toContain('errors');
    expect((await flow.command(`rules on ${name}`)).text).toContain('is live');
  }

  const announcementOf = (mention: MentionMessage) =>
    waitUntil(
      () => flow.threadOf(mention).find((m) => textOf(m).includes('Automatic reply in')),
      10_000,
      'the automatic-reply announcement',
    );

  const threadSays = (mention: MentionMessage, words: string, timeoutMs = 10_000) =>
    waitUntil(() => flow.threadOf(mention).find((m) => textOf(m).includes(words)), timeoutMs, `"${words}" in the thread`);

  const messageSays = (mention: MentionMessage, words: string, timeoutMs = 10_000) =>
    waitUntil(() => textOf(flow.currentMessage(mention)).includes(words), timeoutMs, `"${words}" on the mention message`);

  function undoValueOf(message: StoredMessage): string {
    const actions = (message.blocks as Array<{ type: string; elements?: Array<{ value?: string }> }>).find((b) => b.type === 'actions');
    const value = actions?.elements?.[0]?.value;
    if (!value) throw new Error('the announcement has no Undo button');
    return value;
  }

  it('a new rule is a dry run: it says in the thread what it would send, and sends nothing; switched on, it replies once after its Undo window, as the rule', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '1' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    const submitted = await addRule({
      rule_name: 'Order status',
      rule_labels: ['Question'],
      rule_keywords: 'order, pedido',
      rule_saved_reply: 'order-status',
    });
    expect(submitted.status).toBe(200);
    expect(submitted.text).not.toContain('errors');
    expect((await flow.command('rules')).text).toMatch(/Order status\* · :test_tube: dry run/);

    const first = await flow.mention('where is my order 10482?');
    const dryRun = await threadSays(first, 'Dry run of rule “Order status”');
    expect(textOf(dryRun)).toContain('@ada_l Hi Ada, every order can be tracked at https://example.com/track');
    expect(textOf(dryRun)).toContain('Nothing was sent');
    await messageSays(first, 'would have replied (dry run, nothing sent)');
    await sleep(1_500);
    expect(published()).toHaveLength(0);

    expect((await flow.command('rules on Order status')).text).toContain('“Order status” is live');
    const second = await flow.mention('hola, ¿dónde está mi pedido?', customers[1]);
    const announced = await announcementOf(second);
    expect(textOf(announced)).toContain('by rule “Order status”');
    expect(textOf(announced)).toContain('Undo');
    await waitUntil(() => flow.repliesOnX(second).length === 1, 10_000, 'the automatic reply on X');
    const [reply] = flow.repliesOnX(second);
    // {{agent}} is left out: a rule signs as the brand.
    expect(reply?.text).toBe('@grace_h Hi Grace, every order can be tracked at https://example.com/track');
    await threadSays(second, 'Auto-replied by rule “Order status”');
    await messageSays(second, 'Auto-replied by rule “Order status”');
    const audit = await flow.command('audit 10');
    expect(audit.text).toContain('rule Order status');
    expect(audit.text).toContain('reply published');
    await sleep(1_500);
    expect(flow.repliesOnX(second)).toHaveLength(1);
    expect(bed.standins.x.callsTo('likes.create')).toHaveLength(0);
  });

  it('a person replying inside the window takes over: the rule’s reply is cancelled and only theirs is published', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '4' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Order status', { rule_keywords: 'order', rule_saved_reply: 'order-status' });
    const mention = await flow.mention('where is my order 20001?');
    await announcementOf(mention);

    const modal = await flow.openReplyModal(mention);
    await flow.submitReply(modal, '@ada_l it left today, I will send you the tracking myself');
    await threadSays(mention, 'Automatic reply cancelled*: a person replied instead');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000, 'the person’s reply');
    await sleep(4_500);
    expect(flow.repliesOnX(mention).map((post) => post.text)).toEqual(['@ada_l it left today, I will send you the tracking myself']);
    await messageSays(mention, 'Replied by <@U0AGENT01>');
    expect(textOf(flow.currentMessage(mention))).toContain('automatic reply was cancelled: a person replied instead');
  });

  it('Undo, Assign to me and Resolve inside the window each stop it; nothing is published', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '4' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Order status', { rule_keywords: 'order', rule_saved_reply: 'order-status' });

    const undone = await flow.mention('where is my order 1?');
    const assigned = await flow.mention('where is my order 2?', customers[1]);
    const resolved = await flow.mention('where is my order 3?', customers[2]);
    const announcement = await announcementOf(undone);
    await announcementOf(assigned);
    await announcementOf(resolved);

    await flow.press('reply_undo', announcement, undoValueOf(announcement), 'U0AGENT02');
    await flow.press('mention_assign_to_me', assigned.message, assigned.key);
    await flow.press('mention_resolve', resolved.message, resolved.key);
    await threadSays(undone, 'undone by <@U0AGENT02>');
    await threadSays(assigned, 'a person assigned it');
    await threadSays(resolved, 'a person resolved it');
    await sleep(4_500);
    expect(published()).toHaveLength(0);
  });

  it('a restart inside the window sends it once, when the window ends; the mention read again is not answered twice', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '3' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Order status', { rule_keywords: 'order', rule_saved_reply: 'order-status' });
    const mention = await flow.mention('where is my order 555?');
    await announcementOf(mention);
    await bed.bot.stop();
    expect(published()).toHaveLength(0);

    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '3' });
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 10_000, 'the reply after the restart');
    await threadSays(mention, 'Auto-replied by rule');
    // The restarted bot reads its mentions again (the re-read window): no second decision, no second reply.
    bed.bot.running.pollNow();
    await sleep(2_000);
    expect(flow.repliesOnX(mention)).toHaveLength(1);
    expect(flow.threadOf(mention).filter((m) => textOf(m).includes('Automatic reply') || textOf(m).includes('Auto-replied'))).toHaveLength(
      1,
    );
  });

  it('two rules that match: the first acts and stops; one that says “continue” lets the next act too', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '1', SLACK_CHANNEL_MENTIONS: 'C0MENTIONS' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await flow.command('saved add refund-policy {{handle}} Refunds reach your card within 5 working days.');
    await liveRule('Escalate refunds', { rule_keywords: 'refund', rule_notify_channel: 'C0ESCALATE', rule_assign_to: 'U0AGENT02' });
    await liveRule('Refund policy', { rule_keywords: 'refund', rule_saved_reply: 'refund-policy' });

    const stopped = await flow.mention('where is my refund for order 77?');
    await waitUntil(() => bed.standins.slack.messages('C0ESCALATE').length === 1, 5_000, 'the note to the escalation channel');
    expect(textOf(bed.standins.slack.messages('C0ESCALATE')[0])).toContain('Rule “Escalate refunds”* flagged a');
    await messageSays(stopped, 'Assigned to <@U0AGENT02> by rule “Escalate refunds”');
    await sleep(2_000);
    expect(flow.repliesOnX(stopped)).toHaveLength(0);

    // Edit the first rule to continue: the second now replies as well.
    const view = await openEditForm('Escalate refunds');
    expect(JSON.stringify(view.view)).toContain('Escalate refunds');
    await flow.send(
      viewSubmission({
        view,
        values: {
          ...FORM_DEFAULTS,
          rule_name: 'Escalate refunds',
          rule_keywords: 'refund',
          rule_notify_channel: 'C0ESCALATE',
          rule_assign_to: 'U0AGENT02',
          rule_continue: ['continue'],
        },
      }),
    );
    const both = await flow.mention('my refund still has not arrived', customers[1]);
    await waitUntil(() => bed.standins.slack.messages('C0ESCALATE').length === 2, 5_000, 'the second note');
    await waitUntil(() => flow.repliesOnX(both).length === 1, 8_000, 'the second rule’s reply');
    expect(flow.repliesOnX(both)[0]?.text).toBe('@grace_h Refunds reach your card within 5 working days.');
  });

  it('pausing, editing or switching a rule off while replies wait in their window: none is sent, and each thread says why', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '4' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Order status', { rule_keywords: 'order', rule_saved_reply: 'order-status' });

    const paused = await flow.mention('where is my order A?');
    await announcementOf(paused);
    expect((await flow.command('rules pause')).text).toContain(
      'paused for everyone, starting now; 1 waiting in their Undo window was cancelled',
    );
    await threadSays(paused, 'automatic replies were paused');
    // While paused, a new mention gets nothing automatic at all.
    const whilePaused = await flow.mention('where is my order B?', customers[1]);
    await sleep(1_500);
    expect(flow.threadOf(whilePaused)).toHaveLength(0);
    expect((await flow.command('rules')).text).toContain('Automatic replies are paused');
    expect((await flow.command('rules resume')).text).toContain('running again');

    const edited = await flow.mention('where is my order C?', customers[2]);
    await announcementOf(edited);
    const view = await openEditForm('Order status');
    await flow.send(
      viewSubmission({
        view,
        values: { ...FORM_DEFAULTS, rule_name: 'Order status', rule_keywords: 'order, parcel', rule_saved_reply: 'order-status' },
      }),
    );
    await threadSays(edited, 'rule “Order status” was edited');

    const switchedOff = await flow.mention('where is my order D?', customers[3]);
    await announcementOf(switchedOff);
    expect((await flow.command('rules dry-run Order status')).text).toContain('is a dry run');
    await threadSays(switchedOff, 'was switched to dry run');
    await sleep(4_500);
    expect(published()).toHaveLength(0);
  });

  it('X: never to praise or chatter however a keyword matches (X allows automatic replies only to people asking for help), and nothing is ever liked', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '1' });
    await flow.command('saved add thanks {{handle}} Thank you so much!');
    await liveRule('Thank fans', { rule_keywords: 'love', rule_saved_reply: 'thanks' });
    const praise = await flow.mention('I love the new jacket, best purchase this year!');
    await messageSays(praise, 'no automatic reply: X allows automatic replies only to people asking for help');
    await sleep(1_500);
    expect(published()).toHaveLength(0);
    expect(bed.standins.x.callsTo('likes.create')).toHaveLength(0);
  });

  it('one automatic reply per author a day, and a rule stops at its daily cap', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '1' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Order status', { rule_keywords: 'order', rule_saved_reply: 'order-status', rule_daily_cap: '2' });

    const first = await flow.mention('where is my order 1?');
    await waitUntil(() => flow.repliesOnX(first).length === 1, 8_000, 'the first reply');
    const again = await flow.mention('and where is my other order 2?');
    await messageSays(again, 'the author had an automatic reply at');
    const other = await flow.mention('where is my order 3?', customers[1]);
    await waitUntil(() => flow.repliesOnX(other).length === 1, 8_000, 'the second author’s reply');
    const capped = await flow.mention('where is my order 4?', customers[2]);
    await messageSays(capped, 'the rule has sent its 2 for today');
    await sleep(1_500);
    expect(published()).toHaveLength(2);

    // A person follows up on one of them; the digest counts what the rule did.
    await flow.writeInThread(first, 'reply: @ada_l and it ships tomorrow morning');
    await waitUntil(() => flow.repliesOnX(first).length === 2, 8_000, 'the person’s follow-up');
    // Published on X first, recorded on the mention a moment later: the digest counts what is recorded.
    await waitUntil(() => textOf(flow.currentMessage(first)).includes('Replied by <@U0AGENT01>'), 8_000, 'the follow-up recorded');
    await flow.command('digest');
    const digest = await waitUntil(
      () => bed.standins.slack.messages('C0DIGESTS').find((m) => textOf(m).includes('Automatic replies')),
      10_000,
      'the digest',
    );
    expect(textOf(digest)).toContain(
      '*Automatic replies* 2 sent, 0 cancelled in their Undo window · a person followed up on 1 of 2 · 2 held back by a guardrail',
    );
  });

  it('Mastodon: a followers-only post gets no public automatic reply; a public one does', async () => {
    await bed.start({
      AUTO_REPLY_UNDO_SECONDS: '1',
      X_BEARER_TOKEN: '',
      X_APP_KEY: '',
      X_APP_SECRET: '',
      X_ACCESS_TOKEN: '',
      X_ACCESS_SECRET: '',
      X_USER_ID: '',
      MASTODON_URL: bed.standins.mastodon.apiUrl,
      MASTODON_ACCESS_TOKEN: bed.standins.mastodon.accessToken,
    });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Order status', { rule_keywords: 'order', rule_saved_reply: 'order-status' });
    const hidden = bed.standins.mastodon.addMention({ username: 'ada' }, 'where is my order 9?', { visibility: 'private' });
    const hiddenMention = await flow.posted(`mastodon:${hidden.id}`);
    await messageSays(hiddenMention, 'the post is for followers only, so no public automatic reply');
    const open = bed.standins.mastodon.addMention({ username: 'grace' }, 'where is my order 10?');
    await flow.posted(`mastodon:${open.id}`);
    await waitUntil(() => bed.standins.mastodon.published().filter((status) => status.in_reply_to_id === open.id).length === 1, 8_000);
    expect(bed.standins.mastodon.published().filter((status) => status.in_reply_to_id === hidden.id)).toHaveLength(0);
  });

  it('private messages: only a rule for DMs answers one, privately, through its Undo window; a mention rule never does; a person taking the conversation stops it', async () => {
    await bed.start({ AUTO_REPLY_UNDO_SECONDS: '2', SLACK_CHANNEL_DMS: 'C0SOCDMS1', X_DM_POLL_INTERVAL_SECONDS: '1' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await liveRule('Public orders', { rule_keywords: 'order', rule_saved_reply: 'order-status' });
    await liveRule('Private orders', { rule_kinds: ['dm'], rule_keywords: 'order', rule_saved_reply: 'order-status' });
    const parentOf = (name: string) =>
      waitUntil(
        () =>
          bed.standins.slack
            .messages('C0SOCDMS1')
            .find((m) => m.metadata?.event_type === 'switchboard_conversation' && textOf(m).includes(name)),
        15_000,
        `${name}'s conversation`,
      );
    const inThread = (parent: StoredMessage, words: string) =>
      waitUntil(
        () => bed.standins.slack.messages('C0SOCDMS1').find((m) => m.thread_ts === parent.ts && textOf(m).includes(words)),
        15_000,
        `"${words}" in the conversation`,
      );

    bed.standins.x.addDirectMessage(customers[0]!, 'Hi, where is my order 4411?');
    const ada = await parentOf('Ada Lovelace');
    await inThread(ada, 'by rule “Private orders”');
    await inThread(ada, 'Auto-replied by rule “Private orders”');
    expect(bed.standins.x.sentDirectMessages().map((event) => event.text)).toEqual([
      '@ada_l Hi Ada, every order can be tracked at https://example.com/track',
    ]);
    // Nothing public went out, and the mention rule did not touch it.
    expect(published()).toHaveLength(0);

    bed.standins.x.addDirectMessage(customers[1]!, 'my order 5522 is late');
    const grace = await parentOf('Grace Hopper');
    await inThread(grace, 'Automatic reply in');
    await flow.press('conversation_assign_to_me', grace, String(grace.metadata?.event_payload.key));
    await inThread(grace, 'Automatic reply cancelled*: a person owns the conversation');
    expect(bed.standins.x.sentDirectMessages()).toHaveLength(1);
  });

  it('rules are an admin’s to change: an agent may list and test them, not add, switch or pause', async () => {
    await bed.start({ SLACK_AGENTS: 'U0AGENT02', SLACK_ADMINS: 'U0AGENT01' });
    await flow.command(`saved add order-status ${ORDER_REPLY}`);
    await addRule({ rule_name: 'Order status', rule_keywords: 'order', rule_saved_reply: 'order-status' });
    for (const command of ['rules add', 'rules on Order status', 'rules pause', 'rules delete Order status']) {
      expect((await flow.command(command, 'U0AGENT02')).text).toContain(
        'Changing automatic-reply rules (or pausing them) is for Switchboard admins',
      );
    }
    expect((await flow.command('rules', 'U0AGENT02')).text).toContain('Order status');
    const test = await flow.command('rules test where is my order 10482?', 'U0AGENT02');
    expect(test.text).toContain('Read as a *Question* in *English*, as a public @mention on X');
    expect(test.text).toContain('*Order status* (:test_tube: dry run): *acts*: reply with “order-status” (as a dry run: nothing sent)');
    const miss = await flow.command('rules test I love this jacket', 'U0AGENT02');
    expect(miss.text).toContain('none of the rule’s keywords is in the text');
  });

  it('the form refuses what cannot work, inside the form: no name, a bad pattern, no action, a saved reply that does not exist', async () => {
    await bed.start();
    const empty = await addRule({ rule_name: '', rule_pattern: '(a+)+$' });
    const errors = (JSON.parse(empty.text) as { errors: Record<string, string> }).errors;
    expect(errors.rule_name).toBe('Give the rule a name.');
    expect(errors.rule_pattern).toContain('repeats a repetition');
    expect(errors.rule_assign_to).toContain('Choose at least one thing the rule does');
    expect((await flow.command('rules')).text).toContain('No automatic-reply rules yet');
  });
});
