/**
 * The paper style shared by every figure: a colour-blind-safe palette (Okabe and Ito, "Color Universal
 * Design", 2008), sizes for single-column (3.5 in) and double-column (7.16 in) figures of two-column
 * journals (IEEE, ACM, Nature Communications' 180 mm is close to the latter), fonts that print legibly at
 * those sizes, and thin black axes.
 *
 * Sizes are CSS pixels at 96 per inch, plotly's unit; export with a `scale` to reach a print resolution
 * (scale 3.125 gives 300 dpi).
 *
 * @packageDocumentation
 */
import { check } from '../core/assert';
import { mergeLayout, type AxisLayout, type Figure, type FigureLayout } from './figure';

/** The eight Okabe-Ito colours, distinguishable with every common form of colour blindness. */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** Series colours in the order figures use them (yellow, weak on white paper, comes last). */
export const PALETTE: readonly string[] = [
  OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.bluishGreen, OKABE_ITO.orange,
  OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.black, OKABE_ITO.yellow,
];

/** The colour of series `i` (cycles through {@link PALETTE}). */
export function seriesColor(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

/**
 * `#RRGGBB` with an opacity, as `rgba(r,g,b,alpha)` (for shaded bands).
 * @throws {@link InvalidArgumentError} for a colour not of the form `#RRGGBB`.
 */
export function withAlpha(hex: string, alpha: number): string {
  check(/^#[0-9a-fA-F]{6}$/.test(hex), () => `withAlpha needs a colour "#RRGGBB", got "${hex}"`);
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** Column widths of two-column journals, in inches. */
export const COLUMN_WIDTH_INCHES = { single: 3.5, double: 7.16 } as const;
/** plotly's and CSS's pixels per inch. */
export const PX_PER_INCH = 96;
/** Which column width a figure is made for. */
export type Column = keyof typeof COLUMN_WIDTH_INCHES;

/** Inches to plotly (CSS) pixels, rounded. */
export function inchesToPx(inches: number): number {
  return Math.round(inches * PX_PER_INCH);
}

/** The export `scale` that gives `dpi` dots per inch for a figure sized in CSS pixels. */
export function scaleForDpi(dpi: number): number {
  check(Number.isFinite(dpi) && dpi > 0, () => `dpi must be a positive number, got ${dpi}`);
  return dpi / PX_PER_INCH;
}

/** The smallest text a figure has when printed at its print size, in points (journals ask for 6-8 pt). */
export const MIN_FONT_PT = 7;

/**
 * Points per CSS pixel of a figure `widthPx` wide at its print size: figures are drawn at 96 px per inch
 * for their column, so they print at their own size (0.75 pt per px) up to the double-column width; a wider
 * figure is shrunk to 7.16 in, and its text with it.
 */
export function printPointsPerPixel(widthPx: number): number {
  check(Number.isFinite(widthPx) && widthPx > 0, () => `width must be a positive number of pixels, got ${widthPx}`);
  return (72 / PX_PER_INCH) * Math.min(1, inchesToPx(COLUMN_WIDTH_INCHES.double) / widthPx);
}

/** The smallest font size in CSS pixels (rounded up to a half pixel) that prints at {@link MIN_FONT_PT} or more. */
export function minFontPx(widthPx: number): number {
  return Math.ceil((2 * MIN_FONT_PT) / printPointsPerPixel(widthPx) - 1e-9) / 2;
}

// The keys whose value is a font (layout, axes, legend, annotations, colour bars, trace text).
const FONT_KEYS = new Set(['font', 'tickfont', 'titlefont', 'textfont', 'insidetextfont', 'outsidetextfont']);

/**
 * Raises every font size in `value` (a layout or a trace, walked through objects and arrays of objects;
 * arrays of numbers are data and are skipped) below `min` to `min`, in place. Hover labels are screen-only
 * and left alone.
 */
function raiseFonts(value: unknown, min: number): void {
  if (Array.isArray(value)) {
    for (const v of value) if (typeof v === 'object' && v !== null) raiseFonts(v, min);
    return;
  }
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'hoverlabel' || typeof v !== 'object' || v === null) continue;
    if (FONT_KEYS.has(key) && !Array.isArray(v)) {
      const font = v as { size?: unknown };
      if (typeof font.size === 'number' && font.size < min) font.size = min;
    }
    raiseFonts(v, min);
  }
}

/**
 * A number as a tick label in plain digits at full size: SI prefixes from a thousand up (`20k`, `1.5G`),
 * decimals below (`0.002`). plotly's own log-axis labels draw the 2s and 5s between decades at 75% size and
 * powers of ten with 70% superscripts, which print below 7 pt.
 */
export function compactNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const prefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let p = 0;
  while (a >= 1000 ** (p + 1) && p < prefixes.length - 1) p++;
  const scaled = v / 1000 ** p;
  const digits = String(Number(scaled.toPrecision(3)));
  return a >= 1e-4 || a === 0 ? `${digits}${prefixes[p]}` : v.toExponential(0);
}

