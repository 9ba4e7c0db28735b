/**
 * Learning curves: loss and accuracy per epoch, for training, validation and test, for one run or for
 * several runs grouped by a label (one line per label: the mean over its seeds, with a shaded band of +-1
 * standard deviation when there are two seeds or more). The best epoch by validation is marked.
 *
 * Input: the epoch logs of a run (`History.epochs`, or the lines of a run's `metrics.jsonl`), or an array
 * of `{ label, seed, epochs }`, one per run. The ablation runner's results table, when it exists, is
 * expected to provide its runs in this second form.
 *
 * The three splits are read from their own fields: training from `loss`/`accuracy`, validation from
 * `valLoss`/`valAccuracy` (the part held out of the training data for model selection), test from
 * `testLoss`/`testAccuracy` (a run's `metrics.jsonl` has them; `History` has none). `val*` always means
 * validation: `metrics.jsonl` files written before validation existed held the test set in `val*`, and by
 * shape alone they cannot be told from a `History`, so their test curve is drawn (and labelled) as
 * validation.
 *
 * @packageDocumentation
 */
import type { ScatterData } from 'plotly.js-dist';
import { InvalidArgumentError, ShapeError } from '../core/errors';
import type { Figure, FigureLayout } from './figure';
import { finiteNumber, meanStd } from './summary';
import { paperAxis, seriesColor, styledFigure, withAlpha, type PlotOptions } from './style';

/**
 * The metrics of one epoch: {@link "train/history".EpochLogs} or a line of `metrics.jsonl`. Training
 * metrics are `loss`/`accuracy`, validation metrics `valLoss`/`valAccuracy`, test metrics
 * `testLoss`/`testAccuracy`; `null` counts as absent. `epoch` is 0-based; the figure's x axis shows
 * `epoch + 1` (epochs completed).
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

/** The six curves a figure can show: loss and accuracy of training, validation and test. */
export type CurveMetric = 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy' | 'testLoss' | 'testAccuracy';

/** The parts of the data a curve describes: what training saw, the validation part, the test part. */
export type CurveSplit = 'train' | 'validation' | 'test';

/** Every split, in drawing order (test first, so the curves that matter most lie under the others' legend). */
export const CURVE_SPLITS: readonly CurveSplit[] = ['test', 'validation', 'train'];

/** The loss and accuracy metric of each split. */
const SPLIT_METRICS: Readonly<Record<CurveSplit, readonly [CurveMetric, CurveMetric]>> = {
  train: ['loss', 'accuracy'],
  validation: ['valLoss', 'valAccuracy'],
  test: ['testLoss', 'testAccuracy'],
};

/** Line style per split: test solid, validation dashed, training dotted; band opacity likewise decreasing. */
const SPLIT_STYLE: Readonly<Record<CurveSplit, { dash: 'solid' | 'dash' | 'dot'; band: number }>> = {
  test: { dash: 'solid', band: 0.22 },
  validation: { dash: 'dash', band: 0.17 },
  train: { dash: 'dot', band: 0.12 },
};

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
  /** Per metric; validation and test metrics are absent when the runs have none. */
  readonly metrics: Partial<Record<CurveMetric, CurveStats>>;
}

/** The validation metrics that pick a best epoch, as `training.monitor` names them. */
export type CurveMonitor = 'valAccuracy' | 'valLoss';

/** Options of {@link learningCurves}. */
export interface LearningCurveOptions extends PlotOptions {
  /** Shaded band around each mean: `'std'` (default, +-1 sample standard deviation), `'sem'` (standard error), `'none'`. */
  readonly band?: 'std' | 'sem' | 'none';
  /** Which curves: any of `'train'`, `'validation'`, `'test'` (default: all three, each only when present). */
  readonly splits?: readonly CurveSplit[];
  /** Accuracy in percent (default true) or as a fraction. */
  readonly percent?: boolean;
  /** Label of a single run given as an array of epochs (default `"run"`). */
  readonly label?: string;
  /**
   * The best epoch (0-based) to mark on the validation curves, e.g. a run's `result.json` `bestEpoch`.
   * Default: each label's best epoch by `monitor` ({@link bestValidationEpoch}). `null`: no mark. A number
   * needs a single label; nothing is marked when the validation curves are not drawn.
   */
  readonly bestEpoch?: number | null;
  /** The validation metric that picks the marked best epoch when `bestEpoch` is not given (default `'valAccuracy'`). */
  readonly monitor?: CurveMonitor;
}

