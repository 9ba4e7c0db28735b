/**
 * Loading the data a run config names.
 *
 * {@link loadRunDataAsync} loads every kind of data: the built-in sets, CSV tables (read asynchronously with
 * danfojs-node) and LIBSVM files (kept sparse). {@link loadRunData} is its synchronous subset for the built-in
 * dense sets, kept for callers that need a {@link DenseDataset}.
 *
 * @packageDocumentation
 */
import { ConfigError, DataError } from '../core/errors';
import { loadCsvRun } from '../data/csv';
import type { Dataset, DenseDataset } from '../data/dataset';
import { loadFashionMnist } from '../data/fashion-mnist';
import { loadIdxDataset } from '../data/idx';
import { loadLibsvmRun, type LibsvmOptions } from '../data/libsvm';
import type { SparseDataset } from '../data/sparse-dataset';
import { applyMaxAbs, featureMaxAbs } from '../data/max-abs';
import { loadMnist } from '../data/mnist';
import { stratifiedValidationSplit, trainTestSplit, type Subsettable, type TrainTest } from '../data/split';
import { syntheticClassification } from '../data/synthetic';
import { madelon } from '../data/madelon';
import { genotypes } from '../data/genotypes';
import { applyStandardization, featureStats } from '../data/standardize';
import type { RunConfig } from './config';

/**
 * The parts of a run (dense: the built-in sets): `train` is what the model trains on, `validation` (absent
 * when `data.validation` is 0) what model selection and early stopping look at, `test` what is reported.
 */
export interface RunData {
  readonly train: DenseDataset;
  readonly validation?: DenseDataset;
  readonly test: DenseDataset;
  /** Generated data with known answers (madelon): the features that truly carry the signal, ascending. */
  readonly relevantFeatures?: Int32Array;
}

/** The parts of a run, dense or sparse (see {@link RunData}). */
export interface AnyRunData {
  readonly train: Dataset;
  readonly validation?: Dataset;
  readonly test: Dataset;
  /** Generated data with known answers (madelon, genotypes): the features that carry the signal, ascending. */
  readonly relevantFeatures?: Int32Array;
}

type DataConfig = RunConfig['data'];
type FileDataConfig = Extract<DataConfig, { name: 'csv' | 'libsvm' }>;
type BuiltinDataConfig = Exclude<DataConfig, FileDataConfig | { name: 'genotypes' }>;

/**
 * Loads (or generates) the built-in dense data of `config.data` (mnist, fashion-mnist, idx, synthetic);
 * seeded splits use `seed`. Standardises when the config asks for it.
 * @throws {@link ConfigError} for csv and libsvm data, which {@link loadRunDataAsync} loads.
 */
export function loadRunData(data: DataConfig, seed: number): RunData {
  if (data.name === 'csv' || data.name === 'libsvm' || data.name === 'genotypes') {
    throw new ConfigError(`data "${data.name}" is loaded by loadRunDataAsync (CSV is read asynchronously, LIBSVM and genotype data stay sparse)`);
  }
  const raw = loadBuiltin(data, seed);
  const parts = holdOut(raw, data.validation, seed);
  const relevant = raw.relevantFeatures ? { relevantFeatures: raw.relevantFeatures } : {};
  return 'standardize' in data && data.standardize ? { ...standardizeParts(parts), ...relevant } : { ...parts, ...relevant };
}

/**
 * Holds out the validation part of the training set (stratified and seeded: see
 * {@link stratifiedValidationSplit}); before any scaling, so that the scaling's statistics come from what
 * the model trains on only.
 */
function holdOut<T extends Subsettable<T>>(raw: TrainTest<T>, fraction: number, seed: number): { train: T; validation?: T; test: T } {
  if (fraction === 0) return { train: raw.train, test: raw.test };
  const { train, validation } = stratifiedValidationSplit(raw.train, fraction, seed);
  return { train, validation, test: raw.test };
}

/** Standardises every part with the training part's statistics. */
function standardizeParts(d: { train: DenseDataset; validation?: DenseDataset; test: DenseDataset }): RunData {
  const stats = featureStats(d.train);
  const train = applyStandardization(d.train, stats), test = applyStandardization(d.test, stats);
  return d.validation ? { train, validation: applyStandardization(d.validation, stats), test } : { train, test };
}

