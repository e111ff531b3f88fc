import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/services/repositories.ts';
import { openFileStore } from '../../src/store/files/file-store.ts';
import { PiiCipher } from '../../src/store/pii-cipher.ts';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { runStoreCli } from '../helpers/crm-cli.ts';
import { mentionRecord } from '../helpers/factories.ts';
import { tempDataDir } from '../helpers/harness.ts';
import { TEST_KEY } from '../helpers/keys.ts';
import { type RealPostgres, requirePostgres, startRealPostgres } from './services.ts';

/**
 * `npm run store -- migrate`, run as an operator would, from a lowdb data folder into a real
 * PostgreSQL and back: every collection arrives, sealed, with its keys; running it again changes
 * nothing; a non-empty target is refused unless told.
 */
const available = await requirePostgres();
let server: RealPostgres;
beforeAll(async () => {
  if (available) server = await startRealPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const env = { PII_ENCRYPTION_KEY: TEST_KEY };

/** A small team's store: a contact with a posted mention, an erased one, a reply, notes, an order, a like, a digest. */
async function fill(store: Store): Promise<{ contactId: string }> {
  const [ada] = await store.contacts.ensureForAuthors('x', [{ id: '42', handle: 'ada_l', name: 'Ada Lovelace', profileUrl: '' }]);
  const contactId = ada?.key ?? '';
  await store.contacts.update(contactId, (c) => ({ ...c, emails: ['ada@example.com'], tags: ['vip'] }));
  await store.mentions.recordAttempts([
    { ...mentionRecord('100', '2026-11-24T09:00:00.000Z', { text: 'my card was charged twice' }), contactId },
    { ...mentionRecord('101', '2026-11-25T09:00:00.000Z'), contactId: 'gone' },
  ]);
  await store.mentions.recordPostedMany([{ key: 'x:100', ts: '1764000000.000100' }]);
  await store.mentions.updateWorkflow('x:100', (w) => ({ ...w, assignee: 'U0AGENT01' }));
  await store.mentions.deleteForContact('gone');
  await store.cursors.set('x', '101');
  await store.outbox.create({
    key: 'view:V1',
    mentionKey: 'x:100',
    platform: 'x',
    inReplyTo: '100',
    text: 'Sorry Ada, refunded',
    requestedBy: 'U0AGENT01',
    requestedAt: '2026-11-24T10:00:00.000Z',
    sendAt: '2026-11-24T10:00:10.000Z',
    state: 'sent',
    thread: { channel: 'C0MENTIONS', ts: '1764000000.000100' },
    attempts: 1,
  });
  await store.audit.record({
    actor: 'U0AGENT01',
    action: 'reply_sent',
    mentionKey: 'x:100',
    text: 'Sorry Ada, refunded',
    at: '2026-11-24T10:00:11.000Z',
  });
  await store.savedReplies.upsert({ name: 'refund', text: 'Hi {{first_name}}', createdBy: 'U1', createdAt: '2026-11-20T00:00:00.000Z' });
  await store.timeline.add({ key: 'note:1', contactId, kind: 'note', text: 'called her', by: 'U1', at: '2026-11-24T11:00:00.000Z' });
  await store.orders.save({
    key: 'order:7',
    externalId: '7',
    email: 'ada@example.com',
    totalCents: 4200,
    currency: 'EUR',
    status: 'paid',
    createdAt: '2026-11-20T08:00:00.000Z',
    contactId,
    importedAt: '2026-11-21T08:00:00.000Z',
  });
  await store.likes.record({
    key: 'x:like-1',
    platform: 'x',
    postId: '1',
    author: { id: '42', handle: 'ada_l', name: 'Ada' },
    contactId,
    createdAt: '2026-11-24T12:00:00.000Z',
  });
  await store.sessions.save('bluesky', { did: 'did:plc:brand', handle: 'brand.example', accessJwt: 'a', refreshJwt: 'r' });
  await store.digests.since(new Date('2026-11-01T00:00:00.000Z'));
  await store.digests.recordAttempt('daily:2026-11-24', 'C0DIGEST', new Date('2026-11-25T09:00:00.000Z'), {
    period: { first: '2026-11-24', last: '2026-11-24' },
  });
  return { contactId };
}

/** What a person would check after a move: the same contact, post, reply, notes, order, like, digest and tombstone. */
async function expectSameData(store: Store, contactId: string): Promise<void> {
  const contact = await store.contacts.get(contactId);
  expect(contact).toMatchObject({ name: 'Ada Lovelace', emails: ['ada@example.com'], tags: ['vip'] });
  expect((await store.contacts.find('Ada Lovlace', 3))[0]?.id).toBe(contactId);
  expect((await store.contacts.findByAuthor('x', { id: '42', handle: 'x' }))?.key).toBe(contactId);
  const mention = await store.mentions.get('x:100');
  expect(mention).toMatchObject({
    mention: { text: 'my card was charged twice' },
    slack: { ts: '1764000000.000100' },
    workflow: { assignee: 'U0AGENT01' },
  });
  expect(await store.mentions.keysForContact(contactId)).toEqual(['x:100']);
  expect(await store.mentions.wasErased('x:101')).toBe(true);
  expect(await store.mentions.get('x:101')).toBeUndefined();
  expect(await store.cursors.get('x')).toBe('101');
  expect(await store.outbox.get('view:V1')).toMatchObject({ state: 'sent', text: 'Sorry Ada, refunded' });
  expect((await store.audit.latest(5)).map((entry) => entry.text)).toEqual(['Sorry Ada, refunded']);
  expect(await store.savedReplies.find('REFUND')).toMatchObject({ text: 'Hi {{first_name}}' });
  expect((await store.timeline.forContact(contactId)).map((entry) => entry.text)).toEqual(['called her']);
  expect((await store.orders.forContact(contactId)).map((order) => order.totalCents)).toEqual([4200]);
  expect(await store.likes.forPerson(contactId, [])).toHaveLength(1);
  expect((await store.digests.since(new Date())).toISOString()).toBe('2026-11-01T00:00:00.000Z');
  expect(await store.digests.get('daily:2026-11-24')).toMatchObject({ channel: 'C0DIGEST' });
  expect(await store.sessions.load('bluesky')).toMatchObject({ did: 'did:plc:brand', refreshJwt: 'r' });
}

describe.runIf(available)('npm run store -- migrate', () => {
  it('copies a data folder into PostgreSQL, sealed, counts checked; again changes nothing; and back into a new folder', async () => {
    const source = await tempDataDir();
    const back = await tempDataDir();
    const url = await server.createDatabase();
    try {
      const files = await openFileStore(source.dir, { cipher: PiiCipher.fromKeys(TEST_KEY) });
      const { contactId } = await fill(files);
      await files.close();

      const first = await runStoreCli(source.dir, ['migrate', '--from', source.dir, '--to', url], env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/mentions\s+1 copied; 1 in source, 1 in target/);
      expect(first.stdout).toMatch(/erasedMentions\s+1 copied/);
      expect(first.stdout).not.toContain('postgres:postgres@'); // never the password

      const pg = await openPostgresStore(url, { cipher: PiiCipher.fromKeys(TEST_KEY) });
      try {
        await expectSameData(pg, contactId);
        // Sealed at rest in PostgreSQL too: the name is not in the table in clear.
        const { rows } = await pg.db.query<{ record: string }>('SELECT record::text AS record FROM contacts');
        expect(rows[0]?.record).not.toContain('Lovelace');
        expect(rows[0]?.record).toContain('"sealed"');
      } finally {
        await pg.close();
      }

      const again = await runStoreCli(source.dir, ['migrate', '--from', source.dir, '--to', url], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already holds data');
      const merged = await runStoreCli(source.dir, ['migrate', '--from', source.dir, '--to', url, '--into-non-empty'], env);
      expect(merged.code).toBe(0);
      expect(merged.stdout).toMatch(/contacts\s+1 copied; 1 in source, 1 in target/);

      const home = await runStoreCli(back.dir, ['migrate', '--from', url, '--to', back.dir], env);
      expect(home.stderr).toBe('');
      expect(home.code).toBe(0);
      const returned = await openFileStore(back.dir, { cipher: PiiCipher.fromKeys(TEST_KEY) });
      try {
        await expectSameData(returned, contactId);
      } finally {
        await returned.close();
      }
    } finally {
      await server.dropDatabase(url);
      await source.remove();
      await back.remove();
    }
  });

  it('answers usage for a malformed command, and refuses a folder the bot holds', async () => {
    const data = await tempDataDir();
    try {
      for (const args of [
        ['migrate'],
        ['migrate', '--from', data.dir],
        ['copy', '--from', 'a', '--to', 'b'],
        ['migrate', '--from', 'a', '--to', 'b', '--force'],
      ]) {
        const answer = await runStoreCli(data.dir, args);
        expect(answer.code, args.join(' ')).toBe(2);
        expect(answer.stderr).toContain('Usage: npm run store -- migrate');
      }
      const held = await openFileStore(data.dir);
      try {
        const refused = await runStoreCli(data.dir, ['migrate', '--from', data.dir, '--to', await server.createDatabase()]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('Stop the bot first');
      } finally {
        await held.close();
      }
    } finally {
      await data.remove();
    }
  });
});
