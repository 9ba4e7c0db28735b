/**
 * Wide sparse runs from a config (issue 19): `model.sparsity` as one spec per linear layer, `model.centreInputs`
 * (the first layer centred on the training part's feature means), the `genotypes-wide-rigl` preset of the
 * 200,000-marker demo, and `train --print-config --preset genotypes-wide-rigl` on the built CLI.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarizeRun } from '../../toolkit/src/cli/summarize';
import { readRunFolder } from '../../toolkit/src/cli/run-inputs';
import { ConfigError, RunFolderError, RunInterruptedError } from '../../toolkit/src/core/errors';
import { genotypes } from '../../toolkit/src/data/genotypes';
import { trainTestSplit } from '../../toolkit/src/data/split';
import { parseRunConfig, resolveRunConfig, type RunConfigInput } from '../../toolkit/src/experiments/config';
import { loadRunDataAsync } from '../../toolkit/src/experiments/data';
import { estimateRunMemory } from '../../toolkit/src/experiments/estimate';
import { preset, presetNames } from '../../toolkit/src/experiments/presets';
import { runConfig } from '../../toolkit/src/experiments/run';
import { centreInputs, featureMeans } from '../../toolkit/src/features/centring';
import { digest, loadModel } from '../../toolkit/src/io/model-file';
import { readJsonLines } from '../../toolkit/src/io/files';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { mlp, type Model } from '../../toolkit/src/train/model';
import { cli } from '../integration/cli-runner';
import { messageOf } from './config-error-message';

const PRESET = 'genotypes-wide-rigl';
const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-wide-'));
const wide = (model: Record<string, unknown>): unknown => ({ model: { hidden: [10], ...model } });
const firstLayer = (m: Model): SparseLinear => {
  const l = m.network.layers[0];
  if (!(l instanceof SparseLinear)) throw new Error(`the first layer is ${l?.kind}`);
  return l;
};

/** A small genotype run with the preset's shape: 300 x 2000 markers, a centred sparse first layer, a dense output. */
const tiny = (over: Record<string, unknown> = {}): RunConfigInput => ({
  name: 'tiny-wide', seed: 3, backend: 'cpu',
  data: { name: 'genotypes', nSamples: 300, nMarkers: 2000, nCausal: 5, nPairs: 1, heritability: 0.9, testFraction: 0.2, validation: 0.2 },
  model: { hidden: [10], sparsity: [{ kind: 'erdos-renyi', eps: 0.05 }, { kind: 'dense' }], centreInputs: true },
  policy: { policy: 'rigl', k: 5 },
  optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.001 },
  training: { epochs: 5, batchSize: 64 },
  ...over,
});

