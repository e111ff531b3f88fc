import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Low } from 'lowdb';
import { keyIdOf, type PiiCipher, SealedDataError } from '../pii-cipher.ts';
import { RecordSealer, type StoredRecord } from '../record-sealer.ts';
import type { CollectionCopy } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';
import { KeyIndex } from './key-index.ts';

/**
 * A collection of keyed records split over many small lowdb files ("segments").
 *
 * Why: lowdb rewrites a whole file on every write (measured here: 10k records ≈ 20 ms, 1M ≈ 3–6 s
 * of blocked event loop). Records are grouped by a partition (for mentions: the UTC day they were
 * posted) and each segment holds at most `maxPerSegment` records, so one write costs the same
 * with ten thousand or a million records stored.
 *
 * Only an index (key → segment) stays in memory; segments are loaded on demand and a few recent
 * ones are kept. Every file is read once at open, so a corrupt one stops start-up, named.
 *
 * With a cipher, the fields named `personal` are sealed together into `sealed` on disk and in the
 * segment cache, bound to the record by `<collection>/<key>`; they are opened only when a record is
 * read, so opening a million mentions decrypts none of them.
 */
export interface SegmentedOptions<T, P extends keyof T & string = never, F extends Exclude<keyof T, P> & string = never> {
  /** Which partition a record belongs to, e.g. `2026-11-25`. Must be safe in a file name. */
  partitionOf(record: T): string;
  isRecord(value: unknown): value is T;
  maxPerSegment?: number;
  /** Loaded segments kept in memory. */
  cacheSize?: number;
  /** Called for every stored record at open, to build a secondary index (decrypts sealed records; reads every file). */
  onOpen?(record: T): void;
  /**
   * Like `onOpen`, for an index of `indexFields` only (never sealed): served from each segment's
   * small index file, so opening reads no segment at all. The object passed is reused from one
   * call to the next (a million of them would be a million allocations): copy what you keep.
   */
  onOpenPlain?(record: { key: string } & Pick<T, F>, segment: number): void;
  indexFields?: readonly F[];
  /** Fields holding personal data: sealed on disk when a cipher is given. */
  personal?: readonly P[];
  cipher?: PiiCipher;
}

interface SegmentData {
  records: StoredRecord[];
}

interface SegmentInfo {
  partition: string;
  file: string;
  count: number;
  /** Its place in `segments`, what the key index stores (set when the segment is added). */
  ordinal: number;
}

interface LoadedSegment {
  db: Low<SegmentData>;
  /** Replaced, not edited, when records are removed. */
  positions: Map<string, number>;
}

/**
 * A segment's index file (`<partition>.<n>.index`): its keys and `indexFields`, and how many of its
 * records are plain or sealed under which key, stamped with the segment file's inode, size and
 * modification time in nanoseconds; any other stamp makes it void.
 */
interface Sidecar {
  v: number;
  stamp: string;
  keys: string[] | string;
  /** How many keys a joined `keys` string holds (v3). */
  n?: number;
  /** Per index field, its value for each key, in the same order (flat arrays: cheap to parse). */
  fields: Record<string, unknown[]>;
  sealing: { plain: number; keyIds: Record<string, number> };
}
/** 3: keys joined by newlines into one string (one allocation to parse, not a thousand); 2: an array, still read. */
const SIDECAR_VERSION = 3;

/**
 * Each stored record's JSON, kept while the record object lives: a segment is rewritten whole on
 * every change (lowdb writes files whole), and a page of new mentions would otherwise serialise the
 * segment's thousand records again each time. A changed record is a new object, so never stale.
 */
const recordJson = new WeakMap<StoredRecord, string>();

/** The same text as JSON.stringify(segment), from each record's kept JSON. */
function stringifySegment(segment: SegmentData): string {
  const parts = segment.records.map((record) => {
    let json = recordJson.get(record);
    if (json === undefined) {
      json = JSON.stringify(record);
      recordJson.set(record, json);
    }
    return json;
  });
  return `{"records":[${parts.join(',')}]}`;
}

function keyCount(sidecar: Sidecar): number {
  return typeof sidecar.keys === 'string' ? (sidecar.n ?? 0) : sidecar.keys.length;
}

