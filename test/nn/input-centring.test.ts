/**
 * Centred inputs of a sparse first layer without densifying them (issue 19): `SparseLinear.setInputCentre`
 * folds `-W c` into the bias and corrects the weight gradient by `-c[col] * sum_b dy[row, b]`, both in
 * O(connections). Checked against the dense computation on `x - c` (an uncentred twin layer fed the centred
 * dense batch), on sparse and dense batches, through a whole network (fused blocks included), against finite
 * differences, and for the dense gradient rows that gradient regrowth (RigL) reads.
 */
import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { rngFor } from '../../toolkit/src/core/rng';
import { ShapeError, ConfigError } from '../../toolkit/src/core/errors';
import { SparseDataset } from '../../toolkit/src/data/sparse-dataset';
import { DenseDataset } from '../../toolkit/src/data/dataset';
import { centreInputs, featureMeans } from '../../toolkit/src/features/centring';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { cpuBackend } from '../../toolkit/src/backend/cpu';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { SparseBatch } from '../../toolkit/src/sparse/sparse-batch';

const nIn = 9, nOut = 4, batch = 5;
const ctx = { training: true, seed: 0, step: 0 };

/** A random sparse table of `batch` samples (sample-major CSR) with 0/1/2 values, and its dense feature-major form. */
function table(seed: number): { rowPtr: Int32Array; idx: Int32Array; val: Float32Array; dense: Float32Array } {
  const r = rngFor(seed, 'centring-table');
  const rowPtr = new Int32Array(batch + 1), idx: number[] = [], val: number[] = [];
  const dense = new Float32Array(nIn * batch);
  for (let s = 0; s < batch; s++) {
    for (let f = 0; f < nIn; f++) {
      if (r.float() < 0.4) {
        const v = 1 + r.int(2);
        idx.push(f);
        val.push(v);
        dense[f * batch + s] = v;
      }
    }
    rowPtr[s + 1] = idx.length;
  }
  return { rowPtr, idx: Int32Array.from(idx), val: Float32Array.from(val), dense };
}

function sparseBatchOf(t: ReturnType<typeof table>): SparseBatch {
  return new SparseBatch(nIn).setRows(t.rowPtr, t.idx, t.val, Int32Array.from({ length: batch }, (_, i) => i), 0, batch);
}

/** A sparse layer with a fixed random topology (some rows empty-ish) and values, and its bias. */
function layerPair(seed: number): [SparseLinear, SparseLinear] {
  const r = rngFor(seed, 'centring-layer');
  const rows: number[] = [], cols: number[] = [], vals: number[] = [];
  for (let j = 0; j < nOut; j++) for (let i = 0; i < nIn; i++) if (r.float() < 0.5) (rows.push(j), cols.push(i), vals.push(r.normal()));
  const mk = () => {
    const w = CsrMatrix.fromTriplets(nOut, nIn, Int32Array.from(rows), Int32Array.from(cols), Float32Array.from(vals));
    const l = new SparseLinear(w, 'l', Float32Array.from({ length: nOut }, (_, j) => 0.1 * j - 0.2));
    l.setBackend(getBackend('cpu'));
    return l;
  };
  return [mk(), mk()];
}

const centre = Float32Array.of(0.3, 1.1, 0, 0.7, 1.9, 0.05, 1.4, 0.2, 1);

