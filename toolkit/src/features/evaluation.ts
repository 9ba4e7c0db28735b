/**
 * Scoring a feature ranking against data with known answers: precision and recall at k of the relevant
 * features, and the accuracy of a small classifier retrained on the top-k features.
 *
 * @packageDocumentation
 */
import { checkInt } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import { DenseDataset, type Dataset } from '../data/dataset';
import { SparseDataset } from '../data/sparse-dataset';
import { mlp } from '../train/model';
import type { FeatureRanking } from './importance';

/** Precision and recall of the top `k` features of a ranking. */
export interface RecoveryAtK {
  readonly k: number;
  /** Relevant features among the top k, divided by k. */
  readonly precision: number;
  /** Relevant features among the top k, divided by the number of relevant features. */
  readonly recall: number;
  /** Relevant features among the top k. */
  readonly hits: number;
}

/**
 * Precision and recall at `k` of `ranking` (or a list of feature indices, best first) against `relevant`.
 * @throws {@link InvalidArgumentError} for k < 1 or an empty relevant set.
 * @example recoveryAtK(featureImportance(model), relevantFeatures, 20).precision
 */
export function recoveryAtK(ranking: FeatureRanking | ArrayLike<number>, relevant: ArrayLike<number>, k: number): RecoveryAtK {
  checkInt(k, 'recoveryAtK k', 1);
  if (relevant.length === 0) throw new InvalidArgumentError('recoveryAtK needs at least one relevant feature');
  const order = 'order' in ranking ? ranking.order : ranking;
  const set = new Set(Array.from(relevant));
  let hits = 0;
  const n = Math.min(k, order.length);
  for (let i = 0; i < n; i++) if (set.has(order[i]!)) hits++;
  return { k, precision: hits / k, recall: hits / set.size, hits };
}

/** The recovery curve: {@link recoveryAtK} for k = 1 .. maxK. */
export function recoveryCurve(ranking: FeatureRanking | ArrayLike<number>, relevant: ArrayLike<number>, maxK: number): RecoveryAtK[] {
  return Array.from({ length: maxK }, (_, i) => recoveryAtK(ranking, relevant, i + 1));
}

/**
 * The columns `features` of a data set, as a new dense data set (sparse data is densified on these columns
 * only: `nSamples * features.length` values).
 */
export function selectFeatures(data: Dataset, features: ArrayLike<number>, name = `${data.name}[top ${features.length}]`): DenseDataset {
  const k = features.length, n = data.nSamples;
  const out = new Float32Array(n * k);
  if (data instanceof DenseDataset) {
    for (let s = 0; s < n; s++) for (let j = 0; j < k; j++) out[s * k + j] = data.features[s * data.nFeatures + features[j]!]!;
  } else if (data instanceof SparseDataset) {
    const where = new Map<number, number>();
    for (let j = 0; j < k; j++) where.set(features[j]!, j);
    for (let s = 0; s < n; s++) {
      for (let p = data.rowPtr[s]!; p < data.rowPtr[s + 1]!; p++) {
        const j = where.get(data.featureIdx[p]!);
        if (j !== undefined) out[s * k + j] = data.values[p]!;
      }
    }
  } else throw new InvalidArgumentError(`selectFeatures needs an in-memory data set (DenseDataset or SparseDataset), got "${data.name}"`);
  const names = data.featureNames ? { featureNames: Array.from(features, (f) => data.featureNames![f]!) } : {};
  return new DenseDataset(name, out, data.labels, k, data.nClasses, undefined, { ...(data.classNames ? { classNames: data.classNames } : {}), ...names });
}

/** Options of {@link retrainAccuracy}. */
export interface RetrainOptions {
  /** Hidden layer sizes of the classifier (default [64]: a small dense MLP). */
  readonly hidden?: readonly number[];
  /** Epochs (default 30). */
  readonly epochs?: number;
  readonly seed?: number;
}

/**
 * The test accuracy of a small dense classifier (ReLU MLP, Adam) trained on the columns `features` of `train`
 * and evaluated on the same columns of `test`: how useful the selected features are for prediction.
 * Pass every index to measure "all features".
 */
export async function retrainAccuracy(train: Dataset, test: Dataset, features: ArrayLike<number>, options: RetrainOptions = {}): Promise<number> {
  const tr = selectFeatures(train, features), te = selectFeatures(test, features);
  const seed = options.seed ?? 0;
  const model = mlp([tr.nFeatures, ...(options.hidden ?? [64]), Math.max(tr.nClasses, te.nClasses)], { sparsity: { kind: 'dense' }, seed });
  model.compile({ optimizer: { name: 'adam', lr: 0.003 }, policy: 'static' });
  await model.fit(tr, { epochs: options.epochs ?? 30, batchSize: 32, verbose: 0 });
  return model.evaluate(te).accuracy;
}
