import { describe, expect, it } from 'vitest';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { escapeMrkdwn, link, quote, truncate } from '../../src/slack/mrkdwn.ts';
import { renderMentionMessage } from '../../src/slack/views/mention-message.ts';
import { mentionRecord } from '../helpers/factories.ts';

describe('renderMentionMessage', () => {
  const contact = { id: 'c1', name: 'Ada Lovelace' };

  it('shows its state on its buttons: Liked, Unassign; resolved, it collapses to one line with Reopen', () => {
    const base = mentionRecord('123', '2026-11-25T09:00:00.000Z', { text: 'where is my order\nit is late' });
    const buttons = (record: typeof base) =>
      renderMentionMessage(record, contact)
        .blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []))
        .map((element) => ('text' in element ? element.text?.text : ''));
    const worked = { ...base, workflow: { liked: { by: 'U0AGENT01', at: '2026-11-25T09:01:00.000Z' }, assignee: 'U0AGENT02' } };
    expect(buttons(worked)).toEqual(expect.arrayContaining(['Liked', 'Unassign']));
    expect(buttons(worked)).not.toContain('Like');

    const resolved = renderMentionMessage(
      { ...worked, workflow: { ...worked.workflow, resolved: { by: 'U0AGENT02', at: '2026-11-25T10:00:00.000Z' } } },
      contact,
    );
    expect(resolved.blocks).toHaveLength(1);
    const line = JSON.stringify(resolved.blocks[0]);
    expect(line).toContain(':white_check_mark: Resolved by <@U0AGENT02> <!date^');
    expect(line).toContain('|2026-11-25 10:00 UTC>');
    expect(line).toContain('Question from *Ada* on 𝕏 <https://x.com/ada/status/123|X>: “where is my order it is late”');
    expect(line).toContain(
      '"accessory":{"type":"button","action_id":"mention_resolve","text":{"type":"plain_text","text":"Reopen"},"value":"x:123"}',
    );
    // Still findable after a restart: the key stays in the metadata.
    expect(resolved.metadata.event_payload.key).toBe('x:123');
  });

  it('shows author, text, link, labels, sentiment, contact, the five buttons and the Relabel menu', () => {
    const message = renderMentionMessage(mentionRecord('123', '2026-11-25T09:00:00.000Z', { text: 'where is my order' }), contact);
    const json = JSON.stringify(message.blocks);
    expect(json).toContain('*Ada* <https://x.com/ada|@ada> on 𝕏 X');
    expect(json).toContain('>where is my order');
    expect(json).toContain('<https://x.com/ada/status/123|View on X>');
    expect(json).toContain('*Question*');
    expect(json).toContain('Sentiment: neutral (0.00)');
    expect(json).toContain('Contact: *Ada Lovelace*');
    const actions = message.blocks.find((b) => b.type === 'actions');
    const elements = actions && 'elements' in actions ? actions.elements : [];
    expect(elements.map((e) => ('text' in e ? e.text?.text : 'placeholder' in e ? e.placeholder?.text : ''))).toEqual([
      'Reply',
      'Like',
      'Link contact',
      'Assign to me',
      'Resolve',
      'Relabel',
    ]);
    // The menu offers the other three labels; each option names its label and the mention.
    const menu = elements.at(-1);
    expect(menu && 'options' in menu ? menu.options?.map((option) => option.value) : []).toEqual([
      'Complaint|x:123',
      'Praise|x:123',
      'Other|x:123',
    ]);
    expect(message.metadata).toEqual({ event_type: 'switchboard_mention', event_payload: { key: 'x:123' } });
    expect(message.text).toBe('Question from @ada on X');
  });

  it('says who relabelled it from what, and names a language other than English', () => {
    const record = mentionRecord('7');
    const relabelled = {
      ...record,
      classification: {
        ...record.classification,
        label: 'Complaint' as const,
        language: 'ja' as const,
        relabel: { from: 'Question' as const, by: 'U0BOB00001', at: 'now' },
      },
    };
    const json = JSON.stringify(renderMentionMessage(relabelled, contact).blocks);
    expect(json).toContain('*Complaint* (relabelled from Question by <@U0BOB00001>)');
    expect(json).toContain(':globe_with_meridians: Japanese');
  });

  it('renders the same record to the same message (pure)', () => {
    const record = mentionRecord('5');
    expect(renderMentionMessage(record, contact)).toEqual(renderMentionMessage(record, contact));
  });

  it('keeps a very long post within Slack section limits, without cutting an escape in half', () => {
    const message = renderMentionMessage(mentionRecord('9', undefined, { text: '&'.repeat(5_000) }), contact);
    const section = message.blocks[1] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(2900);
    expect(section.text.text).toMatch(/^>(&amp;)+…$/);
  });

  it('pings no one, whatever the author name and text say', () => {
    const record = mentionRecord('1', undefined, { text: '<!here> hi <@U0ADMIN>', name: '<!channel>', handle: 'x<!everyone>' });
    expect(SlackStandin.pingsIn(renderMentionMessage(record, { id: 'c', name: '<!subteam^S1>' }))).toEqual([]);
  });
});

describe('mrkdwn helpers', () => {
  it('escapes the three characters Slack gives meaning to', () => {
    expect(escapeMrkdwn('a & b < c > d')).toBe('a &amp; b &lt; c &gt; d');
  });

  it('keeps a link label from closing the link early', () => {
    expect(link('https://example.com/a b', 'x|y>z')).toBe('<https://example.com/a%20b|x│y&gt;z>');
  });

  it('quotes every line, including empty ones', () => {
    expect(quote('one\n\nthree')).toBe('>one\n>\n>three');
  });

  it('truncates on characters, not UTF-16 halves', () => {
    expect(truncate('🙂🙂🙂🙂', 3)).toBe('🙂🙂…');
    expect(truncate('short', 10)).toBe('short');
  });
});
