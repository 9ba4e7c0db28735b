/**
 * Learning curves: loss and accuracy per epoch, training and test, for one run or for several runs
 * grouped by a label (one line per label: the mean over its seeds, with a shaded band of +-1 standard
 * deviation when there are two seeds or more).
 *
 * Input: the epoch logs of a run (`History.epochs`, or the lines of a run's `metrics.jsonl`), or an array
 * of `{ label, seed, epochs }`, one per run. The ablation runner's results table, when it exists, is
 * expected to provide its runs in this second form.
 *
 * @packageDocumentation
 */
import type { ScatterData } from 'plotly.js-dist';
import { InvalidArgumentError, ShapeError } from '../core/errors';
import type { Figure } from './figure';
import { finiteNumber, meanStd } from './summary';
import { paperAxis, seriesColor, styledFigure, withAlpha, type PlotOptions } from './style';

/**
 * The metrics of one epoch: {@link "train/history".EpochLogs} or a line of `metrics.jsonl`. Test metrics
 * are read from `valLoss`/`valAccuracy`, or else `testLoss`/`testAccuracy`; `null` counts as absent.
 * `epoch` is 0-based; the figure's x axis shows `epoch + 1` (epochs completed).
 */
export interface EpochMetrics {
  readonly epoch: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly valLoss?: number | null;
  readonly valAccuracy?: number | null;
  readonly testLoss?: number | null;
  readonly testAccuracy?: number | null;
}

/** One run of a group of runs: the label that groups it (e.g. `"SET"`), its seed, its epochs. */
export interface LabeledRun {
  readonly label: string;
  readonly seed?: number;
  readonly epochs: readonly EpochMetrics[];
}

/** The four curves a figure can show. */
export type CurveMetric = 'loss' | 'accuracy' | 'testLoss' | 'testAccuracy';

/** Mean and standard deviation per epoch of one metric over the runs of a group. */
export interface CurveStats {
  readonly mean: number[];
  readonly std: number[];
}

/** The runs of one label, summarised per epoch. */
export interface CurveGroup {
  readonly label: string;
  /** Number of runs (seeds) in the group. */
  readonly runs: number;
  readonly seeds: readonly (number | undefined)[];
  /** 0-based epochs, the same for every run of the group. */
  readonly epochs: readonly number[];
  /** Per metric; test metrics are absent when the runs have none. */
  readonly metrics: Partial<Record<CurveMetric, CurveStats>>;
}

/** Options of {@link learningCurves}. */
export interface LearningCurveOptions extends PlotOptions {
  /** Shaded band around each mean: `'std'` (default, +-1 sample standard deviation), `'sem'` (standard error), `'none'`. */
  readonly band?: 'std' | 'sem' | 'none';
  /** Which curves: `'train'`, `'test'` or both (default: both, test only when present). */
  readonly splits?: readonly ('train' | 'test')[];
  /** Accuracy in percent (default true) or as a fraction. */
  readonly percent?: boolean;
  /** Label of a single run given as an array of epochs (default `"run"`). */
  readonly label?: string;
}

function testValue(e: EpochMetrics, key: 'Loss' | 'Accuracy'): number | null | undefined {
  const v = e[`val${key}`];
  return v === undefined || v === null ? e[`test${key}`] : v;
}

function isLabeledRuns(runs: readonly EpochMetrics[] | readonly LabeledRun[]): runs is readonly LabeledRun[] {
  const first = runs[0] as unknown as Record<string, unknown>;
  return typeof first === 'object' && first !== null && 'epochs' in first;
}

