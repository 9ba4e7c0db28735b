import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError } from '../../toolkit/src/core/errors';
import { loadIdxDataset, parseIdx, readIdx } from '../../toolkit/src/data/idx';

/** Encodes an IDX file: magic 00 00 <dtype> <ndim>, big-endian uint32 dims, then the bytes. */
function idxBytes(dims: number[], data: ArrayLike<number>, dtype = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = dtype;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'idx-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
function tempDir(): string {
  const dir = join(root, `case-${counter++}`);
  mkdirSync(dir);
  return dir;
}

/** Writes the four files of a tiny 2x3-pixel data set: 3 training and 2 test images. */
function writeTinySet(dir: string, gzip: boolean, overrides: Partial<Record<string, Uint8Array>> = {}): void {
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idxBytes([3, 2, 3], [0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6, 255, 255, 255, 0, 0, 0]),
    'train-labels-idx1-ubyte': idxBytes([3], [2, 0, 1]),
    't10k-images-idx3-ubyte': idxBytes([2, 2, 3], [255, 0, 255, 0, 255, 0, 10, 20, 30, 40, 50, 60]),
    't10k-labels-idx1-ubyte': idxBytes([2], [1, 2]),
    ...overrides,
  };
  for (const [name, bytes] of Object.entries(files)) {
    if (gzip) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes!));
    else writeFileSync(join(dir, name), bytes!);
  }
}

describe('readIdx', () => {
  for (const gzip of [false, true]) {
    it(`reads a ${gzip ? 'gzipped' : 'plain'} file back`, () => {
      const dir = tempDir();
      const path = join(dir, gzip ? 'x.idx.gz' : 'x.idx');
      const raw = idxBytes([2, 3, 4], Array.from({ length: 24 }, (_, i) => i * 10));
      writeFileSync(path, gzip ? gzipSync(raw) : raw);
      const { dims, data } = readIdx(path);
      expect(dims).toEqual([2, 3, 4]);
      expect(Array.from(data)).toEqual(Array.from({ length: 24 }, (_, i) => i * 10));
    });
  }

  it('detects gzip by magic bytes, not by name', () => {
    const dir = tempDir();
    const path = join(dir, 'no-suffix');
    writeFileSync(path, gzipSync(idxBytes([3], [7, 8, 9])));
    expect(Array.from(readIdx(path).data)).toEqual([7, 8, 9]);
  });

  it('reads dimensions larger than 65535 big-endian', () => {
    const { dims } = parseIdx(idxBytes([70000, 0], []), 'x');
    expect(dims).toEqual([70000, 0]);
  });

  it('names a missing file', () => {
    const path = join(root, 'does-not-exist-idx1-ubyte');
    expect(() => readIdx(path)).toThrow(DataError);
    expect(() => readIdx(path)).toThrow(`IDX file ${path} does not exist`);
  });

  it('rejects truncated headers and data', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), 'f1')).toThrow(/IDX file f1 is truncated: 3 bytes/);
    expect(() => parseIdx(idxBytes([3, 2], [1, 2, 3, 4, 5, 6]).subarray(0, 9), 'f2')).toThrow(
      /IDX file f2 is truncated: the header of 2 dimensions needs 12 bytes, the file has 9/,
    );
    expect(() => parseIdx(idxBytes([3, 2], [1, 2, 3, 4, 5]), 'f3')).toThrow(
      'IDX file f3 is truncated: dims [3, 2] need 6 data bytes, the file has 5',
    );
  });

  it('rejects a truncated file on disk, gzipped or not, naming it', () => {
    const dir = tempDir();
    const raw = idxBytes([10], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).subarray(0, 12);
    writeFileSync(join(dir, 'plain'), raw);
    writeFileSync(join(dir, 'zipped.gz'), gzipSync(raw));
    expect(() => readIdx(join(dir, 'plain'))).toThrow(`IDX file ${join(dir, 'plain')} is truncated`);
    expect(() => readIdx(join(dir, 'zipped.gz'))).toThrow(`IDX file ${join(dir, 'zipped.gz')} is truncated`);
    // A cut gzip stream is reported as such.
    writeFileSync(join(dir, 'cut.gz'), gzipSync(idxBytes([100], new Array(100).fill(3))).subarray(0, 20));
    expect(() => readIdx(join(dir, 'cut.gz'))).toThrow(/cut\.gz starts like gzip but cannot be decompressed/);
  });

  it('rejects a wrong magic number, an unsupported dtype and trailing bytes', () => {
    expect(() => parseIdx(new TextEncoder().encode('hello world'), 'text.txt')).toThrow(
      'IDX file text.txt has a wrong magic number: starts 0x68 0x65, expected 0x00 0x00',
    );
    expect(() => parseIdx(idxBytes([1], [0], 0x42), 'odd')).toThrow(/wrong magic number: unknown dtype 0x42/);
    expect(() => parseIdx(idxBytes([1], [0, 0, 0, 0], 0x0d), 'floats')).toThrow(
      'IDX file floats holds float32 values (dtype 0x0d); only uint8 (0x08) is supported',
    );
    expect(() => parseIdx(idxBytes([2], [1, 2, 3]), 'long')).toThrow(
      'IDX file long has a size mismatch: dims [2] need 2 data bytes, the file has 3',
    );
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]), 'scalar')).toThrow(/declares 0 dimensions/);
  });
});