/**
 * Tick values and labels for a log axis over data from `min` to `max` (positive), when the data span a
 * decade or more (where plotly would label the 2s and 5s small, or powers of ten with superscripts): 1, 2
 * and 5 times each power of ten up to two decades, 1 and 3 up to four, powers of ten alone beyond, all
 * within the data and labelled with {@link compactNumber} at the axis's full font size. Under a decade,
 * plotly's own ticks are full size and are kept (an empty object).
 */
export function logTicks(min: number, max: number): Pick<AxisLayout, 'tickmode' | 'tickvals' | 'ticktext'> {
  check(Number.isFinite(min) && Number.isFinite(max) && min > 0 && max >= min, () => `logTicks needs 0 < min <= max, got [${min}, ${max}]`);
  const decades = Math.log10(max / min);
  if (decades < 1) return {};
  const steps = decades <= 2 ? [1, 2, 5] : decades <= 4 ? [1, 3] : [1];
  const vals: number[] = [];
  for (let k = Math.floor(Math.log10(min)); k <= Math.ceil(Math.log10(max)); k++) {
    for (const m of steps) {
      const v = Number((m * 10 ** k).toPrecision(1));
      if (v >= min * (1 - 1e-12) && v <= max * (1 + 1e-12)) vals.push(v);
    }
  }
  return { tickmode: 'array', tickvals: vals, ticktext: vals.map(compactNumber) };
}

/** The font stack: Liberation Sans (metric-compatible with Arial, installed with Chromium by set-up). */
export const FONT_FAMILY = 'Liberation Sans, Arial, Helvetica, sans-serif';

/**
 * Options every figure builder takes. Sizes default to the column's width and a height from `aspect`.
 * `layout` is deep-merged last, so it can override any layout field the builder set.
 */
export interface PlotOptions {
  /** Figure title (none by default: papers put titles in captions). */
  readonly title?: string;
  /** `'single'` (3.5 in, the default) or `'double'` (7.16 in) column. */
  readonly column?: Column;
  /** Width in CSS pixels (overrides `column`). */
  readonly width?: number;
  /** Height in CSS pixels (overrides the builder's aspect ratio). */
  readonly height?: number;
  /**
   * Base font size in CSS pixels (default 10 for single, 11 for double columns; 10 px is 7.5 pt at print
   * size). No text of a figure is smaller than {@link MIN_FONT_PT} at print size ({@link minFontPx}).
   */
  readonly fontSize?: number;
  /** Any layout fields, deep-merged over everything else. */
  readonly layout?: Partial<FigureLayout>;
}

/** Width and height of a figure from the options and the builder's preferred width/height ratio. */
export function figureSize(options: PlotOptions, aspect: number, defaultColumn: Column = 'single'): { width: number; height: number } {
  const column = options.column ?? defaultColumn;
  check(column in COLUMN_WIDTH_INCHES, () => `column must be "single" or "double", got "${String(column)}"`);
  const width = options.width ?? inchesToPx(COLUMN_WIDTH_INCHES[column]);
  check(Number.isFinite(width) && width > 0, () => `width must be a positive number of pixels, got ${width}`);
  const height = options.height ?? Math.round(width / aspect);
  check(Number.isFinite(height) && height > 0, () => `height must be a positive number of pixels, got ${height}`);
  return { width, height };
}

/** The paper look of one cartesian axis: a black line, outside ticks, faint grid, no zero line. */
export function paperAxis(title?: string, extra: AxisLayout = {}): AxisLayout {
  return mergeLayout<AxisLayout>(
    {
      ...(title !== undefined ? { title: { text: title, standoff: 4 } } : {}),
      showline: true,
      linecolor: '#000000',
      linewidth: 1,
      ticks: 'outside',
      ticklen: 3,
      tickwidth: 1,
      tickcolor: '#000000',
      showgrid: true,
      gridcolor: '#E6E6E6',
      gridwidth: 0.5,
      zeroline: false,
      automargin: true,
    },
    extra,
  );
}

