/**
 * Issue 19: the input centre of a centred first layer (`centreInputs`, SparseLinear.setInputCentre) survives
 * save/load (model.save(dir) / loadModel(dir), the model file) and checkpoints, so that a resumed run trains
 * bit for bit as an uninterrupted one. Files without it load uncentred; a corrupted centre is a ModelFileError.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { genotypes } from '../../toolkit/src/data/genotypes';
import { centreInputs } from '../../toolkit/src/features/centring';
import '../../toolkit/src/index'; // registers model.save's writer (train/model-store)
import { checkpointFromJson, checkpointToJson, loadCheckpoint, saveCheckpoint } from '../../toolkit/src/io/checkpoint';
import { b64, digest, loadModel, modelFromJson, modelToJson, ModelFileError, type Rec } from '../../toolkit/src/io/model-file';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { mlp, type Model } from '../../toolkit/src/train/model';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'input-centre-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

// 0/1/2 counts with far-from-zero means, stored sparsely: what centring is for.
const { data } = genotypes({ nSamples: 160, nMarkers: 120, nCausal: 3, nPairs: 1, seed: 2 });

function build(centred: boolean): Model {
  const model = mlp([120, 16, 2], { sparsity: [{ kind: 'erdos-renyi', eps: 2 }, { kind: 'dense' }], seed: 5, backend: 'cpu' });
  if (centred) centreInputs(model, data);
  return model.compile({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, policy: 'set' });
}

const first = (m: Model) => m.network.layers[0] as SparseLinear;
const state = (m: Model) => ({
  params: m.network.params().map((p) => [p.name, Array.from(p.values)]),
  optimizer: m.network.params().map((p) => m.optimizer.stateOf(p).map((a) => Array.from(a))),
  topology: m.network.sparseLayers().map((l) => [Array.from(l.weights.rowPtr), Array.from(l.weights.colIdx)]),
  centre: first(m).inputCentre && Array.from(first(m).inputCentre!),
  step: m.step,
});

/** Edits a model or checkpoint document's first layer and re-signs it (a file corrupted before it was signed). */
function edited(text: string, edit: (layer: Rec) => void): string {
  const doc = JSON.parse(text) as Rec;
  edit((doc.layers as Rec[])[0]!);
  doc.sha256 = digest(doc);
  return JSON.stringify(doc);
}

describe('the input centre in model files', () => {
  it('model.save(dir) / loadModel(dir) keep the centre, so the loaded model predicts as the saved one', async () => {
    const model = build(true);
    await model.fit(data, { epochs: 1, batchSize: 32, verbose: 0 });
    const dir = path.join(tmp(), 'saved');
    model.save(dir);
    const loaded = loadModel(dir);
    expect(Array.from(first(loaded).inputCentre!)).toEqual(Array.from(first(model).inputCentre!));
    expect(Array.from(loaded.predict(data).outputs)).toEqual(Array.from(model.predict(data).outputs));
  });

  it('an uncentred layer writes no centre, and a file without one loads uncentred', () => {
    const plain = build(false);
    expect((JSON.parse(modelToJson(plain)) as { layers: Rec[] }).layers[0]!.inputCentre).toBeUndefined();
    const centredText = modelToJson(build(true));
    expect(first(modelFromJson(centredText)).inputCentre).not.toBeNull();
    // A file written before centring was stored: the same layer without the field.
    expect(first(modelFromJson(edited(centredText, (l) => delete l.inputCentre))).inputCentre).toBeNull();
  });

  it('a centre of the wrong length or with NaN is a ModelFileError naming the layer', () => {
    const text = modelToJson(build(true));
    const short = edited(text, (l) => (l.inputCentre = b64(new Float32Array(119))));
    expect(() => modelFromJson(short)).toThrow(ModelFileError);
    expect(() => modelFromJson(short)).toThrow(/layers\[0\]\.inputCentre has 119 values, expected one per input of the layer \(nIn = 120\)/);
    const nan = new Float32Array(120).fill(0.5);
    nan[7] = NaN;
    expect(() => modelFromJson(edited(text, (l) => (l.inputCentre = b64(nan))))).toThrow(/layers\[0\]\.inputCentre\[7\] is NaN/);
    expect(() => modelFromJson(edited(text, (l) => (l.inputCentre = 12)))).toThrow(ModelFileError);
    expect(() => checkpointFromJson(edited(checkpointToJson(build(true)), (l) => (l.inputCentre = b64(nan))))).toThrow(ModelFileError);
  });
});

describe('the input centre in checkpoints', () => {
  it('a centred run resumed from a checkpoint file is bit-identical to the uninterrupted run', async () => {
    const straight = build(true);
    await straight.fit(data, { epochs: 4, batchSize: 16, verbose: 0 });

    const cut = build(true);
    await cut.fit(data, { epochs: 2, batchSize: 16, verbose: 0, totalEpochs: 4 });
    const file = path.join(tmp(), 'checkpoint.json');
    saveCheckpoint(cut, file);
    const { model: resumed } = loadCheckpoint(file);
    expect(first(resumed).inputCentre).not.toBeNull();
    await resumed.fit(data, { epochs: 2, batchSize: 16, verbose: 0, totalEpochs: 4 });
    expect(state(resumed)).toEqual(state(straight));
  }, 60_000);
});
