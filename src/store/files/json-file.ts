import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { SwitchboardError } from '../../errors.ts';

/** A data file that cannot be read or parsed. Start-up stops; the file is left exactly as it was. */
export class StoreFileError extends SwitchboardError {
  constructor(
    readonly file: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      'store_file_unreadable',
      `Data file ${file} cannot be used: ${reason}. Fix or move the file; Switchboard has not changed it.`,
      'needs_person',
      options,
    );
  }
}

/**
 * Opens one lowdb file. lowdb's JSONFilePreset is avoided on purpose: it silently switches to
 * memory when NODE_ENV=test, and a store test must exercise the real file. Files are written
 * compact (not pretty-printed): they are many and machine-read, and this halves the write time.
 * `isValid` guards against a file that parses but is not ours (an empty array, a stray object).
 */
export async function openJsonFile<T extends object>(
  file: string,
  defaults: T,
  isValid: (data: unknown) => data is T,
  stringify: (data: T) => string = (data) => JSON.stringify(data),
): Promise<Low<T>> {
  const adapter = new DataFile<T>(file, { parse: JSON.parse, stringify });
  const db = new Low<T>(adapter, defaults);
  try {
    await db.read();
  } catch (error) {
    const reason = error instanceof SyntaxError ? `it is not valid JSON (${error.message})` : describe(error);
    throw new StoreFileError(file, reason, { cause: error });
  }
  if (!isValid(db.data)) throw new StoreFileError(file, 'its content does not have the expected shape');
  return db;
}

function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return error instanceof Error ? error.message : String(error);
}

export { isObject } from '../record-shapes.ts';
