/**
 * Crash-safe, durable file writes: whole files are written to a temporary name, flushed and renamed over
 * the target (so a reader sees the old or the new file, never half of one); line logs are appended one
 * complete line at a time, or not at all. A write that fails (a full disk) throws a {@link FileWriteError}
 * and leaves the previous state of the file as it was.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptFileError, FileWriteError } from '../core/errors';

// Plain words for the errors a write meets in practice (Node's messages carry the code and the syscall).
const ERRNO_WORDS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
};

/** Wraps a system error of a write of `file` into a {@link FileWriteError} naming the file and the cause. */
function writeError(file: string, e: unknown, kept: string): FileWriteError {
  if (e instanceof FileWriteError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const words = code ? `${code} (${ERRNO_WORDS[code] ?? (e as Error).message})` : String((e as Error).message ?? e);
  return new FileWriteError(`cannot write ${file}: ${words}; ${kept}`, file, code);
}

/**
 * Writes all of `bytes` to `fd` at the current position. `write(2)` may write fewer bytes than asked (a
 * full disk reached mid-buffer, a signal): the rest is written by further calls, and a call that writes
 * nothing without an error is an error too (it would loop forever).
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done);
    if (!(n > 0)) throw Object.assign(new Error(`write returned ${n} with ${bytes.length - done} bytes left`), { code: 'EIO' });
    done += n;
  }
}

/** Flushes a folder's entry table (a rename is durable only once its folder is); no-op where unsupported. */
function fsyncFolder(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return; // Windows cannot open folders: renames there are as durable as the platform makes them
  }
  try {
    fs.fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EBADF' && code !== 'EPERM') throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** The temporary name {@link writeFileAtomic} writes `file` under before renaming it. */
export function tempFileName(file: string): string {
  return `${file}.tmp-${process.pid}`;
}

/** Whether a file name is one of {@link writeFileAtomic}'s temporary names (`NAME.tmp-PID`). */
export function isTempFileName(name: string): boolean {
  return /\.tmp-\d+$/.test(name);
}

/**
 * Writes `data` to `file` atomically and durably: every byte to `file.tmp-PID` (short writes continued),
 * fsync, rename over `file`, fsync of the folder. Creates the folder. A reader sees the old or the new
 * file, never half of one, and after a crash the new file is either complete on disk or absent.
 * @throws {@link FileWriteError} naming the file and the cause (`ENOSPC (no space left on device)`...)
 *   when any step fails; the previous `file` is then untouched and the temporary file removed.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const kept = 'the previous version of the file, if any, is kept';
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw writeError(file, e, kept);
  }
  const tmp = tempFileName(file);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      writeAll(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(file, e, kept);
  }
  try {
    fsyncFolder(path.dirname(file));
  } catch (e) {
    throw writeError(file, e, 'the new version was written but may not survive a crash');
  }
}

/** Writes `value` as pretty JSON, atomically (see {@link writeFileAtomic}). */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Appends `value` as one JSON line, flushed, creating the folder and file. The line is written whole or
 * not at all: when a write or the flush fails (a full disk), the file is cut back to its length before
 * the append, so no partial line is left for the next append to be glued to.
 * @throws {@link FileWriteError} naming the file and the cause.
 */
export function appendJsonLine(file: string, value: unknown): void {
  const kept = 'the line was not appended and the file is as it was';
  let fd: number;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = fs.openSync(file, 'a');
  } catch (e) {
    throw writeError(file, e, kept);
  }
  try {
    const before = fs.fstatSync(fd).size;
    try {
      writeAll(fd, Buffer.from(JSON.stringify(value) + '\n', 'utf8'));
      fs.fsyncSync(fd);
    } catch (e) {
      try {
        fs.ftruncateSync(fd, before);
        fs.fsyncSync(fd);
      } catch (e2) {
        throw writeError(file, e, `and cutting it back to its last complete line failed too (${(e2 as NodeJS.ErrnoException).code ?? (e2 as Error).message}); the next run repairs it`);
      }
      throw writeError(file, e, kept);
    }
  } catch (e) {
    throw writeError(file, e, kept);
  } finally {
    fs.closeSync(fd);
  }
}

/** Options of {@link readJsonLines}. */
export interface ReadJsonLinesOptions {
  /** Checks each parsed line; returns what is wrong with it (the error names the file and line), or nothing. */
  readonly check?: (value: unknown) => string | undefined;
  /** What the user should do about a bad line, appended to the error (default: repair or remove the line). */
  readonly remedy?: string;
}

/**
 * Reads a JSON-lines file, ignoring a trailing partial line (from a crash mid-write: only the last line can
 * be cut by a kill, so only it is forgiven).
 * @throws {@link CorruptFileError} naming `file:line` for a line before the last that is not valid JSON or
 *   that fails `options.check`.
 */
export function readJsonLines<T = unknown>(file: string, options: ReadJsonLinesOptions = {}): T[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: T[] = [];
  const remedy = options.remedy ?? 'repair or remove that line';
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      if (i === lines.length - 1) return;
      throw new CorruptFileError(`${file}:${i + 1}: not valid JSON (${(e as Error).message}); ${remedy}`, file, i + 1);
    }
    const problem = options.check?.(value);
    if (problem !== undefined) throw new CorruptFileError(`${file}:${i + 1}: ${problem}; ${remedy}`, file, i + 1);
    out.push(value as T);
  });
  return out;
}

/**
 * Cuts a JSON-lines file back to its last complete line (a kill during an append can leave a partial
 * one), so that later appends start on a fresh line. No-op when the file is missing or already clean.
 */
export function repairJsonLines(file: string): void {
  if (!fs.existsSync(file)) return;
  const buf = fs.readFileSync(file);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return;
  const keep = buf.lastIndexOf(0x0a) + 1;
  fs.truncateSync(file, keep);
}
