import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import type { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { bernoulli, erdosRenyi, erdosRenyiProbability, erkDensities, uniformDensity } from '../../toolkit/src/sparse/topology';

function same(a: CsrMatrix, b: CsrMatrix): boolean {
  return a.rows === b.rows && a.cols === b.cols && a.rowPtr.join() === b.rowPtr.join() && a.colIdx.join() === b.colIdx.join();
}

describe('erdosRenyi (SET paper)', () => {
  it('p = eps (nIn + nOut) / (nIn nOut), capped at 1', () => {
    expect(erdosRenyiProbability(784, 1000, 20)).toBeCloseTo((20 * 1784) / 784000, 15);
    expect(erdosRenyiProbability(1000, 10, 20)).toBe(1);
    expect(erdosRenyiProbability(2, 2, 1)).toBe(1);
  });

  const shapes = [
    { nIn: 784, nOut: 1000, eps: 20 },
    { nIn: 1000, nOut: 1000, eps: 20 },
    { nIn: 300, nOut: 100, eps: 5 },
    { nIn: 50, nOut: 60, eps: 2 },
    { nIn: 3000, nOut: 7, eps: 0.5 },
  ];
  for (const { nIn, nOut, eps } of shapes) {
    it(`${nIn} -> ${nOut} at eps ${eps}: count within 5 sigma of eps (nIn + nOut), valid, rows spread evenly`, () => {
      const p = erdosRenyiProbability(nIn, nOut, eps);
      const mean = eps * (nIn + nOut);
      const sigma = Math.sqrt(nIn * nOut * p * (1 - p));
      for (const seed of [1, 2, 3]) {
        const w = erdosRenyi(nIn, nOut, eps, rngFor(seed, 'topology', 0));
        expect([w.rows, w.cols]).toEqual([nOut, nIn]);
        expect(() => w.validate()).not.toThrow();
        expect(Math.abs(w.nnz - mean), `nnz ${w.nnz} vs mean ${mean} (sigma ${sigma.toFixed(1)})`).toBeLessThanOrEqual(5 * sigma);
        // The first half of the rows holds half of the connections (binomial, 5 sigma).
        const half = Math.floor(nOut / 2);
        const inFirst = w.rowPtr[half]!;
        const share = half / nOut;
        expect(Math.abs(inFirst - share * w.nnz)).toBeLessThanOrEqual(5 * Math.sqrt(w.nnz * share * (1 - share)) + 1);
        expect(Array.from(w.values).every((v) => v === 0)).toBe(true);
      }
    });
  }

  it('784 -> 1000 at eps 20 gives about 35,680 connections', () => {
    const w = erdosRenyi(784, 1000, 20, rngFor(1, 'topology', 0));
    expect(Math.abs(w.nnz - 35680)).toBeLessThan(5 * Math.sqrt(35680));
  });

  it('p >= 1 becomes dense instead of looping: 1000 -> 10 at eps 20, 784 -> 10, 2 -> 2 at eps 1', () => {
    for (const [nIn, nOut, eps] of [[1000, 10, 20], [784, 10, 20], [2, 2, 1], [1, 1, 5]] as const) {
      const w = erdosRenyi(nIn, nOut, eps, rngFor(1, 'dense'));
      expect(w.nnz).toBe(nIn * nOut);
      expect(w.density).toBe(1);
      expect(() => w.validate()).not.toThrow();
    }
  });

  it('is a function of the stream: same seed same topology, other seed another', () => {
    const a = erdosRenyi(200, 300, 5, rngFor(9, 'topology', 1));
    expect(same(a, erdosRenyi(200, 300, 5, rngFor(9, 'topology', 1)))).toBe(true);
    expect(same(a, erdosRenyi(200, 300, 5, rngFor(10, 'topology', 1)))).toBe(false);
  });

  it('valid for any small shape (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.01, max: 30, noNaN: true }), fc.integer(), (nIn, nOut, eps, seed) => {
        const w = erdosRenyi(nIn, nOut, eps, rngFor(seed));
        w.validate();
        expect([w.rows, w.cols]).toEqual([nOut, nIn]);
        if (erdosRenyiProbability(nIn, nOut, eps) >= 1) expect(w.nnz).toBe(nIn * nOut);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad sizes and eps', () => {
    expect(() => erdosRenyi(0, 5, 1, rngFor(1))).toThrow(InvalidArgumentError);
    expect(() => erdosRenyi(5, 2.5, 1, rngFor(1))).toThrow(/output size/);
    expect(() => erdosRenyi(5, 5, 0, rngFor(1))).toThrow(/epsilon must be a positive finite number/);
    expect(() => erdosRenyi(5, 5, NaN, rngFor(1))).toThrow(InvalidArgumentError);
  });
});

