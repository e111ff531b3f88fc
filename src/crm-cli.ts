import './quiet-dotenv.ts';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { CustomerDataError, parseCustomerFile } from './domain/customer-data.ts';
import { CustomerSync } from './services/customer-sync.ts';
import { DataDirLockedError } from './store/files/data-dir-lock.ts';
import { openFileStore } from './store/files/file-store.ts';
import { StoreFileError } from './store/files/json-file.ts';
import { openConfiguredStore } from './store/open-store.ts';
import { cipherFromEnvironment } from './store/pii-cipher.ts';

/**
 * `npm run crm -- import <file>` / `npm run crm -- export <file>`: customers and orders in and
 * out of DATA_DIR. An import is checked in full before anything is written (errors name the row
 * and field), and applying the same file twice changes nothing the second time.
 * `npm run crm -- encrypt`: seals, with PII_ENCRYPTION_KEY, all personal data written before the
 * key was set or sealed with an older key (PII_ENCRYPTION_OLD_KEYS).
 */
const USAGE = [
  'Usage: npm run crm -- import <customers.csv | orders.csv | data.json>',
  '       npm run crm -- export <file.json>',
  '       npm run crm -- encrypt',
].join('\n');

async function run(args: string[]): Promise<number> {
  loadDotenv({ quiet: true });
  const [command, file] = args;
  const dataDir = process.env.DATA_DIR || './data';
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const cipher = cipherFromEnvironment(process.env);
  if (command === 'encrypt' && !file) {
    if (databaseUrl) {
      process.stderr.write(
        'encrypt works on the files in DATA_DIR. With DATABASE_URL, set PII_ENCRYPTION_KEY before `npm run store -- migrate`: it seals as it copies.\n',
      );
      return 2;
    }
    if (!cipher) {
      process.stderr.write('PII_ENCRYPTION_KEY is not set: generate one with `openssl rand -hex 32`, set it, and run this again.\n');
      return 2;
    }
    const store = await openFileStore(dataDir, { cipher });
    try {
      const lines: string[] = [];
      let total = 0;
      for (const [name, collection] of Object.entries(store.sealable())) {
        const resealed = await collection.resealAll();
        total += resealed;
        if (resealed) lines.push(`  ${name}: ${resealed}`);
      }
      process.stdout.write(
        `Sealed ${total} records with the key ${cipher.keyId}${total ? `:\n${lines.join('\n')}` : ' (all were already)'}.\n` +
          'Older keys are no longer needed for this data folder: remove them from PII_ENCRYPTION_OLD_KEYS.\n',
      );
    } finally {
      await store.close();
    }
    return 0;
  }
  if (!file || (command !== 'import' && command !== 'export')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  if (command === 'import') {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    // Parsed and checked before the store is even opened: a bad file changes nothing.
    const data = parseCustomerFile(text, path.extname(file).toLowerCase() === '.json' ? 'json' : 'csv');
    const { store } = await openConfiguredStore({ dataDir, databaseUrl }, { cipher });
    try {
      const sync = new CustomerSync(store);
      // One cut short earlier (a crash, Ctrl-C) is finished first: imports run one after another.
      const finished = await sync.finishInterrupted();
      if (finished) process.stdout.write(`Finished ${finished} import(s) that an earlier run had cut short.\n`);
      const result = await sync.apply(data);
      const { customers: c, orders: o } = result;
      process.stdout.write(
        `Imported ${file}: customers ${c.created} new, ${c.updated} updated, ${c.unchanged} unchanged; ` +
          `orders ${o.created} new, ${o.updated} updated, ${o.unchanged} unchanged${o.unlinked ? `, ${o.unlinked} not linked to a contact (no matching customer ID or email)` : ''}.\n`,
      );
    } finally {
      await store.close();
    }
    return 0;
  }
  // The export holds personal data in clear: never inside the data folder (it could overwrite a
  // store file, and the bot would then refuse to start), and readable by its owner only.
  const target = path.resolve(file);
  const relative = path.relative(path.resolve(dataDir), target);
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) {
    process.stderr.write(`Refusing to export into the data folder (${dataDir}): choose a file outside it.\n`);
    return 2;
  }
  const { store } = await openConfiguredStore({ dataDir, databaseUrl }, { cipher });
  try {
    const customers = [];
    for await (const contact of store.contacts.all()) {
      customers.push({
        externalId: contact.fields?.external_id ?? contact.key,
        name: contact.name,
        email: contact.emails?.[0],
        phone: contact.phone,
        company: contact.company,
        tags: contact.tags ?? [],
        handle: contact.identities.find((identity) => identity.platform === 'x')?.handle,
        mastodon: contact.identities.find((identity) => identity.platform === 'mastodon')?.handle,
        bluesky: contact.identities.find((identity) => identity.platform === 'bluesky')?.handle,
      });
    }
    const orders = [];
    for await (const order of store.orders.all()) {
      const { key: _key, importedAt: _importedAt, contactId: _contactId, ...rest } = order;
      orders.push(rest);
    }
    await writeFile(target, `${JSON.stringify({ customers, orders }, null, 2)}\n`, { mode: 0o600 });
    await chmod(target, 0o600); // mode applies only when the file is new
    process.stdout.write(`Exported ${customers.length} customers and ${orders.length} orders to ${file}.\n`);
  } finally {
    await store.close();
  }
  return 0;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof CustomerDataError) {
    process.stderr.write(`Nothing was imported: ${error.problems.length} problem(s) in the file\n`);
    for (const problem of error.problems) process.stderr.write(`  row ${problem.row}, ${problem.field}: ${problem.message}\n`);
  } else if (error instanceof DataDirLockedError) {
    process.stderr.write(`${error.message}\nStop the bot first, or push the data to its POST /crm/sync endpoint.\n`);
  } else if (error instanceof StoreFileError || error instanceof Error) {
    process.stderr.write(`${error.message}\n`);
  }
  process.exitCode = 1;
}
