import { chmod, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AuditStore } from './audit-store.ts';
import { ContactStore } from './contact-store.ts';
import { CursorStore } from './cursor-store.ts';
import { DataDirLock, type DataDirLockOptions } from './data-dir-lock.ts';
import { DigestLogStore } from './digest-log-store.ts';
import { Journal } from './journal.ts';
import { LikeStore } from './like-store.ts';
import { MentionStore } from './mention-store.ts';
import { OrderStore } from './order-store.ts';
import { OutboxStore } from './outbox-store.ts';
import type { PiiCipher } from './pii-cipher.ts';
import { SavedReplyStore } from './saved-reply-store.ts';
import type { Sealable } from './segmented-collection.ts';
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
  /** Merges and erasures in progress: finished at start-up if a crash cut one short. */
  journal: Journal;
  close(): void;
}

export interface StoreOptions {
  /** Seals personal data at rest (PII_ENCRYPTION_KEY, and PII_ENCRYPTION_OLD_KEYS while rotating). */
  cipher?: PiiCipher;
  /** The data folder's lock: heartbeat and staleness (tests shorten them). */
  lock?: DataDirLockOptions;
}

export async function openStore(dataDir: string, options: StoreOptions = {}): Promise<Store> {
  const { cipher } = options;
  const lock = await DataDirLock.acquire(dataDir, options.lock);
  try {
    await keepPrivate(dataDir);
    const [mentions, contacts, cursors, outbox, audit, savedReplies, timeline, orders, digests, likes, journal] = await Promise.all([
      MentionStore.open(dataDir, { cipher }),
      ContactStore.open(dataDir, { cipher }),
      CursorStore.open(dataDir),
      OutboxStore.open(dataDir, { cipher }),
      AuditStore.open(dataDir, { cipher }),
      SavedReplyStore.open(dataDir),
      TimelineStore.open(dataDir, { cipher }),
      OrderStore.open(dataDir, { cipher }),
      DigestLogStore.open(dataDir),
      LikeStore.open(dataDir, { cipher }),
      Journal.open(dataDir),
    ]);
    return {
      mentions,
      contacts,
      cursors,
      outbox,
      audit,
      savedReplies,
      timeline,
      orders,
      digests,
      likes,
      journal,
      close: () => lock.release(),
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** Every collection that holds personal data, by its folder name: what `encrypt` re-seals. */
export function sealableCollections(store: Store): Record<string, Sealable> {
  return {
    mentions: store.mentions.sealable,
    contacts: store.contacts.sealable,
    likes: store.likes.sealable,
    orders: store.orders.sealable,
    outbox: store.outbox.sealable,
    audit: store.audit.sealable,
    timeline: store.timeline.sealable,
  };
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
