import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { AuditEntry } from '../../domain/records.ts';
import type { AuditRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isAuditEntry, PERSONAL } from '../record-shapes.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

export class AuditStore implements AuditRepository {
  private constructor(private readonly collection: SegmentedCollection<AuditEntry, 'text' | 'detail'>) {}

  /** What `npm run crm -- encrypt` re-seals. */
  get sealable(): Sealable {
    return this.collection;
  }

  /** What `npm run store -- migrate` copies. */
  get copy(): CollectionCopy {
    return this.collection.copier();
  }

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<AuditStore> {
    return new AuditStore(
      await SegmentedCollection.open<AuditEntry, 'text' | 'detail'>(path.join(dataDir, 'audit'), {
        partitionOf: (entry) => entry.at.slice(0, 10),
        isRecord: isAuditEntry,
        // Reply texts name the person; details can quote a platform's answer about them.
        personal: PERSONAL.audit,
        cipher: options.cipher,
      }),
    );
  }

  /** Adds an entry; one given a `key` (an operation run again after a crash) is stored once. */
  async record(entry: Omit<AuditEntry, 'key' | 'at'> & { at?: string; key?: string }): Promise<AuditEntry> {
    const stored: AuditEntry = { ...entry, key: entry.key ?? randomUUID(), at: entry.at ?? new Date().toISOString() };
    await this.collection.put(stored);
    return stored;
  }

  /**
   * Keeps only that something happened in entries about erased mentions (GDPR erasure): their
   * text, mention key and post ID are removed; who acted and when stay.
   */
  async redactForMentions(mentionKeys: ReadonlySet<string>): Promise<number> {
    let count = 0;
    for (const partition of this.collection.partitions()) {
      const entries: AuditEntry[] = [];
      for await (const entry of this.collection.readPartition(partition))
        if (entry.mentionKey && mentionKeys.has(entry.mentionKey)) entries.push(entry);
      for (const entry of entries) {
        await this.collection.put({
          key: entry.key,
          at: entry.at,
          actor: entry.actor,
          action: entry.action,
          detail: 'about an erased contact',
        });
        count++;
      }
    }
    return count;
  }

  /** The entries about these mentions, for a GDPR export. */
  async forMentions(mentionKeys: ReadonlySet<string>): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for (const partition of this.collection.partitions()) {
      for await (const entry of this.collection.readPartition(partition))
        if (entry.mentionKey && mentionKeys.has(entry.mentionKey)) found.push(entry);
    }
    return found;
  }

  /** The newest `count` entries, newest first; reads only as many days as it needs. */
  async latest(count: number): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for (const day of this.collection.partitions().reverse()) {
      const entries: AuditEntry[] = [];
      for await (const entry of this.collection.readPartition(day)) entries.push(entry);
      found.push(...entries.reverse());
      if (found.length >= count) break;
    }
    return found.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, count);
  }
}
