// Issue 19, figures: importance maps (pixel importance reshaped to the samples' shape), recovery curves
// (precision/recall at k with seed bands and chance) and the Manhattan-style plot (binned to the max per bin,
// causal markers marked).
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { importanceMaps, manhattanPlot, recoveryCurves, type RecoveryPoint } from '../../toolkit/src/plots/importance';
import * as plots from '../../toolkit/src/plots/index';

type Heatmap = { type: string; z: number[][]; xaxis: string; yaxis: string; coloraxis: string; name: string };
type Scatter = { type: string; x: number[]; y: number[]; name: string; xaxis?: string; yaxis?: string; fill?: string; showlegend?: boolean; text?: string[] };

describe('importanceMaps', () => {
  it('reshapes each ranking to the image, scaled by its own max, one panel per ranking on one colour axis', () => {
    const fig = importanceMaps([{ label: 'SET', scores: [4, 0, 2, 1] }, { label: 'static', scores: [1, 1, 0.5, 0] }]);
    const t = fig.data as unknown as Heatmap[];
    expect(t).toHaveLength(2);
    expect(t.map((d) => [d.type, d.xaxis, d.yaxis, d.coloraxis])).toEqual([['heatmap', 'x', 'y', 'coloraxis'], ['heatmap', 'x2', 'y2', 'coloraxis']]);
    expect(t[0]!.z).toEqual([[1, 0], [0.5, 0.25]]);
    expect(t[1]!.z).toEqual([[1, 1], [0.5, 0]]);
    expect(fig.layout.annotations?.map((a) => a.text)).toEqual(['SET', 'static']);
    expect(fig.layout.coloraxis?.colorbar?.title?.text).toBe('relative importance');
    expect([fig.layout.coloraxis?.cmin, fig.layout.coloraxis?.cmax]).toEqual([0, 1]);
    expect(fig.layout.yaxis2?.autorange).toBe('reversed');
  });

  it('takes a sample shape (also with an axis of size 1) and the rank and raw scales', () => {
    const fig = importanceMaps([{ label: 'a', scores: [3, 1, 2, 5, 4, 0] }], { imageShape: [1, 2, 3], scale: 'rank' });
    // Percentile ranks: 5 -> 1, 4 -> 0.8, 3 -> 0.6, 2 -> 0.4, 1 -> 0.2, 0 -> 0.
    expect((fig.data[0] as unknown as Heatmap).z.map((r) => r.map((v) => +v.toFixed(3)))).toEqual([[0.6, 0.2, 0.4], [1, 0.8, 0]]);
    expect(fig.layout.coloraxis?.colorbar?.title?.text).toBe('percentile rank');
    const raw = importanceMaps([{ label: 'a', scores: [3, 1, 2, 5] }, { label: 'b', scores: [0, 1, 8, 1] }], { scale: 'none' });
    expect((raw.data[1] as unknown as Heatmap).z).toEqual([[0, 1], [8, 1]]);
    expect(raw.layout.coloraxis?.cmax).toBe(8);
  });

  it('rejects no maps, unequal lengths, non-finite scores and shapes that do not hold the features', () => {
    expect(() => importanceMaps([])).toThrow(/no rankings given/);
    expect(() => importanceMaps([{ label: 'a', scores: [1, 2, 3, 4] }, { label: 'b', scores: [1] }])).toThrow(ShapeError);
    expect(() => importanceMaps([{ label: 'a', scores: [1, NaN, 3, 4] }])).toThrow(/"a", feature 1 has score NaN/);
    expect(() => importanceMaps([{ label: 'a', scores: [1, 2, 3] }])).toThrow(/do not form a square image/);
    expect(() => importanceMaps([{ label: 'a', scores: [1, 2, 3, 4] }], { imageShape: [2, 2, 2] })).toThrow(ShapeError);
    expect(() => importanceMaps([{ label: 'a', scores: [1, 2, 3, 4] }], { scale: 'log' as never })).toThrow(/scale must be/);
  });
});

const curve = (precision: number[], recall: number[]): RecoveryPoint[] => precision.map((p, i) => ({ k: i + 1, precision: p, recall: recall[i]! }));

