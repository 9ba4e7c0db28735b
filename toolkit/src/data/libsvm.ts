/**
 * Reader for the LIBSVM / svmlight text format, the usual format for data with tens of thousands of sparse
 * features (gene expression, DNA markers, text): one sample per line,
 *
 * ```text
 * <label> [qid:<n>] <index>:<value> <index>:<value> ... [# comment]
 * ```
 *
 * - Indices are 1-based unless `zeroBased` is set, and strictly increasing within a line; features not listed
 *   are 0. Explicit zeros are accepted (they count towards the width) but not stored.
 * - Labels must be numbers; they become classes in numeric order (`-1/+1` give 0/1, `1..K` give 0..K-1,
 *   labels `0..K-1` keep their value), unless `classes` fixes the list (see {@link labelKey}). Multi-label
 *   lines (`1,3 ...`) are rejected.
 * - `qid:<n>` (ranking data) right after the label is ignored.
 * - Text after `#` is a comment; blank lines are skipped; lines may end with LF or CRLF; a gzipped file is
 *   recognised by its magic bytes.
 * - Errors name the file, the line, the 1-based character column and the token number (the label is token 1),
 *   e.g. `data.svm, line 17, column 23 (token 4 '5:abc'): value 'abc' is not a number`.
 *
 * The file is read into one Buffer and scanned byte by byte without splitting it into strings; values in the
 * usual decimal forms are converted with exact integer arithmetic (same result as `Number(text)`). Samples are
 * stored as CSR in a {@link SparseDataset} and stay sparse until a batch is built.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { checkInt } from '../core/assert';
import { DataError } from '../core/errors';
import { ClassMap, defaultClasses, isDecimal, labelKey } from './labels';
import { SparseDataset } from './sparse-dataset';
import { trainTestSplit, type TrainTest } from './split';

/** Options of {@link loadLibsvm}. */
export interface LibsvmOptions {
  /**
   * Number of features. Default: the largest index in the file (both files for a train/test pair) plus one
   * (for 1-based files, the largest index itself). An index beyond it is an error.
   */
  readonly nFeatures?: number;
  /** Indices start at 0 instead of LIBSVM's 1 (default false). */
  readonly zeroBased?: boolean;
  /** The label of each class, in class order (e.g. `['-1', '1']`); default: the file's labels in numeric order. */
  readonly classes?: readonly string[];
  /** Name of the data set (default: the file path). */
  readonly name?: string;
}

/** Where a run's LIBSVM data comes from: one file split by seed, or separate train and test files. */
export type LibsvmSource =
  | { readonly file: string; readonly testFraction?: number; readonly seed: number }
  | { readonly train: string; readonly test: string };

/**
 * Reads a LIBSVM/svmlight file into a sparse data set.
 * @returns a {@link SparseDataset} with `classNames` (the label of each class).
 * @throws {@link DataError} naming file, line, column and token for a malformed line, and for a file that is
 *   missing, empty or has a label outside `classes`.
 * @example
 * const ds = loadLibsvm('leukemia.svm');
 * ds.nFeatures; // 7129
 */
export function loadLibsvm(path: string, options: LibsvmOptions = {}): SparseDataset {
  if (options.nFeatures !== undefined) checkInt(options.nFeatures, `loadLibsvm ${path}: nFeatures`, 1);
  const p = parseLibsvm(path, options.zeroBased ?? false, options.nFeatures);
  if (options.nFeatures === undefined) checkIndexSpread([p]);
  const map = new ClassMap(options.classes ?? defaultClasses(p.keys));
  return build(p, options.nFeatures ?? widthOf(p), map, options.classes ? 'given' : 'file', options.name ?? path);
}

/**
 * Loads the train and test sets of a run from LIBSVM files: one file split by a seeded permutation
 * (`testFraction` defaults to 0.2), or a train file and a test file. For a pair, the width is the larger of
 * the two files' (unless `nFeatures` is given) and the classes are the training file's: a test label not among
 * them is an error.
 * @example
 * const { train, test } = loadLibsvmRun({ file: 'data.svm', seed: 0 }, { zeroBased: true });
 */
export function loadLibsvmRun(source: LibsvmSource, options: LibsvmOptions = {}): TrainTest<SparseDataset> {
  if ('file' in source) {
    return trainTestSplit(loadLibsvm(source.file, options), { testFraction: source.testFraction ?? 0.2 }, source.seed);
  }
  if (options.nFeatures !== undefined) checkInt(options.nFeatures, `loadLibsvmRun: nFeatures`, 1);
  const zeroBased = options.zeroBased ?? false;
  const a = parseLibsvm(source.train, zeroBased, options.nFeatures);
  const b = parseLibsvm(source.test, zeroBased, options.nFeatures);
  if (options.nFeatures === undefined) checkIndexSpread([a, b]);
  const width = options.nFeatures ?? Math.max(widthOf(a, false), widthOf(b, false));
  if (width === 0) throw new DataError(`${source.train} and ${source.test} list no features; pass nFeatures`);
  const map = new ClassMap(options.classes ?? defaultClasses(a.keys));
  const base = options.name ?? source.train;
  return {
    train: build(a, width, map, options.classes ? 'given' : 'file', `${base}/train`),
    test: build(b, width, map, options.classes ? 'given' : 'training', `${base}/test`),
  };
}

