import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { loadModel, modelFromJson, modelToJson, ModelFileError, saveModel } from '../../toolkit/src/io/model-file';
import { mlp } from '../../toolkit/src/train/model';

async function trained() {
  const data = syntheticClassification({ nSamples: 300, nFeatures: 20, nClasses: 3, seed: 4 });
  // On the CPU reference, where model files load by default (predictions are compared bit for bit).
  const model = mlp([20, 32, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'srelu', dropout: 0.1, seed: 2, backend: 'cpu' });
  model.compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: 'set' });
  await model.fit(data, { epochs: 3, batchSize: 16 });
  return { model, data };
}

describe('model file', () => {
  it('round-trips every layer exactly and predicts identically', async () => {
    const { model, data } = await trained();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-model-')), 'model.json');
    saveModel(model, file);
    const back = loadModel(file);
    expect(back.connectionsPerLayer()).toEqual(model.connectionsPerLayer());
    const a = model.network.params();
    const b = back.network.params();
    expect(b.map((p) => p.name)).toEqual(a.map((p) => p.name));
    a.forEach((p, i) => expect(Array.from(b[i]!.values)).toEqual(Array.from(p.values)));
    const x = new Float32Array(data.nFeatures * 5).map((_, i) => Math.sin(i));
    expect(Array.from(back.predict(x).outputs)).toEqual(Array.from(model.predict(x).outputs));
    expect(back.evaluate(data)).toEqual(model.evaluate(data));
  });

  it('stores sparse layers as CSR (file size proportional to connections, not to nIn x nOut)', () => {
    const model = mlp([2000, 2000, 10], { sparsity: { kind: 'erdos-renyi', eps: 2 }, seed: 1 });
    const bytes = modelToJson(model).length;
    const dense = 2000 * 2000 * 4;
    expect(bytes).toBeLessThan(dense / 20);
  });

  it('rejects truncated, corrupted, foreign and future-version files with a clear error', async () => {
    const { model } = await trained();
    const text = modelToJson(model);
    expect(() => modelFromJson(text.slice(0, text.length / 2))).toThrow(/not valid JSON \(truncated or corrupted\?\)/);
    const doc = JSON.parse(text);
    expect(() => modelFromJson(JSON.stringify({ ...doc, format: 'other/thing' }))).toThrow(/not a synapses-ts model file/);
    expect(() => modelFromJson(JSON.stringify({ ...doc, formatVersion: 99 }))).toThrow(/format version 99; this toolkit .* reads versions 1 to 1/);
    const tampered = { ...doc, seed: doc.seed + 1 };
    expect(() => modelFromJson(JSON.stringify(tampered))).toThrow(/failed its checksum/);
    expect(() => modelFromJson('[1,2,3]')).toThrow(ModelFileError);
    expect(() => loadModel('/nonexistent/model.json')).toThrow(/cannot read model file \/nonexistent\/model.json: ENOENT/);
  });

  it('never leaves a half-written file: saving writes a temporary file and renames it', async () => {
    const { model } = await trained();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-model-'));
    const file = path.join(dir, 'model.json');
    saveModel(model, file);
    saveModel(model, file);
    expect(fs.readdirSync(dir)).toEqual(['model.json']);
  });
});
