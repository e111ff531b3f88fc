import type { AutoReplyRule } from '../../src/domain/auto-replies/rules.ts';
import type { ConversationRecord, DirectMessageRecord } from '../../src/domain/conversations.ts';
import type { DigestFigures, DigestMention } from '../../src/domain/digest-stats.ts';
import { type InboxPage, itemOfMention } from '../../src/domain/inbox.ts';
import type { ContactRecord, ReplyRecord } from '../../src/domain/records.ts';
import { emptySurgeFigures } from '../../src/domain/surges.ts';
import type { ContactProfile } from '../../src/services/crm.ts';
import { mrkdwnWith } from '../../src/slack/mrkdwn.ts';
import { renderAppHome } from '../../src/slack/views/app-home.ts';
import { renderAutomationNote } from '../../src/slack/views/automation-note.ts';
import { renderAudit, renderHelp, renderNotice, renderSavedReplies, renderTriageReport } from '../../src/slack/views/command-answers.ts';
import {
  renderContactCard,
  renderContactChoices,
  renderErasureDone,
  renderForgetConfirmation,
} from '../../src/slack/views/contact-card.ts';
import { renderConversationMessage, renderDirectMessage } from '../../src/slack/views/conversation-message.ts';
import { renderDigestMessage } from '../../src/slack/views/digest-message.ts';
import { renderContactOptions, renderLinkContactModal } from '../../src/slack/views/link-contact-modal.ts';
import { renderErasedMessage, renderMentionMessage, renderMovedMessage } from '../../src/slack/views/mention-message.ts';
import { renderReplyAnnouncement } from '../../src/slack/views/reply-announcement.ts';
import { renderPrivateReplyModal, renderReplyModal } from '../../src/slack/views/reply-modal.ts';
import { renderRuleList, renderRuleTest } from '../../src/slack/views/rule-answers.ts';
import { renderRuleModal } from '../../src/slack/views/rule-modal.ts';
import { renderMentionBatch, renderSurgeMessage, renderSurgeNotice } from '../../src/slack/views/surge-message.ts';
import { mentionRecord } from './factories.ts';

export type RenderedView = { text?: string; blocks?: unknown[] };

/**
 * Every view and answer the bot has, each with `text` wherever outside text can go (names,
 * handles, posts, saved replies, imported fields) and `long` where a whole post or reply goes.
 * The hostile-input test and the snapshots both render through this, so neither misses a view.
 */
