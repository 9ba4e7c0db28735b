/**
 * `synapses-ts summarize`, `evaluate`, `predict` and `export` as a user runs them (the built CLI), on a
 * tiny run trained in beforeAll, and `train`'s report of the data it loaded and its `--help` on data kinds.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { float32Text } from '../../toolkit/src/cli/predict';

const execFileP = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const main = path.join(root, 'toolkit/dist/cli/main.js');

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execFileP(process.execPath, [main, ...args], { cwd: root, env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 26 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

let tmp: string;
/** A 3-class synthetic run (kept small) and a CSV run with named classes. */
let synthRun: string;
let csvRun: string;
let trainStderr: string;

/** A CSV table whose class depends on its features: label "low" when a + b < 0, else "high"; plus "mid". */
function writeCsv(file: string, n: number, seed: number): void {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const rows = ['a,b,c,kind'];
  for (let i = 0; i < n; i++) {
    const a = rnd(), b = rnd(), c = rnd();
    const kind = a + b < -0.5 ? 'low' : a + b > 0.5 ? 'high' : 'mid';
    rows.push(`${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${kind}`);
  }
  fs.writeFileSync(file, rows.join('\n') + '\n');
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-commands-'));
  synthRun = path.join(tmp, 'synth');
  const r = await cli([
    'train', '--set', 'name=tiny', '--set', 'data={"name":"synthetic","nSamples":600,"nFeatures":20,"nClasses":3,"testFraction":0.25}',
    '--set', 'model.hidden=[32]', '--set', 'model.sparsity={"kind":"density","density":0.3}', '--set', 'training.epochs=3',
    '--set', 'training.batchSize=32', '--seed', '2', '--out', synthRun, '--no-figures', '--json',
  ]);
  expect(r.code, r.stderr).toBe(0);
  trainStderr = r.stderr;
  writeCsv(path.join(tmp, 'table.csv'), 400, 7);
  csvRun = path.join(tmp, 'csv');
  const c = await cli([
    'train', '--set', 'name=table', '--set', `data={"name":"csv","file":${JSON.stringify(path.join(tmp, 'table.csv'))},"label":"kind","standardize":true}`,
    '--set', 'model.hidden=[16]', '--set', 'model.sparsity={"kind":"density","density":0.5}', '--set', 'training.epochs=4',
    '--set', 'training.batchSize=16', '--set', 'optimizer.lr=0.1', '--seed', '1', '--out', csvRun, '--no-figures',
  ]);
  expect(c.code, c.stderr).toBe(0);
}, 180_000);

describe('train reports its data', () => {
  it('prints the samples of each part, features, classes and source on stderr', () => {
    // 600 samples, a quarter for test (150), 10% of the other 450 held out for validation (45).
    expect(trainStderr).toMatch(/data: synthetic .*405 train, 45 validation, 150 test samples; 20 features, 3 classes/);
  });

  it('train --help documents every data kind with an example', async () => {
    const r = await cli(['train', '--help']);
    expect(r.code).toBe(0);
    for (const kind of ['mnist', 'fashion-mnist', 'idx', 'csv', 'libsvm', 'synthetic']) {
      expect(r.stdout).toMatch(new RegExp(`\\n  ${kind} +\\S`));
      expect(r.stdout).toContain(`"name":"${kind}"`);
    }
  });
});

