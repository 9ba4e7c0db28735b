/**
 * Tables a researcher brings: CSV or TSV files with a header row, one sample per row, a label column named by
 * the caller and numeric feature columns.
 *
 * The table is read with danfojs-node (`dfd.readCSV`, papaparse underneath), which is imported lazily on the
 * first call: loading it pulls in TensorFlow.js and takes one to four seconds, which nothing else in the
 * toolkit should pay. Before danfojs reads the file, a light pass over the raw text (honouring quoted fields,
 * which may hold delimiters and line breaks) finds the header, the line each row starts on and rows whose field
 * count differs from the header's, which danfojs would otherwise pad or reject without a line number. Every
 * cell is then checked here, so that every error names the file, the line (1-based, the header is line 1) and
 * the column:
 *
 * - a missing label or feature column (the message lists the columns the file has);
 * - an empty or non-numeric feature cell, NaN, Infinity, or a value outside the float32 range;
 * - a ragged row, an unclosed quote, mixed LF/CRLF line endings, an empty or duplicated header name;
 * - a label that is not one of the given (or training) classes.
 *
 * Blank lines are skipped. Labels are mapped to classes as described in {@link labelKey} and
 * {@link defaultClasses}: sorted distinct values by default (numbers in numeric order).
 *
 * Size: danfojs builds its table from one object per row, so the load time grows with the number of cells
 * (timings in docs/bench.md). For very wide data, such as
 * tens of thousands of genes, use the LIBSVM format ({@link loadLibsvm}), which stays sparse and loads millions
 * of nonzeros in a fraction of a second.
 *
 * @packageDocumentation
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { DataError, InvalidArgumentError } from '../core/errors';
import { DenseDataset } from './dataset';
import { ClassMap, defaultClasses, isDecimal, labelKey } from './labels';
import { trainTestSplit, type TrainTest } from './split';

/** Options of {@link loadCsv}. */
export interface CsvOptions {
  /** Name of the label column (required). */
  readonly label: string;
  /** Field delimiter; default: tab for `.tsv`/`.tab` files, otherwise sniffed from the header line (tab when it has tabs and no commas, else comma). */
  readonly delimiter?: ',' | '\t';
  /**
   * The label of each class, in class order; a label not in the list is an error. Default: the file's
   * distinct labels, sorted (numerically when all are numbers, so labels 0..K-1 keep their value).
   */
  readonly classes?: readonly string[];
  /** The feature columns, in this order; default: every column but the label, in file order. */
  readonly features?: readonly string[];
  /** Name of the data set (default: the file path). */
  readonly name?: string;
}

/** Where a run's CSV data comes from: one file split by seed, or separate train and test files. */
export type CsvSource =
  | { readonly file: string; readonly testFraction?: number; readonly seed: number }
  | { readonly train: string; readonly test: string };

/**
 * Reads a CSV/TSV table into an in-memory data set.
 *
 * @param path - the file; its first non-blank line is the header.
 * @returns a {@link DenseDataset} with one sample per data row, `featureNames` (the feature columns) and
 *   `classNames` (the label of each class).
 * @throws {@link DataError} naming file, line and column for every problem listed in the module description.
 * @throws {@link InvalidArgumentError} when the options contradict each other (label listed as a feature ...).
 * @example
 * const ds = await loadCsv('iris.csv', { label: 'species' });
 * ds.classNames; // ['setosa', 'versicolor', 'virginica']
 */
export async function loadCsv(path: string, options: CsvOptions): Promise<DenseDataset> {
  return readTable(path, options, options.classes ? { map: new ClassMap(options.classes), from: 'given' } : undefined);
}

