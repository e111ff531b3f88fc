import { describe, expect, it } from 'vitest';
import type { ReplyRecord } from '../../src/domain/records.ts';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import { renderReplyAnnouncement } from '../../src/slack/views/reply-announcement.ts';
import { parseReplyModalMetadata, renderReplyModal } from '../../src/slack/views/reply-modal.ts';
import { mentionRecord } from '../helpers/factories.ts';

const reply = (overrides: Partial<ReplyRecord> = {}): ReplyRecord => ({
  key: 'view:V1',
  mentionKey: 'x:1',
  platform: 'x',
  inReplyTo: '1',
  text: '@ada <!channel> thanks & bye',
  requestedBy: 'U0ALICE001',
  requestedAt: '2026-11-25T09:00:00.000Z',
  sendAt: '2026-11-25T09:00:10.000Z',
  state: 'scheduled',
  thread: { channel: 'C1', ts: '1.1' },
  attempts: 0,
  ...overrides,
});
const context = { brandHandle: 'northwind', platformName: 'X', now: new Date('2026-11-25T09:00:00.000Z') };

describe('renderReplyAnnouncement', () => {
  it('announces the exact text, the seconds left, the brand, and an Undo button', () => {
    const rendered = JSON.stringify(renderReplyAnnouncement(reply(), context));
    expect(rendered).toContain('Sending in 10 s as @northwind');
    expect(rendered).toContain('&gt;@ada &lt;!channel&gt; thanks &amp; bye'.replace('&gt;@', '>@'));
    expect(rendered).toContain('"action_id":"reply_undo"');
    expect(rendered).toContain('"value":"view:V1"');
  });

  it('shows the price warning only while scheduled', () => {
    const warning = 'Contains a link: X charges $0.20';
    expect(JSON.stringify(renderReplyAnnouncement(reply(), { ...context, warning }))).toContain('$0.20');
    expect(JSON.stringify(renderReplyAnnouncement(reply({ state: 'sent', sent: { at: 'x' } }), { ...context, warning }))).not.toContain(
      '$0.20',
    );
  });

  it.each([
    [{ state: 'sent', sent: { at: 'x', url: 'https://x.com/northwind/status/9' } }, 'Sent by <@U0ALICE001> as @northwind'],
    [{ state: 'cancelled', cancelledBy: 'U0BOB00001' }, 'Undone by <@U0BOB00001>'],
    [{ state: 'failed', failure: 'X refused: nope' }, 'Not sent'],
    [{ state: 'uncertain', failure: 'timeout' }, 'Not known whether this reply was published'],
  ] as const)('renders %o without an Undo button', (change, words) => {
    const rendered = JSON.stringify(renderReplyAnnouncement(reply(change as Partial<ReplyRecord>), context));
    expect(rendered).toContain(words);
    expect(rendered).not.toContain('reply_undo');
  });

  it('names only the requester, whatever the reply text says', () => {
    const rendered = renderReplyAnnouncement(reply({ text: '<!here> <@U0ADMIN01>' }), context);
    expect(SlackStandin.pingsIn(rendered).filter((ping) => ping !== '@U0ALICE001')).toEqual([]);
  });
});

describe('renderReplyModal', () => {
  const input = {
    mention: mentionRecord('7', undefined, { text: 'where is <b>my</b> order' }),
    brandHandle: 'northwind',
    platformName: 'X',
    limit: 280,
    undoSeconds: 10,
    savedReplies: [],
    text: '@ada ',
    revision: 0,
  };

  it('prefills the handle, quotes the post escaped, and states the limit and undo window', () => {
    const view = JSON.stringify(renderReplyModal(input));
    expect(view).toContain('"initial_value":"@ada "');
    expect(view).toContain('where is &lt;b&gt;my&lt;/b&gt; order');
    expect(view).toContain('X allows 280 characters');
    expect(view).toContain('you have 10 s to undo');
    expect(view).not.toContain('reply_saved_pick');
  });

  it('offers saved replies when there are some, and carries the mention in private_metadata', () => {
    const view = renderReplyModal({
      ...input,
      savedReplies: [{ name: 'thanks', text: 'Thanks {{first_name}}!', createdBy: 'U1', createdAt: 'x' }],
      revision: 2,
    });
    expect(JSON.stringify(view)).toContain('reply_saved_pick');
    expect(parseReplyModalMetadata(view.private_metadata ?? '')).toEqual({ mentionKey: 'x:7', revision: 2 });
    expect(JSON.stringify(view)).toContain('"block_id":"reply_text_2"');
  });

  it('rejects damaged metadata', () => {
    expect(parseReplyModalMetadata('not json')).toBeUndefined();
    expect(parseReplyModalMetadata('{"revision":1}')).toBeUndefined();
  });
});
