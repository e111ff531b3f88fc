import { describe, expect, it } from 'vitest';
import { customers, FAST, postedMentionKeys, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

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
