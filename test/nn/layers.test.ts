import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { activationLayer, SRelu, UnaryActivation, type ActivationName } from '../../toolkit/src/nn/activation';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import type { ForwardContext, Layer } from '../../toolkit/src/nn/layer';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { atStored, expectClose, matmul, matmulTransposed, outerGrad, randomArray, randomSparse, rowSums } from '../backend/oracle';

const backend = getBackend('cpu');
const EVAL: ForwardContext = { training: false, seed: 0, step: 0 };

function attach<L extends Layer>(layer: L): L {
  layer.setBackend(backend);
  return layer;
}

describe('SparseLinear', () => {
  const { csr, dense } = randomSparse(5, 7, 0.4, rngFor(1, 'w'), [3]);
  const batch = 4;
  const rng = rngFor(1, 'data');
  const x = randomArray(7 * batch, rng);
  const dy = randomArray(5 * batch, rng);
  const bias = randomArray(5, rng);

  it('forward is W x + b; backward gives dW at the connections, db and dx', () => {
    const layer = attach(new SparseLinear(csr.clone(), 'l', bias.slice()));
    expectClose(layer.forward(x, batch, EVAL), matmul(dense, 5, 7, x, batch, bias), 1e-5, 'forward');
    const dx = layer.backward({ dy, batch, needInput: true })!;
    expectClose(dx, matmulTransposed(dense, 5, 7, dy, batch), 1e-5, 'dx');
    expectClose(layer.weight.grad, atStored(csr, outerGrad(5, 7, dy, x, batch)), 1e-5, 'dW');
    expectClose(layer.bias.grad, rowSums(dy, 5, batch), 1e-5, 'db');
    expect(layer.backward({ dy, batch, needInput: false })).toBeNull();
  });

  it('stores one value and one gradient per connection, sharing the CSR values (no dense matrix or mask)', () => {
    const w = csr.clone();
    const layer = attach(new SparseLinear(w, 'layers.3'));
    expect(layer.weight.values).toBe(w.values);
    expect(layer.weight.values.length).toBe(w.nnz);
    expect(layer.weight.grad.length).toBe(w.nnz);
    expect(layer.connections).toBe(w.nnz);
    expect(layer.weights).toBe(w);
    expect([layer.weight.name, layer.bias.name, layer.weight.decay, layer.bias.decay]).toEqual(['layers.3.weight', 'layers.3.bias', true, false]);
    expect(layer.summary()).toMatchObject({ kind: 'sparse-linear', nIn: 7, nOut: 5, parameters: w.nnz + 5, detail: { connections: w.nnz } });
  });

  it('never densifies: a 50,000 x 50,000 layer with 100,000 connections trains, and holds no array larger than its data', () => {
    const nIn = 50000, nOut = 50000, batch = 2;
    const w = erdosRenyi(nIn, nOut, 1, rngFor(2, 'big')); // p = 4e-5: about 100,000 of 2.5e9 positions
    w.values.fill(0.01);
    const layer = attach(new SparseLinear(w, 'big'));
    const x = new Float32Array(nIn * batch).fill(1);
    const y = layer.forward(x, batch, EVAL);
    expect(y.length).toBe(nOut * batch);
    const dx = layer.backward({ dy: new Float32Array(nOut * batch).fill(1), batch, needInput: true })!;
    expect(dx.length).toBe(nIn * batch);
    // Every typed array the layer holds is bounded by its connections or its activations.
    const limit = Math.max(w.nnz, nIn * batch, nOut * batch);
    const seen: number[] = [];
    const walk = (o: unknown, depth: number) => {
      if (ArrayBuffer.isView(o)) seen.push((o as Float32Array).length);
      else if (o && typeof o === 'object' && depth < 3) for (const v of Object.values(o)) walk(v, depth + 1);
    };
    walk(layer, 0);
    expect(seen.length).toBeGreaterThan(4);
    expect(Math.max(...seen)).toBeLessThanOrEqual(limit);
  });

  it('a layer that became dense (p >= 1) is not evolvable; a sparse one is', () => {
    expect(new SparseLinear(erdosRenyi(1000, 10, 20, rngFor(1)), 'out').evolvable).toBe(false);
    expect(new SparseLinear(CsrMatrix.full(2, 3), 'f').evolvable).toBe(false);
    expect(new SparseLinear(csr.clone(), 's').evolvable).toBe(true);
  });

  it('setWeights swaps the topology, resets the gradient, and checks the shape', () => {
    const layer = attach(new SparseLinear(csr.clone(), 'l'));
    const next = randomSparse(5, 7, 0.6, rngFor(3)).csr;
    layer.setWeights(next);
    expect(layer.weights).toBe(next);
    expect(layer.weight.values).toBe(next.values);
    expect(layer.weight.grad.length).toBe(next.nnz);
    expect(() => layer.setWeights(CsrMatrix.full(7, 5))).toThrow(ShapeError);
  });

  it('rejects an input of the wrong length and a bias of the wrong length', () => {
    const layer = attach(new SparseLinear(csr.clone(), 'l'));
    expect(() => layer.forward(new Float32Array(7 * 2 + 1), 2, EVAL)).toThrow(/sparse layer input has length 15, expected 14/);
    expect(() => new SparseLinear(csr.clone(), 'l', new Float32Array(4))).toThrow(ShapeError);
  });
});

