import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { bestValidationEpoch, learningCurves, summariseRuns, type EpochMetrics, type LabeledRun } from '../../toolkit/src/plots/learning-curves';

type Trace = Record<string, unknown> & { name?: string; x?: number[]; y?: number[] };
const traces = (fig: { data: unknown[] }) => fig.data as Trace[];

/** Epoch logs: training metrics, and validation (loss = training loss + 0.1) and test (+ 0.2) accuracy when given. */
const run = (loss: number[], acc: number[], valAcc?: number[], testAcc?: number[]): EpochMetrics[] =>
  loss.map((l, i) => ({
    epoch: i, loss: l, accuracy: acc[i]!,
    ...(valAcc ? { valLoss: l + 0.1, valAccuracy: valAcc[i]! } : {}),
    ...(testAcc ? { testLoss: l + 0.2, testAccuracy: testAcc[i]! } : {}),
  }));
/** The traces of curves (not bands, not best-epoch marks). */
const lines = (fig: { data: unknown[] }) => traces(fig).filter((d) => d.fill !== 'toself' && d.mode !== 'markers');
const marks = (fig: { data: unknown[] }) => traces(fig).filter((d) => d.mode === 'markers');

describe('learningCurves', () => {
  it('draws one History-like run: loss left, accuracy (%) right, validation dashed and train dotted, x = epochs completed', () => {
    const fig = learningCurves(run([2, 1, 0.5], [0.5, 0.7, 0.8], [0.4, 0.6, 0.75]));
    const t = lines(fig);
    expect(t.map((d) => d.type)).toEqual(['scatter', 'scatter', 'scatter', 'scatter']);
    // val* is validation, never labelled test (History has no test metrics).
    expect(t.map((d) => d.name)).toEqual(['validation', 'validation', 'train', 'train']);
    expect(t.map((d) => [d.xaxis, d.yaxis])).toEqual([['x', 'y'], ['x2', 'y2'], ['x', 'y'], ['x2', 'y2']]);
    expect(t[0]!.x).toEqual([1, 2, 3]);
    expect(t[0]!.y).toEqual([2.1, 1.1, 0.6]);
    expect(t[1]!.y).toEqual([40, 60, 75]);
    expect(t[2]!.y).toEqual([2, 1, 0.5]);
    expect(t[3]!.y).toEqual([50, 70, 80]);
    expect((t[0]!.line as { dash: string }).dash).toBe('dash');
    expect((t[2]!.line as { dash: string }).dash).toBe('dot');
    expect(t.map((d) => d.showlegend)).toEqual([true, false, true, false]);
    expect(fig.layout.xaxis?.title?.text).toBe('epoch');
    expect(fig.layout.yaxis?.title?.text).toBe('loss');
    expect(fig.layout.yaxis2?.title?.text).toBe('accuracy (%)');
  });

  it('reads metrics.jsonl lines without validation (testLoss / testAccuracy, null as absent) and fractions when percent is off', () => {
    const rows = [
      { epoch: 0, loss: 1, accuracy: 0.5, valLoss: null, testLoss: 0.9, testAccuracy: 0.55, connections: [10] },
      { epoch: 1, loss: 0.5, accuracy: 0.75, valLoss: null, testLoss: 0.6, testAccuracy: 0.65, connections: [10] },
    ] as unknown as EpochMetrics[];
    const t = traces(learningCurves(rows, { percent: false, splits: ['test'] }));
    expect(t).toHaveLength(2);
    expect(t.map((d) => d.name)).toEqual(['test', 'test']);
    expect(t[1]!.y).toEqual([0.55, 0.65]);
    // No validation: nothing to mark.
    expect(marks(learningCurves(rows))).toEqual([]);
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
    expect(groups[0]!.metrics.valLoss).toBeUndefined();
    expect(bestValidationEpoch(groups[0]!)).toBeUndefined();

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
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, valLoss: 1 }])).toThrow(/only one of validation loss and validation accuracy \(valLoss\)/);
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, testAccuracy: 0.5 }])).toThrow(/only one of test loss and test accuracy \(testAccuracy\)/);
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, valLoss: 1, valAccuracy: 0.5 }, { epoch: 1, loss: 1, accuracy: 0.5 }])).toThrow(/validation metrics are missing at epoch 1/);
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5 }, { epoch: 1, loss: 1, accuracy: 0.5, testLoss: 1, testAccuracy: 0.5 }])).toThrow(/test metrics are present at epoch 1 but missing at epoch 0/);
    expect(() => learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, testLoss: Infinity, testAccuracy: 0.5 }])).toThrow(/epoch 0: test loss is Infinity/);
    expect(() => learningCurves([
      { label: 'SET', seed: 0, epochs: run([1, 2, 3], [0.1, 0.2, 0.3]) },
      { label: 'SET', seed: 1, epochs: run([1, 2], [0.1, 0.2]) },
    ])).toThrow(ShapeError);
    expect(() => learningCurves([
      { label: 'SET', seed: 0, epochs: run([1, 2], [0.1, 0.2], [0.1, 0.2]) },
      { label: 'SET', seed: 1, epochs: run([1, 2], [0.1, 0.2]) },
    ])).toThrow(/only some runs labelled "SET" have validation metrics/);
    expect(() => learningCurves([
      { label: 'SET', seed: 0, epochs: run([1, 2], [0.1, 0.2], [0.1, 0.2], [0.1, 0.2]) },
      { label: 'SET', seed: 1, epochs: run([1, 2], [0.1, 0.2], [0.1, 0.2]) },
    ])).toThrow(/only some runs labelled "SET" have test metrics \(run "SET" \(seed 1\) has none\)/);
    expect(() => learningCurves(run([1], [0.5]), { splits: ['test'] })).toThrow(/none of the splits/);
    // A History has validation but no test metrics.
    expect(() => learningCurves(run([1], [0.5], [0.5]), { splits: ['test'] })).toThrow(/none of the splits \["test"\] is present/);
    expect(() => learningCurves(run([1], [0.5]), { splits: ['valid' as never] })).toThrow(/unknown split "valid"; the splits are "test", "validation", "train"/);
    expect(() => learningCurves(run([1], [0.5]), { band: 'iqr' as never })).toThrow(/band must be/);
  });
});

