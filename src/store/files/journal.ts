import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Low } from 'lowdb';
import type { AtomicOperation } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { isObject, openJsonFile } from './json-file.ts';

/**
 * Operations that touch several store files (a merge, an erasure, an import) and must end
 * all-or-nothing. The intent is written here before the first file changes and removed after the
 * last; an entry still here at start-up is an operation a crash or an error cut short, and its owner
 * runs it again to the end. Each operation is written to be run twice safely. Merges and erasures
 * hold IDs only; an import holds its checked data, to run it again, sealed like the store's own
 * personal data when PII_ENCRYPTION_KEY is set.
 */
type Written = (
  | Exclude<AtomicOperation, { kind: 'import' }>
  | { kind: 'import'; data?: Extract<AtomicOperation, { kind: 'import' }>['data']; sealed?: string }
) & { startedAt: string };

interface JournalData {
  pending: Record<string, Written>;
}

const isJournalData = (data: unknown): data is JournalData => isObject(data) && isObject(data.pending);

export class Journal {
  private constructor(
    private readonly db: Low<JournalData>,
    private readonly cipher?: PiiCipher,
  ) {}

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<Journal> {
    return new Journal(await openJsonFile(path.join(dataDir, 'journal.json'), { pending: {} }, isJournalData), options.cipher);
  }

  /**
   * Runs `apply` between writing the intent and removing it; `apply` gets the entry's ID (stable
   * across a re-run, e.g. for an audit entry written once). If it throws, the intent stays.
   */
  async run<T>(operation: AtomicOperation, apply: (id: string) => Promise<T>): Promise<T> {
    const id = randomUUID();
    this.db.data.pending[id] = this.encode(operation, id);
    await this.db.write();
    const result = await apply(id);
    delete this.db.data.pending[id];
    await this.db.write();
    return result;
  }

  /** Operations cut short, oldest first, each with what finishes it: `done()` removes it. */
  pending(): Array<{ id: string; entry: AtomicOperation; done: () => Promise<void> }> {
    return Object.entries(this.db.data.pending)
      .sort(([, a], [, b]) => (a.startedAt < b.startedAt ? -1 : 1))
      .map(([id, written]) => ({
        id,
        entry: this.decode(written, id),
        done: async () => {
          delete this.db.data.pending[id];
          await this.db.write();
        },
      }));
  }

  private encode(operation: AtomicOperation, id: string): Written {
    const startedAt = new Date().toISOString();
    if (operation.kind !== 'import' || !this.cipher) return { ...operation, startedAt };
    return { kind: 'import', sealed: this.cipher.seal(operation.data, `journal/${id}`), startedAt };
  }

  private decode(written: Written, id: string): AtomicOperation {
    const { startedAt: _startedAt, ...entry } = written;
    if (entry.kind !== 'import') return entry;
    const data =
      typeof entry.sealed === 'string' && this.cipher
        ? this.cipher.open<Extract<AtomicOperation, { kind: 'import' }>['data']>(entry.sealed, `journal/${id}`)
        : entry.data;
    return { kind: 'import', data: data ?? { customers: [], orders: [] } };
  }
}
