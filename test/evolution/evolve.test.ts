import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InternalError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { evolveLayer } from '../../toolkit/src/evolution/evolve';
import { constant } from '../../toolkit/src/evolution/fractions';
import { zeroInit } from '../../toolkit/src/evolution/grow-init';
import { signedMagnitude } from '../../toolkit/src/evolution/prune';
import { NotEnoughRoomError, uniformRandom } from '../../toolkit/src/evolution/regrow';
import { policyFrom } from '../../toolkit/src/evolution/registry';
import { never } from '../../toolkit/src/evolution/triggers';
import type { GrowInit, Policy, Regrow } from '../../toolkit/src/evolution/types';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { uniformDensity } from '../../toolkit/src/sparse/topology';
import { EPOCH_END, handLayer, positionsOf } from './fixtures';

/** A regrowth rule that returns the given positions and records what it was asked. */
function fixedRegrow(positions: number[]): Regrow & { seen: { nnz: number; count: number; pruned: number[] }[] } {
  const seen: { nnz: number; count: number; pruned: number[] }[] = [];
  return {
    name: 'fixed',
    config: {},
    seen,
    grow(w, count, _rng, inputs) {
      seen.push({ nnz: w.nnz, count, pruned: Array.from(inputs.pruned) });
      return Float64Array.from(positions);
    },
  };
}

/** New weights 11, 12, 13, ... so that each grown value is recognisable. */
const countingInit: GrowInit = { name: 'counting', config: {}, fill: (out) => out.map((_, k) => 11 + k) };

function handPolicy(zeta: number, regrow: Regrow): Policy {
  return { name: 'hand', trigger: never(), fraction: constant(zeta), prune: signedMagnitude(), regrow, init: countingInit, layers: 'all' };
}

