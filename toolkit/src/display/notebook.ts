/**
 * The notebook progress display of training: one tslab display entry (`tslab.newDisplay()`), overwritten
 * as training goes, so a cell shows one updating block instead of a scroll of lines. At verbose 1 it holds
 * a progress bar of the current epoch (batch, loss, accuracy) above the lines of the finished epochs; at
 * verbose 2 only the lines, updated once per epoch.
 *
 * @packageDocumentation
 */
import type { EvolutionReport } from '../evolution/types';
import type { Callbacks } from '../train/history';
import { epochLine } from './terminal';
import { escapeHtml, type NotebookDisplay } from './tslab';

/** Options of {@link notebookProgress}. */
export interface NotebookProgressOptions {
  /** Least milliseconds between two batch updates of the bar (default 250): each update is a message to the notebook. */
  readonly minIntervalMs?: number;
  /** The clock in milliseconds (default `Date.now`; tests pass their own). */
  readonly now?: () => number;
}

/**
 * Callbacks that show training in the notebook display entry `display` (from `tslab.newDisplay()`), which
 * each update overwrites.
 * @example
 * import * as tslab from 'tslab';
 * await model.fit(train, { epochs: 5, verbose: 0, callbacks: notebookProgress(tslab.newDisplay()) });
 */
export function notebookProgress(display: NotebookDisplay, verbose: 1 | 2 = 1, options: NotebookProgressOptions = {}): Callbacks {
  const now = options.now ?? Date.now;
  const interval = options.minIntervalMs ?? 250;
  const lines: string[] = [];
  let epochs = 0;
  let batches = 0;
  let last = -Infinity;
  let evolved: EvolutionReport[] = [];
  const render = (bar: string) => {
    const log = lines.length ? `<pre style="margin:0">${escapeHtml(lines.join('\n'))}</pre>` : '';
    display.html(`<div class="synapses-progress" style="font-family:monospace">${bar}${log}</div>`);
  };
  const barHtml = (epoch: number, done: number, loss: string, acc: string) =>
    `<div>epoch ${epoch + 1}/${epochs} <progress value="${done}" max="${batches}" style="width:20em;vertical-align:middle"></progress>` +
    ` batch ${done}/${batches} &middot; loss ${escapeHtml(loss)} &middot; acc ${escapeHtml(acc)}</div>`;
  return {
    onTrainBegin(info) {
      epochs = info.totalEpochs;
      batches = info.batchesPerEpoch;
    },
    onEpochBegin(epoch) {
      evolved = [];
      if (verbose === 1) {
        render(barHtml(epoch, 0, '-', '-'));
        last = now();
      }
    },
    onBatchEnd(l) {
      if (verbose !== 1) return;
      const t = now();
      // The last batch always shows, so a finished epoch's bar is full before its line replaces it.
      if (t - last < interval && l.batch + 1 < l.batches) return;
      last = t;
      render(barHtml(l.epoch, l.batch + 1, l.loss.toFixed(4), `${(100 * l.accuracy).toFixed(1)}%`));
    },
    onEvolve(r) {
      evolved.push(r);
    },
    onEpochEnd(l) {
      lines.push(epochLine(l, epochs) + (evolved.length ? `  evolved ${evolved.length} layer(s), ${evolved.reduce((a, r) => a + r.grown, 0)} regrown` : ''));
      render('');
    },
  };
}
