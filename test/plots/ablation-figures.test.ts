import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { ablationFigures, isAblationDir } from '../../toolkit/src/plots/ablation-figures';

const grid = {
  base: { preset: 'mnist-quick', data: { name: 'mnist', testSize: 200, limit: 400 }, model: { hidden: [32] }, training: { epochs: 2, batchSize: 32 } },
  axes: { policy: ['set', 'static'] },
  seeds: [1, 2],
};

type Rows = Awaited<ReturnType<typeof runAblation>>['rows'];
// The dots' heights: each setting's mean over seeds.
const heightsOf = (fig: { data: unknown[] }) => (fig.data as { type?: string; y?: number[] }[]).flatMap((t) => (t.type === 'scatter' ? t.y ?? [] : []));
/** The per-policy mean of a metric over the two seeds, in percent. */
const meanOf = (rows: Rows, policy: string, metric: (r: Rows[number]) => number) =>
  (100 * rows.filter((r) => r.axes.policy === policy).reduce((a, r) => a + metric(r), 0)) / 2;

describe('ablation folder figures', () => {
  let dir: string;
  let summary: Awaited<ReturnType<typeof runAblation>>;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-abl-fig-'));
    summary = await runAblation(grid, { outDir: dir, workers: 0 });
  }, 120_000);

  it('draws accuracy per setting (final model, best validation epoch), accuracy against FLOPs and learning curves with seed bands (no connections figure: one sparsity level)', () => {
    expect(isAblationDir(dir)).toBe(true);
    const { figures, notes } = ablationFigures(dir);
    expect(notes).toEqual([]);
    expect(figures.map((f) => f.name)).toEqual(['ablation-accuracy', 'ablation-accuracy-at-best', 'ablation-accuracy-vs-flops', 'ablation-learning-curves']);
    const dots = figures[0]!.figure.data as { type?: string; mode?: string }[];
    expect(dots.every((t) => t.type === 'scatter' && t.mode === 'markers')).toBe(true);
    // The dot heights are the per-policy means of the finished runs, in percent: the final model's test accuracy...
    const heights = heightsOf(figures[0]!.figure);
    for (const p of ['set', 'static']) expect(heights.some((h) => Math.abs(h - meanOf(summary.rows, p, (r) => r.testAccuracy)) < 1e-9)).toBe(true);
    // ...and the test accuracy of each run's best-validation model.
    const atBest = heightsOf(figures[1]!.figure);
    expect(summary.rows.every((r) => typeof r.testAccuracyAtBest === 'number')).toBe(true);
    for (const p of ['set', 'static']) expect(atBest.some((h) => Math.abs(h - meanOf(summary.rows, p, (r) => r.testAccuracyAtBest!)) < 1e-9)).toBe(true);
    expect(figures[1]!.figure.layout.yaxis?.title?.text).toBe('Test accuracy, best validation epoch (%)<br>dot: mean, whiskers: min–max over seeds');
    const curves = JSON.stringify(figures[3]!.figure.data);
    expect(curves).toContain('"SET"');
    expect(curves).toContain('"Static sparse"');
    expect(curves).toContain('SET (validation)');
    expect(curves).toContain('SET: best (validation)');
  });

  it('leaves the best-validation figure out for a grid without validation, and says so when only some cells have one', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-abl-fig-'));
    fs.cpSync(dir, copy, { recursive: true });
    const file = path.join(copy, 'results.jsonl');
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const write = (rs: Record<string, unknown>[]) => fs.writeFileSync(file, rs.map((r) => JSON.stringify(r) + '\n').join(''));
    const noSelection = { bestEpoch: null, bestValAccuracy: null, bestValLoss: null, testAccuracyAtBest: null, testLossAtBest: null, valAccuracy: null, valLoss: null, validationSamples: 0 };
    write(rows.map((r) => ({ ...r, ...noSelection })));
    let out = ablationFigures(copy);
    expect(out.figures.map((f) => f.name)).toEqual(['ablation-accuracy', 'ablation-accuracy-vs-flops', 'ablation-learning-curves']);
    expect(out.notes).toEqual([]);
    write(rows.map((r, i) => (i === 0 ? { ...r, ...noSelection } : r)));
    out = ablationFigures(copy);
    expect(out.figures.map((f) => f.name)).not.toContain('ablation-accuracy-at-best');
    expect(out.notes).toEqual([`ablation-accuracy-at-best: only ${rows.length - 1} of ${rows.length} finished cells have a best-validation model (the others ran without a validation part); the figure is left out`]);
  });

  it('reads version-1 rows (bestTestAccuracy, chosen on the test set) without using it, with a note', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-abl-fig-'));
    fs.cpSync(dir, copy, { recursive: true });
    const file = path.join(copy, 'results.jsonl');
    const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const v1 = rows.map(({ resultVersion: _v, bestEpoch: _b, testAccuracyAtBest: _t, testLossAtBest: _l, ...r }) => ({ ...r, bestTestAccuracy: 0.99 }));
    fs.writeFileSync(file, v1.map((r) => JSON.stringify(r) + '\n').join(''));
    const { figures, notes } = ablationFigures(copy);
    expect(figures.map((f) => f.name)).toEqual(['ablation-accuracy', 'ablation-accuracy-vs-flops', 'ablation-learning-curves']);
    expect(notes).toEqual([`${rows.length} of ${rows.length} finished cells were written before validation existed (result version 1): they have no best-validation model, and their metrics' val* columns are the test set (drawn as test)`]);
    // The figures never show the test-selected bestTestAccuracy (0.99 here).
    expect(heightsOf(figures[0]!.figure).some((h) => Math.abs(h - 99) < 1e-9)).toBe(false);
  });

  it('says which cells are unfinished, draws a no-data figure without results, and rejects other folders', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-abl-fig-'));
    fs.writeFileSync(path.join(dir, 'cells.json'), JSON.stringify([{ id: 'a' }, { id: 'b' }]));
    const { figures, notes } = ablationFigures(dir);
    expect(notes[0]).toMatch(/2 of 2 cells are not finished/);
    expect(figures).toHaveLength(1);
    expect(() => ablationFigures(os.tmpdir())).toThrow(/is not an ablation folder/);
  });
});