describe('evolveLayer on the hand layer with a fixed regrowth', () => {
  it('zeta 0.3: drops k1 (0,2) and k2 (0,3); grows (0,2) again and (1,3); exact CSR, values and map', () => {
    const w = handLayer();
    const before = { values: Array.from(w.values), colIdx: Array.from(w.colIdx), rowPtr: Array.from(w.rowPtr) };
    const regrow = fixedRegrow([2, 7]);
    const { weights, map, report } = evolveLayer(w, handPolicy(0.3, regrow), EPOCH_END, 4, rngFor(1));

    // The regrowth saw the pruned layer (6 entries), was asked for 2, and was told what was just pruned.
    expect(regrow.seen).toEqual([{ nnz: 6, count: 2, pruned: [2, 3] }]);

    expect(Array.from(weights.rowPtr)).toEqual([0, 2, 5, 8]);
    expect(Array.from(weights.colIdx)).toEqual([0, 2, 1, 2, 3, 0, 1, 3]);
    expect(Array.from(weights.values)).toEqual(Array.from(Float32Array.from([0.5, 11, -0.7, 0.1, 12, -0.05, 0.9, -0.03])));
    expect(Array.from(map)).toEqual([0, -1, 3, 4, -1, 5, 6, 7]);
    expect(() => weights.validate()).not.toThrow();

    expect(report).toMatchObject({ layer: 4, event: 'epoch-end', epoch: 0, step: 100, fraction: 0.3, connections: 8, dropped: 2, grown: 2 });
    expect(Array.from(report.droppedPositions)).toEqual([2, 3]);
    expect(Array.from(report.grownPositions)).toEqual([2, 7]);
    expect(report.droppedMeanMagnitude).toBeCloseTo((0.02 + 0.1) / 2, 7);

    // The input layer is untouched.
    expect({ values: Array.from(w.values), colIdx: Array.from(w.colIdx), rowPtr: Array.from(w.rowPtr) }).toEqual(before);
  });

  it('zeta 0.5: drops k1, k2, k4, k7; grows (0,1), (1,0), (1,2), (2,2) with zero init', () => {
    // After pruning: row 0 {0: 0.5}, row 1 {1: -0.7}, row 2 {0: -0.05, 1: 0.9}.
    const regrow = fixedRegrow([1, 4, 6, 10]);
    const policy = { ...handPolicy(0.5, regrow), init: zeroInit() };
    const { weights, map, report } = evolveLayer(handLayer(), policy, EPOCH_END, 0, rngFor(1));
    expect(regrow.seen[0]).toEqual({ nnz: 4, count: 4, pruned: [2, 3, 6, 11] });
    expect(Array.from(weights.rowPtr)).toEqual([0, 2, 5, 8]);
    expect(Array.from(weights.colIdx)).toEqual([0, 1, 0, 1, 2, 0, 1, 2]);
    expect(Array.from(weights.values)).toEqual(Array.from(Float32Array.from([0.5, 0, 0, -0.7, 0, -0.05, 0.9, 0])));
    expect(Array.from(map)).toEqual([0, -1, -1, 3, -1, 5, 6, -1]);
    expect(report.dropped).toBe(4);
    expect(report.droppedMeanMagnitude).toBeCloseTo((0.02 + 0.1 + 0.1 + 0.03) / 4, 7);
  });

  it('zeta 0 changes nothing and maps every entry to itself', () => {
    const w = handLayer();
    const { weights, map, report } = evolveLayer(w, handPolicy(0, fixedRegrow([])), EPOCH_END, 0, rngFor(1));
    expect(Array.from(weights.values)).toEqual(Array.from(w.values));
    expect(Array.from(weights.colIdx)).toEqual(Array.from(w.colIdx));
    expect(Array.from(map)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(report.dropped).toBe(0);
    expect(report.droppedMeanMagnitude).toBeNaN();
    expect(weights).not.toBe(w);
  });

  it('a regrowth that picks an occupied position or the wrong count is caught as an internal error', () => {
    expect(() => evolveLayer(handLayer(), handPolicy(0.3, fixedRegrow([0, 7])), EPOCH_END, 0, rngFor(1))).toThrow(InternalError);
    expect(() => evolveLayer(handLayer(), handPolicy(0.3, fixedRegrow([0, 7])), EPOCH_END, 0, rngFor(1))).toThrow(/already connected/);
    expect(() => evolveLayer(handLayer(), handPolicy(0.3, fixedRegrow([7])), EPOCH_END, 0, rngFor(1))).toThrow(/regrow returned 1 positions, expected 2/);
  });
});

describe('a layer without room to regrow', () => {
  /**
   * A regrowth that refuses the positions that were just pruned (as "never reuse a dropped connection"
   * rules do): on a full layer that leaves no room at all. It must fail with NotEnoughRoomError at once.
   */
  const avoidPruned: Regrow = {
    name: 'avoid-pruned',
    config: {},
    grow(w, count, rng, inputs) {
      const blocked = new Set(inputs.pruned);
      const rows: number[] = [], cols: number[] = [];
      for (let j = 0; j < w.rows; j++) for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) (rows.push(j), cols.push(w.colIdx[k]!));
      for (const p of blocked) (rows.push(Math.floor(p / w.cols)), cols.push(p % w.cols));
      const occupied = CsrMatrix.fromTriplets(w.rows, w.cols, rows, cols, new Float32Array(rows.length));
      return uniformRandom().grow(occupied, count, rng, inputs);
    },
  };

  it('evolving a dense layer with a regrowth that excludes the pruned positions raises NotEnoughRoomError', () => {
    const full = CsrMatrix.full(4, 5);
    full.values.set(Array.from({ length: 20 }, (_, k) => (k % 2 ? -1 : 1) * (k + 1)));
    const before = Array.from(full.values);
    const policy: Policy = { ...policyFrom('set'), regrow: avoidPruned };
    expect(() => evolveLayer(full, policy, EPOCH_END, 0, rngFor(1))).toThrow(NotEnoughRoomError);
    expect(() => evolveLayer(full, policy, EPOCH_END, 0, rngFor(1))).toThrow(/cannot regrow 6 connections in a 4 x 5 layer with only 0 empty positions/);
    expect(Array.from(full.values)).toEqual(before);
  });

  it('the same layer with plain uniform regrowth refills the pruned positions', () => {
    const full = CsrMatrix.full(4, 5);
    full.values.set(Array.from({ length: 20 }, (_, k) => (k % 2 ? -1 : 1) * (k + 1)));
    const { weights, report } = evolveLayer(full, policyFrom('set'), EPOCH_END, 0, rngFor(1));
    expect(weights.nnz).toBe(20);
    expect(Array.from(report.grownPositions)).toEqual(Array.from(report.droppedPositions));
  });
});

const POLICIES = ['set', 'set-random-prune', 'set-probabilistic', 'static'] as const;

