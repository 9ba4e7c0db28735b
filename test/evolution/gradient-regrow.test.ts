import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { ShapeError, SynapsesError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { policyFrom, type PolicyDescription } from '../../toolkit/src/evolution/registry';
import { gradientRegrow, momentumRegrow, NotEnoughRoomError } from '../../toolkit/src/evolution/regrow';
import type { EvolutionReport } from '../../toolkit/src/evolution/types';
import { DenseGradientSource } from '../../toolkit/src/nn/dense-gradient';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { createOptimizer } from '../../toolkit/src/optim/optimizer';
import type { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { uniformDensity } from '../../toolkit/src/sparse/topology';
import { evolveNetwork } from '../../toolkit/src/train/evolution-step';
import { mlp, type Model } from '../../toolkit/src/train/model';
import { EPOCH_END, handLayer, positionsOf } from './fixtures';

const NONE = new Float64Array(0);
const TRAIN = { training: true, seed: 0, step: 0 };

/** The dense gradient dL/dW[j][i] = sum_b dy[j, b] x[i, b] in Float64 (feature-major x and dy), summed in batch order. */
function denseOracle(x: Float32Array, dy: Float32Array, nIn: number, nOut: number, batch: number): Float64Array {
  const g = new Float64Array(nOut * nIn);
  for (let j = 0; j < nOut; j++) {
    for (let i = 0; i < nIn; i++) {
      let s = 0;
      for (let b = 0; b < batch; b++) s += dy[j * batch + b]! * x[i * batch + b]!;
      g[j * nIn + i] = s;
    }
  }
  return g;
}

/**
 * The top-`count` empty positions of `w` by score, ties to the lower position, by sorting every empty
 * position (the brute-force oracle), returned sorted by position.
 */
function topOracle(w: CsrMatrix, score: (p: number) => number, count: number): number[] {
  const stored = new Set(positionsOf(w));
  const empty: number[] = [];
  for (let p = 0; p < w.rows * w.cols; p++) if (!stored.has(p)) empty.push(p);
  return empty
    .sort((a, b) => score(b) - score(a) || a - b)
    .slice(0, count)
    .sort((a, b) => a - b);
}

/** A layer `w` that has run forward and backward on x and dy (the CPU backend), and the dense-gradient source of that pass. */
function layerWithGradient(w: CsrMatrix, x: Float32Array, dy: Float32Array, batch: number): { layer: SparseLinear; gradients: DenseGradientSource } {
  const layer = new SparseLinear(w, 'l');
  const net = new Sequential([layer], getBackend('cpu'));
  net.forward(x, batch, TRAIN);
  const gradients = net.backward(dy, batch, { gradients: true })!;
  return { layer, gradients };
}

describe('dense gradient rows', () => {
  it('denseGradientRow equals the Float64 dense oracle (rounded once to float32); the sparse gradient is its restriction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 9 }), fc.integer(), (nIn, nOut, batch, seed) => {
        const rng = rngFor(seed, 'data');
        const x = Float32Array.from({ length: nIn * batch }, () => rng.normal());
        const dy = Float32Array.from({ length: nOut * batch }, () => rng.normal());
        const w = uniformDensity(nIn, nOut, 0.4, rngFor(seed, 'w'));
        const { layer, gradients } = layerWithGradient(w, x, dy, batch);
        expect(gradients.has(layer)).toBe(true);
        const g = denseOracle(x, dy, nIn, nOut, batch);
        const row = new Float32Array(nIn);
        for (let j = 0; j < nOut; j++) {
          gradients.row(layer, j, row);
          for (let i = 0; i < nIn; i++) expect(row[i]).toBe(Math.fround(g[j * nIn + i]!));
          for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) expect(layer.weight.grad[k]).toBe(row[w.colIdx[k]!]);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('needs a backward pass after the last forward pass', () => {
    const layer = new SparseLinear(handLayer(), 'l');
    const net = new Sequential([layer], getBackend('cpu'));
    expect(() => new DenseGradientSource([]).row(layer, 0, new Float32Array(4))).toThrow(ShapeError);
    net.forward(new Float32Array(8), 2, TRAIN);
    const gradients = net.backward(new Float32Array(6), 2, { gradients: true })!;
    expect(gradients.has(layer)).toBe(true);
    expect(gradients.row(layer, 0, new Float32Array(4))).toHaveLength(4);
    net.forward(new Float32Array(8), 2, { ...TRAIN, training: false });
    // The source was of the pass before this forward pass: it says so instead of reading the new activations.
    expect(() => gradients.row(layer, 0, new Float32Array(4))).toThrow(/backward pass/);
  });

  it('refuses after a backward pass that was allowed to overwrite the layer input', () => {
    const layer = new SparseLinear(handLayer(), 'l');
    const net = new Sequential([layer], getBackend('cpu'));
    net.forward(new Float32Array(8), 2, TRAIN);
    expect(() => net.backward(new Float32Array(6), 2, { overwriteActivations: true, gradients: true })).toThrow(/allowed to overwrite/);
    net.forward(new Float32Array(8), 2, TRAIN);
    expect(net.backward(new Float32Array(6), 2, { gradients: true })!.row(layer, 0, new Float32Array(4))).toHaveLength(4);
  });
});

describe('gradient regrowth (RigL): top-|g| empty positions', () => {
  it('by hand on the 3 x 4 layer: empty positions 1, 4, 7, 10 ranked by |g|, ties to the lower position', () => {
    const w = handLayer();
    // Dense gradient by hand (row-major); stored positions get huge values that must be ignored.
    const g = [99, -3, 99, 99, 2, 99, 99, -2, 99, 99, 3, 99];
    const rows = (j: number, out: Float32Array) => out.set(g.slice(j * 4, j * 4 + 4));
    const grow = (count: number) => Array.from(gradientRegrow().grow(w, count, rngFor(0, 'g'), { pruned: NONE, denseGradientRow: rows }));
    expect(grow(1)).toEqual([1]); // |-3| at 1 ties |3| at 10: the lower position wins
    expect(grow(2)).toEqual([1, 10]);
    expect(grow(3)).toEqual([1, 4, 10]); // |2| at 4 ties |-2| at 7
    expect(grow(4)).toEqual([1, 4, 7, 10]);
    expect(grow(0)).toEqual([]);
    expect(() => grow(5)).toThrow(NotEnoughRoomError);
    expect(() => gradientRegrow().grow(w, 1, rngFor(0, 'g'), { pruned: NONE })).toThrow(SynapsesError);
  });

  it('integer-valued data (exact sums, many ties): equals the brute-force Float64 oracle (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0.05, max: 0.9, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer(),
        (nIn, nOut, batch, density, frac, seed) => {
          const rng = rngFor(seed, 'data');
          const x = Float32Array.from({ length: nIn * batch }, () => rng.int(5) - 2);
          const dy = Float32Array.from({ length: nOut * batch }, () => rng.int(5) - 2);
          const w = uniformDensity(nIn, nOut, density, rngFor(seed, 'w'));
          const { layer, gradients } = layerWithGradient(w, x, dy, batch);
          const g = denseOracle(x, dy, nIn, nOut, batch);
          const count = Math.floor(frac * (nIn * nOut - w.nnz));
          const want = topOracle(w, (p) => Math.abs(g[p]!), count);
          for (const rule of [gradientRegrow(), momentumRegrow()]) {
            const got = rule.grow(w, count, rngFor(seed, 'r'), { pruned: NONE, denseGradientRow: (j, out) => gradients.row(layer, j, out) });
            expect(Array.from(got)).toEqual(want);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('real-valued data: equals the oracle on the float32 scores the rule sees; never an existing connection (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 14 }), fc.integer({ min: 2, max: 14 }), fc.integer({ min: 1, max: 8 }), fc.integer(), (nIn, nOut, batch, seed) => {
        const rng = rngFor(seed, 'data');
        const x = Float32Array.from({ length: nIn * batch }, () => rng.normal());
        const dy = Float32Array.from({ length: nOut * batch }, () => rng.normal());
        const w = uniformDensity(nIn, nOut, 0.3, rngFor(seed, 'w'));
        const { layer, gradients } = layerWithGradient(w, x, dy, batch);
        const g = denseOracle(x, dy, nIn, nOut, batch);
        const count = Math.floor((nIn * nOut - w.nnz) / 2);
        const got = Array.from(gradientRegrow().grow(w, count, rngFor(seed, 'r'), { pruned: NONE, denseGradientRow: (j, out) => gradients.row(layer, j, out) }));
        expect(got).toEqual(topOracle(w, (p) => Math.abs(Math.fround(g[p]!)), count));
        const stored = new Set(positionsOf(w));
        for (const p of got) expect(stored.has(p)).toBe(false);
        // Deterministic: the random stream plays no part.
        const again = gradientRegrow().grow(w, count, rngFor(seed + 1, 'other'), { pruned: NONE, denseGradientRow: (j, out) => gradients.row(layer, j, out) });
        expect(Array.from(again)).toEqual(got);
      }),
      { numRuns: 100 },
    );
  });
});

/** Checks, inside onEvolve, that the grown connections are exactly the top-|g| positions that were empty after pruning, start at 0 and have zero optimizer state. */
function checkGrowth(m: Model, r: EvolutionReport, checked: { n: number }): void {
  const layer = m.network.linearLayers()[r.layer] as SparseLinear;
  const w = layer.weights;
  const grown = new Set(r.grownPositions);
  const velocity = m.optimizer.stateOf(layer.weight)[0]!;
  const positions = positionsOf(w);
  positions.forEach((p, k) => {
    if (grown.has(p)) {
      expect(w.values[k]).toBe(0);
      expect(velocity[k]).toBe(0);
    }
  });
  expect(positions.filter((p) => grown.has(p)).length).toBe(r.grown);
  // The source still holds the gradient the evolution used (evolution does not touch x or dy).
  const row = new Float32Array(w.cols);
  const dense = new Float64Array(w.rows * w.cols);
  for (let j = 0; j < w.rows; j++) {
    m.lastGradients!.row(layer, j, row);
    for (let i = 0; i < w.cols; i++) dense[j * w.cols + i] = row[i]!;
  }
  // The layer right after pruning: the current connections minus the grown ones.
  const kept = positions.filter((p) => !grown.has(p));
  const keptSet = new Set(kept);
  const empty: number[] = [];
  for (let p = 0; p < w.rows * w.cols; p++) if (!keptSet.has(p)) empty.push(p);
  const want = empty.sort((a, b) => Math.abs(dense[b]!) - Math.abs(dense[a]!) || a - b).slice(0, r.grown).sort((a, b) => a - b);
  expect(Array.from(r.grownPositions)).toEqual(want);
  checked.n++;
}

describe('RigL and gradient regrowth in a real fit', () => {
  const all = syntheticClassification({ nSamples: 600, nFeatures: 20, nClasses: 3, seed: 1 });

  function model(policy: PolicyDescription): Model {
    return mlp([20, 32, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'relu', seed: 1 }).compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy });
  }

  it('rigl (k = 5): events every 5 steps until 75% of training, cosine fraction decays, grown weights start at 0 at the top-|g| positions', async () => {
    const m = model({ policy: 'rigl', k: 5 });
    const initial = m.connectionsPerLayer();
    const checked = { n: 0 };
    const h = await m.fit(all, { epochs: 4, batchSize: 50, callbacks: { onEvolve: (r) => checkGrowth(m, r, checked) } });
    const totalSteps = 4 * 12;
    expect(m.step).toBe(totalSteps);
    const steps = [...new Set(h.evolution.map((r) => r.step))];
    expect(steps).toEqual([5, 10, 15, 20, 25, 30, 35]); // stops before 0.75 * 48 = 36
    expect(h.evolution.every((r) => r.event === 'step' && r.step < 0.75 * totalSteps)).toBe(true);
    expect(checked.n).toBe(h.evolution.length);
    for (const l of [0, 1]) {
      const rs = h.evolution.filter((r) => r.layer === l);
      expect(rs.length).toBe(7);
      rs.forEach((r) => {
        // RigL: the cosine reaches 0 at the 75% point where updates stop.
        expect(r.fraction).toBeCloseTo(0.3 * 0.5 * (1 + Math.cos((Math.PI * r.step) / (0.75 * totalSteps))), 12);
        expect(r.grown).toBe(r.dropped);
        expect(r.connections).toBe(initial[l]);
      });
      for (let i = 1; i < rs.length; i++) expect(rs[i]!.fraction).toBeLessThan(rs[i - 1]!.fraction);
      expect(rs[0]!.dropped).toBeGreaterThan(rs[rs.length - 1]!.dropped);
    }
    expect(m.connectionsPerLayer()).toEqual(initial);
  });

  it('gradient regrowth at an epoch-end trigger (the gradient is refreshed after validation)', async () => {
    const policy: PolicyDescription = {
      trigger: { name: 'every-epochs', k: 1 },
      fraction: { name: 'constant', zeta: 0.3 },
      prune: { name: 'magnitude' },
      regrow: { name: 'gradient' },
      init: { name: 'zero' },
    };
    const m = model(policy);
    const checked = { n: 0 };
    const val = all.subset(Int32Array.from({ length: 100 }, (_, i) => i), 'val');
    const h = await m.fit(all, { epochs: 3, batchSize: 50, validationData: val, callbacks: { onEvolve: (r) => checkGrowth(m, r, checked) } });
    expect(h.evolution.map((r) => [r.event, r.epoch, r.layer])).toEqual([['epoch-end', 0, 0], ['epoch-end', 0, 1], ['epoch-end', 1, 0], ['epoch-end', 1, 1]]);
    expect(checked.n).toBe(4);
    for (const r of h.evolution) expect(r.grown).toBeGreaterThan(0);
  });

  it('evolveNetwork with a gradient rule on a network that never ran backward names the problem', () => {
    const net = mlpNetwork([8, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 2 }, seed: 1 });
    expect(() => evolveNetwork(net, createOptimizer({ name: 'sgd' }), policyFrom({ policy: 'set', regrow: { name: 'gradient' } }), EPOCH_END, 1)).toThrow(/backward pass/);
  });
});