/** A parsed file before classes and width are fixed. */
interface Parsed {
  readonly file: string;
  readonly rowPtr: Int32Array;
  readonly featureIdx: Int32Array;
  readonly values: Float32Array;
  /** Per sample, an index into `keys`. */
  readonly labelIds: Int32Array;
  /** Distinct canonical labels, in order of first appearance. */
  readonly keys: string[];
  /** Per sample, its 1-based line. */
  readonly lines: Int32Array;
  /** Largest 0-based feature index seen (explicit zeros included), -1 when none. */
  readonly maxIndex: number;
  /** The 1-based line of the first occurrence of {@link Parsed.maxIndex} (0 when none). */
  readonly maxLine: number;
  /** 1 for a 1-based file, 0 for a 0-based one (to show indices as written). */
  readonly base: number;
}

/** Below this width an outlying index costs little memory and is not worth refusing. */
export const OUTLIER_MIN_WIDTH = 100_000;
/** A width more than this many times the 99.9th percentile of the distinct indices is an outlier. */
export const OUTLIER_RATIO = 100;

/**
 * Refuses a width set by a few indices far beyond the rest (one stray `1000000000:1` among indices below
 * 1000 would make the first layer a billion inputs wide): when the width implied by the largest index is at
 * least {@link OUTLIER_MIN_WIDTH} and more than {@link OUTLIER_RATIO} times the 99.9th percentile of the
 * distinct indices (in a file with under a thousand distinct indices: when only the largest is that far).
 * Only called when `nFeatures` was not given: giving it accepts any index below it.
 *
 * O(nnz) time; memory: a bitmap over the low range (width / ratio bits) and a set of the few high indices.
 * @throws {@link DataError} naming the file, the line and the index, and how to accept it (`nFeatures`).
 */
function checkIndexSpread(files: readonly Parsed[]): void {
  const top = files.reduce((a, p) => (p.maxIndex > a.maxIndex ? p : a));
  const width = top.maxIndex + 1;
  if (width < OUTLIER_MIN_WIDTH) return;
  // Distinct indices below `cut` (a bitmap) and at or above it (a set, capped: many high indices are no outlier).
  const cut = Math.ceil(width / OUTLIER_RATIO);
  const low = new Uint8Array(Math.ceil(cut / 8));
  const high = new Set<number>();
  const HIGH_CAP = 1 << 20;
  let lowCount = 0;
  for (const p of files) {
    const idx = p.featureIdx;
    for (let k = 0; k < idx.length; k++) {
      const f = idx[k]!;
      if (f < cut) {
        const byte = f >> 3, bit = 1 << (f & 7);
        if ((low[byte]! & bit) === 0) {
          low[byte]! |= bit;
          lowCount++;
        }
      } else if (high.size < HIGH_CAP) high.add(f);
      else return;
    }
    // Explicit zeros are not stored but count towards the width: the largest index is always among them.
    if (p.maxIndex >= cut) high.add(p.maxIndex);
  }
  const distinct = lowCount + high.size;
  // The 99.9th percentile is below `cut` when at most 0.1% of the distinct indices are at or above it; in a
  // file with under a thousand distinct indices, that is one.
  if (high.size > Math.max(1, Math.floor(0.001 * distinct))) return;
  throw new DataError(
    `${top.file}, line ${top.maxLine}: feature index ${top.maxIndex + top.base} is far beyond the others ` +
      `(${distinct - high.size} of the ${distinct} distinct feature indices are below ${cut + top.base}); it would make ` +
      `${width} input features. Fix that line, or give the number of features (data.nFeatures, e.g. --set data.nFeatures=${width}) to accept it`,
  );
}

/** Width implied by the indices of a parsed file. */
function widthOf(p: Parsed, required = true): number {
  if (required && p.maxIndex < 0) throw new DataError(`${p.file} lists no features; pass nFeatures`);
  return p.maxIndex + 1;
}

