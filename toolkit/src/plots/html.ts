/**
 * Figures as HTML: the plotly.js bundle (read as text from the `plotly.js-dist` package; it cannot be
 * `require`d in Node), a figure as a `<div>` plus the script that draws it, and self-contained HTML
 * documents that open in any browser without a network.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { InvalidArgumentError } from '../core/errors';
import type { Figure } from './figure';

let bundle: string | undefined;

/** Path of the plotly.js bundle inside the installed `plotly.js-dist` package. */
export function plotlyBundlePath(): string {
  return require.resolve('plotly.js-dist/plotly.js');
}

/**
 * The plotly.js bundle as JavaScript source (about 10 MB; read once and cached), made safe to inline in
 * a `<script>` element.
 */
export function plotlyBundle(): string {
  if (bundle === undefined) bundle = fs.readFileSync(plotlyBundlePath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  return bundle;
}

/** The version of the installed plotly.js. */
export function plotlyVersion(): string {
  const pkg = require.resolve('plotly.js-dist/package.json');
  return (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/**
 * Checks that `fig` looks like a figure: `data` an array of trace objects and `layout` an object.
 * @throws {@link InvalidArgumentError} naming what is wrong.
 */
export function checkFigure(fig: Figure, what = 'figure'): void {
  if (typeof fig !== 'object' || fig === null) throw new InvalidArgumentError(`${what} must be a { data, layout } object, got ${fig === null ? 'null' : typeof fig}`);
  if (!Array.isArray(fig.data)) throw new InvalidArgumentError(`${what}.data must be an array of traces`);
  fig.data.forEach((t, i) => {
    if (typeof t !== 'object' || t === null) throw new InvalidArgumentError(`${what}.data[${i}] is not a trace object`);
  });
  if (typeof fig.layout !== 'object' || fig.layout === null) throw new InvalidArgumentError(`${what}.layout must be an object`);
  if (fig.frames !== undefined && !Array.isArray(fig.frames)) throw new InvalidArgumentError(`${what}.frames must be an array when present`);
}

/**
 * The figure as JSON safe to embed in HTML: typed arrays become arrays, NaN becomes null (a gap), and
 * every `<` is escaped so no string in the data can close the `<script>` element.
 */
export function figureJson(fig: Figure): string {
  checkFigure(fig);
  const json = JSON.stringify(fig, (_key, value: unknown) => (ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value));
  return json.replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** plotly's config for figures in pages and notebooks: no logo, SVG from the camera button. */
export const FIGURE_CONFIG = {
  displaylogo: false,
  responsive: false,
  toImageButtonOptions: { format: 'svg' },
} as const;

/** Options of {@link figureDiv}. */
export interface FigureDivOptions {
  /** The element id (default: a fresh random id). */
  readonly id?: string;
  /** Override the figure's width and height (CSS pixels). */
  readonly width?: number;
  readonly height?: number;
}

/**
 * A `<div>` and the `<script>` that draws `fig` into it with `Plotly.newPlot`. The page must have loaded
 * the plotly bundle before the script runs; if it has not, the div says so in red instead of staying blank.
 */
export function figureDiv(fig: Figure, options: FigureDivOptions = {}): string {
  const id = options.id ?? `synapses-fig-${randomBytes(6).toString('hex')}`;
  if (!/^[A-Za-z][\w-]*$/.test(id)) throw new InvalidArgumentError(`figure id "${id}" must be a letter followed by letters, digits, "_" or "-"`);
  const sized: Figure = options.width !== undefined || options.height !== undefined
    ? { ...fig, layout: { ...fig.layout, ...(options.width !== undefined ? { width: options.width } : {}), ...(options.height !== undefined ? { height: options.height } : {}) } }
    : fig;
  const w = sized.layout.width, h = sized.layout.height;
  const style = `${typeof w === 'number' ? `width:${w}px;` : ''}${typeof h === 'number' ? `min-height:${h}px;` : ''}`;
  return [
    `<div id="${id}" class="synapses-figure" style="${style}"></div>`,
    '<script type="text/javascript">',
    '(function () {',
    `  var el = document.getElementById(${JSON.stringify(id)});`,
    `  var fig = ${figureJson(sized)};`,
    `  var config = ${JSON.stringify(FIGURE_CONFIG)};`,
    '  if (!window.Plotly) {',
    "    el.innerHTML = '<p style=\"color:#b00000;font-family:sans-serif\">plotly.js is not loaded in this page, so this figure cannot be drawn. ' +",
    "      'In a notebook, run it from the top (the first figure shown carries plotly.js) or call resetShow() before show().</p>';",
    '    return;',
    '  }',
    '  window.Plotly.newPlot(el, { data: fig.data, layout: fig.layout, frames: fig.frames || [], config: config });',
    '})();',
    '</script>',
  ].join('\n');
}

/** A `<script>` element holding the plotly.js bundle. */
export function plotlyScriptTag(): string {
  return `<script type="text/javascript">/* plotly.js ${plotlyVersion()} */\n${plotlyBundle()}\n</script>`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A figure with a heading, for {@link figureHtmlDocument}. */
export interface TitledFigure {
  readonly title: string;
  readonly figure: Figure;
}

/**
 * A self-contained HTML document (the plotly bundle inlined, no network needed) showing one figure, or
 * several under headings.
 */
export function figureHtmlDocument(figures: Figure | readonly TitledFigure[], title = 'figure'): string {
  const list: readonly TitledFigure[] = Array.isArray(figures) ? figures : [{ title: '', figure: figures as Figure }];
  if (list.length === 0) throw new InvalidArgumentError('figureHtmlDocument: no figures given');
  const body = list
    .map((f, i) => `${f.title ? `<h2>${escapeHtml(f.title)}</h2>\n` : ''}${figureDiv(f.figure, { id: `figure-${i + 1}` })}`)
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{margin:16px;font-family:"Liberation Sans",Arial,sans-serif;background:#fff}h2{font-size:15px;font-weight:normal;margin:24px 0 4px}</style>',
    plotlyScriptTag(),
    '</head>',
    '<body>',
    body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
