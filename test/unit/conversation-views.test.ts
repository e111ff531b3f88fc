import { describe, expect, it } from 'vitest';
import { renderContactCard } from '../../src/slack/views/contact-card.ts';
import { renderConversationMessage, renderDirectMessage } from '../../src/slack/views/conversation-message.ts';
import { renderEveryView } from '../helpers/every-view.ts';

const SECRET = 'my card ends 4242 and I live at 12 Elm Street';
const views = renderEveryView({ text: 'Ada', long: SECRET, handle: 'ada.bsky.social', tag: 'vip' });
const json = (value: unknown) => JSON.stringify(value);

describe('private conversations in Slack', () => {
  it('shows private messages on the contact card to agents only: a viewer sees neither the texts nor that there are any', () => {
    const agent = json(views['contact card, agent']);
    const viewer = json(views['contact card, viewer']);
    expect(agent).toContain('Private conversations* 1 (1 open)');
    expect(agent).toContain(`from them: ${SECRET}`);
    // (The fixture's public mention has the same words: the private line is told apart by its prefix.)
    expect(viewer).not.toContain('from them:');
    expect(viewer).not.toContain(':envelope:');
    expect(viewer).not.toContain('Private conversations');
    expect(viewer).toContain('private messages are shown to support agents');
  });

  it("never puts a message's text in a notification: the fallback text names who wrote, on which network", () => {
    for (const name of ['conversation thread', 'private message in a thread', 'private message that reopened a conversation']) {
      const view = views[name];
      expect(view?.text ?? '').not.toContain('4242');
      expect(json(view?.blocks)).toContain('4242'); // inside the thread, for the team
    }
    expect(views['conversation thread']?.text).toBe('Private message from @ada.bsky.social on Bluesky');
  });

  it('says where the conversation stands: a request, reopened, waiting, owned; then resolved with Reopen', () => {
    const open = json(views['conversation thread']);
    for (const words of ['message request', 'Reopened', 'Waiting for an answer since', 'Owned by <@U0AGENT01>', 'Resolve']) {
      expect(open).toContain(words);
    }
    const resolved = json(views['conversation thread, resolved']);
    expect(resolved).toContain('Resolved by <@U0AGENT01>');
    expect(resolved).toContain('"text":"Reopen"');
    expect(resolved).not.toContain('Waiting for an answer');
    expect(json(views['private message that reopened a conversation'])).toContain('*Reopened*');
    expect(json(views['private message in a thread'])).not.toContain('Reopened');
  });

  it('is pure: the same conversation renders the same message, carrying its key for a restart to find', () => {
    const conversation = {
      key: 'x:dm:1-2',
      platform: 'x' as const,
      conversationId: '1-2',
      participants: [{ id: '1', handle: 'ada_l', name: 'Ada', profileUrl: 'https://x.com/ada_l' }],
      contactId: 'c1',
      status: 'open' as const,
      lastMessageAt: '2026-11-25T09:00:00.000Z',
      slack: { channel: 'C0SOCDMS1', attemptedAt: '2026-11-25T09:00:00.000Z' },
    };
    const shown = { contact: { id: 'c1', name: 'Ada' }, platformName: 'X', brandHandle: 'northwind' };
    expect(renderConversationMessage(conversation, shown)).toEqual(renderConversationMessage(conversation, shown));
    expect(renderConversationMessage(conversation, shown).metadata).toEqual({
      event_type: 'switchboard_conversation',
      event_payload: { key: 'x:dm:1-2' },
    });
    const message = renderDirectMessage(
      {
        key: 'x:dm-message:9',
        conversationKey: 'x:dm:1-2',
        contactId: 'c1',
        platform: 'x',
        id: '9',
        direction: 'in',
        text: 'hi',
        author: { id: '1', handle: 'ada_l', name: 'Ada' },
        sentAt: '2026-11-25T09:00:00.000Z',
      },
      { reopened: false },
    );
    expect(message.metadata.event_payload.key).toBe('x:dm-message:9');
  });

  it('renders the card of a contact with no private conversations without the word', () => {
    const card = json(
      renderContactCard(
        {
          contact: { key: 'c', name: 'Bo', identities: [], createdAt: '2026-11-25T09:00:00.000Z', updatedAt: '2026-11-25T09:00:00.000Z' },
          mentions: 0,
          repliesReceived: 0,
          likesReceived: 0,
          notes: 0,
          sentiment: {},
          openQuestions: [],
          latest: [],
          orders: { count: 0, totals: {} },
          privateConversations: { count: 0, open: 0 },
        },
        { personalData: true },
      ),
    );
    expect(card).toContain('Private conversations* 0');
    expect(card).not.toContain('open)');
  });
});
