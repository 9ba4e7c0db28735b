/**
 * The standard figures of an ablation folder (written by `synapses-ts ablate`): the test accuracy of the
 * final model per combination of axis values (mean and spread over seeds), the test accuracy of the model of
 * the best validation epoch (when the grid had a validation part), accuracy against connections, and
 * learning curves (training, validation, test) with a +-std band over seeds for every combination.
 * No figure ever picks an epoch on the test set.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../core/errors';
import { readCellListing, readResultRows } from '../experiments/ablation-results';
import { readJsonLines } from '../io/files';
import { ablationComparison, accuracyVsConnections, type AblationRow } from './ablation';
import { learningCurves, type EpochMetrics, type LabeledRun } from './learning-curves';
import type { RunFigure, RunFigures } from './run-figures';
import { noDataFigure } from './style';

/** Whether `dir` is an ablation folder (it holds `cells.json`). */
export function isAblationDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'cells.json'));
}

interface ResultLine {
  readonly id: string;
  readonly seed: number;
  readonly axes: Record<string, unknown>;
  /** The final model's test accuracy. */
  readonly testAccuracy: number;
  /** The test accuracy of the best validation epoch's model; null without validation (or in a version-1 row). */
  readonly testAccuracyAtBest: number | null;
  readonly monitor: string;
  /** 1 for rows written before validation existed (upgraded on reading, with every selection field null). */
  readonly resultVersion: number;
  readonly connections: number;
}

function label(axes: Record<string, unknown>): string {
  const parts = Object.entries(axes).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return parts.length ? parts.join(', ') : 'base';
}

/**
 * Builds the standard figures of the ablation folder `dir` from `results.jsonl` and each finished run's
 * `metrics.jsonl`. Unfinished cells are left out and named in the notes.
 * @throws {@link DataError} when `dir` is not an ablation folder.
 */
export function ablationFigures(dir: string): RunFigures {
  if (!isAblationDir(dir)) throw new DataError(`${dir} is not an ablation folder (no cells.json); run synapses-ts ablate first`);
  const cells = readCellListing(dir) ?? [];
  const ids = new Set(cells.map((c) => c.id));
  // Only the latest row of each cell, and only finished ones: a failed cell has no accuracy to plot.
  const logged = readResultRows(dir);
  const results: ResultLine[] = logged.finished.filter((r) => ids.has(r.id));
  const failed = logged.failed.filter((r) => ids.has(r.id)).length;
  const notes: string[] = [];
  if (results.length < cells.length) {
    notes.push(`${cells.length - results.length} of ${cells.length} cells are not finished${failed ? ` (${failed} failed: see results.jsonl)` : ''}; the figures show the finished ones`);
  }
  const figures: RunFigure[] = [];
  if (results.length === 0) {
    figures.push({ name: 'ablation', title: 'Ablation: no finished runs', figure: noDataFigure(`no finished runs in ${dir}`) });
    return { figures, notes };
  }
  const old = results.filter((r) => r.resultVersion === 1).length;
  if (old > 0) notes.push(`${old} of ${results.length} finished cells were written before validation existed (result version 1): they have no best-validation model, and their metrics' val* columns are the test set (drawn as test)`);
  const axisKeys = Object.keys(results[0]!.axes);
  const rows: AblationRow[] = results.map((r) => ({
    ...Object.fromEntries(axisKeys.map((k) => [k, typeof r.axes[k] === 'string' ? r.axes[k] : JSON.stringify(r.axes[k])])),
    group: label(r.axes), seed: r.seed, testAccuracy: r.testAccuracy, testAccuracyAtBest: r.testAccuracyAtBest, connections: r.connections,
  }));
  const groupBy = axisKeys.length ? axisKeys : ['group'];
  figures.push({
    name: 'ablation-accuracy',
    title: 'Test accuracy of the final model per setting (mean and std over seeds)',
    figure: ablationComparison(rows, { groupBy, metric: 'testAccuracy', kind: 'bar', column: 'double', yTitle: 'test accuracy, final model (%)' }),
  });
  // The model of the best validation epoch: only when every cell had a validation part (a mean over some
  // seeds only would compare settings on different seeds).
  const atBest = results.filter((r) => typeof r.testAccuracyAtBest === 'number').length;
  if (atBest === results.length) {
    figures.push({
      name: 'ablation-accuracy-at-best',
      title: 'Test accuracy of the model of the best validation epoch per setting (mean and std over seeds)',
      figure: ablationComparison(rows, { groupBy, metric: 'testAccuracyAtBest', kind: 'bar', column: 'double', yTitle: 'test accuracy, best validation epoch (%)' }),
    });
  } else if (atBest > 0) {
    notes.push(`ablation-accuracy-at-best: only ${atBest} of ${results.length} finished cells have a best-validation model (the others ran without a validation part); the figure is left out`);
  }
  figures.push({ name: 'ablation-accuracy-vs-connections', title: 'Test accuracy against the number of connections', figure: accuracyVsConnections(rows, { seriesBy: 'group', column: 'double' }) });
  const runs: LabeledRun[] = [];
  for (const r of results) {
    const metrics = path.join(dir, 'runs', r.id, 'metrics.jsonl');
    if (!fs.existsSync(metrics)) {
      notes.push(`run ${r.id} has no metrics.jsonl`);
      continue;
    }
    runs.push({ label: label(r.axes), seed: r.seed, epochs: readJsonLines<EpochMetrics>(metrics) });
  }
  figures.push({
    name: 'ablation-learning-curves',
    title: 'Learning curves per setting (mean and +-std band over seeds)',
    // Each setting's best epoch is marked on its mean validation curve, by the metric the runs monitored.
    figure: runs.length ? learningCurves(runs, { column: 'double', monitor: results.every((r) => r.monitor === 'valLoss') ? 'valLoss' : 'valAccuracy' }) : noDataFigure('no metrics for the finished runs'),
  });
  return { figures, notes };
}
