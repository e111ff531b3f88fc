import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ConversationRecord, conversationKey } from '../../src/domain/conversations.ts';
import type { ReplyRecord } from '../../src/domain/records.ts';
import { createLog } from '../../src/log.ts';
import type { Author } from '../../src/platforms/platform.ts';
import { Crm } from '../../src/services/crm.ts';
import { ErasureService } from '../../src/services/erasure.ts';
import type { Repositories, Store } from '../../src/services/repositories.ts';
import { conversationRecord, directMessage, mentionRecord, storedPerson } from '../helpers/factories.ts';
import { recordingTeamChat } from '../helpers/team-chat.ts';

/**
 * What every store adapter promises (services/repositories.ts), as one suite: the lowdb files run
 * it in test/unit, PostgreSQL in test/real. An adapter gives a fresh, empty store per test.
 */
export interface StoreUnderTest {
  /** A fresh, empty store. */
  open(): Promise<Store>;
  /** The same store opened again, as after a restart (the previous one is closed first). */
  reopen(): Promise<Store>;
  /** A second process on the same data, when the adapter allows one (PostgreSQL replicas). */
  openAnother?(): Promise<Store>;
  cleanup(): Promise<void>;
}

const author = (id: string, handle: string, name = handle): Author => ({ id, handle, name, profileUrl: `https://x.com/${handle}` });

function reply(key: string, mentionKey: string, state: ReplyRecord['state'] = 'scheduled'): ReplyRecord {
  return {
    key,
    mentionKey,
    platform: 'x',
    inReplyTo: mentionKey.slice(2),
    text: `reply ${key}`,
    requestedBy: 'U0AGENT01',
    requestedAt: '2026-11-25T10:00:00.000Z',
    sendAt: '2026-11-25T10:01:00.000Z',
    state,
    thread: { channel: 'C0MENTIONS', ts: '1764000000.000100' },
    attempts: 0,
  };
}

