import { randomUUID } from 'node:crypto';
import type { Store } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import type { StoreCopy } from '../store-copy.ts';
import { Db } from './db.ts';
import { migrate } from './migrations.ts';
import { PgAutoReplies } from './pg-auto-replies.ts';
import { PgContacts } from './pg-contacts.ts';
import { PgDeliveryQueue } from './pg-delivery-queue.ts';
import { PgSurges } from './pg-surges.ts';
import { PgWebhookInbox } from './pg-webhook-inbox.ts';
import {
  PgAudit,
  PgConversations,
  PgCursors,
  PgDigestLog,
  PgLikes,
  PgMentions,
  PgOrders,
  PgOutbox,
  PgSavedReplies,
  PgSessions,
  PgTimeline,
  PgTriageCorrections,
} from './postgres-repositories.ts';

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  /** The pool, for what runs beside the repositories (leases, the outbox claim). */
  readonly db: Db;
  /** How many schema steps this start applied. */
  readonly migrated: number;
  /** Every collection, for `npm run store -- migrate`. */
  copy(): StoreCopy;
}

export interface PostgresStoreOptions {
  cipher?: PiiCipher;
  /** Connections in the pool (each replica has its own). */
  poolSize?: number;
}

/**
 * The PostgreSQL adapter (DATABASE_URL): several replicas share one database. The schema is
 * migrated at open under an advisory lock; operations over several repositories run in one
 * transaction (`atomically`), so there is nothing to finish after a crash.
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const db = Db.connect(url, { max: options.poolSize });
  try {
    const migrated = await migrate(db);
    const { cipher } = options;
    const { contacts, stop } = await PgContacts.open(db, url, cipher);
    const bind = (on: Db) => ({
      mentions: new PgMentions(on, cipher),
      contacts: contacts.bind(on),
      cursors: new PgCursors(on),
      outbox: new PgOutbox(on, cipher),
      audit: new PgAudit(on, cipher),
      savedReplies: new PgSavedReplies(on),
      autoReplies: new PgAutoReplies(on),
      deliveryQueue: new PgDeliveryQueue(on),
      webhookInbox: new PgWebhookInbox(on, cipher),
      surges: new PgSurges(on),
      triageCorrections: new PgTriageCorrections(on),
      conversations: new PgConversations(on, cipher),
      timeline: new PgTimeline(on, cipher),
      orders: new PgOrders(on, cipher),
      digests: new PgDigestLog(on),
      likes: new PgLikes(on, cipher),
      sessions: new PgSessions(on, cipher),
    });
    const repositories = bind(db);
    return {
      kind: 'postgres',
      db,
      migrated,
      ...repositories,
      copy: () => ({
        contacts: repositories.contacts.copy,
        mentions: repositories.mentions.copy,
        erasedMentions: repositories.mentions.erasedCopy,
        cursors: repositories.cursors.copy,
        outbox: repositories.outbox.copy,
        audit: repositories.audit.copy,
        savedReplies: repositories.savedReplies.copy,
        autoReplies: repositories.autoReplies.copy,
        deliveryQueue: repositories.deliveryQueue.copy,
        webhookInbox: repositories.webhookInbox.copy,
        surges: repositories.surges.copy,
        triageCorrections: repositories.triageCorrections.copy,
        ...repositories.conversations.copy,
        timeline: repositories.timeline.copy,
        orders: repositories.orders.copy,
        digests: repositories.digests.copy,
        facts: repositories.digests.factsCopy,
        likes: repositories.likes.copy,
        sessions: repositories.sessions.copy,
      }),
      atomically: (_operation, apply) => db.transaction((tx) => apply(bind(tx), randomUUID())),
      together: (work) => db.transaction((tx) => work(bind(tx))),
      interrupted: async () => [],
      close: async () => {
        await stop();
        await db.end();
      },
    };
  } catch (error) {
    await db.end().catch(() => {});
    throw error;
  }
}