/** The loss and accuracy of one split at one epoch: both, none (`undefined`), or an error for just one. */
function splitValues(e: EpochMetrics, split: CurveSplit, where: string): [number, number] | undefined {
  const [lk, ak] = SPLIT_METRICS[split];
  const l = e[lk as keyof EpochMetrics], a = e[ak as keyof EpochMetrics];
  const hasL = l !== undefined && l !== null, hasA = a !== undefined && a !== null;
  if (hasL !== hasA) throw new InvalidArgumentError(`${where}: has only one of ${split} loss and ${split} accuracy (${hasL ? lk : ak})`);
  if (!hasL) return undefined;
  return [finiteNumber(l, `${where}: ${split} loss`), finiteNumber(a, `${where}: ${split} accuracy`)];
}

function isLabeledRuns(runs: readonly EpochMetrics[] | readonly LabeledRun[]): runs is readonly LabeledRun[] {
  const first = runs[0] as unknown as Record<string, unknown>;
  return typeof first === 'object' && first !== null && 'epochs' in first;
}

/**
 * Validates one run and returns its values per metric. Training metrics are required at every epoch;
 * validation and test metrics are kept when present at every epoch, and an error when at only some.
 */
function readRun(run: LabeledRun, what: string): { epochs: number[]; values: Partial<Record<CurveMetric, number[]>> } {
  if (!Array.isArray(run.epochs)) throw new InvalidArgumentError(`${what}: epochs must be an array of epoch logs, got ${typeof run.epochs}`);
  if (run.epochs.length === 0) throw new InvalidArgumentError(`${what} has no epochs; nothing to plot`);
  const epochs: number[] = [];
  const values: Record<CurveMetric, number[]> = { loss: [], accuracy: [], valLoss: [], valAccuracy: [], testLoss: [], testAccuracy: [] };
  // Whether each optional split is present, decided by the first epoch and checked at every other.
  const present: Partial<Record<CurveSplit, boolean>> = {};
  run.epochs.forEach((e, i) => {
    if (typeof e !== 'object' || e === null) throw new InvalidArgumentError(`${what}: entry ${i} is not an epoch log object`);
    const epoch = finiteNumber(e.epoch, `${what}, entry ${i}: epoch`);
    if (!Number.isInteger(epoch) || epoch < 0) throw new InvalidArgumentError(`${what}, entry ${i}: epoch must be a non-negative integer, got ${epoch}`);
    if (i > 0 && epoch <= epochs[i - 1]!) throw new InvalidArgumentError(`${what}: epochs must increase, but epoch ${epoch} follows ${epochs[i - 1]}`);
    epochs.push(epoch);
    values.loss.push(finiteNumber(e.loss, `${what}, epoch ${epoch}: loss`));
    values.accuracy.push(finiteNumber(e.accuracy, `${what}, epoch ${epoch}: accuracy`));
    for (const split of ['validation', 'test'] as const) {
      const v = splitValues(e, split, `${what}, epoch ${epoch}`);
      const here = v !== undefined;
      const first = present[split];
      if (first === undefined) present[split] = here;
      else if (first !== here) {
        throw new InvalidArgumentError(`${what}: ${split} metrics are ${here ? 'present' : 'missing'} at epoch ${epoch} but ${here ? 'missing' : 'present'} at epoch ${epochs[0]}`);
      }
      if (v) {
        values[SPLIT_METRICS[split][0]].push(v[0]);
        values[SPLIT_METRICS[split][1]].push(v[1]);
      }
    }
  });
  // Before validation existed, runConfig wrote the test metrics into both val* and test* of metrics.jsonl.
  // Validation and test parts are disjoint, so equal values at every epoch mean such a file: its val* is the
  // test set, and is drawn as test only (never as validation, never with a best epoch chosen on it).
  const legacy = present.validation && present.test
    && values.valLoss.every((v, i) => v === values.testLoss[i]) && values.valAccuracy.every((v, i) => v === values.testAccuracy[i]);
  const kept: Partial<Record<CurveMetric, number[]>> = { loss: values.loss, accuracy: values.accuracy };
  for (const split of ['validation', 'test'] as const) {
    if (present[split] && !(legacy && split === 'validation')) for (const key of SPLIT_METRICS[split]) kept[key] = values[key];
  }
  return { epochs, values: kept };
}

