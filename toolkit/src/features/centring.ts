/**
 * Centring the inputs of a network's first layer without densifying them: the training set's feature means
 * are computed in O(nnz) and folded into the layer ({@link SparseLinear.setInputCentre}), so wide sparse
 * inputs such as 0/1/2 genotype counts act as `x - mean` while every batch stays sparse.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import { DenseDataset, type Dataset } from '../data/dataset';
import { SparseDataset } from '../data/sparse-dataset';
import { featureStats } from '../data/standardize';
import { Sequential } from '../nn/sequential';
import { SparseLinear } from '../nn/sparse-linear';
import type { Model } from '../train/model';

/**
 * The mean of every feature of `data`, in float64: O(nnz + nFeatures) for a {@link SparseDataset} (absent
 * entries count as 0), one pass over the values for a {@link DenseDataset}.
 * @throws {@link ConfigError} for another kind of data set.
 */
export function featureMeans(data: Dataset): Float64Array {
  if (data instanceof SparseDataset) {
    const mean = new Float64Array(data.nFeatures);
    const idx = data.featureIdx, val = data.values;
    for (let k = 0; k < idx.length; k++) mean[idx[k]!]! += val[k]!;
    const n = Math.max(1, data.nSamples);
    for (let f = 0; f < mean.length; f++) mean[f]! /= n;
    return mean;
  }
  if (data instanceof DenseDataset) return featureStats(data).mean;
  throw new ConfigError(`featureMeans needs a SparseDataset or a DenseDataset, got ${data.constructor.name} "${data.name}"`);
}

/**
 * Centres the first layer of `model` on the feature means of `train` (the training set only, so nothing of
 * the test set leaks) and returns those means. Every later forward and backward pass, on dense or sparse
 * batches, computes the first layer on `x - mean`; see {@link SparseLinear.setInputCentre} for why wide
 * uncentred inputs need it. Call it after building the model, before `fit`; model files (`model.save`) and checkpoints keep it.
 * @throws {@link ConfigError} when the first layer is not a sparse layer or its width is not the data's.
 * @example
 * const model = mlp([200_000, 10, 2], { sparsity: { kind: 'erdos-renyi', eps: 0.002 } });
 * centreInputs(model, train);
 */
export function centreInputs(model: Model | Sequential, train: Dataset): Float32Array {
  const network = model instanceof Sequential ? model : model.network;
  const first = network.layers[0];
  if (!(first instanceof SparseLinear)) throw new ConfigError(`centreInputs needs a sparse first layer, got ${first?.kind ?? 'none'}`);
  if (first.nIn !== train.nFeatures) throw new ConfigError(`centreInputs: the first layer has ${first.nIn} inputs, the data set "${train.name}" ${train.nFeatures} features`);
  const mean = Float32Array.from(featureMeans(train));
  first.setInputCentre(mean);
  return mean;
}