describe('DenseLinear', () => {
  it('forward, backward and parameters against the oracle', () => {
    const nIn = 6, nOut = 4, batch = 3;
    const rng = rngFor(4);
    const w = randomArray(nIn * nOut, rng);
    const layer = attach(new DenseLinear(nIn, nOut, w.slice(), 'd'));
    const bias = randomArray(nOut, rng);
    layer.bias.values.set(bias);
    const x = randomArray(nIn * batch, rng), dy = randomArray(nOut * batch, rng);
    expectClose(layer.forward(x, batch, EVAL), matmul(w, nOut, nIn, x, batch, bias), 1e-5, 'forward');
    expectClose(layer.backward({ dy, batch, needInput: true })!, matmulTransposed(w, nOut, nIn, dy, batch), 1e-5, 'dx');
    expectClose(layer.weight.grad, outerGrad(nOut, nIn, dy, x, batch), 1e-5, 'dW');
    expectClose(layer.bias.grad, rowSums(dy, nOut, batch), 1e-5, 'db');
    expect(layer.backward({ dy, batch, needInput: false })).toBeNull();
    expect(layer.summary()).toMatchObject({ parameters: 28, detail: { connections: 24 } });
    expect(() => new DenseLinear(3, 2, new Float32Array(5), 'bad')).toThrow(/bad.weight has length 5, expected 6/);
    expect(() => layer.forward(new Float32Array(5), 1, EVAL)).toThrow(ShapeError);
  });
});

describe('activation layers', () => {
  const n = 6, batch = 5;
  const x = randomArray(n * batch, rngFor(5, 'x'), 3);
  const dy = randomArray(n * batch, rngFor(5, 'dy'));
  const table: [ActivationName, (v: number) => number, (v: number) => number][] = [
    ['identity', (v) => v, () => 1],
    ['relu', (v) => Math.max(0, v), (v) => (v > 0 ? 1 : 0)],
    ['leaky-relu', (v) => (v > 0 ? v : 0.01 * v), (v) => (v > 0 ? 1 : 0.01)],
    ['tanh', Math.tanh, (v) => 1 - Math.tanh(v) ** 2],
    ['sigmoid', (v) => 1 / (1 + Math.exp(-v)), (v) => Math.exp(-v) / (1 + Math.exp(-v)) ** 2],
  ];
  for (const [name, f, df] of table) {
    it(`${name}: forward and backward`, () => {
      const layer = attach(activationLayer({ name }, n, 0, rngFor(0), 'a'));
      expect(layer.params()).toEqual([]);
      expectClose(layer.forward(x, batch, EVAL), Array.from(x, f), 1e-6, `${name} forward`);
      expectClose(layer.backward({ dy, batch, needInput: true })!, Array.from(x, (v, i) => df(v) * dy[i]!), 1e-6, `${name} backward`);
    });
  }

  it('all-relu alternates its negative slope by hidden index: -alpha, +alpha, -alpha (Curci et al.)', () => {
    const neg = Float32Array.of(-2, 3);
    for (const [hidden, slope] of [[0, -0.6], [1, 0.6], [2, -0.6], [3, 0.6]] as const) {
      const layer = attach(activationLayer({ name: 'all-relu' }, 2, hidden, rngFor(0), 'a')) as UnaryActivation;
      expect(layer.kind).toBe('all-relu');
      expect(layer.alpha).toBeCloseTo(slope, 12);
      const y = layer.forward(neg, 1, EVAL);
      expect(y[0]).toBeCloseTo(-2 * slope, 6);
      expect(y[1]).toBe(3);
      const dx = layer.backward({ dy: Float32Array.of(1, 1), batch: 1, needInput: true })!;
      expect(dx[0]).toBeCloseTo(slope, 6);
      expect(dx[1]).toBe(1);
    }
    const custom = activationLayer({ name: 'all-relu', alpha: 0.75 }, 2, 1, rngFor(0), 'a') as UnaryActivation;
    expect(custom.alpha).toBe(0.75);
  });

  it('leaky-relu takes alpha; non-finite alphas and unknown names are rejected', () => {
    expect((activationLayer({ name: 'leaky-relu', alpha: 0.2 }, 2, 0, rngFor(0), 'a') as UnaryActivation).alpha).toBe(0.2);
    expect(() => activationLayer({ name: 'leaky-relu', alpha: NaN }, 2, 0, rngFor(0), 'a')).toThrow(InvalidArgumentError);
    expect(() => activationLayer({ name: 'all-relu', alpha: Infinity }, 2, 0, rngFor(0), 'a')).toThrow(InvalidArgumentError);
    expect(() => activationLayer({ name: 'gelu' as ActivationName }, 2, 0, rngFor(0), 'a')).toThrow(UnknownNameError);
    expect(() => activationLayer({ name: 'gelu' as ActivationName }, 2, 0, rngFor(0), 'a')).toThrow(
      /known activations are: relu, leaky-relu, all-relu, srelu, tanh, sigmoid, softmax, identity/,
    );
  });

  it('softmax layer: forward sums to one per sample; backward is the Jacobian product', () => {
    const layer = attach(activationLayer({ name: 'softmax' }, n, 0, rngFor(0), 's'));
    const y = layer.forward(x, batch, EVAL);
    for (let b = 0; b < batch; b++) {
      let s = 0;
      for (let f = 0; f < n; f++) s += y[f * batch + b]!;
      expect(s).toBeCloseTo(1, 6);
    }
    const dx = layer.backward({ dy, batch, needInput: true })!;
    for (let b = 0; b < batch; b++) {
      let dot = 0;
      for (let f = 0; f < n; f++) dot += dy[f * batch + b]! * y[f * batch + b]!;
      for (let f = 0; f < n; f++) expect(dx[f * batch + b]).toBeCloseTo(y[f * batch + b]! * (dy[f * batch + b]! - dot), 6);
    }
  });
});

