import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signSyncBody } from '../../src/http/crm-sync-route.ts';
import { runCrmCli } from '../helpers/crm-cli.ts';
import { useTestBed } from '../helpers/harness.ts';
import { SECOND_TEST_KEY, TEST_KEY } from '../helpers/keys.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

const SECRET = 'sync-secret-0123456789abcdef';

const crm = (dataDir: string, ...args: string[]) => runCrmCli(dataDir, args);

const CUSTOMERS_CSV = [
  '\uFEFFexternal_id,name,email,company,tags,x_handle',
  'C-1,Margaret Hamilton,margaret@nasa.gov,"NASA, Apollo Program",vip;apollo,mhamilton',
  'C-2,"Lovelace, Ada",ADA@engines.co.uk,Analytical Engines,,',
  '',
].join('\r\n');

const ORDERS_CSV = [
  'order_id,customer_id,email,total,currency,status,created_at',
  'O-1,C-1,,49.90,eur,paid,2026-11-20',
  'O-2,,ada@engines.co.uk,"1 200,50",EUR,shipped,2026-11-21T10:00:00Z',
].join('\n');

describe('customer and order sync: npm run crm -- import/export', () => {
  const bed = useTestBed();

  it('imports customers and orders from CSV (BOM, quoted commas, CRLF), idempotently', async () => {
    await writeFile(path.join(bed.dataDir, 'customers.csv'), CUSTOMERS_CSV);
    await writeFile(path.join(bed.dataDir, 'orders.csv'), ORDERS_CSV);
    const first = await crm(bed.dataDir, 'import', 'customers.csv');
    expect(first.stdout).toContain('customers 2 new, 0 updated, 0 unchanged');
    expect((await crm(bed.dataDir, 'import', 'orders.csv')).stdout).toContain('orders 2 new, 0 updated, 0 unchanged');

    const again = await crm(bed.dataDir, 'import', 'customers.csv');
    expect(again.stdout).toContain('customers 0 new, 0 updated, 2 unchanged');
    expect((await crm(bed.dataDir, 'import', 'orders.csv')).stdout).toContain('orders 0 new, 0 updated, 2 unchanged');

    // Outside the data folder: an export is never written into it.
    const out = `${bed.dataDir}-export.json`;
    expect((await crm(bed.dataDir, 'export', out)).stdout).toContain('Exported 2 customers and 2 orders');
    const exported = JSON.parse(await readFile(out, 'utf8'));
    await rm(out, { force: true });
    expect(exported.customers.find((c: { externalId: string }) => c.externalId === 'C-2')).toMatchObject({
      name: 'Lovelace, Ada',
      email: 'ada@engines.co.uk',
    });
    expect(exported.orders.find((o: { externalId: string }) => o.externalId === 'O-2')).toMatchObject({
      totalCents: 120050,
      currency: 'EUR',
    });

    // The imported customer is the contact a mention from @mhamilton lands on, with orders on the card.
    await bed.start();
    const flow = replyFlow(
      () => bed.standins,
      () => bed.bot.url,
    );
    await flow.mention('where is my order O-1?', { username: 'mhamilton', name: 'M. Hamilton' });
    const card = JSON.stringify(await flow.command('lookup @mhamilton'));
    expect(card).toContain('Margaret Hamilton');
    expect(card).toContain('NASA, Apollo Program');
    expect(card).toContain('*Orders* 1 · 49.90 EUR');
    expect(card).toContain('*Mentions* 1');
  });

  it('refuses a file with bad rows, naming each row and field, and imports nothing', async () => {
    const bad = [
      'order_id,customer_id,email,total,currency,status,created_at',
      'O-1,C-1,,49.90,EUR,paid,2026-11-20',
      'O-2,C-1,,abc,EUR,paid,2026-11-21',
      'O-3,,,10.00,EURO,paid,31/02/2026',
      'O-1,C-1,,49.90,EUR,paid,2026-11-20',
    ].join('\n');
    await writeFile(path.join(bed.dataDir, 'bad.csv'), bad);
    const result = await crm(bed.dataDir, 'import', 'bad.csv');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Nothing was imported: 5 problem(s)');
    expect(result.stderr).toContain('row 3, total: "abc" is not an amount');
    expect(result.stderr).toContain('row 4, customer_id: a customer_id or an email is required');
    expect(result.stderr).toContain('row 4, currency: "EURO" is not a currency code');
    expect(result.stderr).toContain('row 4, created_at: "31/02/2026" is not a date');
    expect(result.stderr).toContain('row 5, order_id: "O-1" appears twice');
    expect((await readdir(bed.dataDir)).sort()).toEqual(['bad.csv']);
  });

  it('answers usage for a bad command and a clear line for a missing file', async () => {
    expect((await crm(bed.dataDir, 'frobnicate')).stderr).toContain('Usage: npm run crm -- import');
    const missing = await crm(bed.dataDir, 'import', 'nope.csv');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read nope.csv: no such file');
  });
});

