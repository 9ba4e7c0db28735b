/**
 * `synapses-ts select RUN_DIR --method strength|degree|persistence --top K --out FILE.csv`: ranks the input
 * features of a trained run by its input layer (features/importance) and writes the top K as CSV
 * (`rank,feature[,name],score`), or prints them when no `--out` is given. When the run's manifest records
 * the truly relevant features (generated data: madelon, genotypes), precision and recall at K are printed.
 * `--epoch E` ranks the input layer as it was after E epochs (0 = before training), from the run's per-epoch
 * snapshots (features/snapshots; strength and degree only).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { writeFileAtomic } from '../io/files';
import { recoveryAtK } from '../features/evaluation';
import { featureImportance, IMPORTANCE_METHODS, type ImportanceMethod } from '../features/importance';

/** Options of the `select` command as parsed by commander. */
export interface SelectCommandOptions {
  method?: string;
  top?: string;
  out?: string;
  epoch?: string;
}

/** Runs the `select` command; `write` receives the lines meant for the terminal. */
export function selectCommand(runDir: string, o: SelectCommandOptions, write: (line: string) => void = (l) => process.stdout.write(l + '\n')): void {
  const method = o.method ?? 'strength';
  if (!(IMPORTANCE_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(`--method must be one of ${IMPORTANCE_METHODS.join(', ')}, got "${method}"`);
  }
  const top = o.top === undefined ? undefined : Number(o.top);
  if (top !== undefined && !(Number.isInteger(top) && top >= 1)) throw new ConfigError(`--top must be an integer >= 1, got "${o.top}"`);
  const epoch = o.epoch === undefined ? undefined : Number(o.epoch);
  if (epoch !== undefined && !(Number.isInteger(epoch) && epoch >= 0)) {
    throw new ConfigError(`--epoch must be an integer >= 0 (epochs completed, 0 = before training), got "${o.epoch}"`);
  }
  const ranking = featureImportance(runDir, { method: method as ImportanceMethod, ...(epoch === undefined ? {} : { epoch }) });
  // A snapshot of a wide run kept only its top features: rows below them have no score to write.
  if (top !== undefined && top > ranking.known) {
    throw new ConfigError(`--top ${top}: the snapshot of epoch ${epoch} of ${runDir} recorded only the top ${ranking.known} of ${ranking.nFeatures} features (wide runs keep the head of the ranking per epoch); use --top ${ranking.known} or less, or rank the final model without --epoch`);
  }
  const k = Math.min(top ?? ranking.known, ranking.nFeatures);
  const csv = ranking.toCsv(k);
  if (o.out) {
    writeFileAtomic(o.out, csv);
    write(`${k} of ${ranking.nFeatures} features ranked by ${method}${epoch === undefined ? '' : ` after epoch ${epoch}`}: ${o.out}`);
  } else write(csv.trimEnd());
  const relevant = relevantOf(runDir);
  if (relevant) {
    const r = recoveryAtK(ranking, relevant, k);
    write(`relevant features (manifest): ${relevant.length}; precision@${k} ${r.precision.toFixed(3)}, recall@${k} ${r.recall.toFixed(3)}`);
  }
}

function relevantOf(runDir: string): number[] | null {
  const file = path.join(runDir, 'manifest.json');
  if (!fs.existsSync(file)) return null;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as { facts?: { relevantFeatures?: unknown } };
  const found = manifest.facts?.relevantFeatures;
  return Array.isArray(found) && found.length > 0 ? (found as number[]) : null;
}
