import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DataError, InvalidArgumentError } from '../../toolkit/src/core/errors';
import { DenseDataset, loadCsv, loadCsvRun } from '../../toolkit/src/data';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import { loadRunData, loadRunDataAsync } from '../../toolkit/src/experiments/data';
import { runConfig } from '../../toolkit/src/experiments/run';
import { blobsCsv, tempDir, write } from './wide-fixtures';

let dir: string;
beforeAll(() => {
  dir = tempDir('csv');
});

/** Expects `promise` to reject with a DataError whose message matches every pattern. */
async function rejects(promise: Promise<unknown>, ...patterns: (string | RegExp)[]): Promise<void> {
  const e = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  for (const p of patterns) expect((e as Error).message).toMatch(p);
}

describe('loadCsv: values, layout and labels', () => {
  it('reads a table with quotes, CRLF, a BOM, blank lines and padded numbers (hand-checked)', async () => {
    const file = write(
      dir,
      'plants.csv',
      '\ufeffheight,species,"width, cm",note\r\n' +
        '1.5,rose,2,"said ""hi"""\r\n' +
        '\r\n' +
        ' -3e2 ,tulip,.25,"two\nlines"\r\n' +
        '+7,rose,1E-1,x\r\n',
    );
    const ds = await loadCsv(file, { label: 'species', features: ['width, cm', 'height'] });
    expect(ds).toBeInstanceOf(DenseDataset);
    expect([ds.nSamples, ds.nFeatures, ds.nClasses]).toEqual([3, 2, 2]);
    expect(ds.featureNames).toEqual(['width, cm', 'height']);
    expect(ds.classNames).toEqual(['rose', 'tulip']);
    expect(Array.from(ds.features)).toEqual([2, 1.5, 0.25, -300, Math.fround(0.1), 7]);
    expect(Array.from(ds.labels)).toEqual([0, 1, 0]);
    expect(ds.name).toBe(file);
  });

  it('uses every other column in file order by default, even with numeric header names', async () => {
    const file = write(dir, 'numeric-header.csv', 'label,10,2,x\n0,1,2,3\n1,4,5,6\n');
    const ds = await loadCsv(file, { label: 'label', name: 'nh' });
    expect(ds.name).toBe('nh');
    expect(ds.featureNames).toEqual(['10', '2', 'x']);
    expect(Array.from(ds.features)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('maps labels: sorted strings, numbers in numeric order (0..K-1 kept, -1/+1 and 1..K shifted), or a given order', async () => {
    const cases: [string[], string[], number[]][] = [
      [['b', 'a', 'c', 'a'], ['a', 'b', 'c'], [1, 0, 2, 0]],
      [['2', '0', '1', '0'], ['0', '1', '2'], [2, 0, 1, 0]],
      [['10', '2', '9'], ['2', '9', '10'], [2, 0, 1]],
      [['+1', '-1', '1.0', '-1'], ['-1', '1'], [1, 0, 1, 0]],
      [['1', '3', '2'], ['1', '2', '3'], [0, 2, 1]],
    ];
    for (const [labels, classes, expected] of cases) {
      const file = write(dir, 'labels.csv', 'y,x\n' + labels.map((l, i) => `${l},${i}`).join('\n') + '\n');
      const ds = await loadCsv(file, { label: 'y' });
      expect(ds.classNames).toEqual(classes);
      expect(Array.from(ds.labels)).toEqual(expected);
    }
    const file = write(dir, 'given.csv', 'y,x\nno,1\nyes,2\nno,3\n');
    const ds = await loadCsv(file, { label: 'y', classes: ['yes', 'no', 'maybe'] });
    expect(ds.nClasses).toBe(3);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
  });

  it('finds the delimiter: tab for .tsv, sniffed for other names, or as given', async () => {
    const tsv = await loadCsv(write(dir, 'a.tsv', 'y\tp,q\n1\t2\n0\t3\n'), { label: 'y' });
    expect(tsv.featureNames).toEqual(['p,q']);
    const sniffed = await loadCsv(write(dir, 'b.txt', 'y\tp\tq\n1\t2\t3\n'), { label: 'y' });
    expect(sniffed.featureNames).toEqual(['p', 'q']);
    const given = await loadCsv(write(dir, 'c.dat', 'y\tp\n1\t2\n'), { label: 'y', delimiter: '\t' });
    expect(Array.from(given.features)).toEqual([2]);
  });

  it('gathers feature-major batches equal to a dense oracle built from the text', async () => {
    const text = blobsCsv(30, 5, 1);
    const ds = await loadCsv(write(dir, 'blobs.csv', text), { label: 'species', features: ['f0', 'f1', 'f2', 'f3', 'f4'] });
    const rows = text.trim().split('\n').slice(1).map((l) => l.split(','));
    const indices = new Int32Array([4, 0, 29, 7]);
    const x = new Float32Array(5 * 4), y = new Int32Array(4);
    ds.gather(indices, 0, 4, x, y);
    indices.forEach((s, b) => {
      for (let f = 0; f < 5; f++) expect(x[f * 4 + b]).toBe(Math.fround(Number(rows[s]![f + 1])));
      expect(ds.classNames![y[b]!]).toBe(rows[s]![6]);
    });
  });
});

describe('loadCsv: errors name the file, line and column', () => {
  const bad = (name: string, text: string) => write(dir, name, text);

  it('missing label or feature columns list the columns the file has', async () => {
    const file = bad('cols.csv', 'a,b,c\n1,2,3\n');
    await rejects(loadCsv(file, { label: 'y' }), file, /no label column "y"/, /"a", "b", "c"/);
    await rejects(loadCsv(file, { label: 'a', features: ['b', 'z', 'w'] }), /missing feature columns "z", "w"/, /the columns are "a", "b", "c"/);
    await expect(loadCsv(file, { label: 'a', features: ['a', 'b'] })).rejects.toThrow(InvalidArgumentError);
  });

  it('non-numeric, empty, NaN, infinite and float32-overflowing cells', async () => {
    const file = bad('cells.csv', 'id,age,y\n1,2,a\n2,abc,b\n');
    await rejects(loadCsv(file, { label: 'y' }), `${file}, line 3, column "age" (2): 'abc' is not a number`);
    await rejects(loadCsv(bad('empty.csv', 'y,a,b\n0,1,2\n\n1,, 3\n'), { label: 'y' }), /line 4, column "a" \(2\): the cell is empty/);
    await rejects(loadCsv(bad('nan.csv', 'y,a\n0,1\n1,NaN\n'), { label: 'y' }), /line 3, column "a" \(2\): the cell is NaN; features must be finite/);
    await rejects(loadCsv(bad('inf.csv', 'y,a\n0,-Infinity\n'), { label: 'y' }), /line 2, column "a" \(2\): the cell is -Infinity/);
    await rejects(loadCsv(bad('big.csv', 'y,a\n0,1e39\n'), { label: 'y' }), /line 2, column "a" \(2\): 1e39 is outside the float32 range/);
    await rejects(loadCsv(bad('nolabel.csv', 'y,a\n0,1\n ,2\n'), { label: 'y' }), /line 3, column "y" \(1\): the label is empty/);
  });

  it('ragged rows, counting lines inside quoted fields', async () => {
    await rejects(loadCsv(bad('short.csv', 'y,a,b\n0,1,2\n1,2\n'), { label: 'y' }), /short\.csv, line 3: the row has 2 fields but the header has 3/);
    await rejects(loadCsv(bad('long.csv', 'y,a\n0,1\n1,2,3\n'), { label: 'y' }), /line 3: the row has 3 fields but the header has 2/);
    const quoted = bad('quoted.csv', 'y,a,note\n0,1,"a\nb\nc"\n1,2\n');
    await rejects(loadCsv(quoted, { label: 'y', features: ['a'] }), /quoted\.csv, line 5: the row has 2 fields/);
  });

  it('broken quotes, header problems, empty files and missing files', async () => {
    await rejects(loadCsv(bad('open.csv', 'y,a\n0,"1\n1,2\n'), { label: 'y' }), /line 2: the quoted field in column 2 is never closed/);
    await rejects(loadCsv(bad('after.csv', 'y,a\n0,"1"x\n'), { label: 'y' }), /line 2, column 2: unexpected text after the closing quote/);
    await rejects(loadCsv(bad('mixed.csv', 'y,a\r\n0,1\r\n1,"2\n3"\n'), { label: 'y' }), /line 4: the line ends with LF but earlier lines end with CRLF/);
    await rejects(loadCsv(bad('dup.csv', 'y,a,a\n0,1,2\n'), { label: 'y' }), /line 1: column 3 repeats the header name "a"/);
    await rejects(loadCsv(bad('index.csv', ',y,a\n0,0,1\n'), { label: 'y' }), /line 1: column 1 has no name \(a pandas index\?/);
    await rejects(loadCsv(bad('header-only.csv', 'y,a\n\n'), { label: 'y' }), /no data rows/);
    await rejects(loadCsv(bad('nothing.csv', ''), { label: 'y' }), /the file is empty/);
    await rejects(loadCsv(`${dir}/missing.csv`, { label: 'y' }), /missing\.csv does not exist/);
    // An unnamed column is fine when it is not a feature.
    const ds = await loadCsv(`${dir}/index.csv`, { label: 'y', features: ['a'] });
    expect(Array.from(ds.features)).toEqual([1]);
  });

  it('labels outside the given classes', async () => {
    const file = bad('classes.csv', 'y,a\ncat,1\ndog,2\nemu,3\n');
    await rejects(loadCsv(file, { label: 'y', classes: ['cat', 'dog'] }), `label 'emu' at ${file} line 4 is not one of the classes given in options.classes [cat, dog]`);
  });
});

describe('loadCsvRun', () => {
  it('splits one file by seed, reproducibly, keeping names', async () => {
    const file = write(dir, 'split.csv', blobsCsv(50, 3, 2));
    const a = await loadCsvRun({ file, testFraction: 0.2, seed: 5 }, { label: 'species' });
    const b = await loadCsvRun({ file, seed: 5 }, { label: 'species' });
    expect([a.train.nSamples, a.test.nSamples]).toEqual([40, 10]);
    expect(Array.from(b.test.features)).toEqual(Array.from(a.test.features));
    expect(a.test.featureNames).toEqual(['id', 'f0', 'f1', 'f2']);
    expect(a.test.classNames).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('reads separate files with the training classes and columns', async () => {
    const train = write(dir, 'train.csv', 'y,a,b\nb,1,2\nc,3,4\na,5,6\n');
    const test = write(dir, 'test.csv', 'b,extra,a,y\n7,0,1,c\n8,0,1,c\n9,0,1,b\n');
    const run = await loadCsvRun({ train, test }, { label: 'y' });
    expect(run.test.classNames).toEqual(['a', 'b', 'c']);
    expect(Array.from(run.test.labels)).toEqual([2, 2, 1]);
    expect(run.test.featureNames).toEqual(['a', 'b']);
    const noA = write(dir, 'test-no-a.csv', 'y,b\nc,1\n');
    await rejects(loadCsvRun({ train, test: noA }, { label: 'y' }), noA, /missing feature column "a"/);
    const lines = ['y,a,b', ...Array.from({ length: 15 }, () => 'a,1,1'), 'x,1,1'];
    const unknown = write(dir, 'test-unknown.csv', lines.join('\n') + '\n');
    await rejects(loadCsvRun({ train, test: unknown }, { label: 'y' }), `label 'x' at ${unknown} line 17 is not one of the training classes [a, b, c]`);
  });
});

describe('csv data in run configs', () => {
  it('needs exactly one of file or train+test', () => {
    expect(() => parseRunConfig({ data: { name: 'csv', label: 'y' } })).toThrow(/data: give either "file" \(split by the seed\) or both "train" and "test"/);
    expect(() => parseRunConfig({ data: { name: 'csv', label: 'y', file: 'a', train: 'b', test: 'c' } })).toThrow(ConfigError);
    expect(() => parseRunConfig({ data: { name: 'csv', label: 'y', train: 'b' } })).toThrow(ConfigError);
    const c = parseRunConfig({ data: { name: 'csv', label: 'y', file: 'a.csv' } });
    expect(c.data).toEqual({ name: 'csv', label: 'y', file: 'a.csv', testFraction: 0.2, standardize: false, validation: 0.1 });
  });

  it('loads with loadRunDataAsync (standardised with the training statistics); loadRunData points there', async () => {
    const file = write(dir, 'run.csv', blobsCsv(100, 4, 4));
    const config = parseRunConfig({ data: { name: 'csv', file, label: 'species', standardize: true, features: ['f0', 'f1', 'f2', 'f3'] } });
    const { train, validation, test } = await loadRunDataAsync(config.data, 3);
    // 20 for testing; of the other 80, 10% of each class (rounded) held out for validation: the mean below is over the rest.
    expect([train.nSamples + validation!.nSamples, validation!.nSamples, test.nSamples, train.nFeatures]).toEqual([80, 9, 20, 4]);
    const t = train as DenseDataset;
    for (let f = 0; f < 4; f++) {
      let m = 0;
      for (let s = 0; s < t.nSamples; s++) m += t.features[s * 4 + f]!;
      expect(Math.abs(m / t.nSamples)).toBeLessThan(1e-5);
    }
    expect(t.featureNames).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(() => loadRunData(config.data, 3)).toThrow(/loadRunDataAsync/);
  });

  it('reads a validation file with the training columns and classes, scaled by the training statistics', async () => {
    const trainFile = write(dir, 'v-train.csv', 'a,b,y\n1,10,x\n3,30,z\n5,50,x\n7,70,z\n');
    const testFile = write(dir, 'v-test.csv', 'b,a,y\n20,2,x\n');
    const valFile = write(dir, 'v-val.csv', 'y,a,b\nz,4,40\nx,4,40\n');
    const config = parseRunConfig({ data: { name: 'csv', train: trainFile, test: testFile, label: 'y', standardize: true, validation: { file: valFile } } });
    const { train, validation, test } = await loadRunDataAsync(config.data, 0);
    expect([train.nSamples, validation!.nSamples, test.nSamples]).toEqual([4, 2, 1]);
    expect(Array.from(validation!.labels)).toEqual([1, 0]);
    // a = 4 is the training mean of a: standardised to 0, as b = 40 is.
    expect(Array.from((validation as DenseDataset).features)).toEqual([0, 0, 0, 0]);
    const bad = write(dir, 'v-bad.csv', 'a,b,y\n1,1,w\n');
    await expect(loadRunDataAsync(parseRunConfig({ data: { name: 'csv', train: trainFile, test: testFile, label: 'y', validation: { file: bad } } }).data, 0)).rejects.toThrow(/label 'w'.*not one of the training classes/);
    expect(() => parseRunConfig({ data: { name: 'mnist', validation: { file: valFile } } })).toThrow(/data.validation/);
  });

  it('end to end: a small sparse network learns a CSV table', async () => {
    const file = write(dir, 'e2e.csv', blobsCsv(300, 8, 3));
    const features = Array.from({ length: 8 }, (_, j) => `f${j}`);
    const result = await runConfig({
      data: { name: 'csv', file, label: 'species', features, standardize: true },
      model: { hidden: [32], sparsity: { kind: 'erdos-renyi', eps: 5 } },
      training: { epochs: 3, batchSize: 16 },
      seed: 1,
    });
    expect(result.testAccuracy).toBeGreaterThan(0.8);
  });
});