describe('loadIdxDataset', () => {
  for (const gzip of [false, true]) {
    it(`loads a tiny ${gzip ? 'gzipped' : 'plain'} data set with pixels scaled to [0, 1]`, () => {
      const dir = tempDir();
      writeTinySet(dir, gzip);
      const { train, test } = loadIdxDataset(dir, { name: 'tiny' });
      expect(train.name).toBe('tiny/train');
      expect(test.name).toBe('tiny/test');
      expect([train.nSamples, test.nSamples]).toEqual([3, 2]);
      expect(train.nFeatures).toBe(6);
      expect(train.sampleShape).toEqual([2, 3]);
      expect(train.nClasses).toBe(3);
      expect(Array.from(train.labels)).toEqual([2, 0, 1]);
      expect(Array.from(test.labels)).toEqual([1, 2]);
      const expected = [0, 0.2, 0.4, 0.6, 0.8, 1].map((v) => Math.fround(v));
      expect(Array.from(train.features.subarray(0, 6))).toEqual(expected);
      expect(train.features[6]).toBe(Math.fround(1 / 255));
      expect(Array.from(test.features.subarray(0, 6))).toEqual([1, 0, 1, 0, 1, 0]);
    });
  }

  it('names the data sets after the folder by default, and honours nClasses and limits', () => {
    const dir = tempDir();
    writeTinySet(dir, true);
    const { train, test } = loadIdxDataset(dir, { nClasses: 10, limit: { train: 2, test: 5 } });
    expect(train.name).toBe(`${dir.split('/').pop()}/train`);
    expect(train.nClasses).toBe(10);
    expect(train.nSamples).toBe(2);
    expect(test.nSamples).toBe(2);
    expect(Array.from(train.labels)).toEqual([2, 0]);
    expect(train.features.length).toBe(12);
  });

  it('rejects an image/label count mismatch naming both files', () => {
    const dir = tempDir();
    writeTinySet(dir, false, { 't10k-labels-idx1-ubyte': idxBytes([3], [0, 1, 2]) });
    expect(() => loadIdxDataset(dir)).toThrow(DataError);
    expect(() => loadIdxDataset(dir)).toThrow(
      `IDX image/label count mismatch: ${join(dir, 't10k-images-idx3-ubyte')} has 2 images, ` +
        `${join(dir, 't10k-labels-idx1-ubyte')} has 3 labels`,
    );
  });

  it('rejects a missing folder, a missing file, and labels beyond nClasses', () => {
    expect(() => loadIdxDataset(join(root, 'nowhere'))).toThrow(`IDX data folder ${join(root, 'nowhere')} does not exist`);
    const dir = tempDir();
    writeTinySet(dir, true);
    rmSync(join(dir, 'train-labels-idx1-ubyte.gz'));
    expect(() => loadIdxDataset(dir)).toThrow(
      /has no train-labels-idx1-ubyte or train-labels-idx1-ubyte\.gz; it holds: t10k-images-idx3-ubyte\.gz, /,
    );
    const dir2 = tempDir();
    writeTinySet(dir2, false);
    expect(() => loadIdxDataset(dir2, { nClasses: 2 })).toThrow(/train-labels-idx1-ubyte: label of sample 0 is 2, expected an integer in \[0, 2\)/);
  });

  it('rejects images whose shapes disagree between train and test', () => {
    const dir = tempDir();
    writeTinySet(dir, false, { 't10k-images-idx3-ubyte': idxBytes([2, 3, 2], new Array(12).fill(0)) });
    expect(() => loadIdxDataset(dir)).toThrow(/IDX images disagree in shape/);
  });
});
