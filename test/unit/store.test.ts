import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isPosted } from '../../src/domain/records.ts';
import { ContactStore } from '../../src/store/files/contact-store.ts';
import { CursorStore } from '../../src/store/files/cursor-store.ts';
import { DataDirLock, DataDirLockedError } from '../../src/store/files/data-dir-lock.ts';
import { StoreFileError } from '../../src/store/files/json-file.ts';
import { MentionStore } from '../../src/store/files/mention-store.ts';
import { SegmentedCollection } from '../../src/store/files/segmented-collection.ts';
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
      expect((await readdir(dir)).sort()).toEqual([
        '2026-11-24.0.index',
        '2026-11-24.0.json',
        '2026-11-24.1.index',
        '2026-11-24.1.json',
        '2026-11-25.0.index',
        '2026-11-25.0.json',
      ]);

      const reopened = await SegmentedCollection.open<Item>(dir, options);
      expect(reopened.size).toBe(7);
      for (let i = 0; i < 7; i++) expect((await reopened.get(`k${i}`))?.value).toBe(i);
      expect(reopened.partitions()).toEqual(['2026-11-24', '2026-11-25']);
      const day: Item[] = [];
      for await (const item of reopened.readPartition('2026-11-24')) day.push(item);
      expect(day.map((item) => item.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    });

    it("opens from the segments' index files without reading a segment, and reads one again when its index is out of date", async () => {
      const dir = path.join(data.dir, 'items');
      const indexed: string[] = [];
      const withIndex = {
        ...options,
        indexFields: ['day'] as const,
        onOpenPlain: (item: { key: string; day: string }) => indexed.push(`${item.key}@${item.day}`),
      };
      const collection = await SegmentedCollection.open<Item, never, 'day'>(dir, withIndex);
      for (let i = 0; i < 5; i++) await collection.put({ key: `k${i}`, day: '2026-11-24', value: i });

      const reads = vi.spyOn(Low.prototype, 'read');
      const reopened = await SegmentedCollection.open<Item, never, 'day'>(dir, withIndex);
      expect(reads).not.toHaveBeenCalled(); // keys and index fields came from the index files
      expect(reopened.size).toBe(5);
      expect(indexed.sort()).toEqual(['k0@2026-11-24', 'k1@2026-11-24', 'k2@2026-11-24', 'k3@2026-11-24', 'k4@2026-11-24']);
      expect((await reopened.get('k3'))?.value).toBe(3); // loaded on demand
      reads.mockClear();

      // A segment changed behind the store's back (by hand, or a crash between the two writes):
      // its index no longer matches, so it is read and checked in full, and its index rewritten.
      const segment = path.join(dir, '2026-11-24.0.json');
      const changed = JSON.parse(await readFile(segment, 'utf8'));
      changed.records.push({ key: 'k9', day: '2026-11-24', value: 9 });
      await writeFile(segment, JSON.stringify(changed));
      const afterChange = await SegmentedCollection.open<Item, never, 'day'>(dir, withIndex);
      expect(afterChange.size).toBe(6);
      expect(reads).toHaveBeenCalledTimes(1);
      reads.mockRestore();

      // And a segment corrupted behind its back is refused at open, named, and left as it was.
      await writeFile(segment, '{"records": [');
      await expect(SegmentedCollection.open<Item, never, 'day'>(dir, withIndex)).rejects.toThrow(StoreFileError);
      expect(await readFile(segment, 'utf8')).toBe('{"records": [');
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
      expect(isPosted(attempt)).toBe(false);
      await store.recordPosted('x:100', '1764000000.000100');
      const reopened = await MentionStore.open(data.dir);
      const record = await reopened.get('x:100');
      expect(isPosted(record)).toBe(true);
      expect(record?.slack).toMatchObject({ channel: 'C0MENTIONS', ts: '1764000000.000100' });
      expect(await reopened.days()).toEqual(['2026-11-25']);
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
      expect(await reopened.count()).toBe(1);
      expect((await reopened.findByAuthor('x', { id: '42', handle: 'whatever' }))?.key).toBe(created.key);
      expect((await reopened.findByAuthor('x', { id: 'unknown', handle: 'COUNTESS_ADA' }))?.key).toBe(created.key);
    });
  });

  describe('atomic updates of one record', () => {
    it('keeps both changes when a reply is marked sent and a Like lands at the same instant', async () => {
      const mentions = await MentionStore.open(data.dir);
      await mentions.recordAttempt(mentionRecord('1861'));
      await mentions.recordPosted('x:1861', '1764000000.000100');
      await Promise.all([
        mentions.updateWorkflow('x:1861', (workflow) => ({ ...workflow, liked: { by: 'U0AGENT02', at: '2026-11-25T10:00:00.000Z' } })),
        mentions.updateWorkflow('x:1861', (workflow) => ({
          ...workflow,
          replies: [...(workflow.replies ?? []), { by: 'U0AGENT01', at: '2026-11-25T10:00:00.000Z' }],
        })),
        mentions.updateWorkflow('x:1861', (workflow) => ({ ...workflow, assignee: 'U0AGENT03' })),
      ]);
      const reopened = await MentionStore.open(data.dir);
      expect((await reopened.get('x:1861'))?.workflow).toEqual({
        liked: { by: 'U0AGENT02', at: '2026-11-25T10:00:00.000Z' },
        replies: [{ by: 'U0AGENT01', at: '2026-11-25T10:00:00.000Z' }],
        assignee: 'U0AGENT03',
      });
      expect((await reopened.get('x:1861'))?.slack.ts).toBe('1764000000.000100');
    });

    it('writes a page of records with one write per segment it touches, not one per record', async () => {
      const collection = await SegmentedCollection.open<Item>(path.join(data.dir, 'items'), { ...options, maxPerSegment: 1000 });
      const writes = vi.spyOn(Low.prototype, 'write');
      const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
      const days = ['2026-11-24', '2026-11-25'];
      await collection.upsertMany(keys, (key, current) => ({
        key,
        day: days[Number(key.slice(1)) % 2] ?? '',
        value: (current?.value ?? 0) + 1,
      }));
      expect(writes).toHaveBeenCalledTimes(2); // two days: two segment files
      writes.mockClear();
      await collection.upsertMany(keys, (_key, current) => (current ? { ...current, value: current.value + 1 } : undefined));
      expect(writes).toHaveBeenCalledTimes(2);
      writes.mockRestore();
      const reopened = await SegmentedCollection.open<Item>(path.join(data.dir, 'items'), { ...options, maxPerSegment: 1000 });
      expect(reopened.size).toBe(100);
      expect((await reopened.get('k7'))?.value).toBe(2);
    });

    it('applies 200 concurrent counters to one record without losing one', async () => {
      const collection = await SegmentedCollection.open<Item>(path.join(data.dir, 'items'), options);
      await collection.put({ key: 'a', day: '2026-11-25', value: 0 });
      await Promise.all(Array.from({ length: 200 }, () => collection.update('a', (item) => ({ ...item, value: item.value + 1 }))));
      expect((await collection.get('a'))?.value).toBe(200);
      expect(await collection.update('missing', (item) => item)).toBeUndefined();
    });
  });

  describe('CursorStore', () => {
    it('persists each platform cursor', async () => {
      const cursors = await CursorStore.open(data.dir);
      expect(await cursors.get('x')).toBeUndefined();
      await cursors.set('x', '1861000000000000123');
      expect(await (await CursorStore.open(data.dir)).get('x')).toBe('1861000000000000123');
    });
  });

  describe('DataDirLock', () => {
    const lockFile = () => path.join(data.dir, 'switchboard.lock');
    const { hostname } = os;
    const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

    it('lets one holder have DATA_DIR, in this process or another, and takes over a lock left by a dead process', async () => {
      const lock = await DataDirLock.acquire(data.dir);
      await expect(DataDirLock.acquire(data.dir)).rejects.toThrow(DataDirLockedError);
      lock.release();
      await writeFile(lockFile(), JSON.stringify({ pid: 2_147_483_646, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
      const takenOver = await DataDirLock.acquire(data.dir);
      expect(JSON.parse(await readFile(lockFile(), 'utf8')).pid).toBe(process.pid);
      takenOver.release();
    });

    it('takes back a lock naming its own PID, as a container restarted as PID 1 finds it', async () => {
      // What the previous life of this process left when it was killed: same PID, same host and boot.
      await writeFile(
        lockFile(),
        JSON.stringify({
          token: 'earlier-life',
          pid: process.pid,
          host: hostname(),
          bootId: bootId(),
          startedAt: '2026-01-01T00:00:00Z',
          beat: 7,
        }),
      );
      const lock = await DataDirLock.acquire(data.dir);
      expect(JSON.parse(await readFile(lockFile(), 'utf8')).token).not.toBe('earlier-life');
      lock.release();
    });

    it('takes over a lock from another host once its heartbeat stops, and refuses one whose heartbeat moves', async () => {
      const foreign = { token: 'other-host', pid: 1, host: 'replica-elsewhere', startedAt: '2026-01-01T00:00:00Z', beat: 0 };
      await writeFile(lockFile(), JSON.stringify(foreign));
      const started = Date.now();
      const lock = await DataDirLock.acquire(data.dir, { heartbeatMs: 100, staleMs: 600 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(550); // it watched the heartbeat first
      lock.release();

      await writeFile(lockFile(), JSON.stringify(foreign));
      let beat = 0;
      const alive = setInterval(() => void writeFile(lockFile(), JSON.stringify({ ...foreign, beat: ++beat })), 100);
      try {
        await expect(DataDirLock.acquire(data.dir, { heartbeatMs: 100, staleMs: 600 })).rejects.toThrow(/replica-elsewhere/);
      } finally {
        clearInterval(alive);
      }
    });

    it('gives a stale lock to exactly one of 25 processes racing for it', async () => {
      await writeFile(
        lockFile(),
        JSON.stringify({ token: 'dead', pid: 2_147_483_646, host: hostname(), bootId: bootId(), startedAt: '', beat: 0 }),
      );
      const startAt = Date.now() + 2_500; // every process is up and waiting by then
      const script = path.resolve(import.meta.dirname, '../helpers/lock-contender.ts');
      const contenders = Array.from({ length: 25 }, () =>
        spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, data.dir, String(startAt)], {
          stdio: ['pipe', 'pipe', 'inherit'],
        }),
      );
      // Each answers once; the winner holds the lock until every one has answered.
      const answers = await Promise.all(
        contenders.map(
          (child) =>
            new Promise<string>((resolve) => {
              let out = '';
              child.stdout.on('data', (chunk: Buffer) => {
                out += chunk.toString();
                if (out.includes('\n')) resolve(out.trim());
              });
            }),
        ),
      );
      for (const child of contenders) child.stdin.end();
      await Promise.all(contenders.map((child) => new Promise((resolve) => child.on('exit', resolve))));
      expect(answers.filter((line) => line === 'acquired')).toHaveLength(1);
      expect(answers.filter((line) => line.startsWith('refused: DATA_DIR'))).toHaveLength(24);
    }, 30_000);

    it('tells the holder when another process took the lock over, so it stops instead of writing beside it', async () => {
      const lost: string[] = [];
      const lock = await DataDirLock.acquire(data.dir, { heartbeatMs: 50, onLost: (reason) => lost.push(reason) });
      await writeFile(lockFile(), JSON.stringify({ token: 'thief', pid: 4242, host: 'elsewhere', startedAt: '', beat: 0 }));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(lost).toEqual(['taken over by pid 4242 on elsewhere']);
      lock.release();
      expect(JSON.parse(await readFile(lockFile(), 'utf8')).token).toBe('thief'); // release leaves another's lock alone
    });
  });
});