/** Validates one run and returns its values per metric (test metrics only when present at every epoch). */
function readRun(run: LabeledRun, what: string): { epochs: number[]; values: Partial<Record<CurveMetric, number[]>> } {
  if (!Array.isArray(run.epochs)) throw new InvalidArgumentError(`${what}: epochs must be an array of epoch logs, got ${typeof run.epochs}`);
  if (run.epochs.length === 0) throw new InvalidArgumentError(`${what} has no epochs; nothing to plot`);
  const epochs: number[] = [];
  const values: Record<CurveMetric, number[]> = { loss: [], accuracy: [], testLoss: [], testAccuracy: [] };
  let hasTest: boolean | undefined;
  run.epochs.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) throw new InvalidArgumentError(`${what}: entry ${i} is not an epoch log object`);
    const epoch = finiteNumber(e.epoch, `${what}, entry ${i}: epoch`);
    if (!Number.isInteger(epoch) || epoch < 0) throw new InvalidArgumentError(`${what}, entry ${i}: epoch must be a non-negative integer, got ${epoch}`);
    if (i > 0 && epoch <= epochs[i - 1]!) throw new InvalidArgumentError(`${what}: epochs must increase, but epoch ${epoch} follows ${epochs[i - 1]}`);
    epochs.push(epoch);
    values.loss.push(finiteNumber(e.loss, `${what}, epoch ${epoch}: loss`));
    values.accuracy.push(finiteNumber(e.accuracy, `${what}, epoch ${epoch}: accuracy`));
    const tl = testValue(e, 'Loss'), ta = testValue(e, 'Accuracy');
    const here = tl !== undefined && tl !== null && ta !== undefined && ta !== null;
    const partial = !here && ((tl !== undefined && tl !== null) || (ta !== undefined && ta !== null));
    if (partial) throw new InvalidArgumentError(`${what}, epoch ${epoch}: has only one of test loss and test accuracy`);
    if (hasTest === undefined) hasTest = here;
    else if (hasTest !== here) {
      throw new InvalidArgumentError(`${what}: test metrics are ${here ? 'present' : 'missing'} at epoch ${epoch} but ${here ? 'missing' : 'present'} at epoch ${epochs[0]}`);
    }
    if (here) {
      values.testLoss.push(finiteNumber(tl, `${what}, epoch ${epoch}: test loss`));
      values.testAccuracy.push(finiteNumber(ta, `${what}, epoch ${epoch}: test accuracy`));
    }
  });
  return hasTest
    ? { epochs, values }
    : { epochs, values: { loss: values.loss, accuracy: values.accuracy } };
}

/**
 * Groups runs by label (in order of first appearance) and computes mean and sample standard deviation
 * per epoch and metric.
 * @throws {@link InvalidArgumentError} for no runs, a run without epochs, or a missing, NaN or infinite
 *   value (naming the label, seed, epoch and metric); {@link ShapeError} when the runs of one label have
 *   different epochs, or only some of them have test metrics.
 */
