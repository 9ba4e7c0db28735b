/**
 * Feature importance read from a trained network's input layer: which input features the network kept
 * connected, and how strongly.
 *
 * Methods (input feature `f` is column `f` of the first linear layer, CSR over hidden neurons):
 * - `strength`: `sum_k |w_k|` over the connections of `f`, the score of QuickSelection (Atashgahi et al.,
 *   Machine Learning 2022). For a dense first layer, the sum over the whole column.
 * - `degree`: the number of connections `f` keeps (its out-degree towards the hidden layer); the quantity
 *   of the SET paper's MNIST input-connectivity figure. For a dense first layer, the non-zero weights.
 * - `persistence`: the surviving connection-epochs of `f` over training (see features/persistence): needs the
 *   run's `feature-history.json`, or an {@link InputHistory} given with the model.
 *
 * Ranks: 1 is the most important. Ties are broken by the lower feature index, so a ranking is a pure
 * function of the scores.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, DataError, UnknownNameError } from '../core/errors';
import { loadModel } from '../io/model-file';
import { DenseLinear } from '../nn/dense-linear';
import type { Model } from '../train/model';
import { FEATURE_HISTORY_FILE, InputHistory, inputLayerOf } from './persistence';
import { snapshotAt, SNAPSHOT_METHODS, snapshotScores, type SnapshotMethod } from './snapshots';

/** Names of the importance methods. */
export const IMPORTANCE_METHODS = ['strength', 'degree', 'persistence'] as const;
/** An importance method (see the module comment). */
export type ImportanceMethod = (typeof IMPORTANCE_METHODS)[number];

/** The file of feature names a run folder may hold (a JSON array, one name per feature). */
export const FEATURE_NAMES_FILE = 'feature-names.json';

/** Options of {@link featureImportance}. */
export interface ImportanceOptions {
  /** Default `'strength'`. */
  readonly method?: ImportanceMethod;
  /** The input-layer history (for `persistence` on a model; a run folder supplies its own). */
  readonly history?: InputHistory;
  /** Feature names (length nFeatures); a run folder supplies its `feature-names.json` when it has one. */
  readonly featureNames?: readonly string[];
  /**
   * Rank the input layer as it was after this many epochs (0 = before training) instead of the final model:
   * read from the run folder's per-epoch snapshots (features/snapshots), so only for a run folder, and only
   * for `strength` and `degree`. A run wider than 4,096 features recorded the top 1,024 features per epoch:
   * the ranking's {@link FeatureRanking.known} says how many leading ranks are exact.
   */
  readonly epoch?: number;
}

/** One row of a ranking. */
export interface FeatureRank {
  /** 1 = most important. */
  readonly rank: number;
  /** 0-based feature index (column of the input layer). */
  readonly feature: number;
  /** The feature's name, when known. */
  readonly name?: string;
  readonly score: number;
}

/** A ranking of every input feature. */
export class FeatureRanking {
  /** Feature indices, most important first (length nFeatures). */
  readonly order: Int32Array;

  /**
   * @param scores - one score per feature, higher is more important.
   * @param names - optional feature names (length nFeatures).
   */
  /**
   * How many leading ranks are exact (default: all). Fewer for a ranking read from a snapshot that kept
   * only the top features (features/snapshots): the other features have NaN scores and are ranked last.
   */
  readonly known: number;

  /**
   * @param scores - one score per feature, higher is more important.
   * @param names - optional feature names (length nFeatures).
   * @param known - how many leading ranks are exact (default all).
   */
  constructor(
    readonly method: string,
    readonly scores: Float64Array,
    readonly names?: readonly string[],
    known?: number,
  ) {
    if (names && names.length !== scores.length) throw new DataError(`feature names have ${names.length} entries, expected one per feature (${scores.length})`);
    this.order = rankOrder(scores);
    this.known = Math.min(known ?? scores.length, scores.length);
  }

  /** Number of features ranked. */
  get nFeatures(): number {
    return this.scores.length;
  }

  /** The `k` best features (all when `k` is absent), as indices. */
  topK(k = this.nFeatures): Int32Array {
    return this.order.subarray(0, Math.min(k, this.nFeatures));
  }

  /** The rank (1-based) of every feature: `rank[f]`. */
  ranks(): Int32Array {
    const r = new Int32Array(this.nFeatures);
    this.order.forEach((f, at) => (r[f] = at + 1));
    return r;
  }

  /** The first `k` rows (all when absent): rank, feature, name when known, score. */
  rows(k = this.nFeatures): FeatureRank[] {
    return Array.from(this.topK(k), (f, at) => ({
      rank: at + 1, feature: f, ...(this.names ? { name: this.names[f]! } : {}), score: this.scores[f]!,
    }));
  }

  /** CSV text of the first `k` rows: `rank,feature,name,score` (name only when names are known). */
  toCsv(k = this.nFeatures): string {
    const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const head = this.names ? 'rank,feature,name,score' : 'rank,feature,score';
    const lines = this.rows(k).map((r) => (this.names ? `${r.rank},${r.feature},${quote(r.name!)},${r.score}` : `${r.rank},${r.feature},${r.score}`));
    return [head, ...lines].join('\n') + '\n';
  }
}

/**
 * Feature indices sorted by descending score, ties by ascending index (NaN scores last).
 * @internal
 */
export function rankOrder(scores: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  const key = (f: number) => {
    const s = scores[f]!;
    return Number.isNaN(s) ? -Infinity : s;
  };
  // A typed-array sort with a comparator is stable in V8, and fast enough for millions of features.
  order.sort((a, b) => key(b) - key(a) || a - b);
  return order;
}

/**
 * `sum |w|` over each input feature's connections in the first linear layer.
 * @returns one Float64 per input feature.
 */