function build(p: Parsed, nFeatures: number, map: ClassMap, from: 'file' | 'given' | 'training', name: string): SparseDataset {
  const n = p.labelIds.length;
  const classOfId = p.keys.map((k) => map.indexOf(k));
  const labels = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const c = classOfId[p.labelIds[s]!]!;
    if (c < 0) {
      const which = from === 'training' ? 'the training classes' : 'the classes given in options.classes';
      throw new DataError(`label '${p.keys[p.labelIds[s]!]}' at ${p.file} line ${p.lines[s]} is not one of ${which} ${map.describe()}`);
    }
    labels[s] = c;
  }
  return new SparseDataset(name, p.rowPtr, p.featureIdx, p.values, labels, nFeatures, map.classes.length, {
    classNames: map.classes,
  });
}

/** Powers of ten that are exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

const SP = 0x20, TAB = 0x09, LF = 0x0a, CR = 0x0d, HASH = 0x23, COLON = 0x3a, ZERO = 0x30, NINE = 0x39;
const PLUS = 0x2b, MINUS = 0x2d, DOT = 0x2e;

function readBytes(path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `LIBSVM file ${path} does not exist` : `cannot read LIBSVM file ${path}: ${(e as Error).message}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`LIBSVM file ${path} looks gzipped but does not decompress: ${(e as Error).message}`);
    }
  }
  return bytes;
}

/** Where the last {@link fastDecimal} call stopped reading. */
let stop = 0;

/**
 * Reads the decimal number starting at `buf[a]` (before `b`) and returns its value when it has the usual form,
 * at most 15 significant digits and a small exponent (one exact multiply or divide, so the result is correctly
 * rounded, as `Number(text)`); returns NaN otherwise, and the caller falls back to `Number(text)`, which also
 * builds the error messages. Sets {@link stop} to the first byte not read.
 */
function fastDecimal(buf: Uint8Array, a: number, b: number): number {
  let i = a, neg = false;
  const c0 = buf[i];
  if (c0 === MINUS) { neg = true; i++; } else if (c0 === PLUS) i++;
  let mant = 0, exp = 0, digits = 0;
  for (; i < b; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) break;
    mant = mant * 10 + (c - ZERO);
    digits++;
  }
  if (i < b && buf[i] === DOT) {
    for (i++; i < b; i++) {
      const c = buf[i]!;
      if (c < ZERO || c > NINE) break;
      mant = mant * 10 + (c - ZERO);
      exp--;
      digits++;
    }
  }
  if (i < b && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    let eneg = false, e = 0, ed = 0;
    if (buf[i] === MINUS) { eneg = true; i++; } else if (buf[i] === PLUS) i++;
    for (; i < b; i++) {
      const c = buf[i]!;
      if (c < ZERO || c > NINE) break;
      if (e < 1000) e = e * 10 + (c - ZERO);
      ed++;
    }
    if (ed === 0) digits = 0;
    exp += eneg ? -e : e;
  }
  stop = i;
  if (digits === 0 || mant >= 1e15) return NaN;
  let v: number;
  if (exp === 0) v = mant;
  else if (exp > 0 && exp <= 22) v = mant * POW10[exp]!;
  else if (exp < 0 && exp >= -22) v = mant / POW10[-exp]!;
  else return NaN;
  return neg ? -v : v;
}

/** A growable typed array: `grow(a, need)` returns `a` or a copy at least 1.5 times larger. */
function grow<T extends Int32Array | Float32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, Math.ceil(a.length * 1.5) + 16));
  b.set(a);
  return b;
}

/**
 * Parses a LIBSVM file into CSR arrays with 0-based indices.
 * @param limit - nFeatures when given: an index at or beyond it is an error naming line and column.
 */