/** Repositories where one method fails once, the way a crash stops an operation at that step. */
function failingOnce(store: Store, repository: keyof Repositories, method: string): Store {
  let failed = false;
  const inject = (repositories: Repositories): Repositories => ({
    ...pick(repositories),
    [repository]: new Proxy(repositories[repository], {
      get(target, property) {
        if (property === method && !failed) {
          failed = true;
          return async () => {
            throw new Error(`cut short at ${method}`);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }),
  });
  return new Proxy(store, {
    get(target, property) {
      if (property === 'atomically') {
        return <T>(operation: Parameters<Store['atomically']>[0], apply: (r: Repositories, id: string) => Promise<T>) =>
          target.atomically(operation, (repositories, id) => apply(inject(repositories), id));
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const pick = (r: Repositories): Repositories => ({
  mentions: r.mentions,
  contacts: r.contacts,
  cursors: r.cursors,
  outbox: r.outbox,
  audit: r.audit,
  savedReplies: r.savedReplies,
  autoReplies: r.autoReplies,
  deliveryQueue: r.deliveryQueue,
  webhookInbox: r.webhookInbox,
  surges: r.surges,
  triageCorrections: r.triageCorrections,
  conversations: r.conversations,
  timeline: r.timeline,
  orders: r.orders,
  digests: r.digests,
  likes: r.likes,
  sessions: r.sessions,
});

/** Everything stored about a contact, to compare before and after. */
async function holdings(store: Store, contactId: string) {
  const contact = await store.contacts.get(contactId);
  return {
    contact: contact ? { name: contact.name, handles: contact.identities.map((i) => i.handle).sort() } : undefined,
    mentions: (await store.mentions.keysForContact(contactId)).sort(),
    notes: (await store.timeline.forContact(contactId)).map((entry) => entry.key).sort(),
    orders: (await store.orders.forContact(contactId)).map((order) => order.key).sort(),
    likes: (await store.likes.forPerson(contactId, [])).map((like) => like.key).sort(),
  };
}

async function countAsync(items: AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  for await (const _ of items) count++;
  return count;
}

export function describeStoreContract(adapter: string, subject: () => StoreUnderTest): void {
  describe(`the ${adapter} store keeps the repositories' promises`, () => {
    let under: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      under = subject();
      store = await under.open();
    });
    afterEach(async () => {
      await store.close();
      await under.cleanup();
    });
    const reopen = async () => {
      await store.close();
      store = await under.reopen();
      return store;
    };

    it('stores a page of mentions once, keeps the first attempt and the Slack ts, and reads them back after a restart', async () => {
      const page = Array.from({ length: 150 }, (_, i) => ({
        ...mentionRecord(String(1000 + i), `2026-11-${i < 100 ? 24 : 25}T09:00:00.000Z`),
        contactId: i % 2 ? 'contact-odd' : 'contact-even',
      }));
      const first = await store.mentions.recordAttempts(page);
      expect(first).toHaveLength(150);
      await store.mentions.recordPostedMany([
        { key: 'x:1000', ts: '1764000000.000001' },
        { key: 'x:nope', ts: '1' },
      ]);
      const again = await store.mentions.recordAttempts(page.slice(0, 2));
      expect(again[0]?.slack.ts).toBe('1764000000.000001');
      expect(again[0]?.slack.attemptedAt).toBe(first[0]?.slack.attemptedAt);

      await reopen();
      expect(await store.mentions.count()).toBe(150);
      expect(await store.mentions.days()).toEqual(['2026-11-24', '2026-11-25']);
      let onDay = 0;
      for await (const record of store.mentions.readDay('2026-11-25')) onDay += record.mention.createdAt.startsWith('2026-11-25') ? 1 : 0;
      expect(onDay).toBe(50);
      expect(await store.mentions.keysForContact('contact-odd')).toHaveLength(75);
      const found = await store.mentions.getMany(['x:1000', 'x:1001', 'x:missing']);
      expect([...found.keys()].sort()).toEqual(['x:1000', 'x:1001']);
      expect(found.get('x:1000')?.slack.ts).toBe('1764000000.000001');
      expect((await store.mentions.get('x:1149'))?.mention.text).toBe('mention 1149');
    });

    it('keeps every one of many concurrent workflow changes to one mention (a Like, an Assign, replies settling)', async () => {
      await store.mentions.recordAttempts([mentionRecord('1')]);
      await Promise.all([
        store.mentions.updateWorkflow('x:1', (workflow) => ({ ...workflow, liked: { by: 'U1', at: 'now' } })),
        store.mentions.updateWorkflow('x:1', (workflow) => ({ ...workflow, assignee: 'U2' })),
        ...Array.from({ length: 40 }, (_, i) =>
          store.mentions.updateWorkflow('x:1', (workflow) => ({
            ...workflow,
            replies: [...(workflow.replies ?? []), { by: `U${i}`, at: 'now' }],
          })),
        ),
      ]);
      const record = await store.mentions.get('x:1');
      expect(record?.workflow?.liked?.by).toBe('U1');
      expect(record?.workflow?.assignee).toBe('U2');
      expect(record?.workflow?.replies).toHaveLength(40);
      await expect(store.mentions.updateWorkflow('x:missing', (workflow) => workflow)).rejects.toThrow();
    });

    it('relabels a mention and moves its message atomically, beside concurrent workflow changes', async () => {
      await store.mentions.recordAttempts([mentionRecord('1')]);
      await store.mentions.recordPostedMany([{ key: 'x:1', ts: '1764000000.000001' }]);
      await Promise.all([
        store.mentions.updateTriage('x:1', (record) => ({
          classification: { ...record.classification, label: 'Complaint', relabel: { from: 'Question', by: 'U1', at: 'now' } },
          slack: { ...record.slack, channel: 'C0QUESTIONS', ts: '1764000000.000009' },
        })),
        ...Array.from({ length: 10 }, (_, i) =>
          store.mentions.updateWorkflow('x:1', (workflow) => ({
            ...workflow,
            replies: [...(workflow.replies ?? []), { by: `U${i}`, at: 'now' }],
          })),
        ),
      ]);
      await reopen();
      const record = await store.mentions.get('x:1');
      expect(record?.classification.label).toBe('Complaint');
      expect(record?.classification.relabel).toEqual({ from: 'Question', by: 'U1', at: 'now' });
      expect(record?.slack).toMatchObject({ channel: 'C0QUESTIONS', ts: '1764000000.000009' });
      expect(record?.workflow?.replies).toHaveLength(10);
      await expect(store.mentions.updateTriage('x:missing', (current) => current)).rejects.toThrow();
    });

    it('keeps the latest triage correction per mention with what the model first said, by time, across a restart', async () => {
      const correction = (
        mentionKey: string,
        label: 'Complaint' | 'Praise' | 'Other',
        modelLabel: 'Question' | 'Complaint',
        at: string,
      ) => ({
        mentionKey,
        label,
        modelLabel,
        by: 'U0AGENT01',
        at,
      });
      await store.triageCorrections.record(correction('x:1', 'Complaint', 'Question', '2026-11-01T10:00:00.000Z'));
      await store.triageCorrections.record(correction('x:2', 'Praise', 'Question', '2026-11-20T10:00:00.000Z'));
      // A second correction of x:1: the latest label wins, the model's label stays what the model said.
      const again = await store.triageCorrections.record(correction('x:1', 'Other', 'Complaint', '2026-11-25T10:00:00.000Z'));
      expect(again).toMatchObject({ label: 'Other', modelLabel: 'Question' });
      await reopen();
      expect(await store.triageCorrections.get('x:1')).toMatchObject({ label: 'Other', modelLabel: 'Question' });
      expect((await store.triageCorrections.since('2026-11-15T00:00:00.000Z')).map((c) => c.mentionKey)).toEqual(['x:2', 'x:1']);
      expect(await countAsync(store.triageCorrections.all())).toBe(2);
      expect(await store.triageCorrections.deleteForMentions(new Set(['x:2', 'x:9']))).toBe(1);
      expect(await store.triageCorrections.get('x:2')).toBeUndefined();
    });

    it('erases a contact’s mentions and never lets a re-read bring them back', async () => {
      await store.mentions.recordAttempts([
        { ...mentionRecord('1'), contactId: 'c1' },
        { ...mentionRecord('2'), contactId: 'c2' },
      ]);
      expect(await store.mentions.deleteForContact('c1')).toEqual(['x:1']);
      expect(await store.mentions.get('x:1')).toBeUndefined();
      await reopen();
      expect(await store.mentions.wasErased('x:1')).toBe(true);
      expect(await store.mentions.wasErased('x:2')).toBe(false);
      expect(await store.mentions.keysForContact('c1')).toEqual([]);
    });

    it('keeps private conversations and their messages: each message once, concurrent changes all kept, across a restart', async () => {
      const key = conversationKey('bluesky', 'convo-1');
      const start = (current: ConversationRecord | undefined) =>
        current ?? conversationRecord(key, { contactId: 'c1', attemptedAt: '2026-11-24T09:00:00.000Z' });
      // Two readers open the same conversation at once: one record.
      const [a, b] = await Promise.all([store.conversations.upsert(key, start), store.conversations.upsert(key, start)]);
      expect(a?.key).toBe(key);
      expect(b?.key).toBe(key);
      await Promise.all([
        store.conversations.upsert(key, (current) => current && { ...current, assignee: 'U1' }),
        store.conversations.upsert(key, (current) => current && { ...current, slack: { ...current.slack, ts: '1764000000.000100' } }),
        store.conversations.upsert(key, (current) => current && { ...current, status: 'resolved', resolved: { by: 'U2', at: 'now' } }),
      ]);
      const messages = Array.from({ length: 5 }, (_, i) => directMessage(key, `m${i}`, `2026-11-2${4 + (i % 2)}T09:0${i}:00.000Z`));
      // m0 was attempted (written down before its Slack post); the others not.
      const attempted = messages.map((message) => (message.id === 'm0' ? { ...message, slack: { attemptedAt: 'then' } } : message));
      const added = await Promise.all([...attempted, ...attempted].map((message) => store.conversations.addMessage(message)));
      expect(added.filter((result) => result.isNew)).toHaveLength(5);
      expect(
        await store.conversations.recordMessagesPosted([
          { key: 'bluesky:dm-message:m0', ts: '1.1' },
          { key: 'bluesky:dm-message:m1', ts: '1.2' }, // never attempted: skipped
        ]),
      ).toBe(1);
      expect(await store.conversations.upsert(key, () => undefined)).toMatchObject({ assignee: 'U1', status: 'resolved' });

      await reopen();
      const stored = await store.conversations.get(key);
      expect(stored).toMatchObject({ assignee: 'U1', status: 'resolved', slack: { ts: '1764000000.000100' } });
      expect(stored?.participants[0]?.handle).toBe('ada.bsky.social');
      expect((await store.conversations.messagesOf(key)).map((message) => message.id)).toEqual(['m0', 'm2', 'm4', 'm1', 'm3']); // by time sent
      expect((await store.conversations.getMessages(['bluesky:dm-message:m0'])).get('bluesky:dm-message:m0')?.slack?.ts).toBe('1.1');
      let onDay = 0;
      for await (const message of store.conversations.readMessagesDay('2026-11-25')) onDay += message.conversationKey === key ? 1 : 0;
      expect(onDay).toBe(2);
      expect((await store.conversations.forContact('c1')).map((conversation) => conversation.key)).toEqual([key]);
      let all = 0;
      for await (const _ of store.conversations.all()) all++;
      expect(all).toBe(1);
    });

    it('writes a read of private messages in batches: conversations once each, intents once, posted ts together', async () => {
      const keys = ['bluesky:dm:a', 'bluesky:dm:b'];
      const first = await store.conversations.upsertMany(keys, (key, current) =>
        current ? undefined : conversationRecord(key, { contactId: 'c1', attemptedAt: '2026-11-24T09:00:00.000Z' }),
      );
      expect(first.map((conversation) => conversation.key).sort()).toEqual(keys);
      // A key `change` declines is left as it is and not returned.
      const second = await store.conversations.upsertMany(keys, (key, current) =>
        key === 'bluesky:dm:a' && current ? { ...current, assignee: 'U1' } : undefined,
      );
      expect(second.map((conversation) => conversation.assignee)).toEqual(['U1']);
      const messages = [
        directMessage(keys[0] ?? '', 'x1', '2026-11-24T09:00:00.000Z'),
        directMessage(keys[1] ?? '', 'x2', '2026-11-24T09:01:00.000Z'),
      ].map((message) => ({ ...message, slack: { attemptedAt: '2026-11-24T09:02:00.000Z' } }));
      expect(await store.conversations.addMessages(messages)).toHaveLength(2);
      expect(await store.conversations.addMessages(messages)).toHaveLength(0); // stored once
      expect(
        await store.conversations.recordMessagesPosted([
          { key: 'bluesky:dm-message:x1', ts: '1.1' },
          { key: 'bluesky:dm-message:nope', ts: '1.2' },
        ]),
      ).toBe(1);
      // A message already posted keeps its first ts.
      expect(await store.conversations.recordMessagesPosted([{ key: 'bluesky:dm-message:x1', ts: '9.9' }])).toBe(0);
      await reopen();
      const stored = await store.conversations.getMessages(['bluesky:dm-message:x1', 'bluesky:dm-message:x2']);
      expect(stored.get('bluesky:dm-message:x1')?.slack).toEqual({ attemptedAt: '2026-11-24T09:02:00.000Z', ts: '1.1' });
      expect(stored.get('bluesky:dm-message:x2')?.slack?.ts).toBeUndefined();
      expect((await store.conversations.get('bluesky:dm:a'))?.assignee).toBe('U1');
    });

    it('moves conversations with a merge, and erases them for good: a re-read never stores their messages again', async () => {
      const key = conversationKey('x', '111-222');
      await store.conversations.upsert(key, () => conversationRecord(key, { contactId: 'c1', attemptedAt: '2026-11-24T09:00:00.000Z' }));
      await store.conversations.addMessage({ ...directMessage(key, '9001', '2026-11-24T09:00:00.000Z'), contactId: 'c1' });
      await store.conversations.reassignContact('c1', 'c2');
      expect(await store.conversations.forContact('c1')).toEqual([]);
      expect((await store.conversations.forContact('c2')).map((conversation) => conversation.contactId)).toEqual(['c2']);
      const erased = await store.conversations.deleteForContact('c2');
      expect(erased.conversations.map((conversation) => conversation.key)).toEqual([key]);
      expect(erased.messages.map((message) => message.key)).toEqual(['x:dm-message:9001']);
      await reopen();
      expect(await store.conversations.get(key)).toBeUndefined();
      expect(await store.conversations.messagesOf(key)).toEqual([]);
      expect(await store.conversations.erasedAt(key)).toMatch(/^\d{4}-/);
      expect(await store.conversations.erasedAt(conversationKey('x', 'other'))).toBeUndefined();
    });

    it('links authors to contacts: one contact per author, by user ID then handle, found by name with a typo', async () => {
      const [ada, grace, adaAgain] = await store.contacts.ensureForAuthors('x', [
        author('42', 'ada_l', 'Ada Lovelace'),
        author('43', 'grace_h', 'Grace Hopper'),
        author('42', 'ada_renamed', 'Ada Lovelace'),
      ]);
      expect(adaAgain?.key).toBe(ada?.key);
      expect(grace?.key).not.toBe(ada?.key);
      await reopen();
      expect(await store.contacts.count()).toBe(2);
      expect((await store.contacts.findByAuthor('x', { id: '42', handle: 'x' }))?.key).toBe(ada?.key);
      expect((await store.contacts.findByAuthor('x', { id: 'unknown', handle: 'GRACE_H' }))?.key).toBe(grace?.key);
      expect((await store.contacts.find('Lovelcae', 5))[0]?.id).toBe(ada?.key);
      await store.contacts.update(grace?.key ?? '', (current) => ({
        ...current,
        emails: ['grace@navy.example'],
        fields: { external_id: 'cus_1' },
      }));
      expect((await store.contacts.findByEmail('grace@navy.example'))?.key).toBe(grace?.key);
      expect((await store.contacts.findByExternalId('cus_1'))?.key).toBe(grace?.key);
      await store.contacts.delete(grace?.key ?? '');
      expect(await store.contacts.find('Grace Hopper', 5)).toEqual([]);
      expect(await store.contacts.findByAuthor('x', { id: '43', handle: 'grace_h' })).toBeUndefined();
      const all: string[] = [];
      for await (const contact of store.contacts.all()) all.push(contact.name);
      expect(all).toEqual(['Ada Lovelace']);
    });

    it('keeps every one of many concurrent changes to one contact', async () => {
      const [ada] = await store.contacts.ensureForAuthors('x', [author('42', 'ada_l')]);
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => store.contacts.update(ada?.key ?? '', (c) => ({ ...c, tags: [...(c.tags ?? []), `t${i}`] }))),
      );
      expect((await store.contacts.get(ada?.key ?? ''))?.tags).toHaveLength(30);
      expect(await store.contacts.update('missing', (c) => c)).toBeUndefined();
    });

    it('stores a reply request once, however often it is created at the same instant, and changes it atomically', async () => {
      const created = await Promise.all(Array.from({ length: 10 }, () => store.outbox.create(reply('view:V1', 'x:1'))));
      expect(created.filter(Boolean)).toHaveLength(1);
      expect((await store.outbox.activeFor('x:1'))?.key).toBe('view:V1');
      // One reply at a time per mention: a second request while the first is pending is refused.
      expect(await store.outbox.create(reply('view:V2', 'x:1'))).toBe(false);
      expect(await store.outbox.get('view:V2')).toBeUndefined();
      // Undo and the send claiming it at the same instant: exactly one wins.
      const [undone, claimed] = await Promise.all([
        store.outbox.update('view:V1', (r) => (r.state === 'scheduled' ? { ...r, state: 'cancelled' } : undefined)),
        store.outbox.update('view:V1', (r) => (r.state === 'scheduled' ? { ...r, state: 'sending', attempts: r.attempts + 1 } : undefined)),
      ]);
      const states = [undone?.state, claimed?.state];
      expect(states.filter((state) => state === 'cancelled' || state === 'sending')).toHaveLength(2);
      expect(new Set(states).size).toBe(1);
      await reopen();
      const stored = await store.outbox.get('view:V1');
      expect(stored?.state).toBe(states[0]);
      expect((await store.outbox.unsettled()).map((r) => r.key)).toEqual(stored?.state === 'sending' ? ['view:V1'] : []);
      expect(await store.outbox.create(reply('view:V1', 'x:1'))).toBe(false);
    });

    it('redacts replies to erased mentions and hands back the announcements to blank', async () => {
      await store.outbox.create({ ...reply('view:V1', 'x:1', 'sent'), announcement: { channel: 'C1', ts: '1.1' } });
      await store.outbox.create(reply('view:V2', 'x:2'));
      expect(await store.outbox.forMentions(new Set(['x:1']))).toHaveLength(1);
      expect(await store.outbox.redactForMentions(new Set(['x:1']))).toEqual([{ channel: 'C1', ts: '1.1' }]);
      expect((await store.outbox.get('view:V1'))?.text).toBe('[erased]');
      expect((await store.outbox.get('view:V2'))?.text).toBe('reply view:V2');
    });

    it('keeps cursors, the audit log, saved replies, notes, orders, digests and likes across a restart', async () => {
      await store.cursors.set('x', '100');
      await store.cursors.set('mastodon:likes', '7');
      await store.audit.record({ key: 'once', actor: 'U1', action: 'like', at: '2026-11-25T09:00:00.000Z' });
      await store.audit.record({ key: 'once', actor: 'U1', action: 'like', at: '2026-11-25T09:00:00.000Z' });
      await store.audit.record({ actor: 'U2', action: 'reply_sent', mentionKey: 'x:1', text: 'hi', at: '2026-11-26T09:00:00.000Z' });
      expect(await store.savedReplies.upsert({ name: 'Refund', text: 'a', createdBy: 'U1', createdAt: 'now' })).toBe(false);
      expect(await store.savedReplies.upsert({ name: 'refund', text: 'b', createdBy: 'U1', createdAt: 'now' })).toBe(true);
      expect(
        await store.timeline.add({ key: 'n1', contactId: 'c1', kind: 'note', text: 'x', by: 'U1', at: '2026-11-25T09:00:00.000Z' }),
      ).toBe(true);
      expect(
        await store.timeline.add({ key: 'n1', contactId: 'c1', kind: 'note', text: 'x', by: 'U1', at: '2026-11-25T09:00:00.000Z' }),
      ).toBe(false);
      const since = await store.digests.since(new Date('2026-11-20T00:00:00.000Z'));
      await store.digests.recordAttempt('daily:2026-11-24', 'C0DIGEST', new Date('2026-11-25T09:00:00.000Z'), {
        period: { first: '2026-11-24', last: '2026-11-24' },
      });
      await store.digests.update('daily:2026-11-24', { ts: '1764.1' });
      expect(
        await store.likes.record({
          key: 'x:l1',
          platform: 'x',
          postId: '1',
          author: { id: '9', handle: 'h', name: 'H' },
          createdAt: '2026-11-25T11:00:00.000Z',
        }),
      ).toBe(true);
      expect(
        await store.likes.record({
          key: 'x:l1',
          platform: 'x',
          postId: '1',
          author: { id: '9', handle: 'h', name: 'H' },
          createdAt: '2026-11-25T11:00:00.000Z',
        }),
      ).toBe(false);

      await reopen();
      expect(await store.cursors.get('x')).toBe('100');
      expect(await store.cursors.get('mastodon:likes')).toBe('7');
      expect(await store.cursors.get('bluesky')).toBeUndefined();
      expect((await store.audit.latest(10)).map((entry) => entry.action)).toEqual(['reply_sent', 'like']);
      expect(await store.audit.forMentions(new Set(['x:1']))).toHaveLength(1);
      expect(await store.audit.redactForMentions(new Set(['x:1']))).toBe(1);
      expect((await store.audit.latest(1))[0]?.text).toBeUndefined();
      expect((await store.savedReplies.list()).map((r) => r.text)).toEqual(['b']);
      expect(await store.savedReplies.find('REFUND')).toMatchObject({ text: 'b' });
      expect(await store.savedReplies.remove('Refund')).toBe(true);
      expect(await store.savedReplies.list()).toEqual([]);
      expect((await store.digests.since(new Date())).toISOString()).toBe(since.toISOString());
      expect(await store.digests.get('daily:2026-11-24')).toMatchObject({
        channel: 'C0DIGEST',
        ts: '1764.1',
        period: { first: '2026-11-24' },
      });
      expect(await store.digests.all()).toHaveLength(1);
      const likes: string[] = [];
      for await (const like of store.likes.readDay('2026-11-25')) likes.push(like.key);
      expect(likes).toEqual(['x:l1']);
      expect(await store.likes.forPerson('nobody', [{ platform: 'x', userId: '9' }])).toHaveLength(1);
      expect(await store.likes.deleteForPerson('nobody', [{ platform: 'x', userId: '9' }])).toBe(1);
    });

    it('keeps automatic-reply rules, the pause and decisions across a restart; a decision to reply holds the author’s window and the rule’s cap, however many ask at once', async () => {
      const { autoReplies } = store;
      const rule = {
        id: 'rule-1',
        name: 'Order status',
        position: 1,
        mode: 'dry_run' as const,
        when: { keywords: ['order'] },
        actions: { savedReply: 'order-status' },
        continueAfter: false,
        dailyCap: 3,
        version: 1,
        createdBy: 'U0ADMIN01',
        createdAt: '2026-11-25T09:00:00.000Z',
        updatedBy: 'U0ADMIN01',
        updatedAt: '2026-11-25T09:00:00.000Z',
      };
      expect(await autoReplies.addRule(rule)).toBe(true);
      expect(await autoReplies.addRule({ ...rule, id: 'rule-2', name: 'ORDER STATUS' })).toBe(false);
      // Concurrent edits of one rule all land.
      await Promise.all(
        Array.from({ length: 10 }, () => autoReplies.updateRule('rule-1', (current) => ({ ...current, version: current.version + 1 }))),
      );
      await autoReplies.setPaused({ by: 'U0ADMIN01', at: '2026-11-25T10:00:00.000Z' });

      const decision = (item: string, contactId: string, at: string) => ({
        key: `${item}|rule-1`,
        itemKey: item,
        ruleId: 'rule-1',
        contactId,
        at,
        outcome: 'reply' as const,
      });
      // Relative to now: the files keep decisions for a week, as long as any guardrail looks back.
      const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
      const limits = { authorSince: at(24 * 60), daySince: at(120), dailyCap: 3 };
      const adaAt = at(30);
      // Ten items by ten people at once, cap 3: exactly three are stored.
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => autoReplies.decide(decision(`x:${i}`, `person-${i}`, at(60)), limits)),
      );
      expect(results.filter((result) => result.stored)).toHaveLength(3);
      expect(results.filter((result) => !result.stored && result.because === 'daily_cap')).toHaveLength(7);
      // Two items by one person at once: one reply.
      const person = await Promise.all(
        ['x:a', 'x:b'].map((item) => autoReplies.decide(decision(item, 'ada', adaAt), { ...limits, dailyCap: 100 })),
      );
      expect(person.filter((result) => result.stored)).toHaveLength(1);
      expect(person.find((result) => !result.stored)).toEqual({
        stored: false,
        because: 'author_window',
        lastToAuthorAt: adaAt,
      });
      // The same item again is known, whatever the limits say (whichever of the two won the race).
      const winner = person[0]?.stored ? 'x:a' : 'x:b';
      expect(await autoReplies.decide(decision(winner, 'ada', at(10)))).toEqual({ stored: false, because: 'known' });

      await reopen();
      expect(await store.autoReplies.getRule('rule-1')).toMatchObject({ name: 'Order status', version: 11 });
      expect(await store.autoReplies.paused()).toEqual({ by: 'U0ADMIN01', at: '2026-11-25T10:00:00.000Z' });
      expect(await store.autoReplies.countFor('rule-1', 'reply', limits.daySince)).toBe(4);
      expect(await store.autoReplies.lastReplyTo('ada', limits.daySince)).toBe(adaAt);
      await store.autoReplies.reassignContact('ada', 'ada-merged');
      expect(await store.autoReplies.forContact('ada-merged')).toHaveLength(1);
      expect(await store.autoReplies.deleteForContact('ada-merged')).toBe(1);
      expect(await store.autoReplies.forContact('ada-merged')).toEqual([]);
      await store.autoReplies.setPaused(undefined);
      expect(await store.autoReplies.paused()).toBeUndefined();
      expect(await store.autoReplies.removeRule('rule-1')).toBe(true);
      expect(await store.autoReplies.rules()).toEqual([]);
    });

    it('keeps the Slack delivery queue across a restart: each key once, removed when delivered', async () => {
      const entry = (key: string, priority: 1 | 2 | 3) => ({
        key,
        channel: 'C0QUESTION',
        priority,
        createdAt: '2026-11-25T10:00:00.000Z',
        queuedAt: '2026-11-25T10:00:01.000Z',
      });
      await store.deliveryQueue.add([entry('x:1', 1), entry('x:2', 3)]);
      await store.deliveryQueue.add([entry('x:2', 1), entry('x:3', 2)]);
      await store.deliveryQueue.remove(['x:3', 'x:unknown']);
      await reopen();
      const owed = (await store.deliveryQueue.all()).sort((a, b) => a.key.localeCompare(b.key));
      expect(owed).toEqual([entry('x:1', 1), entry('x:2', 3)]);
      await store.deliveryQueue.remove(['x:1', 'x:2']);
      await reopen();
      expect(await store.deliveryQueue.all()).toEqual([]);
    });

    it("keeps Meta's webhook deliveries until they are taken in: each key once, oldest first, across a restart", async () => {
      const delivery = (key: string, second: number) => ({
        key,
        receivedAt: `2026-12-03T10:00:0${second}.000Z`,
        body: JSON.stringify({ object: 'page', entry: [{ id: '1', time: second, changes: [] }], note: `Zoë «${key}»` }),
      });
      expect(await store.webhookInbox.add(delivery('b', 2))).toBe(true);
      expect(await store.webhookInbox.add(delivery('a', 1))).toBe(true);
      // Meta's retry of the same body while it waits: stored once.
      expect(await store.webhookInbox.add(delivery('a', 3))).toBe(false);
      await reopen();
      expect(await store.webhookInbox.pending(10)).toEqual([delivery('a', 1), delivery('b', 2)]);
      expect(await store.webhookInbox.pending(1)).toEqual([delivery('a', 1)]);
      await store.webhookInbox.done(['a', 'unknown']);
      await reopen();
      expect(await store.webhookInbox.pending(10)).toEqual([delivery('b', 2)]);
      await store.webhookInbox.done(['b']);
      await reopen();
      expect(await store.webhookInbox.pending(10)).toEqual([]);
    });

    it('keeps surges across a restart: the one going on per channel, and those of a period', async () => {
      const figures = {
        total: 3,
        byLabel: { Complaint: 3 },
        byNetwork: { x: 3 },
        sentiment: { positive: 0, neutral: 1, negative: 2 },
        words: { outage: 3 },
        examples: ['x:1'],
      };
      const surge = {
        key: 'surge:C0QUESTION:2026-11-25T10:00:00.000Z',
        channel: 'C0QUESTION',
        startedAt: '2026-11-25T10:00:00.000Z',
        figures,
      };
      await store.surges.save(surge);
      await store.surges.save({ ...surge, slack: { ts: '1764064800.000100' } });
      await reopen();
      expect(await store.surges.active('C0QUESTION')).toEqual({ ...surge, slack: { ts: '1764064800.000100' } });
      expect(await store.surges.active('C0MENTIONS')).toBeUndefined();
      await store.surges.save({ ...surge, slack: { ts: '1764064800.000100' }, endedAt: '2026-11-25T10:40:00.000Z' });
      expect(await store.surges.active('C0QUESTION')).toBeUndefined();
      expect(await store.surges.between('2026-11-25T00:00:00.000Z', '2026-11-26T00:00:00.000Z')).toHaveLength(1);
      expect(await store.surges.between('2026-11-26T00:00:00.000Z', '2026-11-27T00:00:00.000Z')).toEqual([]);
    });

    it('keeps a platform session across a restart, and forgets it when cleared', async () => {
      expect(await store.sessions.load('bluesky')).toBeUndefined();
      await store.sessions.save('bluesky', {
        did: 'did:plc:brand',
        handle: 'brand.example',
        accessJwt: 'access-1',
        refreshJwt: 'refresh-1',
      });
      await store.sessions.save('bluesky', {
        did: 'did:plc:brand',
        handle: 'brand.example',
        accessJwt: 'access-2',
        refreshJwt: 'refresh-2',
      });
      await reopen();
      expect(await store.sessions.load('bluesky')).toEqual({
        did: 'did:plc:brand',
        handle: 'brand.example',
        accessJwt: 'access-2',
        refreshJwt: 'refresh-2',
      });
      await store.sessions.clear('bluesky');
      expect(await store.sessions.load('bluesky')).toBeUndefined();
    });

    it('merges all or nothing: cut short at any step, the next start leaves both people whole or one merged person', async () => {
      for (const [repository, method] of [
        ['contacts', 'save'],
        ['mentions', 'reassignContact'],
        ['timeline', 'reassign'],
        ['orders', 'reassign'],
        ['likes', 'reassign'],
        ['contacts', 'delete'],
      ] as const) {
        const step = `${repository}-${method}`;
        const ada = await storedPerson(store, `1${step}`, 'Ada');
        const augusta = await storedPerson(store, `2${step}`, 'Augusta');
        const before = { ada: await holdings(store, ada.key), augusta: await holdings(store, augusta.key) };
        await expect(new Crm(failingOnce(store, repository, method)).merge(ada, augusta)).rejects.toThrow(`cut short at ${method}`);

        await reopen();
        await new Crm(store).finishInterrupted();
        expect(await store.interrupted()).toEqual([]);
        const after = { ada: await holdings(store, ada.key), augusta: await holdings(store, augusta.key) };
        const untouched = JSON.stringify(after) === JSON.stringify(before);
        if (!untouched) {
          expect(after.augusta, `${repository}.${method}`).toEqual({ contact: undefined, mentions: [], notes: [], orders: [], likes: [] });
          expect(after.ada.mentions).toEqual([...before.ada.mentions, ...before.augusta.mentions].sort());
          expect(after.ada.notes).toEqual([...before.ada.notes, ...before.augusta.notes].sort());
          expect(after.ada.orders).toEqual([...before.ada.orders, ...before.augusta.orders].sort());
          expect(after.ada.likes).toEqual([...before.ada.likes, ...before.augusta.likes].sort());
          expect(after.ada.contact?.handles).toEqual(['ada_h', 'augusta_h']);
        }
        await new Crm(store).merge(ada, augusta); // and run whole, it completes
        expect((await holdings(store, ada.key)).mentions).toEqual([...before.ada.mentions, ...before.augusta.mentions].sort());
        await store.contacts.delete(ada.key);
      }
    });

    it('erases all or nothing: cut short at any step, the next start leaves no trace of the person and one audit entry', async () => {
      const chat = recordingTeamChat();
      const erasureOf = (current: Store) =>
        new ErasureService(
          current,
          { holdForErasure: (_keys, erase) => erase() },
          chat,
          { redrawCovering: async () => ({ redrawn: 0, failed: 0 }) },
          createLog({ level: 'error' }),
        );
      for (const [repository, method] of [
        ['triageCorrections', 'deleteForMentions'],
        ['mentions', 'deleteForContact'],
        ['timeline', 'deleteForContact'],
        ['orders', 'deleteForContact'],
        ['likes', 'deleteForPerson'],
        ['outbox', 'redactForMentions'],
        ['contacts', 'delete'],
      ] as const) {
        const step = `${repository}-${method}`;
        const ada = await storedPerson(store, `1${step}`, 'Ada');
        await erasureOf(failingOnce(store, repository, method))
          .forget(ada, 'U0ADMIN01')
          .catch(() => undefined);
        await reopen();
        await erasureOf(store).finishInterrupted();
        const left = await holdings(store, ada.key);
        // Either it never started (PostgreSQL rolled it back: run it again) or it was finished.
        if (left.contact) await erasureOf(store).forget((await store.contacts.get(ada.key)) ?? ada, 'U0ADMIN01');
        expect(await holdings(store, ada.key), `${repository}.${method}`).toEqual({
          contact: undefined,
          mentions: [],
          notes: [],
          orders: [],
          likes: [],
        });
        expect(await store.triageCorrections.get(`x:91${step}`), `${repository}.${method}`).toBeUndefined();
        expect(await store.contacts.findByAuthor('x', { id: `1${step}`, handle: 'ada_h' })).toBeUndefined();
      }
      const erasures = (await store.audit.latest(100)).filter((entry) => entry.action === 'erasure');
      expect(erasures).toHaveLength(7);
    });

    // Only for adapters that let two processes share their data (the files refuse a second one: tested in store.test.ts).
    const sharable = Boolean(subject().openAnother);
    if (sharable)
      it('keeps concurrent changes from two processes on the same data', async () => {
        const other = await under.openAnother?.();
        if (!other) throw new Error('openAnother gave nothing');
        try {
          await store.mentions.recordAttempts([mentionRecord('1')]);
          await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              (i % 2 ? store : other).mentions.updateWorkflow('x:1', (w) => ({
                ...w,
                replies: [...(w.replies ?? []), { by: `U${i}`, at: 'now' }],
              })),
            ),
          );
          expect((await other.mentions.get('x:1'))?.workflow?.replies).toHaveLength(20);
          const created = await Promise.all([store.outbox.create(reply('view:V9', 'x:1')), other.outbox.create(reply('view:V9', 'x:1'))]);
          expect(created.filter(Boolean)).toHaveLength(1);
          // A contact made by one process is found by the other (its in-memory search follows).
          const [made] = await store.contacts.ensureForAuthors('x', [author('77', 'lin_h', 'Lin Qiao')]);
          await expect.poll(async () => (await other.contacts.find('Lin Qiao', 3))[0]?.id, { timeout: 5000 }).toBe(made?.key);
          expect((await other.contacts.findByAuthor('x', { id: '77', handle: 'lin_h' }))?.key).toBe(made?.key);
        } finally {
          await other.close();
        }
      });
  });
}
