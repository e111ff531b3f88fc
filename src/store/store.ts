import { chmod, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AuditStore } from './audit-store.ts';
import { ContactStore } from './contact-store.ts';
import { CursorStore } from './cursor-store.ts';
import { DataDirLock } from './data-dir-lock.ts';
import { DigestLogStore } from './digest-log-store.ts';
import { LikeStore } from './like-store.ts';
import { MentionStore } from './mention-store.ts';
import { OrderStore } from './order-store.ts';
import { OutboxStore } from './outbox-store.ts';
import { PiiCipher } from './pii-cipher.ts';
import { SavedReplyStore } from './saved-reply-store.ts';
import { TimelineStore } from './timeline-store.ts';

/** Every store file under DATA_DIR, opened together so that a bad file stops start-up before anything runs. */
export interface Store {
  mentions: MentionStore;
  contacts: ContactStore;
  cursors: CursorStore;
  outbox: OutboxStore;
  audit: AuditStore;
  savedReplies: SavedReplyStore;
  timeline: TimelineStore;
  orders: OrderStore;
  digests: DigestLogStore;
  likes: LikeStore;
  close(): void;
}

export async function openStore(dataDir: string, options: { piiEncryptionKey?: string } = {}): Promise<Store> {
  const cipher = options.piiEncryptionKey ? PiiCipher.fromKey(options.piiEncryptionKey) : undefined;
  const lock = DataDirLock.acquire(dataDir);
  try {
    await keepPrivate(dataDir);
    const [mentions, contacts, cursors, outbox, audit, savedReplies, timeline, orders, digests, likes] = await Promise.all([
      MentionStore.open(dataDir),
      ContactStore.open(dataDir, { cipher }),
      CursorStore.open(dataDir),
      OutboxStore.open(dataDir),
      AuditStore.open(dataDir),
      SavedReplyStore.open(dataDir),
      TimelineStore.open(dataDir),
      OrderStore.open(dataDir),
      DigestLogStore.open(dataDir),
      LikeStore.open(dataDir),
    ]);
    return { mentions, contacts, cursors, outbox, audit, savedReplies, timeline, orders, digests, likes, close: () => lock.release() };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/**
 * The data folder holds personal data: only its owner may read it (folders 0700, files 0600).
 * Files an earlier version wrote readable by all are tightened at every start.
 */
async function keepPrivate(dataDir: string): Promise<void> {
  await chmod(dataDir, 0o700);
  for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await chmod(full, 0o700);
    else if (entry.isFile()) await chmod(full, 0o600);
  }
}
