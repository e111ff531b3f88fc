import path from 'node:path';
import type { Low } from 'lowdb';
import type { SavedReply } from '../../domain/records.ts';
import type { SavedReplyRepository } from '../../services/repositories.ts';
import { type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';

interface SavedReplyData {
  replies: SavedReply[];
}

const isSavedReplyData = (data: unknown): data is SavedReplyData => isObject(data) && Array.isArray(data.replies);

export class SavedReplyStore implements SavedReplyRepository {
  private constructor(private readonly db: Low<SavedReplyData>) {}

  static async open(dataDir: string): Promise<SavedReplyStore> {
    return new SavedReplyStore(await openJsonFile(path.join(dataDir, 'saved-replies.json'), { replies: [] }, isSavedReplyData));
  }

  async list(): Promise<SavedReply[]> {
    return [...this.db.data.replies].sort((a, b) => a.name.localeCompare(b.name));
  }

  async find(name: string): Promise<SavedReply | undefined> {
    return this.named(name);
  }

  private named(name: string): SavedReply | undefined {
    return this.db.data.replies.find((reply) => reply.name.toLowerCase() === name.toLowerCase());
  }

  /** Adds or replaces by name (names are case-insensitive). Returns whether it replaced one. */
  async upsert(reply: SavedReply): Promise<boolean> {
    const existing = this.named(reply.name);
    this.db.data.replies = [...this.db.data.replies.filter((r) => r !== existing), reply];
    await this.db.write();
    return Boolean(existing);
  }

  /** For `npm run store -- migrate`. */
  get copy(): CollectionCopy<SavedReply> {
    return {
      count: async () => this.db.data.replies.length,
      read: () => toAsync([...this.db.data.replies]),
      write: async (replies) => {
        for (const reply of replies) await this.upsert(reply);
      },
    };
  }

  async remove(name: string): Promise<boolean> {
    const existing = this.named(name);
    if (!existing) return false;
    this.db.data.replies = this.db.data.replies.filter((r) => r !== existing);
    await this.db.write();
    return true;
  }
}
