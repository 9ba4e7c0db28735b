/**
 * Max-abs scaling for sparse data: every feature is divided by its largest absolute value on the training set,
 * so training values land in [-1, 1] (test values may exceed it slightly).
 *
 * Why not standardise? Centring subtracts each feature's mean, which turns every stored zero into `-mean`: a
 * 50,000-feature data set becomes dense (hundreds of times more memory) and the sparse batch build loses its
 * point. Scaling alone keeps zeros zero, so sparsity is kept exactly; it evens out features measured on
 * different scales, which is what matters for training (scikit-learn's `MaxAbsScaler` does the same).
 *
 * @packageDocumentation
 */
import type { SparseDataset } from './sparse-dataset';
import type { TrainTest } from './split';

/** The largest absolute stored value of every feature (0 for a feature with no nonzeros), in float64. */
export function featureMaxAbs(ds: SparseDataset): Float64Array {
  const m = new Float64Array(ds.nFeatures);
  const idx = ds.featureIdx, val = ds.values;
  for (let k = 0; k < idx.length; k++) {
    const a = Math.abs(val[k]!), f = idx[k]!;
    if (a > m[f]!) m[f] = a;
  }
  return m;
}

/** A copy of `ds` with feature `f` divided by `maxAbs[f]` (features whose max is 0 are left as they are). */
export function applyMaxAbs(ds: SparseDataset, maxAbs: ArrayLike<number>, name = ds.name): SparseDataset {
  const scale = new Float64Array(ds.nFeatures);
  for (let f = 0; f < scale.length; f++) scale[f] = maxAbs[f]! > 0 ? 1 / maxAbs[f]! : 1;
  return ds.scaled(scale, name);
}

/**
 * Scales a train/test pair by the training set's per-feature max-abs.
 * @example const { train, test } = maxAbsScale(loadLibsvmRun({ train: 'a.svm', test: 'b.svm' }));
 */
export function maxAbsScale(data: TrainTest<SparseDataset>): TrainTest<SparseDataset> & { maxAbs: Float64Array } {
  const maxAbs = featureMaxAbs(data.train);
  return { train: applyMaxAbs(data.train, maxAbs), test: applyMaxAbs(data.test, maxAbs), maxAbs };
}