/** The base layout of a paper figure: size, fonts, white background, palette, compact margins, legend. */
export function paperLayout(options: PlotOptions, size: { width: number; height: number }): FigureLayout {
  const min = minFontPx(size.width);
  const fontSize = options.fontSize ?? Math.max(size.width > inchesToPx(5) ? 11 : 10, min);
  check(Number.isFinite(fontSize) && fontSize > 0, () => `fontSize must be a positive number, got ${fontSize}`);
  return {
    width: size.width,
    height: size.height,
    font: { family: FONT_FAMILY, size: fontSize, color: '#000000' },
    paper_bgcolor: '#FFFFFF',
    plot_bgcolor: '#FFFFFF',
    colorway: [...PALETTE],
    margin: { l: 44, r: 10, t: options.title ? 30 : 12, b: 36, pad: 0 },
    ...(options.title ? { title: { text: options.title, font: { size: fontSize + 1 }, x: 0.5, xanchor: 'center' as const } } : {}),
    legend: { font: { size: Math.max(fontSize - 1, min) }, bgcolor: 'rgba(255,255,255,0.8)', borderwidth: 0, tracegroupgap: 2 },
    hovermode: 'closest',
  };
}

/**
 * Assembles a builder's result: the paper layout for the options, then the builder's own layout, then
 * the caller's `options.layout` overrides (deep-merged, in that order).
 */
export function styledFigure(
  data: Figure['data'],
  layout: Partial<FigureLayout>,
  options: PlotOptions,
  aspect: number,
  frames?: Figure['frames'],
  defaultColumn: Column = 'single',
): Figure {
  const size = figureSize(options, aspect, defaultColumn);
  // The caller's overrides are copied: the font floor below changes the merged layout in place.
  const merged = mergeLayout(mergeLayout(paperLayout(options, size), layout), options.layout ? structuredClone(options.layout) : undefined);
  // Every text prints at MIN_FONT_PT or more at the figure's print size, whatever a builder or caller asked
  // for (merged copies are fresh objects; the traces are the builder's own).
  const width = typeof merged.width === 'number' ? merged.width : size.width;
  const min = minFontPx(width);
  raiseFonts(merged, min);
  for (const trace of data) raiseFonts(trace, min);
  return frames ? { data, layout: merged, frames } : { data, layout: merged };
}

/**
 * The domains of `n` panels laid out in `columns` columns, row 0 at the top, with gaps in paper
 * fractions: `{ x: [x0, x1], y: [y0, y1] }` per panel.
 */
export function panelDomains(n: number, columns: number, gapX = 0.08, gapY = 0.12): { x: [number, number]; y: [number, number] }[] {
  const rows = Math.ceil(n / columns);
  const w = (1 - gapX * (columns - 1)) / columns;
  const h = (1 - gapY * (rows - 1)) / rows;
  return Array.from({ length: n }, (_, i) => {
    const r = Math.floor(i / columns), c = i % columns;
    const x0 = c * (w + gapX), y1 = 1 - r * (h + gapY);
    return { x: [round4(x0), round4(x0 + w)], y: [round4(Math.max(0, y1 - h)), round4(y1)] };
  });
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}

/** The name of a cartesian axis as traces and other axes refer to it: `'x'`, `'y2'`, ... */
export type AxisRef = Exclude<NonNullable<AxisLayout['scaleanchor']>, false>;

/** Axis names of panel `i` (0-based): `{ x: 'x', y: 'y', xKey: 'xaxis', yKey: 'yaxis' }`, then `x2`... */
export function panelAxes(i: number): { x: AxisRef; y: AxisRef; xKey: 'xaxis' | `xaxis${number}`; yKey: 'yaxis' | `yaxis${number}` } {
  const s = i === 0 ? '' : String(i + 1);
  return { x: `x${s}` as AxisRef, y: `y${s}` as AxisRef, xKey: i === 0 ? 'xaxis' : `xaxis${i + 1}`, yKey: i === 0 ? 'yaxis' : `yaxis${i + 1}` };
}

/**
 * An annotation placed above a panel, used as the panel's title (plotly has no subplot titles of its own).
 */
export function panelTitle(text: string, domain: { x: [number, number]; y: [number, number] }, fontSize?: number): NonNullable<FigureLayout['annotations']>[number] {
  return {
    text,
    xref: 'paper',
    yref: 'paper',
    x: (domain.x[0] + domain.x[1]) / 2,
    y: domain.y[1],
    xanchor: 'center',
    yanchor: 'bottom',
    showarrow: false,
    ...(fontSize ? { font: { size: fontSize } } : {}),
  };
}

/**
 * An explicit "no data" figure: empty axes with a message in the middle, so that a missing input shows
 * up as a visible statement instead of a blank plot.
 */
export function noDataFigure(message: string, options: PlotOptions = {}): Figure {
  return styledFigure(
    [],
    {
      xaxis: { visible: false },
      yaxis: { visible: false },
      annotations: [{ text: `no data: ${message}`, xref: 'paper', yref: 'paper', x: 0.5, y: 0.5, showarrow: false, font: { size: 12, color: '#555555' } }],
      meta: { noData: message },
    },
    options,
    1.6,
  );
}
