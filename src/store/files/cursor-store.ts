import path from 'node:path';
import type { Low } from 'lowdb';
import type { CursorName, CursorRepository } from '../../services/repositories.ts';
import { type CollectionCopy, type CursorRow, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';

interface CursorData {
  cursors: Partial<Record<CursorName, { after: string; updatedAt: string }>>;
}

const isCursorData = (data: unknown): data is CursorData => isObject(data) && isObject(data.cursors);

/** Where each platform's ingest stands: the newest mention that is safely in Slack. */
export class CursorStore implements CursorRepository {
  private constructor(private readonly db: Low<CursorData>) {}

  static async open(dataDir: string): Promise<CursorStore> {
    return new CursorStore(await openJsonFile(path.join(dataDir, 'cursors.json'), { cursors: {} }, isCursorData));
  }

  async get(platform: CursorName): Promise<string | undefined> {
    return this.db.data.cursors[platform]?.after;
  }

  /** For `npm run store -- migrate`. */
  get copy(): CollectionCopy<CursorRow> {
    return {
      count: async () => Object.keys(this.db.data.cursors).length,
      read: () => toAsync(Object.entries(this.db.data.cursors).map(([name, cursor]) => ({ name, after: cursor?.after ?? '' }))),
      write: async (rows) => {
        const at = new Date().toISOString();
        for (const row of rows) this.db.data.cursors[row.name as CursorName] = { after: row.after, updatedAt: at };
        await this.db.write();
      },
    };
  }

  async set(platform: CursorName, after: string): Promise<void> {
    this.db.data.cursors[platform] = { after, updatedAt: new Date().toISOString() };
    await this.db.write();
  }
}
