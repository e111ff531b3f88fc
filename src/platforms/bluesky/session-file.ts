import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AtpSessionData } from '@atproto/api';

/** What the sealed session is bound to: a sealed record from another file does not open here. */
const SESSION_RECORD = 'bluesky-session';

/**
 * The brand's Bluesky session (access and refresh tokens) kept in DATA_DIR, readable by the owner
 * only, so a restart refreshes it instead of logging in again. Written whole to a temp file and
 * renamed, so a crash never leaves half a session. A file that cannot be read is ignored: the bot
 * logs in again, which is what the file saves, not what it guards.
 */
export class SessionFile {
  /** With PII_ENCRYPTION_KEY set, the tokens are sealed like contacts' personal fields. */
  constructor(
    private readonly file: string,
    private readonly cipher?: { seal(value: unknown, recordId: string): string; open<T>(sealed: string, recordId: string): T },
  ) {}

  load(): AtpSessionData | undefined {
    try {
      const raw = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      const data = (
        this.cipher && typeof (raw as { sealed?: unknown }).sealed === 'string'
          ? this.cipher.open((raw as { sealed: string }).sealed, SESSION_RECORD)
          : raw
      ) as Partial<AtpSessionData>;
      return typeof data.did === 'string' && typeof data.refreshJwt === 'string' && typeof data.accessJwt === 'string'
        ? (data as AtpSessionData)
        : undefined;
    } catch {
      return undefined;
    }
  }

  save(session: AtpSessionData): void {
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, JSON.stringify(this.cipher ? { sealed: this.cipher.seal(session, SESSION_RECORD) } : session), { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
  }

  clear(): void {
    rmSync(this.file, { force: true });
  }
}
