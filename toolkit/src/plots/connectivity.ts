/**
 * Input connectivity: how many connections every input feature (pixel) has, drawn as an image, at one
 * or several moments of training, side by side or as an animation with a slider. The SET paper's
 * signature figure: on MNIST the pixels at the centre of the digits gather the connections while the
 * border pixels lose almost all of theirs (Mocanu et al. 2018).
 *
 * @packageDocumentation
 */
import type { HeatmapData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError, ShapeError } from '../core/errors';
import { CsrMatrix } from '../sparse/csr';
import { inDegrees } from '../sparse/stats';
import type { AxisLayout, Figure, FigureLayout } from './figure';
import { panelAxes, panelDomains, panelTitle, styledFigure, type PlotOptions } from './style';

/**
 * The first layer at one moment: its weights (the in-degree of input i is the number of outputs it
 * feeds, `inDegrees(weights)[i]`), or the in-degrees directly.
 */
export type ConnectivitySnapshot =
  | { readonly label: string; readonly weights: CsrMatrix }
  | { readonly label: string; readonly degrees: ArrayLike<number> };

/** Options of {@link inputConnectivity}. */
export interface InputConnectivityOptions extends PlotOptions {
  /** Image shape `[rows, columns]` of the inputs (default: a square, e.g. 28 x 28 for 784 inputs). */
  readonly imageShape?: readonly [number, number];
  /** Panels side by side (`'grid'`, default) or one image with a slider and play button (`'animation'`). */
  readonly mode?: 'grid' | 'animation';
  /** Panels per row in grid mode (default: all in one row, at most 4). */
  readonly columns?: number;
  /** A plotly colour scale (default "Viridis", colour-blind safe and monotone in lightness). */
  readonly colorscale?: string;
}

/** The in-degree per input of each snapshot, checked for length and values. */
function degreesOf(s: ConnectivitySnapshot, i: number): Float64Array {
  if (typeof s !== 'object' || s === null || typeof s.label !== 'string') {
    throw new InvalidArgumentError(`input connectivity: snapshot ${i} must be { label, weights } or { label, degrees }`);
  }
  if ('weights' in s) {
    if (!(s.weights instanceof CsrMatrix)) throw new InvalidArgumentError(`input connectivity: snapshot "${s.label}": weights must be a CsrMatrix`);
    return Float64Array.from(inDegrees(s.weights));
  }
  const d = s.degrees;
  if (!d || typeof d.length !== 'number') throw new InvalidArgumentError(`input connectivity: snapshot "${s.label}" has neither weights nor degrees`);
  const out = Float64Array.from(d as ArrayLike<number>);
  out.forEach((v, k) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError(`input connectivity: snapshot "${s.label}", input ${k} has degree ${v}; expected a non-negative number`);
  });
  return out;
}

/** `[rows, cols]` for `n` inputs: the given shape (checked), or the square root when n is a square. */
export function imageShapeFor(n: number, shape?: readonly [number, number]): [number, number] {
  if (shape) {
    const [r, c] = shape;
    check(Number.isInteger(r) && Number.isInteger(c) && r > 0 && c > 0, () => `imageShape must be two positive integers, got [${r}, ${c}]`);
    if (r * c !== n) throw new ShapeError(`imageShape [${r}, ${c}] holds ${r * c} pixels but the layer has ${n} inputs`);
    return [r, c];
  }
  const side = Math.round(Math.sqrt(n));
  if (side * side !== n) throw new ShapeError(`${n} inputs do not form a square image; pass imageShape: [rows, columns]`);
  return [side, side];
}

/** Reshapes a row-major vector into rows of an image (plotly heatmaps take z as rows). */
function toImage(d: Float64Array, [rows, cols]: [number, number]): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from(d.subarray(r * cols, (r + 1) * cols)));
}

/**
 * The in-degree of every input feature as an image, one panel per snapshot sharing one colour scale (or,
 * with `mode: 'animation'`, one image with a slider over the snapshots; static exports show the first).
 *
 * @param snapshots - the first layer at chosen epochs, or one CsrMatrix for a single image.
 * @throws {@link InvalidArgumentError} for no snapshots or a bad degree; {@link ShapeError} when the
 *   snapshots have different numbers of inputs or the inputs do not fill the image shape.
 * @example
 * inputConnectivity([{ label: 'epoch 0', weights: w0 }, { label: 'epoch 100', weights: w100 }]);
 */
