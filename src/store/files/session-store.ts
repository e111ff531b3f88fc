import { chmod, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { SessionRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import type { CollectionCopy, SessionRow } from '../store-copy.ts';

/**
 * Each platform's login session (for Bluesky: access and refresh tokens) in `<name>-session.json`
 * in DATA_DIR, readable by the owner only, so a restart refreshes it instead of logging in again.
 * Written whole to a temp file and renamed, so a crash never leaves half a session. A file that
 * cannot be read counts as no session: the bot logs in again, which is what the file saves, not
 * what it guards. With PII_ENCRYPTION_KEY the tokens are sealed, bound to `<name>-session`.
 */
export class SessionStore implements SessionRepository {
  constructor(
    private readonly dataDir: string,
    private readonly cipher?: PiiCipher,
  ) {}

  private fileOf(name: string): string {
    if (!/^[a-z]+$/.test(name)) throw new Error(`a session name is a platform ID, not ${JSON.stringify(name)}`);
    return path.join(this.dataDir, `${name}-session.json`);
  }

  async load(name: string): Promise<unknown> {
    try {
      const raw = JSON.parse(await readFile(this.fileOf(name), 'utf8')) as { sealed?: unknown };
      return this.cipher && typeof raw.sealed === 'string' ? this.cipher.open(raw.sealed, `${name}-session`) : raw;
    } catch {
      return undefined;
    }
  }

  async save(name: string, session: unknown): Promise<void> {
    const file = this.fileOf(name);
    const temp = `${file}.tmp`;
    await writeFile(temp, JSON.stringify(this.cipher ? { sealed: this.cipher.seal(session, `${name}-session`) } : session), {
      mode: 0o600,
    });
    await chmod(temp, 0o600);
    await rename(temp, file);
  }

  async clear(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
  }

  /** For `npm run store -- migrate`: the platforms' sessions (Bluesky's, when it is configured). */
  get copy(): CollectionCopy<SessionRow> {
    const names = ['bluesky'];
    const rows = async () => {
      const found: SessionRow[] = [];
      for (const name of names) {
        const session = await this.load(name);
        if (session !== undefined) found.push({ name, session });
      }
      return found;
    };
    return {
      count: async () => (await rows()).length,
      read: async function* () {
        yield* await rows();
      },
      write: async (sessions) => {
        for (const { name, session } of sessions) await this.save(name, session);
      },
    };
  }
}
