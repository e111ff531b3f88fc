import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The text of every JSON data file under a data folder, joined: what an erasure test searches for traces. */
export async function jsonFilesText(dataDir: string): Promise<string> {
  const names = (await readdir(dataDir, { recursive: true })).filter((name) => name.endsWith('.json'));
  return (await Promise.all(names.map((name) => readFile(path.join(dataDir, name), 'utf8')))).join('\n');
}
