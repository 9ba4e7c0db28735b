import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { ablationComparison, accuracyVsConnections, groupAblation } from '../../toolkit/src/plots/ablation';
import { evolutionStats, type EvolutionRecord } from '../../toolkit/src/plots/evolution-stats';

type Trace = { type: string; name: string; x: (number | string)[]; y: (number | null)[]; yaxis: string; error_y?: { array: number[] }; showlegend?: boolean };

const ev = (layer: number, epoch: number, dropped: number, magnitude: number | null, extra: Partial<EvolutionRecord> = {}): EvolutionRecord =>
  ({ layer, epoch, step: (epoch + 1) * 10, connections: 100, dropped, grown: dropped, droppedMeanMagnitude: magnitude, ...extra });

describe('evolutionStats', () => {
  it('plots removed / grown counts, removed mean |w| and overlap per layer against epochs', () => {
    const fig = evolutionStats([ev(0, 0, 30, 0.01), ev(1, 0, 20, 0.02), ev(0, 1, 30, 0.03), ev(1, 1, 0, null)]);
    const t = fig.data as unknown as Trace[];
    expect(t.map((d) => [d.name, d.yaxis])).toEqual([
      ['layer 1', 'y'], ['layer 1 grown', 'y'], ['layer 1', 'y2'], ['layer 1', 'y3'],
      ['layer 2', 'y'], ['layer 2 grown', 'y'], ['layer 2', 'y2'], ['layer 2', 'y3'],
    ]);
    expect(t[0]!.x).toEqual([1, 2]);
    expect(t[0]!.y).toEqual([30, 30]);
    expect(t[2]!.y).toEqual([0.01, 0.03]);
    expect(t[3]!.y).toEqual([0.7, 0.7]);
    expect(t[6]!.y).toEqual([0.02, null]); // nothing removed: a gap, not a zero
    expect(t[7]!.y).toEqual([0.8, 1]);
    expect(fig.layout.xaxis?.title?.text).toBe('epoch');
    expect(fig.layout.xaxis?.anchor).toBe('y3');
    expect([fig.layout.yaxis?.title?.text, fig.layout.yaxis2?.title?.text, fig.layout.yaxis3?.title?.text]).toEqual(['removed / grown', 'removed mean |w|', 'overlap']);
    expect(fig.layout.yaxis4).toBeUndefined();
  });

  it('switches to training steps when a layer evolves several times an epoch, and adds an ITOP panel', () => {
    const fig = evolutionStats([ev(0, 0, 5, 0.1, { step: 3, itopRate: 0.1 }), ev(0, 0, 5, 0.1, { step: 7, itopRate: 0.15, overlap: 0.9 })]);
    const t = fig.data as unknown as Trace[];
    expect(t[0]!.x).toEqual([3, 7]);
    expect(t[3]!.y).toEqual([0.95, 0.9]); // computed, then the given overlap
    expect(fig.layout.xaxis?.title?.text).toBe('training step');
    const itop = t.find((d) => d.yaxis === 'y4')!;
    expect(itop.x).toEqual([3, 7]);
    expect(itop.y).toEqual([0.1, 0.15]);
    expect(fig.layout.yaxis4?.title?.text).toBe('ITOP rate');
    const given = evolutionStats([ev(0, 0, 5, 0.1)], { itop: [{ x: 1, rate: 0.3 }] });
    expect((given.data as unknown as Trace[]).find((d) => d.yaxis === 'y4')!.name).toBe('network');
  });

  it('rejects no events, missing counts and a missing magnitude where connections were removed', () => {
    expect(() => evolutionStats([])).toThrow(/no evolution events \(a static run evolves nothing\)/);
    expect(() => evolutionStats([ev(0, 0, 5, null)])).toThrow(/droppedMeanMagnitude is null although 5 connections were removed/);
    expect(() => evolutionStats([{ ...ev(0, 0, 5, 0.1), dropped: NaN }])).toThrow(/dropped is NaN/);
    expect(() => evolutionStats([{ layer: 0, epoch: 0 } as EvolutionRecord])).toThrow(/step is missing/);
  });
});

const rows = [
  { policy: 'set', zeta: 0.3, seed: 0, testAccuracy: 0.9, connections: 1000 },
  { policy: 'set', zeta: 0.3, seed: 1, testAccuracy: 0.92, connections: 1000 },
  { policy: 'static', zeta: 0.3, seed: 0, testAccuracy: 0.85, connections: 1000 },
  { policy: 'set', zeta: 0.5, seed: 0, testAccuracy: 0.88, connections: 1000 },
  { policy: 'set', zeta: 0.5, seed: 1, testAccuracy: 0.9, connections: 1000 },
  { policy: 'dense', zeta: 0, seed: 0, testAccuracy: 0.95, connections: 50_000 },
  { policy: 'set', zeta: 0.3, seed: 0, testAccuracy: 0.94, connections: 4000 },
];

