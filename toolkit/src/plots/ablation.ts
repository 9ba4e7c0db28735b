/**
 * Ablation figures from a results table given as plain rows, one per run:
 * `{ policy: 'set', zeta: 0.3, seed: 0, testAccuracy: 0.97, testAccuracyAtBest: 0.975, connections: 89797, ... }`
 * (`testAccuracy` is the final model's; `testAccuracyAtBest` the model's of the best validation epoch).
 * - {@link ablationComparison}: a metric grouped by the varied keys, as dots with the seeds' spread (the
 *   default: the mean of each setting and an interval, min-max or +-1 std, on an axis fitted to the data so
 *   that differences of a fraction of a percent show), bars from zero, or box plots (every run shown);
 * - {@link accuracyVsConnections}: accuracy against the number of connections (or training FLOPs), one
 *   line per method (SET, static sparse, dense), with the seeds' spread.
 * Keys, values and metrics are labelled by plots/labels ("Evolution policy", "SET", "Test accuracy (%)").
 *
 * @packageDocumentation
 */
import type { BarData, BoxData, ScatterData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import type { AxisLayout, Figure } from './figure';
import { keyLabel, metricLabel, settingLabel, valueLabel } from './labels';
import { finiteNumber, meanStd } from './summary';
import { logTicks, paperAxis, seriesColor, styledFigure, withAlpha, type PlotOptions } from './style';

/** One run of an ablation: the varied keys, the seed and the measured metrics. */
export type AblationRow = Readonly<Record<string, unknown>>;

function checkRows(rows: readonly AblationRow[], what: string): void {
  if (!Array.isArray(rows) || rows.length === 0) throw new InvalidArgumentError(`${what}: no rows given; expected one object per run`);
  rows.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidArgumentError(`${what}: row ${i} is not an object`);
  });
}

