/**
 * Loading the data a run config names.
 *
 * {@link loadRunDataAsync} loads every kind of data: the built-in sets, CSV tables (read asynchronously with
 * danfojs-node) and LIBSVM files (kept sparse). {@link loadRunData} is its synchronous subset for the built-in
 * dense sets, kept for callers that need a {@link DenseDataset}.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import { loadCsvRun } from '../data/csv';
import type { Dataset, DenseDataset } from '../data/dataset';
import { loadFashionMnist } from '../data/fashion-mnist';
import { loadIdxDataset } from '../data/idx';
import { loadLibsvmRun } from '../data/libsvm';
import { maxAbsScale } from '../data/max-abs';
import { loadMnist } from '../data/mnist';
import { trainTestSplit, type TrainTest } from '../data/split';
import { syntheticClassification } from '../data/synthetic';
import { standardize } from '../data/standardize';
import type { RunConfig } from './config';

/** The train and test sets of a run (dense: the built-in sets). */
export interface RunData {
  readonly train: DenseDataset;
  readonly test: DenseDataset;
}

/** The train and test sets of a run, dense or sparse. */
export interface AnyRunData {
  readonly train: Dataset;
  readonly test: Dataset;
}

type DataConfig = RunConfig['data'];
type FileDataConfig = Extract<DataConfig, { name: 'csv' | 'libsvm' }>;
type BuiltinDataConfig = Exclude<DataConfig, FileDataConfig>;

/**
 * Loads (or generates) the built-in dense data of `config.data` (mnist, fashion-mnist, idx, synthetic);
 * seeded splits use `seed`. Standardises when the config asks for it.
 * @throws {@link ConfigError} for csv and libsvm data, which {@link loadRunDataAsync} loads.
 */
export function loadRunData(data: DataConfig, seed: number): RunData {
  if (data.name === 'csv' || data.name === 'libsvm') {
    throw new ConfigError(`data "${data.name}" is loaded by loadRunDataAsync (CSV is read asynchronously, LIBSVM data stays sparse)`);
  }
  const raw = loadBuiltin(data, seed);
  return data.standardize ? pair(standardize(raw)) : raw;
}

/**
 * Loads the data of any run config: the built-in sets as {@link loadRunData}, CSV tables with
 * {@link loadCsvRun} (standardised when `standardize` is set) and LIBSVM files with {@link loadLibsvmRun}
 * (scaled by the training set's max-abs when `scale` is `"max-abs"`; sparse data is never centred).
 * @example const { train, test } = await loadRunDataAsync({ name: 'libsvm', file: 'x.svm', ... }, 0);
 */
export async function loadRunDataAsync(data: DataConfig, seed: number): Promise<AnyRunData> {
  switch (data.name) {
    case 'csv': {
      const raw = await loadCsvRun(sourceOf(data, seed), {
        label: data.label,
        ...(data.delimiter !== undefined ? { delimiter: data.delimiter } : {}),
        ...(data.features !== undefined ? { features: data.features } : {}),
        ...(data.classes !== undefined ? { classes: data.classes } : {}),
      });
      return data.standardize ? pair(standardize(raw)) : raw;
    }
    case 'libsvm': {
      const raw = loadLibsvmRun(sourceOf(data, seed), {
        zeroBased: data.zeroBased,
        ...(data.nFeatures !== undefined ? { nFeatures: data.nFeatures } : {}),
        ...(data.classes !== undefined ? { classes: data.classes } : {}),
      });
      return data.scale === 'max-abs' ? pair(maxAbsScale(raw)) : raw;
    }
    default:
      return loadRunData(data, seed);
  }
}

/** The file source of a csv/libsvm config (the schema guarantees `file` or both `train` and `test`). */
function sourceOf(data: FileDataConfig, seed: number) {
  if (data.file !== undefined) return { file: data.file, testFraction: data.testFraction, seed };
  return { train: data.train!, test: data.test! };
}

/** Just the train and test parts (drops extra fields such as statistics). */
function pair<T extends Dataset>(d: TrainTest<T>): TrainTest<T> {
  return { train: d.train, test: d.test };
}

function loadBuiltin(data: BuiltinDataConfig, seed: number): RunData {
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
