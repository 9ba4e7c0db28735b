/**
 * Crash-safe file writes: whole files are written to a temporary name, flushed and renamed over the
 * target (so a reader sees the old or the new file, never half of one); line logs are appended one
 * complete line per write.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Writes `data` to `file` atomically (write to `file.tmp-PID`, fsync, rename). Creates the folder. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** Writes `value` as pretty JSON, atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Appends `value` as one JSON line (a single write, flushed), creating the folder and file. */
export function appendJsonLine(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, JSON.stringify(value) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a JSON-lines file, ignoring a trailing partial line (from a crash mid-write). */
export function readJsonLines<T = unknown>(file: string): T[] {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      if (i < lines.length - 1) throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
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
