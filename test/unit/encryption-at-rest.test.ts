import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileStore as openStore, type FileStore as Store } from '../../src/store/files/file-store.ts';
import { PiiCipher, parseKey, SealedDataError } from '../../src/store/pii-cipher.ts';
import { runCrmCli } from '../helpers/crm-cli.ts';
import { mentionRecord } from '../helpers/factories.ts';
import { SECOND_TEST_KEY, TEST_KEY } from '../helpers/keys.ts';

/** What the person wrote and who they are: none of it may be readable in any file. */
const PERSONAL = [
  'Hedy Lamarr',
  'hedy_l',
  'hedy@mgm.example',
  '+1 555 0100',
  'MGM Studios',
  'vip-hedy',
  'card ending 4242',
  'parcel 88-HL',
  'my flat is 3B',
];

async function fillEveryStore(store: Store): Promise<void> {
  const contact = await store.contacts.ensureForAuthor('x', {
    id: '4242',
    handle: 'hedy_l',
    name: 'Hedy Lamarr',
    profileUrl: 'https://x.com/hedy_l',
  });
  await store.contacts.save({
    ...contact,
    emails: ['hedy@mgm.example'],
    phone: '+1 555 0100',
    company: 'MGM Studios',
    tags: ['vip-hedy'],
    fields: { external_id: 'C-7' },
  });
  const mention = mentionRecord('1900000000000000001', '2026-11-25T09:00:00.000Z', {
    text: 'my card ending 4242 was charged twice',
    handle: 'hedy_l',
    name: 'Hedy Lamarr',
  });
  await store.mentions.recordAttempt({
    ...mention,
    mention: { ...mention.mention, url: 'https://x.com/hedy_l/status/1900000000000000001' },
    contactId: contact.key,
  });
  await store.timeline.add({
    key: 'note-1',
    contactId: contact.key,
    kind: 'note',
    text: 'sent parcel 88-HL',
    by: 'U0AGENT01',
    at: '2026-11-25T10:00:00.000Z',
  });
  await store.likes.record({
    key: 'x:like-1',
    platform: 'x',
    postId: '1',
    author: { id: '4242', handle: 'hedy_l', name: 'Hedy Lamarr' },
    contactId: contact.key,
    createdAt: '2026-11-25T11:00:00.000Z',
  });
  await store.orders.save({
    key: 'order:A-1',
    externalId: 'A-1',
    email: 'hedy@mgm.example',
    customerExternalId: 'C-7',
    totalCents: 1999,
    currency: 'EUR',
    status: 'paid',
    createdAt: '2026-11-20T08:00:00.000Z',
    contactId: contact.key,
    importedAt: '2026-11-25T08:00:00.000Z',
  });
  await store.outbox.save({
    key: 'view:V1',
    mentionKey: mention.key,
    platform: 'x',
    inReplyTo: '1900000000000000001',
    text: '@hedy_l sorry about the card ending 4242',
    requestedBy: 'U0AGENT01',
    requestedAt: '2026-11-25T12:00:00.000Z',
    sendAt: '2026-11-25T12:00:10.000Z',
    state: 'sent',
    thread: { channel: 'C0MENTIONS', ts: '1.1' },
    attempts: 1,
  });
  await store.audit.record({
    actor: 'U0AGENT01',
    action: 'reply_sent',
    mentionKey: mention.key,
    text: '@hedy_l sorry about the card ending 4242',
  });
  // A private conversation: who is in it, and every message, either way.
  await store.conversations.upsert('x:dm:4242-1500000000000000001', () => ({
    key: 'x:dm:4242-1500000000000000001',
    platform: 'x',
    conversationId: '4242-1500000000000000001',
    participants: [{ id: '4242', handle: 'hedy_l', name: 'Hedy Lamarr', profileUrl: 'https://x.com/hedy_l' }],
    contactId: contact.key,
    status: 'open',
    lastMessageAt: '2026-11-25T13:00:00.000Z',
    slack: { channel: 'C0SOCDMS1', attemptedAt: '2026-11-25T13:00:00.000Z', ts: '2.1' },
  }));
  await store.conversations.addMessage({
    key: 'x:dm-message:777',
    conversationKey: 'x:dm:4242-1500000000000000001',
    contactId: contact.key,
    platform: 'x',
    id: '777',
    direction: 'in',
    text: 'my flat is 3B, the parcel 88-HL is not here',
    author: { id: '4242', handle: 'hedy_l', name: 'Hedy Lamarr' },
    sentAt: '2026-11-25T13:00:00.000Z',
  });
}

