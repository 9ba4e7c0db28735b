/**
 * Figures of feature importance (issue 19): which input features a network found, and whether they are the
 * ones that matter.
 *
 * - {@link importanceMaps}: importance per input reshaped to the samples' shape (MNIST pixels, 28 x 28), one
 *   panel per ranking (SET against static sparse, or one method at several epochs), side by side.
 * - {@link recoveryCurves}: precision and recall at k of the truly relevant features against k, one line
 *   per method (the mean over seeds, with a +-std band), with the chance level of a random ranking.
 * - {@link manhattanPlot}: importance per marker index over a genome-wide panel of markers, the way GWAS
 *   results are drawn, with the causal markers marked.
 *
 * All of them take plain numbers (scores per feature, precision per k), so they draw any ranking: a
 * `FeatureRanking`'s `scores`, a baseline's, or values read back from a CSV.
 *
 * @packageDocumentation
 */
import type { Data } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError, ShapeError } from '../core/errors';
import { imageShapeFor } from './connectivity';
import type { AxisLayout, Figure, FigureLayout } from './figure';
import { meanStd } from './summary';
import { OKABE_ITO, paperAxis, panelAxes, panelDomains, panelTitle, seriesColor, styledFigure, withAlpha, type PlotOptions } from './style';

/** One panel of {@link importanceMaps}: a label and one score per input feature (higher = more important). */
export interface ImportanceMap {
  readonly label: string;
  readonly scores: ArrayLike<number>;
}

/**
 * How {@link importanceMaps} puts rankings of different units on one colour scale:
 * - `'max'` (default): each panel divided by its own largest score, so 1 is the panel's most important
 *   feature and 0 none (strength, degree and persistence have different units and ranges);
 * - `'rank'`: each feature's percentile rank within its panel (1 the best, 0 the worst), which shows the
 *   order alone and is immune to a few outlying scores;
 * - `'none'`: the raw scores on one shared scale (only meaningful for panels of one method).
 */
export type ImportanceScale = 'max' | 'rank' | 'none';

/** Options of {@link importanceMaps}. */
export interface ImportanceMapOptions extends PlotOptions {
  /**
   * The samples' shape, e.g. a data set's `sampleShape` (`[28, 28]` for MNIST); a shape with one axis of
   * size 1 (`[1, 28, 28]`, `[28, 28, 1]`) is drawn as the other two. Default: a square image.
   */
  readonly imageShape?: readonly number[];
  /** Default `'max'` (see {@link ImportanceScale}). */
  readonly scale?: ImportanceScale;
  /** Panels per row (default: all in one row, at most 4). */
  readonly columns?: number;
  /** A plotly colour scale (default "Viridis": colour-blind safe, monotone in lightness). */
  readonly colorscale?: string;
}

/** `[rows, cols]` of an image from a sample shape: 2 axes, or 3 with one of size 1. */
function imageShapeOf(n: number, shape: readonly number[] | undefined): [number, number] {
  if (shape === undefined) return imageShapeFor(n);
  if (!Array.isArray(shape)) throw new InvalidArgumentError(`imageShape must be an array of sizes, e.g. [28, 28], got ${typeof shape}`);
  const kept = shape.length === 3 ? shape.filter((d, i) => !(d === 1 && shape.indexOf(1) === i)) : shape;
  if (kept.length !== 2) {
    throw new ShapeError(`importance maps draw 2-dimensional samples; imageShape [${shape.join(', ')}] is not [rows, columns] (or 3 axes with one of size 1)`);
  }
  return imageShapeFor(n, [kept[0]!, kept[1]!]);
}

/** Each feature's percentile rank in `s`: 1 for the largest score, 0 for the smallest (ties share the best). */
function percentileRanks(s: Float64Array): Float64Array {
  const n = s.length;
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b]! - s[a]! || a - b);
  const out = new Float64Array(n);
  let at = 0;
  while (at < n) {
    let end = at + 1;
    while (end < n && s[order[end]!] === s[order[at]!]) end++;
    const r = n === 1 ? 1 : 1 - at / (n - 1);
    for (let i = at; i < end; i++) out[order[i]!] = r;
    at = end;
  }
  return out;
}

