/**
 * Reader for IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/),
 * plain or gzipped, and a loader for a folder holding the four files of such a data set.
 *
 * An IDX file is a 4-byte magic number `0x00 0x00 <dtype> <ndim>`, then `ndim` big-endian uint32 sizes, then
 * the values in row-major order. Only dtype `0x08` (unsigned byte) is read, which is what image and label
 * files use.
 *
 * @packageDocumentation
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkInt } from '../core/assert';
import { DataError } from '../core/errors';
import { DenseDataset } from './dataset';
import type { TrainTest } from './split';

/** The contents of an IDX file. */
export interface IdxArray {
  /** Sizes of the dimensions, outermost first, e.g. `[60000, 28, 28]`. */
  readonly dims: number[];
  /** `product(dims)` unsigned bytes, row-major (last dimension fastest). */
  readonly data: Uint8Array;
}

/** Names of the IDX element types, by dtype byte. */
const DTYPES: Readonly<Record<number, string>> = {
  0x08: 'uint8',
  0x09: 'int8',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/**
 * Reads an IDX file of unsigned bytes, gzipped or not (gzip is recognised by its magic bytes `1f 8b`, not by
 * the file name).
 *
 * @param path - the file to read.
 * @returns its dimensions and data; `data` is a view of the file's bytes (no copy).
 * @throws {@link DataError} naming the file when it is missing or unreadable, is a corrupt gzip stream, has a
 *   wrong magic number, an element type other than uint8, a truncated header or data, or trailing bytes.
 * @example
 * const { dims, data } = readIdx('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
 * dims; // [10000]
 */
export function readIdx(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(
      code === 'ENOENT' ? `IDX file ${path} does not exist` : `cannot read IDX file ${path}: ${(e as Error).message}`,
    );
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`IDX file ${path} starts like gzip but cannot be decompressed: ${(e as Error).message}`);
    }
  }
  return parseIdx(bytes, path);
}

/**
 * Parses the bytes of an (uncompressed) IDX file; see {@link readIdx}.
 *
 * @param what - names the source in error messages, usually the file path.
 * @throws {@link DataError} as {@link readIdx} does.
 */
