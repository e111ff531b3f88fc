import { describe, expect, it } from 'vitest';
import { appHomeOpenedEvent, homeButtonClick } from '../../src/sandbox/slack-payloads.ts';
import { customers, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

/** The words a person reads in a published Home tab. */
function homeText(view: Record<string, unknown> | undefined): string {
  const texts: string[] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'text' && typeof inner === 'string') texts.push(inner);
        else walk(inner);
      }
    }
  };
  walk(view?.blocks);
  return texts.join('\n');
}

describe('the App Home inbox', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const home = (user: string) => homeText(bed.standins.slack.homeOf(user));
  const open = (user: string) => flow.send(appHomeOpenedEvent({ userId: user }));
  const press = (user: string, actionId: string, value: string) =>
    flow.send(homeButtonClick({ actionId, value, userId: user, blockId: `home_item_${value}` }));

  it('lists what is mine, unassigned, open, waiting and resolved today, with counts, most urgent and oldest first, and keeps up with changes', async () => {
    await bed.start({ SLACK_AGENTS: 'U0AGENT01,U0AGENT02', SLACK_ADMINS: 'U0AGENT01' });
    const question = await flow.mention('@northwind do you ship to Norway?', customers[0]);
    const complaint = await flow.mention('@northwind my order is two weeks late and nobody answers, this is unacceptable', customers[1]);
    await flow.mention('@northwind love the new jacket!', customers[2]);

    await open('U0AGENT01');
    await waitUntil(() => home('U0AGENT01').includes('Unassigned (2)'), 10_000, 'the inbox');
    const first = home('U0AGENT01');
    for (const tab of ['Mine (0)', 'Unassigned (2)', 'Open questions & complaints (2)', 'Waiting on customer (0)', 'Resolved today (0)']) {
      expect(first).toContain(tab);
    }
    // Opened on "Mine": empty, and it says where to look.
    expect(first).toContain('Nothing is assigned to you');

    await flow.send(homeButtonClick({ actionId: 'home_filter_unassigned', value: 'unassigned', userId: 'U0AGENT01' }));
    await waitUntil(() => home('U0AGENT01').includes('Grace Hopper'), 5_000, 'the unassigned list');
    const unassigned = home('U0AGENT01');
    // The complaint comes first although it is newer; praise is not work.
    expect(unassigned.indexOf('Grace Hopper')).toBeLessThan(unassigned.indexOf('Ada Lovelace'));
    expect(unassigned).not.toContain('love the new jacket');
    expect(unassigned).toContain('Open in channel');

    // Assign from the inbox: the mention message and the inbox follow.
    await press('U0AGENT01', 'mention_assign_to_me', complaint.key);
    await waitUntil(() => home('U0AGENT01').includes('Mine (1)'), 10_000, 'the inbox redrawn');
    expect(home('U0AGENT01')).toContain('Unassigned (1)');
    expect(JSON.stringify(flow.currentMessage(complaint)?.blocks)).toContain('Assigned to <@U0AGENT01>');

    // A reply moves the question to "Waiting on customer"; Resolve to "Resolved today".
    await flow.submitReply(await flow.openReplyModal(question), '@ada_l Yes, we ship to Norway in 3 to 6 days.');
    await waitUntil(() => home('U0AGENT01').includes('Waiting on customer (1)'), 15_000, 'waiting on customer');
    await press('U0AGENT01', 'mention_resolve', complaint.key);
    await waitUntil(() => home('U0AGENT01').includes('Resolved today (1)'), 10_000, 'resolved today');
    await flow.send(homeButtonClick({ actionId: 'home_filter_resolved_today', value: 'resolved_today', userId: 'U0AGENT01' }));
    await waitUntil(() => home('U0AGENT01').includes('resolved by <@U0AGENT01>'), 5_000, 'the resolved list');
    expect(home('U0AGENT01')).toContain('Reopen');

    // A viewer sees the lists and counts, not who wrote what.
    await open('U0VIEWER01');
    await waitUntil(() => home('U0VIEWER01').includes('Names and messages are shown to agents only'), 10_000, "the viewer's inbox");
    await flow.send(homeButtonClick({ actionId: 'home_filter_waiting', value: 'waiting', userId: 'U0VIEWER01' }));
    await waitUntil(() => home('U0VIEWER01').includes('Question on'), 5_000, "the viewer's waiting list");
    expect(home('U0VIEWER01')).toContain('Waiting on customer (1)');
    expect(home('U0VIEWER01')).not.toMatch(/Ada Lovelace|Grace Hopper|Norway|two weeks late/);
    // A viewer's press on an item is refused by the role guard, and changes nothing.
    await press('U0VIEWER01', 'mention_assign_to_me', question.key);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(JSON.stringify(flow.currentMessage(question)?.blocks)).not.toContain('U0VIEWER01');
  });

  it('shows states on the message: Like becomes Liked and takes the like back on X, Assign to me becomes Unassign, a resolved one collapses', async () => {
    await bed.start();
    const mention = await flow.mention('@northwind where is my parcel?', customers[0]);
    const text = () => JSON.stringify(flow.currentMessage(mention)?.blocks);
    // A double-click is one like, not a like and its undoing.
    await Promise.all([flow.press('mention_like', mention.message, mention.key), flow.press('mention_like', mention.message, mention.key)]);
    await waitUntil(() => text().includes('"text":"Liked"'), 5_000, 'Liked');
    expect(bed.standins.x.likes.has(mention.post.id)).toBe(true);
    expect(bed.standins.x.callsTo('likes.delete')).toHaveLength(0);
    // A deliberate press later takes it back.
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await flow.press('mention_like', mention.message, mention.key);
    await waitUntil(() => text().includes('"text":"Like"'), 5_000, 'Like again');
    expect(bed.standins.x.likes.has(mention.post.id)).toBe(false);
    expect((await flow.command('audit')).text).toContain('took a like back');

    await flow.press('mention_assign_to_me', mention.message, mention.key);
    await waitUntil(() => text().includes('"text":"Unassign"'), 5_000, 'Unassign');
    await flow.press('mention_resolve', mention.message, mention.key);
    await waitUntil(() => text().includes('Resolved by <@U0AGENT01>'), 5_000, 'the resolved line');
    expect(flow.currentMessage(mention)?.blocks).toHaveLength(1);
    expect(text()).toContain('"text":"Reopen"');
    await flow.press('mention_resolve', mention.message, mention.key);
    await waitUntil(() => text().includes('"text":"Reply"'), 5_000, 'reopened in full');
  });

  it('shows a press made the moment a message appears, before its post was recorded', async () => {
    await bed.start();
    // Several at once: the delivery records posted messages about once a second, so the first one is
    // in Slack a moment before Switchboard has written down where.
    const posts = [0, 1, 2, 3, 4].map((i) =>
      bed.standins.x.addMention({ username: `customer_${i}`, name: `Customer ${i}` }, `@northwind parcel ${i} is late`),
    );
    bed.bot.running.pollNow();
    const first = await waitUntil(
      () => bed.standins.slack.allMessages().find((m) => m.metadata?.event_payload.key === `x:${posts[0]?.id}`),
      10_000,
      'the first mention message',
    );
    await flow.press('mention_assign_to_me', first, `x:${posts[0]?.id}`);
    await waitUntil(
      () => JSON.stringify(flow.currentMessage({ key: `x:${posts[0]?.id}`, message: first })?.blocks).includes('Assigned to <@U0AGENT01>'),
      10_000,
      'the assignment on the message',
    );
  });
});
