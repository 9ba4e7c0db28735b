/**
 * `synapses-ts summarize DIR`: what a run folder or an ablation folder holds, in a few lines.
 *
 * A run: its name, seed and status, the network and training settings, the data (samples per part,
 * features, classes), the epochs, the best validation epoch, the test accuracy of the final and of the
 * best-validation model, connections, training FLOPs and seconds. An ablation: the summary table over seeds
 * (as `ablate` prints it) and every failed cell. `--json` prints the same facts as one JSON object.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from '../core/errors';
import { readCellListing, readResultRows } from '../experiments/ablation-results';
import { summarize, summaryText } from '../experiments/table';
import type { SparsitySpec } from '../nn/mlp';
import { formatFlops } from '../train/flops';
import { failureReport } from './ablate';
import { dataSource } from './describe-data';
import { isRunFolder, readRunFolder, type RunFolder } from './run-inputs';

/** Options of the `summarize` command as parsed by commander. */
export interface SummarizeCommandOptions {
  json?: boolean;
}

/** The facts `summarize` reports for one run (null where the run does not have them, e.g. unfinished). */
export interface RunSummary {
  readonly kind: 'run';
  readonly dir: string;
  readonly name: string;
  readonly seed: number;
  readonly status: string;
  /** Layer widths, input to output. */
  readonly sizes: readonly number[] | null;
  readonly config: string;
  readonly data: { readonly source: string; readonly train: number | null; readonly validation: number | null; readonly test: number | null; readonly features: number | null; readonly classes: number | null };
  readonly epochs: number;
  readonly plannedEpochs: number;
  /** 1-based, as printed; null without validation. */
  readonly bestEpoch: number | null;
  readonly bestValAccuracy: number | null;
  readonly testAccuracy: number | null;
  readonly testAccuracyAtBest: number | null;
  readonly connections: number | null;
  readonly connectionsPerLayer: readonly number[] | null;
  readonly trainingFlops: number | null;
  readonly seconds: number | null;
  readonly backend: string;
}

const pct = (v: number | null | undefined): string => (typeof v === 'number' && Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : '-');

/** The summary of one run folder. */
export function summarizeRun(run: RunFolder): RunSummary {
  const { manifest, config, result, metrics } = run;
  const facts = manifest.facts as { sizes?: number[]; trainSamples?: number; validationSamples?: number; testSamples?: number; connections?: number; connectionsPerLayer?: number[] };
  const policy = (manifest.config as { policy?: { name?: string } }).policy?.name ?? 'composed';
  const m = config.model;
  const spec = (s: SparsitySpec): string => (s.kind === 'erdos-renyi' ? `erdos-renyi eps ${s.eps}` : s.kind === 'dense' ? 'dense' : s.kind === 'density' ? `density ${s.density}` : `${s.kind} density ${s.density}`);
  // A per-layer list reads layer by layer ("erdos-renyi eps 0.002 / dense"); centred inputs are said after it.
  const sparsity = (Array.isArray(m.sparsity) ? m.sparsity.map(spec).join(' / ') : spec(m.sparsity as SparsitySpec)) + (m.centreInputs ? ', centred inputs' : '');
  const activation = typeof m.activation === 'string' ? m.activation : m.activation.name;
  const o = config.optimizer;
  const configLine = `${sparsity}, ${activation}, dropout ${m.dropout}, policy ${policy}, ${o.name} lr ${o.lr}, batch ${config.training.batchSize}, ${config.loss}`;
  const last = metrics.at(-1);
  const bestEpoch = result ? result.bestEpoch : null;
  const sizes = facts.sizes ?? null;
  const flops = (result as { trainingFlops?: number | null } | null)?.trainingFlops ?? null;
  return {
    kind: 'run',
    dir: run.dir,
    name: config.name,
    seed: config.seed,
    status: (manifest as { status: string }).status,
    sizes,
    config: configLine,
    data: {
      source: dataSource(config.data),
      train: facts.trainSamples ?? null,
      validation: facts.validationSamples ?? null,
      test: facts.testSamples ?? null,
      features: sizes ? sizes[0]! : null,
      classes: sizes ? sizes.at(-1)! : null,
    },
    epochs: result?.epochs ?? metrics.length,
    plannedEpochs: config.training.epochs,
    bestEpoch: bestEpoch === null ? null : bestEpoch + 1,
    bestValAccuracy: result?.bestValAccuracy ?? null,
    testAccuracy: result?.testAccuracy ?? last?.testAccuracy ?? null,
    testAccuracyAtBest: result?.testAccuracyAtBest ?? null,
    connections: result?.connections ?? facts.connections ?? null,
    connectionsPerLayer: result?.connectionsPerLayer ?? facts.connectionsPerLayer ?? null,
    trainingFlops: flops,
    seconds: result?.seconds ?? (metrics.length ? metrics.reduce((a, e) => a + e.seconds, 0) : null),
    backend: result?.backend ?? `${manifest.backend.name}:${manifest.backend.mode}`,
  };
}

