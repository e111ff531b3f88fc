import { randomUUID } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SwitchboardError } from '../../errors.ts';

export class DataDirLockedError extends SwitchboardError {
  constructor(dataDir: string, holder: string) {
    super(
      'data_dir_locked',
      `DATA_DIR ${dataDir} is in use by another Switchboard process (${holder}). Stop it first, or use another DATA_DIR.`,
      'needs_person',
    );
  }
}

export interface DataDirLockOptions {
  /** How often the holder proves it is alive. */
  heartbeatMs?: number;
  /** How long a lock from another host may go without a heartbeat before it is taken over. */
  staleMs?: number;
  /** Called if another process took the lock over (this one was frozen longer than `staleMs`). */
  onLost?: (reason: string) => void;
}

interface Holder {
  token: string;
  pid: number;
  host: string;
  /** Linux's boot ID: a PID from an earlier boot names nobody now. */
  bootId?: string;
  startedAt: string;
  /** Counts up at every heartbeat: another host can see it move without comparing clocks. */
  beat: number;
}

/** Locks taken by this process, so a second `acquire` in the same process is refused too. */
const heldHere = new Set<string>();

/**
 * One process per DATA_DIR: two pollers on one store would post every mention twice.
 *
 * Right in containers and across hosts:
 * - same host and boot: the holder's PID decides; a lock naming our own PID is a previous life of
 *   this process (a container's PID 1 after a restart), so it is ours to take over;
 * - another host (a shared volume): the lock is live while its heartbeat counter moves; one that
 *   stands still for `staleMs` is taken over;
 * - take-over is atomic: only the process that creates `switchboard.lock.takeover` first may
 *   replace the lock, after checking it is still the stale one it judged; the others see a live
 *   lock and stop.
 */
export class DataDirLock {
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly file: string,
    private holder: Holder,
    private readonly options: Required<Pick<DataDirLockOptions, 'heartbeatMs'>> & DataDirLockOptions,
  ) {}

  static async acquire(dataDir: string, options: DataDirLockOptions = {}): Promise<DataDirLock> {
    const heartbeatMs = options.heartbeatMs ?? 5_000;
    const staleMs = options.staleMs ?? 3 * heartbeatMs;
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'switchboard.lock');
    if (heldHere.has(file)) throw new DataDirLockedError(dataDir, `this very process, pid ${process.pid}`);

    for (let attempt = 0; attempt < 20; attempt++) {
      const mine = newHolder();
      if (createExclusive(file, mine)) return DataDirLock.held(file, mine, { ...options, heartbeatMs });

      const current = readHolder(file);
      const verdict = current ? await judge(current, file, staleMs) : { stale: true as const };
      if (!verdict.stale) throw new DataDirLockedError(dataDir, verdict.holder);
      if (takeOver(file, current?.token, mine)) return DataDirLock.held(file, mine, { ...options, heartbeatMs });
      // Another process is taking it over right now: look again in a moment (it will be live).
      await sleep(50 + Math.random() * 100);
    }
    throw new DataDirLockedError(dataDir, 'the lock keeps changing hands');
  }

  private static held(file: string, holder: Holder, options: DataDirLock['options']): DataDirLock {
    heldHere.add(file);
    const lock = new DataDirLock(file, holder, options);
    lock.timer = setInterval(() => lock.heartbeat(), options.heartbeatMs);
    lock.timer.unref();
    return lock;
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    heldHere.delete(this.file);
    if (readHolder(this.file)?.token === this.holder.token) rmSync(this.file, { force: true });
  }

  private heartbeat(): void {
    const current = readHolder(this.file);
    if (current?.token !== this.holder.token) {
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      const reason = current ? `taken over by pid ${current.pid} on ${current.host}` : 'the lock file was removed';
      (this.options.onLost ?? defaultOnLost)(reason);
      return;
    }
    this.holder = { ...this.holder, beat: this.holder.beat + 1 };
    writeAtomically(this.file, this.holder);
  }
}

function newHolder(): Holder {
  return {
    token: randomUUID(),
    pid: process.pid,
    host: os.hostname(),
    bootId: bootId(),
    startedAt: new Date().toISOString(),
    beat: 0,
  };
}

/** Whether the lock is stale, or who holds it. */
async function judge(holder: Holder, file: string, staleMs: number): Promise<{ stale: true } | { stale: false; holder: string }> {
  const who = `pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`;
  if (holder.host === os.hostname()) {
    // A PID from an earlier boot names nobody now.
    const ours = bootId();
    if (holder.bootId && ours && holder.bootId !== ours) return { stale: true };
    // Our own PID in a lock we do not hold: an earlier life of this process (PID 1 in a container).
    if (holder.pid === process.pid) return { stale: true };
    return isAlive(holder.pid) ? { stale: false, holder: who } : { stale: true };
  }
  // Another host: watch the heartbeat, not the clocks.
  const deadline = Date.now() + staleMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(250, staleMs / 4));
    const now = readHolder(file);
    if (!now || now.token !== holder.token) return { stale: false, holder: 'another process, just now' };
    if (now.beat !== holder.beat) return { stale: false, holder: who };
  }
  return { stale: true };
}

function createExclusive(file: string, holder: Holder): boolean {
  // Written to a temp file and linked into place, so the lock is never seen half-written.
  const temp = writeTemp(file, holder);
  try {
    // link() fails with EEXIST if the lock exists: creation and content in one atomic step.
    linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Replaces a stale lock, if this process wins the take-over. The take-over file is created
 * exclusively; the winner checks the lock is still the one judged stale, then renames its own over
 * it. One left by a process that crashed mid-take-over is removed after 10 s.
 */
function takeOver(file: string, staleToken: string | undefined, mine: Holder): boolean {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const age = Date.now() - (statMtime(guard) ?? Date.now());
    if (age > 10_000) rmSync(guard, { force: true });
    return false;
  }
  try {
    closeSync(fd);
    if (readHolder(file)?.token !== staleToken) return false; // someone else took it meanwhile
    writeAtomically(file, mine);
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

function writeAtomically(file: string, holder: Holder): void {
  renameSync(writeTemp(file, holder), file);
}

/** The holder written beside the lock, under a name only this holder uses. */
function writeTemp(file: string, holder: Holder): string {
  const temp = `${file}.${holder.token}.tmp`;
  writeFileSync(temp, JSON.stringify(holder), { mode: 0o600 });
  return temp;
}

function readHolder(file: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<Holder>;
    if (typeof parsed?.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
    // A lock from before heartbeats: no token or beat.
    return { token: '', beat: 0, startedAt: '', ...parsed } as Holder;
  } catch {
    return undefined;
  }
}

function statMtime(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined | null = null;
function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function defaultOnLost(reason: string): void {
  // Two writers on one data folder would corrupt it: stop rather than go on.
  process.stderr.write(`Switchboard stops: it no longer holds the data folder's lock (${reason}).\n`);
  process.exit(1);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
