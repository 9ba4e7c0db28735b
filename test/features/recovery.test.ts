// Issue 19, point 3: on MADELON-style data (500 features, 20 relevant), the ranking of a sparse denoising
// autoencoder trained with SET (QuickSelection) recovers the relevant features far better than a univariate
// test (ANOVA F) and a random ranking, over seeds. A small, fast configuration (1,000 samples, 20 epochs);
// the notebook and the note report the full one.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { madelon } from '../../toolkit/src/data/madelon';
import { baselineRanking } from '../../toolkit/src/features/baselines';
import { recoveryAtK, retrainAccuracy } from '../../toolkit/src/features/evaluation';
import { featureImportance } from '../../toolkit/src/features/importance';
import { quickSelection } from '../../toolkit/src/features/quick-selection';
import { runConfig } from '../../toolkit/src/experiments/run';
import { preset } from '../../toolkit/src/experiments/presets';
import { trainTestSplit } from '../../toolkit/src/data/split';

describe('feature recovery on madelon', () => {
  it('SET autoencoder strength beats ANOVA and random at precision@20 over 3 seeds', async () => {
    const p = { set: [] as number[], anova: [] as number[], random: [] as number[] };
    for (const seed of [0, 1, 2]) {
      const m = madelon({ seed, nSamples: 1000 });
      const { ranking } = await quickSelection(m.data, { seed, epochs: 20, hidden: 100 });
      p.set.push(recoveryAtK(ranking, m.relevantFeatures, 20).precision);
      p.anova.push(recoveryAtK(baselineRanking('anova', m.data), m.relevantFeatures, 20).precision);
      p.random.push(recoveryAtK(baselineRanking('random', m.data, seed), m.relevantFeatures, 20).precision);
    }
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    // Measured: SET 0.45 / 0.40 / 0.30; ANOVA 0 / 0 / 0; random 0 / 0 / 0.05 (chance is 20/500 = 0.04).
    expect(Math.min(...p.set)).toBeGreaterThanOrEqual(0.2);
    expect(mean(p.set)).toBeGreaterThan(mean(p.anova) + 0.2);
    expect(mean(p.set)).toBeGreaterThan(mean(p.random) + 0.2);
  }, 120_000);

  it('a classifier on the top 20 features of the SET ranking beats one on 20 random features', async () => {
    const m = madelon({ seed: 5, nSamples: 1000 });
    const { train, test } = trainTestSplit(m.data, { testFraction: 0.3 }, 5);
    const { ranking } = await quickSelection(train, { seed: 5, epochs: 20, hidden: 100 });
    const top = await retrainAccuracy(train, test, ranking.topK(20), { seed: 5 });
    const rnd = await retrainAccuracy(train, test, baselineRanking('random', train, 5).topK(20), { seed: 5 });
    expect(top).toBeGreaterThan(rnd + 0.05);
  }, 120_000);

  it('a run of the madelon-quickselection preset records the relevant features and the input history; select ranks it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qs-run-'));
    const config = preset('madelon-quickselection');
    const r = await runConfig({ ...config, data: { ...(config.data as object), nSamples: 400, nFeatures: 100 }, model: { ...(config.model as object), hidden: [40] }, training: { ...(config.training as object), epochs: 3 } }, { outDir: dir });
    expect(r.epochs).toBe(3);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.facts.relevantFeatures).toHaveLength(20);
    const history = JSON.parse(fs.readFileSync(path.join(dir, 'feature-history.json'), 'utf8'));
    expect(history.epochs).toBe(3);
    const persistence = featureImportance(dir, { method: 'persistence' });
    const degree = featureImportance(dir, { method: 'degree' });
    // Each epoch adds at most the connections present after it: the total is at most 3 x the final connections (the count is constant under SET).
    expect(persistence.nFeatures).toBe(100);
    const total = persistence.scores.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(3 * degree.scores.reduce((a, b) => a + b, 0));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);
});
