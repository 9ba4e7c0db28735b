/**
 * Issue 19, "the MNIST pixel importance maps of SET against static sparse over training": per-epoch snapshots
 * of the input layer's strength and degree in a run folder (features/snapshots), read back by
 * `featureImportance(runDir, { method, epoch })` and `synapses-ts select RUN_DIR --epoch E`.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { selectCommand } from '../../toolkit/src/cli/select';
import { ConfigError, CorruptFileError, DataError } from '../../toolkit/src/core/errors';
import { runConfig } from '../../toolkit/src/experiments/run';
import { featureImportance, FeatureRanking, inputDegree, inputStrength } from '../../toolkit/src/features/importance';
import {
  describeEpochs, FEATURE_SNAPSHOTS_FILE, importanceSnapshot, readSnapshots, snapshotFromJson, snapshotScores, snapshotToJson,
} from '../../toolkit/src/features/snapshots';
import { loadModel } from '../../toolkit/src/io/model-file';
import { mlp } from '../../toolkit/src/train/model';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'snapshots-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const config = (policy: string, epochs = 3) => ({
  data: { name: 'synthetic' as const, nSamples: 240, nFeatures: 20, nClasses: 3, validation: 0 },
  model: { hidden: [12], sparsity: { kind: 'erdos-renyi' as const, eps: 3 } }, policy, training: { epochs, batchSize: 16 }, backend: 'cpu', seed: 3,
});
const snapshotLines = (dir: string) => fs.readFileSync(path.join(dir, FEATURE_SNAPSHOTS_FILE), 'utf8');

describe('per-epoch importance snapshots of a run', () => {
  it('record strength and degree after every epoch, 0 = before training, the last one being model.json', async () => {
    const dir = tmp();
    await runConfig(config('set'), { outDir: dir });
    expect(readSnapshots(dir).map((s) => s.epoch)).toEqual([0, 1, 2, 3]);
    const model = loadModel(dir);
    const last = featureImportance(dir, { method: 'strength', epoch: 3 });
    expect(last.known).toBe(20);
    Array.from(inputStrength(model)).forEach((v, f) => expect(last.scores[f]).toBeCloseTo(v, 5));
    expect(Array.from(featureImportance(dir, { method: 'degree', epoch: 3 }).scores)).toEqual(Array.from(inputDegree(model)));
    // Epoch 0 is the initial network: the same seed builds it again.
    const initial = mlp([20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, init: 'he-uniform', seed: 3, backend: 'cpu' });
    expect(Array.from(featureImportance(dir, { method: 'degree', epoch: 0 }).scores)).toEqual(Array.from(inputDegree(initial)));
    // SET moved connections between epochs, so the maps differ over training.
    expect(featureImportance(dir, { method: 'degree', epoch: 1 }).scores).not.toEqual(featureImportance(dir, { method: 'degree', epoch: 3 }).scores);
  }, 60_000);

  it('of a static network keep one degree map and change only the strength', async () => {
    const dir = tmp();
    await runConfig(config('static'), { outDir: dir });
    const d0 = featureImportance(dir, { method: 'degree', epoch: 0 }).scores;
    for (const e of [1, 2, 3]) expect(featureImportance(dir, { method: 'degree', epoch: e }).scores).toEqual(d0);
    expect(featureImportance(dir, { method: 'strength', epoch: 3 }).scores).not.toEqual(featureImportance(dir, { method: 'strength', epoch: 0 }).scores);
  }, 60_000);

  it('an unknown epoch, persistence, a model or a run without snapshots are clear errors', async () => {
    const dir = tmp();
    await runConfig(config('set', 2), { outDir: dir });
    expect(() => featureImportance(dir, { method: 'strength', epoch: 7 })).toThrow(ConfigError);
    expect(() => featureImportance(dir, { method: 'strength', epoch: 7 })).toThrow(/no importance snapshot of epoch 7; recorded epochs .*: 0-2/);
    expect(() => featureImportance(dir, { method: 'persistence', epoch: 1 })).toThrow(/cumulative/);
    expect(() => featureImportance(dir, { epoch: -1 })).toThrow(ConfigError);
    expect(() => featureImportance(loadModel(dir), { epoch: 1 })).toThrow(/run folder/);
    fs.rmSync(path.join(dir, FEATURE_SNAPSHOTS_FILE));
    expect(() => featureImportance(dir, { epoch: 1 })).toThrow(DataError);
    // Without an epoch the final model is still ranked.
    expect(featureImportance(dir).nFeatures).toBe(20);
    expect(describeEpochs([0, 1, 2, 5, 7, 8])).toBe('0-2, 5, 7-8');
  }, 60_000);

  it('a run stopped mid-way and resumed writes the snapshots of the uninterrupted run', async () => {
    const whole = tmp(), cut = tmp();
    await runConfig(config('set', 4), { outDir: whole });
    const stop = new Error('stopped after epoch 2');
    await expect(runConfig(config('set', 4), { outDir: cut, callbacks: { onEpochEnd: (logs) => { if (logs.epoch === 1) throw stop; } } })).rejects.toBe(stop);
    // As if the process died after appending epoch 3's snapshot but before its checkpoint.
    const lines = snapshotLines(cut).trim().split('\n');
    expect(lines).toHaveLength(3);
    fs.appendFileSync(path.join(cut, FEATURE_SNAPSHOTS_FILE), lines[2]!.replace('"epoch":2', '"epoch":3') + '\n');
    await runConfig(config('set', 4), { outDir: cut, resume: true });
    expect(snapshotLines(cut)).toBe(snapshotLines(whole));
  }, 60_000);

  it('a corrupted line before the last is a CorruptFileError naming the file and line', async () => {
    const dir = tmp();
    await runConfig(config('set', 2), { outDir: dir });
    const file = path.join(dir, FEATURE_SNAPSHOTS_FILE);
    const lines = snapshotLines(dir).split('\n');
    lines[1] = lines[1]!.replace('"kind":"full"', '"kind":"half"');
    fs.writeFileSync(file, lines.join('\n'));
    expect(() => featureImportance(dir, { epoch: 2 })).toThrow(CorruptFileError);
    expect(() => featureImportance(dir, { epoch: 2 })).toThrow(/feature-snapshots\.jsonl:2: snapshot kind/);
  }, 60_000);
});

describe('snapshots of a wide input layer', () => {
  it('keep the exact top k of each method and mark the rest unknown', () => {
    const model = mlp([40, 6, 2], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 4, backend: 'cpu' });
    const s = snapshotFromJson(JSON.parse(JSON.stringify(snapshotToJson(importanceSnapshot(model, 5, { maxFullFeatures: 30, topK: 7 })))));
    expect(s.kind).toBe('top');
    expect(s.epoch).toBe(5);
    const strength = Float64Array.from(Float32Array.from(inputStrength(model)));
    const degree = inputDegree(model);
    expect(s.connections).toBe(degree.reduce((a, v) => a + v, 0));
    expect(s.connectedFeatures).toBe(degree.filter((v) => v > 0).length);
    for (const [method, full] of [['strength', strength], ['degree', degree]] as const) {
      const { scores, known } = snapshotScores(s, method);
      expect(known).toBe(7);
      const fromSnapshot = new FeatureRanking(method, scores, undefined, known);
      expect(Array.from(fromSnapshot.topK(7))).toEqual(Array.from(new FeatureRanking(method, full).topK(7)));
      expect(scores.filter((v) => Number.isNaN(v))).toHaveLength(33);
    }
    // At or below the limit every feature is stored.
    expect(importanceSnapshot(model, 0, { maxFullFeatures: 40 }).kind).toBe('full');
  });

  it('select --epoch refuses a --top beyond what a top-k snapshot kept, and writes the kept rows', async () => {
    const dir = tmp();
    await runConfig(config('set', 1), { outDir: dir });
    // Rewrite the run's snapshots as a wide run records them (top 5 of 20).
    const model = loadModel(dir);
    fs.writeFileSync(path.join(dir, FEATURE_SNAPSHOTS_FILE), JSON.stringify(snapshotToJson(importanceSnapshot(model, 1, { maxFullFeatures: 10, topK: 5 }))) + '\n');
    expect(() => selectCommand(dir, { epoch: '1', top: '6' }, () => undefined)).toThrow(/recorded only the top 5 of 20/);
    const out: string[] = [];
    selectCommand(dir, { epoch: '1', method: 'degree' }, (l) => out.push(l));
    const csv = out.join('\n').trim().split('\n');
    expect(csv[0]).toBe('rank,feature,score');
    expect(csv).toHaveLength(6);
    expect(() => selectCommand(dir, { epoch: 'one' }, () => undefined)).toThrow(/--epoch must be an integer/);
  }, 60_000);

  it('synapses-ts select RUN_DIR --epoch E, as a user runs it (the built CLI)', async () => {
    const dir = tmp();
    await runConfig(config('set', 2), { outDir: dir });
    const cli = path.resolve(__dirname, '../../toolkit/dist/cli/main.js');
    const run = promisify(execFile);
    const out = path.join(dir, 'epoch1.csv');
    const { stdout } = await run(process.execPath, [cli, 'select', dir, '--method', 'degree', '--epoch', '1', '--top', '4', '--out', out]);
    expect(stdout).toMatch(/4 of 20 features ranked by degree after epoch 1/);
    const expected = featureImportance(dir, { method: 'degree', epoch: 1 }).toCsv(4);
    expect(fs.readFileSync(out, 'utf8')).toBe(expected);
    await expect(run(process.execPath, [cli, 'select', dir, '--epoch', '9'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/recorded epochs .*: 0-2/) });
  }, 60_000);
});