function keyValue(row: AblationRow, key: string, i: number, what: string): string {
  if (!(key in row)) {
    throw new InvalidArgumentError(`${what}: row ${i} has no key "${key}"; its keys are: ${Object.keys(row).join(', ')}`);
  }
  const v = row[key];
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function metricValue(row: AblationRow, key: string, i: number, what: string, scale: number): number {
  if (!(key in row)) throw new InvalidArgumentError(`${what}: row ${i} has no metric "${key}"; its keys are: ${Object.keys(row).join(', ')}`);
  return finiteNumber(row[key], `${what}: row ${i}, ${key}`) * scale;
}

/**
 * Whether a metric is a fraction to show in percent, by default: names ending in "accuracy", or in
 * "AccuracyAtBest" (a result's `testAccuracyAtBest`, the test accuracy of the best validation epoch's model).
 */
function isAccuracy(metric: string): boolean {
  return /accuracy(AtBest)?$/i.test(metric);
}

/** How the spread over seeds is drawn: the smallest to the largest value, or the mean +- 1 sample std. */
export type SpreadKind = 'range' | 'std';

/** Options of {@link ablationComparison}. */
export interface AblationOptions extends PlotOptions {
  /** The varied keys to group by (at least one). */
  readonly groupBy: readonly string[];
  /** The metric (default `"testAccuracy"`). */
  readonly metric?: string;
  /**
   * `'points'` (default): a dot at each setting's mean with the seeds' spread as an interval, on an axis
   * fitted to the data; `'bar'`: bars from zero with the spread as error bars; `'box'`: box plots with
   * every run as a point.
   */
  readonly kind?: 'points' | 'bar' | 'box';
  /** The spread of `'points'` and `'bar'`: `'range'` (min-max over seeds, default) or `'std'` (+-1 sample std). */
  readonly spread?: SpreadKind;
  /** The key coloured (one trace per value); default the last of `groupBy` when there are two or more. */
  readonly colorBy?: string;
  /** Show accuracies in percent (default: true for metrics whose name ends in "accuracy" or "AccuracyAtBest"). */
  readonly percent?: boolean;
  /** y axis title (default: the metric's label, e.g. "Test accuracy (%)", and what the interval is). */
  readonly yTitle?: string;
}

/** The groups of an ablation: for each colour value and x category, the metric values. */
export interface AblationGroup {
  /** The value of the colour key (as a string; `''` without one). */
  readonly color: string;
  /** The x category: the value of the single x key, or `key=value, ...` of several (an identifier, not a label). */
  readonly category: string;
  /** The x keys' values of the category, by key (for labels). */
  readonly keys: Readonly<Record<string, string>>;
  readonly values: number[];
}

/**
 * Groups rows by `groupBy`: the x category is made of the keys other than `colorBy`, the colour is the
 * value of `colorBy` (or one colour when it is absent). Order: first appearance.
 * @throws {@link InvalidArgumentError} for no rows, a row without a key, or a non-finite metric.
 */
export function groupAblation(rows: readonly AblationRow[], options: AblationOptions): AblationGroup[] {
  const what = 'ablation comparison';
  checkRows(rows, what);
  const groupBy = options.groupBy;
  check(Array.isArray(groupBy) && groupBy.length > 0, `${what}: groupBy must name at least one key`);
  const metric = options.metric ?? 'testAccuracy';
  const scale = (options.percent ?? isAccuracy(metric)) ? 100 : 1;
  const colorBy = options.colorBy ?? (groupBy.length > 1 ? groupBy[groupBy.length - 1] : undefined);
  const xKeys = groupBy.filter((k) => k !== colorBy);
  const groups = new Map<string, AblationGroup>();
  rows.forEach((row, i) => {
    const color = colorBy !== undefined ? keyValue(row, colorBy, i, what) : '';
    const keys = Object.fromEntries(xKeys.map((k) => [k, keyValue(row, k, i, what)]));
    const category = xKeys.length === 0 ? 'all' : xKeys.map((k) => (xKeys.length === 1 ? keys[k] : `${k}=${keys[k]}`)).join(', ');
    const id = JSON.stringify([color, category]);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { color, category, keys, values: [] }));
    g.values.push(metricValue(row, metric, i, what, scale));
  });
  return [...groups.values()];
}

/** A setting's centre and interval over seeds: `mean`, and the distances `below` and `above` it. */
interface Interval {
  readonly mean: number;
  readonly below: number;
  readonly above: number;
  readonly n: number;
}

function interval(values: readonly number[], spread: SpreadKind, what: string): Interval {
  const s = meanStd(values, what);
  if (spread === 'std') return { mean: s.mean, below: s.std, above: s.std, n: s.n };
  return { mean: s.mean, below: s.mean - Math.min(...values), above: Math.max(...values) - s.mean, n: s.n };
}

/** What the interval of a figure is, for its axis title and hover text. */
function spreadWords(spread: SpreadKind): string {
  return spread === 'range' ? 'min–max over seeds' : '±1 std over seeds';
}

/**
 * An axis range around `[lo, hi]` with a margin of 12% of the span (at least 0.5% of the magnitude, so
 * one value still gets a visible range), kept inside `[0, 100]` for percentages: the axis shows the
 * differences between settings instead of starting at zero.
 */
export function fittedRange(lo: number, hi: number, percent: boolean): [number, number] {
  check(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi, () => `fittedRange needs finite lo <= hi, got [${lo}, ${hi}]`);
  const pad = Math.max((hi - lo) * 0.12, Math.abs(hi) * 0.005, 1e-9);
  let a = lo - pad, b = hi + pad;
  if (percent) {
    a = Math.max(0, a);
    b = Math.min(100, b);
    if (b <= a) [a, b] = [Math.max(0, lo - 0.5), Math.min(100, hi + 0.5)];
  }
  return [a, b];
}