export function renderEveryView(outside: {
  /** A name, a saved reply's name, a field: short outside text. */
  text: string;
  /** A whole post or reply. */
  long: string;
  handle: string;
  tag: string;
}): Record<string, RenderedView> {
  const { text, long, handle, tag } = outside;
  const contact: ContactRecord = {
    key: 'contact-1',
    name: text,
    identities: [{ platform: 'x', userId: '42', handle, profileUrl: 'https://x.com/ada' }],
    emails: [`${text}@example.com`],
    phone: text,
    company: text,
    tags: [tag, 'vip'],
    createdAt: '2026-11-25T09:00:00.000Z',
    updatedAt: '2026-11-25T09:00:00.000Z',
  };
  const mention = mentionRecord('1861', '2026-11-25T09:00:00.000Z', { text: long, handle, name: text });
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
      { at: '2026-11-25T09:00:00.000Z', kind: 'mention', text: long, url: 'https://x.com/ada/status/1861' },
      { at: '2026-11-25T09:05:00.000Z', kind: 'note', text: long, by: 'U0AGENT01' },
      { at: '2026-11-25T09:06:00.000Z', kind: 'private', text: `from them: ${long}` },
    ],
    orders: { count: 1, totals: { EUR: 4990 } },
    privateConversations: { count: 1, open: 1 },
  };
  const conversation: ConversationRecord = {
    key: 'bluesky:dm:3lconvo',
    platform: 'bluesky',
    conversationId: '3lconvo',
    participants: [{ id: 'did:plc:ada', handle, name: text, profileUrl: 'https://bsky.app/profile/ada.bsky.social' }],
    contactId: contact.key,
    status: 'open',
    assignee: 'U0AGENT01',
    reopenedAt: '2026-11-25T09:20:00.000Z',
    isRequest: true,
    lastMessageAt: '2026-11-25T09:20:00.000Z',
    lastInboundAt: '2026-11-25T09:20:00.000Z',
    awaitingSince: '2026-11-25T09:20:00.000Z',
    slack: { channel: 'C0SOCDMS1', attemptedAt: '2026-11-25T09:00:01.000Z', ts: '1764061201.000200' },
  };
  const directMessage: DirectMessageRecord = {
    key: 'bluesky:dm-message:m1',
    conversationKey: conversation.key,
    contactId: contact.key,
    platform: 'bluesky',
    id: 'm1',
    direction: 'in',
    text: long,
    author: { id: 'did:plc:ada', handle, name: text },
    sentAt: '2026-11-25T09:20:00.000Z',
  };
  const conversationShown = {
    contact: { id: contact.key, name: text, company: text, tags: [tag] },
    platformName: 'Bluesky',
    brandHandle: 'northwind.bsky.social',
    opening: { key: directMessage.key, text: long, sentAt: '2026-11-25T09:00:00.000Z' },
  };
  const reply: ReplyRecord = {
    key: 'view:V1',
    mentionKey: mention.key,
    platform: 'x',
    inReplyTo: '1861',
    text: long,
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
    text: long,
    createdAt: '2026-11-24T09:00:00.000Z',
    contactId: 'contact-1',
    contactName: text,
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
    topContacts: [{ contactId: 'contact-1', name: text, mentions: 1, comments: 0, likesGiven: 0, likes: 0, replies: 0 }],
    likesReceived: { count: 0, people: 0 },
    repliesByStaff: [{ user: 'U0AGENT01', replies: 1 }],
    terms: [tag, 'refund'],
    chart: { bucket: 'hour', buckets: [] },
    privateMessages: { received: 5, conversations: 3, answered: 2, waiting: 1, medianFirstResponseMinutes: 14, repliesSent: 2 },
    automaticReplies: { sent: 4, cancelled: 1, followedUp: 2, heldBack: 3, dryRuns: 1 },
    surges: [
      {
        channel: 'C0QUESTION',
        startedAt: '2026-11-24T14:02:00.000Z',
        endedAt: '2026-11-24T14:40:00.000Z',
        mentions: 340,
        terms: [tag, text.slice(0, 30)],
        sentiment: { positive: 2, neutral: 38, negative: 300 },
      },
    ],
  };

  const automaticReply: ReplyRecord = {
    ...reply,
    key: 'auto:rule-1:x:1861',
    requestedBy: `rule ${text}`,
    automatic: { ruleId: 'rule-1', ruleName: text, ruleVersion: 1 },
  };
  const rule: AutoReplyRule = {
    id: 'rule-1',
    name: text,
    position: 1,
    mode: 'live',
    when: { labels: ['Question'], keywords: [text, tag], pattern: text.slice(0, 20), tag, hours: 'outside' },
    actions: { savedReply: text, assignTo: 'U0AGENT01', notifyChannel: 'C0ESCALATE' },
    continueAfter: true,
    dailyCap: 50,
    version: 1,
    createdBy: 'U0AGENT01',
    createdAt: '2026-11-25T09:00:00.000Z',
    updatedBy: 'U0AGENT01',
    updatedAt: '2026-11-25T09:00:00.000Z',
  };

  const inboxPage = (personal: boolean): InboxPage => ({
    filter: 'unassigned',
    counts: { mine: 1, unassigned: 2, open: 2, waiting: 0, resolved_today: 1 },
    entries: [
      { item: itemOfMention(posted), ...(personal ? { author: text, excerpt: long } : {}) },
      {
        item: {
          ...itemOfMention(posted),
          key: 'facebook:1_2',
          platform: 'facebook',
          assignee: 'U0AGENT01',
          resolved: { by: 'U0AGENT01', at: '2026-11-25T10:00:00.000Z' },
        },
        ...(personal ? { author: tag, excerpt: text } : {}),
      },
    ],
    more: 3,
    showsPersonalData: personal,
    at: '2026-11-25T10:05:00.000Z',
  });

  const modalInput = {
    mention: posted,
    brandHandle: 'northwind',
    platformName: 'X',
    limit: 280,
    undoSeconds: 10,
    savedReplies: [],
    text: `Hi ${text}`,
    revision: 1,
  };
  return {
    'mention message': renderMentionMessage(posted, { id: 'contact-1', name: text }),
    'mention message, relabelled, in Japanese': renderMentionMessage(
      {
        ...posted,
        classification: {
          label: 'Complaint',
          sentiment: { score: -0.8, label: 'negative' },
          language: 'ja',
          confidence: 0.9,
          relabel: { from: 'Question', by: 'U0AGENT01', at: '2026-11-25T09:20:00.000Z' },
        },
      },
      { id: 'contact-1', name: text },
    ),
    'mention message, moved': renderMovedMessage(
      { channel: 'C0QUESTION', ts: '1764061300.000200' },
      { key: mention.key, label: 'Complaint', by: 'U0AGENT01' },
      'https://acme.slack.com/',
    ),
    'triage report': renderTriageReport({
      days: 30,
      triaged: 120,
      corrections: 7,
      perLabel: {
        Question: { given: 40, correctedAway: 4, correctedInto: 1, precision: 0.9 },
        Complaint: { given: 30, correctedAway: 1, correctedInto: 4, precision: 29 / 30 },
        Praise: { given: 20, correctedAway: 0, correctedInto: 1, precision: 1 },
        Other: { given: 0, correctedAway: 0, correctedInto: 1, precision: undefined },
      },
    }),
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
      savedReplies: [{ name: text.slice(0, 40), text: long, createdBy: 'U0AGENT01', createdAt: '2026-11-25T09:00:00.000Z' }],
      text: long,
      revision: 0,
    }) as { blocks?: unknown[] },
    'reply modal, first name from the display name': renderReplyModal({
      ...modalInput,
      firstName: { value: text, fromDisplayName: true },
    }) as { blocks?: unknown[] },
    'reply modal, display name not a name': renderReplyModal({
      ...modalInput,
      firstName: { value: 'there', fromDisplayName: false },
    }) as { blocks?: unknown[] },
    'private reply modal': renderPrivateReplyModal({
      conversationKey: conversation.key,
      customer: { name: text, handle },
      lastMessage: long,
      brandHandle: 'northwind.bsky.social',
      platformName: 'Bluesky',
      limit: 1000,
      undoSeconds: 10,
      savedReplies: [{ name: text.slice(0, 40), text: long, createdBy: 'U0AGENT01', createdAt: '2026-11-25T09:00:00.000Z' }],
      text: long,
      revision: 0,
    }) as { blocks?: unknown[] },
    'conversation thread': renderConversationMessage(conversation, conversationShown),
    'conversation thread, resolved': renderConversationMessage(
      { ...conversation, status: 'resolved', resolved: { by: 'U0AGENT01', at: '2026-11-25T10:00:00.000Z' }, awaitingSince: undefined },
      conversationShown,
    ),
    'private message in a thread': renderDirectMessage(directMessage, { reopened: false }),
    'private message that reopened a conversation': renderDirectMessage(directMessage, { reopened: true }),
    'link contact modal': renderLinkContactModal({ key: posted.key, author: posted.mention.author }, contact) as { blocks?: unknown[] },
    'contact options': { blocks: renderContactOptions([contact]) as unknown[] },
    'contact card, agent': renderContactCard(profile, { personalData: true }),
    'contact card, viewer': renderContactCard(profile, { personalData: false }),
    'contact choices': renderContactChoices(text, [contact, contact], { personalData: true }),
    'forget confirmation': renderForgetConfirmation(contact, 3),
    'erasure done': {
      text: renderErasureDone(
        text,
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
      { name: text.slice(0, 40), text: long, createdBy: 'U0AGENT01', createdAt: '2026-11-25T09:00:00.000Z' },
    ]),
    audit: renderAudit([
      { key: 'a1', at: '2026-11-25T09:00:00.000Z', actor: 'U0AGENT01', action: 'reply_sent', text: long, mentionKey: mention.key },
    ]),
    help: renderHelp(mrkdwnWith`${text} is not a /crm command.`),
    notice: renderNotice(mrkdwnWith`Note saved on ${text}'s timeline.`),
    digest: renderDigestMessage(figures, {
      workspaceUrl: 'https://acme.slack.com/',
      timeZone: 'UTC',
      key: 'daily:2026-11-24',
      staffNames: new Map([['U0AGENT01', text]]),
    }),
    'erased message': renderErasedMessage(),
    'mention message, auto-replied by a rule': renderMentionMessage(
      {
        ...posted,
        workflow: {
          assignee: 'U0AGENT01',
          automatic: { rule: text, state: 'sent', at: '2026-11-25T09:11:00.000Z', assigned: 'U0AGENT01' },
        },
      },
      { id: 'contact-1', name: text },
    ),
    'mention message, a Facebook comment edited, hidden and deleted': renderMentionMessage(
      {
        ...posted,
        key: 'facebook:1_2',
        mention: { ...posted.mention, platform: 'facebook', canHide: true, isComment: true, editedAt: '2026-11-25T09:12:00.000Z' },
        workflow: { hidden: { by: 'U0AGENT01', at: '2026-11-25T09:13:00.000Z' }, removed: { at: '2026-11-25T09:14:00.000Z' } },
      },
      { id: 'contact-1', name: text },
    ),
    'mention message, an Instagram comment': renderMentionMessage(
      { ...posted, key: 'instagram:18000', mention: { ...posted.mention, platform: 'instagram', canHide: true, isComment: true } },
      { id: 'contact-1', name: text },
    ),
    'app home inbox, an agent': renderAppHome(inboxPage(true), 'https://acme.slack.com/'),
    'app home inbox, a viewer': renderAppHome(inboxPage(false), 'https://acme.slack.com/'),
    'mention message, rule held back': renderMentionMessage(
      { ...posted, workflow: { automatic: { rule: text, state: 'held', at: '2026-11-25T09:11:00.000Z', detail: long } } },
      { id: 'contact-1', name: text },
    ),
    'automatic reply announcement': renderReplyAnnouncement(automaticReply, {
      brandHandle: 'northwind',
      platformName: 'X',
      now: new Date('2026-11-25T09:10:01Z'),
    }),
    'automatic reply announcement, cancelled': renderReplyAnnouncement(
      { ...automaticReply, state: 'cancelled', cancelledBy: 'U0AGENT01', cancelReason: 'a person replied instead' },
      { brandHandle: 'northwind', platformName: 'X', now: new Date('2026-11-25T09:10:30Z') },
    ),
    'rule dry run in a thread': renderAutomationNote(
      {
        kind: 'dry_run',
        thread: { channel: 'C0MENTIONS', ts: '1764061201.000100' },
        ruleName: text,
        text: long,
        assignTo: 'U0AGENT01',
        notifyChannel: 'C0ESCALATE',
        brandHandle: 'northwind',
        platformName: 'X',
      },
      { workspaceUrl: 'https://acme.slack.com/', assigneeName: text },
    ),
    'rule note to a channel': renderAutomationNote(
      {
        kind: 'notify',
        channel: 'C0ESCALATE',
        ruleName: text,
        item: { channel: 'C0MENTIONS', ts: '1764061201.000100' },
        label: 'Complaint',
        handle,
        platformName: 'X',
      },
      { workspaceUrl: 'https://acme.slack.com/' },
    ),
    'rule list': renderRuleList([rule, { ...rule, id: 'rule-2', name: `${text} 2`, mode: 'dry_run' }], {
      by: 'U0AGENT01',
      at: '2026-11-25T09:00:00.000Z',
    }),
    'rule test': renderRuleTest({
      subject: {
        platform: 'x',
        kind: 'mention',
        text: long,
        label: 'Question',
        language: 'en',
        contact: { isKnown: false, tags: [] },
        at: new Date('2026-11-25T09:00:00Z'),
      },
      trials: [
        { rule, match: { matches: true }, acts: true },
        { rule, match: { matches: false, because: `the contact is not tagged ${tag}` }, acts: false },
        { rule, match: { matches: true }, acts: true, guardrail: { code: 'author_window', words: text } },
      ],
      paused: true,
    }),
    'surge message': renderSurgeMessage(
      {
        key: 'surge:C0QUESTION:2026-11-25T09:00:00.000Z',
        channel: 'C0QUESTION',
        startedAt: '2026-11-25T09:00:00.000Z',
        slack: { ts: '1764061201.000300' },
        figures: {
          total: 340,
          byLabel: { Complaint: 300, Question: 40 },
          byNetwork: { x: 300, mastodon: 40 },
          sentiment: { positive: 2, neutral: 38, negative: 300 },
          words: { [tag]: 40, [text.slice(0, 30)]: 12 },
          examples: ['x:1861'],
        },
      },
      [{ handle, text: long, url: 'https://x.com/ada/status/1861', platform: 'x' }],
    ),
    'surge notice': renderSurgeNotice(
      { key: 'surge:C0QUESTION:1', channel: 'C0QUESTION', startedAt: '2026-11-25T09:00:00.000Z', figures: emptySurgeFigures() },
      340,
    ),
    'mentions in a surge thread': renderMentionBatch([
      {
        record: { ...posted, workflow: { assignee: 'U0AGENT01', resolved: { by: 'U0AGENT01', at: '2026-11-25T09:30:00.000Z' } } },
        contact: { id: 'contact-1', name: text },
      },
      { record: posted, contact: { id: 'contact-1', name: text } },
    ]),
    'rule modal': renderRuleModal({
      rule,
      savedReplies: [{ name: text, text: long, createdBy: 'U0AGENT01', createdAt: '2026-11-25T09:00:00.000Z' }],
      timeZone: 'Europe/Paris',
    }) as { blocks?: unknown[] },
  };
}
