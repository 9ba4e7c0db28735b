/**
 * Model selection that never looks at the test set: the stratified validation split, the best epoch chosen on
 * validation, early stopping and learning-rate schedules (issue "Results a researcher can trust").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../toolkit/src/core/errors';
import { stratifiedValidationSplit } from '../../toolkit/src/data/split';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import { loadRunDataAsync } from '../../toolkit/src/experiments/data';
import { runConfig, type MetricsLine } from '../../toolkit/src/experiments/run';
import { readJsonLines } from '../../toolkit/src/io/files';
import { readResults } from '../../toolkit/src/experiments/ablation-results';
import { writeResultTables } from '../../toolkit/src/experiments/table';
import { VERSION_1_NOTE } from '../../toolkit/src/experiments/result-version';
import { checkpointFromJson, checkpointToJson } from '../../toolkit/src/io/checkpoint';
import { loadModel } from '../../toolkit/src/io/model-file';
import { lrFactor } from '../../toolkit/src/optim/lr-schedule';
import { mlp, type Model } from '../../toolkit/src/train/model';

const all = syntheticClassification({ nSamples: 900, nFeatures: 20, nClasses: 3, seed: 1, noise: 2 });
const train = all.subset(Int32Array.from({ length: 600 }, (_, i) => i), 'synthetic/train');
const val = all.subset(Int32Array.from({ length: 300 }, (_, i) => 600 + i), 'synthetic/val');

function model(seed = 1): Model {
  // On the CPU reference: the resume test compares bit for bit with a checkpoint, which loads onto it.
  return mlp([20, 32, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'relu', seed, backend: 'cpu' }).compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: 'set' });
}
const weightsOf = (m: Model) => m.network.params().flatMap((p) => Array.from(p.values));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-select-'));

describe('stratifiedValidationSplit', () => {
  const counts = (labels: Int32Array, k: number) => Array.from({ length: k }, (_, c) => labels.filter((l) => l === c).length);

  it('holds out each class in proportion, disjoint from training, the same for the same seed', () => {
    const ds = syntheticClassification({ nSamples: 1000, nFeatures: 5, nClasses: 4, seed: 3 });
    const { train: a, validation: v } = stratifiedValidationSplit(ds, 0.2, 7);
    expect(a.nSamples + v.nSamples).toBe(1000);
    const full = counts(ds.labels, 4), held = counts(v.labels, 4);
    held.forEach((h, c) => expect(h).toBe(Math.round(0.2 * full[c]!)));
    // Disjoint and complete: every sample's features appear exactly once over the two parts.
    const key = (d: typeof ds, i: number) => Array.from(d.features.subarray(i * 5, i * 5 + 5)).join(',');
    const seen = new Map<string, number>();
    for (const d of [a, v]) for (let i = 0; i < d.nSamples; i++) seen.set(key(d, i), (seen.get(key(d, i)) ?? 0) + 1);
    for (let i = 0; i < ds.nSamples; i++) expect(seen.get(key(ds, i))).toBe(1);
    expect(Array.from(stratifiedValidationSplit(ds, 0.2, 7).validation.labels)).toEqual(Array.from(v.labels));
    expect(Array.from(stratifiedValidationSplit(ds, 0.2, 8).validation.features)).not.toEqual(Array.from(v.features));
  });

  it('never takes a class whole, and refuses what cannot be split', () => {
    const ds = syntheticClassification({ nSamples: 40, nFeatures: 3, nClasses: 2, seed: 1 });
    const { train: a } = stratifiedValidationSplit(ds, 0.9, 1);
    expect(counts(a.labels, 2).every((c) => c >= 1)).toBe(true);
    expect(() => stratifiedValidationSplit(ds, 1, 1)).toThrow(/fraction must be in \(0, 1\)/);
    expect(() => stratifiedValidationSplit(ds.subset(Int32Array.of(0), 'one'), 0.5, 1)).toThrow(/at least 2/);
  });
});

describe('learning-rate schedules', () => {
  it('gives the hand-computed factors', () => {
    // 10 steps per epoch, 10 epochs.
    expect(lrFactor({ name: 'constant' }, 57, 10, 10)).toBe(1);
    expect(lrFactor({ name: 'step', everyEpochs: 3, gamma: 0.5 }, 29, 10, 10)).toBe(1);
    expect(lrFactor({ name: 'step', everyEpochs: 3, gamma: 0.5 }, 30, 10, 10)).toBe(0.5);
    expect(lrFactor({ name: 'step', everyEpochs: 3, gamma: 0.5 }, 65, 10, 10)).toBe(0.25);
    expect(lrFactor({ name: 'cosine' }, 0, 10, 10)).toBe(1);
    expect(lrFactor({ name: 'cosine' }, 50, 10, 10)).toBeCloseTo(0.5, 12);
    expect(lrFactor({ name: 'cosine', minFactor: 0.1 }, 100, 10, 10)).toBeCloseTo(0.1, 12);
    // Linear warm-up over 2 epochs (20 steps), then the cosine over the remaining 80 steps.
    expect(lrFactor({ name: 'cosine', warmupEpochs: 2 }, 0, 10, 10)).toBe(1 / 20);
    expect(lrFactor({ name: 'cosine', warmupEpochs: 2 }, 19, 10, 10)).toBe(1);
    expect(lrFactor({ name: 'cosine', warmupEpochs: 2 }, 60, 10, 10)).toBeCloseTo(0.5, 12);
  });

  it('fit applies them (the epoch logs record the rate), and the constant schedule changes no bit', async () => {
    const plain = model();
    await plain.fit(train, { epochs: 2, batchSize: 50 });
    const constant = model();
    const h0 = await constant.fit(train, { epochs: 2, batchSize: 50, lrSchedule: { name: 'constant' } });
    expect(weightsOf(constant)).toEqual(weightsOf(plain));
    expect(h0.epochs.map((e) => e.lr)).toEqual([0.05, 0.05]);
    const stepped = model();
    const h = await stepped.fit(train, { epochs: 3, batchSize: 50, lrSchedule: { name: 'step', everyEpochs: 1, gamma: 0.5 } });
    expect(h.epochs.map((e) => e.lr)).toEqual([0.05, 0.025, 0.0125]);
    expect(weightsOf(stepped)).not.toEqual(weightsOf(plain));
    await expect(model().fit(train, { epochs: 1, lrSchedule: { name: 'linear' } as never })).rejects.toThrow(/learning-rate schedule "linear".*constant, step, cosine/);
  });
});

describe('best epoch and early stopping', () => {
  it('picks the best epoch by the validation metric only, and onValidationEnd sees the model before evolution', async () => {
    const m = model();
    const seen: { epoch: number; improved: boolean; acc: number }[] = [];
    const h = await m.fit(train, {
      epochs: 6, batchSize: 50, validationData: val,
      callbacks: { onValidationEnd: (info) => void seen.push({ epoch: info.epoch, improved: info.improved, acc: m.evaluate(val).accuracy }) },
    });
    const accs = h.epochs.map((e) => e.valAccuracy!);
    // The model handed to the callback is exactly the one the logged validation metrics describe.
    expect(seen.map((s) => s.acc)).toEqual(accs);
    const best = accs.indexOf(Math.max(...accs));
    expect(h.bestEpoch).toBe(best);
    expect(m.selection!.bestEpoch).toBe(best);
    expect(seen.filter((s) => s.improved).map((s) => s.epoch).pop()).toBe(best);
  });

  it('monitors valLoss when asked, and refuses early stopping without validation data', async () => {
    const h = await model().fit(train, { epochs: 4, batchSize: 50, validationData: val, monitor: 'valLoss' });
    const losses = h.epochs.map((e) => e.valLoss!);
    expect(h.bestEpoch).toBe(losses.indexOf(Math.min(...losses)));
    await expect(model().fit(train, { epochs: 2, earlyStopping: { patience: 1 } })).rejects.toThrow(ConfigError);
    await expect(model().fit(train, { epochs: 2, validationData: val, monitor: 'testAccuracy' as never })).rejects.toThrow(/monitor "testAccuracy"/);
  });

  it('stops after `patience` epochs without improvement, without evolving after the last epoch', async () => {
    // A learning rate far too small: validation accuracy stalls at once.
    const m = mlp([20, 32, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, seed: 2 }).compile({ optimizer: { name: 'sgd', lr: 1e-7, momentum: 0 } });
    const h = await m.fit(train, { epochs: 20, batchSize: 50, validationData: val, earlyStopping: { patience: 2, minDelta: 0.01 } });
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs.length).toBe(3);
    expect(h.last!.evolutionEvents).toBe(0);
    expect(m.selection!.stopped).toBe(true);
  });

  it('a run resumed from a checkpoint selects and stops exactly as an uninterrupted one', async () => {
    const opts = { batchSize: 50, validationData: val, earlyStopping: { patience: 2, minDelta: 0.002 }, lrSchedule: { name: 'cosine', warmupEpochs: 1 } } as const;
    const whole = model(3);
    const hw = await whole.fit(train, { ...opts, epochs: 12, totalEpochs: 12 });
    const first = model(3);
    await first.fit(train, { ...opts, epochs: 3, totalEpochs: 12 });
    const { model: resumed } = checkpointFromJson(checkpointToJson(first));
    expect(resumed.selection).toEqual(first.selection);
    // The checkpoint records how the model was trained.
    expect(resumed.fitSettings).toEqual({ monitor: 'valAccuracy', earlyStopping: { patience: 2, minDelta: 0.002 }, lrSchedule: { name: 'cosine', minFactor: 0, warmupEpochs: 1 }, batchSize: 50, totalEpochs: 12 });
    const hr = await resumed.fit(train, { ...opts, epochs: 9, totalEpochs: 12 });
    expect(resumed.epochsDone).toBe(whole.epochsDone);
    expect(hr.stoppedEarly).toBe(hw.stoppedEarly);
    expect(resumed.selection).toEqual(whole.selection);
    expect(weightsOf(resumed)).toEqual(weightsOf(whole));
  });

  it('validationSplit holds out a stratified part that training never sees', async () => {
    const m = model();
    const h = await m.fit(train, { epochs: 1, batchSize: 50, validationSplit: 0.25 });
    expect(h.epochs[0]!.valAccuracy).toBeDefined();
    await expect(model().fit(train, { epochs: 1, validationSplit: 0.25, validationData: val })).rejects.toThrow(/not both/);
  });
});

describe('runConfig: validation, best model and tables', () => {
  const config = (over: Record<string, unknown> = {}) => ({
    name: 'select', seed: 4, backend: 'cpu',
    data: { name: 'synthetic', nSamples: 700, nFeatures: 24, nClasses: 3, noise: 3, testFraction: 0.3 },
    model: { hidden: [32, 16], sparsity: { kind: 'erdos-renyi', eps: 5 } },
    optimizer: { name: 'sgd', lr: 0.05 },
    training: { epochs: 5, batchSize: 32 },
    ...over,
  });

  it('fills the validation and selection defaults, and loads a stratified validation part', async () => {
    const c = parseRunConfig(config());
    expect(c.data.validation).toBe(0.1);
    expect(c.training).toMatchObject({ monitor: 'valAccuracy', earlyStopping: null, lrSchedule: { name: 'constant', warmupEpochs: 0 } });
    const d = await loadRunDataAsync(c.data, c.seed);
    expect(d.validation!.nSamples + d.train.nSamples).toBe(490);
    expect(d.test.nSamples).toBe(210);
    expect(() => parseRunConfig(config({ training: { earlyStopping: { patience: 0 } } }))).toThrow(/earlyStopping\.patience/);
  });

  it('chooses the best epoch on validation, saves that model before evolution, and reports test metrics of both models', async () => {
    const out = tmp();
    const r = await runConfig(config(), { outDir: out });
    expect(r).not.toHaveProperty('bestTestAccuracy');
    expect(r.resultVersion).toBe(2);
    const lines = readJsonLines<MetricsLine>(path.join(out, 'metrics.jsonl'));
    const vals = lines.map((l) => l.valAccuracy!);
    expect(r.bestEpoch).toBe(vals.indexOf(Math.max(...vals)));
    const best = lines[r.bestEpoch!]!;
    expect(r.bestValAccuracy).toBe(best.valAccuracy);
    expect(r.testAccuracyAtBest).toBe(best.testAccuracy);
    // Reloading the saved best model gives exactly the logged validation and test metrics of its epoch.
    const c = parseRunConfig(config());
    const { validation, test } = await loadRunDataAsync(c.data, c.seed);
    const reloaded = loadModel(path.join(out, 'best-model.json'));
    const batchSize = Math.max(c.training.batchSize, 256);
    expect(reloaded.evaluate(validation!, { batchSize })).toMatchObject({ accuracy: best.valAccuracy, loss: best.valLoss });
    expect(reloaded.evaluate(test, { batchSize })).toMatchObject({ accuracy: best.testAccuracy, loss: best.testLoss });
    expect(r.validationSamples).toBe(validation!.nSamples);
  });

  it('without a validation part there is no best epoch and no best model', async () => {
    const out = tmp();
    const r = await runConfig(config({ data: { name: 'synthetic', nSamples: 300, nFeatures: 24, nClasses: 3, validation: 0 }, training: { epochs: 2, batchSize: 32 } }), { outDir: out });
    expect(r.bestEpoch).toBeNull();
    expect(r.testAccuracyAtBest).toBeNull();
    expect(fs.existsSync(path.join(out, 'best-model.json'))).toBe(false);
  });

  it('records early stopping and the schedule in the manifest and stops as configured', async () => {
    const out = tmp();
    const r = await runConfig(config({
      optimizer: { name: 'sgd', lr: 1e-7, momentum: 0 },
      training: { epochs: 30, batchSize: 32, earlyStopping: { patience: 2, minDelta: 0.05 }, lrSchedule: { name: 'step', everyEpochs: 2 } },
    }), { outDir: out });
    expect(r.stoppedEarly).toBe(true);
    expect(r.epochs).toBe(3);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.config.training).toMatchObject({ earlyStopping: { patience: 2, minDelta: 0.05 }, lrSchedule: { name: 'step', everyEpochs: 2, gamma: 0.1 } });
  });
});

describe('results of an older format', () => {
  const v1 = { id: 'abc', index: 0, seed: 1, axes: { policy: 'set' }, name: 'old', testAccuracy: 0.9, testLoss: 0.3, bestTestAccuracy: 0.95, epochs: 3, seconds: 1, connections: 10, connectionsPerLayer: [10], trainSamples: 8, testSamples: 2, backend: 'cpu:cpu' };

  it('load as version 1 with a note, without the test-selected bestTestAccuracy, and still make tables', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'results.jsonl'), JSON.stringify(v1) + '\n');
    const [row] = readResults(dir);
    expect(row).not.toHaveProperty('bestTestAccuracy');
    expect(row).toMatchObject({ resultVersion: 1, note: VERSION_1_NOTE, testAccuracy: 0.9, bestEpoch: null, testAccuracyAtBest: null });
    expect(VERSION_1_NOTE).toMatch(/chosen on the test set/);
    const tables = await writeResultTables(dir, [row!]);
    expect(tables.text).toMatch(/90\.00%/);
    expect(fs.readFileSync(tables.resultsCsv, 'utf8')).not.toMatch(/bestTestAccuracy/);
  });

  it('a row of a newer format is refused by name', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'results.jsonl'), JSON.stringify({ ...v1, status: 'finished', resultVersion: 9 }) + '\n');
    expect(() => readResults(dir)).toThrow(/result format 9 was written by a newer synapses-ts/);
  });
});
