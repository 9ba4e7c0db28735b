/**
 * Weight histograms, one panel per layer: magnitudes |w| by default, or signed values (which show the gap
 * SET's signed-magnitude pruning cuts around zero). Bins are counted here, so a figure of a large network
 * carries a few hundred numbers, not every weight.
 *
 * @packageDocumentation
 */
import type { BarData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import { CsrMatrix } from '../sparse/csr';
import type { Figure, FigureLayout } from './figure';
import { histogram } from './summary';
import { paperAxis, panelAxes, panelDomains, panelTitle, seriesColor, styledFigure, type PlotOptions } from './style';

/** The weights of one layer: `{ label, values }`, or a CsrMatrix (labelled "layer i"). */
export type WeightLayer = { readonly label: string; readonly values: ArrayLike<number> } | CsrMatrix;

/** Options of {@link weightHistograms}. */
export interface WeightHistogramOptions extends PlotOptions {
  /** Bins per layer (default 50). */
  readonly bins?: number;
  /** Signed values instead of magnitudes (default false: |w|). */
  readonly signed?: boolean;
  /** Logarithmic count axis (default false). */
  readonly logY?: boolean;
  /** Panels per row (default: up to 4 in one row). */
  readonly columns?: number;
}

/**
 * A histogram of the weights of every layer, one panel each, in the palette's colours.
 * @throws {@link InvalidArgumentError} for no layers or a non-finite weight (naming layer and index).
 *   A layer without weights gets a "no connections" panel.
 * @example weightHistograms(sparseLayers.map((l, i) => ({ label: `layer ${i + 1}`, values: l.weights.values })))
 */
export function weightHistograms(layers: readonly WeightLayer[], options: WeightHistogramOptions = {}): Figure {
  if (!Array.isArray(layers) || layers.length === 0) throw new InvalidArgumentError('weight histograms: no layers given');
  const bins = options.bins ?? 50;
  check(Number.isInteger(bins) && bins >= 1, () => `bins must be a positive integer, got ${bins}`);
  const signed = options.signed ?? false;
  const columns = Math.min(options.columns ?? Math.min(layers.length, 4), layers.length);
  check(Number.isInteger(columns) && columns >= 1, () => `columns must be a positive integer, got ${columns}`);
  const domains = panelDomains(layers.length, columns, 0.1, 0.25);
  const layout: Partial<FigureLayout> & Record<string, unknown> = { showlegend: false, annotations: [], bargap: 0, margin: { t: options.title ? 44 : 24 } };
  const annotations = layout.annotations!;
  const data: Partial<BarData>[] = [];
  layers.forEach((layer, i) => {
    const label = layer instanceof CsrMatrix ? `layer ${i + 1}` : layer.label;
    const values = layer instanceof CsrMatrix ? layer.values : layer.values;
    if (typeof label !== 'string' || !values || typeof values.length !== 'number') {
      throw new InvalidArgumentError(`weight histograms: layer ${i} must be a CsrMatrix or { label, values }`);
    }
    const ax = panelAxes(i);
    const dom = domains[i]!;
    annotations.push(panelTitle(`${label} (${values.length.toLocaleString('en-US')})`, dom));
    layout[ax.xKey] = paperAxis(signed ? 'weight' : '|weight|', { domain: dom.x, anchor: ax.y, showgrid: false });
    layout[ax.yKey] = paperAxis(i % columns === 0 ? 'connections' : undefined, { domain: dom.y, anchor: ax.x, ...(options.logY ? { type: 'log' as const } : {}) });
    if (values.length === 0) {
      annotations.push({ text: 'no connections', xref: `${ax.x} domain` as 'paper', yref: `${ax.y} domain` as 'paper', x: 0.5, y: 0.5, showarrow: false });
      return;
    }
    const v = signed ? values : Float64Array.from({ length: values.length }, (_, k) => Math.abs(values[k]!));
    let max = 0;
    for (let k = 0; k < v.length; k++) {
      const x = v[k]!;
      if (!Number.isFinite(x)) throw new InvalidArgumentError(`weight histograms: ${label}, weight ${k} is ${x}; expected a finite number`);
      max = Math.max(max, Math.abs(x));
    }
    if (max === 0) max = 1;
    const h = histogram(v, bins, signed ? [-max, max] : [0, max], label);
    const width = h.edges[1]! - h.edges[0]!;
    data.push({
      type: 'bar',
      x: Array.from(h.counts, (_, b) => (h.edges[b]! + h.edges[b + 1]!) / 2),
      y: Array.from(h.counts),
      width,
      name: label,
      xaxis: ax.x,
      yaxis: ax.y,
      marker: { color: seriesColor(i), line: { width: 0 } },
      hovertemplate: `${label}<br>%{x:.3g}: %{y} connections<extra></extra>`,
    });
  });
  const rows = Math.ceil(layers.length / columns);
  return styledFigure(data, layout, options, (columns * 1.3) / (rows * 1.05), undefined, columns > 2 ? 'double' : 'single');
}
