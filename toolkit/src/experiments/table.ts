/**
 * Results tables with danfojs-node: one row per run, and a summary grouped by the grid's axes with the
 * mean, sample standard deviation and count of each metric.
 *
 * danfojs-node loads TensorFlow.js, so it is imported lazily, only when a table is built.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { writeFileAtomic } from '../io/files';
import { formatFlops } from '../train/flops';
import { epochRecord, History, type EpochLogs } from '../train/history';
import type { ResultRow } from './ablation';

/**
 * The metrics summarised per group: the test metrics of the final model and of the model at the best
 * validation epoch, the best validation accuracy (what chose that epoch), time, size and training FLOPs
 * (NaN for rows written before FLOPs were counted). No metric here was chosen by looking at the test set.
 */
export const SUMMARY_METRICS = ['testAccuracy', 'testAccuracyAtBest', 'bestValAccuracy', 'testLoss', 'seconds', 'connections', 'trainingFlops'] as const;

async function danfo(): Promise<typeof import('danfojs-node')> {
  return import('danfojs-node');
}

/** Flattens result rows into table records: one column per axis key, then seed and the metrics. */
export function tableRecords(rows: readonly ResultRow[]): Record<string, string | number>[] {
  return rows.map((r) => {
    const rec: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(r.axes)) rec[k] = typeof v === 'number' ? v : typeof v === 'string' ? v : JSON.stringify(v);
    rec.seed = r.seed;
    // null (no validation part) becomes NaN, which the summary shows as "-".
    for (const m of SUMMARY_METRICS) rec[m] = r[m] ?? NaN;
    rec.bestEpoch = r.bestEpoch ?? NaN;
    rec.epochs = r.epochs;
    rec.id = r.id;
    return rec;
  });
}

/**
 * A danfojs DataFrame of a training history, one row per epoch (see `History.records`): from a History,
 * or from epoch logs such as a run's `metrics.jsonl` lines (their extra fields, e.g. testAccuracy, kept).
 * @example
 * const df = await historyFrame(await model.fit(train, { epochs: 5 }));
 */
export async function historyFrame(history: History | readonly EpochLogs[]): Promise<DataFrame> {
  const dfd = await danfo();
  const records = history instanceof History
    ? history.records()
    : history.map((e) => {
      const extra: Record<string, number> = {};
      for (const [k, v] of Object.entries(e)) if (typeof v === 'number') extra[k] = v;
      return { ...extra, ...epochRecord(e) };
    });
  return new dfd.DataFrame(records);
}

/** A danfojs DataFrame of the result rows (see {@link tableRecords}). */
export async function resultsFrame(rows: readonly ResultRow[]): Promise<DataFrame> {
  const dfd = await danfo();
  return new dfd.DataFrame(tableRecords(rows));
}

/**
 * Groups the rows by the axis keys and aggregates every metric with mean, std (sample) and count.
 * With no axes (a single cell over seeds) the whole table is one group.
 */
export async function summarize(rows: readonly ResultRow[]): Promise<DataFrame> {
  const df = await resultsFrame(rows);
  const axes = Object.keys(rows[0]?.axes ?? {});
  const keys = axes.length ? axes : ['group'];
  const frame = axes.length ? df : df.addColumn('group', rows.map(() => 'all'), { inplace: false });
  const agg: Record<string, string[]> = {};
  for (const m of SUMMARY_METRICS) agg[m] = ['mean', 'std', 'count'];
  return frame.groupby(keys).agg(agg);
}

/** Writes `results.csv` and `summary.csv` into `outDir`; returns their paths and a printable summary. */
export async function writeResultTables(outDir: string, rows: readonly ResultRow[]): Promise<{ resultsCsv: string; summaryCsv: string; text: string }> {
  const resultsCsv = path.join(outDir, 'results.csv');
  const summaryCsv = path.join(outDir, 'summary.csv');
  if (rows.length === 0) {
    writeFileAtomic(resultsCsv, '');
    writeFileAtomic(summaryCsv, '');
    return { resultsCsv, summaryCsv, text: '(no finished runs)' };
  }
  const df = await resultsFrame(rows);
  const summary = await summarize(rows);
  const dfd = await danfo();
  writeFileAtomic(resultsCsv, dfd.toCSV(df, { header: true }) as string);
  writeFileAtomic(summaryCsv, dfd.toCSV(summary, { header: true }) as string);
  return { resultsCsv, summaryCsv, text: summaryText(summary) };
}

/** A compact plain-text rendering of a summary frame: axes, n, test accuracy of the final and best-validation models and the best validation accuracy (mean +- std), seconds, connections, training FLOPs (mean). */
export function summaryText(summary: DataFrame): string {
  const cols = summary.columns as string[];
  const rows = summary.values as unknown as (string | number)[][];
  const axes = cols.filter((c) => !SUMMARY_METRICS.some((m) => c.startsWith(`${m}_`)));
  const at = (r: (string | number)[], c: string) => r[cols.indexOf(c)];
  const fmt = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '-');
  const pct = (r: (string | number)[], c: string) => `${fmt(100 * (at(r, `${c}_mean`) as number), 2)}% +- ${fmt(100 * (at(r, `${c}_std`) as number), 2)}`;
  const header = [...axes, 'n', 'test acc, final model', 'test acc, best-val model', 'best val acc', 'seconds', 'connections', 'training FLOPs'];
  const body = rows.map((r) => [
    ...axes.map((a) => String(at(r, a))),
    String(at(r, 'testAccuracy_count')),
    pct(r, 'testAccuracy'),
    pct(r, 'testAccuracyAtBest'),
    pct(r, 'bestValAccuracy'),
    fmt(at(r, 'seconds_mean'), 1),
    fmt(at(r, 'connections_mean'), 0),
    // Missing where the summary frame predates the metric (NaN from older rows shows as "-").
    cols.includes('trainingFlops_mean') ? formatFlops(at(r, 'trainingFlops_mean') as number) : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
