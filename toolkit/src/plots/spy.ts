/**
 * The connectivity pattern of one layer (a "spy" plot): which (output, input) positions are connected.
 * Large layers are binned into at most `maxBins` x `maxBins` blocks showing the fraction of each block
 * that is connected; the counting walks the CSR entries once and never builds the dense matrix.
 *
 * @packageDocumentation
 */
import type { HeatmapData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import { CsrMatrix } from '../sparse/csr';
import type { Figure } from './figure';
import { paperAxis, styledFigure, type PlotOptions } from './style';

/** Block counts of a layer's connectivity. */
export interface SpyBins {
  /** Rows (outputs) and columns (inputs) per block. */
  readonly blockRows: number;
  readonly blockCols: number;
  /** Number of blocks down and across. */
  readonly binRows: number;
  readonly binCols: number;
  /** Connections per block, row-major (`binRows * binCols`). */
  readonly counts: Int32Array;
  /** Fraction of each block's positions that are connected (edge blocks may be smaller). */
  readonly density: Float64Array;
}

/**
 * Counts the connections of `w` in blocks of `ceil(rows / maxBins)` x `ceil(cols / maxBins)` positions,
 * in O(nnz) time and O(maxBins^2) memory.
 * @throws {@link InvalidArgumentError} unless maxBins is a positive integer.
 */
export function spyBins(w: CsrMatrix, maxBins = 200): SpyBins {
  check(Number.isInteger(maxBins) && maxBins >= 1, () => `maxBins must be a positive integer, got ${maxBins}`);
  const blockRows = Math.max(1, Math.ceil(w.rows / maxBins));
  const blockCols = Math.max(1, Math.ceil(w.cols / maxBins));
  const binRows = Math.ceil(w.rows / blockRows);
  const binCols = Math.ceil(w.cols / blockCols);
  const counts = new Int32Array(binRows * binCols);
  for (let r = 0; r < w.rows; r++) {
    const base = Math.floor(r / blockRows) * binCols;
    for (let k = w.rowPtr[r]!; k < w.rowPtr[r + 1]!; k++) counts[base + Math.floor(w.colIdx[k]! / blockCols)]!++;
  }
  const density = new Float64Array(counts.length);
  for (let br = 0; br < binRows; br++) {
    const h = Math.min(blockRows, w.rows - br * blockRows);
    for (let bc = 0; bc < binCols; bc++) {
      const wd = Math.min(blockCols, w.cols - bc * blockCols);
      density[br * binCols + bc] = counts[br * binCols + bc]! / (h * wd);
    }
  }
  return { blockRows, blockCols, binRows, binCols, counts, density };
}

/** Options of {@link spyPlot}. */
export interface SpyOptions extends PlotOptions {
  /** Most blocks per axis (default 200; a layer at most this size is drawn position by position). */
  readonly maxBins?: number;
  /** Name of the layer in the panel title (default "layer"). */
  readonly label?: string;
}

/**
 * The connectivity pattern of a layer: inputs across, outputs down, darker where more positions are
 * connected. Titled with the shape, the number of connections and the block size.
 * @throws {@link InvalidArgumentError} when `w` is not a CsrMatrix or has no rows or columns.
 * @example spyPlot(layer.weights, { label: 'layer 1' })
 */
export function spyPlot(w: CsrMatrix, options: SpyOptions = {}): Figure {
  if (!(w instanceof CsrMatrix)) throw new InvalidArgumentError('spy plot: expected a CsrMatrix');
  if (w.rows === 0 || w.cols === 0) throw new InvalidArgumentError(`spy plot: the layer is ${w.rows} x ${w.cols}; nothing to draw`);
  const bins = spyBins(w, options.maxBins ?? 200);
  const exact = bins.blockRows === 1 && bins.blockCols === 1;
  const z = Array.from({ length: bins.binRows }, (_, r) => Array.from(bins.density.subarray(r * bins.binCols, (r + 1) * bins.binCols)));
  let zmax = 0;
  for (const v of bins.density) zmax = Math.max(zmax, v);
  const centre = (b: number, size: number, n: number) => Math.min(b * size + (size - 1) / 2, n - 1);
  const trace: Partial<HeatmapData> = {
    type: 'heatmap',
    z,
    x: Array.from({ length: bins.binCols }, (_, b) => centre(b, bins.blockCols, w.cols)),
    y: Array.from({ length: bins.binRows }, (_, b) => centre(b, bins.blockRows, w.rows)),
    zmin: 0,
    zmax: zmax > 0 ? zmax : 1,
    colorscale: [[0, '#FFFFFF'], [1, '#000000']],
    showscale: !exact,
    colorbar: { title: { text: 'density', side: 'right' }, thickness: 8, len: 0.9, outlinewidth: 0 },
    hovertemplate: exact ? 'output %{y}, input %{x}: %{z}<extra></extra>' : 'block at output %{y}, input %{x}<br>density %{z:.3f}<extra></extra>',
  };
  const label = options.label ?? 'layer';
  const subtitle = `${label}: ${w.cols} → ${w.rows}, ${w.nnz.toLocaleString('en-US')} connections (${(100 * w.density).toPrecision(3)}%)` +
    (exact ? '' : `; blocks of ${bins.blockRows} × ${bins.blockCols}`);
  // The figure follows the layer's shape, within limits that keep a tall or flat layer readable.
  const aspect = Math.min(1.8, Math.max(0.8, w.cols / w.rows));
  return styledFigure(
    [trace],
    {
      xaxis: paperAxis('input neuron', { showgrid: false, mirror: true, range: [-0.5, w.cols - 0.5], constrain: 'domain' }),
      yaxis: paperAxis('output neuron', { showgrid: false, mirror: true, range: [w.rows - 0.5, -0.5], constrain: 'domain' }),
      annotations: [{ text: subtitle, xref: 'paper', yref: 'paper', x: 0.5, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 9 } }],
      margin: { t: options.title ? 46 : 28, r: exact ? 10 : 4 },
      meta: { blockRows: bins.blockRows, blockCols: bins.blockCols },
    },
    options,
    aspect,
  );
}