/** The scores of a panel, checked: finite and as many as the first panel's. */
function scoresOf(m: ImportanceMap, i: number, what: string): Float64Array {
  if (typeof m !== 'object' || m === null || typeof m.label !== 'string') throw new InvalidArgumentError(`${what}: entry ${i} must be { label, scores }`);
  if (!m.scores || typeof m.scores.length !== 'number') throw new InvalidArgumentError(`${what}: "${m.label}" has no scores (one number per feature)`);
  const s = Float64Array.from(m.scores);
  s.forEach((v, f) => {
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${what}: "${m.label}", feature ${f} has score ${v}; expected a finite number`);
  });
  return s;
}

/**
 * Feature importance drawn as images, one panel per ranking on one colour scale: where in the image the
 * important inputs lie. On MNIST, SET gathers the connections and the weight of the input layer on the
 * digits' strokes and leaves the border empty (Mocanu et al. 2018, their figure of input connectivity);
 * a static sparse network keeps its random wiring, so only its weights can tell.
 *
 * @param maps - one `{ label, scores }` per panel, all with as many scores as the image has pixels.
 * @throws {@link InvalidArgumentError} for no maps, a non-finite score or a bad option; {@link ShapeError}
 *   when the maps have different lengths or the image shape does not hold them.
 * @example
 * importanceMaps([
 *   { label: 'SET', scores: inputStrength(setModel) },
 *   { label: 'static', scores: inputStrength(staticModel) },
 * ], { imageShape: train.sampleShape });
 */
export function importanceMaps(maps: readonly ImportanceMap[], options: ImportanceMapOptions = {}): Figure {
  const what = 'importance maps';
  if (!Array.isArray(maps) || maps.length === 0) throw new InvalidArgumentError(`${what}: no rankings given; expected [{ label, scores }, ...]`);
  const raw = maps.map((m, i) => scoresOf(m, i, what));
  const n = raw[0]!.length;
  if (n === 0) throw new InvalidArgumentError(`${what}: "${maps[0]!.label}" has no features`);
  raw.forEach((s, i) => {
    if (s.length !== n) throw new ShapeError(`${what}: "${maps[i]!.label}" has ${s.length} scores, "${maps[0]!.label}" has ${n}`);
  });
  const shape = imageShapeOf(n, options.imageShape);
  const scale = options.scale ?? 'max';
  check(['max', 'rank', 'none'].includes(scale), () => `scale must be "max", "rank" or "none", got "${String(scale)}"`);
  const values = raw.map((s) => {
    if (scale === 'rank') return percentileRanks(s);
    if (scale === 'none') return s;
    let hi = 0;
    for (const v of s) hi = Math.max(hi, Math.abs(v));
    return hi > 0 ? s.map((v) => v / hi) : s;
  });
  let zmin = Infinity, zmax = -Infinity;
  for (const v of values) for (const x of v) { zmin = Math.min(zmin, x); zmax = Math.max(zmax, x); }
  if (scale !== 'none') zmin = Math.min(0, zmin);
  if (zmax <= zmin) zmax = zmin + 1;
  const barTitle = scale === 'max' ? 'relative importance' : scale === 'rank' ? 'percentile rank' : 'importance';
  const columns = options.columns ?? Math.min(maps.length, 4);
  check(Number.isInteger(columns) && columns >= 1, () => `columns must be a positive integer, got ${columns}`);
  const perRow = Math.min(columns, maps.length), rowsOfPanels = Math.ceil(maps.length / perRow);
  const domains = panelDomains(maps.length, perRow, 0.03, 0.1);
  const imageAxis = (extra: AxisLayout): AxisLayout => ({ showticklabels: false, ticks: '', showgrid: false, zeroline: false, showline: true, linecolor: '#000000', mirror: true, constrain: 'domain', ...extra });
  const layout: Partial<FigureLayout> & Record<string, unknown> = {
    coloraxis: {
      colorscale: options.colorscale ?? 'Viridis',
      cmin: zmin,
      cmax: zmax,
      colorbar: { title: { text: barTitle, side: 'right' }, thickness: 10, len: 0.9, outlinewidth: 0 },
    },
    annotations: maps.map((m, i) => panelTitle(m.label, domains[i]!)),
    margin: { l: 8, r: 8, t: options.title ? 40 : 22, b: 8 },
  };
  const [rows, cols] = shape;
  const data: Data[] = maps.map((m, i) => {
    const ax = panelAxes(i);
    layout[ax.xKey] = imageAxis({ domain: domains[i]!.x, anchor: ax.y, scaleanchor: ax.y });
    layout[ax.yKey] = imageAxis({ domain: domains[i]!.y, anchor: ax.x, autorange: 'reversed' });
    const v = values[i]!;
    return {
      type: 'heatmap',
      z: Array.from({ length: rows }, (_, r) => Array.from(v.subarray(r * cols, (r + 1) * cols))),
      coloraxis: 'coloraxis',
      name: m.label,
      xaxis: ax.x,
      yaxis: ax.y,
      hovertemplate: `${m.label}<br>row %{y}, column %{x}<br>${barTitle} %{z:.3g}<extra></extra>`,
    } as Data;
  });
  // Wide enough for `perRow` images plus the colour bar, tall enough for `rowsOfPanels` rows of them.
  const figureAspect = (perRow * (cols / rows) + 0.35) / (rowsOfPanels * 1.12);
  return styledFigure(data, layout, options, figureAspect, undefined, perRow > 2 ? 'double' : 'single');
}

/** Precision and recall of the top k features (the shape of features/evaluation's `RecoveryAtK`). */
export interface RecoveryPoint {
  readonly k: number;
  readonly precision: number;
  readonly recall: number;
}

/** One ranking's recovery curve: the method's label (runs of one label are one line), its seed, its points. */
export interface RecoveryRun {
  readonly label: string;
  readonly seed?: number;
  /** Points in increasing k, e.g. `recoveryCurve(ranking, relevant, 50)`. */
  readonly curve: readonly RecoveryPoint[];
}

/** Options of {@link recoveryCurves}. */
export interface RecoveryCurveOptions extends PlotOptions {
  /** Which panels (default both, precision left). */
  readonly metrics?: readonly ('precision' | 'recall')[];
  /** Band around each mean: `'std'` (default, +-1 sample standard deviation over seeds), `'sem'`, `'none'`. */
  readonly band?: 'std' | 'sem' | 'none';
  /**
   * Draws the expectation of a random ranking, dashed grey: precision `nRelevant / nFeatures` at every k,
   * recall `k / nFeatures`.
   */
  readonly chance?: { readonly nRelevant: number; readonly nFeatures: number };
  /** A vertical dotted line at this k (e.g. the number of relevant features, where precision and recall meet). */
  readonly markK?: number;
}

/**
 * Recovery curves: precision and recall at k of the relevant features against k, one line per label (the
 * mean over its seeds, with a band), so rankings are compared over the whole top of the list, not at one k.
 *
 * @throws {@link InvalidArgumentError} for no runs, an empty curve, a value outside [0, 1], a k that is not a
 *   positive integer or does not increase, or a bad option; {@link ShapeError} when the runs of one label
 *   have different k.
 * @example
 * recoveryCurves(runs.map((r) => ({ label: r.method, seed: r.seed, curve: recoveryCurve(r.ranking, relevant, 60) })),
 *   { chance: { nRelevant: 20, nFeatures: 500 }, markK: 20 });
 */
export function recoveryCurves(runs: readonly RecoveryRun[], options: RecoveryCurveOptions = {}): Figure {
  const what = 'recovery curves';
  if (!Array.isArray(runs) || runs.length === 0) throw new InvalidArgumentError(`${what}: no runs given; expected [{ label, seed, curve }, ...]`);
  const metrics: readonly ('precision' | 'recall')[] = options.metrics ?? ['precision', 'recall'];
  check(Array.isArray(options.metrics ?? metrics) && metrics.length > 0 && metrics.every((m) => m === 'precision' || m === 'recall') && new Set(metrics).size === metrics.length,
    () => `metrics must be a non-empty list of "precision" and "recall", got ${JSON.stringify(metrics)}`);
  const band = options.band ?? 'std';
  check(['std', 'sem', 'none'].includes(band), () => `band must be "std", "sem" or "none", got "${String(band)}"`);
  const groups = new Map<string, { ks: number[]; seeds: (number | undefined)[]; precision: number[][]; recall: number[][] }>();
  runs.forEach((run, r) => {
    if (typeof run !== 'object' || run === null || typeof run.label !== 'string' || run.label === '') throw new InvalidArgumentError(`${what}: run ${r} has no label (a non-empty string)`);
    const who = `"${run.label}"${run.seed !== undefined ? ` (seed ${run.seed})` : ''}`;
    const curve: readonly RecoveryPoint[] = run.curve;
    if (!Array.isArray(curve) || curve.length === 0) throw new InvalidArgumentError(`${what}: ${who} has no points; expected [{ k, precision, recall }, ...]`);
    const ks: number[] = [], p: number[] = [], rc: number[] = [];
    run.curve.forEach((pt: RecoveryPoint, i: number) => {
      if (!(Number.isInteger(pt?.k) && pt.k >= 1)) throw new InvalidArgumentError(`${what}: ${who}, point ${i}: k must be a positive integer, got ${pt?.k}`);
      if (i > 0 && pt.k <= ks[i - 1]!) throw new InvalidArgumentError(`${what}: ${who}: k must increase, but ${pt.k} follows ${ks[i - 1]}`);
      for (const m of ['precision', 'recall'] as const) {
        const v = pt[m];
        if (!(typeof v === 'number' && v >= 0 && v <= 1)) throw new InvalidArgumentError(`${what}: ${who}, k ${pt.k}: ${m} is ${v}; expected a number in [0, 1]`);
      }
      ks.push(pt.k);
      p.push(pt.precision);
      rc.push(pt.recall);
    });
    const g = groups.get(run.label);
    if (!g) groups.set(run.label, { ks, seeds: [run.seed], precision: [p], recall: [rc] });
    else {
      if (g.ks.length !== ks.length || g.ks.some((k, i) => k !== ks[i])) throw new ShapeError(`${what}: the runs labelled "${run.label}" have different k (${g.ks.length} points in the first, ${ks.length} in ${who})`);
      g.seeds.push(run.seed);
      g.precision.push(p);
      g.recall.push(rc);
    }
  });
  if (options.markK !== undefined) check(Number.isFinite(options.markK) && options.markK > 0, () => `markK must be a positive number, got ${options.markK}`);
  const chance = options.chance;
  if (chance) {
    check(Number.isInteger(chance.nFeatures) && chance.nFeatures >= 1 && Number.isInteger(chance.nRelevant) && chance.nRelevant >= 1 && chance.nRelevant <= chance.nFeatures,
      () => `chance must be { nRelevant, nFeatures } with 1 <= nRelevant <= nFeatures, got ${JSON.stringify(chance)}`);
  }

  const data: Data[] = [];
  const domains = panelDomains(metrics.length, metrics.length, 0.12, 0);
  let kMax = 0;
  for (const g of groups.values()) kMax = Math.max(kMax, g.ks[g.ks.length - 1]!);
  const layout: Partial<FigureLayout> & Record<string, unknown> = {
    legend: { orientation: 'h', x: 0, y: -0.22, xanchor: 'left', yanchor: 'top' },
    margin: { b: 44 },
    shapes: [] as NonNullable<FigureLayout['shapes']>,
  };
  metrics.forEach((metric, panel) => {
    const ax = panelAxes(panel);
    layout[ax.xKey] = paperAxis('k (top features)', { domain: domains[panel]!.x, anchor: ax.y, rangemode: 'tozero' });
    layout[ax.yKey] = paperAxis(`${metric} at k`, { domain: [0, 1], anchor: ax.x, range: [0, 1.02] });
    let gi = 0;
    for (const [label, g] of groups) {
      const color = seriesColor(gi++);
      const stats = g.ks.map((_, i) => meanStd(g[metric].map((v) => v[i]!), `${what}: "${label}" ${metric}`));
      const mean = stats.map((s) => s.mean);
      if (band !== 'none' && g.seeds.length > 1) {
        const spread = stats.map((s) => (band === 'sem' ? s.std / Math.sqrt(s.n) : s.std));
        data.push({
          type: 'scatter', mode: 'lines', xaxis: ax.x, yaxis: ax.y,
          x: [...g.ks, ...[...g.ks].reverse()],
          y: [...mean.map((m, i) => Math.min(1, m + spread[i]!)), ...mean.map((m, i) => Math.max(0, m - spread[i]!)).reverse()],
          fill: 'toself', fillcolor: withAlpha(color, 0.18), line: { width: 0, color },
          hoverinfo: 'skip', showlegend: false, legendgroup: label, name: `${label} +-${band}`,
        });
      }
      data.push({
        type: 'scatter', mode: 'lines', xaxis: ax.x, yaxis: ax.y, x: g.ks, y: mean,
        line: { color, width: 1.5 }, name: label, legendgroup: label, showlegend: panel === 0,
        hovertemplate: `${label}<br>k %{x}<br>${metric} %{y:.3f}${g.seeds.length > 1 ? ` (mean of ${g.seeds.length} seeds)` : ''}<extra></extra>`,
      });
    }
    if (chance) {
      const ks = Array.from({ length: kMax }, (_, i) => i + 1);
      data.push({
        type: 'scatter', mode: 'lines', xaxis: ax.x, yaxis: ax.y, x: ks,
        y: ks.map((k) => (metric === 'precision' ? chance.nRelevant / chance.nFeatures : Math.min(1, k / chance.nFeatures))),
        line: { color: '#7F7F7F', width: 1, dash: 'dash' }, name: 'chance', legendgroup: 'chance', showlegend: panel === 0,
        hovertemplate: `chance<br>k %{x}<br>${metric} %{y:.3f}<extra></extra>`,
      });
    }
    if (options.markK !== undefined) {
      (layout.shapes as object[]).push({ type: 'line', xref: ax.x, yref: `${ax.y} domain`, x0: options.markK, x1: options.markK, y0: 0, y1: 1, line: { color: '#000000', width: 0.75, dash: 'dot' } });
    }
  });
  return styledFigure(data, layout, options, metrics.length === 2 ? 1.9 : 1.35, undefined, metrics.length === 2 ? 'double' : 'single');
}

/** Options of {@link manhattanPlot}. */
export interface ManhattanOptions extends PlotOptions {
  /** The truly relevant (causal) markers, drawn on top with their exact scores and ranks. */
  readonly relevant?: ArrayLike<number>;
  /** Legend name of the relevant markers (default `"causal"`). */
  readonly relevantLabel?: string;
  /**
   * Most points drawn for the other markers (default 10,000): with more markers than this, consecutive
   * markers are binned and each bin is drawn as its highest-scoring marker, at that marker's index.
   */
  readonly maxPoints?: number;
  /** Contiguous groups of markers drawn in alternating colours, like chromosomes (default 1). */
  readonly chromosomes?: number;
  /** A dashed line at the score of the k-th best marker: what a top-k selection keeps. */
  readonly topK?: number;
  /** y axis title (default `"importance"`). */
  readonly yTitle?: string;
  /** x axis title (default `"marker"`). */
  readonly xTitle?: string;
}

/**
 * A Manhattan-style plot: the importance of every marker against its index, with the causal markers
 * marked, so one sees whether they stand out of the background and whether their LD neighbours rise with them.
 *
 * Size. A plot of 200,000 markers drawn point by point holds 200,000 (x, y) pairs: about 4 MB of JSON in
 * every notebook and HTML export, and an SVG export with 200,000 nodes. A Manhattan plot is read by its
 * peaks, so beyond `maxPoints` the markers are binned (`ceil(n / maxPoints)` consecutive markers per bin)
 * and each bin keeps its maximum, drawn at the index of the marker that has it: every peak stays exactly
 * where and as high as it is, and only markers that are not the highest of their bin are left out (all of
 * them lie below a drawn point a few indices away). The file grows with `maxPoints`, not with the markers.
 * The causal markers are never binned. Plain SVG `scatter` traces are used (not `scattergl`), so static
 * exports from a headless browser without WebGL show them.
 *
 * @param scores - one finite score per marker (higher = more important).
 * @throws {@link InvalidArgumentError} for no scores, a non-finite score, a relevant marker out of range or
 *   a bad option.
 * @example
 * manhattanPlot(ranking.scores, { relevant: g.relevantFeatures, topK: 100 });
 */
export function manhattanPlot(scores: ArrayLike<number>, options: ManhattanOptions = {}): Figure {
  const what = 'manhattan plot';
  if (!scores || typeof scores.length !== 'number' || scores.length === 0) throw new InvalidArgumentError(`${what}: no scores given; expected one number per marker`);
  const n = scores.length;
  for (let m = 0; m < n; m++) {
    const v = scores[m]!;
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${what}: marker ${m} has score ${v}; expected a finite number`);
  }
  const maxPoints = options.maxPoints ?? 10_000;
  check(Number.isInteger(maxPoints) && maxPoints >= 1, () => `maxPoints must be a positive integer, got ${maxPoints}`);
  const chromosomes = options.chromosomes ?? 1;
  check(Number.isInteger(chromosomes) && chromosomes >= 1 && chromosomes <= n, () => `chromosomes must be an integer in [1, ${n}], got ${chromosomes}`);
  const relevant = Array.from(options.relevant ?? [], Number);
  relevant.forEach((m) => {
    if (!(Number.isInteger(m) && m >= 0 && m < n)) throw new InvalidArgumentError(`${what}: relevant marker ${m} is not an index in [0, ${n})`);
  });
  const isRelevant = new Uint8Array(n);
  for (const m of relevant) isRelevant[m] = 1;

  // The background: every marker, or the maximum of each bin of consecutive markers (relevant ones excluded:
  // they are drawn on their own, exactly).
  const width = Math.ceil(n / maxPoints);
  const chromosomeOf = (m: number) => Math.min(chromosomes - 1, Math.floor((m * chromosomes) / n));
  const xs: number[][] = [[], []], ys: number[][] = [[], []];
  for (let lo = 0; lo < n; lo += width) {
    let best = -1;
    for (let m = lo; m < Math.min(n, lo + width); m++) if (!isRelevant[m] && (best < 0 || scores[m]! > scores[best]!)) best = m;
    if (best < 0) continue;
    const c = chromosomeOf(best) % 2;
    xs[c]!.push(best);
    ys[c]!.push(scores[best]!);
  }
  const sorted = Float64Array.from(scores).sort().reverse();
  const rankOf = (v: number) => {
    // 1 + the number of markers scoring strictly higher (binary search in the descending copy).
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! > v) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const binned = width > 1 ? ` (max of each ${width} markers)` : '';
  const data: Data[] = [0, 1].filter((c) => xs[c]!.length > 0 || c === 0).map((c) => ({
    type: 'scatter', mode: 'markers', x: xs[c]!, y: ys[c]!,
    marker: { color: c === 0 ? OKABE_ITO.blue : OKABE_ITO.skyBlue, size: 3, opacity: 0.8 },
    name: `markers${binned}`,
    legendgroup: 'markers', showlegend: c === 0,
    hovertemplate: `marker %{x}<br>score %{y:.4g}<extra></extra>`,
  } as Data));
  if (relevant.length > 0) {
    data.push({
      type: 'scatter', mode: 'markers', x: relevant, y: relevant.map((m) => scores[m]!),
      text: relevant.map((m) => `rank ${rankOf(scores[m]!)} of ${n}`),
      marker: { color: OKABE_ITO.vermillion, size: 7, symbol: 'diamond', line: { color: '#000000', width: 0.5 } },
      name: options.relevantLabel ?? 'causal',
      hovertemplate: `${options.relevantLabel ?? 'causal'} marker %{x}<br>score %{y:.4g}, %{text}<extra></extra>`,
    });
  }
  const layout: Partial<FigureLayout> = {
    xaxis: paperAxis(options.xTitle ?? 'marker', { range: [-0.005 * n, 1.005 * n], showgrid: false }),
    yaxis: paperAxis(options.yTitle ?? 'importance', { rangemode: 'tozero' }),
    legend: { orientation: 'h', x: 0, y: 1.02, xanchor: 'left', yanchor: 'bottom' },
    margin: { t: 28 },
  };
  if (options.topK !== undefined) {
    const k = options.topK;
    check(Number.isInteger(k) && k >= 1 && k <= n, () => `topK must be an integer in [1, ${n}], got ${k}`);
    layout.shapes = [{ type: 'line', xref: 'paper', yref: 'y', x0: 0, x1: 1, y0: sorted[k - 1]!, y1: sorted[k - 1]!, line: { color: '#000000', width: 0.75, dash: 'dash' } }];
    layout.annotations = [{ text: `top ${k}`, xref: 'paper', yref: 'y', x: 1, y: sorted[k - 1]!, xanchor: 'right', yanchor: 'bottom', showarrow: false, font: { size: 10 } }];
  }
  return styledFigure(data, layout, options, 2.6, undefined, 'double');
}