describe('ablation figures', () => {
  it('groups by the varied keys: x from the other keys, one coloured trace per value of the last', () => {
    const groups = groupAblation(rows.slice(0, 5), { groupBy: ['zeta', 'policy'] });
    expect(groups.map((g) => [g.color, g.category, g.values.length])).toEqual([['set', '0.3', 2], ['static', '0.3', 1], ['set', '0.5', 2]]);
    const fig = ablationComparison(rows.slice(0, 5), { groupBy: ['zeta', 'policy'], kind: 'bar', spread: 'std' });
    const t = fig.data as unknown as Trace[];
    expect(t.map((d) => [d.type, d.name])).toEqual([['bar', 'SET'], ['bar', 'Static sparse']]);
    expect(t[0]!.x).toEqual(['0.3', '0.5']);
    expect(t[0]!.y[0]).toBeCloseTo(91, 10);
    expect(t[0]!.y[1]).toBeCloseTo(89, 10);
    expect(t[0]!.error_y!.array[0]).toBeCloseTo(Math.SQRT2, 10); // std of 90 and 92
    expect(t[1]!.error_y!.array).toEqual([0]);
    expect(fig.layout.barmode).toBe('group');
    expect(fig.layout.xaxis?.title?.text).toBe('ζ (fraction replaced)');
    expect(fig.layout.yaxis?.title?.text).toBe('Test accuracy (%)<br>bar: mean, whiskers: ±1 std over seeds');
    const box = ablationComparison(rows.slice(0, 5), { groupBy: ['zeta', 'policy'], kind: 'box', percent: false }).data as unknown as Trace[];
    expect(box.map((d) => d.type)).toEqual(['box', 'box']);
    expect(box[0]!.x).toEqual(['0.3', '0.3', '0.5', '0.5']);
    expect(box[0]!.y).toEqual([0.9, 0.92, 0.88, 0.9]);
  });

  it('shows testAccuracyAtBest (the best validation epoch\'s model) in percent like testAccuracy', () => {
    const atBest = rows.slice(0, 3).map((r) => ({ ...r, testAccuracyAtBest: r.testAccuracy - 0.1 }));
    const fig = ablationComparison(atBest, { groupBy: ['policy'], metric: 'testAccuracyAtBest' });
    expect((fig.data as unknown as Trace[])[0]!.y[0]).toBeCloseTo(81, 10);
    expect(fig.layout.yaxis?.title?.text).toBe('Test accuracy, best validation epoch (%)<br>dot: mean, whiskers: min–max over seeds');
    const vs = accuracyVsConnections(atBest, { seriesBy: 'policy', y: 'testAccuracyAtBest' });
    expect((vs.data as unknown as Trace[])[1]!.y[0]).toBeCloseTo(75, 10);
  });

  it('plots accuracy against connections per method, mean and min-max over seeds, on a log axis', () => {
    const fig = accuracyVsConnections(rows, { seriesBy: 'policy' });
    const t = fig.data as unknown as Trace[];
    expect(t.map((d) => d.name)).toEqual(['SET', 'Static sparse', 'Dense']);
    expect(t[0]!.x).toEqual([1000, 4000]);
    expect(t[0]!.y[0]).toBeCloseTo((90 + 92 + 88 + 90) / 4, 10);
    expect(t[0]!.y[1]).toBeCloseTo(94, 10);
    expect(t[2]!.x).toEqual([50_000]);
    expect(fig.layout.xaxis?.type).toBe('log');
    expect(fig.layout.xaxis?.title?.text).toBe('Connections');
  });

  it('rejects no rows, rows without the keys (listing the keys they have) and non-finite metrics', () => {
    expect(() => ablationComparison([], { groupBy: ['zeta'] })).toThrow(/no rows given/);
    expect(() => ablationComparison(rows, { groupBy: ['eps'] })).toThrow(/row 0 has no key "eps"; its keys are: policy, zeta, seed, testAccuracy, connections/);
    expect(() => ablationComparison([{ zeta: 1, testAccuracy: NaN }], { groupBy: ['zeta'] })).toThrow(InvalidArgumentError);
    expect(() => accuracyVsConnections(rows)).toThrow(/no key "method"/);
    expect(() => accuracyVsConnections([{ method: 'a', connections: 0, testAccuracy: 0.5 }])).toThrow(/log axis needs positive values/);
  });
});
