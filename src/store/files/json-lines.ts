import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { StoreFileError } from './json-file.ts';

/**
 * A file of one JSON value per line, for records added one at a time: an append costs the same
 * however long the file is, and the whole file is rewritten (temp file and rename) only when the
 * caller compacts it. A last line cut short by a crash mid-append is left out; any other line that
 * does not parse, or is not what `isValid` expects, stops start-up naming the file, which is left
 * exactly as it was.
 */
export class JsonLinesFile<T> {
  /** Lines in the file, kept or not: the caller compacts when most are dead. */
  lines = 0;

  constructor(readonly file: string) {}

  async read(isValid: (value: unknown) => value is T): Promise<T[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StoreFileError(this.file, error instanceof Error ? error.message : String(error), { cause: error });
    }
    const lines = text.split('\n');
    const values: T[] = [];
    for (const [index, line] of lines.entries()) {
      if (!line.trim()) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        const isTornTail = index === lines.length - 1 && !text.endsWith('\n');
        if (isTornTail) continue;
        throw new StoreFileError(this.file, `line ${index + 1} is not valid JSON`, { cause: error });
      }
      if (!isValid(parsed)) throw new StoreFileError(this.file, `line ${index + 1} is not what this file holds`);
      values.push(parsed);
    }
    this.lines = values.length;
    return values;
  }

  async append(values: readonly T[]): Promise<void> {
    if (values.length === 0) return;
    await appendFile(this.file, values.map((value) => `${JSON.stringify(value)}\n`).join(''), { mode: 0o600 });
    this.lines += values.length;
  }

  async rewrite(values: readonly T[]): Promise<void> {
    await writeFile(`${this.file}.tmp`, values.map((value) => `${JSON.stringify(value)}\n`).join(''), { mode: 0o600 });
    await rename(`${this.file}.tmp`, this.file);
    this.lines = values.length;
  }
}