describe('bernoulli', () => {
  it('p = 0 is empty, p >= 1 is full', () => {
    expect(bernoulli(5, 4, 0, rngFor(1)).nnz).toBe(0);
    expect(bernoulli(5, 4, 1, rngFor(1)).nnz).toBe(20);
    expect(bernoulli(5, 4, 3, rngFor(1)).nnz).toBe(20);
    expect(() => bernoulli(5, 4, -0.1, rngFor(1))).toThrow(InvalidArgumentError);
  });

  it('hits each position with probability p (column counts, chi-square)', () => {
    const nIn = 10, nOut = 4000, p = 0.3;
    const w = bernoulli(nIn, nOut, p, rngFor(4, 'bern'));
    const counts = new Array<number>(nIn).fill(0);
    for (const c of w.colIdx) counts[c]!++;
    const e = nOut * p;
    const chi = counts.reduce((s, c) => s + (c - e) ** 2 / (e * (1 - p)), 0);
    expect(chi).toBeLessThan(10 + 5 * Math.sqrt(20));
  });
});

describe('uniformDensity', () => {
  it('has exactly round(density * nIn * nOut) connections', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 60 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }), fc.integer(), (nIn, nOut, d, seed) => {
        const w = uniformDensity(nIn, nOut, d, rngFor(seed));
        w.validate();
        expect(w.nnz).toBe(Math.round(d * nIn * nOut));
      }),
      { numRuns: 200 },
    );
    expect(uniformDensity(784, 1000, 0.05, rngFor(1)).nnz).toBe(39200);
  });

  it('density >= 1 is full; density <= 0 is rejected', () => {
    expect(uniformDensity(7, 3, 1, rngFor(1)).nnz).toBe(21);
    expect(uniformDensity(7, 3, 2, rngFor(1)).nnz).toBe(21);
    expect(() => uniformDensity(7, 3, 0, rngFor(1))).toThrow(/density must be a finite number > 0/);
  });
});

describe('erkDensities', () => {
  const total = (shapes: { nIn: number; nOut: number }[], d: number[]) => shapes.reduce((s, x, l) => s + d[l]! * x.nIn * x.nOut, 0);

  it('keeps the total, caps at 1, and stays proportional to (nIn + nOut) / (nIn nOut) elsewhere', () => {
    const shapes = [{ nIn: 784, nOut: 1000 }, { nIn: 1000, nOut: 1000 }, { nIn: 1000, nOut: 10 }];
    const d = erkDensities(shapes, 0.05);
    expect(d[2]).toBe(1); // the 1000 -> 10 layer would exceed density 1: dense
    for (const v of d) expect(v > 0 && v <= 1).toBe(true);
    const sizes = shapes.reduce((s, x) => s + x.nIn * x.nOut, 0);
    expect(total(shapes, d)).toBeCloseTo(0.05 * sizes, 6);
    const raw = shapes.map((s) => (s.nIn + s.nOut) / (s.nIn * s.nOut));
    expect(d[0]! / raw[0]!).toBeCloseTo(d[1]! / raw[1]!, 10);
  });

  it('re-solves in cascade when capping one layer pushes another over 1', () => {
    const shapes = [{ nIn: 4, nOut: 3 }, { nIn: 30, nOut: 20 }, { nIn: 2000, nOut: 2000 }];
    const d = erkDensities(shapes, 0.5);
    expect(d[0]).toBe(1);
    expect(d[1]).toBe(1);
    expect(d[2]! < 1).toBe(true);
    expect(total(shapes, d)).toBeCloseTo(0.5 * (12 + 600 + 4e6), 4);
  });

  it('keeps the total for random shapes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ nIn: fc.integer({ min: 1, max: 500 }), nOut: fc.integer({ min: 1, max: 500 }) }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (shapes, density) => {
          const d = erkDensities(shapes, density);
          for (const v of d) expect(v > 0 && v <= 1).toBe(true);
          const sizes = shapes.reduce((s, x) => s + x.nIn * x.nOut, 0);
          expect(Math.abs(total(shapes, d) - density * sizes)).toBeLessThanOrEqual(1e-9 * sizes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('density 1 makes every layer dense; bad input is rejected', () => {
    const all = erkDensities([{ nIn: 5, nOut: 6 }, { nIn: 6, nOut: 2 }], 1);
    for (const v of all) expect(v).toBeCloseTo(1, 12); // up to rounding, which uniformDensity absorbs:
    expect(uniformDensity(5, 6, all[0]!, rngFor(1)).nnz).toBe(30);
    expect(uniformDensity(6, 2, all[1]!, rngFor(1)).nnz).toBe(12);
    expect(() => erkDensities([], 0.1)).toThrow(InvalidArgumentError);
    expect(() => erkDensities([{ nIn: 5, nOut: 6 }], 0)).toThrow(/overall density must be in \(0, 1\]/);
    expect(() => erkDensities([{ nIn: 5, nOut: 6 }], 1.5)).toThrow(InvalidArgumentError);
    expect(() => erkDensities([{ nIn: 5, nOut: 0 }], 0.5)).toThrow(/layer 0 output size/);
  });
});
