import { describe, expect, it } from 'vitest';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { useTestBed, waitUntil } from '../helpers/harness.ts';

describe('untrusted text from X in Slack', () => {
  const bed = useTestBed();

  it('pings no one and shows the text as written, whatever the post contains', async () => {
    const hostile = [
      '<!channel> <!here> <!everyone> wake up',
      'hey <@U0ADMIN01> and <!subteam^S0SUPPORT> look',
      '@channel @here @everyone bare words',
      'Tom & Jerry <b>bold</b> 1 < 2 > 0',
      '<https://evil.example|https://northwind.example/refund> click',
    ];
    for (const [i, text] of hostile.entries()) {
      bed.standins.x.addMention({ username: `troll${i}`, name: `<!channel> Troll & ${i}` }, text);
    }
    await bed.start();
    const messages = await waitUntil(() => {
      const all = bed.standins.slack.allMessages();
      return all.length === hostile.length ? all : undefined;
    }, 10_000);

    for (const message of messages) {
      expect(SlackStandin.pingsIn(message)).toEqual([]);
    }
    const rendered = JSON.stringify(messages.map((m) => m.blocks));
    expect(rendered).toContain('&lt;!channel&gt; &lt;!here&gt; &lt;!everyone&gt; wake up');
    expect(rendered).toContain('hey &lt;@U0ADMIN01&gt; and &lt;!subteam^S0SUPPORT&gt; look');
    expect(rendered).toContain('Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; 1 &lt; 2 &gt; 0');
    expect(rendered).toContain('&lt;https://evil.example|https://northwind.example/refund&gt;');
    expect(rendered).toContain('*&lt;!channel&gt; Troll &amp; 0*');
    expect(rendered).not.toContain('<https://evil.example');
  });

  it('pings no one in the digest, which quotes unanswered posts and names every day', async () => {
    bed.standins.x.addMention(
      { username: 'angry', name: '@here Angry Person <!channel>' },
      '@here @channel this is terrible, where is my order?',
    );
    await bed.start();
    await waitUntil(() => bed.standins.slack.allMessages().length === 1, 10_000, 'the mention');
    const { postSignedToSlackEndpoint } = await import('../helpers/slack-request.ts');
    const { slashCommand } = await import('../../src/sandbox/slack-payloads.ts');
    const { SIGNING_SECRET } = await import('../helpers/harness.ts');
    await postSignedToSlackEndpoint(
      bed.bot.url,
      slashCommand({ text: 'digest', responseUrl: bed.standins.slack.responseUrl('C0MENTIONS', 'U0AGENT01') }),
      {
        secret: SIGNING_SECRET,
      },
    );
    const digest = await waitUntil(
      () => bed.standins.slack.messages('C0DIGESTS').find((m) => m.metadata?.event_type === 'switchboard_digest'),
      10_000,
    );
    const rendered = JSON.stringify(digest.blocks);
    expect(rendered).toContain('@here Angry Person &lt;!channel&gt;');
    expect(rendered).toContain('@here @channel this is terrible');
    expect(SlackStandin.pingsIn(digest)).toEqual([]);
  });

  it('pings no one in the /crm answers that name a contact, whatever the name', async () => {
    const hostileName = '<!channel> <@U0ADMIN01> Eve & co';
    bed.standins.x.addMention({ username: 'eve', name: hostileName }, 'hello');
    bed.standins.x.addMention({ username: 'eve_alt', name: '<!here> Other Eve' }, 'hi again');
    await bed.start();
    await waitUntil(() => bed.standins.slack.allMessages().length === 2, 10_000, 'both mentions');
    const { postSignedToSlackEndpoint } = await import('../helpers/slack-request.ts');
    const { slashCommand } = await import('../../src/sandbox/slack-payloads.ts');
    const { SIGNING_SECRET } = await import('../helpers/harness.ts');
    const command = async (text: string) => {
      const response = await postSignedToSlackEndpoint(bed.bot.url, slashCommand({ text }), { secret: SIGNING_SECRET });
      return JSON.parse(response.text) as { text: string; blocks?: unknown[] };
    };
    const answers = [
      await command('note @eve likes tents'),
      await command('tag @eve vip'),
      await command('link @eve_work @eve'),
      await command('lookup <!channel>nobody'),
      await command('saved add <!channel> hello there'),
      await command('merge @eve @eve_alt'),
    ];
    for (const answer of answers) {
      expect(SlackStandin.pingsIn({ text: '', blocks: answer.blocks ?? [] }), JSON.stringify(answer)).toEqual([]);
      expect(answer.text).not.toMatch(/<!|<@/);
    }
    expect(answers[0]?.text).toContain('Note saved on &lt;!channel&gt; &lt;@U0ADMIN01&gt; Eve &amp; co');
    expect(answers[5]?.text).toContain('Merged &lt;!here&gt; Other Eve into &lt;!channel&gt;');
  });

  it('the stand-in does detect a ping, so the check above can fail', () => {
    expect(SlackStandin.pingsIn({ text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi <!channel>' } }] })).toEqual([
      '!channel',
    ]);
    expect(SlackStandin.pingsIn({ text: '@here now', blocks: [] })).toEqual(['@here']);
  });
});
