/**
 * Showing figures in a tslab notebook. `show(fig)` sends the figure as `text/html`: the plotly.js bundle
 * with the first figure of the kernel session (once per notebook, about 10 MB), then a `<div>` and a
 * `Plotly.newPlot` call per figure. That renders in the classic notebook, in JupyterLab (trusted
 * notebooks), and in `jupyter nbconvert --to html` output. (plotly's own MIME type is drawn by neither the
 * classic notebook nor nbconvert.)
 *
 * tslab is found at run time among the modules its kernel has loaded, never imported by the library, so
 * the toolkit loads and works outside notebooks; there `show` says to use `saveFigure` instead.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../core/errors';
import { tslabApi, type NotebookDisplay } from '../display/tslab';
import type { Figure } from './figure';
import { figureDiv, plotlyScriptTag } from './html';

/** tslab's `display`, when this process is a tslab kernel executing a cell (see display/tslab). */
function tslabDisplay(): NotebookDisplay | undefined {
  return tslabApi()?.display;
}

/** Whether this code runs inside a tslab notebook kernel (so {@link show} can display). */
export function isNotebook(): boolean {
  return tslabDisplay() !== undefined;
}

let bundleSent = false;

/** Options of {@link show}. */
export interface ShowOptions {
  /** Display width and height in CSS pixels (default: the figure's own, e.g. a 3.5 in column = 336 px). */
  readonly width?: number;
  readonly height?: number;
  /** Include the plotly bundle with this figure even if an earlier figure carried it. */
  readonly includePlotly?: boolean;
}

/**
 * The HTML that {@link show} displays for `fig`, and whether it carries the plotly bundle. Exposed for
 * other front ends; it updates the once-per-session bookkeeping as `show` does.
 */
export function showHtml(fig: Figure, options: ShowOptions = {}): string {
  const include = options.includePlotly === true || !bundleSent;
  const div = figureDiv(fig, {
    ...(options.width !== undefined ? { width: options.width } : {}),
    ...(options.height !== undefined ? { height: options.height } : {}),
  });
  bundleSent = true;
  return include ? `${plotlyScriptTag()}\n${div}` : div;
}

/**
 * Displays an interactive figure in a tslab notebook cell.
 * @throws {@link InvalidArgumentError} outside a tslab notebook (use `saveFigure(fig, 'fig.html')` or
 *   {@link "plots/html".figureHtmlDocument} there), or for something that is not a figure.
 * @example
 * import { learningCurves, show } from 'synapses-ts';
 * show(learningCurves(history.epochs));
 */
export function show(fig: Figure, options: ShowOptions = {}): void {
  const display = tslabDisplay();
  if (!display) {
    throw new InvalidArgumentError('show() displays figures in a tslab notebook, and this is not one; use saveFigure(fig, "figure.html" | ".svg" | ".png" | ".pdf") instead');
  }
  display.html(showHtml(fig, options));
}

/**
 * Makes the next {@link show} include the plotly bundle again: needed after clearing or re-running the
 * cell whose output carried it, when the saved notebook would otherwise have no copy of plotly.js.
 */
export function resetShow(): void {
  bundleSent = false;
}
