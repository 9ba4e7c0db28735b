import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { binomialPmf } from '../../toolkit/src/plots/degrees';
import { fitPowerLaw, hurwitzZeta, powerLawCcdf, powerLawPmf, samplePowerLaw } from '../../toolkit/src/plots/powerlaw';

describe('hurwitzZeta', () => {
  it.each([
    [2, 1, Math.PI ** 2 / 6],
    [3, 1, 1.2020569031595942], // Apery's constant
    [4, 1, Math.PI ** 4 / 90],
    [2, 3, Math.PI ** 2 / 6 - 1 - 1 / 4],
    [2.5, 20, 0], // filled in below by direct summation
  ])('zeta(%d, %d)', (s, q, expected) => {
    if (expected === 0) {
      // Direct sum of the first 2e6 terms plus the integral of the rest.
      let sum = 0;
      const N = 2_000_000;
      for (let k = 0; k < N; k++) sum += (q + k) ** -s;
      expected = sum + (q + N - 0.5) ** (1 - s) / (s - 1);
    }
    expect(Math.abs(hurwitzZeta(s, q) - expected) / expected).toBeLessThan(1e-12);
  });

  it('diverges like 1 / (s - 1) near s = 1 and rejects s <= 1', () => {
    expect(hurwitzZeta(1.001, 1) * 0.001).toBeCloseTo(1, 2);
    expect(() => hurwitzZeta(1, 1)).toThrow(InvalidArgumentError);
    expect(() => hurwitzZeta(2, 0)).toThrow(InvalidArgumentError);
  });
});

describe('samplePowerLaw', () => {
  it('is reproducible from the seed and follows P(K >= k) = zeta(alpha, k) / zeta(alpha, xmin)', () => {
    const a = samplePowerLaw(20_000, 2.5, 2, rngFor(7, 'powerlaw'));
    expect(samplePowerLaw(20_000, 2.5, 2, rngFor(7, 'powerlaw'))).toEqual(a);
    expect(Math.min(...a)).toBe(2);
    for (const k of [2, 3, 5, 10, 30]) {
      const empirical = a.filter((v) => v >= k).length / a.length;
      const exact = hurwitzZeta(2.5, k) / hurwitzZeta(2.5, 2);
      expect(Math.abs(empirical - exact)).toBeLessThan(4 * Math.sqrt((exact * (1 - exact)) / a.length) + 1e-9);
    }
  });
});

describe('fitPowerLaw (discrete MLE, xmin by KS distance; Clauset, Shalizi and Newman 2009)', () => {
  it.each([
    [2.5, 1, 1],
    [2.0, 1, 2],
    [3.0, 3, 3],
  ])('recovers alpha = %d from 5000 seeded samples with xmin = %d', (alpha, xmin, seed) => {
    const data = samplePowerLaw(5000, alpha, xmin, rngFor(seed, 'fit'));
    const known = fitPowerLaw(data, { xmin });
    expect(Math.abs(known.alpha - alpha)).toBeLessThan(3 * known.sigma);
    expect(known.sigma).toBeGreaterThan(0.005);
    expect(known.sigma).toBeLessThan(0.06);
    expect(known.nTail).toBe(5000);
    expect(known.ks).toBeLessThan(0.03);
    expect(known.atBound).toBe(false);
    const free = fitPowerLaw(data);
    expect(Math.abs(free.alpha - alpha)).toBeLessThan(0.15);
    expect(free.xmin).toBeGreaterThanOrEqual(xmin);
    expect(free.ks).toBeLessThanOrEqual(known.ks + 1e-12);
  });

  it('finds the tail above a non-power-law body, and reports binomial data as a poor fit', () => {
    const rng = rngFor(3, 'mixture');
    const tail = samplePowerLaw(3000, 2.5, 10, rng);
    const body = Array.from({ length: 3000 }, () => 1 + rng.int(9)); // uniform on 1..9
    const fit = fitPowerLaw([...body, ...tail]);
    expect(fit.xmin).toBeGreaterThanOrEqual(9);
    expect(fit.xmin).toBeLessThanOrEqual(12);
    expect(Math.abs(fit.alpha - 2.5)).toBeLessThan(0.15);

    const pmf = binomialPmf(1000, 0.1);
    const degrees: number[] = [];
    const r2 = rngFor(4, 'binomial');
    for (let i = 0; i < 3000; i++) {
      let u = r2.float(), k = 0;
      while (u > pmf[k]! && k < 1000) u -= pmf[k++]!;
      degrees.push(k);
    }
    const bad = fitPowerLaw(degrees, { xmin: Math.min(...degrees) });
    expect(bad.ks).toBeGreaterThan(0.1);
  });

  it('gives pmf and ccdf of the fit scaled to the whole sample', () => {
    const fit = { alpha: 2.5, xmin: 3, nTail: 50, n: 100 };
    const z = hurwitzZeta(2.5, 3);
    const pmf = powerLawPmf(fit, [2, 3, 4]);
    expect(pmf[0]).toBeNaN();
    expect(pmf[1]).toBeCloseTo((0.5 * 3 ** -2.5) / z, 14);
    expect(powerLawCcdf(fit, [3])[0]).toBeCloseTo(0.5, 14);
    expect(powerLawCcdf(fit, [4])[0]).toBeCloseTo(0.5 - pmf[1]!, 14);
  });

  it('rejects data that are not degrees, too few values and tails of one value', () => {
    expect(() => fitPowerLaw([1, 2, 2.5])).toThrow(/value 2 is 2.5; expected a non-negative integer/);
    expect(() => fitPowerLaw([1, 2, NaN])).toThrow(InvalidArgumentError);
    expect(() => fitPowerLaw([0, 0, 1, 2, 3])).toThrow(/needs at least 10 values >= 1, got 3/);
    expect(() => fitPowerLaw(new Array(50).fill(4))).toThrow(/no exponent fits/);
    expect(() => fitPowerLaw([1, 2, 3], { minTail: 1 })).toThrow(/minTail/);
  });
});