describe('model.sparsity: one spec per linear layer', () => {
  it('accepts a list of hidden.length + 1 specs, keeps it in the resolved config and builds each layer as its spec says', async () => {
    const c = resolveRunConfig(wide({ sparsity: [{ kind: 'erdos-renyi', eps: 0.5 }, { kind: 'dense' }] }));
    expect(c.model.sparsity).toEqual([{ kind: 'erdos-renyi', eps: 0.5 }, { kind: 'dense' }]);
    expect(parseRunConfig({ model: { hidden: [8, 4], sparsity: [{ kind: 'density', density: 0.5 }, { kind: 'erdos-renyi', eps: 2 }, { kind: 'dense' }] } }).model.sparsity).toHaveLength(3);
    // The single-spec form is unchanged.
    expect(parseRunConfig({}).model.sparsity).toEqual({ kind: 'erdos-renyi', eps: 20 });
    let built: Model | null = null;
    await runConfig(tiny({ model: { hidden: [10], sparsity: [{ kind: 'erdos-renyi', eps: 0.05 }, { kind: 'dense' }] }, training: { epochs: 1, batchSize: 64 } }), { onModel: (m) => (built = m) });
    expect(built!.network.layers[0]).toBeInstanceOf(SparseLinear);
    expect(built!.network.layers.at(-1)).toBeInstanceOf(DenseLinear);
  }, 60_000);

  it.each([
    [{ sparsity: [{ kind: 'erdos-renyi', eps: 1 }] }, /model\.sparsity: the list has 1 spec for 2 linear layers \(hidden \[10\] and the output layer\); give one per linear layer, or one spec for all/],
    [{ sparsity: [{ kind: 'dense' }, { kind: 'dense' }, { kind: 'dense' }] }, /model\.sparsity: the list has 3 specs for 2 linear layers/],
    [{ hidden: [], sparsity: [] }, /model\.sparsity: the list has 0 specs for 1 linear layer \(hidden \[\] and the output layer\)/],
    [{ sparsity: [{ kind: 'erk', density: 0.1 }, { kind: 'dense' }] }, /model\.sparsity\.0\.kind: "erk" spreads one density over all layers, so it cannot be one spec of a per-layer list/],
    [{ sparsity: [{ kind: 'erdos', eps: 1 }, { kind: 'dense' }] }, /model\.sparsity\.0\.kind: "erdos" is not allowed; expected one of "erdos-renyi", "density", "erk", "dense"/],
    [{ sparsity: [{ kind: 'erdos-renyi', epz: 1 }, { kind: 'dense' }] }, /model\.sparsity\.0\.epz: unknown key; did you mean model\.sparsity\.0\.eps\?/],
    [{ sparsity: [{ kind: 'erdos-renyi', eps: 1 }, { kind: 'dense', eps: 1 }] }, /model\.sparsity\.1\.eps: unknown key; model\.sparsity\.1 "dense" has no such key \(other kinds of model\.sparsity\.1 do\)/],
    [{ sparsity: 'dense' }, /model\.sparsity: "dense" is not allowed; expected a sparsity spec .* or a list of one spec per linear layer/],
  ])('refuses %j with a ConfigError that says what is expected', (model, message) => {
    expect(messageOf(() => parseRunConfig(wide(model)))).toMatch(message);
  });
});

