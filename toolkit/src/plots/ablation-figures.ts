/**
 * The standard figures of an ablation folder (written by `synapses-ts ablate`): the final test accuracy
 * per combination of axis values (mean and spread over seeds), accuracy against connections, and
 * learning curves with a +-std band over seeds for every combination.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../core/errors';
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
  readonly testAccuracy: number;
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
  const cells = JSON.parse(fs.readFileSync(path.join(dir, 'cells.json'), 'utf8')) as { id: string }[];
  const resultsFile = path.join(dir, 'results.jsonl');
  const results = fs.existsSync(resultsFile) ? readJsonLines<ResultLine>(resultsFile) : [];
  const notes: string[] = [];
  if (results.length < cells.length) notes.push(`${cells.length - results.length} of ${cells.length} cells are not finished; the figures show the finished ones`);
  const figures: RunFigure[] = [];
  if (results.length === 0) {
    figures.push({ name: 'ablation', title: 'Ablation: no finished runs', figure: noDataFigure(`no finished runs in ${dir}`) });
    return { figures, notes };
  }
  const axisKeys = Object.keys(results[0]!.axes);
  const rows: AblationRow[] = results.map((r) => ({ ...Object.fromEntries(axisKeys.map((k) => [k, typeof r.axes[k] === 'string' ? r.axes[k] : JSON.stringify(r.axes[k])])), group: label(r.axes), seed: r.seed, testAccuracy: r.testAccuracy, connections: r.connections }));
  const groupBy = axisKeys.length ? axisKeys : ['group'];
  figures.push({ name: 'ablation-accuracy', title: 'Final test accuracy per setting (mean and std over seeds)', figure: ablationComparison(rows, { groupBy, metric: 'testAccuracy', kind: 'bar', column: 'double' }) });
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
    figure: runs.length ? learningCurves(runs, { column: 'double' }) : noDataFigure('no metrics for the finished runs'),
  });
  return { figures, notes };
}
