import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError, InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import {
  featureMaxAbs,
  loadLibsvm,
  loadLibsvmRun,
  maxAbsScale,
  SparseDataset,
  trainTestSplit,
} from '../../toolkit/src/data';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import { loadRunData, loadRunDataAsync } from '../../toolkit/src/experiments/data';
import { runConfig } from '../../toolkit/src/experiments/run';
import { tempDir, wideSparseLibsvm, write } from './wide-fixtures';

let dir: string;
beforeAll(() => {
  dir = tempDir('libsvm');
});

/** Dense sample-major oracle of a sparse data set. */
function densify(ds: SparseDataset): Float64Array {
  const d = new Float64Array(ds.nSamples * ds.nFeatures);
  for (let s = 0; s < ds.nSamples; s++) {
    for (let k = ds.rowPtr[s]!; k < ds.rowPtr[s + 1]!; k++) d[s * ds.nFeatures + ds.featureIdx[k]!] = ds.values[k]!;
  }
  return d;
}

/** A random sparse data set: nSamples x nFeatures with about `density` nonzeros. */
function randomSparse(nSamples: number, nFeatures: number, density: number, seed: number): SparseDataset {
  const r = rngFor(seed, 'random-sparse');
  const ptr = [0], idx: number[] = [], val: number[] = [], lab: number[] = [];
  for (let s = 0; s < nSamples; s++) {
    for (let f = 0; f < nFeatures; f++) {
      if (r.float() < density) {
        idx.push(f);
        val.push(r.normal());
      }
    }
    ptr.push(idx.length);
    lab.push(r.int(3));
  }
  return new SparseDataset('rand', new Int32Array(ptr), new Int32Array(idx), new Float32Array(val), new Int32Array(lab), nFeatures, 3);
}