export function summariseRuns(runs: readonly EpochMetrics[] | readonly LabeledRun[], label = 'run'): CurveGroup[] {
  if (!Array.isArray(runs) || runs.length === 0) {
    throw new InvalidArgumentError('learning curves: no runs given; expected the epoch logs of a run, or an array of { label, seed, epochs }');
  }
  const labeled: readonly LabeledRun[] = isLabeledRuns(runs) ? runs : [{ label, epochs: runs as readonly EpochMetrics[] }];
  const groups = new Map<string, { seeds: (number | undefined)[]; epochs: number[]; values: Partial<Record<CurveMetric, number[]>>[] }>();
  labeled.forEach((run, r) => {
    if (typeof run !== 'object' || run === null || !('epochs' in run)) {
      throw new InvalidArgumentError(`learning curves: run ${r} is not a { label, seed, epochs } object`);
    }
    if (typeof run.label !== 'string' || run.label === '') throw new InvalidArgumentError(`learning curves: run ${r} has no label (a non-empty string)`);
    const what = `run "${run.label}"${run.seed !== undefined ? ` (seed ${run.seed})` : ` (#${r})`}`;
    const { epochs, values } = readRun(run, what);
    const g = groups.get(run.label);
    if (!g) {
      groups.set(run.label, { seeds: [run.seed], epochs, values: [values] });
      return;
    }
    if (g.epochs.length !== epochs.length || g.epochs.some((e, i) => e !== epochs[i])) {
      throw new ShapeError(
        `learning curves: the runs labelled "${run.label}" have different epochs: ${describeEpochs(g.epochs)} in the first, ${describeEpochs(epochs)} in ${what}`,
      );
    }
    if (('testLoss' in g.values[0]!) !== ('testLoss' in values)) {
      throw new ShapeError(`learning curves: only some runs labelled "${run.label}" have test metrics (${what} ${'testLoss' in values ? 'has' : 'has none'})`);
    }
    g.seeds.push(run.seed);
    g.values.push(values);
  });
  return [...groups.entries()].map(([name, g]) => {
    const metrics: Partial<Record<CurveMetric, CurveStats>> = {};
    for (const key of ['loss', 'accuracy', 'testLoss', 'testAccuracy'] as const) {
      if (!(key in g.values[0]!)) continue;
      const mean: number[] = [], std: number[] = [];
      g.epochs.forEach((_, i) => {
        const s = meanStd(g.values.map((v) => v[key]![i]!), `${name}: ${key}`);
        mean.push(s.mean);
        std.push(s.std);
      });
      metrics[key] = { mean, std };
    }
    return { label: name, runs: g.values.length, seeds: g.seeds, epochs: g.epochs, metrics };
  });
}

function describeEpochs(e: readonly number[]): string {
  return `${e.length} epoch${e.length === 1 ? '' : 's'} (${e[0]}..${e[e.length - 1]})`;
}

/**
 * Loss (left) and accuracy (right) per epoch, training dotted and test solid, one colour per label; the
 * mean over seeds with a +-std band when a label has several runs.
 *
 * @param runs - one run's epoch logs, or `{ label, seed, epochs }` per run (grouped by `label`).
 * @throws see {@link summariseRuns}.
 * @example
 * learningCurves(history.epochs);
 * learningCurves([{ label: 'SET', seed: 0, epochs: a }, { label: 'SET', seed: 1, epochs: b }, { label: 'static', seed: 0, epochs: c }]);
 */
export function learningCurves(runs: readonly EpochMetrics[] | readonly LabeledRun[], options: LearningCurveOptions = {}): Figure {
  const groups = summariseRuns(runs, options.label ?? 'run');
  const band = options.band ?? 'std';
  if (!['std', 'sem', 'none'].includes(band)) throw new InvalidArgumentError(`band must be "std", "sem" or "none", got "${band}"`);
  const percent = options.percent ?? true;
  const splits = options.splits ?? ['test', 'train'];
  const single = groups.length === 1;
  const data: Partial<ScatterData>[] = [];
  let drawn = 0;
  groups.forEach((g, gi) => {
    const color = seriesColor(gi);
    const x = g.epochs.map((e) => e + 1);
    for (const split of ['test', 'train'] as const) {
      if (!splits.includes(split)) continue;
      const keys = split === 'test' ? (['testLoss', 'testAccuracy'] as const) : (['loss', 'accuracy'] as const);
      if (!g.metrics[keys[0]]) continue;
      const name = single ? split : split === 'test' ? g.label : `${g.label} (train)`;
      keys.forEach((key, panel) => {
        const stats = g.metrics[key]!;
        const k = panel === 1 && percent ? 100 : 1;
        const mean = stats.mean.map((v) => v * k);
        const axes = panel === 0 ? { xaxis: 'x', yaxis: 'y' } : { xaxis: 'x2', yaxis: 'y2' };
        if (band !== 'none' && g.runs > 1) {
          const spread = stats.std.map((s) => (band === 'sem' ? s / Math.sqrt(g.runs) : s) * k);
          data.push({
            type: 'scatter',
            mode: 'lines',
            ...axes,
            x: [...x, ...[...x].reverse()],
            y: [...mean.map((m, i) => m + spread[i]!), ...mean.map((m, i) => m - spread[i]!).reverse()],
            fill: 'toself',
            fillcolor: withAlpha(color, split === 'test' ? 0.22 : 0.12),
            line: { width: 0, color },
            hoverinfo: 'skip',
            showlegend: false,
            legendgroup: name,
            name: `${name} +-${band}`,
          });
        }
        data.push({
          type: 'scatter',
          mode: x.length <= 30 ? 'lines+markers' : 'lines',
          ...axes,
          x,
          y: mean,
          line: { color, width: 1.5, dash: split === 'test' ? 'solid' : 'dot' },
          marker: { color, size: 4 },
          name,
          legendgroup: name,
          showlegend: panel === 0,
          hovertemplate: `${name}<br>epoch %{x}<br>${key} %{y:.4g}${g.runs > 1 ? ` (mean of ${g.runs})` : ''}<extra></extra>`,
        });
        drawn++;
      });
    }
  });
  if (drawn === 0) throw new InvalidArgumentError(`learning curves: none of the splits ${JSON.stringify(splits)} is present in the runs`);
  const maxEpoch = Math.max(...groups.map((g) => g.epochs[g.epochs.length - 1]! + 1));
  const xExtra = { domain: [0, 0.44] as [number, number], ...(maxEpoch <= 10 ? { dtick: 1 } : {}) };
  return styledFigure(
    data,
    {
      xaxis: paperAxis('epoch', { ...xExtra, anchor: 'y' }),
      yaxis: paperAxis('loss', { anchor: 'x' }),
      xaxis2: paperAxis('epoch', { ...xExtra, domain: [0.56, 1], anchor: 'y2' }),
      yaxis2: paperAxis(percent ? 'accuracy (%)' : 'accuracy', { anchor: 'x2' }),
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' },
      margin: { t: options.title ? 48 : 28 },
    },
    options,
    1.75,
  );
}
