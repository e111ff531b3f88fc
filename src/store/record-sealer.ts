import { type PiiCipher, SealedDataError } from './pii-cipher.ts';

/** A record as written: either `T`, or `T` without its personal fields plus `sealed`. */
export type StoredRecord = { key: string; sealed?: string } & Record<string, unknown>;

/**
 * Seals a record's personal fields together (AES-256-GCM, see PiiCipher), bound to
 * `<collection>/<key>`: a sealed value moved onto another record does not open. Both stores write
 * records in this form (the files as JSON, PostgreSQL as jsonb), so data migrates between them as is.
 */
export class RecordSealer<T extends { key: string }> {
  constructor(
    /** The collection's name, part of what each sealed value is bound to (`mentions`, `contacts`…). */
    readonly collection: string,
    private readonly personal: readonly string[],
    private readonly isRecord: (value: unknown) => value is T,
    readonly cipher?: PiiCipher,
    /** Where the records live, for error messages (a folder, a table). */
    private readonly place = collection,
  ) {}

  get seals(): boolean {
    return Boolean(this.cipher && this.personal.length);
  }

  seal(record: T): StoredRecord {
    const rest: StoredRecord = { ...record };
    if (!this.cipher || !this.personal.length) return rest;
    const personal: Record<string, unknown> = {};
    for (const field of this.personal) {
      if (!(field in rest)) continue;
      personal[field] = rest[field];
      delete rest[field];
    }
    rest.sealed = this.cipher.seal(personal, `${this.collection}/${record.key}`);
    return rest;
  }

  open(stored: StoredRecord): T {
    if (typeof stored.sealed !== 'string') {
      if (!this.isRecord(stored)) throw new SealedDataError(`record ${stored.key} in ${this.place} is not the expected shape`);
      return stored;
    }
    if (!this.cipher) throw new SealedDataError(`${this.place} holds encrypted records, and PII_ENCRYPTION_KEY is not set`);
    const { sealed, ...rest } = stored;
    let personal: Record<string, unknown>;
    try {
      personal = this.cipher.open<Record<string, unknown>>(sealed, `${this.collection}/${stored.key}`);
    } catch (error) {
      throw new SealedDataError(`record ${stored.key} in ${this.place} ${(error as Error).message}`);
    }
    const record = { ...rest, ...personal };
    if (!this.isRecord(record)) throw new SealedDataError(`record ${stored.key} in ${this.place} is not the expected shape once decrypted`);
    return record;
  }

  /** Plain personal data while a key is set, or sealed with an older key: what `encrypt` re-seals. */
  needsSealing(stored: StoredRecord): boolean {
    if (!this.cipher || !this.personal.length) return false;
    return typeof stored.sealed === 'string' ? !this.cipher.isCurrent(stored.sealed) : this.hasPlainPersonal(stored);
  }

  hasPlainPersonal(stored: StoredRecord): boolean {
    return this.personal.some((field) => field in stored);
  }
}
