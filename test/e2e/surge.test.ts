import { describe, expect, it } from 'vitest';
import { customers, FAST, postedMentionKeys, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow, textOf } from '../helpers/reply-flow.ts';
import { buttonClick } from '../helpers/slack-request.ts';

/** Slack's real pace, a little faster: a backlog builds, and its order shows. */
const SLACK_PACE = { ...FAST, slackPostsPerSecond: 4, slackBurst: 1 };

const chatter = [
  'love the new jacket, thank you!',
  'best boots I have ever owned',
  'great service in the Leeds store today, thanks',
  'the trail shoes are amazing',
  'so happy with the tent, thank you team',
];
const questions = ['where is my order?', 'how do I return these boots?', 'my parcel is late again, what now?'];

describe('a backlog: Slack gets who needs an answer first, and nothing is lost or posted twice', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('posts questions and complaints from known contacts first, then the other questions, then the rest, oldest first in each', async () => {
    // Everything in one channel, so the three classes compete for its pace.
    const env = { SLACK_CHANNEL_QUESTIONS: 'C0MENTIONS' };
    await bed.start(env);
    // Ada is known to the CRM: she wrote before and the team tagged her.
    await flow.mention('love the new trail shoes', customers[0]);
    expect((await flow.command('tag @ada_l vip')).text).toContain('tagged');
    await bed.bot.stop();

    // A crowd writes while the bot is down; Ada's question is among the newest.
    const crowd = Array.from({ length: 12 }, (_, i) => ({ username: `fan_${i}`, name: `Fan ${i}` }));
    const posts = crowd.map((fan, i) => bed.standins.x.addMention(fan, i % 3 === 0 ? (questions[i % 3] ?? '') : (chatter[i % 5] ?? '')));
    const latecomer = bed.standins.x.addMention(customers[1]!, 'how do I return these boots?');
    const ada = bed.standins.x.addMention(customers[0]!, 'where is my order 10482? it has been two weeks');
    await bed.start(env, SLACK_PACE);

    const expected = 1 + posts.length + 2;
    await waitUntil(() => postedMentionKeys(bed.standins.slack).length === expected, 20_000, 'every mention in Slack');
    const order = postedMentionKeys(bed.standins.slack).slice(1);
    const questionKeys = posts.filter((_, i) => i % 3 === 0).map((post) => `x:${post.id}`);
    // Ada's question first, though it is among the newest; then the other questions, oldest first; then the rest.
    expect(order[0]).toBe(`x:${ada.id}`);
    expect(order.slice(1, 1 + questionKeys.length + 1)).toEqual([...questionKeys, `x:${latecomer.id}`]);
    expect(new Set(order).size).toBe(order.length);
  });

  it('a restart with mention messages still owed to Slack posts each once: none lost, none twice', async () => {
    await bed.start({}, SLACK_PACE);
    const posts = Array.from({ length: 16 }, (_, i) =>
      bed.standins.x.addMention({ username: `fan_${i}`, name: `Fan ${i}` }, `question ${i}: where is my order?`),
    );
    bed.bot.running.pollNow();
    await waitUntil(() => postedMentionKeys(bed.standins.slack).length >= 3, 10_000, 'the first few');
    await bed.bot.stop();
    const before = postedMentionKeys(bed.standins.slack).length;
    expect(before).toBeLessThan(posts.length);

    await bed.start({}, SLACK_PACE);
    await waitUntil(() => postedMentionKeys(bed.standins.slack).length === posts.length, 20_000, 'the rest after the restart');
    bed.expectEachPostedOnce(posts);
  });
});