function keyList(sidecar: Sidecar): string[] {
  if (typeof sidecar.keys !== 'string') return sidecar.keys;
  return sidecar.n ? sidecar.keys.split('\n') : [];
}

/** Keys as one joined string, unless one holds a newline (keys come from outside: an order's ID), then as a list. */
function joinedKeys(keys: string[]): Pick<Sidecar, 'keys' | 'n'> {
  return keys.some((key) => key.includes('\n')) ? { keys } : { keys: keys.join('\n'), n: keys.length };
}
const SIDECAR_READ_AHEAD = 4;
const sidecarOf = (file: string) => file.replace(/\.json$/, '.index');

async function stampOf(file: string): Promise<string> {
  const info = await stat(file, { bigint: true });
  return `${info.ino}:${info.size}:${info.mtimeNs}`;
}

const SEGMENT_FILE = /^(\d{4}-\d{2}-\d{2}|[a-z0-9_-]+)\.(\d+)\.json$/;

export interface SealingStatus {
  /** Records with personal data written before a key was set. */
  plain: number;
  /** Records sealed with an older key, or in the format before keys had IDs. */
  stale: number;
}

/** A collection that seals personal fields: what the start-up warning counts and `encrypt` re-seals. */
export interface Sealable {
  readonly sealing: SealingStatus;
  resealAll(): Promise<number>;
}

export class SegmentedCollection<
  T extends { key: string },
  P extends keyof T & string = never,
  F extends Exclude<keyof T, P> & string = never,
