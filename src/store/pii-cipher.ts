import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SwitchboardError } from '../errors.ts';

/**
 * Encryption at rest of personal data (PII_ENCRYPTION_KEY): AES-256-GCM with a fresh 96-bit IV per
 * value, and the record's identity (collection and key) as associated data, so a sealed value
 * copied onto another record fails to open instead of showing someone else's data.
 *
 * A sealed value names the key that sealed it (`v2.<key id>.<base64 iv|tag|data>`), so a new key
 * can be set while the old ones stay readable (PII_ENCRYPTION_OLD_KEYS) until `npm run crm --
 * encrypt` has re-sealed everything with the new one.
 */
export class PiiCipher {
  private readonly current: SealKey;
  private readonly byId: ReadonlyMap<string, SealKey>;

  private constructor(current: Buffer, old: readonly Buffer[]) {
    this.current = sealKey(current);
    this.byId = new Map([this.current, ...old.map(sealKey)].map((key) => [key.id, key]));
  }

  /** The current key and any older ones, each checked by `keyProblem`. Throws the first problem. */
  static fromKeys(current: string, old: readonly string[] = []): PiiCipher {
    const decode = (text: string, name: string) => {
      const parsed = parseKey(text, name);
      if ('problem' in parsed) throw new Error(parsed.problem);
      return parsed.key;
    };
    return new PiiCipher(
      decode(current, 'PII_ENCRYPTION_KEY'),
      old.map((text) => decode(text, 'PII_ENCRYPTION_OLD_KEYS')),
    );
  }

  /** For tests and the bench: a cipher over given key bytes. */
  static fromBytes(current: Buffer, old: readonly Buffer[] = []): PiiCipher {
    return new PiiCipher(current, old);
  }

  get keyId(): string {
    return this.current.id;
  }

  seal(value: unknown, recordId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    cipher.setAAD(Buffer.from(recordId, 'utf8'));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `v2.${this.current.id}.${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
  }

  /** Opens a sealed value, or throws `SealedDataError` saying why (unknown key, or not this record's). */
  open<T>(sealed: string, recordId: string): T {
    const { version, keyId, payload } = splitSealed(sealed);
    // v1 (before this key ring): the current key, no record binding. Readable, re-sealed by `encrypt`.
    const key = version === 'v1' ? this.current : this.byId.get(keyId);
    if (!key) {
      throw new SealedDataError(`sealed with a key that is not configured (key id ${keyId}): set it in PII_ENCRYPTION_OLD_KEYS`);
    }
    const raw = Buffer.from(payload, 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, raw.subarray(0, 12));
      if (version === 'v2') decipher.setAAD(Buffer.from(recordId, 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
    } catch {
      throw new SealedDataError(
        version === 'v1'
          ? 'cannot be decrypted with PII_ENCRYPTION_KEY (a different key, or a changed file)'
          : 'does not decrypt for this record (a changed file, or a value moved from another record)',
      );
    }
  }

  /** Whether `encrypt` should seal it again: sealed with an older key, or in the old format. */
  isCurrent(sealed: string): boolean {
    return keyIdOf(sealed) === this.current.id;
  }

  /** Whether values sealed under this key ID (`keyIdOf`; `v1` is the format before IDs) can be opened. */
  hasKeyId(id: string): boolean {
    return id === V1_KEY_ID || this.byId.has(id);
  }
}

/** Sealed data that cannot be opened: a missing or wrong key, or a changed file. */
export class SealedDataError extends SwitchboardError {
  constructor(message: string) {
    super('sealed_data', message, 'needs_person');
  }
}

interface SealKey {
  id: string;
  bytes: Buffer;
}

const sealKey = (bytes: Buffer): SealKey => ({
  // Names the key without revealing it: 8 hex characters of a domain-separated hash.
  id: createHash('sha256').update('switchboard-key-id:').update(bytes).digest('hex').slice(0, 8),
  bytes,
});

/** What names the key of a value sealed before keys had IDs (it is opened with the current key). */
const V1_KEY_ID = 'v1';

/** The ID of the key a sealed value names, without opening it (counted per segment, checked at open). */
export function keyIdOf(sealed: string): string {
  return splitSealed(sealed).keyId;
}

function splitSealed(sealed: string): { version: 'v1' | 'v2'; keyId: string; payload: string } {
  if (sealed.startsWith('v1:')) return { version: 'v1', keyId: V1_KEY_ID, payload: sealed.slice(3) };
  const [version, keyId = '', payload = ''] = sealed.split('.');
  if (version !== 'v2') throw new SealedDataError('is not a value Switchboard sealed');
  return { version, keyId, payload };
}

const HEX_KEY = /^[0-9a-f]{64}$/i;
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;
const HOW = 'generate one with `openssl rand -hex 32` (or `openssl rand -base64 32`)';

/**
 * Decodes a key and refuses weak ones. A key must be 32 random bytes written as 64 hex characters or
 * as padded base64 (44 characters). A random key has, but for odds below 1e-9, at least 16
 * distinct byte values, and both digits and letters in hex or both cases in base64; a word, a
 * repeated pattern or all zeros do not.
 */
export function parseKey(text: string, name = 'PII_ENCRYPTION_KEY'): { key: Buffer } | { problem: string } {
  const trimmed = text.trim();
  const isHex = HEX_KEY.test(trimmed);
  if (!isHex && !BASE64_KEY.test(trimmed)) {
    return { problem: `${name} must be 32 bytes as 64 hex characters or 44 base64 characters: ${HOW}` };
  }
  const key = Buffer.from(trimmed, isHex ? 'hex' : 'base64');
  const looksRandom =
    new Set(key).size >= 16 && (isHex ? /[0-9]/.test(trimmed) && /[a-f]/i.test(trimmed) : /[A-Z]/.test(trimmed) && /[a-z]/.test(trimmed));
  if (!looksRandom) return { problem: `${name} is not a random key (a word, a pattern or repeated bytes): ${HOW}` };
  return { key };
}

/** The cipher the environment asks for (PII_ENCRYPTION_KEY, PII_ENCRYPTION_OLD_KEYS), for the command-line tools. */
export function cipherFromEnvironment(env: NodeJS.ProcessEnv): PiiCipher | undefined {
  const current = env.PII_ENCRYPTION_KEY?.trim();
  const old = (env.PII_ENCRYPTION_OLD_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (!current) {
    if (old.length) throw new Error('PII_ENCRYPTION_OLD_KEYS is set without PII_ENCRYPTION_KEY: set the new key too');
    return undefined;
  }
  return PiiCipher.fromKeys(current, old);
}