/**
 * A metric of an ablation grouped by the varied keys, labelled for people ("Evolution policy", "SET",
 * "Test accuracy (%)"): by default a dot at each setting's mean with the seeds' spread (min-max) as an
 * interval on an axis fitted to the data; or bars from zero; or box plots with every run as a point.
 * The count of runs is in the hover text.
 * @throws see {@link groupAblation}.
 * @example ablationComparison(rows, { groupBy: ['zeta', 'policy'] })
 */
export function ablationComparison(rows: readonly AblationRow[], options: AblationOptions): Figure {
  const groups = groupAblation(rows, options);
  const kind = options.kind ?? 'points';
  check(kind === 'points' || kind === 'bar' || kind === 'box', () => `kind must be "points", "bar" or "box", got "${String(kind)}"`);
  const spread = options.spread ?? 'range';
  check(spread === 'range' || spread === 'std', () => `spread must be "range" or "std", got "${String(spread)}"`);
  const metric = options.metric ?? 'testAccuracy';
  const percent = options.percent ?? isAccuracy(metric);
  const colorBy = options.colorBy ?? (options.groupBy.length > 1 ? options.groupBy[options.groupBy.length - 1] : undefined);
  const colors = [...new Set(groups.map((g) => g.color))];
  const xKeys = options.groupBy.filter((k) => k !== colorBy);
  // Categories by first appearance, each with its label; the axis lists the labels in that order.
  const categories = new Map<string, string>();
  for (const g of groups) {
    if (!categories.has(g.category)) categories.set(g.category, xKeys.length === 0 ? 'All runs' : xKeys.length === 1 ? valueLabel(xKeys[0]!, g.keys[xKeys[0]!]) : settingLabel(g.keys));
  }
  const label = (category: string) => categories.get(category)!;
  const yLabel = metricLabel(metric, percent);
  const many = groups.some((g) => g.values.length > 1);
  let lo = Infinity, hi = -Infinity;
  const data: (Partial<BarData> | Partial<BoxData> | Partial<ScatterData>)[] = colors.map((c, ci) => {
    const own = groups.filter((g) => g.color === c);
    const name = colorBy !== undefined ? valueLabel(colorBy, c) : yLabel;
    const color = seriesColor(ci);
    if (kind === 'box') {
      const xs: string[] = [], ys: number[] = [];
      for (const g of own) for (const v of g.values) {
        xs.push(label(g.category));
        ys.push(v);
      }
      const box: Partial<BoxData> = {
        type: 'box', name, x: xs, y: ys, boxpoints: 'all', jitter: 0.3, pointpos: 0,
        marker: { color, size: 3 }, line: { color, width: 1 }, fillcolor: withAlpha(color, 0.25),
      };
      return box;
    }
    const stats = own.map((g) => interval(g.values, spread, `${name}, ${label(g.category)}`));
    for (const s of stats) {
      lo = Math.min(lo, s.mean - s.below);
      hi = Math.max(hi, s.mean + s.above);
    }
    const errorY = { type: 'data' as const, symmetric: false, array: stats.map((s) => s.above), arrayminus: stats.map((s) => s.below), visible: many, thickness: 1.2, width: 4 };
    const hover = `${name}<br>%{x}: %{y:.4g} (${spreadWords(spread)}: %{customdata[1]:.4g}–%{customdata[2]:.4g}, n = %{customdata[0]})<extra></extra>`;
    const customdata = stats.map((s) => [s.n, s.mean - s.below, s.mean + s.above]) as unknown as BarData['customdata'];
    if (kind === 'bar') {
      const bar: Partial<BarData> = {
        type: 'bar', name, x: own.map((g) => label(g.category)), y: stats.map((s) => s.mean),
        error_y: { ...errorY, color: '#000000' }, marker: { color, line: { width: 0 } }, customdata, hovertemplate: hover,
      };
      return bar;
    }
    const dots: Partial<ScatterData> = {
      type: 'scatter', mode: 'markers', name, x: own.map((g) => label(g.category)), y: stats.map((s) => s.mean),
      error_y: { ...errorY, color },
      marker: { color, size: 7, symbol: MARKERS[ci % MARKERS.length] as 'circle' },
      customdata: customdata as ScatterData['customdata'], hovertemplate: hover,
    };
    return dots;
  });
  const interval_ = kind === 'box' ? 'boxes: quartiles, points: seeds' : `${kind === 'bar' ? 'bar' : 'dot'}: mean${many ? `, whiskers: ${spreadWords(spread)}` : ''}`;
  const yaxisExtra: AxisLayout = kind === 'points' && Number.isFinite(lo) ? { range: fittedRange(lo, hi, percent), autorange: false } : {};
  return styledFigure(
    data,
    {
      xaxis: paperAxis(xKeys.length === 1 ? keyLabel(xKeys[0]!) : undefined, { type: 'category', showgrid: false, categoryorder: 'array', categoryarray: [...categories.values()] }),
      yaxis: paperAxis(options.yTitle ?? `${yLabel}<br>${interval_}`, yaxisExtra),
      ...(kind === 'bar' ? { barmode: 'group' as const, bargap: 0.25 } : kind === 'box' ? { boxmode: 'group' as const } : { scattermode: 'group', scattergap: 0.5 }),
      showlegend: colorBy !== undefined,
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom', ...(colorBy !== undefined ? { title: { text: `${keyLabel(colorBy)}:` } } : {}) },
      margin: { t: options.title ? 44 : 28 },
      meta: { spread: kind === 'box' ? 'quartiles' : spread },
    },
    options,
    1.4,
  );
}

