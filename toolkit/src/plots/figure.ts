/**
 * The figure description every plot builder returns: plotly.js traces, a layout and optional animation
 * frames, as plain JSON-serialisable data. Nothing here draws; {@link "plots/show".show} displays a figure
 * in a notebook and {@link "plots/export".saveFigure} writes it to a file.
 *
 * @packageDocumentation
 */
import type { Data, Frame, Layout, LayoutAxis } from 'plotly.js-dist';

/** One cartesian axis of a layout (`layout.xaxis`, `layout.yaxis2`, ...). */
export type AxisLayout = Partial<LayoutAxis>;

/**
 * A plotly layout. plotly's own type names only `xaxis` and `yaxis`; subplots add `xaxis2`, `yaxis3`, ...
 */
export type FigureLayout = Partial<Layout> & {
  [axis: `xaxis${number}`]: AxisLayout | undefined;
  [axis: `yaxis${number}`]: AxisLayout | undefined;
};

/**
 * A plotly figure: `data` (traces), `layout`, and `frames` for animated figures. Plain data: it can be
 * serialised with `JSON.stringify`, changed by hand, and passed to `Plotly.newPlot` as it is.
 */
export interface Figure {
  data: Data[];
  layout: FigureLayout;
  frames?: Frame[];
}

/** A plain object (not an array, not null): merged key by key by {@link mergeLayout}. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/**
 * Deep-merges layout overrides into a layout without modifying either: nested objects are merged key by
 * key, everything else (numbers, strings, arrays) is replaced. A key set to `undefined` in `overrides`
 * is left as in `base`.
 * @example mergeLayout(fig.layout, { xaxis: { title: { text: 'epoch' } }, width: 500 })
 */
export function mergeLayout<T extends object>(base: T, overrides: object | undefined): T {
  if (!overrides) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeLayout(prev, value) : value;
  }
  return out as T;
}

/**
 * Returns a copy of `fig` with `overrides` deep-merged into its layout: the way to change any layout
 * field (fonts, sizes, axis ranges, legend position) of a figure a builder made.
 * @example withLayout(fig, { width: 500, legend: { orientation: 'h' } })
 */
export function withLayout(fig: Figure, overrides: Partial<FigureLayout>): Figure {
  return { ...fig, layout: mergeLayout(fig.layout, overrides) };
}
