// Issue 19, evaluation table: every method (SET / static autoencoders, baselines) over seeds as rows of a
// danfojs table, with mean and std per method. Small data and few epochs: the numbers of the real
// configuration are in the notebook and the note.
import { describe, expect, it } from 'vitest';
import { ConfigError, UnknownNameError } from '../../toolkit/src/core/errors';
import { madelon } from '../../toolkit/src/data/madelon';
import { baselineRanking } from '../../toolkit/src/features/baselines';
import { recoveryAtK } from '../../toolkit/src/features/evaluation';
import {
  recoveryExperiment, recoveryFrame, recoverySummary, recoverySummaryRows, recoverySummaryText, type RecoveryRow,
} from '../../toolkit/src/features/recovery-table';

const small = (seed: number) => madelon({ seed, nSamples: 300, nFeatures: 60 });

describe('recoveryExperiment', () => {
  it('scores every method on every seed, the baselines exactly as ranked on their own', async () => {
    const progress: string[] = [];
    const exp = await recoveryExperiment({
      seeds: [3, 4], data: small, methods: ['set-strength', 'set-persistence', 'static-strength', 'anova', 'random'],
      autoencoder: { hidden: 16, epochs: 2 }, maxK: 30, onProgress: (l) => progress.push(l),
    });
    expect(exp.k).toBe(20);
    expect([exp.nRelevant, exp.nFeatures]).toEqual([20, 60]);
    expect(exp.rows.map((r) => `${r.method}/${r.seed}`)).toEqual([
      'set-strength/3', 'set-persistence/3', 'static-strength/3', 'anova/3', 'random/3',
      'set-strength/4', 'set-persistence/4', 'static-strength/4', 'anova/4', 'random/4',
    ]);
    for (const seed of [3, 4]) {
      const m = small(seed);
      const row = exp.rows.find((r) => r.method === 'anova' && r.seed === seed)!;
      expect(row.precision).toBe(recoveryAtK(baselineRanking('anova', m.data), m.relevantFeatures, 20).precision);
      const rnd = exp.rows.find((r) => r.method === 'random' && r.seed === seed)!;
      expect(rnd.hits).toBe(recoveryAtK(baselineRanking('random', m.data, seed), m.relevantFeatures, 20).hits);
    }
    for (const r of exp.rows) {
      expect(r.precision).toBeCloseTo(r.hits / 20, 12);
      expect(r.recall).toBeCloseTo(r.hits / 20, 12);
      expect(Number.isNaN(r.accuracy)).toBe(true);
    }
    expect(exp.curves).toHaveLength(10);
    expect(exp.curves[0]!.curve).toHaveLength(30);
    expect(exp.curves[0]!.curve[19]!.precision).toBe(exp.rows[0]!.precision);
    expect(progress).toHaveLength(2);
    expect(progress[0]).toMatch(/^seed 3: precision@20 set-strength /);
  }, 60_000);

  it('retrains a classifier on each top k when asked, ranking on the training part only', async () => {
    const exp = await recoveryExperiment({
      seeds: [1], data: small, methods: ['anova', 'random'], k: 5, retrain: { testFraction: 0.3, epochs: 2, hidden: [8] },
    });
    expect(exp.allFeatures).toHaveLength(1);
    expect(exp.allFeatures[0]!.accuracy).toBeGreaterThanOrEqual(0);
    for (const r of exp.rows) {
      expect(r.k).toBe(5);
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.accuracy).toBeLessThanOrEqual(1);
    }
  }, 60_000);

  it('rejects no seeds, unknown methods and a bad k before training', async () => {
    await expect(recoveryExperiment({ seeds: [], data: small })).rejects.toThrow(ConfigError);
    await expect(recoveryExperiment({ seeds: [0], data: small, methods: ['lasso' as never] })).rejects.toThrow(UnknownNameError);
    await expect(recoveryExperiment({ seeds: [0], data: small, k: 0 })).rejects.toThrow(/k/);
    await expect(recoveryExperiment({ seeds: [0.5], data: small })).rejects.toThrow(/integers/);
  });
});

describe('recovery tables', () => {
  const row = (method: RecoveryRow['method'], seed: number, precision: number): RecoveryRow => ({
    method, seed, k: 4, precision, recall: precision / 2, hits: precision * 4, accuracy: NaN, seconds: 0,
  });
  const rows = [row('set-strength', 0, 1), row('set-strength', 1, 0.5), row('random', 0, 0.25), row('random', 1, 0.25)];

  it('summarises mean and sample std per method (hand table)', () => {
    const s = recoverySummaryRows(rows);
    expect(s.map((r) => r.method)).toEqual(['set-strength', 'random']);
    expect(s[0]!.precisionMean).toBe(0.75);
    expect(s[0]!.precisionStd).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(s[0]!.recallMean).toBe(0.375);
    expect(s[1]!.precisionStd).toBe(0);
    expect(s[0]!.n).toBe(2);
    const text = recoverySummaryText(rows);
    expect(text.split('\n')[0]).toMatch(/^method\s+n\s+precision@4\s+recall@4$/);
    expect(text).toMatch(/set-strength\s+2\s+0\.750 \+- 0\.354/);
  });

  it('gives danfojs DataFrames: one row per method and seed, and one per method', async () => {
    const df = await recoveryFrame(rows);
    expect(df.shape).toEqual([4, 8]);
    expect(df.columns).toEqual(['method', 'seed', 'k', 'precision', 'recall', 'hits', 'accuracy', 'seconds']);
    const sum = await recoverySummary(rows);
    expect(sum.shape[0]).toBe(2);
    expect(sum.columns).toContain('precisionMean');
    await expect(recoveryFrame([])).rejects.toThrow(/no rows/);
  }, 60_000);
});
