import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContactStore } from '../../src/store/contact-store.ts';
import { CursorStore } from '../../src/store/cursor-store.ts';
import { DataDirLock, DataDirLockedError } from '../../src/store/data-dir-lock.ts';
import { StoreFileError } from '../../src/store/json-file.ts';
import { MentionStore } from '../../src/store/mention-store.ts';
import { SegmentedCollection } from '../../src/store/segmented-collection.ts';
import { mentionRecord } from '../helpers/factories.ts';
import { tempDataDir } from '../helpers/harness.ts';

interface Item {
  key: string;
  day: string;
  value: number;
}
const isItem = (value: unknown): value is Item => typeof (value as Item)?.key === 'string';
const options = { partitionOf: (item: Item) => item.day, isRecord: isItem, maxPerSegment: 3, cacheSize: 2 };

describe('store on real lowdb files', () => {
  let data: Awaited<ReturnType<typeof tempDataDir>>;
  beforeEach(async () => {
    data = await tempDataDir();
  });
  afterEach(async () => {
    await data.remove();
  });

  describe('SegmentedCollection', () => {
    it('splits records by partition into segments of bounded size, and reads them back after reopening', async () => {
      const dir = path.join(data.dir, 'items');
      const collection = await SegmentedCollection.open<Item>(dir, options);
      for (let i = 0; i < 7; i++) await collection.put({ key: `k${i}`, day: i < 5 ? '2026-11-24' : '2026-11-25', value: i });
      expect((await readdir(dir)).sort()).toEqual(['2026-11-24.0.json', '2026-11-24.1.json', '2026-11-25.0.json']);

      const reopened = await SegmentedCollection.open<Item>(dir, options);
      expect(reopened.size).toBe(7);
      for (let i = 0; i < 7; i++) expect((await reopened.get(`k${i}`))?.value).toBe(i);
      expect(reopened.partitions()).toEqual(['2026-11-24', '2026-11-25']);
      const day: Item[] = [];
      for await (const item of reopened.readPartition('2026-11-24')) day.push(item);
      expect(day.map((item) => item.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    });

    it('replaces a record in place, writing only its own segment', async () => {
      const dir = path.join(data.dir, 'items');
      const collection = await SegmentedCollection.open<Item>(dir, options);
      for (let i = 0; i < 6; i++) await collection.put({ key: `k${i}`, day: '2026-11-24', value: i });
      const other = await readFile(path.join(dir, '2026-11-24.1.json'), 'utf8');
      await collection.put({ key: 'k1', day: '2026-11-24', value: 100 });
      expect(await readFile(path.join(dir, '2026-11-24.1.json'), 'utf8')).toBe(other);
      expect(JSON.parse(await readFile(path.join(dir, '2026-11-24.0.json'), 'utf8')).records[1].value).toBe(100);
      expect(collection.size).toBe(6);
    });

    it('keeps writes made to a segment that was evicted from the cache mid-write', async () => {
      const dir = path.join(data.dir, 'items');
      const collection = await SegmentedCollection.open<Item>(dir, { ...options, cacheSize: 1 });
      // Alternate between two partitions without awaiting: each put evicts the other's segment.
      await Promise.all(Array.from({ length: 6 }, (_, i) => collection.put({ key: `k${i}`, day: i % 2 ? 'a' : 'b', value: i })));
      const reopened = await SegmentedCollection.open<Item>(dir, options);
      expect(reopened.size).toBe(6);
      for (let i = 0; i < 6; i++) expect((await reopened.get(`k${i}`))?.value).toBe(i);
    });

    it('refuses a corrupt segment at open, naming it, and leaves it untouched', async () => {
      const dir = path.join(data.dir, 'items');
      const collection = await SegmentedCollection.open<Item>(dir, options);
      await collection.put({ key: 'k0', day: '2026-11-24', value: 0 });
      const file = path.join(dir, '2026-11-24.0.json');
      await writeFile(file, '{"records":[{"key":');
      await expect(SegmentedCollection.open<Item>(dir, options)).rejects.toThrow(StoreFileError);
      await expect(SegmentedCollection.open<Item>(dir, options)).rejects.toThrow(file);
      expect(await readFile(file, 'utf8')).toBe('{"records":[{"key":');
    });
  });

  describe('MentionStore', () => {
    it('counts a mention as posted only once its Slack ts is recorded', async () => {
      const store = await MentionStore.open(data.dir);
      const attempt = await store.recordAttempt(mentionRecord('100'));
      expect(store.isPosted(attempt)).toBe(false);
      await store.recordPosted('x:100', '1764000000.000100');
      const reopened = await MentionStore.open(data.dir);
      const record = await reopened.get('x:100');
      expect(reopened.isPosted(record)).toBe(true);
      expect(record?.slack).toMatchObject({ channel: 'C0MENTIONS', ts: '1764000000.000100' });
      expect(reopened.days()).toEqual(['2026-11-25']);
    });

    it('keeps the time of the first attempt across retries (history is searched from it)', async () => {
      const store = await MentionStore.open(data.dir);
      const first = await store.recordAttempt(mentionRecord('7'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await store.recordAttempt(mentionRecord('7'));
      expect(second.slack.attemptedAt).toBe(first.slack.attemptedAt);
    });
  });

  describe('ContactStore', () => {
    const author = { id: '42', handle: 'ada_l', name: 'Ada Lovelace', profileUrl: 'https://x.com/ada_l' };

    it('creates one contact per author and links them again by user ID, even after a handle change', async () => {
      const store = await ContactStore.open(data.dir);
      const created = await store.ensureForAuthor('x', author);
      expect(created.name).toBe('Ada Lovelace');
      expect((await store.ensureForAuthor('x', author)).key).toBe(created.key);
      const renamed = await store.ensureForAuthor('x', { ...author, handle: 'countess_ada' });
      expect(renamed.key).toBe(created.key);
      expect(renamed.identities).toEqual([{ platform: 'x', userId: '42', handle: 'countess_ada', profileUrl: 'https://x.com/ada_l' }]);

      const reopened = await ContactStore.open(data.dir);
      expect(reopened.size).toBe(1);
      expect((await reopened.findByAuthor('x', { id: '42', handle: 'whatever' }))?.key).toBe(created.key);
      expect((await reopened.findByAuthor('x', { id: 'unknown', handle: 'COUNTESS_ADA' }))?.key).toBe(created.key);
    });
  });

  describe('CursorStore', () => {
    it('persists each platform cursor', async () => {
      const cursors = await CursorStore.open(data.dir);
      expect(cursors.get('x')).toBeUndefined();
      await cursors.set('x', '1861000000000000123');
      expect((await CursorStore.open(data.dir)).get('x')).toBe('1861000000000000123');
    });
  });

  describe('DataDirLock', () => {
    it('lets one process hold DATA_DIR and takes over a lock left by a dead process', async () => {
      const lock = DataDirLock.acquire(data.dir);
      expect(() => DataDirLock.acquire(data.dir)).toThrow(DataDirLockedError);
      lock.release();
      const file = path.join(data.dir, 'switchboard.lock');
      const { hostname } = await import('node:os');
      await writeFile(file, JSON.stringify({ pid: 2_147_483_646, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
      const takenOver = DataDirLock.acquire(data.dir);
      expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.pid);
      takenOver.release();
    });
  });
});
