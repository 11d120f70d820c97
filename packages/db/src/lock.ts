/**
 * An exclusive lock on a PGlite data directory, held by one process at a time. PGlite runs the
 * whole PostgreSQL server inside the process that opens the directory, so two processes writing
 * one directory would corrupt it; this lock is what stops the second. It is a sibling file
 * `<dir>.lock` created with O_EXCL and holding the owner's pid. A lock whose pid no longer runs is
 * stale (the owner crashed) and is taken over.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { BaseError } from '@custos/core';

export interface DirectoryLock {
  readonly path: string;
  release(): void;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else — still running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Takes the lock for `directory` or throws DB_LOCKED naming the directory and the holder's pid. */
export function lockDirectory(directory: string): DirectoryLock {
  const lockPath = `${directory.replace(/\/+$/, '')}.lock`;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        if (readHolder(lockPath) === process.pid) rmSync(lockPath, { force: true });
        process.off('exit', release);
      };
      process.on('exit', release);
      return { path: lockPath, release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new BaseError('DB_UNAVAILABLE', `cannot create the lock file ${lockPath}`, { cause: error });
      }
    }
    const holder = readHolder(lockPath);
    if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
      throw new BaseError('DB_LOCKED', `database directory ${directory} is in use by process ${holder}`, {
        details: { directory, pid: holder },
        hints: ['Stop the other custos process, or pass another directory with --db.'],
      });
    }
    if (holder === process.pid) {
      throw new BaseError('DB_LOCKED', `database directory ${directory} is already open in this process`, {
        details: { directory, pid: holder },
      });
    }
    // Stale (owner gone) or half-written: remove and try again; O_EXCL settles any race.
    rmSync(lockPath, { force: true });
  }
  throw new BaseError('DB_LOCKED', `could not take the lock on database directory ${directory}`, {
    details: { directory },
  });
}
