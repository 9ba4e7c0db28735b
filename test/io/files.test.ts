// Durable writes (issue 15, "Writes are durable or fail loudly"): every byte written (short writes
// continued), the previous file kept and the temporary file removed on any failure, a typed error naming
// the file and the cause; JSON-lines appends whole or not at all. Checked with injected failures and on a
// real, small tmpfs filled to the brim (when run as root, who may mount one).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

// Node's module namespaces cannot be spied on in place: the toolkit's `node:fs` is replaced by one whose
// writeSync and fsyncSync are mock functions that call the real ones unless a test says otherwise.
// The real functions, kept aside (vi.hoisted runs before the mock is installed) for the mocks to call.
const actual = vi.hoisted(() => {
  const real = require('node:fs') as typeof import('node:fs');
  return { writeSync: real.writeSync, fsyncSync: real.fsyncSync };
});
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, writeSync: vi.fn(actual.writeSync), fsyncSync: vi.fn(actual.fsyncSync) };
});
const writeSync = vi.mocked(fs.writeSync);
/** A writeSync that writes at most `max` bytes per call (as a kernel may on a nearly full disk, or after a signal). */
const shortWrites = (max: number) => ((fd: number, data: string | Uint8Array, offset?: number, length?: number): number => {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const off = typeof data === 'string' ? 0 : offset ?? 0;
  const len = Math.min(typeof data === 'string' ? bytes.length : length ?? bytes.length - off, max);
  return (actual.writeSync as (fd: number, b: Uint8Array, o: number, l: number) => number)(fd, bytes, off, len);
}) as typeof fs.writeSync;
const fsyncSync = vi.mocked(fs.fsyncSync);
import { FileWriteError } from '../../toolkit/src/core/errors';
import { appendJsonLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from '../../toolkit/src/io/files';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-files-'));
const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.includes('.tmp-'));
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });

afterEach(() => {
  writeSync.mockReset().mockImplementation(actual.writeSync);
  fsyncSync.mockReset().mockImplementation(actual.fsyncSync);
});

