import { afterAll, beforeAll } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { describeStoreContract } from '../contract/store-contract.ts';
import { type RealPostgres, requirePostgres, startRealPostgres } from './services.ts';

// The PostgreSQL adapter against the repositories' contract: the same suite the lowdb files pass
// (test/unit/store-contract-files.test.ts), on a real PostgreSQL 18 started for this file.
const available = await requirePostgres();
let server: RealPostgres;
beforeAll(async () => {
  if (available) server = await startRealPostgres();
});
afterAll(async () => {
  await server?.stop();
});

if (available)
  describeStoreContract('PostgreSQL', () => {
    let url: string | undefined;
    const database = async () => {
      url ??= await server.createDatabase();
      return url;
    };
    return {
      open: async () => openPostgresStore(await database()),
      reopen: async () => openPostgresStore(await database()),
      openAnother: async () => openPostgresStore(await database()),
      cleanup: async () => {
        if (url) await server.dropDatabase(url);
      },
    };
  });