/** `x - c` in feature-major layout. */
function centred(dense: Float32Array): Float32Array {
  return dense.map((v, k) => v - centre[Math.floor(k / batch)]!);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('SparseLinear.setInputCentre', () => {
  it('a sparse batch gives the outputs and gradients of the dense computation on x - c', () => {
    for (const seed of [1, 2, 3]) {
      const t = table(seed);
      const [layer, twin] = layerPair(seed);
      layer.setInputCentre(centre);
      const y = Float32Array.from(layer.forwardSparse(sparseBatchOf(t)));
      const yRef = Float32Array.from(twin.forward(centred(t.dense), batch, ctx));
      expect(maxDiff(y, yRef)).toBeLessThan(1e-5);
      const dy = Float32Array.from({ length: nOut * batch }, (_, k) => Math.sin(k + seed));
      layer.backward({ dy: dy, batch, needInput: false });
      twin.backward({ dy: dy, batch, needInput: false });
      expect(maxDiff(layer.weight.grad, twin.weight.grad)).toBeLessThan(1e-5);
      expect(maxDiff(layer.bias.grad, twin.bias.grad)).toBeLessThan(1e-6);
      // Without the centre the outputs differ (the check above is not vacuous).
      layer.setInputCentre(null);
      expect(maxDiff(layer.forwardSparse(sparseBatchOf(t)), yRef)).toBeGreaterThan(1e-2);
    }
  });

  it('a dense batch gives the same outputs and input gradient as the twin on x - c', () => {
    const t = table(4);
    const [layer, twin] = layerPair(4);
    layer.setInputCentre(centre);
    expect(maxDiff(Float32Array.from(layer.forward(t.dense, batch, ctx)), twin.forward(centred(t.dense), batch, ctx))).toBeLessThan(1e-5);
    const dy = Float32Array.from({ length: nOut * batch }, (_, k) => Math.cos(k));
    const dx = Float32Array.from(layer.backward({ dy: dy, batch, needInput: true })!);
    const dxRef = twin.backward({ dy: dy, batch, needInput: true })!;
    expect(maxDiff(dx, dxRef)).toBeLessThan(1e-6);
    expect(maxDiff(layer.weight.grad, twin.weight.grad)).toBeLessThan(1e-5);
  });

  it('the weight gradient matches central finite differences of L = sum(r * y)', () => {
    const t = table(5);
    const [layer] = layerPair(5);
    layer.setInputCentre(centre);
    const r = Float32Array.from({ length: nOut * batch }, (_, k) => Math.sin(3 * k + 1));
    const loss = (): number => {
      const y = layer.forwardSparse(sparseBatchOf(t));
      let s = 0;
      for (let k = 0; k < y.length; k++) s += r[k]! * y[k]!;
      return s;
    };
    loss();
    layer.backward({ dy: r, batch, needInput: false });
    const grad = Float32Array.from(layer.weight.grad);
    const w = layer.weight.values;
    const h = 1e-2;
    for (let k = 0; k < w.length; k++) {
      const w0 = w[k]!;
      w[k] = w0 + h;
      const up = loss();
      w[k] = w0 - h;
      const down = loss();
      w[k] = w0;
      // L is linear in w: the central difference is exact up to float32 rounding of the outputs.
      expect(Math.abs((up - down) / (2 * h) - grad[k]!)).toBeLessThan(2e-3 * (1 + Math.abs(grad[k]!)));
    }
  });

  it('dense gradient rows (gradient regrowth) are those of x - c, on sparse and dense batches', () => {
    const t = table(6);
    const [layer, twin] = layerPair(6);
    layer.setInputCentre(centre);
    const net = new Sequential([layer], cpuBackend());
    const twinNet = new Sequential([twin], cpuBackend());
    const dy = Float32Array.from({ length: nOut * batch }, (_, k) => Math.sin(k * 0.7));
    twinNet.forward(centred(t.dense), batch, ctx);
    const ref = twinNet.backward(dy, batch, { gradients: true })!;
    for (const input of ['sparse', 'dense'] as const) {
      net.forward(input === 'sparse' ? sparseBatchOf(t) : t.dense, batch, ctx);
      const source = net.backward(dy, batch, { gradients: true })!;
      for (let j = 0; j < nOut; j++) {
        expect(maxDiff(source.row(layer, j, new Float32Array(nIn)), ref.row(twin, j, new Float32Array(nIn)))).toBeLessThan(1e-5);
      }
    }
  });

  it('refuses a centre of the wrong length and keeps the old one', () => {
    const [layer] = layerPair(7);
    layer.setInputCentre(centre);
    expect(() => layer.setInputCentre(new Float32Array(nIn + 1))).toThrow(ShapeError);
    expect(layer.inputCentre).toBe(centre);
  });
});

describe('centreInputs', () => {
  /** Outputs and every parameter gradient of `net` for one batch with output gradient `dy`. */
  function pass(net: Sequential, x: Float32Array | SparseBatch, dy: Float32Array): number[][] {
    const y = Array.from(net.forward(x, batch, ctx));
    net.backward(dy, batch);
    return [y, ...net.params().map((p) => Array.from(p.grad))];
  }

  it('centres a whole network (fused blocks after the first layer) on the training means, sparse or dense batches alike', () => {
    const t = table(8);
    const ds = new SparseDataset('t', t.rowPtr, t.idx, t.val, Int32Array.from({ length: batch }, (_, i) => i % 2), nIn, 2);
    const means = featureMeans(ds);
    for (let f = 0; f < nIn; f++) {
      let s = 0;
      for (let b = 0; b < batch; b++) s += t.dense[f * batch + b]!;
      expect(means[f]).toBeCloseTo(s / batch, 12);
    }
    const build = () => mlpNetwork([nIn, 6, 5, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 2, backend: 'cpu' });
    const net = build(), twin = build();
    expect(Array.from(centreInputs(net, ds))).toEqual(Array.from(Float32Array.from(means)));
    const xc = t.dense.map((v, k) => v - Math.fround(means[Math.floor(k / batch)]!));
    const dy = Float32Array.from({ length: 3 * batch }, (_, k) => Math.cos(2 * k));
    const ref = pass(twin, xc, dy);
    for (const x of [sparseBatchOf(t), t.dense]) {
      const got = pass(net, x, dy);
      got.forEach((g, i) => expect(maxDiff(g, ref[i]!)).toBeLessThan(1e-5));
    }
  });

  it('refuses a network whose first layer is dense, or of another width', () => {
    const t = table(9);
    const ds = new SparseDataset('t', t.rowPtr, t.idx, t.val, new Int32Array(batch), nIn, 2);
    expect(() => centreInputs(mlpNetwork([nIn, 3], { sparsity: { kind: 'dense' } }), ds)).toThrow(ConfigError);
    expect(() => centreInputs(mlpNetwork([nIn + 1, 3], { sparsity: { kind: 'erdos-renyi', eps: 1 } }), ds)).toThrow(/9 features/);
    const dense = new DenseDataset('d', new Float32Array(2 * nIn).fill(2), new Int32Array(2), nIn, 2);
    expect(Array.from(featureMeans(dense))).toEqual(new Array(nIn).fill(2));
  });
});
