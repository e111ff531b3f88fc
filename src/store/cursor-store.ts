import path from 'node:path';
import type { Low } from 'lowdb';
import type { PlatformId } from '../platforms/platform.ts';
import { isObject, openJsonFile } from './json-file.ts';

/** A platform's mention stream (`x`), or another stream of it (`mastodon:likes`). */
export type CursorName = PlatformId | `${PlatformId}:likes`;

interface CursorData {
  cursors: Partial<Record<CursorName, { after: string; updatedAt: string }>>;
}

const isCursorData = (data: unknown): data is CursorData => isObject(data) && isObject(data.cursors);

/** Where each platform's ingest stands: the newest mention that is safely in Slack. */
export class CursorStore {
  private constructor(private readonly db: Low<CursorData>) {}

  static async open(dataDir: string): Promise<CursorStore> {
    return new CursorStore(await openJsonFile(path.join(dataDir, 'cursors.json'), { cursors: {} }, isCursorData));
  }

  get(platform: CursorName): string | undefined {
    return this.db.data.cursors[platform]?.after;
  }

  async set(platform: CursorName, after: string): Promise<void> {
    this.db.data.cursors[platform] = { after, updatedAt: new Date().toISOString() };
    await this.db.write();
  }
}
