/**
 * Fashion-MNIST (Xiao, Rasul and Vollgraf, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine
 * Learning Algorithms", arXiv:1708.07747, 2017): 70,000 grey 28 x 28 images of clothing in 10 classes, in
 * the IDX format of MNIST.
 *
 * @packageDocumentation
 */
import { existsSync } from 'node:fs';
import { DataError } from '../core/errors';
import { loadIdxDataset } from './idx';
import type { TrainTest } from './split';

/** Where the Debian/Ubuntu package `dataset-fashion-mnist` installs the four gzipped IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The class names of Fashion-MNIST, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Keep only the first `train` / `test` samples of each part, in file order (default: all 60,000 / 10,000). */
  readonly limit?: { readonly train?: number; readonly test?: number };
}

/**
 * Loads Fashion-MNIST from `dir`: 60,000 training and 10,000 test images, 784 features in [0, 1]
 * (sampleShape `[28, 28]`), labels 0..9 (see {@link FASHION_MNIST_CLASSES}), named `fashion-mnist/train` and
 * `fashion-mnist/test`. Nothing is cached; a full load gunzips about 30 MB.
 *
 * @param dir - folder with the four IDX files, gzipped or not (default {@link FASHION_MNIST_DIR}).
 * @throws {@link DataError} when the folder is missing (the message says which package provides it) or a
 *   file is missing or malformed.
 * @example
 * const { train, test } = loadFashionMnist(); // from /usr/share/datasets/fashion-mnist
 * train.nSamples; // 60000
 */
export function loadFashionMnist(dir: string = FASHION_MNIST_DIR, options: FashionMnistOptions = {}): TrainTest {
  if (!existsSync(dir)) {
    throw new DataError(
      `Fashion-MNIST folder ${dir} does not exist; on Debian/Ubuntu the package dataset-fashion-mnist provides ` +
        `${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist), or pass the folder holding ` +
        'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz',
    );
  }
  return loadIdxDataset(dir, { name: 'fashion-mnist', nClasses: 10, ...(options.limit ? { limit: options.limit } : {}) });
}
