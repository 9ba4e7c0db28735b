/**
 * Wide data, truly sparse end to end (issue 19): sparse batches (SparseBatch) built from a SparseDataset,
 * and training, evaluation and prediction on the sparse path (Model.fit with a sparse first layer) against
 * the dense-gather path on the same LIBSVM data.
 *
 * Tolerances: on the CPU reference the sparse first layer adds the dense path's terms minus its zeros in the
 * same order, one float32 rounding per update, so the two paths give the same values, steps and evolution
 * (checked as exact). On wasm the dense path's first layer is its SIMD kernel (float32 multiply and add, the
 * rectifier fused) and the sparse path the reference's loop: forward outputs and gradients of one step agree
 * within a max-norm relative error of 1e-5 (the float32 summation bound, test/backend/sparse-input-ops.test.ts,
 * measured about 1e-7), and weights after a few static-topology epochs within 1e-4.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { isWasmAvailable } from '../../toolkit/src/backend/wasm/index';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { DenseDataset } from '../../toolkit/src/data/dataset';
import { loadLibsvm } from '../../toolkit/src/data/libsvm';
import { hasSparseBatches, SparseDataset } from '../../toolkit/src/data/sparse-dataset';
import { SparseBatch } from '../../toolkit/src/sparse/sparse-batch';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import { dataShapeOf, estimateRunMemory } from '../../toolkit/src/experiments/estimate';
import { mlp, type Model } from '../../toolkit/src/train/model';
import { relErr } from '../backend/oracle';
import { tempDir, wideSparseLibsvm, write } from './wide-fixtures';

const dir = tempDir('sparse-batches');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small wide LIBSVM problem: 1000 features, 120 samples, 50 non-zeros each. */
const data = loadLibsvm(write(dir, 'wide.svm', wideSparseLibsvm(1000, 120, 3)), { name: 'wide' });

/** The same samples as a dense data set (no gatherSparse: the dense-gather path). */
function denseTwin(d: SparseDataset): DenseDataset {
  const f = new Float32Array(d.nSamples * d.nFeatures);
  for (let s = 0; s < d.nSamples; s++) {
    for (let k = d.rowPtr[s]!; k < d.rowPtr[s + 1]!; k++) f[s * d.nFeatures + d.featureIdx[k]!] = d.values[k]!;
  }
  return new DenseDataset(d.name, f, d.labels, d.nFeatures, d.nClasses);
}

/** A SparseDataset whose dense gather throws: proves that a path never builds a dense input batch. */
class SparseOnly extends SparseDataset {
  override gather(): void {
    throw new Error('dense gather called on the sparse path');
  }
}
const sparseOnly = new SparseOnly(data.name, data.rowPtr, data.featureIdx, data.values, data.labels, data.nFeatures, data.nClasses);