const MARKERS = ['circle', 'square', 'diamond', 'triangle-up', 'cross', 'x', 'star', 'hexagon'];

/** Options of {@link accuracyVsConnections}. */
export interface AccuracyVsConnectionsOptions extends PlotOptions {
  /** The key naming the method of each row (default `"method"`), e.g. "SET", "static", "dense". */
  readonly seriesBy?: string;
  /**
   * The key naming the setting of each row (e.g. its axes without the seed): rows of one series and one
   * setting are one point, at their mean x with the seeds' spread in both directions. Without it, rows of
   * one series are one point per exact x value (so seeds whose connection counts differ a little would
   * become separate points: give `pointBy` for Erdős–Rényi topologies).
   */
  readonly pointBy?: string;
  /** The x key (default `"connections"`; `"trainingFlops"` for accuracy against training cost). */
  readonly x?: string;
  /** The y metric (default `"testAccuracy"`). */
  readonly y?: string;
  /** Logarithmic x axis (default true). */
  readonly logX?: boolean;
  /** Show accuracies in percent (default: true for metrics ending in "accuracy" or "AccuracyAtBest"). */
  readonly percent?: boolean;
  /** The spread over seeds: `'range'` (min-max, default) or `'std'`. */
  readonly spread?: SpreadKind;
  /** Join the points of a series with lines (default true). */
  readonly lines?: boolean;
  /** Series labels (default: {@link valueLabel} of `seriesBy`'s values). */
  readonly seriesLabel?: (value: string) => string;
}

/**
 * Accuracy against the number of connections (or another cost such as training FLOPs), one line per
 * method: the mean over seeds of each setting, with the seeds' spread in y (and in x where the seeds'
 * counts differ). A dense baseline appears as a single point at its connection count.
 * @throws {@link InvalidArgumentError} for no rows, a row without the keys, or a non-finite value.
 * @example accuracyVsConnections(rows, { seriesBy: 'policy', pointBy: 'model.sparsity.eps' })
 */
