import path from 'node:path';
import type { Low } from 'lowdb';
import type { TriageCorrection } from '../../domain/records.ts';
import type { TriageCorrectionRepository } from '../../services/repositories.ts';
import { type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';

interface TriageCorrectionData {
  corrections: TriageCorrection[];
}

const isTriageCorrectionData = (data: unknown): data is TriageCorrectionData => isObject(data) && Array.isArray(data.corrections);

/**
 * Staff corrections of triage labels, in `triage-corrections.json`. One per corrected mention and
 * made by hand, so a few thousand at most: one small file, kept oldest first.
 */
export class TriageCorrectionStore implements TriageCorrectionRepository {
  private constructor(private readonly db: Low<TriageCorrectionData>) {}

  static async open(dataDir: string): Promise<TriageCorrectionStore> {
    return new TriageCorrectionStore(
      await openJsonFile(path.join(dataDir, 'triage-corrections.json'), { corrections: [] }, isTriageCorrectionData),
    );
  }

  async record(correction: TriageCorrection): Promise<TriageCorrection> {
    const earlier = this.db.data.corrections.find((stored) => stored.mentionKey === correction.mentionKey);
    const stored = { ...correction, modelLabel: earlier?.modelLabel ?? correction.modelLabel };
    this.db.data.corrections = [...this.db.data.corrections.filter((other) => other !== earlier), stored];
    await this.db.write();
    return stored;
  }

  async get(mentionKey: string): Promise<TriageCorrection | undefined> {
    return this.db.data.corrections.find((stored) => stored.mentionKey === mentionKey);
  }

  async since(at: string): Promise<TriageCorrection[]> {
    return this.db.data.corrections.filter((stored) => stored.at >= at).sort((a, b) => a.at.localeCompare(b.at));
  }

  all(): AsyncIterable<TriageCorrection> {
    return toAsync([...this.db.data.corrections]);
  }

  async deleteForMentions(mentionKeys: ReadonlySet<string>): Promise<number> {
    const before = this.db.data.corrections.length;
    this.db.data.corrections = this.db.data.corrections.filter((stored) => !mentionKeys.has(stored.mentionKey));
    const removed = before - this.db.data.corrections.length;
    if (removed > 0) await this.db.write();
    return removed;
  }

  /** For `npm run store -- migrate`. */
  get copy(): CollectionCopy<TriageCorrection> {
    return {
      count: async () => this.db.data.corrections.length,
      read: () => toAsync([...this.db.data.corrections]),
      write: async (corrections) => {
        for (const correction of corrections) await this.record(correction);
      },
    };
  }
}