describe('recoveryCurves', () => {
  const runs = [
    { label: 'SET', seed: 0, curve: curve([1, 1, 0.5], [0.25, 0.5, 0.5]) },
    { label: 'SET', seed: 1, curve: curve([0, 0.5, 0.5], [0, 0.25, 0.5]) },
    { label: 'random', seed: 0, curve: curve([0, 0, 0], [0, 0, 0]) },
  ];

  it('draws the mean over seeds with a band per label in a precision and a recall panel, plus chance', () => {
    const fig = recoveryCurves(runs, { chance: { nRelevant: 4, nFeatures: 40 }, markK: 2 });
    const t = fig.data as unknown as Scatter[];
    // Per panel: SET band + SET line + random line (one seed: no band) + chance = 4; two panels.
    expect(t).toHaveLength(8);
    const lines = t.filter((d) => !d.fill);
    const setPrecision = lines.find((d) => d.name === 'SET' && d.yaxis === 'y')!;
    expect(setPrecision.x).toEqual([1, 2, 3]);
    expect(setPrecision.y).toEqual([0.5, 0.75, 0.5]);
    const setRecall = lines.find((d) => d.name === 'SET' && d.yaxis === 'y2')!;
    expect(setRecall.y).toEqual([0.125, 0.375, 0.5]);
    expect(t.filter((d) => d.fill === 'toself').map((d) => d.name)).toEqual(['SET +-std', 'SET +-std']);
    const chance = lines.filter((d) => d.name === 'chance');
    expect(chance[0]!.y).toEqual([0.1, 0.1, 0.1]);
    expect(chance[1]!.y).toEqual([0.025, 0.05, 0.075]);
    expect(fig.layout.xaxis?.title?.text).toBe('k (top features)');
    expect(fig.layout.yaxis?.title?.text).toBe('precision at k');
    expect(fig.layout.yaxis2?.title?.text).toBe('recall at k');
    expect(fig.layout.shapes).toHaveLength(2);
    expect(fig.layout.shapes?.[0]?.x0).toBe(2);
    // One legend entry per label (the recall panel repeats no names).
    expect(t.filter((d) => d.showlegend).map((d) => d.name)).toEqual(['SET', 'random', 'chance']);
  });

  it('draws one panel when asked and no bands with band "none"', () => {
    const fig = recoveryCurves(runs, { metrics: ['recall'], band: 'none' });
    expect(fig.data).toHaveLength(2);
    expect(fig.layout.yaxis?.title?.text).toBe('recall at k');
    expect(fig.layout.yaxis2).toBeUndefined();
  });

  it('rejects no runs, values outside [0, 1], k that do not increase and labels whose seeds disagree on k', () => {
    expect(() => recoveryCurves([])).toThrow(/no runs given/);
    expect(() => recoveryCurves([{ label: 'a', curve: [] }])).toThrow(/"a" has no points/);
    expect(() => recoveryCurves([{ label: 'a', curve: [{ k: 1, precision: 1.5, recall: 0 }] }])).toThrow(/precision is 1.5/);
    expect(() => recoveryCurves([{ label: 'a', curve: [{ k: 2, precision: 1, recall: 0 }, { k: 2, precision: 1, recall: 0 }] }])).toThrow(/k must increase/);
    expect(() => recoveryCurves([{ label: 'a', seed: 0, curve: curve([1], [1]) }, { label: 'a', seed: 1, curve: curve([1, 1], [1, 1]) }])).toThrow(ShapeError);
    expect(() => recoveryCurves(runs, { chance: { nRelevant: 5, nFeatures: 4 } })).toThrow(/chance must be/);
    expect(() => recoveryCurves(runs, { metrics: ['f1' as never] })).toThrow(InvalidArgumentError);
  });
});

describe('manhattanPlot', () => {
  it('draws every marker when few, and the relevant ones on top with their exact scores and ranks', () => {
    const scores = [0.1, 0.5, 0.2, 0.9, 0.3, 0.05];
    const fig = manhattanPlot(scores, { relevant: [3, 4] });
    const t = fig.data as unknown as Scatter[];
    expect(t).toHaveLength(2);
    expect(t[0]!.x).toEqual([0, 1, 2, 5]);
    expect(t[0]!.y).toEqual([0.1, 0.5, 0.2, 0.05]);
    expect(t[1]!.name).toBe('causal');
    expect(t[1]!.x).toEqual([3, 4]);
    expect(t[1]!.y).toEqual([0.9, 0.3]);
    expect(t[1]!.text).toEqual(['rank 1 of 6', 'rank 3 of 6']);
    expect(fig.layout.xaxis?.title?.text).toBe('marker');
    expect(fig.layout.yaxis?.title?.text).toBe('importance');
  });

  it('bins many markers to the max of each bin, keeping every peak at its index', () => {
    const n = 200_000;
    const scores = new Float64Array(n).map((_, m) => (m % 97) / 1000);
    scores[123_456] = 5; // a peak
    const fig = manhattanPlot(scores, { relevant: [7], maxPoints: 1000, topK: 1, yTitle: 'strength' });
    const bg = fig.data[0] as unknown as Scatter;
    expect(bg.x.length).toBeLessThanOrEqual(1000);
    expect(bg.name).toMatch(/max of each 200 markers/);
    const at = bg.x.indexOf(123_456);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(bg.y[at]).toBe(5);
    // Each drawn point is the max of its bin of 200 markers (the relevant marker 7 left out of bin 0).
    bg.x.forEach((m, i) => {
      const lo = Math.floor(m / 200) * 200;
      let best = -Infinity;
      for (let j = lo; j < lo + 200; j++) if (j !== 7) best = Math.max(best, scores[j]!);
      expect(bg.y[i]).toBe(best);
    });
    expect(bg.x).not.toContain(7);
    expect(fig.layout.shapes?.[0]?.y0).toBe(5);
    expect(fig.layout.yaxis?.title?.text).toBe('strength');
    // The figure's size grows with maxPoints, not with the markers.
    expect(JSON.stringify(fig).length).toBeLessThan(60_000);
  });

  it('alternates colours over chromosome-like groups', () => {
    const fig = manhattanPlot(Array.from({ length: 100 }, (_, i) => i), { chromosomes: 4 });
    const t = fig.data as unknown as Scatter[];
    expect(t).toHaveLength(2);
    expect(t[0]!.x.slice(0, 26)).toEqual([...Array.from({ length: 25 }, (_, i) => i), 50]);
    expect(t[1]!.x[0]).toBe(25);
  });

  it('rejects no scores, non-finite scores, relevant markers out of range and bad options', () => {
    expect(() => manhattanPlot([])).toThrow(/no scores given/);
    expect(() => manhattanPlot([1, Infinity])).toThrow(/marker 1 has score Infinity/);
    expect(() => manhattanPlot([1, 2], { relevant: [2] })).toThrow(/relevant marker 2 is not an index in \[0, 2\)/);
    expect(() => manhattanPlot([1, 2], { maxPoints: 0 })).toThrow(/maxPoints/);
    expect(() => manhattanPlot([1, 2], { topK: 3 })).toThrow(/topK/);
  });

  it('is exported from plots/index', () => {
    expect(plots.manhattanPlot).toBe(manhattanPlot);
    expect(plots.recoveryCurves).toBe(recoveryCurves);
    expect(plots.importanceMaps).toBe(importanceMaps);
  });
});
