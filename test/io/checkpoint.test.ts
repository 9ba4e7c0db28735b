import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { checkpointFromJson, checkpointToJson, loadCheckpoint, saveCheckpoint } from '../../toolkit/src/io/checkpoint';
import { ModelFileError } from '../../toolkit/src/io/model-file';
import type { OptimizerSpec } from '../../toolkit/src/optim/optimizer';
import { mlp, type Model } from '../../toolkit/src/train/model';

const data = syntheticClassification({ nSamples: 240, nFeatures: 24, nClasses: 3, seed: 5 });

function build(policy: unknown, optimizer: OptimizerSpec): Model {
  // On the CPU reference, where checkpoints load (bit-identical resumption is compared on one backend).
  const model = mlp([24, 40, 30, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'srelu', dropout: 0.2, seed: 9, backend: 'cpu' });
  return model.compile({ optimizer, policy: policy as never });
}

function snapshot(model: Model) {
  return {
    params: model.network.params().map((p) => [p.name, Array.from(p.values)]),
    state: model.network.params().map((p) => model.optimizer.stateOf(p).map((a) => Array.from(a))),
    topology: model.network.sparseLayers().map((l) => [Array.from(l.weights.rowPtr), Array.from(l.weights.colIdx)]),
    step: model.step,
    epochsDone: model.epochsDone,
  };
}

describe('checkpoints', () => {
  it.each([
    ['set', { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.0002, nesterov: true }],
    ['set-itop', { name: 'sgd', lr: 0.05 }],
    [{ policy: 'rigl', k: 5 }, { name: 'adam', lr: 0.003 }],
    ['set-probabilistic', { name: 'sgd', lr: 0.05 }],
    ['snfs', { name: 'sgd', lr: 0.05 }],
  ] as const)('resuming %j from a checkpoint is bit-identical to the uninterrupted run', async (policy, optimizer) => {
    const straight = build(policy, optimizer as OptimizerSpec);
    const h1 = await straight.fit(data, { epochs: 4, batchSize: 16, validationData: data });

    const first = build(policy, optimizer as OptimizerSpec);
    const ha = await first.fit(data, { epochs: 2, batchSize: 16, validationData: data, totalEpochs: 4 });
    const { model: resumed, extra } = checkpointFromJson(checkpointToJson(first, { note: 'x' }));
    expect(extra).toEqual({ note: 'x' });
    const hb = await resumed.fit(data, { epochs: 2, batchSize: 16, validationData: data, totalEpochs: 4 });

    const strip = (e: { seconds: number; evolutionSeconds: number }) => ({ ...e, seconds: 0, evolutionSeconds: 0 });
    expect([...ha.epochs, ...hb.epochs].map(strip)).toEqual(h1.epochs.map(strip));
    expect(snapshot(resumed)).toEqual(snapshot(straight));
  });

  it('rejects truncated, corrupted, foreign and future-version checkpoints before building anything', async () => {
    const model = build('set', { name: 'sgd' });
    await model.fit(data, { epochs: 1, batchSize: 32 });
    const text = checkpointToJson(model);
    expect(() => checkpointFromJson(text.slice(0, 1000))).toThrow(/not valid JSON/);
    const doc = JSON.parse(text);
    expect(() => checkpointFromJson(JSON.stringify({ ...doc, format: 'synapses-ts/model' }))).toThrow(/not a synapses-ts checkpoint/);
    expect(() => checkpointFromJson(JSON.stringify({ ...doc, formatVersion: 2 }))).toThrow(/format version 2/);
    expect(() => checkpointFromJson(JSON.stringify({ ...doc, training: { ...doc.training, step: 1 } }))).toThrow(/checksum/);
    expect(() => loadCheckpoint('/nonexistent/checkpoint.json')).toThrow(ModelFileError);
  });

  it('saves atomically and loads from disk', async () => {
    const model = build('set', { name: 'sgd' });
    await model.fit(data, { epochs: 1, batchSize: 32 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-ckpt-'));
    const file = path.join(dir, 'checkpoint.json');
    saveCheckpoint(model, file);
    saveCheckpoint(model, file);
    expect(fs.readdirSync(dir)).toEqual(['checkpoint.json']);
    expect(snapshot(loadCheckpoint(file).model)).toEqual(snapshot(model));
  });
});
