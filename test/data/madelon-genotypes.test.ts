import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { madelon } from '../../toolkit/src/data/madelon';
import { causalBlocks, genotypes } from '../../toolkit/src/data/genotypes';
import { anovaScores } from '../../toolkit/src/features/baselines';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import { loadRunDataAsync } from '../../toolkit/src/experiments/data';

/** The R^2 of the least-squares fit of column `f` on the columns `on` (plus an intercept). */
function r2(x: Float32Array, n: number, width: number, f: number, on: readonly number[]): number {
  const k = on.length + 1;
  const ata = new Float64Array(k * k), atb = new Float64Array(k);
  let mean = 0;
  for (let s = 0; s < n; s++) mean += x[s * width + f]!;
  mean /= n;
  for (let s = 0; s < n; s++) {
    const row = [1, ...on.map((c) => x[s * width + c]!)];
    for (let i = 0; i < k; i++) {
      atb[i]! += row[i]! * x[s * width + f]!;
      for (let j = 0; j < k; j++) ata[i * k + j]! += row[i]! * row[j]!;
    }
  }
  // Gaussian elimination.
  const a = Array.from({ length: k }, (_, i) => [...ata.subarray(i * k, i * k + k), atb[i]!]);
  for (let i = 0; i < k; i++) {
    const p = a[i]![i]!;
    for (let j = i; j <= k; j++) a[i]![j]! /= p;
    for (let r = 0; r < k; r++) if (r !== i) { const m = a[r]![i]!; for (let j = i; j <= k; j++) a[r]![j]! -= m * a[i]![j]!; }
  }
  let sse = 0, sst = 0;
  for (let s = 0; s < n; s++) {
    let pred = a[0]![k]!;
    on.forEach((c, i) => (pred += a[i + 1]![k]! * x[s * width + c]!));
    sse += (x[s * width + f]! - pred) ** 2;
    sst += (x[s * width + f]! - mean) ** 2;
  }
  return 1 - sse / sst;
}

describe('madelon (issue 19, point 2)', () => {
  const m = madelon({ seed: 3 });

  it('has the challenge sizes, 20 relevant features at random columns, standardised features', () => {
    expect([m.data.nSamples, m.data.nFeatures, m.data.nClasses]).toEqual([2600, 500, 2]);
    expect(m.relevantFeatures.length).toBe(20);
    expect(Array.from(m.relevantFeatures)).toEqual([...m.informative, ...m.redundant].sort((a, b) => a - b));
    expect(Array.from(m.relevantFeatures)).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
    const f = m.relevantFeatures[0]!;
    let s = 0, q = 0;
    for (let i = 0; i < 2600; i++) { s += m.data.features[i * 500 + f]!; q += m.data.features[i * 500 + f]! ** 2; }
    expect(Math.abs(s / 2600)).toBeLessThan(1e-4);
    expect(q / 2600).toBeCloseTo(1, 3);
  });

  it('redundant features are linear combinations of the informative ones; noise features are not', () => {
    const inf = Array.from(m.informative);
    for (const f of m.redundant) expect(r2(m.data.features, 2600, 500, f, inf)).toBeGreaterThan(0.999);
    const noise = Array.from({ length: 500 }, (_, i) => i).filter((i) => !m.relevantFeatures.includes(i)).slice(0, 10);
    for (const f of noise) expect(r2(m.data.features, 2600, 500, f, inf)).toBeLessThan(0.02);
  });

  it('only the relevant features carry class signal jointly; no feature alone (univariate F stays at chance)', () => {
    const F = anovaScores(m.data);
    // F(1, 2598) has its 99.9th percentile near 10.9: with balanced clusters, no feature (relevant or not)
    // differs in class mean beyond chance.
    for (let f = 0; f < 500; f++) expect(F[f]).toBeLessThan(15);
    // Jointly: the class of a sample is a function of its cluster, i.e. of the signs of the informative
    // coordinates: a nearest-vertex rule on the informative features beats chance clearly; on 5 noise features it does not.
    const acc = (cols: number[]) => {
      // Majority class per sign pattern, fitted and scored on the two halves.
      const key = (s: number) => cols.reduce((a, c, i) => a | ((m.data.features[s * 500 + c]! > 0 ? 1 : 0) << i), 0);
      const votes = new Map<number, [number, number]>();
      for (let s = 0; s < 1300; s++) { const v = votes.get(key(s)) ?? [0, 0]; v[m.data.labels[s]!]!++; votes.set(key(s), v); }
      let ok = 0;
      for (let s = 1300; s < 2600; s++) { const v = votes.get(key(s)) ?? [0, 0]; if ((v[1]! > v[0]! ? 1 : 0) === m.data.labels[s]) ok++; }
      return ok / 1300;
    };
    expect(acc(Array.from(m.informative))).toBeGreaterThan(0.6);
    const noise = Array.from({ length: 500 }, (_, i) => i).filter((i) => !m.relevantFeatures.includes(i)).slice(0, 5);
    expect(acc(noise)).toBeLessThan(0.56);
  });

  it('is reproducible, and refuses sizes that do not fit', () => {
    const a = madelon({ seed: 1, nSamples: 100, nFeatures: 40 }), b = madelon({ seed: 1, nSamples: 100, nFeatures: 40 });
    expect(Array.from(a.data.features)).toEqual(Array.from(b.data.features));
    expect(() => madelon({ seed: 1, nFeatures: 10 })).toThrow(InvalidArgumentError);
    expect(() => madelon({ seed: 1, nInformative: 3 })).toThrow(InvalidArgumentError);
  });
});

