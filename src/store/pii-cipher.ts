import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts contacts' personal fields at rest (PII_ENCRYPTION_KEY): AES-256-GCM, a fresh IV per
 * value, authenticated, so a changed file fails loudly rather than decrypting to garbage.
 */
export class PiiCipher {
  private constructor(private readonly key: Buffer) {}

  /** Accepts 32 bytes as 64 hex characters or base64. */
  static fromKey(text: string): PiiCipher {
    const key = /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
    if (key.length !== 32) throw new Error('PII_ENCRYPTION_KEY must be 32 bytes: 64 hex characters or base64 (openssl rand -hex 32)');
    return new PiiCipher(key);
  }

  seal(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), data]).toString('base64')}`;
  }

  open<T>(sealed: string): T {
    const raw = Buffer.from(sealed.replace(/^v1:/, ''), 'base64');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
  }
}
