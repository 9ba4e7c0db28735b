import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { ablationFigures, isAblationDir } from '../../toolkit/src/plots/ablation-figures';

const grid = {
  base: { preset: 'mnist-quick', data: { name: 'mnist', testSize: 200, limit: 400 }, model: { hidden: [32] }, training: { epochs: 2, batchSize: 32 } },
  axes: { policy: ['set', 'static'] },
  seeds: [1, 2],
};

describe('ablation folder figures', () => {
  it('draws accuracy per setting, accuracy against connections and learning curves with seed bands', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-abl-fig-'));
    const summary = await runAblation(grid, { outDir: dir, workers: 0 });
    expect(isAblationDir(dir)).toBe(true);
    const { figures, notes } = ablationFigures(dir);
    expect(notes).toEqual([]);
    expect(figures.map((f) => f.name)).toEqual(['ablation-accuracy', 'ablation-accuracy-vs-connections', 'ablation-learning-curves']);
    const bars = figures[0]!.figure.data as { type?: string; y?: number[] }[];
    expect(bars.every((t) => t.type === 'bar')).toBe(true);
    // The bar heights are the per-policy means of the finished runs, in percent.
    const mean = (p: string) => (100 * summary.rows.filter((r) => r.axes.policy === p).reduce((a, r) => a + r.testAccuracy, 0)) / 2;
    const heights = bars.flatMap((t) => t.y ?? []);
    for (const p of ['set', 'static']) expect(heights.some((h) => Math.abs(h - mean(p)) < 1e-9)).toBe(true);
    const curves = JSON.stringify(figures[2]!.figure.data);
    expect(curves).toContain('policy=set');
    expect(curves).toContain('policy=static');
  }, 120_000);

  it('says which cells are unfinished, draws a no-data figure without results, and rejects other folders', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-abl-fig-'));
    fs.writeFileSync(path.join(dir, 'cells.json'), JSON.stringify([{ id: 'a' }, { id: 'b' }]));
    const { figures, notes } = ablationFigures(dir);
    expect(notes[0]).toMatch(/2 of 2 cells are not finished/);
    expect(figures).toHaveLength(1);
    expect(() => ablationFigures(os.tmpdir())).toThrow(/is not an ablation folder/);
  });
});
