/**
 * An exclusive lock on a PGlite data directory, held by one process at a time. PGlite runs the
 * whole PostgreSQL server inside the process that opens the directory, so two processes writing
 * one directory would corrupt it; this lock is what stops the second.
 *
 * The lock is a sibling file `<dir>.lock` holding the owner's pid. It is created atomically with
 * its content: the pid is written to a private temporary file which is then hard-linked to the
 * lock path (link(2) fails with EEXIST if the lock exists), so no process ever sees an empty or
 * half-written lock. A lock whose pid no longer runs is stale (its owner crashed); removing it is
 * done only while holding a second, mkdir-based mutex `<dir>.lock.takeover` and after re-reading
 * the pid under it, so two processes finding the same stale lock never remove each other's fresh
 * one.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { BaseError } from '@custos/core';

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

/** A takeover mutex older than this belongs to a process that died holding it. */
const TAKEOVER_STALE_MS = 10_000;

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — still running.
    return errno(error) === 'EPERM';
  }
}

function readHolder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Creates the lock file with our pid in one atomic step; false if it already exists. */
function tryCreate(lockPath: string): boolean {
  const temporary = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temporary, `${process.pid}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, lockPath);
    return true;
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Removes the lock if, under the takeover mutex, it still names the dead `pid`. */
function removeStale(lockPath: string, pid: number | undefined): void {
  const mutex = `${lockPath}.takeover`;
  try {
    mkdirSync(mutex);
  } catch (error) {
    if (errno(error) !== 'EEXIST') throw error;
    // Someone else is taking over; a mutex left by a crash is cleared once it is old.
    const since = statSync(mutex, { throwIfNoEntry: false })?.mtimeMs;
    if (since !== undefined && Date.now() - since > TAKEOVER_STALE_MS) rmdirSync(mutex);
    return;
  }
  try {
    if (readHolder(lockPath) === pid) rmSync(lockPath, { force: true });
  } finally {
    rmdirSync(mutex);
  }
}

function lockedError(directory: string, pid: number): BaseError {
  return new BaseError('DB_LOCKED', `database directory ${directory} is in use by process ${pid}`, {
    details: { directory, pid },
    hints: ['Stop the other custos process, or pass another directory with --db.'],
  });
}

/** Takes the lock for `directory` or throws DB_LOCKED naming the directory and the holder's pid. */
export function lockDirectory(directory: string): DirectoryLock {
  const lockPath = `${directory.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 50; attempt++) {
    let created: boolean;
    try {
      created = tryCreate(lockPath);
    } catch (cause) {
      throw new BaseError('DB_UNAVAILABLE', `cannot create the lock file ${lockPath} (${errno(cause) ?? 'error'})`, {
        details: { directory },
        cause,
      });
    }
    if (created) return holdLock(lockPath);
    const holder = readHolder(lockPath);
    if (holder === process.pid) {
      throw new BaseError('DB_LOCKED', `database directory ${directory} is already open in this process`, {
        details: { directory, pid: holder },
      });
    }
    if (holder !== undefined && isRunning(holder)) throw lockedError(directory, holder);
    removeStale(lockPath, holder);
  }
  throw new BaseError('DB_LOCKED', `could not take the lock on database directory ${directory}`, {
    details: { directory },
  });
}

function holdLock(lockPath: string): DirectoryLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    if (readHolder(lockPath) === process.pid) rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return { path: lockPath, release };
}
