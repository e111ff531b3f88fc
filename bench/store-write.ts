/**
 * One store-write measurement in a fresh process (so peak memory belongs to this case alone):
 * fills DATA_DIR with N stored mentions, opens the store as the bot does, then times single
 * mention writes. Prints one JSON line for bench/main.ts.
 */

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderDigestChart } from '../src/charts/digest-chart.ts';
import { isPosted } from '../src/domain/records.ts';
import { digestFiguresFrom } from '../src/services/digest.ts';
import { MentionStore } from '../src/store/files/mention-store.ts';
import { syntheticRecord } from './synthetic.ts';

const stored = Number(process.argv[2] ?? 10_000);
const writes = Number(process.argv[3] ?? 300);
/** `fill` writes the history and opens it once (building the index files); `measure` opens it again in a fresh process. */
const phase = process.argv[4] ?? 'fill';
const PER_SEGMENT = 1000;
const PER_DAY = 2 * PER_SEGMENT;

if (phase === 'fill') {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-bench-'));
  // Write the history straight to segment files, in the store's own format (fast to generate).
  await mkdir(path.join(dir, 'mentions'), { recursive: true });
  const startDay = Date.UTC(2024, 0, 1);
  for (let offset = 0; offset < stored; offset += PER_SEGMENT) {
    const count = Math.min(PER_SEGMENT, stored - offset);
    const dayIndex = Math.floor(offset / PER_DAY);
    const day = new Date(startDay + dayIndex * 86_400_000).toISOString().slice(0, 10);
    const records = Array.from({ length: count }, (_, i) => syntheticRecord(offset + i, `${day}T10:00:00.000Z`, true));
    await writeFile(path.join(dir, 'mentions', `${day}.${Math.floor((offset % PER_DAY) / PER_SEGMENT)}.json`), JSON.stringify({ records }));
  }
  // The first open reads every segment and writes its index file (as after an upgrade).
  const t0 = performance.now();
  await MentionStore.open(dir);
  process.stdout.write(`${JSON.stringify({ dir, firstOpenMs: performance.now() - t0 })}\n`);
  process.exit(0);
}

const dir = process.argv[5] ?? '';
const startDay = Date.UTC(2024, 0, 1);
try {
  const openStart = performance.now();
  const store = await MentionStore.open(dir);
  const openMs = performance.now() - openStart;
  const found = await store.count();
  if (found !== stored) throw new Error(`expected ${stored} stored, found ${found}`);
  // The process's peak so far: what opening the history costs (before any digest or write).
  const openPeakRssMb = process.resourceUsage().maxRSS / 1024;
  // The per-contact index is built after open, in the background: when it is ready, and the peak then.
  await store.keysForContact('nobody');
  const contactIndexMs = performance.now() - openStart;
  const contactIndexPeakRssMb = process.resourceUsage().maxRSS / 1024;

  // The digest of the history's last full day (and the week before it), as the scheduler builds it,
  // chart included. Best of three: the first run also pays for loading the files from disk.
  const lastDay = new Date(startDay + (Math.ceil(stored / PER_DAY) - 1) * 86_400_000).toISOString().slice(0, 10);
  const rssBeforeDigestMb = process.memoryUsage().rss / 1024 / 1024;
  const digestRuns: number[] = [];
  let digestMentions = 0;
  for (let run = 0; run < 3; run++) {
    const t0 = performance.now();
    const figures = await digestFiguresFrom(
      { mentions: store },
      { first: lastDay, last: lastDay },
      { timeZone: 'Europe/Paris', responseTargetMinutes: 60 },
    );
    renderDigestChart(figures.chart, 'bench');
    digestRuns.push(performance.now() - t0);
    digestMentions = figures.total.count;
  }
  const digestColdMs = digestRuns[0] ?? 0;
  const digestMs = Math.min(...digestRuns);

  // New mentions of "today": each is an attempt write then a posted write, as ingest does.
  const today = '2026-11-25T09:00:00.000Z';
  const times: number[] = [];
  for (let i = 0; i < writes; i++) {
    const record = syntheticRecord(stored + i, today, false);
    const t0 = performance.now();
    await store.recordAttempt(record);
    times.push(performance.now() - t0);
    await store.recordPosted(record.key, `1764000000.${String(i).padStart(6, '0')}`);
  }
  // A poll's re-read window (late mentions): the newest 100 listed again, each looked up by key and
  // skipped as ingest does. Best of five, per mention.
  const recent = Array.from({ length: Math.min(100, writes) }, (_, i) => syntheticRecord(stored + writes - 1 - i, today, false).key);
  const rereadRuns: number[] = [];
  for (let run = 0; run < 5; run++) {
    const t0 = performance.now();
    for (const key of recent) {
      if ((await store.wasErased(key)) || !isPosted(await store.get(key))) throw new Error(`${key} should be stored and posted`);
    }
    rereadRuns.push((performance.now() - t0) / recent.length);
  }
  const rereadMsPerMention = Math.min(...rereadRuns);

  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  const p99 = times[Math.floor(times.length * 0.99)] ?? 0;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${JSON.stringify({ stored, writes, medianMs: median, p99Ms: p99, openMs, openPeakRssMb, contactIndexMs, contactIndexPeakRssMb, peakRssMb, digestMs, digestColdMs, digestMentions, rssBeforeDigestMb, rereadMsPerMention })}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