export function inputConnectivity(snapshots: readonly ConnectivitySnapshot[] | CsrMatrix, options: InputConnectivityOptions = {}): Figure {
  const list: readonly ConnectivitySnapshot[] = snapshots instanceof CsrMatrix ? [{ label: 'input layer', weights: snapshots }] : snapshots;
  if (!Array.isArray(list) || list.length === 0) throw new InvalidArgumentError('input connectivity: no snapshots given; expected [{ label, weights }, ...]');
  const degrees = list.map(degreesOf);
  const n = degrees[0]!.length;
  degrees.forEach((d, i) => {
    if (d.length !== n) throw new ShapeError(`input connectivity: snapshot "${list[i]!.label}" has ${d.length} inputs, snapshot "${list[0]!.label}" has ${n}`);
  });
  if (n === 0) throw new InvalidArgumentError('input connectivity: the layer has no inputs');
  const shape = imageShapeFor(n, options.imageShape);
  const mode = options.mode ?? 'grid';
  check(mode === 'grid' || mode === 'animation', () => `mode must be "grid" or "animation", got "${String(mode)}"`);
  let zmax = 0;
  for (const d of degrees) for (const v of d) zmax = Math.max(zmax, v);
  const coloraxis = {
    colorscale: options.colorscale ?? 'Viridis',
    cmin: 0,
    cmax: Math.max(zmax, 1),
    colorbar: { title: { text: 'in-degree', side: 'right' as const }, thickness: 10, len: 0.9, outlinewidth: 0 },
  };
  const imageAxis = (extra: AxisLayout): AxisLayout => ({ showticklabels: false, ticks: '', showgrid: false, zeroline: false, showline: true, linecolor: '#000000', mirror: true, constrain: 'domain', ...extra });
  const heatmap = (d: Float64Array, label: string, axes: { x: string; y: string }): Partial<HeatmapData> => ({
    type: 'heatmap',
    z: toImage(d, shape),
    coloraxis: 'coloraxis',
    name: label,
    xaxis: axes.x,
    yaxis: axes.y,
    hovertemplate: `${label}<br>row %{y}, column %{x}<br>in-degree %{z}<extra></extra>`,
  });
  const aspect = (shape[1] / shape[0]);

  if (mode === 'animation') {
    const layout: Partial<FigureLayout> = {
      coloraxis,
      xaxis: imageAxis({ scaleanchor: 'y', domain: [0, 1] }),
      yaxis: imageAxis({ autorange: 'reversed', domain: [0.22, 1] }),
      annotations: [panelTitle(list[0]!.label, { x: [0, 1], y: [0.22, 1] })],
      margin: { l: 10, r: 10, t: 24, b: 10 },
      sliders: [{
        active: 0,
        x: 0.12,
        len: 0.88,
        y: 0.02,
        pad: { t: 0, b: 0 },
        currentvalue: { visible: false },
        steps: list.map((s) => ({
          label: s.label,
          method: 'animate' as const,
          args: [[s.label], { mode: 'immediate', frame: { duration: 0, redraw: true }, transition: { duration: 0 } }],
        })),
      }],
      updatemenus: [{
        type: 'buttons',
        showactive: false,
        x: 0,
        y: 0.02,
        xanchor: 'left',
        yanchor: 'bottom',
        pad: { t: 0, r: 4 },
        buttons: [{ label: '▶', method: 'animate', args: [null, { fromcurrent: true, frame: { duration: 600, redraw: true }, transition: { duration: 0 } }] }],
      }],
    };
    const frames = list.map((s, i) => ({
      name: s.label,
      data: [heatmap(degrees[i]!, s.label, { x: 'x', y: 'y' })],
      layout: { annotations: [panelTitle(s.label, { x: [0, 1], y: [0.22, 1] })] },
    }));
    return styledFigure([heatmap(degrees[0]!, list[0]!.label, { x: 'x', y: 'y' })], layout, options, 1 / (1.3 / aspect), frames);
  }

  const columns = options.columns ?? Math.min(list.length, 4);
  check(Number.isInteger(columns) && columns >= 1, () => `columns must be a positive integer, got ${columns}`);
  const domains = panelDomains(list.length, Math.min(columns, list.length), 0.03, 0.1);
  const rowsOfPanels = Math.ceil(list.length / columns);
  const layout: Partial<FigureLayout> & Record<string, unknown> = {
    coloraxis,
    annotations: list.map((s, i) => panelTitle(s.label, domains[i]!)),
    margin: { l: 8, r: 8, t: options.title ? 40 : 22, b: 8 },
  };
  const data = list.map((s, i) => {
    const ax = panelAxes(i);
    layout[ax.xKey] = imageAxis({ domain: domains[i]!.x, anchor: ax.y, scaleanchor: ax.y });
    layout[ax.yKey] = imageAxis({ domain: domains[i]!.y, anchor: ax.x, autorange: 'reversed' });
    return heatmap(degrees[i]!, s.label, ax);
  });
  const perRow = Math.min(columns, list.length);
  // Wide enough for `perRow` images plus the colour bar, tall enough for `rowsOfPanels` rows of them.
  const figureAspect = (perRow * aspect * 1.0 + 0.35) / (rowsOfPanels * 1.12);
  return styledFigure(data, layout, options, figureAspect, undefined, perRow > 2 ? 'double' : 'single');
}
