/**
 * What evolution did over training, per layer: connections removed and grown at each event, the mean
 * magnitude of the removed weights (SET removes the weights closest to zero, so this stays small while
 * training learns), the overlap (the fraction of connections that survived the event), and, when given,
 * the ITOP rate (Liu et al. 2021: the fraction of all possible weights that were ever active).
 *
 * Input: {@link "evolution/types".EvolutionReport}s (`History.evolution`) or the lines of a run's
 * `evolution.jsonl` (where a NaN magnitude was written as `null`).
 *
 * @packageDocumentation
 */
import type { ScatterData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import type { Figure, FigureLayout } from './figure';
import { finiteNumber } from './summary';
import { paperAxis, seriesColor, styledFigure, type PlotOptions } from './style';

/** One evolution event of one layer (the counts of an `EvolutionReport`). */
export interface EvolutionRecord {
  readonly layer: number;
  readonly epoch: number;
  readonly step: number;
  readonly connections: number;
  readonly dropped: number;
  readonly grown: number;
  /** Mean |w| of the removed weights; NaN or null when none were removed. */
  readonly droppedMeanMagnitude: number | null;
  /** Fraction of the connections kept by the event; default `(connections - dropped) / connections`. */
  readonly overlap?: number;
  /** In-time over-parameterisation rate after the event, if the trainer tracks it. */
  readonly itopRate?: number;
}

/** An ITOP rate measured at a point of training (x in the figure's x units). */
export interface ItopPoint {
  readonly x: number;
  readonly rate: number;
  /** The layer, or absent for the whole network. */
  readonly layer?: number;
}

/** Options of {@link evolutionStats}. */
export interface EvolutionStatsOptions extends PlotOptions {
  /**
   * The x axis: `'epoch'` (1-based epochs completed) or `'step'` (global training step). Default: epoch
   * when every layer evolves at most once per epoch (SET), otherwise step (probabilistic evolution).
   */
  readonly x?: 'epoch' | 'step';
  /** ITOP rates to plot in a fourth panel (in addition to any `itopRate` fields of the records). */
  readonly itop?: readonly ItopPoint[];
}

/**
 * Stacked panels sharing the x axis: removed (solid) and grown (dotted) counts, removed mean |w|, overlap,
 * and the ITOP rate when available; one colour per layer.
 * @throws {@link InvalidArgumentError} for no events (e.g. a static run: show {@link noDataFigure}
 *   instead), a missing or non-finite count, or a missing magnitude where connections were removed.
 * @example evolutionStats(history.evolution)
 */
export function evolutionStats(reports: readonly EvolutionRecord[], options: EvolutionStatsOptions = {}): Figure {
  if (!Array.isArray(reports) || reports.length === 0) {
    throw new InvalidArgumentError('evolution statistics: no evolution events (a static run evolves nothing)');
  }
  const rows = reports.map((r, i) => {
    if (typeof r !== 'object' || r === null) throw new InvalidArgumentError(`evolution statistics: event ${i} is not an object`);
    const what = `evolution event ${i}`;
    const layer = finiteNumber(r.layer, `${what}: layer`);
    const epoch = finiteNumber(r.epoch, `${what}: epoch`);
    const step = finiteNumber(r.step, `${what}: step`);
    const connections = finiteNumber(r.connections, `${what} (layer ${layer}): connections`);
    const dropped = finiteNumber(r.dropped, `${what} (layer ${layer}): dropped`);
    const grown = finiteNumber(r.grown, `${what} (layer ${layer}): grown`);
    const m = r.droppedMeanMagnitude;
    let magnitude: number | null = null;
    if (m === null || m === undefined || Number.isNaN(m)) {
      if (dropped > 0) throw new InvalidArgumentError(`${what} (layer ${layer}): droppedMeanMagnitude is ${m} although ${dropped} connections were removed`);
    } else magnitude = finiteNumber(m, `${what} (layer ${layer}): droppedMeanMagnitude`);
    const overlap = r.overlap !== undefined ? finiteNumber(r.overlap, `${what}: overlap`) : connections > 0 ? (connections - dropped) / connections : null;
    const itop = r.itopRate !== undefined && r.itopRate !== null ? finiteNumber(r.itopRate, `${what}: itopRate`) : null;
    return { layer, epoch, step, dropped, grown, magnitude, overlap, itop };
  });
  let xKind = options.x;
  if (xKind === undefined) {
    const seen = new Set<string>();
    xKind = 'epoch';
    for (const r of rows) {
      const key = `${r.layer}:${r.epoch}`;
      if (seen.has(key)) {
        xKind = 'step';
        break;
      }
      seen.add(key);
    }
  }
  check(xKind === 'epoch' || xKind === 'step', () => `x must be "epoch" or "step", got "${String(xKind)}"`);
  const xOf = (r: { epoch: number; step: number }) => (xKind === 'epoch' ? r.epoch + 1 : r.step);
  const layers = [...new Set(rows.map((r) => r.layer))].sort((a, b) => a - b);
  const itopPoints = [...rows.filter((r) => r.itop !== null).map((r) => ({ x: xOf(r), rate: r.itop!, layer: r.layer as number | undefined })), ...(options.itop ?? [])];
  itopPoints.forEach((p, i) => {
    finiteNumber(p.x, `ITOP point ${i}: x`);
    finiteNumber(p.rate, `ITOP point ${i}: rate`);
  });
  const panels = itopPoints.length > 0 ? 4 : 3;
  const gap = 0.05;
  const h = (1 - gap * (panels - 1)) / panels;
  const domain = (p: number): [number, number] => [Math.max(0, 1 - (p + 1) * h - p * gap), 1 - p * (h + gap)];
  const axis = (p: number) => (p === 0 ? { x: 'x', y: 'y' } : { x: 'x', y: `y${p + 1}` });
  const mode = rows.length / layers.length <= 40 ? 'lines+markers' : 'lines';
  const data: Partial<ScatterData>[] = [];
  layers.forEach((layer, li) => {
    const color = seriesColor(li);
    const own = rows.filter((r) => r.layer === layer).sort((a, b) => xOf(a) - xOf(b));
    const x = own.map(xOf);
    // Layers are numbered from 1 in every figure's labels (spy-layer-1 is the first weight layer).
    const name = `layer ${layer + 1}`;
    const line = (y: (number | null)[], p: number, extra: Partial<ScatterData> = {}): Partial<ScatterData> => ({
      type: 'scatter', mode, x, y, name, legendgroup: name, showlegend: false, xaxis: 'x', yaxis: axis(p).y,
      line: { color, width: 1.2 }, marker: { color, size: 3 }, ...extra,
    });
    data.push(line(own.map((r) => r.dropped), 0, { showlegend: true }));
    data.push(line(own.map((r) => r.grown), 0, { name: `${name} grown`, line: { color, width: 1.2, dash: 'dot' }, mode: 'lines' }));
    data.push(line(own.map((r) => r.magnitude), 1));
    data.push(line(own.map((r) => r.overlap), 2));
  });
  if (panels === 4) {
    const groups = [...new Set(itopPoints.map((p) => p.layer))];
    groups.forEach((g) => {
      const pts = itopPoints.filter((p) => p.layer === g).sort((a, b) => a.x - b.x);
      const li = g === undefined ? -1 : layers.indexOf(g);
      data.push({
        type: 'scatter', mode: 'lines', x: pts.map((p) => p.x), y: pts.map((p) => p.rate), xaxis: 'x', yaxis: 'y4',
        name: g === undefined ? 'network' : `layer ${g + 1}`, legendgroup: g === undefined ? 'network' : `layer ${g + 1}`,
        showlegend: g === undefined || li < 0, line: { color: li >= 0 ? seriesColor(li) : '#000000', width: 1.2 },
      });
    });
  }
  const titles = ['removed / grown', 'removed mean |w|', 'overlap', 'ITOP rate'];
  const layout: Partial<FigureLayout> & Record<string, unknown> = {
    // The shared x axis sits under the bottom panel.
    xaxis: paperAxis(xKind === 'epoch' ? 'epoch' : 'training step', { anchor: `y${panels}` as 'y', domain: [0, 1] }),
    legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.01, yanchor: 'bottom' },
    margin: { t: options.title ? 44 : 26 },
  };
  for (let p = 0; p < panels; p++) {
    const key = p === 0 ? 'yaxis' : `yaxis${p + 1}`;
    layout[key] = paperAxis(titles[p], {
      domain: domain(p), anchor: 'x', title: { text: titles[p], font: { size: 9 } },
      ...(p === 2 || p === 3 ? { rangemode: 'tozero' as const } : {}),
    });
  }
  const xs = rows.map(xOf);
  if (xKind === 'epoch' && Math.max(...xs) - Math.min(...xs) <= 12) (layout.xaxis as Record<string, unknown>).dtick = 1;
  return styledFigure(data, layout, options, panels === 4 ? 1.1 : 1.4);
}
