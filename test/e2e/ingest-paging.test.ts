import { describe, expect, it } from 'vitest';
import { snowflakeTime } from '../../src/platforms/x/x-platform.ts';
import { customers, FAST, useTestBed, waitUntil } from '../helpers/harness.ts';

describe('ingest: X mentions into Slack channels', () => {
  const bed = useTestBed();

  const posted = () => bed.standins.slack.allMessages().filter((m) => m.metadata?.event_type === 'switchboard_mention');

  it('follows pagination_token across pages, posts each mention once in order, then polls with a rewound since_id', async () => {
    const { x } = bed.standins;
    const first = Array.from({ length: 12 }, (_, i) => x.addMention(customers[i % 4]!, `mention number ${i + 1} about the fleece`));
    await bed.start({}, { ...FAST, xPageSize: 5 });

    await waitUntil(() => posted().length === 12, 15_000, '12 mentions in Slack');
    const firstPoll = x.callsTo('mentions').slice(0, 3);
    expect(firstPoll.map((call) => call.query.pagination_token === undefined)).toEqual([true, false, false]);
    expect(firstPoll[0]?.query.start_time).toBeDefined();
    expect(firstPoll[0]?.query.since_id).toBeUndefined();
    expect(firstPoll[0]?.query.max_results).toBe('5');

    // Oldest first, as people wrote them.
    const keys = posted()
      .sort((a, b) => Number(a.ts) - Number(b.ts))
      .map((m) => m.metadata?.event_payload.key);
    expect(keys).toEqual(first.map((post) => `x:${post.id}`));

    const later = [x.addMention(customers[0]!, 'one more thing'), x.addMention(customers[1]!, 'and another')];
    bed.bot.running.pollNow();
    await waitUntil(() => posted().length === 14, 10_000, 'the two new mentions');
    // since_id re-reads the 10 minutes (X_REREAD_MINUTES) before the newest mention seen.
    const sinceId = x.callsTo('mentions').find((call) => call.query.since_id)?.query.since_id;
    expect(sinceId).toBeDefined();
    expect(snowflakeTime(first.at(-1)!.id) - snowflakeTime(sinceId!)).toBe(10 * 60_000);

    // More polls bring nothing twice.
    const callsBefore = x.callsTo('mentions').length;
    bed.bot.running.pollNow();
    await waitUntil(() => x.callsTo('mentions').length > callsBefore + 1, 10_000, 'two more polls');
    expect(
      posted()
        .map((m) => m.metadata?.event_payload.key)
        .sort(),
    ).toEqual([...first, ...later].map((post) => `x:${post.id}`).sort());
  });

  it('routes questions and complaints to the questions channel and the rest to the mentions channel', async () => {
    const { x, slack } = bed.standins;
    x.addMention(customers[0]!, 'how do I reset my password on the app');
    x.addMention(customers[1]!, 'my order still has not arrived and it has been 3 weeks');
    x.addMention(customers[2]!, 'thank you for the amazing service, love the new jacket');
    x.addMention(customers[3]!, 'heading up the mountain this weekend');
    await bed.start();

    await waitUntil(() => posted().length === 4, 10_000, '4 mentions');
    const textOf = (channel: string) => slack.messages(channel).map((m) => JSON.stringify(m.blocks));
    expect(textOf('C0QUESTION').join()).toContain('Question');
    expect(textOf('C0QUESTION').join()).toContain('Complaint');
    expect(textOf('C0MENTIONS').join()).toContain('Praise');
    expect(textOf('C0MENTIONS').join()).toContain('Other');
    expect(slack.messages('C0QUESTION')).toHaveLength(2);
    expect(slack.messages('C0MENTIONS')).toHaveLength(2);
  });

  it('on the first start posts only mentions younger than BACKFILL_HOURS', async () => {
    const { x } = bed.standins;
    const old = x.addMention(customers[0]!, 'an old question from two days ago?', new Date(Date.now() - 48 * 3_600_000));
    const recent = x.addMention(customers[1]!, 'a recent question from an hour ago?', new Date(Date.now() - 3_600_000));
    await bed.start({ BACKFILL_HOURS: '24' });

    await waitUntil(() => posted().length === 1, 10_000, 'the recent mention');
    await waitUntil(() => x.callsTo('mentions').length >= 2, 10_000, 'a second poll');
    expect(posted().map((m) => m.metadata?.event_payload.key)).toEqual([`x:${recent.id}`]);
    expect(posted().some((m) => m.metadata?.event_payload.key === `x:${old.id}`)).toBe(false);
  });

  it('reports each poller and the Slack connection on GET /healthz', async () => {
    await bed.start();
    await waitUntil(() => bed.standins.x.callsTo('mentions').length >= 1, 10_000, 'a poll');
    const body = await waitUntil(async () => {
      const response = await fetch(`${bed.bot.url}/healthz`);
      expect(response.status).toBe(200);
      const json = (await response.json()) as { slack: { state: string }; platforms: Record<string, { state: string; detail?: string }> };
      return json.platforms?.x?.state === 'ok' ? json : undefined;
    });
    expect(body?.slack.state).toBe('ok');
    expect(body?.platforms.x?.detail).toMatch(/last poll/);
  });
});

describe('ingest: more than X can page back through', () => {
  const bed = useTestBed();

  it('posts the 800 X still serves and warns, in the log and on /healthz, that older ones may be lost', async () => {
    await bed.start({ POLL_INTERVAL_SECONDS: '3600' }, { ...FAST, slackPostsPerSecond: 2000, slackBurst: 2000 });
    const { x, slack } = bed.standins;
    const posted = () => slack.allMessages().length;
    // A cursor exists (one mention seen), then 805 arrive while, say, the bot was down.
    x.addMention(customers[0]!, 'first');
    await waitUntil(() => posted() === 1, 10_000, 'the first mention');
    const burst = Array.from({ length: 805 }, (_, i) => x.addMention(customers[i % 4]!, `burst ${i}`));
    bed.bot.running.pollNow();
    await waitUntil(() => posted() === 801, 60_000, '800 more mentions');
    const keys = new Set(bed.mentionKeys());
    expect(keys.has(`x:${burst[4]!.id}`)).toBe(false); // beyond X's reach
    expect(keys.has(`x:${burst[5]!.id}`)).toBe(true);
    expect(bed.bot.logs.join('\n')).toMatch(/800 new mentions in one poll reached X's 800-mention window/);
    const detail = await waitUntil(async () => {
      const xHealth = (await bed.health()).platforms.x;
      return xHealth?.detail?.includes('800 new') ? xHealth.detail : undefined;
    }, 5_000);
    expect(detail).toMatch(/warning since .*older ones may have been missed/);
  });
});
