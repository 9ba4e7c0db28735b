/**
 * The standard figures of an ablation folder (written by `synapses-ts ablate`): the test accuracy of the
 * final model per combination of axis values (a dot at the mean over seeds, whiskers from the smallest to
 * the largest), the test accuracy of the model of the best validation epoch (when the grid had a validation
 * part), accuracy against connections (when the settings have several sparsity levels), accuracy against
 * training FLOPs, and learning curves (training, validation, test) with a +-std band over seeds for every
 * combination. Every label comes from plots/labels.
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
import { settingLabel } from './labels';
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
  /** Training FLOPs of the run; absent or null for rows written before FLOPs were counted. */
  readonly trainingFlops?: number | null;
}

/**
 * The sparsity levels of an ablation's settings: settings are at one level when every seed they share
 * has the same number of connections (an Erdős–Rényi topology is drawn from the seed, so two policies at
 * one ε get the same counts seed by seed, while their counts still differ from seed to seed); settings
 * without a shared seed are at one level when their mean counts differ by less than 1%.
 * @returns the level index of each setting, in the order given.
 */
export function sparsityLevels(settings: readonly { readonly connections: ReadonlyMap<number, number> }[]): number[] {
  const levels: { readonly connections: ReadonlyMap<number, number> }[] = [];
  const mean = (m: ReadonlyMap<number, number>) => [...m.values()].reduce((a, b) => a + b, 0) / m.size;
  return settings.map((s) => {
    const found = levels.findIndex((l) => {
      const shared = [...s.connections.keys()].filter((seed) => l.connections.has(seed));
      if (shared.length > 0) return shared.every((seed) => s.connections.get(seed) === l.connections.get(seed));
      const a = mean(s.connections), b = mean(l.connections);
      return Math.abs(a - b) <= 0.01 * Math.max(a, b);
    });
    if (found >= 0) return found;
    levels.push(s);
    return levels.length - 1;
  });
}

/**
 * Builds the standard figures of the ablation folder `dir` from `results.jsonl` and each finished run's
 * `metrics.jsonl`. Unfinished cells are left out and named in the notes. Accuracy against connections is
 * drawn only when the settings have several sparsity levels (see {@link sparsityLevels}); accuracy against
 * training FLOPs when every finished run counted them.
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
  const raw = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const settingOf = (axes: Record<string, unknown>) => JSON.stringify(axisKeys.map((k) => raw(axes[k])));
  // The sparsity level of each setting, from its runs' connection counts per seed.
  const bySetting = new Map<string, { axes: Record<string, unknown>; connections: Map<number, number> }>();
  for (const r of results) {
    const key = settingOf(r.axes);
    let s = bySetting.get(key);
    if (!s) bySetting.set(key, (s = { axes: r.axes, connections: new Map() }));
    s.connections.set(r.seed, r.connections);
  }
  const settings = [...bySetting.entries()];
  const levelOf = new Map(sparsityLevels(settings.map(([, s]) => s)).map((level, i) => [settings[i]![0], level]));
  const levelCount = new Set(levelOf.values()).size;
  // An axis moves the connections when two settings that differ in it alone are at different levels; the
  // other axes name the series of the accuracy-vs-connections figure.
  const connectionAxes = axisKeys.filter((k) => settings.some(([ka, a]) => settings.some(([kb, b]) =>
    levelOf.get(ka) !== levelOf.get(kb) && raw(a.axes[k]) !== raw(b.axes[k]) && axisKeys.every((o) => o === k || raw(a.axes[o]) === raw(b.axes[o])))));
  const seriesKeys = axisKeys.filter((k) => !connectionAxes.includes(k));
  const seriesOf = (axes: Record<string, unknown>) => (seriesKeys.length ? settingLabel(Object.fromEntries(seriesKeys.map((k) => [k, axes[k]]))) : 'all settings');

  const rows: AblationRow[] = results.map((r) => ({
    ...Object.fromEntries(axisKeys.map((k) => [k, raw(r.axes[k])])),
    setting: settingLabel(r.axes), series: seriesOf(r.axes), point: settingOf(r.axes),
    seed: r.seed, testAccuracy: r.testAccuracy, testAccuracyAtBest: r.testAccuracyAtBest, connections: r.connections,
    trainingFlops: r.trainingFlops ?? null,
  }));
  const groupBy = axisKeys.length ? axisKeys : ['setting'];
  figures.push({
    name: 'ablation-accuracy',
    title: 'Test accuracy of the final model per setting (dot: mean over seeds, whiskers: min–max)',
    figure: ablationComparison(rows, { groupBy, metric: 'testAccuracy', column: 'double' }),
  });
  // The model of the best validation epoch: only when every cell had a validation part (a mean over some
  // seeds only would compare settings on different seeds).
  const atBest = results.filter((r) => typeof r.testAccuracyAtBest === 'number').length;
  if (atBest === results.length) {
    figures.push({
      name: 'ablation-accuracy-at-best',
      title: 'Test accuracy of the model of the best validation epoch per setting (dot: mean over seeds, whiskers: min–max)',
      figure: ablationComparison(rows, { groupBy, metric: 'testAccuracyAtBest', column: 'double' }),
    });
  } else if (atBest > 0) {
    notes.push(`ablation-accuracy-at-best: only ${atBest} of ${results.length} finished cells have a best-validation model (the others ran without a validation part); the figure is left out`);
  }
  // Against connections only across sparsity levels: seeds of one setting are one point, never a line.
  if (levelCount > 1) {
    figures.push({
      name: 'ablation-accuracy-vs-connections',
      title: 'Test accuracy against the number of connections (one point per setting: mean over seeds, whiskers: min–max)',
      figure: accuracyVsConnections(rows, { seriesBy: 'series', pointBy: 'point', seriesLabel: (s) => s, column: 'double' }),
    });
  }
  if (results.every((r) => typeof r.trainingFlops === 'number' && r.trainingFlops > 0)) {
    figures.push({
      name: 'ablation-accuracy-vs-flops',
      title: 'Test accuracy against training FLOPs (one point per setting: mean over seeds, whiskers: min–max)',
      figure: accuracyVsConnections(rows, { seriesBy: 'setting', pointBy: 'point', x: 'trainingFlops', lines: false, seriesLabel: (s) => s, column: 'double' }),
    });
  }
  const runs: LabeledRun[] = [];
  for (const r of results) {
    const metrics = path.join(dir, 'runs', r.id, 'metrics.jsonl');
    if (!fs.existsSync(metrics)) {
      notes.push(`run ${r.id} has no metrics.jsonl`);
      continue;
    }
    runs.push({ label: settingLabel(r.axes), seed: r.seed, epochs: readJsonLines<EpochMetrics>(metrics) });
  }
  figures.push({
    name: 'ablation-learning-curves',
    title: 'Learning curves per setting (mean and +-std band over seeds)',
    // Each setting's best epoch is marked on its mean validation curve, by the metric the runs monitored.
    figure: runs.length ? learningCurves(runs, { column: 'double', monitor: results.every((r) => r.monitor === 'valLoss') ? 'valLoss' : 'valAccuracy' }) : noDataFigure('no metrics for the finished runs'),
  });
  return { figures, notes };
}
