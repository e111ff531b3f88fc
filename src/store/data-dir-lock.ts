import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SwitchboardError } from '../errors.ts';

export class DataDirLockedError extends SwitchboardError {
  constructor(dataDir: string, holder: string) {
    super(
      'data_dir_locked',
      `DATA_DIR ${dataDir} is in use by another Switchboard process (${holder}). Stop it first, or use another DATA_DIR.`,
      'needs_person',
    );
  }
}

/**
 * One process per DATA_DIR: two pollers on one store would post every mention twice.
 * The lock file holds the owner's PID; a lock left by a process that died (kill -9) is taken over.
 */
export class DataDirLock {
  private constructor(private readonly file: string) {}

  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, 'switchboard.lock');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx');
        writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString() }));
        closeSync(fd);
        return new DataDirLock(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(file);
      if (holder && holder.host === os.hostname() && isAlive(holder.pid)) {
        throw new DataDirLockedError(dataDir, `pid ${holder.pid}, since ${holder.startedAt}`);
      }
      if (holder && holder.host !== os.hostname()) {
        throw new DataDirLockedError(dataDir, `pid ${holder.pid} on host ${holder.host}`);
      }
      // The holder is gone (or the file is unreadable garbage from a crash mid-write): take over.
      rmSync(file, { force: true });
    }
    throw new DataDirLockedError(dataDir, 'the lock file keeps reappearing');
  }

  release(): void {
    const holder = readHolder(this.file);
    if (holder?.pid === process.pid) rmSync(this.file, { force: true });
  }
}

function readHolder(file: string): { pid: number; host: string; startedAt: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed?.pid === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