function parseLibsvm(path: string, zeroBased: boolean, limit: number | undefined): Parsed {
  const file = readBytes(path);
  // A plain Uint8Array view: element reads on it are faster than on the Buffer subclass.
  const buf = new Uint8Array(file.buffer, file.byteOffset, file.length);
  const text = (a: number, b: number): string => file.toString('utf8', a, b);
  const n = buf.length;
  // First guesses (a pair "i:v " takes at least 4 bytes, usually 8 to 12); the arrays grow when needed.
  let featureIdx = new Int32Array(Math.ceil(n / 10) + 16);
  let values = new Float32Array(featureIdx.length);
  let rowPtr = new Int32Array(1024), labelIds = new Int32Array(1024), lines = new Int32Array(1024);
  const idOfToken = new Map<string, number>();
  const idOfKey = new Map<string, number>();
  const keys: string[] = [];
  const base = zeroBased ? 0 : 1;
  const max = limit ?? 2147483647;
  let pos = 0, line = 0, rows = 0, nnz = 0, maxIndex = -1, maxLine = 0;

  while (pos < n) {
    line++;
    let eol = file.indexOf(LF, pos);
    if (eol < 0) eol = n;
    let end = eol;
    if (end > pos && buf[end - 1] === CR) end--;
    const lineStart = pos;
    pos = eol + 1;
    let token = 0;
    /** End of the token starting at `i`: the next blank, comment or line end. */
    const tokenEnd = (i: number): number => {
      while (i < end) {
        const c = buf[i];
        if (c === SP || c === TAB || c === HASH) break;
        i++;
      }
      return i;
    };
    const fail = (t0: number, message: string): never => {
      const t1 = tokenEnd(t0);
      const shown = text(t0, Math.min(t1, t0 + 40)) + (t1 - t0 > 40 ? '...' : '');
      throw new DataError(`${path}, line ${line}, column ${t0 - lineStart + 1} (token ${token} '${shown}'): ${message}`);
    };

    let i = lineStart;
    while (i < end && (buf[i] === SP || buf[i] === TAB)) i++;
    if (i >= end || buf[i] === HASH) continue; // blank or comment line

    token = 1;
    const l1 = tokenEnd(i);
    const raw = text(i, l1);
    let id = idOfToken.get(raw);
    if (id === undefined) {
      if (raw.includes(':')) fail(i, 'expected a label first, then index:value pairs');
      if (raw.includes(',')) fail(i, 'multi-label lines are not supported; expected one numeric class label');
      if (!isDecimal(raw)) fail(i, `the label '${raw}' is not a number`);
      const key = labelKey(raw);
      id = idOfKey.get(key);
      if (id === undefined) {
        id = keys.length;
        keys.push(key);
        idOfKey.set(key, id);
      }
      idOfToken.set(raw, id);
    }
    i = l1;

    let prev = -1;
    for (;;) {
      while (i < end && (buf[i] === SP || buf[i] === TAB)) i++;
      if (i >= end || buf[i] === HASH) break;
      token++;
      const t0 = i;
      let index = 0, digits = 0;
      while (i < end) {
        const c = buf[i]!;
        if (c < ZERO || c > NINE) break;
        if (digits < 11) index = index * 10 + (c - ZERO);
        digits++;
        i++;
      }
      if (digits === 0 || i >= end || buf[i] !== COLON) {
        const t1 = tokenEnd(t0);
        if (token === 2 && t1 - t0 > 4 && text(t0, t0 + 4) === 'qid:') {
          i = t1; // ranking query id: ignored
          continue;
        }
        fail(t0, 'expected index:value');
      }
      if (digits > 10 || index > 2147483647) fail(t0, 'the feature index is too large');
      const f = index - base;
      if (f < 0) fail(t0, 'feature index 0, but indices are 1-based (pass zeroBased: true for a 0-based file)');
      if (f <= prev) fail(t0, `feature index ${index} after ${prev + base}; indices must be strictly increasing within a line`);
      if (f >= max) fail(t0, `feature index ${index} is beyond nFeatures = ${max}`);
      const v0 = i + 1;
      let v = fastDecimal(buf, v0, end);
      i = stop;
      const c = buf[i];
      if (v !== v || (i < end && c !== SP && c !== TAB && c !== HASH)) {
        i = tokenEnd(v0);
        const value = text(v0, i);
        if (value === '') fail(t0, 'the value is missing');
        if (/^[+-]?(nan|inf|infinity)$/i.test(value)) fail(t0, `the value is ${value}; features must be finite numbers`);
        if (!isDecimal(value)) fail(t0, `value '${value}' is not a number`);
        v = Number(value);
      }
      const v32 = Math.fround(v);
      if (v32 - v32 !== 0) fail(t0, `value ${text(v0, i)} is outside the float32 range`);
      if (v32 !== 0) {
        if (nnz === featureIdx.length) {
          featureIdx = grow(featureIdx, nnz + 1);
          values = grow(values, nnz + 1);
        }
        featureIdx[nnz] = f;
        values[nnz] = v32;
        nnz++;
      }
      if (f > maxIndex) {
        maxIndex = f;
        maxLine = line;
      }
      prev = f;
    }
    if (rows + 1 >= rowPtr.length) {
      rowPtr = grow(rowPtr, rows + 2);
      labelIds = grow(labelIds, rows + 2);
      lines = grow(lines, rows + 2);
    }
    labelIds[rows] = id;
    lines[rows] = line;
    rows++;
    rowPtr[rows] = nnz;
  }
  if (rows === 0) throw new DataError(`LIBSVM file ${path} has no samples (only blank or comment lines)`);
  return {
    file: path,
    rowPtr: rowPtr.slice(0, rows + 1),
    featureIdx: featureIdx.slice(0, nnz),
    values: values.slice(0, nnz),
    labelIds: labelIds.slice(0, rows),
    keys,
    lines: lines.slice(0, rows),
    maxIndex,
    maxLine,
    base,
  };
}