/** Scales every part by the training part's per-feature max-abs (sparse data stays sparse). */
function maxAbsParts(d: { train: SparseDataset; validation?: SparseDataset; test: SparseDataset }): AnyRunData {
  const m = featureMaxAbs(d.train);
  const train = applyMaxAbs(d.train, m), test = applyMaxAbs(d.test, m);
  return d.validation ? { train, validation: applyMaxAbs(d.validation, m), test } : { train, test };
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
      const options = {
        label: data.label,
        ...(data.delimiter !== undefined ? { delimiter: data.delimiter } : {}),
        ...(data.features !== undefined ? { features: data.features } : {}),
        ...(data.classes !== undefined ? { classes: data.classes } : {}),
      };
      const raw = await loadCsvRun(sourceOf(data, seed), options);
      const parts = typeof data.validation === 'number'
        ? holdOut(raw, data.validation, seed)
        // Read as the test file of a pair whose training file is the run's own: same columns and classes.
        : { ...raw, validation: (await loadCsvRun({ train: data.train ?? data.file!, test: data.validation.file }, options)).test };
      return data.standardize ? standardizeParts(parts) : parts;
    }
    case 'libsvm': {
      const options = {
        zeroBased: data.zeroBased,
        ...(data.nFeatures !== undefined ? { nFeatures: data.nFeatures } : {}),
        ...(data.classes !== undefined ? { classes: data.classes } : {}),
      };
      const raw = loadLibsvmRun(sourceOf(data, seed), options);
      const parts = typeof data.validation === 'number'
        ? holdOut(raw, data.validation, seed)
        : { ...raw, validation: validationLibsvm(data, data.validation.file, raw.train.nFeatures, options) };
      return data.scale === 'max-abs' ? maxAbsParts(parts) : parts;
    }
    case 'genotypes': {
      const { nSamples, nMarkers, blockSize, ld, minMaf, mafShape, nCausal, nPairs, heritability, nClasses } = data;
      const g = genotypes({ nSamples, nMarkers, blockSize, ld, minMaf, mafShape, nCausal, nPairs, heritability, nClasses, seed });
      return { ...holdOut(trainTestSplit(g.data, { testFraction: data.testFraction }, seed), data.validation, seed), relevantFeatures: g.relevantFeatures };
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

/** A LIBSVM validation file, read with the training file's classes and width. */
function validationLibsvm(data: Extract<DataConfig, { name: 'libsvm' }>, file: string, width: number, options: LibsvmOptions): SparseDataset {
  const val = loadLibsvmRun({ train: data.train ?? data.file!, test: file }, { ...options, nFeatures: width }).test;
  return val;
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
    case 'madelon': {
      const { nSamples, nFeatures, nInformative, nRedundant, nClasses, clustersPerClass, classSep, flipY } = data;
      const m = madelon({ nSamples, nFeatures, nInformative, nRedundant, nClasses, clustersPerClass, classSep, flipY, seed });
      return { ...trainTestSplit(m.data, { testFraction: data.testFraction }, seed), relevantFeatures: m.relevantFeatures };
    }
  }
}

/**
 * Refuses training data with a single class: a classifier trained on it learns nothing, reports 100%
 * accuracy on that class and looks like a result. Typical causes: a wrong label column, a file that holds one
 * class only, or a `limit` that keeps too few samples.
 * @throws {@link DataError} naming the data set, the class (its label when the data set has class names) and
 *   the number of samples.
 */
export function checkTrainingClasses(train: Dataset): void {
  const labels = train.labels;
  if (labels.length === 0) return; // an empty set is the model's error to name ("has no samples")
  const first = labels[0]!;
  for (let s = 1; s < labels.length; s++) if (labels[s] !== first) return;
  const name = train.classNames?.[first];
  const cls = name !== undefined && name !== String(first) ? `class ${first} ("${name}")` : `class ${first}`;
  throw new DataError(
    `training data "${train.name}" has a single class: all ${labels.length} samples are ${cls}; a classifier needs at least two ` +
      `classes (check the label column or file, the classes option, or a limit that keeps too few samples)`,
  );
}
