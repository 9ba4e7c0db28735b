import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SynapsesError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { policyFrom, type PolicyDescription } from '../../toolkit/src/evolution/registry';
import { NotEnoughRoomError, neverUsedFirst } from '../../toolkit/src/evolution/regrow';
import { EvolutionState } from '../../toolkit/src/evolution/state';
import type { EvolutionContext, EvolutionReport } from '../../toolkit/src/evolution/types';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import { createOptimizer } from '../../toolkit/src/optim/optimizer';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { evolveNetwork } from '../../toolkit/src/train/evolution-step';
import { mlp } from '../../toolkit/src/train/model';
import { handLayer, positionsOf } from './fixtures';

const NONE = new Float64Array(0);

/** A pattern with exactly the given positions. */
function patternOf(rows: number, cols: number, positions: Iterable<number>): CsrMatrix {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  return CsrMatrix.fromTriplets(rows, cols, sorted.map((p) => Math.floor(p / cols)), sorted.map((p) => p % cols), sorted.map(() => 0));
}

describe('never-used-first regrowth (ITOP), by hand', () => {
  // The hand layer's empty positions are 1, 4, 7, 10. Positions 4 and 10 were used before (and are empty
  // now); 1 and 7 were never used.
  const w = handLayer();
  const ever = patternOf(3, 4, [...positionsOf(w), 4, 10]);
  const grow = (count: number, seed: number) => Array.from(neverUsedFirst().grow(w, count, rngFor(seed, 'g'), { pruned: NONE, everUsed: ever }));

  it('while enough never-used positions exist, regrowth lands only on them (both are reachable)', () => {
    const seen = new Map<number, number>();
    for (let s = 0; s < 200; s++) {
      const g = grow(1, s);
      expect(g.length).toBe(1);
      expect([1, 7]).toContain(g[0]);
      seen.set(g[0]!, (seen.get(g[0]!) ?? 0) + 1);
    }
    // Uniform among the two: 100 expected of 200, binomial sd about 7.
    expect(seen.get(1)!).toBeGreaterThan(70);
    expect(seen.get(7)!).toBeGreaterThan(70);
    for (let s = 0; s < 20; s++) expect(grow(2, s)).toEqual([1, 7]);
  });

  it('when fewer exist: all of them plus the rest among used-but-empty positions', () => {
    const seen = new Set<number>();
    for (let s = 0; s < 100; s++) {
      const g = grow(3, s);
      expect(g.length).toBe(3);
      expect(g).toContain(1);
      expect(g).toContain(7);
      const rest = g.filter((p) => p !== 1 && p !== 7);
      expect(rest.length).toBe(1);
      expect([4, 10]).toContain(rest[0]);
      seen.add(rest[0]!);
      expect(g).toEqual([...g].sort((a, b) => a - b));
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([4, 10]);
    expect(grow(4, 0)).toEqual([1, 4, 7, 10]);
    expect(grow(0, 0)).toEqual([]);
  });

  it('never on a current connection; too many asked is NotEnoughRoomError; no history is an error', () => {
    expect(() => grow(5, 0)).toThrow(NotEnoughRoomError);
    expect(() => neverUsedFirst().grow(w, 1, rngFor(0, 'g'), { pruned: NONE })).toThrow(SynapsesError);
    expect(() => neverUsedFirst().grow(w, 1, rngFor(0, 'g'), { pruned: NONE })).toThrow(/usage history/);
    // A history equal to the current pattern: every empty position is never-used.
    const g = Array.from(neverUsedFirst().grow(w, 4, rngFor(0, 'g'), { pruned: NONE, everUsed: patternOf(3, 4, positionsOf(w)) }));
    expect(g).toEqual([1, 4, 7, 10]);
  });

  it('agrees with a Set oracle on random layers and histories (property)', () => {
    const arb = fc
      .record({ rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 8 }) })
      .chain(({ rows, cols }) =>
        fc.record({
          rows: fc.constant(rows),
          cols: fc.constant(cols),
          cur: fc.uniqueArray(fc.integer({ min: 0, max: rows * cols - 1 }), { maxLength: rows * cols }),
          extra: fc.uniqueArray(fc.integer({ min: 0, max: rows * cols - 1 }), { maxLength: rows * cols }),
          frac: fc.double({ min: 0, max: 1, noNaN: true }),
          seed: fc.integer(),
        }),
      );
    fc.assert(
      fc.property(arb, ({ rows, cols, cur, extra, frac, seed }) => {
        const w = patternOf(rows, cols, cur);
        const everSet = new Set([...cur, ...extra]);
        const current = new Set(cur);
        const empty = rows * cols - current.size;
        const count = Math.floor(frac * empty);
        const g = Array.from(neverUsedFirst().grow(w, count, rngFor(seed, 'g'), { pruned: NONE, everUsed: patternOf(rows, cols, everSet) }));
        expect(g.length).toBe(count);
        expect(new Set(g).size).toBe(count);
        expect(g).toEqual([...g].sort((a, b) => a - b));
        for (const p of g) expect(current.has(p)).toBe(false);
        const never: number[] = [];
        for (let p = 0; p < rows * cols; p++) if (!everSet.has(p)) never.push(p);
        if (count <= never.length) {
          for (const p of g) expect(everSet.has(p)).toBe(false);
        } else {
          for (const p of never) expect(g).toContain(p);
          for (const p of g) if (everSet.has(p)) expect(current.has(p)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ITOP rate over a run of evolution events', () => {
  /** 16 -> 24 -> 20 -> 12 -> 3: three evolvable sparse layers (the output layer is dense by p >= 1). */
  function net(seed = 1) {
    return mlpNetwork([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed });
  }
  const ctx = (epoch: number): EvolutionContext => ({ event: 'epoch-end', epoch, epochs: 20, step: 10 * (epoch + 1), totalSteps: 200 });

  it('set-itop: rate = |ever used| / (rows * cols) by brute force, non-decreasing; growth prefers never-used positions', () => {
    const n = net();
    const opt = createOptimizer({ name: 'sgd' });
    const policy = policyFrom('set-itop');
    const state = new EvolutionState();
    const layers = n.sparseLayers().filter((l) => l.evolvable);
    expect(layers.length).toBe(3);
    const ever = layers.map((l) => new Set(positionsOf(l.weights)));
    const lastRate = [0, 0, 0];
    let sawFewer = 0;
    let sawEnough = 0;
    for (let e = 0; e < 10; e++) {
      const before = layers.map((l) => new Set(positionsOf(l.weights)));
      const reports = evolveNetwork(n, opt, policy, ctx(e), 7, state);
      expect(reports.map((r) => r.layer)).toEqual([0, 1, 2]);
      for (const r of reports) {
        const l = r.layer;
        const w = layers[l]!.weights;
        const total = w.rows * w.cols;
        const neverBefore = total - ever[l]!.size;
        const dropped = new Set(r.droppedPositions);
        const kept = [...before[l]!].filter((p) => !dropped.has(p));
        const grown = Array.from(r.grownPositions);
        // Never on a current (kept) connection.
        for (const p of kept) expect(grown).not.toContain(p);
        if (grown.length <= neverBefore) {
          sawEnough++;
          for (const p of grown) expect(ever[l]!.has(p)).toBe(false);
        } else {
          sawFewer++;
          const fresh = grown.filter((p) => !ever[l]!.has(p));
          expect(fresh.length).toBe(neverBefore); // every never-used position was taken
        }
        for (const p of positionsOf(w)) ever[l]!.add(p);
        const brute = ever[l]!.size / total;
        expect(r.itopRate).toBe(brute);
        expect(state.itopRate(l)).toBe(brute);
        expect(state.everUsed.get(l)!.nnz).toBe(ever[l]!.size);
        expect(r.itopRate!).toBeGreaterThanOrEqual(lastRate[l]!);
        lastRate[l] = r.itopRate!;
      }
    }
    // The run covered both regimes: plenty of never-used positions, then fewer than needed.
    expect(sawEnough).toBeGreaterThan(0);
    expect(sawFewer).toBeGreaterThan(0);
    // Eventually every position was used in every layer.
    expect(lastRate).toEqual([1, 1, 1]);
  });

  it('plain SET with itop: true reports the rate (random regrowth), exact by brute force; plain SET does not', () => {
    const n = net(2);
    const opt = createOptimizer({ name: 'sgd' });
    const state = new EvolutionState();
    const layers = n.sparseLayers().filter((l) => l.evolvable);
    const ever = layers.map((l) => new Set(positionsOf(l.weights)));
    for (let e = 0; e < 4; e++) {
      for (const r of evolveNetwork(n, opt, policyFrom({ policy: 'set', itop: true }), ctx(e), 3, state)) {
        const w = layers[r.layer]!.weights;
        for (const p of positionsOf(w)) ever[r.layer]!.add(p);
        expect(r.itopRate).toBe(ever[r.layer]!.size / (w.rows * w.cols));
      }
    }
    const plain = evolveNetwork(net(2), opt, policyFrom('set'), ctx(0), 3, new EvolutionState());
    expect(plain.length).toBe(3);
    for (const r of plain) expect(r.itopRate).toBeUndefined();
  });

  it('in a fit with set-itop every report carries a non-decreasing rate; the model state agrees', async () => {
    const data = syntheticClassification({ nSamples: 200, nFeatures: 12, nClasses: 3, seed: 4 });
    const m = mlp([12, 24, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 5 }).compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: 'set-itop' });
    const initial = m.network.sparseLayers().map((l) => l.weights.density);
    const h = await m.fit(data, { epochs: 5, batchSize: 50 });
    expect(h.evolution.length).toBeGreaterThan(0);
    const byLayer = new Map<number, EvolutionReport[]>();
    for (const r of h.evolution) byLayer.set(r.layer, [...(byLayer.get(r.layer) ?? []), r]);
    for (const [l, rs] of byLayer) {
      const rates = rs.map((r) => r.itopRate!);
      for (const rate of rates) expect(rate).toBeGreaterThan(initial[l]!);
      for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeGreaterThanOrEqual(rates[i - 1]!);
      expect(m.evolutionState.itopRate(l)).toBe(rates[rates.length - 1]);
    }
  });

  it('the history starts from the initial topology, even when importance pruning removes connections before the first evolution', async () => {
    const data = syntheticClassification({ nSamples: 100, nFeatures: 12, nClasses: 3, seed: 4 });
    // Evolution every 2 epochs (first at the end of epoch 1); importance pruning from epoch 0.
    const m = mlp([12, 24, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 5 }).compile({
      optimizer: { name: 'sgd', lr: 0.05 },
      policy: { policy: 'set-itop', k: 2, importance: { percentile: 0.25, start: 0, every: 1 } },
    });
    const layers = m.network.sparseLayers().filter((l) => l.evolvable);
    const ever = layers.map((l) => new Set(positionsOf(l.weights)));
    const h = await m.fit(data, {
      epochs: 3,
      batchSize: 50,
      callbacks: {
        onEvolve: (r) => r.grownPositions.forEach((p) => ever[r.layer]!.add(p)),
        onEpochEnd: () => layers.forEach((l, i) => positionsOf(l.weights).forEach((p) => ever[i]!.add(p))),
      },
    });
    expect(h.evolution.filter((r) => r.grown > 0).map((r) => r.epoch)).toEqual([1, 1]);
    expect(h.evolution.filter((r) => r.epoch === 0).length).toBeGreaterThan(0); // importance pruning at epoch 0
    layers.forEach((l, i) => {
      const tracked = m.evolutionState.everUsed.get(i)!;
      expect(new Set(positionsOf(tracked))).toEqual(ever[i]);
      expect(m.evolutionState.itopRate(i)).toBe(ever[i]!.size / (l.weights.rows * l.weights.cols));
    });
  });

  it('policy description: set-itop tracks history; a composed never-used-first policy tracks too', () => {
    const p = policyFrom('set-itop');
    expect(p.itop).toBe(true);
    expect(p.regrow.name).toBe('never-used-first');
    expect(p.regrow.needsHistory).toBe(true);
    const composed: PolicyDescription = { policy: 'set', regrow: { name: 'never-used-first' } };
    const reports = evolveNetwork(net(3), createOptimizer({ name: 'sgd' }), policyFrom(composed), ctx(0), 1, new EvolutionState());
    for (const r of reports) expect(r.itopRate).toBeGreaterThan(0);
  });
});
