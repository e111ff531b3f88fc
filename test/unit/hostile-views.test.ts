import { describe, expect, it } from 'vitest';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { renderEveryView } from '../helpers/every-view.ts';

/** What people outside write, at its worst: pings, link disguises, formatting, direction marks, length. */
const HOSTILE = [
  '<!channel>',
  '<!here>',
  '@here @channel @everyone',
  '<@U0ADMIN01>',
  '<!subteam^S0SUPPORT>',
  '<https://evil.example|https://bank.com>',
  '*bold* _it_ ~gone~',
  '\u202Eevil\u202C and zero\u200Bwidth',
].join(' ');
const LONG = `${HOSTILE} ${'x'.repeat(10_000)}`;

/** Every view and answer, each with the hostile text wherever outside text can go. */
const rendered = renderEveryView({ text: HOSTILE, long: LONG, handle: 'ada<!here>', tag: '<!channel>' });

/** Every text string in a Block Kit tree, with whether it is mrkdwn. */
function texts(node: unknown, out: Array<{ text: string; mrkdwn: boolean }> = []): Array<{ text: string; mrkdwn: boolean }> {
  if (Array.isArray(node)) for (const item of node) texts(item, out);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.text === 'string') out.push({ text: record.text, mrkdwn: record.type === 'mrkdwn' });
    for (const value of Object.values(record)) if (typeof value === 'object') texts(value, out);
  }
  return out;
}

/** Every mrkdwn text object in a Block Kit tree. */
function mrkdwnObjects(node: unknown, out: Array<Record<string, unknown>> = []): Array<Record<string, unknown>> {
  if (Array.isArray(node)) for (const item of node) mrkdwnObjects(item, out);
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (record.type === 'mrkdwn') out.push(record);
    for (const value of Object.values(record)) if (typeof value === 'object') mrkdwnObjects(value, out);
  }
  return out;
}

describe('every view and answer, with hostile outside text', () => {
  for (const [name, view] of Object.entries(rendered)) {
    it(`${name}: pings no one, disguises no link, and stays within Slack's limits`, () => {
      const blocks = view.blocks ?? [];
      // No live mention or broadcast anywhere in the blocks (bare words too where Slack would parse
      // them). Staff are named with <@U…> on purpose (U0AGENT01 here); nobody else is.
      expect(SlackStandin.pingsIn({ text: '', blocks }).filter((ping) => ping !== '@U0AGENT01')).toEqual([]);
      expect(JSON.stringify(view.text ?? '').replaceAll('<@U0AGENT01>', '')).not.toMatch(/<!(channel|here|everyone|subteam)|<@U/);
      const all = texts(blocks);
      for (const { text, mrkdwn } of all) {
        if (!mrkdwn) continue;
        // The hostile link is shown as text, never as a link to evil.example.
        expect(text).not.toContain('<https://evil.example');
      }
      // Every mrkdwn text object is verbatim: Slack parses no bare @here, #channel or URL in it.
      expect(mrkdwnObjects(blocks).filter((object) => object.verbatim !== true)).toEqual([]);
      // Slack's limits: 50 blocks, 3,000 characters a section text, 150 a plain-text button or header.
      expect(blocks.length).toBeLessThanOrEqual(50);
      for (const { text } of all) expect(text.length).toBeLessThanOrEqual(3000);
    });
  }

  it('covers every view the bot has', () => {
    expect(Object.keys(rendered)).toHaveLength(43);
  });
});
