import { describe, expect, it } from 'vitest';
import type { DigestFigures, DigestMention } from '../../src/domain/digest-stats.ts';
import { SlackStandin } from '../../src/sandbox/slack-standin.ts';
import type { ContactProfile } from '../../src/services/crm.ts';
import { mrkdwnWith } from '../../src/slack/mrkdwn.ts';
import { renderAudit, renderHelp, renderNotice, renderSavedReplies } from '../../src/slack/views/command-answers.ts';
import {
  renderContactCard,
  renderContactChoices,
  renderErasureDone,
  renderForgetConfirmation,
} from '../../src/slack/views/contact-card.ts';
import { renderDigestMessage } from '../../src/slack/views/digest-message.ts';
import { renderContactOptions, renderLinkContactModal } from '../../src/slack/views/link-contact-modal.ts';
import { renderMentionMessage } from '../../src/slack/views/mention-message.ts';
import { renderReplyAnnouncement } from '../../src/slack/views/reply-announcement.ts';
import { renderReplyModal } from '../../src/slack/views/reply-modal.ts';
import type { ContactRecord } from '../../src/store/contact-store.ts';
import type { ReplyRecord } from '../../src/store/outbox-store.ts';
import { mentionRecord } from '../helpers/factories.ts';

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

const contact: ContactRecord = {
  key: 'contact-1',
  name: HOSTILE,
  identities: [{ platform: 'x', userId: '42', handle: 'ada<!here>', profileUrl: 'https://x.com/ada' }],
  emails: [`${HOSTILE}@example.com`],
  phone: HOSTILE,
  company: HOSTILE,
  tags: ['<!channel>', 'vip'],
  createdAt: '2026-11-25T09:00:00.000Z',
  updatedAt: '2026-11-25T09:00:00.000Z',
};
const mention = mentionRecord('1861', '2026-11-25T09:00:00.000Z', { text: LONG, handle: 'ada<!channel>', name: HOSTILE });
const posted = { ...mention, slack: { channel: 'C0MENTIONS', attemptedAt: '2026-11-25T09:00:01.000Z', ts: '1764061201.000100' } };
const profile: ContactProfile = {
  contact,
  mentions: 3,
  repliesReceived: 1,
  likesReceived: 1,
  notes: 1,
  lastContactAt: '2026-11-25T09:00:00.000Z',
  sentiment: { recent: -0.4, before: 0.1 },
  medianFirstResponseMinutes: 12,
  openQuestions: [posted],
  latest: [
    { at: '2026-11-25T09:00:00.000Z', kind: 'mention', text: LONG, url: 'https://x.com/ada/status/1861' },
    { at: '2026-11-25T09:05:00.000Z', kind: 'note', text: LONG, by: 'U0AGENT01' },
  ],
  orders: { count: 1, totals: { EUR: 4990 } },
};
const reply: ReplyRecord = {
  key: 'view:V1',
  mentionKey: mention.key,
  platform: 'x',
  inReplyTo: '1861',
  text: LONG,
  requestedBy: 'U0AGENT01',
  requestedAt: '2026-11-25T09:10:00.000Z',
  sendAt: '2026-11-25T09:10:10.000Z',
  state: 'scheduled',
  thread: { channel: 'C0MENTIONS', ts: '1764061201.000100' },
  attempts: 0,
};
const digestMention: DigestMention = {
  key: mention.key,
  platform: 'x',
  label: 'Complaint',
  sentiment: -0.8,
  text: LONG,
  createdAt: '2026-11-24T09:00:00.000Z',
  contactId: 'contact-1',
  contactName: HOSTILE,
  replies: [],
  likes: 0,
  resolved: false,
  url: 'https://x.com/ada/status/1861',
  slack: { channel: 'C0MENTIONS', ts: '1764061201.000100' },
};
const trend = { count: 1, previous: 0, average: 0.5 };
const figures: DigestFigures = {
  period: { first: '2026-11-24', last: '2026-11-24', days: 1 },
  total: trend,
  byLabel: { Question: trend, Complaint: trend, Praise: trend, Other: trend },
  byPlatform: { x: trend },
  unanswered: [digestMention],
  firstResponse: { answered: 0, targetMinutes: 60 },
  sentiment: { positive: 0, neutral: 0, negative: 1, mostNegative: [digestMention] },
  topContacts: [{ contactId: 'contact-1', name: HOSTILE, mentions: 1, comments: 0, likesGiven: 0, likes: 0, replies: 0 }],
  likesReceived: { count: 0, people: 0 },
  repliesByStaff: [{ user: 'U0AGENT01', replies: 1 }],
  terms: ['<!channel>', 'refund'],
  chart: { bucket: 'hour', buckets: [] },
};