describe('model.centreInputs', () => {
  it('is absent by default (false; not filled in, so older grid cell ids stay); true is accepted with a sparse first layer (single spec or list)', () => {
    expect(parseRunConfig({}).model.centreInputs).toBeUndefined();
    expect('centreInputs' in resolveRunConfig({}).model).toBe(false);
    expect(parseRunConfig(wide({ centreInputs: true })).model.centreInputs).toBe(true);
    expect(parseRunConfig(wide({ centreInputs: true, sparsity: [{ kind: 'density', density: 0.1 }, { kind: 'dense' }] })).model.centreInputs).toBe(true);
  });

  it.each([
    [{ centreInputs: 'yes' }, /model\.centreInputs: Invalid input: expected boolean/],
    [{ centerInputs: true }, /model\.centerInputs: unknown key; did you mean model\.centreInputs\?/],
    [{ centreInputs: true, sparsity: { kind: 'dense' } }, /model\.centreInputs: needs a sparse first layer, but model\.sparsity makes it dense/],
    [{ centreInputs: true, sparsity: [{ kind: 'dense' }, { kind: 'erdos-renyi', eps: 2 }] }, /model\.centreInputs: needs a sparse first layer/],
  ])('refuses %j with a ConfigError', (model, message) => {
    expect(messageOf(() => parseRunConfig(wide(model)))).toMatch(message);
  });

  it('a dense first layer with centreInputs is refused before anything runs: no data loaded, nothing written', async () => {
    const out = path.join(tmp(), 'run');
    // Data that cannot load: a data error would mean the config was checked too late.
    const config = { data: { name: 'idx', dir: '/nonexistent-idx' }, model: { hidden: [4], sparsity: { kind: 'dense' }, centreInputs: true } };
    await expect(runConfig(config, { outDir: out })).rejects.toThrow(ConfigError);
    await expect(runConfig(config, { outDir: out })).rejects.toThrow(/model\.centreInputs: needs a sparse first layer/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('top-level centreInputs suggests model.centreInputs', () => {
    expect(messageOf(() => parseRunConfig({ centreInputs: true }))).toMatch(/centreInputs: unknown key; did you mean model\.centreInputs\?/);
  });

  it('the memory estimate counts the centre', () => {
    const shape = { nFeatures: 200_000, nClasses: 2, trainSamples: 3200, testSamples: 800, dataBytes: 0, nnzPerSample: 45_000 };
    const on = estimateRunMemory(parseRunConfig(preset(PRESET)), shape);
    const off = estimateRunMemory(parseRunConfig({ ...preset(PRESET), model: { ...preset(PRESET).model, centreInputs: false } }), shape);
    expect(on.breakdown.weights - off.breakdown.weights).toBe(200_000 * 4);
    expect(on.bytes).toBeGreaterThan(off.bytes);
  });
});

describe('a centred run from a config', () => {
  it('centres the first layer on the feature means of the training part only (after the validation split)', async () => {
    const out = path.join(tmp(), 'run');
    let built: Model | null = null;
    const r = await runConfig(tiny(), { outDir: out, onModel: (m) => (built = m) });
    expect(r.epochs).toBe(5);
    const config = parseRunConfig(tiny());
    const parts = await loadRunDataAsync(config.data, config.seed);
    expect(parts.validation!.nSamples).toBeGreaterThan(0);
    expect(r.trainSamples).toBe(parts.train.nSamples);
    const expected = Float32Array.from(featureMeans(parts.train));
    const centre = firstLayer(built!).inputCentre;
    expect(centre).not.toBeNull();
    expect(Array.from(centre!)).toEqual(Array.from(expected));
    // Not the means of the training part with its validation part (or with the test part).
    const valMeans = featureMeans(parts.validation!), nt = parts.train.nSamples, nv = parts.validation!.nSamples;
    const withValidation = featureMeans(parts.train).map((m, f) => (m * nt + valMeans[f]! * nv) / (nt + nv));
    expect(Array.from(centre!)).not.toEqual(Array.from(Float32Array.from(withValidation)));
    // The saved model keeps it; the manifest records the keys; summarize says so.
    expect(Array.from(firstLayer(loadModel(path.join(out, 'model.json'))).inputCentre!)).toEqual(Array.from(expected));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.config.model).toMatchObject({ centreInputs: true, sparsity: [{ kind: 'erdos-renyi', eps: 0.05 }, { kind: 'dense' }] });
    expect(summarizeRun(readRunFolder(out)).config).toMatch(/^erdos-renyi eps 0\.05 \/ dense, centred inputs, relu/);
  }, 60_000);

  it('without centreInputs the first layer is not centred', async () => {
    let built: Model | null = null;
    await runConfig(tiny({ model: { hidden: [10], sparsity: [{ kind: 'erdos-renyi', eps: 0.05 }, { kind: 'dense' }] }, training: { epochs: 1, batchSize: 64 } }), { onModel: (m) => (built = m) });
    expect(firstLayer(built!).inputCentre).toBeNull();
  }, 60_000);

  it('a centred run stopped after an epoch and resumed ends exactly where an uninterrupted one does', async () => {
    const out = path.join(tmp(), 'run');
    const stop = new AbortController();
    const err = await runConfig(tiny(), { outDir: out, signal: stop.signal, callbacks: { onEpochEnd: (l) => { if (l.epoch === 1) stop.abort('SIGINT'); } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunInterruptedError);
    let resumedModel: Model | null = null;
    const r = await runConfig(tiny(), { outDir: out, resume: true, onModel: (m) => (resumedModel = m) });
    const whole = path.join(tmp(), 'run');
    let wholeModel: Model | null = null;
    const w = await runConfig(tiny(), { outDir: whole, onModel: (m) => (wholeModel = m) });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')).resumedFromEpoch).toBe(2);
    expect([r.testAccuracy, r.testLoss]).toEqual([w.testAccuracy, w.testLoss]);
    const metrics = (dir: string) => readJsonLines<Record<string, unknown>>(path.join(dir, 'metrics.jsonl')).map(({ seconds: _s, evolutionSeconds: _e, ...m }) => m);
    expect(metrics(out)).toEqual(metrics(whole));
    expect(Array.from(firstLayer(resumedModel!).inputCentre!)).toEqual(Array.from(firstLayer(wholeModel!).inputCentre!));
    expect(Array.from(firstLayer(resumedModel!).weight.values)).toEqual(Array.from(firstLayer(wholeModel!).weight.values));
  }, 120_000);

  it('resuming a centred run from a checkpoint without a centre is refused', async () => {
    const out = path.join(tmp(), 'run');
    const stop = new AbortController();
    await runConfig(tiny(), { outDir: out, signal: stop.signal, callbacks: { onEpochEnd: () => stop.abort('SIGINT') } }).catch(() => undefined);
    const file = path.join(out, 'checkpoint.json');
    const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(doc.layers[0].inputCentre).toBeDefined();
    delete doc.layers[0].inputCentre;
    doc.sha256 = digest(doc);
    fs.writeFileSync(file, JSON.stringify(doc));
    await expect(runConfig(tiny(), { outDir: out, resume: true })).rejects.toThrow(RunFolderError);
    await expect(runConfig(tiny(), { outDir: out, resume: true })).rejects.toThrow(/centres the inputs \(model\.centreInputs\) but its checkpoint's first layer has no input centre/);
  }, 60_000);
});

describe(`the ${PRESET} preset`, () => {
  it('is listed and validates with the demo settings of scripts/genotype-wide.cjs', () => {
    expect(presetNames()).toContain(PRESET);
    const c = resolveRunConfig(preset(PRESET));
    expect(c.data).toMatchObject({ name: 'genotypes', nSamples: 4000, nMarkers: 200_000, nCausal: 5, nPairs: 1, heritability: 0.9, testFraction: 0.2, validation: 0 });
    expect(c.model).toMatchObject({ hidden: [10], sparsity: [{ kind: 'erdos-renyi', eps: 0.002 }, { kind: 'dense' }], centreInputs: true, activation: 'relu', dropout: 0 });
    expect(c.optimizer).toMatchObject({ name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.001 });
    expect(c.training).toMatchObject({ epochs: 20, batchSize: 256 });
    expect(c.policy).toMatchObject({ name: 'rigl' });
  });

  it('at a small size, runs exactly as the API sequence of scripts/genotype-wide.cjs', async () => {
    // The README's figures were measured with the script: the preset must describe the same run.
    const small = preset(PRESET) as Record<string, unknown>;
    const config = { ...small, backend: 'cpu', data: { ...(small.data as object), nSamples: 300, nMarkers: 2000 }, model: { ...(small.model as object), sparsity: [{ kind: 'erdos-renyi', eps: 0.05 }, { kind: 'dense' }] }, training: { epochs: 3, batchSize: 256 } };
    let fromConfig: Model | null = null;
    const r = await runConfig(config, { onModel: (m) => (fromConfig = m) });
    // The script's steps (seed 1).
    const g = genotypes({ nSamples: 300, nMarkers: 2000, nCausal: 5, nPairs: 1, heritability: 0.9, seed: 1 });
    const { train, test } = trainTestSplit(g.data, { testFraction: 0.2 }, 1);
    const model = mlp([2000, 10, 2], { sparsity: [{ kind: 'erdos-renyi', eps: 0.05 }, { kind: 'dense' }], seed: 1, backend: 'cpu' });
    centreInputs(model, train);
    model.compile({ optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.001 }, policy: { policy: 'rigl', k: 5 } });
    await model.fit(train, { epochs: 3, batchSize: 256, verbose: 0 });
    const e = model.evaluate(test);
    expect(r.trainSamples).toBe(train.nSamples);
    expect([r.testAccuracy, r.testLoss]).toEqual([e.accuracy, e.loss]);
    expect(Array.from(firstLayer(fromConfig!).weight.values)).toEqual(Array.from(firstLayer(model).weight.values));
    expect(Array.from(firstLayer(fromConfig!).weights.colIdx)).toEqual(Array.from(firstLayer(model).weights.colIdx));
  }, 60_000);

  it('train --print-config --preset prints it resolved (built CLI), and a dense first layer with centreInputs exits 2', async () => {
    const dir = tmp();
    const r = await cli(['train', '--preset', PRESET, '--print-config']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c).toEqual(resolveRunConfig(preset(PRESET)));
    expect(c.model).toMatchObject({ centreInputs: true, sparsity: [{ kind: 'erdos-renyi', eps: 0.002 }, { kind: 'dense' }] });
    const bad = await cli(['train', '--preset', PRESET, '--set', 'model.sparsity={"kind":"dense"}', '--out', path.join(dir, 'run')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/model\.centreInputs: needs a sparse first layer/);
    expect(fs.readdirSync(dir)).toEqual([]);
  }, 60_000);
});