describe('genotypes (issue 19, point 2)', () => {
  const g = genotypes({ nSamples: 2000, nMarkers: 2000, seed: 4 });

  it('codes 0/1/2 sparsely, with the drawn allele frequencies', () => {
    const d = g.data;
    expect(d.nFeatures).toBe(2000);
    expect(new Set(d.values)).toEqual(new Set([1, 2]));
    expect(d.density).toBeLessThan(0.5);
    // Observed minor-allele frequency of each marker within 4 standard errors of the drawn one.
    const sum = new Float64Array(2000);
    for (let k = 0; k < d.nnz; k++) sum[d.featureIdx[k]!]! += d.values[k]!;
    let bad = 0;
    for (let m = 0; m < 2000; m++) {
      const p = g.maf[m]!, se = Math.sqrt((p * (1 - p)) / (2 * 2000));
      if (Math.abs(sum[m]! / 4000 - p) > 4 * se) bad++;
    }
    expect(bad).toBeLessThan(5);
  });

  it('neighbours in a block are correlated, markers in different blocks are not', () => {
    const dense = new Float32Array(2000 * 2000);
    const d = g.data;
    for (let s = 0; s < 2000; s++) for (let k = d.rowPtr[s]!; k < d.rowPtr[s + 1]!; k++) dense[s * 2000 + d.featureIdx[k]!] = d.values[k]!;
    const corr = (a: number, b: number) => {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let s = 0; s < 2000; s++) { const x = dense[s * 2000 + a]!, y = dense[s * 2000 + b]!; sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y; }
      const n = 2000;
      return (sab / n - (sa / n) * (sb / n)) / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
    };
    const common = Array.from({ length: 2000 }, (_, m) => m).filter((m) => g.maf[m]! > 0.2);
    let within = 0, nw = 0, across = 0, na = 0;
    for (const m of common) {
      if (common.includes(m + 1) && Math.floor(m / 20) === Math.floor((m + 1) / 20)) { within += corr(m, m + 1); nw++; }
      if (common.includes(m + 40)) { across += Math.abs(corr(m, m + 40)); na++; }
    }
    expect(within / nw).toBeGreaterThan(0.3);
    expect(across / na).toBeLessThan(0.05);
  });

  it('the phenotype depends on the causal markers: additive ones alone, pair members only jointly', () => {
    const F = anovaScores(g.data);
    const sorted = Float64Array.from(F).sort();
    const p99 = sorted[Math.floor(0.99 * 2000)]!;
    for (const m of g.causal) expect(F[m]).toBeGreaterThan(p99);
    // A pair's markers: no marginal effect, but the class differs with their product.
    for (let k = 0; k < g.pairs.length; k += 2) {
      for (const m of [g.pairs[k]!, g.pairs[k + 1]!]) expect(F[m]).toBeLessThan(12);
    }
    expect(g.relevantFeatures.length).toBe(14);
    expect(causalBlocks(g).length).toBe(14);
  });

  it('is a data kind of run configs, and the run data carries the relevant features', async () => {
    const config = parseRunConfig({ data: { name: 'genotypes', nSamples: 300, nMarkers: 500, validation: 0 }, seed: 2 });
    const parts = await loadRunDataAsync(config.data, config.seed);
    expect(parts.train.nFeatures).toBe(500);
    expect(parts.relevantFeatures?.length).toBe(14);
    const mc = parseRunConfig({ data: { name: 'madelon', nSamples: 300, nFeatures: 60 }, seed: 2 });
    const mp = await loadRunDataAsync(mc.data, mc.seed);
    expect(mp.relevantFeatures?.length).toBe(20);
    expect(mp.validation).toBeDefined();
  });
});