/** Every view and answer, each with the hostile text wherever outside text can go. */
const rendered: Record<string, { text?: string; blocks?: unknown[] }> = {
  'mention message': renderMentionMessage(posted, { id: 'contact-1', name: HOSTILE }),
  'reply announcement': renderReplyAnnouncement(reply, {
    brandHandle: 'northwind',
    platformName: 'X',
    now: new Date('2026-11-25T09:10:01Z'),
  }),
  'reply announcement, sent': renderReplyAnnouncement(
    { ...reply, state: 'sent', sent: { at: '2026-11-25T09:10:10.000Z', url: 'https://x.com/northwind/status/1' } },
    { brandHandle: 'northwind', platformName: 'X', now: new Date('2026-11-25T09:11:00Z') },
  ),
  'reply modal': renderReplyModal({
    mention: posted,
    brandHandle: 'northwind',
    platformName: 'X',
    limit: 280,
    undoSeconds: 10,
    savedReplies: [{ name: HOSTILE.slice(0, 40), text: LONG, createdBy: 'U0AGENT01', createdAt: '2026-11-25T09:00:00.000Z' }],
    text: LONG,
    revision: 0,
  }) as { blocks?: unknown[] },
  'link contact modal': renderLinkContactModal(posted, contact) as { blocks?: unknown[] },
  'contact options': { blocks: renderContactOptions([contact]) as unknown[] },
  'contact card, agent': renderContactCard(profile, { personalData: true }),
  'contact card, viewer': renderContactCard(profile, { personalData: false }),
  'contact choices': renderContactChoices(HOSTILE, [contact, contact], { personalData: true }),
  'forget confirmation': renderForgetConfirmation(contact, 3),
  'erasure done': {
    text: renderErasureDone(
      HOSTILE,
      {
        mentions: 3,
        messagesErased: 4,
        messagesNotErased: 1,
        digestsRedrawn: 2,
        digestsNotRedrawn: 1,
        threadNotes: [{ channel: 'C0MENTIONS', ts: '1.2' }],
      },
      'https://acme.slack.com/',
    ),
  },
  'saved replies': renderSavedReplies([
    { name: HOSTILE.slice(0, 40), text: LONG, createdBy: 'U0AGENT01', createdAt: '2026-11-25T09:00:00.000Z' },
  ]),
  audit: renderAudit([
    { key: 'a1', at: '2026-11-25T09:00:00.000Z', actor: 'U0AGENT01', action: 'reply_sent', text: LONG, mentionKey: mention.key },
  ]),
  help: renderHelp(mrkdwnWith`${HOSTILE} is not a /crm command.`),
  notice: renderNotice(mrkdwnWith`Note saved on ${HOSTILE}'s timeline.`),
  digest: renderDigestMessage(figures, {
    workspaceUrl: 'https://acme.slack.com/',
    timeZone: 'UTC',
    key: 'daily:2026-11-24',
    staffNames: new Map([['U0AGENT01', HOSTILE]]),
  }),
};

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
      // Slack's limits: 50 blocks, 3,000 characters a section text, 150 a plain-text button or header.
      expect(blocks.length).toBeLessThanOrEqual(50);
      for (const { text } of all) expect(text.length).toBeLessThanOrEqual(3000);
    });
  }

  it('covers every view the bot has', () => {
    expect(Object.keys(rendered)).toHaveLength(16);
  });
});