export function inputStrength(model: Model): Float64Array {
  model.backend.memory.sync();
  const layer = inputLayerOf(model.network);
  const out = new Float64Array(layer.nIn);
  if (layer instanceof DenseLinear) {
    const w = layer.weight.values, nIn = layer.nIn;
    for (let j = 0; j < layer.nOut; j++) for (let i = 0; i < nIn; i++) out[i]! += Math.abs(w[j * nIn + i]!);
    return out;
  }
  const { colIdx, values } = layer.weights;
  for (let k = 0; k < colIdx.length; k++) out[colIdx[k]!]! += Math.abs(values[k]!);
  return out;
}

/**
 * The number of connections of each input feature in the first linear layer (a dense layer: its non-zero
 * weights).
 */
export function inputDegree(model: Model): Float64Array {
  model.backend.memory.sync();
  const layer = inputLayerOf(model.network);
  const out = new Float64Array(layer.nIn);
  if (layer instanceof DenseLinear) {
    const w = layer.weight.values, nIn = layer.nIn;
    for (let j = 0; j < layer.nOut; j++) for (let i = 0; i < nIn; i++) if (w[j * nIn + i] !== 0) out[i]! += 1;
    return out;
  }
  const colIdx = layer.weights.colIdx;
  for (let k = 0; k < colIdx.length; k++) out[colIdx[k]!]! += 1;
  return out;
}

/**
 * Ranks the input features of a trained model, or of a run folder written by `train` / {@link runConfig}
 * (its `model.json`, plus `feature-history.json` for persistence and `feature-names.json` for names), or,
 * with `options.epoch`, the run folder's input layer as it was after that many epochs
 * (`feature-snapshots.jsonl`, see features/snapshots).
 * @throws {@link UnknownNameError} for an unknown method; {@link ConfigError} for `persistence` without a
 *   history, and for an epoch the run did not record (the message lists those it did), of a model rather
 *   than a run folder, or with `persistence`; {@link DataError} / ModelFileError for a run folder that lacks
 *   or has broken files.
 * @example
 * const ranking = featureImportance('runs/madelon', { method: 'strength' });
 * ranking.rows(20); // [{ rank: 1, feature: 231, score: 4.2 }, ...]
 * const early = featureImportance('runs/mnist', { method: 'degree', epoch: 1 }); // after the first epoch
 */
export function featureImportance(source: Model | string, options: ImportanceOptions = {}): FeatureRanking {
  const method = options.method ?? 'strength';
  if (!(IMPORTANCE_METHODS as readonly string[]).includes(method)) throw new UnknownNameError('importance method', method, IMPORTANCE_METHODS);
  if (options.epoch !== undefined) return importanceAtEpoch(source, method, options.epoch, options.featureNames);
  let model: Model;
  let history = options.history;
  let names = options.featureNames;
  if (typeof source === 'string') {
    const file = path.join(source, 'model.json');
    if (!fs.existsSync(file)) throw new DataError(`${source} has no model.json: is it a finished run folder (written by synapses-ts train)?`);
    if (method === 'persistence' && !history) history = readHistory(source);
    names ??= readNames(source);
    model = loadModel(file);
  } else model = source;
  const nIn = model.network.nIn;
  let scores: Float64Array;
  switch (method) {
    case 'strength':
      scores = inputStrength(model);
      break;
    case 'degree':
      scores = inputDegree(model);
      break;
    case 'persistence':
      if (!history) throw new ConfigError('persistence needs the input layer history: pass options.history, or rank a run folder that has feature-history.json');
      if (history.nFeatures !== nIn) throw new DataError(`the history has ${history.nFeatures} features but the model has ${nIn} inputs`);
      scores = Float64Array.from(history.survived);
      break;
  }
  return new FeatureRanking(method, scores, names);
}

/**
 * The ranking of a run folder's input layer after `epoch` epochs, from its snapshots (see
 * {@link ImportanceOptions.epoch}); needs no `model.json`, so a run still training can be ranked too.
 */
function importanceAtEpoch(source: Model | string, method: ImportanceMethod, epoch: number, featureNames: readonly string[] | undefined): FeatureRanking {
  if (!Number.isInteger(epoch) || epoch < 0) throw new ConfigError(`epoch must be an integer >= 0 (epochs completed, 0 = before training), got ${epoch}`);
  if (typeof source !== 'string') {
    throw new ConfigError('a ranking at an epoch is read from a run folder\'s snapshots: pass the run folder, not a model (a model holds only its present state)');
  }
  if (!(SNAPSHOT_METHODS as readonly string[]).includes(method)) {
    throw new ConfigError(`the per-epoch snapshots record ${SNAPSHOT_METHODS.join(' and ')}; ${method} is cumulative over the whole run: rank it without an epoch`);
  }
  const { scores, known } = snapshotScores(snapshotAt(source, epoch), method as SnapshotMethod);
  return new FeatureRanking(method, scores, featureNames ?? readNames(source), known);
}

/** The run folder's feature history. @throws {@link DataError} when it has none. */
export function readHistory(dir: string): InputHistory {
  const file = path.join(dir, FEATURE_HISTORY_FILE);
  if (!fs.existsSync(file)) {
    throw new DataError(`${dir} has no ${FEATURE_HISTORY_FILE}: persistence needs a run trained by this toolkit version (it records the input layer's history)`);
  }
  return InputHistory.fromJson(JSON.parse(fs.readFileSync(file, 'utf8')), undefined, file);
}

function readNames(dir: string): string[] | undefined {
  const file = path.join(dir, FEATURE_NAMES_FILE);
  if (!fs.existsSync(file)) return undefined;
  const names = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) throw new DataError(`${file} must be a JSON array of strings`);
  return names as string[];
}
