import { describe, expect, it } from 'vitest';
import type { StoredMessage } from '../../src/sandbox/slack-standin.ts';
import { customers, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';
import { buttonClick } from '../helpers/slack-request.ts';

const CHATTER = '@northwind off to the lakes this weekend with the family';

/** What a mention message says about its triage (label, who relabelled it), as a reader sees it. */
const triageLine = (message: StoredMessage | undefined) =>
  JSON.stringify(message?.blocks ?? []).match(/:(question|warning|tada|speech_balloon): \*\w+\*[^·]*/)?.[0];

describe('staff correct the triage', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const relabel = (message: StoredMessage, key: string, label: string, userId = 'U0AGENT01') =>
    flow.send(
      buttonClick({
        actionId: 'mention_relabel',
        element: 'static_select',
        value: `${label}|${key}`,
        label,
        channel: message.channel,
        messageTs: message.ts,
        userId,
        triggerId: bed.standins.slack.issueTriggerId(userId),
      }),
    );
  const inChannel = (channel: string, key: string) =>
    bed.standins.slack
      .messages(channel)
      .find((m) => m.metadata?.event_payload.key === key && m.blocks && JSON.stringify(m.blocks).includes('mention_relabel'));

  it('relabels a mention: the message moves to the questions channel, the digest counts it, the model learns it, and the team sees precision', async () => {
    await bed.start({ SLACK_AGENTS: 'U0AGENT01,U0BOB00001' });
    const chatter = await flow.mention(CHATTER);
    expect(chatter.message.channel).toBe('C0MENTIONS');
    expect(triageLine(chatter.message)).toContain('*Other*');

    // Bob knows better: the family trip is off because the tent never came. He relabels it Complaint.
    expect((await relabel(chatter.message, chatter.key, 'Complaint', 'U0BOB00001')).status).toBe(200);
    const moved = await waitUntil(() => inChannel('C0QUESTION', chatter.key), 10_000, 'the mention in the questions channel');
    expect(triageLine(moved)).toContain('*Complaint* (relabelled from Other by <@U0BOB00001>)');
    // Where it was, a pointer without the post's text; its thread stays the mention's (notes still count).
    const pointer = await waitUntil(
      () =>
        bed.standins.slack
          .messages('C0MENTIONS')
          .find((m) => m.ts === chatter.message.ts && JSON.stringify(m.blocks).includes('Relabelled *Complaint* by <@U0BOB00001>')),
      5_000,
      'the pointer where it was',
    );
    expect(JSON.stringify(pointer.blocks)).toContain('and moved to <#C0QUESTION>');
    expect(JSON.stringify(pointer)).not.toContain('lakes');
    expect(pointer.metadata?.event_payload.key).toBe(chatter.key);

    // A double click, or Slack retrying, changes nothing more: one message in the questions channel.
    await relabel(moved as StoredMessage, chatter.key, 'Complaint', 'U0BOB00001');
    await waitUntil(
      () => bed.standins.slack.ephemerals.some((m) => m.ephemeralTo === 'U0BOB00001' && m.text.includes('already labelled Complaint')),
      5_000,
      'the answer to the second click',
    );
    expect(bed.standins.slack.messages('C0QUESTION').filter((m) => m.metadata?.event_payload.key === chatter.key)).toHaveLength(1);

    // The digest counts it as a complaint now.
    await flow.command('digest today');
    const digest = await waitUntil(() => bed.standins.slack.messages('C0DIGESTS').at(-1), 10_000, 'the digest');
    const figures = JSON.stringify(digest.blocks);
    expect(figures).toContain(':warning: *Complaint* 1 ');
    expect(figures).toContain(':speech_balloon: *Other* 0 ');

    // The running model learned it at once: the same words from someone else come in as a complaint.
    const again = await flow.mention(CHATTER, customers[1]);
    expect(again.message.channel).toBe('C0QUESTION');
    expect(triageLine(again.message)).toContain('*Complaint*');

    // /crm triage: how often each label was kept over the last 30 days.
    expect((await flow.command('triage')).text).toContain('Counting the last 30 days');
    const report = await waitUntil(
      () => bed.standins.slack.ephemerals.find((m) => m.text.includes('*Triage, last 30 days*')),
      10_000,
      'the triage report',
    );
    expect(report.text).toContain('2 mentions triaged, 1 corrected by the team');
    expect(report.text).toContain('*Other*: 0 % kept  ·  1 labelled, 1 relabelled away');
    expect(report.text).toContain('*Complaint*: 100 % kept  ·  1 labelled, 0 relabelled away, 1 relabelled into it');

    // After a restart the correction is part of the training: it still holds.
    await bed.bot.stop();
    await bed.start({ SLACK_AGENTS: 'U0AGENT01,U0BOB00001' });
    expect(bed.bot.logs.some((line) => line.includes('1 staff correction(s) included'))).toBe(true);
    const third = await flow.mention(CHATTER, customers[2]);
    expect(triageLine(third.message)).toContain('*Complaint*');
  });

  it('moves a relabelled question out of the questions channel, and back', async () => {
    await bed.start();
    const question = await flow.mention('@northwind do you ship to Norway?');
    expect(question.message.channel).toBe('C0QUESTION');
    await relabel(question.message, question.key, 'Praise');
    const praise = await waitUntil(() => inChannel('C0MENTIONS', question.key), 10_000, 'the mention in the mentions channel');
    expect(triageLine(praise)).toContain('*Praise* (relabelled from Question by <@U0AGENT01>)');
    // Back to Question: it returns to the questions channel, still "from Question" (what the model said).
    await relabel(praise as StoredMessage, question.key, 'Question');
    await waitUntil(
      () => bed.standins.slack.messages('C0QUESTION').filter((m) => m.metadata?.event_payload.key === question.key).length === 2,
      10_000,
      'the mention back in the questions channel',
    );
    expect(triageLine(inChannel('C0QUESTION', question.key))).toContain('*Question* (relabelled from Question by <@U0AGENT01>)');
  });

  it('keeps the message in place when the new label routes to the same channel', async () => {
    await bed.start();
    const question = await flow.mention('@northwind is the blue jacket back in stock soon?');
    await relabel(question.message, question.key, 'Complaint');
    await waitUntil(
      () => triageLine(bed.standins.slack.messages('C0QUESTION').find((m) => m.ts === question.message.ts))?.includes('*Complaint*'),
      10_000,
      'the update',
    );
    expect(bed.standins.slack.messages('C0QUESTION').filter((m) => m.metadata?.event_payload.key === question.key)).toHaveLength(1);
  });

  it('erases a relabelled, moved mention everywhere it was, and its correction with it', async () => {
    await bed.start();
    const chatter = await flow.mention('@northwind my tent pole snapped, card 4242 charged twice', customers[3]);
    await relabel(chatter.message, chatter.key, 'Praise');
    const moved = await waitUntil(() => inChannel('C0MENTIONS', chatter.key), 10_000, 'the moved mention');
    const contact = JSON.stringify(await flow.command(`forget @${customers[3]?.username}`)).match(/"value":"([^"]+)"/)?.[1] ?? '';
    await flow.send(buttonClick({ actionId: 'crm_forget_confirm', value: contact, channel: 'C0MENTIONS', messageTs: '1.1' }));
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.startsWith('Erased')), 5_000, 'the erasure');
    for (const place of [chatter.message, moved as StoredMessage]) {
      const now = bed.standins.slack.messages(place.channel).find((m) => m.ts === place.ts);
      expect(JSON.stringify(now?.blocks), place.channel).toContain("Erased at the person's request");
    }
    const report = await (async () => {
      await flow.command('triage');
      return waitUntil(() => bed.standins.slack.ephemerals.find((m) => m.text.includes('*Triage, last 30 days*')), 10_000, 'the report');
    })();
    expect(report.text).toContain('0 corrected by the team');
  });

  it('refuses a relabel from someone who is not an agent, and changes nothing', async () => {
    await bed.start({ SLACK_AGENTS: 'U0BOB00001', SLACK_ADMINS: '' });
    const chatter = await flow.mention(CHATTER);
    await relabel(chatter.message, chatter.key, 'Complaint', 'U0SAM00001');
    await waitUntil(
      () => bed.standins.slack.ephemerals.some((m) => m.ephemeralTo === 'U0SAM00001' && m.text.includes('Correcting triage labels')),
      5_000,
      'the refusal',
    );
    expect(triageLine(bed.standins.slack.messages('C0MENTIONS').find((m) => m.ts === chatter.message.ts))).toContain('*Other*');
    expect(bed.standins.slack.messages('C0QUESTION')).toHaveLength(0);
  });
});