/** The printable lines of a run summary. */
export function runSummaryText(s: RunSummary): string {
  const d = s.data;
  const parts = [
    d.train !== null ? `${d.train} train` : null,
    d.validation ? `${d.validation} validation` : null, // none held out: not listed
    d.test !== null ? `${d.test} test samples` : null,
  ].filter(Boolean);
  const lines = [
    `run ${s.dir}: ${s.name}, seed ${s.seed}, ${s.status}`,
    `network: ${s.sizes ? s.sizes.join('-') : '?'}; ${s.config}`,
    `data: ${d.source}; ${parts.join(', ')}${d.features !== null ? `; ${d.features} features, ${d.classes} classes` : ''}`,
    `epochs: ${s.epochs} of ${s.plannedEpochs}`,
    s.bestEpoch === null
      ? 'best validation epoch: - (no validation part, or the run has not finished)'
      : `best validation epoch: ${s.bestEpoch} (validation accuracy ${pct(s.bestValAccuracy)})`,
    `test accuracy: ${pct(s.testAccuracy)} (final model)${s.bestEpoch === null ? '' : `, ${pct(s.testAccuracyAtBest)} (best-validation model, epoch ${s.bestEpoch})`}`,
    `connections: ${s.connections ?? '-'}${s.connectionsPerLayer ? ` (${s.connectionsPerLayer.join(' + ')})` : ''}`,
    ...(s.trainingFlops !== null ? [`training FLOPs: ${formatFlops(s.trainingFlops)}`] : []),
    `seconds: ${s.seconds === null ? '-' : s.seconds.toFixed(1)} on ${s.backend}`,
  ];
  return lines.join('\n');
}

/** Runs the `summarize` command on a run folder or an ablation folder. */
export async function summarizeCommand(dir: string, o: SummarizeCommandOptions): Promise<void> {
  if (fs.existsSync(path.join(dir, 'cells.json'))) {
    const cells = readCellListing(dir)?.length ?? 0;
    const { finished, failed } = readResultRows(dir);
    if (o.json) {
      process.stdout.write(JSON.stringify({ kind: 'ablation', dir, cells, finished, failed }) + '\n');
      return;
    }
    const lines = [`ablation ${dir}: ${cells} cells, ${finished.length} finished, ${failed.length} failed, ${Math.max(0, cells - finished.length - failed.length)} not run yet`];
    lines.push(finished.length ? summaryText(await summarize(finished)) : '(no finished runs)');
    process.stdout.write(lines.join('\n') + '\n');
    if (failed.length) process.stdout.write(failureReport(dir, failed, cells).replace(/^synapses-ts ablate: /, '').replace('run the same command again', 'run the ablate command again'));
    return;
  }
  if (!isRunFolder(dir)) {
    throw new DataError(`${dir} is neither a run folder (manifest.json, written by train) nor an ablation folder (cells.json, written by ablate)`);
  }
  const s = summarizeRun(readRunFolder(dir));
  process.stdout.write((o.json ? JSON.stringify(s) : runSummaryText(s)) + '\n');
}