describe('synapses-ts summarize', () => {
  it('summarizes a run folder: config, data, epochs, best epoch, test accuracies, connections, seconds', async () => {
    const result = JSON.parse(fs.readFileSync(path.join(synthRun, 'result.json'), 'utf8'));
    const r = await cli(['summarize', synthRun]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`run ${synthRun}: tiny, seed 2, finished`);
    expect(r.stdout).toContain('network: 20-32-3; density 0.3');
    expect(r.stdout).toContain('405 train, 45 validation, 150 test samples; 20 features, 3 classes');
    expect(r.stdout).toContain('epochs: 3 of 3');
    expect(r.stdout).toContain(`best validation epoch: ${result.bestEpoch + 1} (validation accuracy ${(100 * result.bestValAccuracy).toFixed(2)}%)`);
    expect(r.stdout).toContain(`test accuracy: ${(100 * result.testAccuracy).toFixed(2)}% (final model), ${(100 * result.testAccuracyAtBest).toFixed(2)}% (best-validation model`);
    expect(r.stdout).toContain(`connections: ${result.connections} (${result.connectionsPerLayer.join(' + ')})`);
    const j = JSON.parse((await cli(['summarize', synthRun, '--json'])).stdout);
    expect(j).toMatchObject({ kind: 'run', name: 'tiny', epochs: 3, bestEpoch: result.bestEpoch + 1, testAccuracy: result.testAccuracy, connections: result.connections });
  });

  it('summarizes an ablation folder: the summary table over seeds and every failed cell', async () => {
    const grid = path.join(tmp, 'grid.json');
    fs.writeFileSync(grid, JSON.stringify({
      base: { data: { name: 'csv', label: 'kind' }, model: { hidden: [8], sparsity: { kind: 'density', density: 0.5 } }, training: { epochs: 2, batchSize: 32 } },
      axes: { 'data.file': [path.join(tmp, 'table.csv'), path.join(tmp, 'missing.csv')] },
      seeds: [1, 2],
    }));
    const dir = path.join(tmp, 'ablation');
    const a = await cli(['ablate', grid, '--workers', '0', '--out', dir]);
    expect(a.code, a.stderr).toBe(1); // the cells of the missing file fail, the others finish
    const r = await cli(['summarize', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`ablation ${dir}: 4 cells, 2 finished, 2 failed, 0 not run yet`);
    expect(r.stdout).toMatch(/data\.file +n +test acc, final model/);
    expect(r.stdout).toMatch(/table\.csv +2 +\d+\.\d\d% \+- \d+\.\d\d/);
    expect(r.stdout).toMatch(/2 of 4 runs failed[\s\S]*missing\.csv" seed=1: DataError[\s\S]*missing\.csv" seed=2: DataError/);
    expect(r.stdout).toContain('run the ablate command again to retry them');
    const j = JSON.parse((await cli(['summarize', dir, '--json'])).stdout);
    expect(j.kind).toBe('ablation');
    expect(j.finished).toHaveLength(2);
    expect(j.failed).toHaveLength(2);
  }, 120_000);

  it('refuses a folder that holds neither a run nor an ablation (exit code 2)', async () => {
    const r = await cli(['summarize', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/neither a run folder \(manifest\.json, written by train\) nor an ablation folder/);
  });
});

describe('synapses-ts evaluate', () => {
  it("reproduces the run's own test metrics for the final and the best-validation model", async () => {
    const result = JSON.parse(fs.readFileSync(path.join(synthRun, 'result.json'), 'utf8'));
    const final = JSON.parse((await cli(['evaluate', synthRun, '--json'])).stdout);
    expect(final.samples).toBe(150);
    expect(final.accuracy).toBe(result.testAccuracy);
    expect(final.loss).toBeCloseTo(result.testLoss, 5);
    const best = JSON.parse((await cli(['evaluate', synthRun, '--model', 'best', '--json'])).stdout);
    expect(best.accuracy).toBe(result.testAccuracyAtBest);
    // Confusion counts: every sample counted once, the diagonal is the correct ones.
    expect(final.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(150);
    expect(final.confusion.reduce((a: number, row: number[], t: number) => a + row[t]!, 0)).toBe(Math.round(result.testAccuracy * 150));
    const val = JSON.parse((await cli(['evaluate', synthRun, '--data', 'validation', '--json'])).stdout);
    expect(val.samples).toBe(45);
    expect(val.accuracy).toBe(result.valAccuracy);
  }, 60_000);

  it('prints loss, accuracy and the confusion counts with class names', async () => {
    const r = await cli(['evaluate', csvRun]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/final model \(model\.json\) on the run's test data, 80 samples\nloss \d+\.\d{4}, accuracy \d+\.\d\d% \(\d+ of 80\)/);
    expect(r.stdout).toMatch(/true \\ predicted +high +low +mid\n/);
  }, 60_000);

  it('evaluates a CSV file prepared as the run prepared its data (columns by name, standardised, classes by label)', async () => {
    // The run's own table with its columns shuffled: the same samples, so its accuracy over all 400 is the
    // weighted mean of the run's train/validation/test accuracies only if columns are matched by name.
    const text = fs.readFileSync(path.join(tmp, 'table.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
    const shuffled = text.map(([a, b, c, k]) => [k, c, a, b].join(',')).join('\n') + '\n';
    fs.writeFileSync(path.join(tmp, 'shuffled.csv'), shuffled);
    const onFile = JSON.parse((await cli(['evaluate', csvRun, '--data', path.join(tmp, 'shuffled.csv'), '--json'])).stdout);
    const parts = await Promise.all(['train', 'validation', 'test'].map(async (p) => JSON.parse((await cli(['evaluate', csvRun, '--data', p, '--json'])).stdout)));
    expect(onFile.samples).toBe(400);
    expect(onFile.correct).toBe(parts.reduce((a, p) => a + p.correct, 0));
    expect(onFile.classes).toEqual(['high', 'low', 'mid']);
    // A label that is not a class of the run is an error naming it.
    fs.writeFileSync(path.join(tmp, 'bad.csv'), 'a,b,c,kind\n0,0,0,huge\n');
    const bad = await cli(['evaluate', csvRun, '--data', path.join(tmp, 'bad.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/label 'huge' .*bad\.csv line 2 is not one of/);
  }, 120_000);

  it('refuses an unknown --model with the choices', async () => {
    const r = await cli(['evaluate', synthRun, '--model', 'worst']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--model must be "final" (model.json) or "best" (best-model.json), got "worst"');
  });
});

describe('synapses-ts predict', () => {
  it('writes one row per sample: index, predicted class name, probabilities summing to 1 whose largest is the prediction', async () => {
    // New samples with a placeholder label.
    fs.writeFileSync(path.join(tmp, 'new.csv'), 'kind,c,b,a\n?,0.1,-0.9,-0.8\n?,0,0.9,0.95\n?,0.2,0.01,-0.02\n');
    const out = path.join(tmp, 'preds.csv');
    const r = await cli(['predict', csvRun, '--data', path.join(tmp, 'new.csv'), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`3 predictions of ${path.join(tmp, 'new.csv')} written to ${out}`);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('index,predicted,p_high,p_low,p_mid');
    expect(lines).toHaveLength(4);
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[0])).toEqual(['0', '1', '2']);
    for (const row of rows) {
      const p = row.slice(2).map(Number);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(row[1]).toBe(['high', 'low', 'mid'][p.indexOf(Math.max(...p))]);
    }
    // Clear cases: the first sample is low (a + b = -1.7), the second high (a + b = 1.85).
    expect(rows[0]![1]).toBe('low');
    expect(rows[1]![1]).toBe('high');
  }, 60_000);

  it('writes each probability as the shortest decimal that reads back as the same float32', () => {
    const values = [0.1002978160977363, 1 / 3, 2.474047e-10, 0.99970585, 1, 0, 1.4e-45, 3.4e38];
    for (let i = 0; i < 2000; i++) values.push(Math.sin(i) * 10 ** ((i % 20) - 10));
    for (const v of values.map(Math.fround)) {
      const text = float32Text(v);
      expect(Math.fround(Number(text))).toBe(v);
      expect(text.replace(/^-?0\.0*|e.*$|[.-]/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(9);
    }
    expect(float32Text(Math.fround(0.1002978160977363))).toBe('0.100297816'); // was 0.10029781609773636: 17 digits
  });

  it('needs --data and --out', async () => {
    const r = await cli(['predict', csvRun, '--out', path.join(tmp, 'x.csv')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/required option '-d, --data <file>' not specified/);
  });
});

describe('synapses-ts export', () => {
  it('writes each layer and bias and lists them; npz and mtx', async () => {
    for (const format of ['npz', 'mtx']) {
      const out = path.join(tmp, `export-${format}`);
      const r = await cli(['export', synthRun, '--format', format, '--out', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(fs.readdirSync(out).sort()).toEqual([`layer-0.${format === 'npz' ? 'bias.npy' : 'bias.mtx'}`, `layer-0.${format}`, `layer-1.${format === 'npz' ? 'bias.npy' : 'bias.mtx'}`, `layer-1.${format}`, 'layers.json'].sort());
      expect(r.stdout).toContain(`${path.join(out, `layer-0.${format}`)}  sparse 32 x 20`);
    }
    const bad = await cli(['export', synthRun, '--format', 'hdf5', '--out', path.join(tmp, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of npz, mtx, got "hdf5"');
  });
});