describe('SReLU layer', () => {
  it('initialises like keras-contrib: tl = 0, al ~ U(0, 1), tr ~ U(0, 5), ar = 1; parameters not decayed', () => {
    const s = new SRelu(2000, rngFor(6), 'act.0');
    expect(Array.from(s.p.tl).every((v) => v === 0)).toBe(true);
    expect(Array.from(s.p.ar).every((v) => v === 1)).toBe(true);
    expect(Array.from(s.p.al).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(Array.from(s.p.tr).every((v) => v >= 0 && v < 5)).toBe(true);
    const mean = (a: Float32Array) => a.reduce((t, v) => t + v, 0) / a.length;
    expect(mean(s.p.al)).toBeCloseTo(0.5, 1);
    expect(mean(s.p.tr)).toBeCloseTo(2.5, 0);
    expect(s.params().map((p) => [p.name, p.decay])).toEqual([['act.0.tl', false], ['act.0.al', false], ['act.0.tr', false], ['act.0.ar', false]]);
    expect(s.summary().parameters).toBe(8000);
  });

  it('parameter gradients match finite differences of sum(R * f(x)) and are reset by every backward', () => {
    const n = 3, batch = 6;
    const layer = attach(new SRelu(n, rngFor(7), 's'));
    layer.p.tl.set([-0.5, -1, 0]);
    layer.p.al.set([0.2, -0.3, 0.5]);
    layer.p.tr.set([0.5, 1, 2]);
    layer.p.ar.set([1.5, 0.4, 2]);
    const x = Float32Array.from({ length: n * batch }, (_, i) => [-2, -0.8, 0.1, 0.3, 1.7, 3][i % batch]! + 0.01 * Math.floor(i / batch));
    const r = randomArray(n * batch, rngFor(7, 'r'));
    const lossAt = () => {
      const y = layer.forward(x, batch, EVAL);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += r[i]! * y[i]!;
      return s;
    };
    lossAt();
    layer.backward({ dy: r, batch, needInput: true });
    const analytic = layer.params().map((p) => Array.from(p.grad));
    layer.backward({ dy: r, batch, needInput: true }); // a second backward must not double the gradients
    expect(layer.params().map((p) => Array.from(p.grad))).toEqual(analytic);
    const h = 1e-2; // SReLU is linear in each parameter on each piece: the difference is exact up to rounding
    layer.params().forEach((p, pi) => {
      for (let j = 0; j < n; j++) {
        const keep = p.values[j]!;
        p.values[j] = keep + h;
        const up = lossAt();
        p.values[j] = keep - h;
        const down = lossAt();
        p.values[j] = keep;
        expect(analytic[pi]![j], `${p.name}[${j}]`).toBeCloseTo((up - down) / (2 * h), 4);
      }
    });
    expect(analytic.flat().filter((v) => v !== 0).length).toBeGreaterThan(8);
  });
});