function randomLayer(nIn: number, nOut: number, density: number, seed: number): CsrMatrix {
  const w = uniformDensity(nIn, nOut, density, rngFor(seed, 'topology'));
  const r = rngFor(seed, 'values');
  for (let k = 0; k < w.nnz; k++) w.values[k] = r.normal();
  return w;
}

describe('evolveLayer properties over shapes x seeds x policies', () => {
  it('nnz constant, valid CSR, grown only where empty after pruning, map exact, deterministic', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 1, max: 14 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.constantFrom(...POLICIES),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.integer(),
        (nIn, nOut, density, name, zeta, seed) => {
          const w = randomLayer(nIn, nOut, density, seed);
          const policy = policyFrom(name === 'static' ? 'static' : { policy: name, zeta });
          const oldPos = positionsOf(w);
          const oldValues = Array.from(w.values);
          const { weights, map, report } = evolveLayer(w, policy, EPOCH_END, 0, rngFor(seed, 'evolve'));

          weights.validate(); // sorted, unique (no duplicates), in range, finite
          expect(weights.nnz).toBe(w.nnz);
          expect(map.length).toBe(w.nnz);
          expect(report.dropped).toBe(report.grown);
          expect(Array.from(w.values)).toEqual(oldValues); // the input is not modified

          const newPos = positionsOf(weights);
          const dropped = new Set(report.droppedPositions);
          const kept = new Set(oldPos.filter((p) => !dropped.has(p)));
          const grown = new Set(report.grownPositions);
          expect(dropped.size).toBe(report.dropped);
          expect(grown.size).toBe(report.grown);
          for (const p of grown) expect(kept.has(p), `grown position ${p} was still connected`).toBe(false);
          const usedOld = new Set<number>();
          newPos.forEach((p, k) => {
            const o = map[k]!;
            if (o === -1) {
              expect(grown.has(p)).toBe(true);
            } else {
              expect(grown.has(p)).toBe(false);
              expect(oldPos[o]).toBe(p); // a kept entry keeps its position ...
              expect(weights.values[k]).toBe(w.values[o]); // ... and its value
              usedOld.add(o);
            }
          });
          expect(usedOld.size).toBe(kept.size);
          expect(newPos.filter((_, k) => map[k] === -1).length).toBe(report.grown);

          if (name === 'static') expect(report.dropped).toBe(0);
          if (name !== 'set-random-prune' && name !== 'static') {
            let pos = 0;
            for (const v of oldValues) if (v >= 0) pos++;
            expect(report.dropped).toBe(Math.floor(zeta * pos) + Math.floor(zeta * (w.nnz - pos)));
          }
          if (name === 'set-random-prune') expect(report.dropped).toBe(Math.floor(zeta * w.nnz));

          const again = evolveLayer(w, policy, EPOCH_END, 0, rngFor(seed, 'evolve'));
          expect(Array.from(again.weights.colIdx)).toEqual(Array.from(weights.colIdx));
          expect(Array.from(again.weights.values)).toEqual(Array.from(weights.values));
          expect(Array.from(again.map)).toEqual(Array.from(map));
        },
      ),
      { numRuns: 400 },
    );
  });

  for (const name of ['set', 'set-random-prune', 'set-probabilistic'] as const) {
    it(`${name}: a different seed gives a different topology`, () => {
      const w = randomLayer(30, 20, 0.2, 9);
      const a = evolveLayer(w, policyFrom(name), EPOCH_END, 0, rngFor(1, 'evolve'));
      const b = evolveLayer(w, policyFrom(name), EPOCH_END, 0, rngFor(2, 'evolve'));
      expect(Array.from(a.report.grownPositions)).not.toEqual(Array.from(b.report.grownPositions));
      expect(a.weights.nnz).toBe(b.weights.nnz);
    });
  }

  it('evolves a 50,000 x 50,000 layer with 100,000 connections (no dense pass over its 2.5e9 positions)', () => {
    // 50,000 x 50,000 = 2.5e9 positions: a dense pass or mask would not fit in memory.
    const w = uniformDensity(50000, 50000, 4e-5, rngFor(3, 'big'));
    for (let k = 0; k < w.nnz; k++) w.values[k] = ((k * 7919) % 200) / 100 - 1;
    const { weights, report } = evolveLayer(w, policyFrom('set'), EPOCH_END, 0, rngFor(3, 'evolve'));
    expect(weights.nnz).toBe(100000);
    expect(report.dropped).toBeGreaterThan(29000);
    weights.validate();
  });
});