/** Every file under the folder, as text. */
async function everyFile(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const full = path.join(entry.parentPath, entry.name);
      files.set(path.relative(dir, full), await readFile(full, 'utf8'));
    }
  }
  return files;
}

function plainFound(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of files) for (const value of PERSONAL) if (text.includes(value)) found.push(`${file}: ${value}`);
  return found;
}

const crm = (dataDir: string, env: Record<string, string>, ...args: string[]) => runCrmCli(dataDir, args, env);

describe('encryption at rest', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'switchboard-sealed-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('leaves no personal field readable in any file of any store, and reads everything back', async () => {
    const cipher = PiiCipher.fromKeys(TEST_KEY);
    const store = await openStore(dataDir, { cipher });
    await fillEveryStore(store);
    store.close();

    const files = await everyFile(dataDir);
    expect(plainFound(files)).toEqual([]);
    // The test would pass on an empty folder: make sure every store wrote its file.
    for (const folder of ['mentions', 'contacts', 'timeline', 'likes', 'orders', 'outbox', 'audit', 'conversations', 'direct-messages']) {
      expect(
        [...files.keys()].some((file) => file.startsWith(`${folder}/`)),
        folder,
      ).toBe(true);
    }

    const reopened = await openStore(dataDir, { cipher });
    try {
      const contact = await reopened.contacts.findByAuthor('x', { id: '4242', handle: 'hedy_l' });
      expect(contact?.emails).toEqual(['hedy@mgm.example']);
      expect((await reopened.contacts.find('Hedy Lamar'))[0]?.id).toBe(contact?.key); // the search index is built from sealed records
      expect((await reopened.mentions.get('x:1900000000000000001'))?.mention.text).toBe('my card ending 4242 was charged twice');
      expect((await reopened.timeline.forContact(contact?.key ?? ''))[0]?.text).toBe('sent parcel 88-HL');
      expect((await reopened.orders.forContact(contact?.key ?? ''))[0]?.email).toBe('hedy@mgm.example');
      expect((await reopened.outbox.get('view:V1'))?.text).toContain('card ending 4242');
      expect((await reopened.likes.forPerson(contact?.key ?? '', []))[0]?.author.name).toBe('Hedy Lamarr');
      expect((await reopened.conversations.messagesOf('x:dm:4242-1500000000000000001'))[0]?.text).toContain('my flat is 3B');
      expect((await reopened.conversations.forContact(contact?.key ?? ''))[0]?.participants[0]?.handle).toBe('hedy_l');
    } finally {
      reopened.close();
    }
  });

  it('refuses a sealed value moved onto another record instead of showing the other person’s data', async () => {
    const cipher = PiiCipher.fromKeys(TEST_KEY);
    const store = await openStore(dataDir, { cipher });
    const ada = await store.contacts.ensureForAuthor('x', { id: '1', handle: 'ada', name: 'Ada Lovelace', profileUrl: '' });
    const bob = await store.contacts.ensureForAuthor('x', { id: '2', handle: 'bob', name: 'Bob Builder', profileUrl: '' });
    store.close();

    const folder = path.join(dataDir, 'contacts');
    const [file] = (await readdir(folder)).filter((name) => name.endsWith('.json'));
    const full = path.join(folder, file ?? '');
    const data = JSON.parse(await readFile(full, 'utf8')) as { records: Array<{ key: string; sealed: string }> };
    const [first, second] = data.records;
    if (!first || !second) throw new Error('expected two contacts in one file');
    [first.sealed, second.sealed] = [second.sealed, first.sealed];
    await writeFile(full, JSON.stringify(data));

    const error = await openStore(dataDir, { cipher }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SealedDataError);
    expect(String(error)).toMatch(new RegExp(`record (${ada.key}|${bob.key}) .* does not decrypt for this record`));
  });

  it('refuses to open sealed data without a key, or with a key that did not seal it, naming the file', async () => {
    const store = await openStore(dataDir, { cipher: PiiCipher.fromKeys(TEST_KEY) });
    await fillEveryStore(store);
    store.close();
    await expect(openStore(dataDir)).rejects.toThrow(/holds encrypted records, and PII_ENCRYPTION_KEY is not set/);
    await expect(openStore(dataDir, { cipher: PiiCipher.fromKeys(SECOND_TEST_KEY) })).rejects.toThrow(
      /sealed with a key that is not configured: set the old key in PII_ENCRYPTION_OLD_KEYS/,
    );
  });

  it('seals data written before the key was set, with `npm run crm -- encrypt`, and warns until then', async () => {
    const plain = await openStore(dataDir);
    await fillEveryStore(plain);
    plain.close();
    expect(plainFound(await everyFile(dataDir)).length).toBeGreaterThan(0);

    const refused = await crm(dataDir, {}, 'encrypt');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('PII_ENCRYPTION_KEY is not set');

    const withKey = await openStore(dataDir, { cipher: PiiCipher.fromKeys(TEST_KEY) });
    expect(withKey.mentions.sealable.sealing.plain).toBe(1);
    expect(withKey.contacts.sealable.sealing.plain).toBe(1);
    withKey.close();

    const sealed = await crm(dataDir, { PII_ENCRYPTION_KEY: TEST_KEY }, 'encrypt');
    expect(sealed.stderr).toBe('');
    // One record in each of seven collections, and a private conversation with its message.
    expect(sealed.stdout).toMatch(/^Sealed 9 records with the key [0-9a-f]{8}:/);
    expect(plainFound(await everyFile(dataDir))).toEqual([]);

    const again = await crm(dataDir, { PII_ENCRYPTION_KEY: TEST_KEY }, 'encrypt');
    expect(again.stdout).toContain('Sealed 0 records');
  });

  it('rotates: a new key reads the old one’s data while both are set, and `encrypt` moves everything to the new key', async () => {
    const store = await openStore(dataDir, { cipher: PiiCipher.fromKeys(TEST_KEY) });
    await fillEveryStore(store);
    store.close();

    const rotating = PiiCipher.fromKeys(SECOND_TEST_KEY, [TEST_KEY]);
    const both = await openStore(dataDir, { cipher: rotating });
    expect((await both.mentions.get('x:1900000000000000001'))?.mention.author.name).toBe('Hedy Lamarr');
    expect(both.mentions.sealable.sealing.stale).toBe(1);
    both.close();

    const resealed = await crm(dataDir, { PII_ENCRYPTION_KEY: SECOND_TEST_KEY, PII_ENCRYPTION_OLD_KEYS: TEST_KEY }, 'encrypt');
    expect(resealed.stdout).toMatch(/^Sealed 9 records/);

    // The old key can go: everything opens with the new one alone.
    const newOnly = await openStore(dataDir, { cipher: PiiCipher.fromKeys(SECOND_TEST_KEY) });
    try {
      expect((await newOnly.outbox.get('view:V1'))?.text).toContain('card ending 4242');
      expect(newOnly.mentions.sealable.sealing).toEqual({ plain: 0, stale: 0 });
    } finally {
      newOnly.close();
    }
    expect(plainFound(await everyFile(dataDir))).toEqual([]);
  });
});