describe('SparseDataset', () => {
  it('gathers feature-major batches equal to the dense oracle, over shapes, densities and batch positions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(0, 0.05, 0.3, 1),
        fc.integer({ min: 0, max: 1000 }),
        (nSamples, nFeatures, density, seed) => {
          const ds = randomSparse(nSamples, nFeatures, density, seed);
          const dense = densify(ds);
          const order = rngFor(seed, 'order').permutation(nSamples);
          const count = Math.max(1, nSamples >> 1), start = nSamples - count;
          const x = new Float32Array(nFeatures * count).fill(7); // stale values must be cleared
          const y = new Int32Array(count);
          ds.gather(order, start, count, x, y);
          for (let b = 0; b < count; b++) {
            const s = order[start + b]!;
            expect(y[b]).toBe(ds.labels[s]);
            for (let f = 0; f < nFeatures; f++) expect(x[f * count + b]).toBe(dense[s * nFeatures + f]);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('subsets, splits and scales without densifying', () => {
    const ds = randomSparse(20, 15, 0.2, 3);
    const dense = densify(ds);
    const sub = ds.subset(new Int32Array([19, 0, 7]), 'sub');
    expect(sub.name).toBe('sub');
    expect(sub).toBeInstanceOf(SparseDataset);
    const subDense = densify(sub);
    [19, 0, 7].forEach((s, at) => {
      expect(Array.from(subDense.subarray(at * 15, (at + 1) * 15))).toEqual(Array.from(dense.subarray(s * 15, (s + 1) * 15)));
      expect(sub.labels[at]).toBe(ds.labels[s]);
    });
    const { train, test } = trainTestSplit(ds, { testSize: 5 }, 1);
    expect(train).toBeInstanceOf(SparseDataset);
    expect([train.nSamples, test.nSamples, train.nnz + test.nnz]).toEqual([15, 5, ds.nnz]);
    const { train: st, maxAbs } = maxAbsScale({ train, test });
    expect(st.nnz).toBe(train.nnz);
    for (let k = 0; k < st.nnz; k++) expect(Math.abs(st.values[k]!)).toBeLessThanOrEqual(1 + 1e-6);
    expect(Array.from(featureMaxAbs(st)).every((m, f) => (maxAbs[f]! > 0 ? Math.abs(m - 1) < 1e-6 : m === 0))).toBe(true);
  });

  it('rejects broken CSR arrays and wrong batch buffers', () => {
    const mk = (ptr: number[], idx: number[], lab = [0, 1]) =>
      new SparseDataset('bad', new Int32Array(ptr), new Int32Array(idx), new Float32Array(idx.length).fill(1), new Int32Array(lab), 4, 2);
    expect(() => mk([0, 1, 2], [1, 0])).not.toThrow();
    expect(() => mk([0, 2, 2], [2, 1])).toThrow(/sample 0 has feature index 1 after 2/);
    expect(() => mk([0, 1, 2], [1, 4])).toThrow(/strictly increasing in \[0, 4\)/);
    expect(() => mk([0, 1], [1])).toThrow(/rowPtr has 2 entries, expected nSamples \+ 1 = 3/);
    expect(() => mk([0, 1, 2], [1, 0], [0, 2])).toThrow(/label of sample 1 is 2/);
    const ds = mk([0, 1, 2], [1, 0]);
    expect(() => ds.gather(new Int32Array([0, 1]), 0, 2, new Float32Array(7), new Int32Array(2))).toThrow(ShapeError);
    expect(() => ds.gather(new Int32Array([0, 1]), 1, 2, new Float32Array(8), new Int32Array(2))).toThrow(InvalidArgumentError);
  });
});

describe('loadLibsvm', () => {
  it('parses labels, pairs, comments, qid, CRLF and blank lines (hand-checked)', () => {
    const file = write(
      dir,
      'small.svm',
      '# a comment line\n' +
        '+1 1:0.5 3:-2 # trailing comment\r\n' +
        '\n' +
        '-1 qid:7 2:1e-3 4:+.25\n' +
        '  +1\t4:3\t \n' +
        '-1 1:0 2:7',
    );
    const ds = loadLibsvm(file);
    expect([ds.nSamples, ds.nFeatures, ds.nClasses, ds.nnz]).toEqual([4, 4, 2, 6]);
    expect(ds.classNames).toEqual(['-1', '1']);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1, 0]);
    expect(Array.from(ds.rowPtr)).toEqual([0, 2, 4, 5, 6]);
    expect(Array.from(ds.featureIdx)).toEqual([0, 2, 1, 3, 3, 1]);
    expect(Array.from(ds.values)).toEqual([0.5, -2, Math.fround(1e-3), 0.25, 3, 7]);
    expect(ds.name).toBe(file);
  });

  it('reads values exactly like Number(text), in every written form', () => {
    const texts = ['0.1', '-7.25', '1e-5', '3.4028234e38', '123456789012345678', '.5', '5.', '-0.000001', '2E+3', '1e-40', '0.1234567890123456789'];
    const file = write(dir, 'values.svm', texts.map((t, i) => `0 ${i + 1}:${t}`).join('\n'));
    const ds = loadLibsvm(file);
    const got = densify(ds);
    texts.forEach((t, i) => expect(got[i * texts.length + i]).toBe(Math.fround(Number(t))));
  });

  it('maps labels like the CSV loader and honours zeroBased, nFeatures and classes', () => {
    const file = write(dir, 'multi.svm', '3 1:1\n1 2:1\n2 3:1\n3 1:2\n');
    const ds = loadLibsvm(file);
    expect(ds.classNames).toEqual(['1', '2', '3']);
    expect(Array.from(ds.labels)).toEqual([2, 0, 1, 2]);
    const zero = loadLibsvm(write(dir, 'zero.svm', '0 0:1 5:2\n1 2:3\n'), { zeroBased: true, nFeatures: 10, name: 'z' });
    expect([zero.name, zero.nFeatures]).toEqual(['z', 10]);
    expect(Array.from(zero.featureIdx)).toEqual([0, 5, 2]);
    const given = loadLibsvm(file, { classes: ['3', '2', '1'] });
    expect(Array.from(given.labels)).toEqual([0, 2, 1, 0]);
  });

  it('reads gzipped files', () => {
    const text = '1 1:1 2:2\n-1 3:3\n';
    const ds = loadLibsvm(write(dir, 'g.svm.gz', gzipSync(Buffer.from(text))));
    expect(Array.from(ds.values)).toEqual([1, 2, 3]);
  });

  it('errors name the file, line, column and token', () => {
    const cases: [string, string, LibsvmCall?][] = [
      ['1 1:2 3:x\n', 'line 1, column 7 (token 3 \'3:x\'): value \'x\' is not a number'],
      ['1 1:1\n1 2:5 2:6\n', 'line 2, column 7 (token 3 \'2:6\'): feature index 2 after 2; indices must be strictly increasing'],
      ['1 3:1 2:1\n', 'line 1, column 7 (token 3 \'2:1\'): feature index 2 after 3'],
      ['1 0:1\n', 'line 1, column 3 (token 2 \'0:1\'): feature index 0, but indices are 1-based (pass zeroBased: true'],
      ['1 1:1 abc\n', 'line 1, column 7 (token 3 \'abc\'): expected index:value'],
      ['1 1:1 5\n', 'column 7 (token 3 \'5\'): expected index:value'],
      ['1 1:\n', 'line 1, column 3 (token 2 \'1:\'): the value is missing'],
      ['\n\n1 1:nan\n', 'line 3, column 3 (token 2 \'1:nan\'): the value is nan; features must be finite'],
      ['1 1:-inf\n', 'the value is -inf; features must be finite'],
      ['1 1:1e39\n', 'value 1e39 is outside the float32 range'],
      ['1 1:1.5.2\n', "value '1.5.2' is not a number"],
      ['1:1 2:2\n', "line 1, column 1 (token 1 '1:1'): expected a label first"],
      ['1,2 1:1\n', 'multi-label lines are not supported'],
      ['yes 1:1\n', "the label 'yes' is not a number"],
      ['1 1:1 qid:3\n', "column 7 (token 3 'qid:3'): expected index:value"],
      ['1 99999999999:1\n', 'the feature index is too large'],
      ['1 1:1 11:1\n', "column 7 (token 3 '11:1'): feature index 11 is beyond nFeatures = 10", { nFeatures: 10 }],
      ['# only a comment\n\n', 'has no samples'],
      ['1 1:1\n2 1:1\n', "label '2' at FILE line 2 is not one of the classes given in options.classes [1]", { classes: ['1'] }],
    ];
    cases.forEach(([text, message, options], k) => {
      const file = write(dir, `bad${k}.svm`, text);
      let error: unknown;
      try {
        loadLibsvm(file, options ?? {});
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(DataError);
      expect((error as Error).message).toContain(message.replace('FILE', file));
      if (!message.startsWith('label')) expect((error as Error).message).toContain(file);
    });
    expect(() => loadLibsvm(`${dir}/none.svm`)).toThrow(/LIBSVM file .*none\.svm does not exist/);
    expect(() => loadLibsvm(write(dir, 'nofeat.svm', '1\n0\n'))).toThrow(/lists no features; pass nFeatures/);
    expect(loadLibsvm(`${dir}/nofeat.svm`, { nFeatures: 3 }).nnz).toBe(0);
  });

  // How fast: `npm run bench` measures; tests never assert on time.
  it('loads a 50,000-feature x 2,000-sample file, sparse', () => {
    const r = rngFor(9, 'speed');
    const lines: string[] = [];
    for (let s = 0; s < 2000; s++) {
      let f = 0;
      const pairs: string[] = [];
      for (;;) {
        f += 1 + r.int(100); // about 1% dense: 1,000 nonzeros per sample
        if (f > 50000) break;
        pairs.push(`${f}:${(r.float() * 4 - 2).toFixed(4)}`);
      }
      lines.push(`${s % 2 ? 1 : -1} ${pairs.join(' ')}`);
    }
    const file = write(dir, 'wide.svm', lines.join('\n') + '\n');
    const ds = loadLibsvm(file, { nFeatures: 50000 });
    expect(ds.nSamples).toBe(2000);
    expect(ds.nFeatures).toBe(50000);
    expect(ds.nnz).toBeGreaterThan(1_800_000);
    // Stored sparse: one index and one value per listed feature, never samples x features.
    expect(ds.featureIdx.length).toBe(ds.nnz);
    expect(Array.from(ds.labels.subarray(0, 4))).toEqual([0, 1, 0, 1]);
  });
});

type LibsvmCall = Parameters<typeof loadLibsvm>[1];

describe('loadLibsvmRun', () => {
  it('splits one file by seed, or reads a pair with the training classes and the wider width', () => {
    const file = write(dir, 'run.svm', wideSparseLibsvm(500, 50, 1));
    const a = loadLibsvmRun({ file, seed: 2 });
    expect([a.train.nSamples, a.test.nSamples]).toEqual([40, 10]);
    expect(a.test).toBeInstanceOf(SparseDataset);
    const train = write(dir, 'pair-train.svm', '-1 1:1\n1 3:1\n');
    const test = write(dir, 'pair-test.svm', '1 7:1\n1 2:1\n');
    const run = loadLibsvmRun({ train, test });
    expect([run.train.nFeatures, run.test.nFeatures]).toEqual([7, 7]);
    expect(Array.from(run.test.labels)).toEqual([1, 1]);
    const unknown = write(dir, 'pair-unknown.svm', '1 1:1\n\n3 1:1\n');
    expect(() => loadLibsvmRun({ train, test: unknown })).toThrow(`label '3' at ${unknown} line 3 is not one of the training classes [-1, 1]`);
  });
});

describe('libsvm data in run configs', () => {
  it('fills defaults and needs exactly one of file or train+test', () => {
    const c = parseRunConfig({ data: { name: 'libsvm', file: 'x.svm', classes: [-1, 1] } });
    expect(c.data).toEqual({ name: 'libsvm', file: 'x.svm', classes: ['-1', '1'], zeroBased: false, testFraction: 0.2, scale: 'none', validation: 0.1 });
    expect(() => parseRunConfig({ data: { name: 'libsvm', test: 'x.svm' } })).toThrow(ConfigError);
    expect(() => parseRunConfig({ data: { name: 'libsvm', file: 'x', scale: 'standard' } })).toThrow(/data.scale/);
    expect(() => loadRunData(c.data, 0)).toThrow(/loadRunDataAsync/);
  });

  it('scales by max-abs when asked and stays sparse', async () => {
    const file = write(dir, 'scale.svm', '1 1:4 2:-8\n-1 1:2\n1 2:2\n-1 1:-1 2:1\n');
    const raw = await loadRunDataAsync(parseRunConfig({ data: { name: 'libsvm', file, testFraction: 0.25 } }).data, 0);
    const scaled = await loadRunDataAsync(parseRunConfig({ data: { name: 'libsvm', file, testFraction: 0.25, scale: 'max-abs' } }).data, 0);
    expect(scaled.train).toBeInstanceOf(SparseDataset);
    const m = featureMaxAbs(raw.train as SparseDataset);
    const a = raw.train as SparseDataset, b = scaled.train as SparseDataset;
    for (let k = 0; k < a.nnz; k++) expect(b.values[k]).toBeCloseTo(a.values[k]! / m[a.featureIdx[k]!]!, 6);
  });

  it('end to end: a small sparse network learns a wide sparse problem (5,000 features)', async () => {
    const file = write(dir, 'e2e.svm', wideSparseLibsvm(5000, 400, 7, 30, 20));
    const result = await runConfig({
      data: { name: 'libsvm', file },
      model: { hidden: [32], sparsity: { kind: 'erdos-renyi', eps: 5 } },
      training: { epochs: 3, batchSize: 16 },
      seed: 1,
    });
    // 400 samples: 80 for testing, then 10% of the other 320 held out (stratified) for validation.
    expect([result.trainSamples, result.validationSamples, result.testSamples]).toEqual([288, 32, 80]);
    expect(result.testAccuracy).toBeGreaterThan(0.85);
  });
});
