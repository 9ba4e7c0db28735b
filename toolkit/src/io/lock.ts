/**
 * Folder locks: one process at a time writes a run or ablation folder.
 *
 * A lock is the file `DIR/.lock`, created whole and exclusively (a hard link of a private file, which
 * fails when the lock exists, so exactly one of two racing processes creates it) and holding JSON that names its holder: `{ pid, host, threadId, startedAt, command }`. A second
 * process asking for the same folder gets a {@link RunFolderError} naming the holder, at once (no waiting:
 * two runs writing one folder interleave their metrics, and waiting would only hide that a run is going on).
 *
 * A lock whose holder is gone is stale: on the same host, a process id that no longer exists
 * (`process.kill(pid, 0)` fails with `ESRCH`) means the holder died without releasing it (SIGKILL, a
 * power cut); such a lock is taken over and the caller is told so. A lock from another host cannot be
 * checked from here and is refused with the command that removes it.
 *
 * Locks are released by {@link FolderLock.release}; as a last resort, every lock this thread still holds
 * is removed when the process exits (`process.on('exit')`, which also runs on `process.exit`).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import { RunFolderError } from '../core/errors';

/** The name of the lock file inside a locked folder. */
export const LOCK_FILE = '.lock';

/** What a lock file says about its holder. */
export interface LockInfo {
  readonly pid: number;
  readonly host: string;
  /** The worker thread of the holder (0: the main thread); ablation cells lock from worker threads. */
  readonly threadId: number;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** The holder's command line, for the error message. */
  readonly command: string;
}

/** A held lock. */
export interface FolderLock {
  readonly dir: string;
  readonly file: string;
  readonly info: LockInfo;
  /** Removes the lock file (only if it is still ours); idempotent. */
  release(): void;
}

/** Options of {@link lockFolder}. */
export interface LockOptions {
  /** Told when a stale lock is taken over (the CLI prints it). */
  readonly onMessage?: (message: string) => void;
  /** What the folder is, for messages (default `"folder"`). */
  readonly what?: string;
}

const held = new Map<string, FolderLock>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous on purpose: 'exit' listeners cannot wait.
  process.on('exit', () => {
    for (const lock of [...held.values()]) lock.release();
  });
}

/** Whether process `pid` exists on this host (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  // kill(0 or negative) would address process groups, not one process.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads a lock file; null when it is missing; a file that is not a lock's JSON yields null fields. */
export function readLock(file: string): LockInfo | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return {
      pid: typeof v.pid === 'number' ? v.pid : -1,
      host: typeof v.host === 'string' ? v.host : '?',
      threadId: typeof v.threadId === 'number' ? v.threadId : 0,
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : '?',
      command: typeof v.command === 'string' ? v.command : '?',
    };
  } catch {
    // Not a lock's JSON (locks are created whole, so not one being written): nobody can hold it.
    return { pid: -1, host: os.hostname(), threadId: 0, startedAt: '?', command: '?' };
  }
}

function describe(info: LockInfo): string {
  return `process ${info.pid} on ${info.host} (started ${info.startedAt}: ${info.command})`;
}

/**
 * Creates `file` holding `text`, failing with EEXIST when it exists. The text is written to a private
 * name first and hard-linked into place (link(2) fails when the target exists), so the lock file never
 * exists half-written: a reader that finds it always finds its holder. Where hard links are not
 * supported, an exclusive create and a write do it (a reader may then, for a moment, find it empty).
 */
function createWhole(file: string, text: string): void {
  const own = `${file}.${process.pid}-${threadId}.new`;
  fs.writeFileSync(own, text);
  try {
    fs.linkSync(own, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EXDEV') throw e;
    const fd = fs.openSync(file, 'wx');
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(own, { force: true });
  }
}

/**
 * Takes the lock of `dir` (created if missing).
 * @throws {@link RunFolderError} when another live process (or thread, or an earlier call of this
 *   thread) holds it, or when it was taken on another host.
 */
export function lockFolder(dir: string, options: LockOptions = {}): FolderLock {
  const what = options.what ?? 'folder';
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const key = path.resolve(file);
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    threadId,
    startedAt: new Date().toISOString(),
    command: process.argv.slice(1).join(' ').slice(0, 300),
  };
  const text = JSON.stringify(info) + '\n';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      createWhole(file, text);
      const lock: FolderLock = {
        dir,
        file,
        info,
        release() {
          if (held.get(key) !== lock) return;
          held.delete(key);
          // Only our own lock: a stale-lock takeover by someone else must not be undone by us.
          const now = readLock(file);
          if (now && now.pid === info.pid && now.threadId === info.threadId && now.startedAt === info.startedAt) fs.rmSync(file, { force: true });
        },
      };
      held.set(key, lock);
      installExitHook();
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(file);
    if (!holder) continue; // released between our open and our read: try again
    const mine = holder.pid === process.pid && holder.host === info.host;
    if (held.has(key) || (mine && holder.threadId !== threadId)) {
      throw new RunFolderError(`${what} ${dir} is in use by this process (${mine && holder.threadId !== threadId ? `worker thread ${holder.threadId}` : 'an earlier call that has not finished'}); use another folder`);
    }
    if (holder.host !== info.host) {
      throw new RunFolderError(
        `${what} ${dir} is locked by ${describe(holder)}; that host cannot be checked from here. ` +
          `If no run is going on there, remove the lock with: rm ${JSON.stringify(file)}`,
      );
    }
    if (!mine && processAlive(holder.pid)) {
      throw new RunFolderError(
        `${what} ${dir} is in use by ${describe(holder)}; wait for it to end, stop it, or use another folder ` +
          `(if that process id now belongs to something else, remove the lock: rm ${JSON.stringify(file)})`,
      );
    }
    // Dead holder (or our own thread's leftover from a call that never released): take it over.
    options.onMessage?.(`taking over the stale lock of ${what} ${dir}: its holder, ${describe(holder)}, is no longer running`);
    fs.rmSync(file, { force: true });
  }
  throw new RunFolderError(`${what} ${dir}: could not take its lock ${file} (it keeps changing hands); is another run starting there?`);
}

/** Runs `fn` holding the lock of `dir`, releasing it however `fn` ends. */
export async function withFolderLock<T>(dir: string, options: LockOptions, fn: (lock: FolderLock) => Promise<T>): Promise<T> {
  const lock = lockFolder(dir, options);
  try {
    return await fn(lock);
  } finally {
    lock.release();
  }
}
