import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Low } from 'lowdb';
import { isObject, openJsonFile } from './json-file.ts';

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
 */
export interface SegmentedOptions<T> {
  /** Which partition a record belongs to, e.g. `2026-11-25`. Must be safe in a file name. */
  partitionOf(record: T): string;
  isRecord(value: unknown): value is T;
  maxPerSegment?: number;
  /** Loaded segments kept in memory. */
  cacheSize?: number;
  /** Called for every stored record at open, to build a secondary index. */
  onOpen?(record: T): void;
}

interface SegmentData<T> {
  records: T[];
}

interface SegmentInfo {
  partition: string;
  file: string;
  count: number;
}

interface LoadedSegment<T> {
  db: Low<SegmentData<T>>;
  /** Replaced, not edited, when records are removed. */
  positions: Map<string, number>;
}

const SEGMENT_FILE = /^(\d{4}-\d{2}-\d{2}|[a-z0-9_-]+)\.(\d+)\.json$/;

export class SegmentedCollection<T extends { key: string }> {
  private readonly index = new Map<string, SegmentInfo>();
  /** Segments by partition, in creation order: the last is the one still filling. */
  private readonly byPartition = new Map<string, SegmentInfo[]>();
  private readonly loaded = new Map<string, Promise<LoadedSegment<T>>>();
  /**
   * Operations run one at a time. A segment is then never evicted and re-read while its write is
   * in flight, and two lowdb instances never write one file (steno's temp files would collide).
   * The bot's writes are sequential anyway; this costs nothing measurable.
   */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxPerSegment: number;
  private readonly cacheSize: number;

  private constructor(
    private readonly dir: string,
    private readonly options: SegmentedOptions<T>,
  ) {
    this.maxPerSegment = options.maxPerSegment ?? 1000;
    this.cacheSize = options.cacheSize ?? 8;
  }

  static async open<T extends { key: string }>(dir: string, options: SegmentedOptions<T>): Promise<SegmentedCollection<T>> {
    await mkdir(dir, { recursive: true });
    const collection = new SegmentedCollection<T>(dir, options);
    const files = (await readdir(dir)).filter((name) => SEGMENT_FILE.test(name));
    files.sort(compareSegmentFiles);
    for (const name of files) {
      const [, partition = ''] = SEGMENT_FILE.exec(name) ?? [];
      const file = path.join(dir, name);
      // Read one at a time: peak memory stays at one segment, not the whole history.
      const db = await openJsonFile<SegmentData<T>>(file, { records: [] }, collection.isSegment);
      const info: SegmentInfo = { partition, file, count: db.data.records.length };
      collection.addSegment(info);
      for (const record of db.data.records) {
        collection.index.set(record.key, info);
        options.onOpen?.(record);
      }
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
    return this.exclusive(async () => {
      const info = this.index.get(key);
      if (!info) return undefined;
      const segment = await this.load(info);
      const position = segment.positions.get(key);
      return position === undefined ? undefined : segment.db.data.records[position];
    });
  }

  /** Inserts or replaces a record and writes its segment (only that one) to disk. */
  put(record: T): Promise<void> {
    return this.exclusive(() => this.write(record));
  }

  /** Removes a record from its segment file (merges and erasures). Returns whether it existed. */
  delete(key: string): Promise<boolean> {
    return this.exclusive(async () => {
      const info = this.index.get(key);
      if (!info) return false;
      const segment = await this.load(info);
      const records = segment.db.data.records.filter((record) => record.key !== key);
      segment.db.data.records = records;
      segment.positions = new Map(records.map((record, index) => [record.key, index]));
      info.count = records.length;
      this.index.delete(key);
      await segment.db.write();
      return true;
    });
  }

  private exclusive<R>(operation: () => Promise<R>): Promise<R> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => {});
    return result;
  }

  private async write(record: T): Promise<void> {
    const info = this.index.get(record.key) ?? this.segmentWithRoom(this.options.partitionOf(record));
    const segment = await this.load(info);
    const position = segment.positions.get(record.key);
    if (position === undefined) {
      segment.positions.set(record.key, segment.db.data.records.length);
      segment.db.data.records.push(record);
      info.count = segment.db.data.records.length;
      this.index.set(record.key, info);
    } else {
      segment.db.data.records[position] = record;
    }
    await segment.db.write();
  }

  /** Partitions in order, e.g. the days that have mentions. */
  partitions(): string[] {
    return [...this.byPartition.keys()].sort();
  }

  async *readPartition(partition: string): AsyncGenerator<T> {
    for (const info of this.byPartition.get(partition) ?? []) {
      const records = await this.exclusive(async () => [...(await this.load(info)).db.data.records]);
      yield* records;
    }
  }

  private readonly isSegment = (data: unknown): data is SegmentData<T> =>
    isObject(data) && Array.isArray(data.records) && data.records.every((record) => this.options.isRecord(record));

  private addSegment(info: SegmentInfo): void {
    const list = this.byPartition.get(info.partition) ?? [];
    list.push(info);
    this.byPartition.set(info.partition, list);
  }

  private segmentWithRoom(partition: string): SegmentInfo {
    const list = this.byPartition.get(partition) ?? [];
    const last = list.at(-1);
    if (last && last.count < this.maxPerSegment) return last;
    const info: SegmentInfo = { partition, file: path.join(this.dir, `${partition}.${list.length}.json`), count: 0 };
    this.addSegment(info);
    return info;
  }

  private load(info: SegmentInfo): Promise<LoadedSegment<T>> {
    let loading = this.loaded.get(info.file);
    if (loading) {
      // Refresh its place in the LRU order.
      this.loaded.delete(info.file);
    } else {
      loading = openJsonFile<SegmentData<T>>(info.file, { records: [] }, this.isSegment).then((db) => ({
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