describe('customer and order sync: POST /crm/sync', () => {
  const bed = useTestBed();

  const post = async (body: string, headers: Record<string, string>) => {
    const response = await fetch(`${bed.bot.url}/crm/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  const signed = (body: string, timestamp = Math.floor(Date.now() / 1000)) => ({
    'x-switchboard-timestamp': String(timestamp),
    'x-switchboard-signature': signSyncBody(SECRET, timestamp, body),
  });
  const payload = JSON.stringify({
    customers: [{ externalId: 'C-9', name: 'Katherine Johnson', email: 'kj@nasa.gov', handle: '@katherine_j' }],
    orders: [{ externalId: 'O-9', customerExternalId: 'C-9', total: '19.99', currency: 'USD', createdAt: '2026-11-24T08:00:00Z' }],
  });
  const files = async () => (await readdir(bed.dataDir, { recursive: true })).filter((f) => f.endsWith('.json')).sort();

  it('applies a signed push, and the same push again changes nothing', async () => {
    await bed.start({ CRM_SYNC_SECRET: SECRET });
    const first = await post(payload, signed(payload));
    expect(first).toMatchObject({ status: 200, json: { ok: true, customers: { created: 1 }, orders: { created: 1 } } });
    // The same data pushed again, signed anew (a replayed signature is refused: see below).
    const again = await post(payload, signed(payload, Math.floor(Date.now() / 1000) + 1));
    expect(again.json).toMatchObject({ customers: { created: 0, unchanged: 1 }, orders: { created: 0, unchanged: 1 } });
    const flow = replyFlow(
      () => bed.standins,
      () => bed.bot.url,
    );
    const card = JSON.stringify(await flow.command('lookup kj@nasa.gov'));
    expect(card).toContain('Katherine Johnson');
    expect(card).toContain('19.99 USD');
  });

  it('links pushed customers by their handles on all three networks, and refuses malformed ones', async () => {
    await bed.start({ CRM_SYNC_SECRET: SECRET });
    const body = JSON.stringify({
      customers: [
        { externalId: 'C-7', name: 'Hedy Lamarr', handle: 'hedy_l', mastodon: '@hedy@mastodon.example', bluesky: 'hedy.bsky.social' },
      ],
    });
    expect((await post(body, signed(body))).json).toMatchObject({ ok: true, customers: { created: 1 } });
    const flow = replyFlow(
      () => bed.standins,
      () => bed.bot.url,
    );
    for (const handle of ['@hedy_l', '@hedy@mastodon.example', '@hedy.bsky.social']) {
      const card = JSON.stringify(await flow.command(`lookup ${handle}`));
      expect(card, handle).toContain('Hedy Lamarr');
      expect(card, handle).toContain('Mastodon <https://mastodon.example/@hedy|@hedy@mastodon.example>');
      expect(card, handle).toContain('Bluesky <https://bsky.app/profile/hedy.bsky.social|@hedy.bsky.social>');
    }
    const bad = JSON.stringify({ customers: [{ externalId: 'C-8', name: 'Bad', mastodon: 'just_a_name', bluesky: 'no dots' }] });
    const refused = await post(bad, signed(bad));
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('is not a Mastodon handle like name@mastodon.social');
    expect(JSON.stringify(refused.json)).toContain('is not a Bluesky handle like name.bsky.social');
  });

  it('refuses a bad signature, a stale timestamp and malformed bodies with 4xx, storing nothing', async () => {
    await bed.start({ CRM_SYNC_SECRET: SECRET });
    const before = await files();
    expect((await post(payload, { ...signed(payload), 'x-switchboard-signature': 'v1=00' })).status).toBe(401);
    expect((await post(payload, signed(payload, Math.floor(Date.now() / 1000) - 600))).json).toMatchObject({
      error: 'stale_or_missing_timestamp',
    });
    expect((await post(payload, {})).status).toBe(401);
    expect((await post('{not json', signed('{not json'))).json).toMatchObject({ error: 'malformed_json' });
    const invalid = JSON.stringify({ customers: [{ externalId: '', name: 'x', email: 'not-an-email' }] });
    const refused = await post(invalid, signed(invalid));
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json.problems)).toContain('"field":"email"');
    expect(await files()).toEqual(before);
  });

  it('checks the headers before reading a body, answers 413 to an oversized one, and refuses a replayed push', async () => {
    await bed.start({ CRM_SYNC_SECRET: SECRET });
    // Unsigned (or stale) is refused before a byte of the body is read, whatever its size.
    const big = 'x'.repeat(4 * 1024 * 1024);
    expect((await post(big, {})).status).toBe(401);
    expect((await post(big, { ...signed(payload), 'x-switchboard-signature': 'sha256=nope' })).status).toBe(401);
    // Over the limit: 413, as an answer the sender can read, not a reset connection.
    const huge = JSON.stringify({ customers: [{ externalId: 'C-9', name: 'y'.repeat(6 * 1024 * 1024) }] });
    const tooLarge = await post(huge, signed(huge));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toMatchObject({ error: 'body_too_large' });
    // The same signed push twice: applied once, the second refused for the whole window.
    const once = JSON.stringify({ customers: [{ externalId: 'C-10', name: 'Radia Perlman' }] });
    const headers = signed(once);
    expect((await post(once, headers)).status).toBe(200);
    const replayed = await post(once, headers);
    expect(replayed).toMatchObject({ status: 409, json: { error: 'replayed' } });
  });

  it('validates every field: types, lengths and real dates, one problem per row and field', async () => {
    await bed.start({ CRM_SYNC_SECRET: SECRET });
    const before = await files();
    const bad = JSON.stringify({
      customers: [
        { externalId: 'C-11', name: { first: 'Ada' } },
        { externalId: 'C-12', name: 'z'.repeat(1_000_000) },
        { externalId: 'C-13', name: 'Ok', tags: [{ vip: true }] },
      ],
      orders: [{ order_id: 'O-1', customer_id: 'C-1', total: '10.00', currency: 'EUR', created_at: '2026-02-31' }],
    });
    const refused = await post(bad, signed(bad));
    expect(refused.status).toBe(400);
    expect(refused.json.problems).toEqual(
      expect.arrayContaining([
        { row: 1, field: 'name', message: 'must be text' },
        { row: 2, field: 'name', message: 'is longer than 200 characters' },
        expect.objectContaining({ row: 3, field: 'tags' }),
        { row: 1, field: 'created_at', message: '"2026-02-31" is not a date like 2026-11-25 or 2026-11-25T09:30:00Z' },
      ]),
    );
    expect(JSON.stringify(refused.json)).not.toContain('[object Object]');
    expect(await files()).toEqual(before);
  });

  it('is not there when CRM_SYNC_SECRET is not set', async () => {
    await bed.start();
    const response = await fetch(`${bed.bot.url}/crm/sync`, { method: 'POST', body: payload });
    expect(response.status).toBe(404);
  });
});

describe('contacts encrypted at rest (PII_ENCRYPTION_KEY)', () => {
  const bed = useTestBed();
  const KEY = TEST_KEY;

  it('keeps no plain email or name in the contact files, and still finds the contact', async () => {
    await bed.start({ CRM_SYNC_SECRET: SECRET, PII_ENCRYPTION_KEY: KEY });
    const body = JSON.stringify({
      customers: [{ externalId: 'C-7', name: 'Hedy Lamarr', email: 'hedy@mgm.example', phone: '+1 555 0100' }],
    });
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${bed.bot.url}/crm/sync`, {
      method: 'POST',
      headers: { 'x-switchboard-timestamp': String(timestamp), 'x-switchboard-signature': signSyncBody(SECRET, timestamp, body) },
      body,
    });
    expect(response.status).toBe(200);
    const contactFiles = await readdir(path.join(bed.dataDir, 'contacts'));
    const onDisk = (await Promise.all(contactFiles.map((file) => readFile(path.join(bed.dataDir, 'contacts', file), 'utf8')))).join();
    expect(onDisk).toContain('"sealed":"v2.');
    for (const plain of ['hedy@mgm.example', 'Hedy Lamarr', '555 0100']) expect(onDisk).not.toContain(plain);

    const flow = replyFlow(
      () => bed.standins,
      () => bed.bot.url,
    );
    const card = JSON.stringify(await flow.command('lookup hedy@mgm.example'));
    expect(card).toContain('Hedy Lamarr');
    expect(card).toContain('+1 555 0100');
  });

  it('refuses to start with the wrong key or none, saying why', async () => {
    await bed.start({ PII_ENCRYPTION_KEY: KEY });
    const flow = replyFlow(
      () => bed.standins,
      () => bed.bot.url,
    );
    await flow.mention('hello', { username: 'grace_h', name: 'Grace Hopper' });
    await bed.bot.stop();
    const { spawnBot } = await import('../helpers/harness.ts');
    for (const [key, reason] of [
      [SECOND_TEST_KEY, 'sealed with a key that is not configured: set the old key in PII_ENCRYPTION_OLD_KEYS'],
      ['', 'PII_ENCRYPTION_KEY is not set'],
    ] as const) {
      const child = await spawnBot(bed.env({ PII_ENCRYPTION_KEY: key }), { waitForListening: false });
      expect((await child.exited).code).toBe(1);
      expect(child.stderr.join('\n')).toContain(reason);
    }
  });
});