/**
 * Groups runs by label (in order of first appearance) and computes mean and sample standard deviation
 * per epoch and metric.
 * @throws {@link InvalidArgumentError} for no runs, a run without epochs, or a missing, NaN or infinite
 *   value (naming the label, seed, epoch and metric); {@link ShapeError} when the runs of one label have
 *   different epochs, or only some of them have validation or test metrics.
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
    for (const split of ['validation', 'test'] as const) {
      const key = SPLIT_METRICS[split][0];
      if ((key in g.values[0]!) !== (key in values)) {
        throw new ShapeError(`learning curves: only some runs labelled "${run.label}" have ${split} metrics (${what} ${key in values ? 'has' : 'has none'})`);
      }
    }
    g.seeds.push(run.seed);
    g.values.push(values);
  });
  return [...groups.entries()].map(([name, g]) => {
    const metrics: Partial<Record<CurveMetric, CurveStats>> = {};
    for (const key of ['loss', 'accuracy', 'valLoss', 'valAccuracy', 'testLoss', 'testAccuracy'] as const) {
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

/**
 * The best epoch (0-based) of a group by a validation metric's mean: the highest accuracy or the lowest
 * loss, the earliest on ties (as model selection picks it: only a strict improvement moves it). `undefined`
 * when the group has no validation metrics.
 * @example bestValidationEpoch(summariseRuns(history.epochs)[0]!, 'valLoss')
 */
export function bestValidationEpoch(group: CurveGroup, monitor: CurveMonitor = 'valAccuracy'): number | undefined {
  if (monitor !== 'valAccuracy' && monitor !== 'valLoss') throw new InvalidArgumentError(`monitor must be "valAccuracy" or "valLoss", got "${String(monitor)}"`);
  const values = group.metrics[monitor]?.mean;
  if (!values) return undefined;
  const sign = monitor === 'valAccuracy' ? 1 : -1;
  let best = 0;
  values.forEach((v, i) => {
    if (sign * v > sign * values[best]!) best = i;
  });
  return group.epochs[best];
}

function describeEpochs(e: readonly number[]): string {
  return `${e.length} epoch${e.length === 1 ? '' : 's'} (${e[0]}..${e[e.length - 1]})`;
}

/** The name of a split's curves in the legend: the split alone for one label, else the label with the split. */
function curveName(split: CurveSplit, label: string, single: boolean): string {
  if (single) return split;
  // Test keeps the plain label: it is the curve a reader compares across labels.
  return split === 'test' ? label : `${label} (${split === 'train' ? 'train' : 'validation'})`;
}

/** Checks the `splits` and `bestEpoch` options against the groups; returns the splits asked for. */
function checkOptions(options: LearningCurveOptions, groups: readonly CurveGroup[]): readonly CurveSplit[] {
  const splits = options.splits ?? CURVE_SPLITS;
  if (!Array.isArray(splits)) throw new InvalidArgumentError(`splits must be an array of ${CURVE_SPLITS.map((s) => `"${s}"`).join(', ')}`);
  for (const s of splits) {
    if (!CURVE_SPLITS.includes(s)) throw new InvalidArgumentError(`unknown split "${String(s)}"; the splits are ${CURVE_SPLITS.map((x) => `"${x}"`).join(', ')}`);
  }
  if (options.monitor !== undefined && options.monitor !== 'valAccuracy' && options.monitor !== 'valLoss') {
    throw new InvalidArgumentError(`monitor must be "valAccuracy" or "valLoss", got "${String(options.monitor)}"`);
  }
  const best = options.bestEpoch;
  if (best !== undefined && best !== null) {
    if (groups.length !== 1) throw new InvalidArgumentError(`bestEpoch marks one run's best epoch, but there are ${groups.length} labels; leave it out to mark each label's best validation accuracy`);
    const epochs = groups[0]!.epochs;
    if (!Number.isInteger(best) || !epochs.includes(best)) {
      throw new InvalidArgumentError(`bestEpoch ${String(best)} is not an epoch of the run (0-based; it has ${describeEpochs(epochs)})`);
    }
  }
  return splits;
}