export function accuracyVsConnections(rows: readonly AblationRow[], options: AccuracyVsConnectionsOptions = {}): Figure {
  const what = 'accuracy vs connections';
  checkRows(rows, what);
  const seriesBy = options.seriesBy ?? 'method';
  const xKey = options.x ?? 'connections';
  const yKey = options.y ?? 'testAccuracy';
  const percent = options.percent ?? isAccuracy(yKey);
  const spread = options.spread ?? 'range';
  check(spread === 'range' || spread === 'std', () => `spread must be "range" or "std", got "${String(spread)}"`);
  const series = new Map<string, Map<string, { xs: number[]; ys: number[] }>>();
  rows.forEach((row, i) => {
    const s = keyValue(row, seriesBy, i, what);
    const x = metricValue(row, xKey, i, what, 1);
    const y = metricValue(row, yKey, i, what, percent ? 100 : 1);
    if (options.logX !== false && x <= 0) throw new InvalidArgumentError(`${what}: row ${i} has ${xKey} = ${x}; a log axis needs positive values (pass logX: false)`);
    const point = options.pointBy !== undefined ? keyValue(row, options.pointBy, i, what) : String(x);
    let m = series.get(s);
    if (!m) series.set(s, (m = new Map()));
    let p = m.get(point);
    if (!p) m.set(point, (p = { xs: [], ys: [] }));
    p.xs.push(x);
    p.ys.push(y);
  });
  const xLabel = metricLabel(xKey, false);
  const yLabel = metricLabel(yKey, percent);
  let many = false;
  const data: Partial<ScatterData>[] = [...series.entries()].map(([raw, points], si) => {
    const name = options.seriesLabel ? options.seriesLabel(raw) : valueLabel(seriesBy, raw);
    const stats = [...points.entries()]
      .map(([p, v]) => ({ x: interval(v.xs, spread, `${name} at ${p}`), y: interval(v.ys, spread, `${name} at ${p}`) }))
      .sort((a, b) => a.x.mean - b.x.mean);
    if (stats.some((s) => s.y.n > 1)) many = true;
    const color = seriesColor(si);
    const spreadX = stats.some((s) => s.x.below > 0 || s.x.above > 0);
    return {
      type: 'scatter',
      mode: options.lines === false ? 'markers' : 'lines+markers',
      name,
      x: stats.map((s) => s.x.mean),
      y: stats.map((s) => s.y.mean),
      error_y: { type: 'data', symmetric: false, array: stats.map((s) => s.y.above), arrayminus: stats.map((s) => s.y.below), visible: true, thickness: 1, width: 3, color },
      ...(spreadX ? { error_x: { type: 'data', symmetric: false, array: stats.map((s) => s.x.above), arrayminus: stats.map((s) => s.x.below), visible: true, thickness: 1, width: 3, color } } : {}),
      line: { color, width: 1.5 },
      marker: { color, size: 6, symbol: MARKERS[si % MARKERS.length] as 'circle' },
      customdata: stats.map((s) => s.y.n),
      hovertemplate: `${name}<br>${xLabel} %{x:.4s}<br>${yLabel} %{y:.4g} (n = %{customdata})<extra></extra>`,
    } as Partial<ScatterData>;
  });
  // Every x the figure spans, whiskers included, for the log axis's ticks.
  const xs = data.flatMap((t) => (t.x as number[]).flatMap((x, i) => [x - ((t.error_x as { arrayminus?: number[] } | undefined)?.arrayminus?.[i] ?? 0), x + ((t.error_x as { array?: number[] } | undefined)?.array?.[i] ?? 0)]));
  return styledFigure(
    data,
    {
      xaxis: paperAxis(xLabel, { ...(options.logX !== false ? { type: 'log' as const, ...logTicks(Math.min(...xs), Math.max(...xs)) } : {}) }),
      yaxis: paperAxis(`${yLabel}<br>dot: mean${many ? `, whiskers: ${spreadWords(spread)}` : ''}`),
      legend: { x: 1, xanchor: 'right', y: 0, yanchor: 'bottom' },
      showlegend: data.length > 1,
      meta: { spread },
    },
    options,
    1.4,
  );
}