describe('SparseBatch', () => {
  it('builds the feature-major batch of a hand-made table', () => {
    // Samples (sample-major): s0 = {1: 1, 3: 2}, s1 = {}, s2 = {0: 3, 3: 4}; batch = [s2, s0, s1].
    const rowPtr = Int32Array.of(0, 2, 2, 4), idx = Int32Array.of(1, 3, 0, 3), val = Float32Array.of(1, 2, 3, 4);
    const b = new SparseBatch(5).setRows(rowPtr, idx, val, Int32Array.of(2, 0, 1), 0, 3);
    expect(b.batch).toBe(3);
    expect(b.nnz).toBe(4);
    expect(Array.from(b.featPtr)).toEqual([0, 1, 2, 2, 4, 4]);
    // Feature 0: column 0 (s2, 3); feature 1: column 1 (s0, 1); feature 3: columns ascending, 0 (s2, 4) then 1 (s0, 2).
    expect(Array.from(b.sample.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(Array.from(b.values.subarray(0, 4))).toEqual([3, 1, 4, 2]);
    expect(Array.from(b.toDense())).toEqual([3, 0, 0, 0, 1, 0, 0, 0, 0, 4, 2, 0, 0, 0, 0]);
  });

  it('gatherSparse holds exactly what the dense gather writes, for batches anywhere in a shuffled order', () => {
    const order = Int32Array.from({ length: data.nSamples }, (_, i) => (i * 37) % data.nSamples);
    const sb = new SparseBatch(data.nFeatures);
    for (const [start, count] of [[0, 32], [32, 32], [100, 20], [5, 1], [0, 0]] as const) {
      const x = new Float32Array(data.nFeatures * count), y = new Int32Array(count), ys = new Int32Array(count);
      data.gather(order, start, count, x, y);
      data.gatherSparse(order, start, count, sb, ys);
      expect(Array.from(sb.toDense())).toEqual(Array.from(x));
      expect(Array.from(ys)).toEqual(Array.from(y));
      expect(sb.nnz).toBe(Array.from(order.subarray(start, start + count), (s) => data.rowPtr[s + 1]! - data.rowPtr[s]!).reduce((a, v) => a + v, 0));
    }
  });

  it('refuses a batch of another width, a range outside the order and a feature outside the batch, changing nothing', () => {
    const order = Int32Array.of(0, 1, 2);
    expect(() => data.gatherSparse(order, 0, 3, new SparseBatch(10), new Int32Array(3))).toThrow(ShapeError);
    expect(() => data.gatherSparse(order, 2, 2, new SparseBatch(data.nFeatures), new Int32Array(2))).toThrow(InvalidArgumentError);
    const b = new SparseBatch(3);
    expect(() => b.setRows(Int32Array.of(0, 1), Int32Array.of(5), Float32Array.of(1), Int32Array.of(0), 0, 1)).toThrow(/feature 5, outside \[0, 3\)/);
    expect(b.nnz).toBe(0);
  });

  it('only data sets that keep their samples sparse offer sparse batches', () => {
    expect(hasSparseBatches(data)).toBe(true);
    expect(hasSparseBatches(denseTwin(data))).toBe(false);
    expect(hasSparseBatches(data.subset(Int32Array.of(0, 1)))).toBe(true);
  });
});

function build(backend: string, policy: string): Model {
  const m = mlp([data.nFeatures, 32, 16, 2], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'relu', dropout: 0.2, seed: 5, backend, threads: 1 });
  m.compile({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, policy });
  return m;
}

/** Max |a - b| over the values (0 means equal values; the sign of a zero is not compared). */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const backends = ['cpu', ...(isWasmAvailable() ? ['wasm'] : [])];

describe.each(backends)('the sparse path against the dense-gather path [%s]', (backend) => {
  const exact = backend === 'cpu';
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, rel: number, what: string): void => {
    if (exact) expect(maxDiff(a, b), what).toBe(0);
    else expect(relErr(a, b), what).toBeLessThanOrEqual(rel);
  };

  it('one training step: the same outputs and weight gradients of every layer', () => {
    const a = build(backend, 'static'), b = build(backend, 'static');
    const batch = 24;
    const order = Int32Array.from({ length: batch }, (_, i) => (i * 7) % data.nSamples);
    const sb = data.gatherSparse(order, 0, batch, new SparseBatch(data.nFeatures), new Int32Array(batch));
    const x = new Float32Array(data.nFeatures * batch);
    const y = new Int32Array(batch);
    data.gather(order, 0, batch, x, y);
    const ctx = { training: true, seed: 5, step: 3 };
    const outA = a.network.forward(sb, batch, ctx).slice();
    const outB = b.network.forward(x, batch, ctx).slice();
    same(outA, outB, 1e-5, 'forward outputs');
    const grad = (m: Model, out: Float32Array): Float32Array => {
      const g = new Float32Array(2 * batch);
      m.backend.softmaxCrossEntropy(out, y, 2, batch, g, new Int32Array(batch));
      return g;
    };
    a.network.backward(grad(a, outA), batch);
    b.network.backward(grad(b, outB), batch);
    a.backend.memory.sync();
    b.backend.memory.sync();
    const pa = a.network.params(), pb = b.network.params();
    expect(pa.map((p) => p.name)).toEqual(pb.map((p) => p.name));
    pa.forEach((p, i) => same(p.grad, pb[i]!.grad, 1e-5, `gradient of ${p.name}`));
  });

  it('fit, evaluate and predict use sparse batches on sparse data (no dense gather) and match the dense path', async () => {
    // On the CPU reference with SET evolution (the same values give the same topology changes); on wasm with
    // a static topology (a rounding-level difference may flip which connection is pruned).
    const policy = exact ? 'set' : 'static';
    const a = build(backend, policy), b = build(backend, policy);
    const dense = denseTwin(data);
    const ha = await a.fit(sparseOnly, { epochs: 3, batchSize: 16, validationData: sparseOnly });
    const hb = await b.fit(dense, { epochs: 3, batchSize: 16, validationData: dense });
    if (exact) expect(ha.evolution.length).toBeGreaterThan(0);
    const pa = a.network.params(), pb = b.network.params();
    pa.forEach((p, i) => same(p.values, pb[i]!.values, 1e-4, `${p.name} after 3 epochs`));
    ha.epochs.forEach((e, i) => {
      expect(Math.abs(e.loss - hb.epochs[i]!.loss)).toBeLessThanOrEqual(exact ? 0 : 1e-4);
      expect(e.valAccuracy).toBe(hb.epochs[i]!.valAccuracy);
    });
    const ea = a.evaluate(sparseOnly, { batchSize: 50 }), eb = b.evaluate(dense, { batchSize: 50 });
    expect(ea.accuracy).toBe(eb.accuracy);
    expect(Math.abs(ea.loss - eb.loss)).toBeLessThanOrEqual(exact ? 0 : 1e-5 * Math.max(1, eb.loss));
    const ra = a.predict(sparseOnly, { batchSize: 40 }), rb = b.predict(dense, { batchSize: 40 });
    expect(Array.from(ra.classes)).toEqual(Array.from(rb.classes));
    same(ra.outputs, rb.outputs, 1e-5, 'predicted probabilities');
    // The problem is learnable, so the comparison is of training that does something.
    expect(ea.accuracy).toBeGreaterThan(0.8);
  });
});