describe('learningCurves: training, validation and test', () => {
  // A metrics.jsonl of a run with validation: validation and test measured on the same network each epoch.
  const metrics = run([2, 1, 0.5, 0.4], [0.5, 0.7, 0.8, 0.85], [0.4, 0.7, 0.7, 0.65], [0.35, 0.6, 0.72, 0.7]);

  it('draws each split from its own fields: test solid from test*, validation dashed from val*, train dotted', () => {
    const fig = learningCurves(metrics);
    const t = lines(fig);
    expect(t.map((d) => d.name)).toEqual(['test', 'test', 'validation', 'validation', 'train', 'train']);
    expect(t.map((d) => (d.line as { dash: string }).dash)).toEqual(['solid', 'solid', 'dash', 'dash', 'dot', 'dot']);
    expect(t[0]!.y).toEqual([2.2, 1.2, 0.7, 0.6000000000000001]);
    expect(t[1]!.y).toEqual([35, 60, 72, 70]);
    expect(t[2]!.y).toEqual([2.1, 1.1, 0.6, 0.5]);
    expect(t[3]!.y).toEqual([40, 70, 70, 65]);
    expect(t[5]!.y).toEqual([50, 70, 80, 85]);
    const groups = summariseRuns(metrics);
    expect(Object.keys(groups[0]!.metrics)).toEqual(['loss', 'accuracy', 'valLoss', 'valAccuracy', 'testLoss', 'testAccuracy']);
  });

  it('draws only the splits asked for', () => {
    expect(lines(learningCurves(metrics, { splits: ['validation'] })).map((d) => d.name)).toEqual(['validation', 'validation']);
    expect(lines(learningCurves(metrics, { splits: ['train', 'test'] })).map((d) => d.name)).toEqual(['test', 'test', 'train', 'train']);
    // The best epoch is marked on the validation curves only: without them, nothing is marked.
    expect(marks(learningCurves(metrics, { splits: ['train', 'test'] }))).toEqual([]);
  });

  it('marks the best validation epoch (the earliest of highest accuracy) with a star on both panels and a vertical line', () => {
    const fig = learningCurves(metrics);
    const m = marks(fig);
    // Validation accuracy 0.4, 0.7, 0.7, 0.65: epoch 1 (shown as 2), not the later tie.
    expect(bestValidationEpoch(summariseRuns(metrics)[0]!)).toBe(1);
    expect(m.map((d) => [d.name, d.xaxis, d.x, d.y])).toEqual([
      ['best (validation)', 'x', [2], [1.1]],
      ['best (validation)', 'x2', [2], [70]],
    ]);
    expect(m.map((d) => d.showlegend)).toEqual([true, false]);
    const shapes = fig.layout.shapes as { x0: number; x1: number; xref: string; yref: string }[];
    expect(shapes.map((s) => [s.xref, s.yref, s.x0, s.x1])).toEqual([['x', 'y domain', 2, 2], ['x2', 'y2 domain', 2, 2]]);
  });

  it('picks the best epoch by validation loss (the lowest) when monitor says so', () => {
    // Validation loss 2.1, 1.1, 0.6, 0.5: epoch 3, while the accuracy is best at epoch 1.
    expect(bestValidationEpoch(summariseRuns(metrics)[0]!, 'valLoss')).toBe(3);
    expect(marks(learningCurves(metrics, { monitor: 'valLoss' }))[0]!.x).toEqual([4]);
    expect(() => learningCurves(metrics, { monitor: 'testAccuracy' as never })).toThrow(/monitor must be "valAccuracy" or "valLoss", got "testAccuracy"/);
  });

  it('reads a metrics.jsonl written before validation existed (val* a copy of test*) as test only, with no best mark', () => {
    // runConfig wrote { ...logs, testLoss: logs.valLoss, testAccuracy: logs.valAccuracy }, val* being the test set.
    const old = run([2, 1], [0.5, 0.7]).map((e, i) => ({ ...e, valLoss: 1.5 - i, valAccuracy: 0.4 + i / 10, testLoss: 1.5 - i, testAccuracy: 0.4 + i / 10 }));
    const fig = learningCurves(old);
    expect(lines(fig).map((d) => d.name)).toEqual(['test', 'test', 'train', 'train']);
    expect(lines(fig)[1]!.y).toEqual([40, 50]);
    expect(marks(fig)).toEqual([]);
    expect(summariseRuns(old)[0]!.metrics.valLoss).toBeUndefined();
    // Equal at some epochs only: a real validation part, drawn as such.
    const nearly = old.map((e, i) => (i === 1 ? { ...e, valAccuracy: 0.45 } : e));
    expect(lines(learningCurves(nearly)).map((d) => d.name)).toContain('validation');
  });

  it('marks the bestEpoch given (e.g. chosen on validation loss), none for null, and rejects an epoch the run lacks', () => {
    const m = marks(learningCurves(metrics, { bestEpoch: 3 }));
    expect(m.map((d) => [d.x, d.y])).toEqual([[[4], [0.5]], [[4], [65]]]);
    const none = learningCurves(metrics, { bestEpoch: null });
    expect(marks(none)).toEqual([]);
    expect(none.layout.shapes).toBeUndefined();
    expect(() => learningCurves(metrics, { bestEpoch: 4 })).toThrow(/bestEpoch 4 is not an epoch of the run \(0-based; it has 4 epochs \(0\.\.3\)\)/);
    expect(() => learningCurves(metrics, { bestEpoch: 1.5 })).toThrow(InvalidArgumentError);
    const two: LabeledRun[] = [{ label: 'a', epochs: metrics }, { label: 'b', epochs: metrics }];
    expect(() => learningCurves(two, { bestEpoch: 1 })).toThrow(/bestEpoch marks one run's best epoch, but there are 2 labels/);
  });

  it('groups: test keeps the label, validation and train are suffixed, each label marks the best of its mean validation accuracy', () => {
    const runs: LabeledRun[] = [
      { label: 'SET', seed: 0, epochs: run([1, 0.5, 0.4], [0.5, 0.6, 0.7], [0.5, 0.6, 0.8], [0.5, 0.6, 0.7]) },
      { label: 'SET', seed: 1, epochs: run([1, 0.5, 0.4], [0.5, 0.6, 0.7], [0.5, 0.8, 0.5], [0.5, 0.6, 0.7]) },
      { label: 'static', seed: 0, epochs: run([1, 0.5, 0.4], [0.5, 0.6, 0.7], [0.9, 0.6, 0.5], [0.5, 0.6, 0.7]) },
    ];
    const fig = learningCurves(runs);
    expect([...new Set(lines(fig).map((d) => d.name))]).toEqual(['SET', 'SET (validation)', 'SET (train)', 'static', 'static (validation)', 'static (train)']);
    // SET: mean validation accuracy 0.5, 0.7, 0.65 -> epoch 1; static: 0.9, 0.6, 0.5 -> epoch 0.
    const m = marks(fig).filter((d) => d.xaxis === 'x2');
    expect(m.map((d) => d.name)).toEqual(['SET: best (validation)', 'static: best (validation)']);
    expect(m[0]!.x).toEqual([2]);
    expect(m[0]!.y![0]).toBeCloseTo(70, 10);
    expect(m[1]!.x).toEqual([1]);
    // Several labels: no vertical line (it would belong to one label only).
    expect(fig.layout.shapes).toBeUndefined();
    // Bands per split: SET has two seeds, so 3 splits x 2 panels.
    expect(traces(fig).filter((d) => d.fill === 'toself')).toHaveLength(6);
  });
});
