import { openFileStore } from '../../src/store/files/file-store.ts';
import { describeStoreContract } from '../contract/store-contract.ts';
import { tempDataDir } from '../helpers/harness.ts';

// The lowdb adapter against the repositories' contract (PostgreSQL runs the same suite in test/real).
describeStoreContract('lowdb files', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>> | undefined;
  const dir = async () => {
    data ??= await tempDataDir();
    return data.dir;
  };
  return {
    open: async () => openFileStore(await dir()),
    reopen: async () => openFileStore(await dir()),
    cleanup: async () => data?.remove(),
  };
});