describe('the sparse path elsewhere', () => {
  it('gradient-based regrowth (RigL) sees the same dense gradient rows on sparse batches', async () => {
    const a = build('cpu', 'rigl'), b = build('cpu', 'rigl');
    await a.fit(sparseOnly, { epochs: 2, batchSize: 16 });
    await b.fit(denseTwin(data), { epochs: 2, batchSize: 16 });
    const la = a.network.sparseLayers()[0]!, lb = b.network.sparseLayers()[0]!;
    expect(Array.from(la.weights.colIdx)).toEqual(Array.from(lb.weights.colIdx));
    expect(maxDiff(la.weights.values, lb.weights.values)).toBe(0);
  });

  it('a network whose first layer is not sparse takes dense batches from sparse data', async () => {
    const m = mlp([data.nFeatures, 8, 2], { sparsity: { kind: 'dense' }, seed: 1, backend: 'cpu' });
    m.compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: 'static' });
    expect(m.network.acceptsSparse()).toBe(false);
    await expect(m.fit(sparseOnly, { epochs: 1, batchSize: 16 })).rejects.toThrow(/dense gather called/);
    await m.fit(data, { epochs: 1, batchSize: 16 });
    expect(() => m.network.forward(new SparseBatch(data.nFeatures), 0, { training: false, seed: 0, step: 0 })).toThrow(/sparse first layer/);
  });
});

describe('the memory estimate counts sparse batches for sparse data', () => {
  it('dataShapeOf records the non-zeros per sample of sparse data only', () => {
    expect(dataShapeOf(data, data).nnzPerSample).toBeCloseTo(data.nnz / data.nSamples, 9);
    expect(dataShapeOf(denseTwin(data), denseTwin(data)).nnzPerSample).toBeUndefined();
  });

  it('at 10^6 features the batches are their non-zeros, not nFeatures x batch floats', () => {
    const shape = { nFeatures: 1_000_000, nClasses: 2, trainSamples: 1000, testSamples: 200, dataBytes: 0 };
    const config = parseRunConfig({ model: { hidden: [100], sparsity: { kind: 'erdos-renyi', eps: 5 } }, training: { batchSize: 32 } });
    const dense = estimateRunMemory(config, shape).breakdown.batches;
    const sparse = estimateRunMemory(config, { ...shape, nnzPerSample: 1000 }).breakdown.batches;
    // Dense: 10^6 * (32 + 256) floats = 1.15 GB. Sparse: 1.25 * 1000 * 288 entries of 8 bytes + 2 offset arrays of 4 MB.
    expect(dense).toBeGreaterThan(1e9);
    const labels = 2 * (32 + 256) * 4 + 2 * (32 + 256) * 4;
    expect(sparse).toBeCloseTo((1.25 * 1000 * 32 + 16) * 8 + (1.25 * 1000 * 256 + 16) * 8 + 2 * 1_000_001 * 4 + labels, 0);
    // A dense first layer, or an autoencoder (its target is the dense input), takes dense batches.
    const denseLayer = parseRunConfig({ model: { hidden: [100], sparsity: { kind: 'dense' } }, training: { batchSize: 32 } });
    expect(estimateRunMemory(denseLayer, { ...shape, nnzPerSample: 1000 }).breakdown.batches).toBe(estimateRunMemory(denseLayer, shape).breakdown.batches);
  });
});