/**
 * Loss (left) and accuracy (right) per epoch, one colour per label: test solid, validation dashed, training
 * dotted, each drawn when the runs have it. The mean over seeds with a +-std band when a label has several
 * runs. The best epoch (by `options.monitor`, or `options.bestEpoch`) is marked with a star on the
 * validation curves, and with a vertical line when there is one label.
 *
 * @param runs - one run's epoch logs, or `{ label, seed, epochs }` per run (grouped by `label`).
 * @throws see {@link summariseRuns}; {@link InvalidArgumentError} for an unknown split, splits none of which
 *   the runs have, or a `bestEpoch` that is not one of the run's epochs.
 * @example
 * learningCurves(history.epochs);
 * learningCurves(readJsonLines('runs/mnist-quick/metrics.jsonl'), { bestEpoch: result.bestEpoch });
 * learningCurves([{ label: 'SET', seed: 0, epochs: a }, { label: 'SET', seed: 1, epochs: b }, { label: 'static', seed: 0, epochs: c }]);
 */
export function learningCurves(runs: readonly EpochMetrics[] | readonly LabeledRun[], options: LearningCurveOptions = {}): Figure {
  const groups = summariseRuns(runs, options.label ?? 'run');
  const band = options.band ?? 'std';
  if (!['std', 'sem', 'none'].includes(band)) throw new InvalidArgumentError(`band must be "std", "sem" or "none", got "${band}"`);
  const splits = checkOptions(options, groups);
  const percent = options.percent ?? true;
  const single = groups.length === 1;
  const data: Partial<ScatterData>[] = [];
  const shapes: NonNullable<FigureLayout['shapes']> = [];
  let drawn = 0;
  groups.forEach((g, gi) => {
    const color = seriesColor(gi);
    const x = g.epochs.map((e) => e + 1);
    for (const split of CURVE_SPLITS) {
      if (!splits.includes(split)) continue;
      const keys = SPLIT_METRICS[split];
      if (!g.metrics[keys[0]]) continue;
      const name = curveName(split, g.label, single);
      const style = SPLIT_STYLE[split];
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
            fillcolor: withAlpha(color, style.band),
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
          line: { color, width: 1.5, dash: style.dash },
          marker: { color, size: 4 },
          name,
          legendgroup: name,
          showlegend: panel === 0,
          hovertemplate: `${name}<br>epoch %{x}<br>${key} %{y:.4g}${g.runs > 1 ? ` (mean of ${g.runs})` : ''}<extra></extra>`,
        });
        drawn++;
      });
      if (split === 'validation') {
        const best = options.bestEpoch === undefined ? bestValidationEpoch(g, options.monitor) : options.bestEpoch;
        if (best === null || best === undefined) continue;
        const i = g.epochs.indexOf(best);
        const markName = single ? 'best (validation)' : `${g.label}: best (validation)`;
        keys.forEach((key, panel) => {
          const k = panel === 1 && percent ? 100 : 1;
          data.push({
            type: 'scatter',
            mode: 'markers',
            ...(panel === 0 ? { xaxis: 'x', yaxis: 'y' } : { xaxis: 'x2', yaxis: 'y2' }),
            x: [best + 1],
            y: [g.metrics[key]!.mean[i]! * k],
            marker: { color, size: 11, symbol: 'star', line: { color: '#000000', width: 0.75 } },
            name: markName,
            legendgroup: markName,
            showlegend: panel === 0,
            hovertemplate: `${markName}: epoch %{x}<br>${key} %{y:.4g}<extra></extra>`,
          });
          // One label: a vertical line through both panels makes the chosen epoch easy to read off.
          if (single) shapes.push({ type: 'line', xref: panel === 0 ? 'x' : 'x2', yref: panel === 0 ? 'y domain' : 'y2 domain', x0: best + 1, x1: best + 1, y0: 0, y1: 1, line: { color: '#7f7f7f', width: 1, dash: 'dot' } });
        });
      }
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
      ...(shapes.length ? { shapes } : {}),
    },
    options,
    1.75,
  );
}
