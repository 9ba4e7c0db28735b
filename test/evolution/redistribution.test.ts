import type { DenseGradientSource } from '../../toolkit/src/nn/dense-gradient';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { policyFrom, type PolicyDescription } from '../../toolkit/src/evolution/registry';
import type { EvolutionContext } from '../../toolkit/src/evolution/types';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import type { Sequential } from '../../toolkit/src/nn/sequential';
import type { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { createOptimizer, type Optimizer } from '../../toolkit/src/optim/optimizer';
import { allocate, evolveNetwork } from '../../toolkit/src/train/evolution-step';
import { mlp } from '../../toolkit/src/train/model';
import { positionsOf } from './fixtures';

describe('allocate: splitting regrowth across layers', () => {
  it('by hand: largest remainders, ties to the lower index, caps respected and re-spread', () => {
    expect(allocate(10, [3, 1], [100, 100])).toEqual([8, 2]); // 7.5 / 2.5: the tie goes to index 0
    expect(allocate(10, [1, 1, 1], [100, 100, 100])).toEqual([4, 3, 3]);
    expect(allocate(10, [3, 1], [5, 100])).toEqual([5, 5]); // layer 0 capped, the rest goes to layer 1
    expect(allocate(10, [1, 0], [2, 100])).toEqual([2, 8]); // a zero-weight layer takes what the others cannot
    expect(allocate(10, [1, 1], [2, 3])).toEqual([2, 3]); // not enough room: everything that fits
    expect(allocate(0, [1, 2], [5, 5])).toEqual([0, 0]);
    expect(allocate(7, [0, 0, 0], [10, 10, 10])).toEqual([3, 2, 2]); // no weight anywhere: evenly
    expect(allocate(5, [1, 1], [0, 0])).toEqual([0, 0]);
  });

  const arb = fc.integer({ min: 1, max: 6 }).chain((n) =>
    fc.record({
      total: fc.integer({ min: 0, max: 600 }),
      weights: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 10, noNaN: true })), { minLength: n, maxLength: n }),
      caps: fc.array(fc.integer({ min: 0, max: 200 }), { minLength: n, maxLength: n }),
    }),
  );

  it('sum = min(total, sum of caps); every part is an integer in [0, cap]; deterministic; inputs untouched (property)', () => {
    fc.assert(
      fc.property(arb, ({ total, weights, caps }) => {
        const w = [...weights], c = [...caps];
        const parts = allocate(total, weights, caps);
        expect(parts.length).toBe(weights.length);
        expect(parts.reduce((a, b) => a + b, 0)).toBe(Math.min(total, caps.reduce((a, b) => a + b, 0)));
        parts.forEach((p, i) => {
          expect(Number.isInteger(p)).toBe(true);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(caps[i]!);
        });
        expect(allocate(total, weights, caps)).toEqual(parts);
        expect(weights).toEqual(w);
        expect(caps).toEqual(c);
      }),
      { numRuns: 500 },
    );
  });

  it('when no cap binds, each part is within 1 of its proportional share; larger weight never gets less (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 600 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 6 }).filter((ws) => ws.some((x) => x > 0)),
        fc.boolean(),
        (total, ints, scaled) => {
          const weights = scaled ? ints.map((x) => x * 0.37) : ints;
          const sum = weights.reduce((a, b) => a + b, 0);
          const parts = allocate(total, weights, weights.map(() => total));
          expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
          parts.forEach((p, i) => expect(Math.abs(p - (total * weights[i]!) / sum)).toBeLessThan(1 + 1e-9));
          for (let i = 0; i < ints.length; i++) for (let j = 0; j < ints.length; j++) if (ints[i]! > ints[j]!) expect(parts[i]!).toBeGreaterThanOrEqual(parts[j]!);
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** 16 -> 24 -> 20 -> 12 -> 3: three evolvable sparse layers (the output layer is dense by p >= 1). */
function net(seed = 1): Sequential {
  const n = mlpNetwork([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed });
  for (const l of n.sparseLayers()) for (let k = 0; k < l.weight.values.length; k++) l.weight.values[k] = rngFor(seed, 'w', k).normal();
  return n;
}
const EPOCH_END: EvolutionContext = { event: 'epoch-end', epoch: 0, epochs: 5, step: 10, totalSteps: 50 };

/** Sets every layer's momentum (SGD velocity) to distinct values of mean magnitude about `scale[l]`. */
function setMomentum(n: Sequential, opt: Optimizer, scale: number[]): void {
  n.sparseLayers().slice(0, 3).forEach((l, i) => {
    const v = opt.stateOf(l.weight)[0]!;
    for (let k = 0; k < v.length; k++) v[k] = scale[i]! * (1 + (k % 7) / 100) * (k % 2 ? -1 : 1);
  });
}

function meanAbs(a: Float32Array): number {
  let s = 0;
  for (const x of a) s += Math.abs(x);
  return s / a.length;
}

/** Runs one redistributed event and checks everything that can be checked exactly. */
function redistributed(policy: PolicyDescription, scale: number[], prepare?: (n: Sequential) => DenseGradientSource | void) {
  const n = net();
  const gradients = prepare?.(n) ?? undefined;
  const opt = createOptimizer({ name: 'sgd' });
  setMomentum(n, opt, scale);
  const layers = n.sparseLayers().slice(0, 3) as SparseLinear[];
  const before = layers.map((l) => l.connections);
  const velocityAt = layers.map((l) => {
    const v = opt.stateOf(l.weight)[0]!;
    return new Map(positionsOf(l.weights).map((p, k) => [p, v[k]!]));
  });
  const weights = layers.map((l) => meanAbs(opt.stateOf(l.weight)[0]!));
  const reports = evolveNetwork(n, opt, policyFrom(policy), EPOCH_END, 3, undefined, gradients);
  expect(reports.map((r) => r.layer)).toEqual([0, 1, 2]);
  const after = layers.map((l) => l.connections);
  // The TOTAL is kept exactly.
  expect(after.reduce((a, b) => a + b, 0)).toBe(before.reduce((a, b) => a + b, 0));
  const dropped = reports.map((r) => r.dropped);
  const grown = reports.map((r) => r.grown);
  expect(grown.reduce((a, b) => a + b, 0)).toBe(dropped.reduce((a, b) => a + b, 0));
  // The split is allocate() over mean |momentum|, capped by each layer's room after pruning.
  const caps = layers.map((l, i) => l.weights.rows * l.weights.cols - (before[i]! - dropped[i]!));
  expect(grown).toEqual(allocate(dropped.reduce((a, b) => a + b, 0), weights, caps));
  reports.forEach((r, i) => {
    expect(r.connections).toBe(after[i]);
    expect(after[i]).toBe(before[i]! - dropped[i]! + grown[i]!);
    expect(r.grownPositions.length).toBe(grown[i]);
    // Optimizer state remapped: kept connections keep their momentum, grown ones start at 0.
    const v = opt.stateOf(layers[i]!.weight)[0]!;
    expect(v.length).toBe(after[i]);
    const g = new Set(r.grownPositions);
    positionsOf(layers[i]!.weights).forEach((p, k) => expect(v[k]).toBe(g.has(p) ? 0 : velocityAt[i]!.get(p)));
  });
  return { before, after, dropped, grown, layers, reports };
}

describe('cross-layer redistribution by momentum (SNFS)', () => {
  it('keeps the total exactly, moves growth toward the layer with the largest mean |momentum|', () => {
    const a = redistributed({ policy: 'set', redistribution: 'momentum' }, [1, 0.01, 0.01]);
    expect(a.grown[0]!).toBeGreaterThan(a.dropped[0]!);
    expect(a.after[0]!).toBeGreaterThan(a.before[0]!);
    expect(a.after[1]!).toBeLessThan(a.before[1]!);
    expect(a.after[2]!).toBeLessThan(a.before[2]!);
    const b = redistributed({ policy: 'set', redistribution: 'momentum' }, [0.01, 0.01, 1]);
    expect(b.after[2]!).toBeGreaterThan(b.before[2]!);
    expect(b.after[0]!).toBeLessThan(b.before[0]!);
    expect(b.after[1]!).toBeLessThan(b.before[1]!);
  });

  it('a capped layer takes only its room; the rest is re-spread over the others', () => {
    // Layer 0 gets almost all the momentum but is nearly full: its room is what it pruned plus 2.
    const nearlyFull = (n: Sequential) => {
      const l0 = n.sparseLayers()[0]!;
      const rows: number[] = [], cols: number[] = [], vals: number[] = [];
      for (let j = 0; j < l0.nOut; j++) for (let i = 0; i < l0.nIn; i++) if (!(j === 0 && (i === 0 || i === 5))) (rows.push(j), cols.push(i), vals.push(rngFor(9, 'w', j, i).normal()));
      l0.setWeights(CsrMatrix.fromTriplets(l0.nOut, l0.nIn, rows, cols, vals));
    };
    const c = redistributed({ policy: 'set', redistribution: 'momentum' }, [100, 0.01, 0.02], nearlyFull);
    expect(c.before[0]).toBe(24 * 16 - 2);
    expect(c.grown[0]).toBe(c.dropped[0]! + 2);
    expect(c.after[0]).toBe(24 * 16);
    const rest = c.dropped.reduce((x, y) => x + y, 0) - c.grown[0]!;
    expect(c.grown[1]! + c.grown[2]!).toBe(rest);
    expect(Math.abs(c.grown[2]! - (2 * rest) / 3)).toBeLessThan(1.01);
  });

  it('the snfs preset (momentum regrowth, zero init) after a backward pass: total kept, grown weights 0, growth toward high momentum', () => {
    const backward = (n: Sequential) => {
      const rng = rngFor(5, 'data');
      const x = Float32Array.from({ length: 16 * 8 }, () => rng.normal());
      n.forward(x, 8, { training: true, seed: 0, step: 0 });
      return n.backward(Float32Array.from({ length: 3 * 8 }, () => rng.normal()), 8, { gradients: true })!;
    };
    const s = redistributed('snfs', [0.01, 1, 0.01], backward);
    expect(s.after[1]!).toBeGreaterThan(s.before[1]!);
    s.reports.forEach((r, i) => {
      const g = new Set(r.grownPositions);
      const w = s.layers[i]!.weights;
      positionsOf(w).forEach((p, k) => {
        if (g.has(p)) expect(w.values[k]).toBe(0);
      });
    });
  });

  it("'none' keeps every layer's count; a single firing layer keeps its count even with 'momentum'", () => {
    const n = net();
    const opt = createOptimizer({ name: 'sgd' });
    setMomentum(n, opt, [1, 0.01, 0.01]);
    const before = n.connectionsPerLayer();
    evolveNetwork(n, opt, policyFrom({ policy: 'set', redistribution: 'none' }), EPOCH_END, 3);
    expect(n.connectionsPerLayer()).toEqual(before);
    evolveNetwork(n, opt, policyFrom({ policy: 'set', redistribution: 'momentum', layers: [1] }), EPOCH_END, 3);
    expect(n.connectionsPerLayer()).toEqual(before);
  });

  it('snfs in a fit: the total connection count is constant every epoch while per-layer counts move', async () => {
    const data = syntheticClassification({ nSamples: 300, nFeatures: 16, nClasses: 3, seed: 2 });
    const m = mlp([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 1 }).compile({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, policy: 'snfs' });
    const initial = m.connectionsPerLayer();
    const total = initial.reduce((a, b) => a + b, 0);
    const h = await m.fit(data, { epochs: 4, batchSize: 50 });
    expect(h.evolution.length).toBe(9); // 3 layers x epochs 0..2
    for (const e of h.epochs) expect(e.connections.reduce((a, b) => a + b, 0)).toBe(total);
    expect(h.epochs.some((e) => e.connections.some((c, l) => c !== initial[l]))).toBe(true);
    expect(h.evolution.some((r) => r.grown !== r.dropped)).toBe(true);
  });
});
