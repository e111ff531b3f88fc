import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Low } from 'lowdb';
import type { AtomicOperation } from '../../services/repositories.ts';
import { isObject, openJsonFile } from './json-file.ts';

/**
 * Operations that touch several store files (a merge, an erasure) and must end all-or-nothing.
 * The intent is written here before the first file changes and removed after the last; an entry
 * still here at start-up is an operation a crash or an error cut short, and its owner runs it
 * again to the end. Each operation is written to be run twice safely. Entries hold IDs only,
 * never personal data.
 */
export type JournalEntry = AtomicOperation;

interface JournalData {
  pending: Record<string, JournalEntry & { startedAt: string }>;
}

const isJournalData = (data: unknown): data is JournalData => isObject(data) && isObject(data.pending);

export class Journal {
  private constructor(private readonly db: Low<JournalData>) {}

  static async open(dataDir: string): Promise<Journal> {
    return new Journal(await openJsonFile(path.join(dataDir, 'journal.json'), { pending: {} }, isJournalData));
  }

  /**
   * Runs `apply` between writing the intent and removing it; `apply` gets the entry's ID (stable
   * across a re-run, e.g. for an audit entry written once). If it throws, the intent stays.
   */
  async run<T>(entry: JournalEntry, apply: (id: string) => Promise<T>): Promise<T> {
    const id = randomUUID();
    this.db.data.pending[id] = { ...entry, startedAt: new Date().toISOString() };
    await this.db.write();
    const result = await apply(id);
    delete this.db.data.pending[id];
    await this.db.write();
    return result;
  }

  /** Operations cut short, oldest first, each with what finishes it: `done()` removes it. */
  pending(): Array<{ id: string; entry: JournalEntry; done: () => Promise<void> }> {
    return Object.entries(this.db.data.pending)
      .sort(([, a], [, b]) => (a.startedAt < b.startedAt ? -1 : 1))
      .map(([id, { startedAt: _startedAt, ...entry }]) => ({
        id,
        entry: entry as JournalEntry,
        done: async () => {
          delete this.db.data.pending[id];
          await this.db.write();
        },
      }));
  }
}
