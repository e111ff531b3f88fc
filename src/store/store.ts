import { ContactStore } from './contact-store.ts';
import { CursorStore } from './cursor-store.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { MentionStore } from './mention-store.ts';

/** Every store file under DATA_DIR, opened together so that a bad file stops start-up before anything runs. */
export interface Store {
  mentions: MentionStore;
  contacts: ContactStore;
  cursors: CursorStore;
  close(): void;
}

export async function openStore(dataDir: string): Promise<Store> {
  const lock = DataDirLock.acquire(dataDir);
  try {
    const [mentions, contacts, cursors] = await Promise.all([
      MentionStore.open(dataDir),
      ContactStore.open(dataDir),
      CursorStore.open(dataDir),
    ]);
    return { mentions, contacts, cursors, close: () => lock.release() };
  } catch (error) {
    lock.release();
    throw error;
  }
}