> implements Sealable
{
  /** Key → the segment's number in `segments`: compact, as it holds every key of the history. */
  private readonly index = new KeyIndex();
  private readonly segments: SegmentInfo[] = [];
  /** Segments by partition, in creation order: the last is the one still filling. */
  private readonly byPartition = new Map<string, SegmentInfo[]>();
  private readonly loaded = new Map<string, Promise<LoadedSegment>>();
  /**
   * Operations run one at a time. A segment is then never evicted and re-read while its write is
   * in flight, and two lowdb instances never write one file (steno's temp files would collide).
   * The bot's writes are sequential anyway; this costs nothing measurable.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxPerSegment: number;
  private readonly cacheSize: number;
  private readonly name: string;
  private readonly personal: readonly P[];
  private readonly sealer: RecordSealer<T>;
  /** Counted at open, kept up to date by writes: what a start-up warning and `encrypt` report. */
  readonly sealing: SealingStatus = { plain: 0, stale: 0 };

  private constructor(
    private readonly dir: string,
    private readonly options: SegmentedOptions<T, P, F>,
  ) {
    this.maxPerSegment = options.maxPerSegment ?? 1000;
    this.cacheSize = options.cacheSize ?? 8;
    this.name = path.basename(dir);
    this.personal = options.personal ?? [];
    this.sealer = new RecordSealer(this.name, this.personal, options.isRecord, options.cipher, dir);
  }

  static async open<T extends { key: string }, P extends keyof T & string = never, F extends Exclude<keyof T, P> & string = never>(
    dir: string,
    options: SegmentedOptions<T, P, F>,
  ): Promise<SegmentedCollection<T, P, F>> {
    await mkdir(dir, { recursive: true });
    const collection = new SegmentedCollection<T, P, F>(dir, options);
    const files = (await readdir(dir)).filter((name) => SEGMENT_FILE.test(name));
    files.sort(compareSegmentFiles);
    // A segment's index file, if it matches the segment as it is on disk, tells its keys and index
    // fields without reading it. A full read is needed when the collection indexes decrypted
    // records, when the index is missing or out of date (a crash between the two writes, a file
    // changed by hand): the segment is then checked in full and its index written again.
    // Index files are read a few at a time ahead of use (they are small); segments one at a time.
    const sidecars = new Map<string, Promise<Sidecar | undefined>>();
    const readAhead = (from: number) => {
      for (const name of files.slice(from, from + SIDECAR_READ_AHEAD)) {
        const file = path.join(dir, name);
        if (!sidecars.has(file)) sidecars.set(file, options.onOpen ? Promise.resolve(undefined) : collection.readSidecar(file));
      }
    };
    for (const [position, name] of files.entries()) {
      const [, partition = ''] = SEGMENT_FILE.exec(name) ?? [];
      const file = path.join(dir, name);
      readAhead(position);
      const sidecar = await sidecars.get(file);
      sidecars.delete(file);
      if (sidecar) {
        const info: SegmentInfo = { partition, file, count: keyCount(sidecar), ordinal: -1 };
        collection.addSegment(info);
        collection.openFromSidecar(info, sidecar);
        continue;
      }
      // Read one at a time: peak memory stays at one segment, not the whole history.
      const db = await openJsonFile<SegmentData>(file, { records: [] }, collection.isSegment, stringifySegment);
      const info: SegmentInfo = { partition, file, count: db.data.records.length, ordinal: -1 };
      collection.addSegment(info);
      for (const stored of db.data.records) {
        collection.checkReadable(stored, file);
        collection.countSealing(stored, 1);
        collection.index.set(stored.key, info.ordinal);
        options.onOpenPlain?.(stored as unknown as { key: string } & Pick<T, F>, info.ordinal);
        if (options.onOpen) options.onOpen(collection.decode(stored));
      }
      if (!options.onOpen) await collection.writeSidecar(file, db.data.records);
    }
    return collection;
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): Promise<T | undefined> {
    return this.exclusive(() => this.read(key));
  }

  /**
   * The record under `key`, decoded. Inside a batch, a segment the batch already changed is read
   * from `touched` (the batch's own copy), never loaded again.
   */
  private async read(key: string, touched?: ReadonlyMap<string, LoadedSegment>): Promise<T | undefined> {
    const info = this.segmentOf(key);
    if (!info) return undefined;
    const segment = touched?.get(info.file) ?? (await this.load(info));
    const position = segment.positions.get(key);
    const stored = position === undefined ? undefined : segment.db.data.records[position];
    return stored ? this.decode(stored) : undefined;
  }

  /** Inserts or replaces a record and writes its segment (only that one) to disk. */
  put(record: T): Promise<void> {
    return this.exclusive(() => this.write(record));
  }

  /**
   * Reads a record, applies `change` and writes the result, as one step: no other operation on
   * this collection runs in between, so two concurrent updates of one record both land (each sees
   * the other's result). `change` must be synchronous and free of side effects. Returns the
   * stored record, or undefined (nothing written) when there is no record under `key`.
   */
  async update(key: string, change: (current: T) => T | undefined): Promise<T | undefined> {
    let unchanged: T | undefined;
    const [updated] = await this.upsertMany([key], (_key, current) => {
      if (!current) return undefined;
      const changed = change(current);
      // `change` may decline (nothing to do): the record is returned as it is, and not written.
      if (!changed) unchanged = current;
      return changed;
    });
    return updated ?? unchanged;
  }

  /** Removes a record from its segment file (merges and erasures). Returns whether it existed. */
  delete(key: string): Promise<boolean> {
    return this.exclusive(async () => {
      const info = this.segmentOf(key);
      if (!info) return false;
      const segment = await this.load(info);
      const gone = segment.db.data.records.find((record) => record.key === key);
      if (gone) this.countSealing(gone, -1);
      const records = segment.db.data.records.filter((record) => record.key !== key);
      segment.db.data.records = records;
      segment.positions = new Map(records.map((record, index) => [record.key, index]));
      info.count = records.length;
      this.index.delete(key);
      await this.persist(info.file, segment);
      return true;
    });
  }

  private exclusive<R>(operation: () => Promise<R>): Promise<R> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => {});
    return result;
  }

  private async write(record: T): Promise<void> {
    const touched = new Map<string, LoadedSegment>();
    await this.place(record, touched);
    for (const [file, segment] of touched) await this.persist(file, segment);
  }

  /**
   * Puts a record into its segment in memory; the caller writes the touched segments. Segments
   * already touched in this batch are reused, so a cache eviction mid-batch cannot load a second,
   * stale copy of one file.
   */
  private async place(record: T, touched: Map<string, LoadedSegment>): Promise<void> {
    const info = this.segmentOf(record.key) ?? this.segmentWithRoom(this.options.partitionOf(record));
    const segment = touched.get(info.file) ?? (await this.load(info));
    touched.set(info.file, segment);
    const position = segment.positions.get(record.key);
    const stored = this.encode(record);
    this.countSealing(stored, 1);
    if (position === undefined) {
      segment.positions.set(record.key, segment.db.data.records.length);
      segment.db.data.records.push(stored);
      info.count = segment.db.data.records.length;
      this.index.set(record.key, info.ordinal);
    } else {
      const previous = segment.db.data.records[position];
      if (previous) this.countSealing(previous, -1);
      segment.db.data.records[position] = stored;
    }
  }

  /**
   * Inserts or replaces many records as one step, each from what is stored under its key (or
   * undefined): every touched segment is written once, whatever the number of records in it. A page
   * of ingested mentions costs one write per day it spans, not one per mention.
   */
  upsertMany(keys: readonly string[], build: (key: string, current: T | undefined) => T | undefined): Promise<T[]> {
    return this.exclusive(async () => {
      const touched = new Map<string, LoadedSegment>();
      const written: T[] = [];
      for (const key of keys) {
        const next = build(key, await this.read(key, touched));
        if (!next) continue;
        if (next.key !== key) throw new Error(`upsert of ${key} may not change its key`);
        await this.place(next, touched);
        written.push(next);
      }
      for (const [file, segment] of touched) await this.persist(file, segment);
      return written;
    });
  }

  /**
   * Seals every record that is plain or sealed with an older key, with the current key, one
   * segment file at a time (`npm run crm -- encrypt`). Returns how many records were re-written.
   */
  resealAll(): Promise<number> {
    return this.exclusive(async () => {
      if (!this.options.cipher || !this.personal.length) return 0;
      let resealed = 0;
      for (const infos of this.byPartition.values()) {
        for (const info of infos) {
          const segment = await this.load(info);
          let changed = false;
          segment.db.data.records = segment.db.data.records.map((stored) => {
            if (!this.needsSealing(stored)) return stored;
            changed = true;
            resealed += 1;
            this.countSealing(stored, -1);
            const sealed = this.encode(this.decode(stored));
            this.countSealing(sealed, 1);
            return sealed;
          });
          if (changed) await this.persist(info.file, segment);
        }
      }
      return resealed;
    });
  }

  /** Writes a segment, then its index file (keys, index fields, sealing), stamped with the segment's identity on disk. */
  private async persist(file: string, segment: LoadedSegment): Promise<void> {
    await segment.db.write();
    await this.writeSidecar(file, segment.db.data.records);
  }

  private async writeSidecar(file: string, records: readonly StoredRecord[]): Promise<void> {
    const fields = this.options.indexFields ?? [];
    const keyIds: Record<string, number> = {};
    let plain = 0;
    for (const stored of records) {
      if (typeof stored.sealed === 'string') {
        const id = keyIdOf(stored.sealed);
        keyIds[id] = (keyIds[id] ?? 0) + 1;
      } else if (this.personal.some((field) => field in stored)) plain += 1;
    }
    const sidecar: Sidecar = {
      v: SIDECAR_VERSION,
      stamp: await stampOf(file),
      ...joinedKeys(records.map((stored) => stored.key)),
      fields: Object.fromEntries(fields.map((field) => [field, records.map((stored) => stored[field] ?? null)])),
      sealing: { plain, keyIds },
    };
    const target = sidecarOf(file);
    await writeFile(`${target}.tmp`, JSON.stringify(sidecar), { mode: 0o600 });
    await rename(`${target}.tmp`, target);
  }

  private async readSidecar(file: string): Promise<Sidecar | undefined> {
    try {
      const sidecar = JSON.parse(await readFile(sidecarOf(file), 'utf8')) as Sidecar;
      const fields = this.options.indexFields ?? [];
      const usable =
        (sidecar.v === SIDECAR_VERSION || sidecar.v === 2) &&
        sidecar.stamp === (await stampOf(file)) &&
        (Array.isArray(sidecar.keys) || (typeof sidecar.keys === 'string' && Number.isInteger(sidecar.n))) &&
        fields.every((field) => Array.isArray(sidecar.fields[field]) && sidecar.fields[field]?.length === keyCount(sidecar));
      return usable ? sidecar : undefined;
    } catch {
      return undefined; // missing or damaged: the segment is read instead, and the index rewritten
    }
  }

  private openFromSidecar(info: SegmentInfo, sidecar: Sidecar): void {
    const cipher = this.options.cipher;
    for (const id of Object.keys(sidecar.sealing.keyIds)) this.checkKeyConfigured(id, info.file);
    if (cipher && this.personal.length) {
      this.sealing.plain += sidecar.sealing.plain;
      for (const [id, count] of Object.entries(sidecar.sealing.keyIds)) if (id !== cipher.keyId) this.sealing.stale += count;
    }
    const fields = (this.options.indexFields ?? []).map((field) => [field, sidecar.fields[field] ?? []] as const);
    const onOpenPlain = this.options.onOpenPlain;
    const scratch: Record<string, unknown> = {};
    const keys = sidecar.keys;
    const count = keyCount(sidecar);
    let start = 0;
    for (let i = 0; i < count; i++) {
      let key: string;
      if (typeof keys === 'string') {
        // v3: one joined string. The index hashes the key in place; a string is cut only for onOpenPlain.
        let end = keys.indexOf('\n', start);
        if (end < 0) end = keys.length;
        this.index.setRange(keys, start, end, info.ordinal);
        const from = start;
        start = end + 1;
        if (!onOpenPlain) continue;
        key = keys.slice(from, end);
      } else {
        key = keys[i] as string;
        this.index.set(key, info.ordinal);
        if (!onOpenPlain) continue;
      }
      scratch.key = key;
      for (const [field, values] of fields) scratch[field] = values[i] ?? undefined;
      onOpenPlain(scratch as { key: string } & Pick<T, F>, info.ordinal);
    }
  }

  private encode(record: T): StoredRecord {
    return this.sealer.seal(record);
  }

  private decode(stored: StoredRecord): T {
    return this.sealer.open(stored);
  }

  private needsSealing(stored: StoredRecord): boolean {
    return this.sealer.needsSealing(stored);
  }

  private countSealing(stored: StoredRecord, change: 1 | -1): void {
    if (!this.options.cipher || !this.personal.length) return;
    if (typeof stored.sealed === 'string') {
      if (!this.options.cipher.isCurrent(stored.sealed)) this.sealing.stale += change;
    } else if (this.personal.some((field) => field in stored)) this.sealing.plain += change;
  }

  /** At open: a sealed record whose key is not configured stops start-up, named, before anything runs. */
  private checkReadable(stored: StoredRecord, file: string): void {
    if (typeof stored.sealed === 'string') this.checkKeyConfigured(keyIdOf(stored.sealed), file);
  }

  /** Records sealed under this key ID can be opened here, or start-up stops naming the file and why. */
  private checkKeyConfigured(keyId: string, file: string): void {
    const cipher = this.options.cipher;
    if (!cipher) throw new SealedDataError(`${file} holds encrypted records, and PII_ENCRYPTION_KEY is not set`);
    if (!cipher.hasKeyId(keyId)) {
      throw new SealedDataError(
        `${file} holds records sealed with a key that is not configured: set the old key in PII_ENCRYPTION_OLD_KEYS`,
      );
    }
  }

  /** Partitions in order, e.g. the days that have mentions. */
  /** For `npm run store -- migrate`: every record out, and records in by key (checked, then written a batch at a time). */
  copier(): CollectionCopy {
    return {
      count: async () => this.size,
      read: () => this.readAll(),
      write: async (records) => {
        const byKey = new Map<string, T>();
        for (const record of records) {
          if (!this.options.isRecord(record)) throw new Error(`a record for ${this.dir} is not the expected shape`);
          byKey.set(record.key, record);
        }
        await this.upsertMany([...byKey.keys()], (key) => byKey.get(key));
      },
    };
  }

  private async *readAll(): AsyncGenerator<T> {
    for (const partition of this.partitions()) yield* this.readPartition(partition);
  }

  partitions(): string[] {
    return [...this.byPartition.keys()].sort();
  }

  async *readPartition(partition: string): AsyncGenerator<T> {
    for (const info of this.byPartition.get(partition) ?? []) {
      const records = await this.exclusive(async () => [...(await this.load(info)).db.data.records]);
      for (const stored of records) yield this.decode(stored);
    }
  }

  /** A sealed record's shape is checked when it is opened; a plain one's at once. */
  private readonly isSegment = (data: unknown): data is SegmentData =>
    isObject(data) &&
    Array.isArray(data.records) &&
    data.records.every((record) =>
      isObject(record) && typeof record.sealed === 'string' ? typeof record.key === 'string' : this.options.isRecord(record),
    );

  /** The number of the segment holding `key` (what `keysWhere` takes), if it is stored. */
  segmentNumberOf(key: string): number | undefined {
    return this.index.get(key);
  }

  /**
   * The keys of the records in these segments whose index field `field` is `value`, segment by
   * segment in file order: from the segment if it is in memory, else from its small index file
   * (read from disk, so a secondary index need keep only segment numbers, not a million keys).
   */
  keysWhere(segments: Iterable<number>, field: F, value: unknown): Promise<string[]> {
    return this.exclusive(async () => {
      const keys: string[] = [];
      const fromRecords = (segment: LoadedSegment) => {
        for (const record of segment.db.data.records) if (record[field] === value) keys.push(record.key);
      };
      for (const ordinal of [...new Set(segments)].sort((a, b) => a - b)) {
        const info = this.segments[ordinal];
        if (!info) continue;
        const cached = this.loaded.get(info.file);
        if (cached) {
          fromRecords(await cached);
          continue;
        }
        const sidecar = await this.readSidecar(info.file);
        if (!sidecar) {
          fromRecords(await this.load(info));
          continue;
        }
        const values = sidecar.fields[field] ?? [];
        const stored = keyList(sidecar);
        for (let i = 0; i < stored.length; i++) if (values[i] === value) keys.push(stored[i] as string);
      }
      return keys;
    });
  }

  /**
   * Visits every record's index field `field` with its segment's number, from the segments' index
   * files (a segment without a usable one is read), outside the write queue: for an index built
   * after open, in the background. Writes meanwhile keep their own index up to date.
   */
  async scanField(field: F, visit: (value: unknown, segment: number) => void): Promise<void> {
    for (const info of [...this.segments]) {
      const sidecar = await this.readSidecar(info.file);
      if (sidecar) {
        for (const value of sidecar.fields[field] ?? []) visit(value, info.ordinal);
        continue;
      }
      const segment = await this.exclusive(() => this.load(info));
      for (const record of segment.db.data.records) visit(record[field], info.ordinal);
    }
  }

  private segmentOf(key: string): SegmentInfo | undefined {
    const ordinal = this.index.get(key);
    return ordinal === undefined ? undefined : this.segments[ordinal];
  }

  private addSegment(info: SegmentInfo): void {
    info.ordinal = this.segments.push(info) - 1;
    const list = this.byPartition.get(info.partition) ?? [];
    list.push(info);
    this.byPartition.set(info.partition, list);
  }

  private segmentWithRoom(partition: string): SegmentInfo {
    const list = this.byPartition.get(partition) ?? [];
    const last = list.at(-1);
    if (last && last.count < this.maxPerSegment) return last;
    const info: SegmentInfo = { partition, file: path.join(this.dir, `${partition}.${list.length}.json`), count: 0, ordinal: -1 };
    this.addSegment(info);
    return info;
  }

  private load(info: SegmentInfo): Promise<LoadedSegment> {
    let loading = this.loaded.get(info.file);
    if (loading) {
      // Refresh its place in the LRU order.
      this.loaded.delete(info.file);
    } else {
      loading = openJsonFile<SegmentData>(info.file, { records: [] }, this.isSegment, stringifySegment).then((db) => ({
        db,
        positions: new Map(db.data.records.map((record, index) => [record.key, index])),
      }));
    }
    this.loaded.set(info.file, loading);
    while (this.loaded.size > this.cacheSize) {
      const oldest = this.loaded.keys().next().value;
      if (oldest === undefined) break;
      this.loaded.delete(oldest);
    }
    return loading;
  }
}

function compareSegmentFiles(a: string, b: string): number {
  const [, pa = '', sa = '0'] = SEGMENT_FILE.exec(a) ?? [];
  const [, pb = '', sb = '0'] = SEGMENT_FILE.exec(b) ?? [];
  return pa === pb ? Number(sa) - Number(sb) : pa < pb ? -1 : 1;
}
