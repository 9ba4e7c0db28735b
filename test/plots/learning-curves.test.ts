import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { learningCurves, summariseRuns, type EpochMetrics, type LabeledRun } from '../../toolkit/src/plots/learning-curves';

type Trace = Record<string, unknown> & { name?: string; x?: number[]; y?: number[] };
const traces = (fig: { data: unknown[] }) => fig.data as Trace[];

const run = (loss: number[], acc: number[], testAcc?: number[]): EpochMetrics[] =>
  loss.map((l, i) => ({ epoch: i, loss: l, accuracy: acc[i]!, ...(testAcc ? { valLoss: l + 0.1, valAccuracy: testAcc[i]! } : {}) }));

describe('learningCurves', () => {
  it('draws one run: loss left, accuracy (%) right, test solid and train dotted, x = epochs completed', () => {
    const fig = learningCurves(run([2, 1, 0.5], [0.5, 0.7, 0.8], [0.4, 0.6, 0.75]));
    const t = traces(fig);
    expect(t.map((d) => d.type)).toEqual(['scatter', 'scatter', 'scatter', 'scatter']);
    expect(t.map((d) => d.name)).toEqual(['test', 'test', 'train', 'train']);
    expect(t.map((d) => [d.xaxis, d.yaxis])).toEqual([['x', 'y'], ['x2', 'y2'], ['x', 'y'], ['x2', 'y2']]);
    expect(t[0]!.x).toEqual([1, 2, 3]);
    expect(t[0]!.y).toEqual([2.1, 1.1, 0.6]);
    expect(t[1]!.y).toEqual([40, 60, 75]);
    expect(t[2]!.y).toEqual([2, 1, 0.5]);
    expect(t[3]!.y).toEqual([50, 70, 80]);
    expect((t[0]!.line as { dash: string }).dash).toBe('solid');
    expect((t[2]!.line as { dash: string }).dash).toBe('dot');
    expect(t.map((d) => d.showlegend)).toEqual([true, false, true, false]);
    expect(fig.layout.xaxis?.title?.text).toBe('epoch');
    expect(fig.layout.yaxis?.title?.text).toBe('loss');
    expect(fig.layout.yaxis2?.title?.text).toBe('accuracy (%)');
  });

  it('reads metrics.jsonl lines (testLoss / testAccuracy, null as absent) and fractions when percent is off', () => {
    const lines = [
      { epoch: 0, loss: 1, accuracy: 0.5, valLoss: null, testLoss: 0.9, testAccuracy: 0.55, connections: [10] },
      { epoch: 1, loss: 0.5, accuracy: 0.75, valLoss: null, testLoss: 0.6, testAccuracy: 0.65, connections: [10] },
    ] as unknown as EpochMetrics[];
    const t = traces(learningCurves(lines, { percent: false, splits: ['test'] }));
    expect(t).toHaveLength(2);
    expect(t[1]!.y).toEqual([0.55, 0.65]);
  });

  it('groups runs by label: mean line and a +-std band (sample std, n - 1) per label', () => {
    const runs: LabeledRun[] = [
      { label: 'SET', seed: 0, epochs: run([1.0, 0.6], [0.5, 0.7]) },
      { label: 'SET', seed: 1, epochs: run([2.0, 0.8], [0.6, 0.9]) },
      { label: 'SET', seed: 2, epochs: run([3.0, 1.0], [0.7, 0.8]) },
      { label: 'static', seed: 0, epochs: run([1.5, 1.2], [0.4, 0.5]) },
    ];
    const groups = summariseRuns(runs);
    expect(groups.map((g) => [g.label, g.runs])).toEqual([['SET', 3], ['static', 1]]);
    expect(groups[0]!.metrics.loss!.mean[0]).toBe(2);
    expect(groups[0]!.metrics.loss!.mean[1]).toBeCloseTo(0.8, 12);
    expect(groups[0]!.metrics.loss!.std[0]).toBeCloseTo(1, 12); // values 1, 2, 3
    expect(groups[0]!.metrics.loss!.std[1]).toBeCloseTo(0.2, 12); // values 0.6, 0.8, 1.0
    expect(groups[0]!.metrics.testLoss).toBeUndefined();

    const t = traces(learningCurves(runs));
    const band = t.find((d) => d.fill === 'toself' && d.xaxis === 'x')!;
    // Closed polygon: upper edge left to right, lower edge right to left.
    expect(band.x).toEqual([1, 2, 2, 1]);
    const y = band.y!;
    expect(y[0]).toBeCloseTo(3, 12);
    expect(y[1]).toBeCloseTo(1.0, 12);
    expect(y[2]).toBeCloseTo(0.6, 12);
    expect(y[3]).toBeCloseTo(1, 12);
    const accBand = t.find((d) => d.fill === 'toself' && d.xaxis === 'x2')!;
    // accuracies 0.5, 0.6, 0.7 -> mean 60 %, std 10 %
    expect(accBand.y![0]).toBeCloseTo(70, 10);
    expect(accBand.y![3]).toBeCloseTo(50, 10);
    expect(t.filter((d) => d.fill === 'toself')).toHaveLength(2); // static has one seed: no band
    expect(t.filter((d) => d.fill !== 'toself').map((d) => d.name)).toEqual(['SET (train)', 'SET (train)', 'static (train)', 'static (train)']);
    const sem = traces(learningCurves(runs, { band: 'sem' })).find((d) => d.fill === 'toself')!;
    expect(sem.y![0]).toBeCloseTo(2 + 1 / Math.sqrt(3), 12);
    expect(traces(learningCurves(runs, { band: 'none' })).some((d) => d.fill === 'toself')).toBe(false);
  });

  it('rejects empty, malformed and NaN input with errors naming the run, seed, epoch and metric', () => {
    expect(() => learningCurves([])).toThrow(InvalidArgumentError);
    expect(() => learningCurves([])).toThrow(/no runs given/);
    expect(() => learningCurves([{ label: 'SET', seed: 4, epochs: [] }])).toThrow(/run "SET" \(seed 4\) has no epochs/);
    expect(() => learningCurves(run([1, NaN], [0.5, 0.6]))).toThrow(/run "run" \(#0\), epoch 1: loss is NaN; expected a finite number/);
    expect(() => learningCurves([{ label: 'a', seed: 1, epochs: [{ epoch: 0, loss: 1 } as EpochMetrics] }])).toThrow(/seed 1\), epoch 0: accuracy is missing/);
    expect(() => learningCurves([{ epoch: 1, loss: 1, accuracy: 0.5 }, { epoch: 0, loss: 1, accuracy: 0.5 }])).toThrow(/epochs must increase/);
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, valLoss: 1 }])).toThrow(/only one of test loss and test accuracy/);
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5 }, { epoch: 1, loss: 1, accuracy: 0.5 }])).toThrow(/test metrics are missing at epoch 1/);
    expect(() => learningCurves([
      { label: 'SET', seed: 0, epochs: run([1, 2, 3], [0.1, 0.2, 0.3]) },
      { label: 'SET', seed: 1, epochs: run([1, 2], [0.1, 0.2]) },
    ])).toThrow(ShapeError);
    expect(() => learningCurves([
      { label: 'SET', seed: 0, epochs: run([1, 2], [0.1, 0.2], [0.1, 0.2]) },
      { label: 'SET', seed: 1, epochs: run([1, 2], [0.1, 0.2]) },
    ])).toThrow(/only some runs labelled "SET" have test metrics/);
    expect(() => learningCurves(run([1], [0.5]), { splits: ['test'] })).toThrow(/none of the splits/);
    expect(() => learningCurves(run([1], [0.5]), { band: 'iqr' as never })).toThrow(/band must be/);
  });
});