describe('surge mode: a viral moment neither buries the channel nor the customer who needs an answer', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  // A backlog of more than 5 s at 4 posts a second is a surge; calm for 1 s ends it.
  const SURGE = { SURGE_BACKLOG_SECONDS: '5', SURGE_COOLDOWN_SECONDS: '1' };
  const questions = () => bed.standins.slack.messages('C0QUESTION');
  const surgeMessages = () => questions().filter((m) => m.metadata?.event_type === 'switchboard_surge');
  const batches = () => questions().filter((m) => m.metadata?.event_type === 'switchboard_mention_batch');
  /** Every mention in Slack, alone or in a surge thread's message. */
  const everyKey = () => [
    ...postedMentionKeys(bed.standins.slack),
    ...batches().flatMap((m) => String(m.metadata?.event_payload.keys ?? '').split(' ')),
  ];

  it('posts one surge message with the crowd in its thread, known customers’ complaints alone and first, every mention actionable, and nothing lost or twice across a restart', async () => {
    await bed.start(SURGE);
    await flow.mention('love the new trail shoes', customers[0]);
    expect((await flow.command('tag @ada_l vip')).text).toContain('tagged');
    await bed.bot.stop();

    const crowd = Array.from({ length: 60 }, (_, i) =>
      bed.standins.x.addMention({ username: `user_${i}`, name: `User ${i}` }, `the app is down again, I cannot check out #${i}`),
    );
    const ada = bed.standins.x.addMention(customers[0]!, 'the app is down and my order 10482 is stuck, please help');
    await bed.start(SURGE, SLACK_PACE);

    const surge = await waitUntil(() => surgeMessages()[0], 10_000, 'the surge message');
    await waitUntil(() => questions().find((m) => /A surge has started in <#C0QUESTION>/.test(m.text ?? '')), 5_000, 'the notice');
    // Ada's complaint is posted alone, as a mention message, before the crowd's batches.
    await waitUntil(() => postedMentionKeys(bed.standins.slack).includes(`x:${ada.id}`), 10_000, 'Ada’s mention');
    const adaMessage = questions().find((m) => m.metadata?.event_payload.key === `x:${ada.id}`);
    expect(adaMessage?.thread_ts).toBeUndefined();
    await waitUntil(() => batches().length >= 2, 10_000, 'the crowd in the surge thread');
    expect(batches().every((m) => m.thread_ts === surge.ts)).toBe(true);

    // Restart mid-surge: what is owed resumes; no second surge message or notice.
    await bed.bot.stop();
    await bed.start(SURGE, SLACK_PACE);
    await waitUntil(() => everyKey().length >= crowd.length + 2, 30_000, 'every mention in Slack');
    const keys = everyKey();
    expect(new Set(keys).size).toBe(keys.length);
    for (const post of [...crowd, ada]) expect(keys).toContain(`x:${post.id}`);
    expect(surgeMessages()).toHaveLength(1);
    expect(questions().filter((m) => /A surge has started/.test(m.text ?? ''))).toHaveLength(1);

    // Every mention in a batch is actionable from its menu: Assign, then Reply.
    const batch = batches()[0];
    const firstKey = String(batch?.metadata?.event_payload.keys).split(' ')[0] ?? '';
    if (!batch) throw new Error('no batch');
    const press = (value: string) =>
      flow.send(
        buttonClick({
          actionId: 'mention_overflow',
          element: 'overflow',
          value,
          channel: 'C0QUESTION',
          messageTs: batch.ts,
          threadTs: surge.ts,
          triggerId: bed.standins.slack.issueTriggerId('U0AGENT01'),
        }),
      );
    await press(`assign|${firstKey}`);
    await waitUntil(
      () => JSON.stringify(questions().find((m) => m.ts === batch.ts)?.blocks).includes('<@U0AGENT01>'),
      5_000,
      'the batch showing the assignee',
    );
    const viewsBefore = bed.standins.slack.views().length;
    await press(`reply|${firstKey}`);
    const modal = await waitUntil(() => bed.standins.slack.views()[viewsBefore], 5_000, 'the reply modal');
    await flow.submitReply(modal, 'We are on it: the app is back within the hour.');
    const postId = firstKey.replace('x:', '');
    await waitUntil(() => bed.standins.x.published().some((post) => post.in_reply_to_post_id === postId), 10_000, 'the reply on X');

    // Calm again: the surge message says it is over, with its figures.
    await waitUntil(() => textOf(surgeMessages()[0]).includes('Surge over'), 15_000, 'the surge to end');
    expect(textOf(surgeMessages()[0])).toContain('Complaint');
    expect(textOf(surgeMessages()[0])).toContain('`down`');

    // The digest names the surge.
    await flow.command('digest');
    const digest = await waitUntil(
      () => bed.standins.slack.messages('C0DIGESTS').find((m) => textOf(m).includes('Surges')),
      20_000,
      'the digest',
    );
    expect(textOf(digest)).toMatch(/<#C0QUESTION> \d\d:\d\d–\d\d:\d\d: 6[12] mentions, about [^·]*`down`/);
  });
});
