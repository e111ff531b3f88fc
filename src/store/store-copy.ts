import type { AutoReplyDecision, AutoReplyRule } from '../domain/auto-replies/rules.ts';

/**
 * What `npm run store -- migrate` reads from one store and writes to the other, collection by
 * collection: records as the core sees them (decrypted on the way out, sealed with the target's key
 * on the way in), keyed as they are, so copying twice changes nothing the second time.
 */
export const COLLECTIONS = [
  'contacts',
  'mentions',
  'erasedMentions',
  'cursors',
  'outbox',
  'audit',
  'savedReplies',
  'autoReplies',
  'deliveryQueue',
  'webhookInbox',
  'surges',
  'triageCorrections',
  'conversations',
  'directMessages',
  'erasedConversations',
  'timeline',
  'orders',
  'digests',
  'facts',
  'likes',
  'sessions',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

export interface CollectionCopy<T = unknown> {
  count(): Promise<number>;
  read(): AsyncIterable<T>;
  /** Upserts by key: a record already there is replaced by the same record. */
  write(records: readonly T[]): Promise<void>;
}

export type StoreCopy = { [name in CollectionName]: CollectionCopy };

export async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/** A cursor, an erased mention's tombstone, a store-wide fact: the small records beside the collections. */
export interface CursorRow {
  name: string;
  after: string;
}
export interface TombstoneRow {
  hash: string;
  at: string;
}
export interface SessionRow {
  name: string;
  session: unknown;
}
/** Automatic replies travel as one collection: the rules, the pause (when set) and recent decisions. */
export type AutoReplyRow =
  | { kind: 'rule'; rule: AutoReplyRule }
  | { kind: 'pause'; paused: { by: string; at: string } }
  | { kind: 'decision'; decision: AutoReplyDecision };

export interface FactRow {
  name: string;
  value: string;
}
