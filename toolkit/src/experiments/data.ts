/**
 * Loading the data a run config names.
 *
 * @packageDocumentation
 */
import type { DenseDataset } from '../data/dataset';
import { loadFashionMnist } from '../data/fashion-mnist';
import { loadIdxDataset } from '../data/idx';
import { loadMnist } from '../data/mnist';
import { trainTestSplit } from '../data/split';
import { syntheticClassification } from '../data/synthetic';
import { standardize } from '../data/standardize';
import type { RunConfig } from './config';

/** The train and test sets of a run. */
export interface RunData {
  readonly train: DenseDataset;
  readonly test: DenseDataset;
}

/** Loads (or generates) the data of `config.data`; seeded splits use `seed`. */
export function loadRunData(data: RunConfig['data'], seed: number): RunData {
  const raw = loadRaw(data, seed);
  if (!data.standardize) return raw;
  const { train, test } = standardize(raw);
  return { train, test };
}

function loadRaw(data: RunConfig['data'], seed: number): RunData {
  switch (data.name) {
    case 'mnist':
      return loadMnist({ testSize: data.testSize, seed, ...(data.limit !== undefined ? { limit: data.limit } : {}) });
    case 'fashion-mnist':
      return loadFashionMnist(data.dir, data.limit ? { limit: data.limit } : {});
    case 'idx':
      return loadIdxDataset(data.dir, data.limit ? { limit: data.limit } : {});
    case 'synthetic': {
      const all = syntheticClassification({
        nSamples: data.nSamples, nFeatures: data.nFeatures, nClasses: data.nClasses, seed, noise: data.noise,
        ...(data.informative !== undefined ? { informative: data.informative } : {}),
      });
      return trainTestSplit(all, { testFraction: data.testFraction }, seed);
    }
  }
}