describe('encryption keys', () => {
  it.each([
    ['a word of 43 letters, valid base64', 'correcthorsebatterystaplecorrecthorsebatter'],
    ['the same word padded', 'correcthorsebatterystaplecorrecthorsebatter='],
    ['all zeros in hex', '0'.repeat(64)],
    ['all zeros in base64', Buffer.alloc(32).toString('base64')],
    ['one letter repeated', 'a'.repeat(64)],
    ['a repeated pattern', '0123456789abcdef'.repeat(4)],
    ['too short', TEST_KEY.slice(0, 62)],
    ['unpadded base64 of 32 bytes', SECOND_TEST_KEY.slice(0, 43)],
  ])('refuses %s', (_what, key) => {
    const parsed = parseKey(key);
    expect('problem' in parsed && parsed.problem).toMatch(/^PII_ENCRYPTION_KEY (must be 32 bytes|is not a random key)/);
    expect('problem' in parsed && parsed.problem).not.toContain(key);
  });

  it.each([
    ['hex from openssl rand -hex 32', TEST_KEY],
    ['base64 from openssl rand -base64 32', SECOND_TEST_KEY],
  ])('accepts %s', (_what, key) => {
    const parsed = parseKey(key);
    expect('key' in parsed && parsed.key.length).toBe(32);
  });
});