export function parseIdx(bytes: Uint8Array, what: string): IdxArray {
  if (bytes.length < 4) {
    throw new DataError(`IDX file ${what} is truncated: ${bytes.length} bytes, shorter than the 4-byte magic number`);
  }
  const hex = (k: number) => `0x${bytes[k]!.toString(16).padStart(2, '0')}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(
      `IDX file ${what} has a wrong magic number: starts ${hex(0)} ${hex(1)}, expected 0x00 0x00 (is it an IDX file?)`,
    );
  }
  const dtype = bytes[2]!;
  if (dtype !== 0x08) {
    const name = DTYPES[dtype];
    throw new DataError(
      name
        ? `IDX file ${what} holds ${name} values (dtype ${hex(2)}); only uint8 (0x08) is supported`
        : `IDX file ${what} has a wrong magic number: unknown dtype ${hex(2)}, expected 0x08 (uint8)`,
    );
  }
  const ndim = bytes[3]!;
  if (ndim === 0) throw new DataError(`IDX file ${what} declares 0 dimensions, expected at least 1`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `IDX file ${what} is truncated: the header of ${ndim} dimensions needs ${headerBytes} bytes, the file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const dims: number[] = [];
  let size = 1;
  for (let k = 0; k < ndim; k++) {
    const d = view.getUint32(4 + 4 * k, false);
    dims.push(d);
    size *= d;
  }
  const have = bytes.length - headerBytes;
  if (have < size) {
    throw new DataError(
      `IDX file ${what} is truncated: dims [${dims.join(', ')}] need ${size} data bytes, the file has ${have}`,
    );
  }
  if (have > size) {
    throw new DataError(
      `IDX file ${what} has a size mismatch: dims [${dims.join(', ')}] need ${size} data bytes, the file has ${have}`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Options of {@link loadIdxDataset}. */
export interface IdxDatasetOptions {
  /** Prefix of the data set names, `<name>/train` and `<name>/test` (default: the folder's base name). */
  readonly name?: string;
  /** Number of classes (default: largest label + 1 over both parts). */
  readonly nClasses?: number;
  /** Keep only the first `train` / `test` samples of each part, in file order (default: all). */
  readonly limit?: { readonly train?: number; readonly test?: number };
}

/** The four files of an MNIST-style data set, without the optional `.gz`. */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/**
 * Loads an MNIST-style data set from a folder holding `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
 * `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each optionally ending in `.gz` (the plain file is
 * preferred when both exist).
 *
 * Pixels are scaled from 0..255 to [0, 1] (Float32); `nFeatures` is the product of the image dimensions and
 * `sampleShape` the image dimensions, e.g. `[28, 28]`.
 *
 * @param dir - the folder.
 * @throws {@link DataError} when the folder or a file is missing or malformed, when images and labels
 *   disagree in count, or when a label is not below `nClasses`.
 * @throws {@link InvalidArgumentError} when a limit or `nClasses` is not a positive integer.
 * @example
 * const { train, test } = loadIdxDataset('/data/mnist', { limit: { train: 10000 } });
 */
export function loadIdxDataset(dir: string, options: IdxDatasetOptions = {}): TrainTest {
  const { name = basename(dir) || 'idx', nClasses, limit = {} } = options;
  if (limit.train !== undefined) checkInt(limit.train, 'limit.train', 1);
  if (limit.test !== undefined) checkInt(limit.test, 'limit.test', 1);
  if (nClasses !== undefined) checkInt(nClasses, 'nClasses', 1);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(`IDX data folder ${dir} does not exist`);
  const find = (base: string): string => {
    for (const candidate of [base, `${base}.gz`]) {
      const path = join(dir, candidate);
      if (existsSync(path)) return path;
    }
    const present = readdirSync(dir).sort();
    throw new DataError(
      `IDX data folder ${dir} has no ${base} or ${base}.gz; it holds: ${present.length ? present.join(', ') : '(nothing)'}`,
    );
  };
  const paths = [IDX_FILES.trainImages, IDX_FILES.trainLabels, IDX_FILES.testImages, IDX_FILES.testLabels].map(find);
  const [trainX, trainY, testX, testY] = paths.map(readIdx) as [IdxArray, IdxArray, IdxArray, IdxArray];
  const train = checkPair(trainX, trainY, paths[0]!, paths[1]!);
  checkPair(testX, testY, paths[2]!, paths[3]!);
  const shape = trainX.dims.slice(1);
  if (testX.dims.slice(1).join('x') !== shape.join('x')) {
    throw new DataError(
      `IDX images disagree in shape: ${paths[0]} has [${shape.join(', ')}], ${paths[2]} has [${testX.dims.slice(1).join(', ')}]`,
    );
  }
  const classes = nClasses ?? Math.max(maxOf(trainY.data), maxOf(testY.data)) + 1;
  const nF = train.nFeatures;
  return {
    train: toDataset(`${name}/train`, trainX.data, trainY.data, nF, classes, shape, limit.train, paths[1]!),
    test: toDataset(`${name}/test`, testX.data, testY.data, nF, classes, shape, limit.test, paths[3]!),
  };
}

function checkPair(images: IdxArray, labels: IdxArray, imagePath: string, labelPath: string): { nFeatures: number } {
  if (images.dims.length < 2) {
    throw new DataError(`IDX images ${imagePath} have dims [${images.dims.join(', ')}], expected [count, ...image shape]`);
  }
  if (labels.dims.length !== 1) {
    throw new DataError(`IDX labels ${labelPath} have dims [${labels.dims.join(', ')}], expected [count]`);
  }
  if (images.dims[0] !== labels.dims[0]) {
    throw new DataError(
      `IDX image/label count mismatch: ${imagePath} has ${images.dims[0]} images, ${labelPath} has ${labels.dims[0]} labels`,
    );
  }
  const nFeatures = images.dims.slice(1).reduce((a, b) => a * b, 1);
  if (nFeatures === 0) throw new DataError(`IDX images ${imagePath} have empty image shape [${images.dims.slice(1).join(', ')}]`);
  return { nFeatures };
}

function maxOf(a: Uint8Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i]! > m) m = a[i]!;
  return m;
}

function toDataset(
  name: string,
  pixels: Uint8Array,
  labelBytes: Uint8Array,
  nFeatures: number,
  nClasses: number,
  shape: number[],
  limit: number | undefined,
  labelPath: string,
): DenseDataset {
  const n = Math.min(labelBytes.length, limit ?? labelBytes.length);
  const scale = new Float32Array(256);
  for (let v = 0; v < 256; v++) scale[v] = v / 255;
  const features = new Float32Array(n * nFeatures);
  for (let i = 0; i < features.length; i++) features[i] = scale[pixels[i]!]!;
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const l = labelBytes[s]!;
    if (l >= nClasses) throw new DataError(`${labelPath}: label of sample ${s} is ${l}, expected an integer in [0, ${nClasses})`);
    labels[s] = l;
  }
  return new DenseDataset(name, features, labels, nFeatures, nClasses, shape);
}