/**
 * Loads the train and test sets of a run from CSV: one file split by a seeded permutation (see
 * {@link trainTestSplit}; `testFraction` defaults to 0.2), or a train file and a test file. The test file must
 * have the training file's feature columns (in any order; others are ignored) and only labels that occur in
 * the training file (or in `options.classes`); its classes are the training classes.
 *
 * @throws {@link DataError} as {@link loadCsv}, and for a test label that is not a training class:
 *   `label 'x' at test.csv line 17 is not one of the training classes [a, b]`.
 * @example
 * const { train, test } = await loadCsvRun({ train: 'train.csv', test: 'test.csv' }, { label: 'y' });
 */
export async function loadCsvRun(source: CsvSource, options: CsvOptions): Promise<TrainTest> {
  if ('file' in source) {
    const all = await loadCsv(source.file, options);
    return trainTestSplit(all, { testFraction: source.testFraction ?? 0.2 }, source.seed);
  }
  const base = options.name ?? source.train;
  const train = await loadCsv(source.train, { ...options, name: `${base}/train` });
  const test = await readTable(
    source.test,
    { ...options, features: train.featureNames!, name: `${base}/test` },
    { map: new ClassMap(train.classNames!), from: options.classes ? 'given' : 'training' },
  );
  return { train, test };
}

/** A fixed class list and where it came from (for the message when a label is not in it). */
interface FixedClasses {
  readonly map: ClassMap;
  readonly from: 'given' | 'training';
}

const QUOTE = 0x22, LF = 0x0a, CR = 0x0d, SPACE = 0x20, TAB = 0x09, COMMA = 0x2c;

async function readTable(path: string, options: CsvOptions, fixed: FixedClasses | undefined): Promise<DenseDataset> {
  if (typeof options.label !== 'string' || options.label === '') {
    throw new InvalidArgumentError(`loadCsv ${path}: option "label" must name the label column`);
  }
  const text = readText(path);
  const delimiter = options.delimiter ?? sniffDelimiter(path, text);
  const { header, lines } = scanCsv(text, delimiter.charCodeAt(0), path);

  const columnOf = new Map(header.map((h, i) => [h, i]));
  const available = () => header.map((h) => JSON.stringify(h)).join(', ');
  if (!columnOf.has(options.label)) {
    throw new DataError(`${path}: there is no label column "${options.label}"; the columns are ${available()}`);
  }
  const features = options.features ? [...options.features] : header.filter((h) => h !== options.label);
  if (options.features) {
    if (features.includes(options.label)) {
      throw new InvalidArgumentError(`loadCsv ${path}: the label column "${options.label}" is also listed as a feature`);
    }
    const dup = features.find((f, i) => features.indexOf(f) !== i);
    if (dup !== undefined) throw new InvalidArgumentError(`loadCsv ${path}: feature column "${dup}" is listed twice`);
    const missing = features.filter((f) => !columnOf.has(f));
    if (missing.length) {
      throw new DataError(
        `${path}: missing feature column${missing.length > 1 ? 's' : ''} ${missing.map((m) => JSON.stringify(m)).join(', ')}; the columns are ${available()}`,
      );
    }
  }
  if (features.length === 0) throw new DataError(`${path}: no feature columns besides the label "${options.label}"`);
  const unnamed = features.findIndex((f) => f === '');
  if (unnamed >= 0) {
    throw new DataError(
      `${path}, line 1: column ${columnOf.get('')! + 1} has no name (a pandas index? write the file with index=False, or list the features)`,
    );
  }
  if (lines.length === 0) throw new DataError(`${path}: the header is the only non-blank line; there are no data rows`);

  const table = await readWithDanfo(path, delimiter);
  if (table.rows !== lines.length) {
    throw new DataError(`${path}: danfojs-node read ${table.rows} data rows but the file has ${lines.length}; check its quoting`);
  }

  const nS = lines.length, nF = features.length;
  const x = new Float32Array(nS * nF);
  features.forEach((col, j) => {
    const cells = table.column(col);
    const where = `column "${col}" (${columnOf.get(col)! + 1})`;
    for (let r = 0; r < nS; r++) x[r * nF + j] = parseFeature(cells[r], path, lines[r]!, where);
  });

  const labelCells = table.column(options.label);
  const keys = new Array<string>(nS);
  for (let r = 0; r < nS; r++) {
    const key = labelKey(String(labelCells[r] ?? ''));
    if (key === '') {
      throw new DataError(`${path}, line ${lines[r]}, column "${options.label}" (${columnOf.get(options.label)! + 1}): the label is empty`);
    }
    keys[r] = key;
  }
  const map = fixed?.map ?? new ClassMap(defaultClasses(keys));
  const labels = new Int32Array(nS);
  for (let r = 0; r < nS; r++) {
    const c = map.indexOf(keys[r]!);
    if (c < 0) {
      const which = fixed?.from === 'training' ? 'the training classes' : 'the classes given in options.classes';
      throw new DataError(`label '${keys[r]}' at ${path} line ${lines[r]} is not one of ${which} ${map.describe()}`);
    }
    labels[r] = c;
  }
  return new DenseDataset(options.name ?? path, x, labels, nF, map.classes.length, undefined, {
    classNames: map.classes,
    featureNames: features,
  });
}

