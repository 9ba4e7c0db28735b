/**
 * Ablation figures from a results table given as plain rows, one per run:
 * `{ policy: 'set', zeta: 0.3, seed: 0, testAccuracy: 0.97, testAccuracyAtBest: 0.975, connections: 89797, ... }`
 * (`testAccuracy` is the final model's; `testAccuracyAtBest` the model's of the best validation epoch).
 * - {@link ablationComparison}: a metric grouped by the varied keys, as bars (mean +- std over seeds) or
 *   box plots (every run shown);
 * - {@link accuracyVsConnections}: accuracy against the number of connections, one line per method (SET,
 *   static sparse, dense), with error bars over seeds.
 *
 * @packageDocumentation
 */
import type { BarData, BoxData, ScatterData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import type { Figure } from './figure';
import { finiteNumber, meanStd } from './summary';
import { paperAxis, seriesColor, styledFigure, withAlpha, type PlotOptions } from './style';

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

/** Options of {@link ablationComparison}. */
export interface AblationOptions extends PlotOptions {
  /** The varied keys to group by (at least one). */
  readonly groupBy: readonly string[];
  /** The metric (default `"testAccuracy"`). */
  readonly metric?: string;
  /** `'bar'` (mean +- std, default) or `'box'` (distribution, every run as a point). */
  readonly kind?: 'bar' | 'box';
  /** The key coloured (one trace per value); default the last of `groupBy` when there are two or more. */
  readonly colorBy?: string;
  /** Show accuracies in percent (default: true for metrics whose name ends in "accuracy" or "AccuracyAtBest"). */
  readonly percent?: boolean;
  /** y axis title (default: the metric's name). */
  readonly yTitle?: string;
}

/** The groups of an ablation: for each colour value and x category, the metric values. */
export interface AblationGroup {
  readonly color: string;
  readonly category: string;
  readonly values: number[];
}

/**
 * Groups rows by `groupBy`: the x category is `key=value, ...` of the keys other than `colorBy`, the
 * colour is the value of `colorBy` (or one colour when it is absent). Order: first appearance.
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
    const category = xKeys.length === 0 ? 'all' : xKeys.map((k) => (xKeys.length === 1 ? keyValue(row, k, i, what) : `${k}=${keyValue(row, k, i, what)}`)).join(', ');
    const id = JSON.stringify([color, category]);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { color, category, values: [] }));
    g.values.push(metricValue(row, metric, i, what, scale));
  });
  return [...groups.values()];
}

/**
 * A metric of an ablation grouped by the varied keys: bars with +-1 std error bars (the count of runs
 * in the hover text) or box plots with every run as a point.
 * @throws see {@link groupAblation}.
 * @example ablationComparison(rows, { groupBy: ['zeta', 'policy'], kind: 'bar' })
 */
export function ablationComparison(rows: readonly AblationRow[], options: AblationOptions): Figure {
  const groups = groupAblation(rows, options);
  const kind = options.kind ?? 'bar';
  check(kind === 'bar' || kind === 'box', () => `kind must be "bar" or "box", got "${String(kind)}"`);
  const metric = options.metric ?? 'testAccuracy';
  const percent = options.percent ?? isAccuracy(metric);
  const colorBy = options.colorBy ?? (options.groupBy.length > 1 ? options.groupBy[options.groupBy.length - 1] : undefined);
  const colors = [...new Set(groups.map((g) => g.color))];
  const xKeys = options.groupBy.filter((k) => k !== colorBy);
  const data: (Partial<BarData> | Partial<BoxData>)[] = colors.map((c, ci) => {
    const own = groups.filter((g) => g.color === c);
    const name = colorBy !== undefined ? `${colorBy}=${c}` : metric;
    const color = seriesColor(ci);
    if (kind === 'bar') {
      const stats = own.map((g) => meanStd(g.values, `${name}, ${g.category}`));
      const bar: Partial<BarData> = {
        type: 'bar',
        name,
        x: own.map((g) => g.category),
        y: stats.map((s) => s.mean),
        error_y: { type: 'data', array: stats.map((s) => s.std), visible: true, thickness: 1, width: 3, color: '#000000' },
        marker: { color, line: { width: 0 } },
        customdata: stats.map((s) => s.n),
        hovertemplate: `${name}<br>%{x}: %{y:.4g} ± %{error_y.array:.2g} (n = %{customdata})<extra></extra>`,
      };
      return bar;
    }
    const xs: string[] = [], ys: number[] = [];
    for (const g of own) for (const v of g.values) {
      xs.push(g.category);
      ys.push(v);
    }
    const box: Partial<BoxData> = {
      type: 'box', name, x: xs, y: ys, boxpoints: 'all', jitter: 0.3, pointpos: 0,
      marker: { color, size: 3 }, line: { color, width: 1 }, fillcolor: withAlpha(color, 0.25),
    };
    return box;
  });
  return styledFigure(
    data,
    {
      xaxis: paperAxis(xKeys.length === 1 ? xKeys[0] : undefined, { type: 'category', showgrid: false }),
      yaxis: paperAxis(options.yTitle ?? (percent ? `${metric} (%)` : metric)),
      ...(kind === 'bar' ? { barmode: 'group' as const, bargap: 0.25 } : { boxmode: 'group' as const }),
      showlegend: colorBy !== undefined,
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' },
      margin: { t: options.title ? 44 : 28 },
    },
    options,
    1.4,
  );
}

/** Options of {@link accuracyVsConnections}. */
export interface AccuracyVsConnectionsOptions extends PlotOptions {
  /** The key naming the method of each row (default `"method"`), e.g. "SET", "static", "dense". */
  readonly seriesBy?: string;
  /** The x key (default `"connections"`). */
  readonly x?: string;
  /** The y metric (default `"testAccuracy"`). */
  readonly y?: string;
  /** Logarithmic x axis (default true). */
  readonly logX?: boolean;
  /** Show accuracies in percent (default: true for metrics ending in "accuracy" or "AccuracyAtBest"). */
  readonly percent?: boolean;
}

/**
 * Accuracy against the number of connections, one line per method: the mean over seeds at each size,
 * with +-1 std error bars. A dense baseline appears as a single point at its connection count.
 * @throws {@link InvalidArgumentError} for no rows, a row without the keys, or a non-finite value.
 * @example accuracyVsConnections(rows, { seriesBy: 'policy' })
 */
export function accuracyVsConnections(rows: readonly AblationRow[], options: AccuracyVsConnectionsOptions = {}): Figure {
  const what = 'accuracy vs connections';
  checkRows(rows, what);
  const seriesBy = options.seriesBy ?? 'method';
  const xKey = options.x ?? 'connections';
  const yKey = options.y ?? 'testAccuracy';
  const percent = options.percent ?? isAccuracy(yKey);
  const series = new Map<string, Map<number, number[]>>();
  rows.forEach((row, i) => {
    const s = keyValue(row, seriesBy, i, what);
    const x = metricValue(row, xKey, i, what, 1);
    const y = metricValue(row, yKey, i, what, percent ? 100 : 1);
    if (options.logX !== false && x <= 0) throw new InvalidArgumentError(`${what}: row ${i} has ${xKey} = ${x}; a log axis needs positive values (pass logX: false)`);
    let m = series.get(s);
    if (!m) series.set(s, (m = new Map()));
    let ys = m.get(x);
    if (!ys) m.set(x, (ys = []));
    ys.push(y);
  });
  const data: Partial<ScatterData>[] = [...series.entries()].map(([name, byX], si) => {
    const xs = [...byX.keys()].sort((a, b) => a - b);
    const stats = xs.map((x) => meanStd(byX.get(x)!, `${name} at ${xKey}=${x}`));
    const color = seriesColor(si);
    return {
      type: 'scatter',
      mode: 'lines+markers',
      name,
      x: xs,
      y: stats.map((s) => s.mean),
      error_y: { type: 'data', array: stats.map((s) => s.std), visible: true, thickness: 1, width: 3, color },
      line: { color, width: 1.5 },
      marker: { color, size: 6, symbol: ['circle', 'square', 'diamond', 'triangle-up', 'cross'][si % 5] as 'circle' },
      customdata: stats.map((s) => s.n),
      hovertemplate: `${name}<br>${xKey} %{x}<br>${yKey} %{y:.4g} ± %{error_y.array:.2g} (n = %{customdata})<extra></extra>`,
    };
  });
  return styledFigure(
    data,
    {
      xaxis: paperAxis(xKey === 'connections' ? 'connections' : xKey, { ...(options.logX !== false ? { type: 'log' as const } : {}) }),
      yaxis: paperAxis(percent ? `${yKey} (%)` : yKey),
      legend: { x: 1, xanchor: 'right', y: 0, yanchor: 'bottom' },
    },
    options,
    1.4,
  );
}
