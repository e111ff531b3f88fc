import { chmod, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { InterruptedOperation, Store } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import type { StoreCopy } from '../store-copy.ts';
import { AuditStore } from './audit-store.ts';
import { AutoReplyStore } from './auto-reply-store.ts';
import { ContactStore } from './contact-store.ts';
import { ConversationStore } from './conversation-store.ts';
import { CursorStore } from './cursor-store.ts';
import { DataDirLock, type DataDirLockOptions } from './data-dir-lock.ts';
import { DeliveryQueueStore } from './delivery-queue-store.ts';
import { DigestLogStore } from './digest-log-store.ts';
import { Journal } from './journal.ts';
import { LikeStore } from './like-store.ts';
import { MentionStore } from './mention-store.ts';
import { OrderStore } from './order-store.ts';
import { OutboxStore } from './outbox-store.ts';
import { SavedReplyStore } from './saved-reply-store.ts';
import type { Sealable } from './segmented-collection.ts';
import { SessionStore } from './session-store.ts';
import { SurgeStore } from './surge-store.ts';
import { TimelineStore } from './timeline-store.ts';
import { TriageCorrectionStore } from './triage-correction-store.ts';
import { WebhookInboxStore } from './webhook-inbox-store.ts';

/** The lowdb adapter: every store file under DATA_DIR, opened together so a bad file stops start-up before anything runs. */
export interface FileStore extends Store {
  readonly kind: 'files';
  mentions: MentionStore;
  contacts: ContactStore;
  cursors: CursorStore;
  outbox: OutboxStore;
  audit: AuditStore;
  savedReplies: SavedReplyStore;
  autoReplies: AutoReplyStore;
  deliveryQueue: DeliveryQueueStore;
  webhookInbox: WebhookInboxStore;
  surges: SurgeStore;
  triageCorrections: TriageCorrectionStore;
  conversations: ConversationStore;
  timeline: TimelineStore;
  orders: OrderStore;
  digests: DigestLogStore;
  likes: LikeStore;
  sessions: SessionStore;
  /** Every collection that holds personal data, by its folder name: what `encrypt` re-seals. */
  sealable(): Record<string, Sealable>;
  /** Every collection, for `npm run store -- migrate`. */
  copy(): StoreCopy;
}

export interface FileStoreOptions {
  /** Seals personal data at rest (PII_ENCRYPTION_KEY, and PII_ENCRYPTION_OLD_KEYS while rotating). */
  cipher?: PiiCipher;
  /** The data folder's lock: heartbeat and staleness (tests shorten them). */
  lock?: DataDirLockOptions;
}

export async function openFileStore(dataDir: string, options: FileStoreOptions = {}): Promise<FileStore> {
  const { cipher } = options;
  const lock = await DataDirLock.acquire(dataDir, options.lock);
  try {
    await keepPrivate(dataDir);
    const [
      mentions,
      contacts,
      cursors,
      outbox,
      audit,
      savedReplies,
      autoReplies,
      deliveryQueue,
      webhookInbox,
      surges,
      triageCorrections,
      conversations,
      timeline,
      orders,
      digests,
      likes,
      journal,
    ] = await Promise.all([
      MentionStore.open(dataDir, { cipher }),
      ContactStore.open(dataDir, { cipher }),
      CursorStore.open(dataDir),
      OutboxStore.open(dataDir, { cipher }),
      AuditStore.open(dataDir, { cipher }),
      SavedReplyStore.open(dataDir),
      AutoReplyStore.open(dataDir),
      DeliveryQueueStore.open(dataDir),
      WebhookInboxStore.open(dataDir, { cipher }),
      SurgeStore.open(dataDir),
      TriageCorrectionStore.open(dataDir),
      ConversationStore.open(dataDir, { cipher }),
      TimelineStore.open(dataDir, { cipher }),
      OrderStore.open(dataDir, { cipher }),
      DigestLogStore.open(dataDir),
      LikeStore.open(dataDir, { cipher }),
      Journal.open(dataDir, { cipher }),
    ]);
    const sessions = new SessionStore(dataDir, cipher);
    const repositories = {
      mentions,
      contacts,
      cursors,
      outbox,
      audit,
      savedReplies,
      autoReplies,
      deliveryQueue,
      webhookInbox,
      surges,
      triageCorrections,
      conversations,
      timeline,
      orders,
      digests,
      likes,
      sessions,
    };
    return {
      kind: 'files',
      ...repositories,
      // Files have no transactions: the journal makes a multi-file operation all-or-nothing by
      // finishing it, at the next start, when a crash or an error cut it short.
      atomically: (operation, apply) => journal.run(operation, (id) => apply(repositories, id)),
      together: (work) => work(repositories),
      interrupted: async (): Promise<InterruptedOperation[]> =>
        journal.pending().map(({ id, entry, done }) => ({ id, operation: entry, done })),
      sealable: () => ({
        mentions: mentions.sealable,
        contacts: contacts.sealable,
        likes: likes.sealable,
        orders: orders.sealable,
        outbox: outbox.sealable,
        audit: audit.sealable,
        timeline: timeline.sealable,
        ...conversations.sealable,
      }),
      copy: () => ({
        contacts: contacts.copy,
        mentions: mentions.copy,
        erasedMentions: mentions.erasedCopy,
        cursors: cursors.copy,
        outbox: outbox.copy,
        audit: audit.copy,
        savedReplies: savedReplies.copy,
        autoReplies: autoReplies.copy,
        deliveryQueue: deliveryQueue.copy,
        webhookInbox: webhookInbox.copy,
        surges: surges.copy,
        triageCorrections: triageCorrections.copy,
        ...conversations.copy,
        timeline: timeline.copy,
        orders: orders.copy,
        digests: digests.copy,
        facts: digests.factsCopy,
        likes: likes.copy,
        sessions: sessions.copy,
      }),
      close: async () => lock.release(),
    };
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
    // A temp file a finishing write renamed away meanwhile is not an error: it is gone.
    const tighten = (mode: number) =>
      chmod(full, mode).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    if (entry.isDirectory()) await tighten(0o700);
    else if (entry.isFile()) await tighten(0o600);
  }
}