describe('writeFileAtomic', () => {
  it('continues short writes until every byte is written', () => {
    const dir = tmp();
    const file = path.join(dir, 'big.bin');
    const data = new Uint8Array(100_000).map((_, i) => (i * 7) & 255);
    const spy = writeSync.mockImplementation(shortWrites(1000));
    writeFileAtomic(file, data);
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(100);
    expect(new Uint8Array(fs.readFileSync(file))).toEqual(data);
    expect(leftovers(dir)).toEqual([]);
  });

  it('keeps the previous file, removes the temporary one and throws a FileWriteError naming file and cause when a write fails mid-way', () => {
    const dir = tmp();
    const file = path.join(dir, 'checkpoint.json');
    writeJsonAtomic(file, { good: true });
    let calls = 0;
    // The first call writes part of the data, the second finds the disk full: the state a full disk leaves.
    writeSync.mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls > 1) throw enospc();
      return (shortWrites(10) as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    let error: unknown;
    try {
      writeJsonAtomic(file, { good: false, padding: 'x'.repeat(1000) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FileWriteError);
    expect((error as FileWriteError).file).toBe(file);
    expect((error as FileWriteError).code).toBe('ENOSPC');
    expect((error as Error).message).toContain(`cannot write ${file}: ENOSPC (no space left on device)`);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ good: true });
    expect(leftovers(dir)).toEqual([]);
  });

  it('treats a failed fsync as a failed write (the data may not be on disk)', () => {
    const dir = tmp();
    const file = path.join(dir, 'a.json');
    writeJsonAtomic(file, 1);
    fsyncSync.mockImplementationOnce(() => {
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    });
    expect(() => writeJsonAtomic(file, 2)).toThrow(/cannot write .*a\.json: EIO \(input\/output error\)/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toBe(1);
    expect(leftovers(dir)).toEqual([]);
  });

  it('flushes the folder after the rename, so that the new name survives a crash', () => {
    const dir = tmp();
    const spy = fsyncSync;
    spy.mockClear();
    writeFileAtomic(path.join(dir, 'x.txt'), 'hello');
    // One fsync of the file, one of its folder.
    expect(spy).toHaveBeenCalledTimes(2);
  });
});

describe('appendJsonLine', () => {
  it('cuts the file back to its previous length when a line is only partly written, and throws', () => {
    const dir = tmp();
    const file = path.join(dir, 'metrics.jsonl');
    appendJsonLine(file, { epoch: 0 });
    const before = fs.readFileSync(file, 'utf8');
    let calls = 0;
    writeSync.mockImplementation(((...args: Parameters<typeof fs.writeSync>) => {
      if (++calls > 1) throw enospc();
      return (shortWrites(5) as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    expect(() => appendJsonLine(file, { epoch: 1, loss: 0.5 })).toThrow(FileWriteError);
    writeSync.mockImplementation(actual.writeSync);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    // The next append starts on a clean line.
    appendJsonLine(file, { epoch: 1 });
    expect(readJsonLines(file)).toEqual([{ epoch: 0 }, { epoch: 1 }]);
  });

  it('writes a line in several calls when the system writes it short', () => {
    const dir = tmp();
    const file = path.join(dir, 'log.jsonl');
    writeSync.mockImplementation(shortWrites(3));
    appendJsonLine(file, { a: 'long enough to need several writes' });
    writeSync.mockImplementation(actual.writeSync);
    expect(readJsonLines(file)).toEqual([{ a: 'long enough to need several writes' }]);
  });
});

// A real full disk: a 64 KiB tmpfs. Mounting needs root (CAP_SYS_ADMIN); elsewhere these are skipped.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
let mount: string | null = null;
let mountProblem = isRoot ? '' : 'not root: mounting a small tmpfs needs root';
if (isRoot) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    mount = dir;
  } catch (e) {
    mountProblem = `mount -t tmpfs failed: ${String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim()}`;
  }
}

describe.skipIf(!mount)(mount ? 'on a full tmpfs' : `on a full tmpfs [skipped: ${mountProblem}]`, () => {
  const dir = mount!;
  beforeAll(() => fs.mkdirSync(path.join(dir, 'run'), { recursive: true }));
  afterAll(() => {
    execFileSync('umount', [dir]);
    fs.rmdirSync(dir);
  });

  it('an atomic write that does not fit throws ENOSPC, keeps the previous file whole and leaves no temporary file', () => {
    const file = path.join(dir, 'run', 'checkpoint.json');
    const good = JSON.stringify({ weights: 'a'.repeat(20_000) });
    writeFileAtomic(file, good);
    // 20 KB in place and about 44 KB free: 40 KB fits, 60 KB cannot (the old file stays until the rename).
    expect(() => writeFileAtomic(file, JSON.stringify({ weights: 'b'.repeat(60_000) }))).toThrow(/checkpoint\.json: ENOSPC \(no space left on device\)/);
    expect(fs.readFileSync(file, 'utf8')).toBe(good);
    expect(leftovers(path.join(dir, 'run'))).toEqual([]);
    // The space of the failed temporary file was given back: a write that fits still succeeds.
    writeFileAtomic(file, JSON.stringify({ weights: 'c'.repeat(30_000) }));
    expect(fs.readFileSync(file, 'utf8')).toContain('ccc');
  });

  it('an append that does not fit leaves the file as it was', () => {
    const file = path.join(dir, 'run', 'metrics.jsonl');
    appendJsonLine(file, { epoch: 0 });
    const before = fs.readFileSync(file);
    expect(() => appendJsonLine(file, { epoch: 1, blob: 'z'.repeat(100_000) })).toThrow(/metrics\.jsonl: ENOSPC/);
    expect(fs.readFileSync(file)).toEqual(before);
    expect(readJsonLines(file)).toEqual([{ epoch: 0 }]);
  });
});