/** The file as text, without a byte-order mark. */
function readText(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `CSV file ${path} does not exist` : `cannot read CSV file ${path}: ${(e as Error).message}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Tab for `.tsv`/`.tab`; otherwise tab when the first line has tabs but no commas (outside quotes), else comma. */
function sniffDelimiter(path: string, text: string): ',' | '\t' {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return '\t';
  let tabs = 0, commas = 0, quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) quoted = !quoted;
    else if (!quoted && c === LF) break;
    else if (!quoted && c === TAB) tabs++;
    else if (!quoted && c === COMMA) commas++;
  }
  return tabs > 0 && commas === 0 ? '\t' : ',';
}

/**
 * One pass over the raw text: the header's names and the line each data row starts on. Fields follow RFC 4180:
 * a field that starts with a quote ends at the next lone quote (`""` is a literal quote) and may hold
 * delimiters and line breaks. Lines end with LF or CRLF, the same throughout. A row holding one empty field (a
 * blank line) is skipped.
 * @throws {@link DataError} for a ragged row, an unclosed quote, text after a closing quote, mixed line endings,
 *   an empty file or a duplicated header name.
 */
function scanCsv(text: string, delim: number, file: string): { header: string[]; lines: number[] } {
  const n = text.length;
  const lines: number[] = [];
  let header: string[] | null = null;
  let i = 0, line = 1;
  let eol: '' | 'LF' | 'CRLF' = '';
  while (i < n) {
    const rowLine = line;
    const values: string[] = [];
    let fields = 0, firstEmpty = false;
    for (;;) {
      const start = i;
      let value: string | null = null;
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        i++;
        for (;;) {
          if (i >= n) throw new DataError(`${file}, line ${openLine}: the quoted field in column ${fields + 1} is never closed`);
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            if (text.charCodeAt(i + 1) === QUOTE) { i += 2; continue; }
            break;
          }
          if (c === LF) line++;
          i++;
        }
        if (header === null) value = text.slice(start + 1, i).replaceAll('""', '"');
        const empty = i === start + 1;
        i++; // the closing quote
        while (i < n && text.charCodeAt(i) === SPACE && delim !== SPACE) i++;
        const c = text.charCodeAt(i);
        if (i < n && c !== delim && c !== LF && !(c === CR && text.charCodeAt(i + 1) === LF)) {
          throw new DataError(`${file}, line ${line}, column ${fields + 1}: unexpected text after the closing quote of a quoted field`);
        }
        if (fields === 0) firstEmpty = empty;
      } else {
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === LF || (c === CR && text.charCodeAt(i + 1) === LF)) break;
          i++;
        }
        if (header === null) value = text.slice(start, i);
        if (fields === 0) firstEmpty = i === start;
      }
      fields++;
      if (value !== null) values.push(value);
      if (i < n && text.charCodeAt(i) === delim) {
        i++;
        continue;
      }
      if (i < n) {
        // papaparse (under danfojs) guesses one line ending for the whole file, so mixed endings are refused.
        const crlf = text.charCodeAt(i) === CR;
        if (eol === '') eol = crlf ? 'CRLF' : 'LF';
        else if ((eol === 'CRLF') !== crlf) {
          throw new DataError(`${file}, line ${line}: the line ends with ${crlf ? 'CRLF' : 'LF'} but earlier lines end with ${eol}; use one kind of line ending`);
        }
        i += crlf ? 2 : 1;
        line++;
      }
      break;
    }
    if (fields === 1 && firstEmpty) continue; // a blank line
    if (header === null) {
      header = values;
      const seen = new Set<string>();
      header.forEach((h, k) => {
        if (seen.has(h)) throw new DataError(`${file}, line ${rowLine}: column ${k + 1} repeats the header name "${h}"`);
        seen.add(h);
      });
    } else if (fields !== header.length) {
      throw new DataError(
        `${file}, line ${rowLine}: the row has ${fields} field${fields === 1 ? '' : 's'} but the header has ${header.length} (a ragged row; check for a missing or extra delimiter)`,
      );
    } else {
      lines.push(rowLine);
    }
  }
  if (header === null) throw new DataError(`${file}: the file is empty; expected a header line and data rows`);
  return { header, lines };
}

/** A feature cell as float32, or a DataError naming file, line and column. */
function parseFeature(cell: unknown, file: string, line: number, where: string): number {
  const text = cell === null || cell === undefined ? '' : String(cell).trim();
  if (text === '') throw new DataError(`${file}, line ${line}, ${where}: the cell is empty; features must be numbers (fill or drop missing values first)`);
  if (!isDecimal(text)) {
    if (/^[+-]?(nan|inf|infinity)$/i.test(text)) throw new DataError(`${file}, line ${line}, ${where}: the cell is ${text}; features must be finite numbers`);
    throw new DataError(`${file}, line ${line}, ${where}: '${text}' is not a number`);
  }
  const v = Math.fround(Number(text));
  if (!Number.isFinite(v)) throw new DataError(`${file}, line ${line}, ${where}: ${text} is outside the float32 range`);
  return v;
}

/** The cells of a table read by danfojs-node, by column name, as danfojs returns them (strings). */
interface Table {
  readonly rows: number;
  column(name: string): ArrayLike<unknown>;
}

/** The part of danfojs-node used here. */
interface Danfo {
  readCSV(path: string, options: Record<string, unknown>): Promise<{
    shape: number[];
    column(name: string): { values: ArrayLike<unknown> };
  }>;
}

let danfo: Promise<Danfo> | undefined;

/** danfojs-node, imported on first use (it loads TensorFlow.js, one to four seconds). */
function loadDanfo(): Promise<Danfo> {
  danfo ??= import('danfojs-node').then((m) => {
    const mod = m as unknown as Danfo & { default?: Danfo };
    return typeof mod.readCSV === 'function' ? mod : mod.default!;
  });
  return danfo;
}

/** Reads the table with danfojs-node, every cell as a string (no type guessing: cells are checked here). */
async function readWithDanfo(path: string, delimiter: string): Promise<Table> {
  const dfd = await loadDanfo();
  let df: Awaited<ReturnType<Danfo['readCSV']>>;
  try {
    // An absolute path: danfojs treats any path starting with "http" as a URL.
    df = await dfd.readCSV(resolve(path), { header: true, delimiter, dynamicTyping: false, skipEmptyLines: true });
  } catch (e) {
    throw new DataError(`${path}: danfojs-node could not read the table: ${(e as Error).message}`);
  }
  return { rows: df.shape[0] ?? 0, column: (name) => df.column(name).values };
}
