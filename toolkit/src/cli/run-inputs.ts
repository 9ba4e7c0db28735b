/**
 * What the `summarize`, `evaluate`, `predict` and `export` commands read from a run folder written by
 * `train`: its manifest, result and metrics, its models (`model.json`, `best-model.json`), its own data
 * (re-loaded from the config the manifest records) and new data files prepared exactly as the run
 * prepared its own (same feature columns or width, same classes, the training part's standardisation or
 * max-abs scaling).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, DataError } from '../core/errors';
import { loadCsv } from '../data/csv';
import type { Dataset, DenseDataset } from '../data/dataset';
import { loadLibsvm } from '../data/libsvm';
import { applyMaxAbs, featureMaxAbs } from '../data/max-abs';
import type { SparseDataset } from '../data/sparse-dataset';
import { applyStandardization, featureStats } from '../data/standardize';
import { parseRunConfig, type RunConfig } from '../experiments/config';
import { loadRunDataAsync, type AnyRunData } from '../experiments/data';
import type { MetricsLine, RunResult } from '../experiments/run';
import { readJsonLines } from '../io/files';
import type { Manifest } from '../io/manifest';
import { loadModel } from '../io/model-file';
import type { Model } from '../train/model';

/** The files of a run folder that describe it (the models are loaded separately, see {@link loadRunModel}). */
export interface RunFolder {
  readonly dir: string;
  readonly manifest: Manifest;
  /** The run's config as recorded (every default filled in), validated again. */
  readonly config: RunConfig;
  /** `result.json`; null while the run is unfinished (running, interrupted or failed). */
  readonly result: RunResult | null;
  /** `metrics.jsonl`, one line per completed epoch (empty when missing). */
  readonly metrics: MetricsLine[];
}

/** Which saved model of a run: the final one (`model.json`) or the best-validation one (`best-model.json`). */
export type ModelChoice = 'final' | 'best';

/** The file of the chosen model. */
export const MODEL_FILES: Record<ModelChoice, string> = { final: 'model.json', best: 'best-model.json' };

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DataError(`${what} ${file} is not valid JSON (${(e as Error).message})`);
  }
}

/** True when `dir` holds a run written by `train` (a `manifest.json`). */
export function isRunFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'manifest.json'));
}

/**
 * Reads a run folder's manifest, result and metrics.
 * @throws {@link DataError} when `dir` holds no run (no `manifest.json`) or a file is unreadable;
 *   {@link ConfigError} when the recorded config is not valid for this toolkit.
 */
export function readRunFolder(dir: string): RunFolder {
  if (!fs.existsSync(dir)) throw new DataError(`${dir} does not exist`);
  if (!isRunFolder(dir)) throw new DataError(`${dir} holds no run: expected the manifest.json that \`synapses-ts train\` writes`);
  const manifest = readJson(path.join(dir, 'manifest.json'), 'manifest') as Manifest;
  if (manifest?.format !== 'synapses-ts/manifest') throw new DataError(`${path.join(dir, 'manifest.json')} is not a synapses-ts run manifest`);
  const config = parseRunConfig(manifest.config);
  const resultFile = path.join(dir, 'result.json');
  const result = fs.existsSync(resultFile) ? (readJson(resultFile, 'result') as RunResult) : null;
  const metricsFile = path.join(dir, 'metrics.jsonl');
  const metrics = fs.existsSync(metricsFile) ? readJsonLines<MetricsLine>(metricsFile) : [];
  return { dir, manifest, config, result, metrics };
}

/**
 * Loads the chosen model of a run folder onto `backend` (default `auto`: the fastest available).
 * @throws {@link DataError} when the file is missing (a run without validation has no `best-model.json`;
 *   an unfinished run has no `model.json`), ModelFileError when it is invalid.
 */
export function loadRunModel(dir: string, which: ModelChoice, backend = 'auto'): Model {
  const file = path.join(dir, MODEL_FILES[which]);
  if (!fs.existsSync(file)) {
    const why = which === 'best'
      ? 'the run had no validation part (data.validation 0), so no best-validation model was saved; use --model final'
      : 'the run has not finished; use --model best for the best-validation model saved so far';
    throw new DataError(`${file} does not exist: ${why}`);
  }
  return loadModel(file, backend);
}

/** Parses `--model best|final`. */
export function parseModelChoice(text: string | undefined): ModelChoice {
  if (text === undefined || text === 'final') return 'final';
  if (text === 'best') return 'best';
  throw new ConfigError(`--model must be "final" (model.json) or "best" (best-model.json), got "${text}"`);
}

/** The run's own data, loaded again from its recorded config (the same files, seeds and scaling). */
export function loadOwnData(run: RunFolder): Promise<AnyRunData> {
  return loadRunDataAsync(run.config.data, run.config.seed);
}

/** The kinds of data file `evaluate --data` and `predict --data` read. */
export type DataFileFormat = 'csv' | 'libsvm';

/** Options for {@link loadDataFileLikeRun}. */
export interface DataFileOptions {
  /** File format; default: from the extension (`.csv`, `.tsv`, `.tab` are CSV; anything else LIBSVM). */
  readonly format?: DataFileFormat;
  /** The CSV label column; default: the run's own (`data.label`) for a CSV run, otherwise `label`. */
  readonly label?: string;
  /**
   * `training`: every label must be one of the run's classes and maps to it (for evaluation);
   * `any`: labels are read as they are, and need not be classes of the run (for prediction, where the
   * label column may hold a placeholder).
   */
  readonly labels: 'training' | 'any';
}

/** The format of a data file from its extension. */
export function formatOf(file: string, format?: string): DataFileFormat {
  if (format !== undefined) {
    if (format !== 'csv' && format !== 'libsvm') throw new ConfigError(`--format must be csv or libsvm, got "${format}"`);
    return format;
  }
  return /\.(csv|tsv|tab)$/i.test(file) ? 'csv' : 'libsvm';
}

/**
 * The class names of a trained run: the training data's own (CSV and LIBSVM labels), else the class numbers.
 */
export function classNamesOf(train: Dataset): string[] {
  return train.classNames ? [...train.classNames] : Array.from({ length: train.nClasses }, (_, c) => String(c));
}

/**
 * The run's training part before scaling (the parts {@link loadOwnData} returns are already scaled, so their
 * statistics are those of scaled data): the statistics the run scaled all its data with come from it.
 */
async function rawTrainingPart(run: RunFolder): Promise<Dataset> {
  const data = run.config.data;
  const raw = data.name === 'libsvm' ? { ...data, scale: 'none' as const } : { ...data, standardize: false };
  return (await loadRunDataAsync(raw as RunConfig['data'], run.config.seed)).train;
}

/**
 * Reads a CSV or LIBSVM file as the run would have read it: CSV columns matched by name to the run's feature
 * columns (a run on built-in data takes every column but the label, in file order), LIBSVM indices with the
 * run's width and index base, and the training part's standardisation or max-abs scaling applied.
 * @param train - the run's training part (from {@link loadOwnData}): its features, classes and statistics.
 * @throws {@link DataError} from the loaders (naming file, line and column), and when the file's width
 *   differs from the run's.
 */
export async function loadDataFileLikeRun(file: string, run: RunFolder, train: Dataset, options: DataFileOptions): Promise<Dataset> {
  const data = run.config.data;
  const format = formatOf(file, options.format);
  const classes = options.labels === 'training' ? classNamesOf(train) : undefined;
  let ds: Dataset;
  if (format === 'csv') {
    if (data.name === 'libsvm') throw new DataError(`${file}: the run was trained on LIBSVM data; give its new data as a LIBSVM file`);
    const label = options.label ?? (data.name === 'csv' ? data.label : 'label');
    ds = await loadCsv(file, {
      label,
      ...(data.name === 'csv' && data.delimiter !== undefined ? { delimiter: data.delimiter } : {}),
      ...(train.featureNames ? { features: train.featureNames } : {}),
      ...(classes ? { classes } : {}),
    });
    if ('standardize' in data && data.standardize) ds = applyStandardization(ds as DenseDataset, featureStats((await rawTrainingPart(run)) as DenseDataset));
  } else {
    if (data.name === 'csv') throw new DataError(`${file}: the run was trained on CSV data; give its new data as a CSV file with the same columns`);
    if ('standardize' in data && data.standardize) throw new DataError(`${file}: the run standardised its dense data; give the new data as a CSV file`);
    ds = loadLibsvm(file, {
      nFeatures: train.nFeatures,
      zeroBased: data.name === 'libsvm' ? data.zeroBased : false,
      ...(classes ? { classes } : {}),
    });
    if (data.name === 'libsvm' && data.scale === 'max-abs') ds = applyMaxAbs(ds as SparseDataset, featureMaxAbs((await rawTrainingPart(run)) as SparseDataset));
  }
  if (ds.nFeatures !== train.nFeatures) {
    throw new DataError(`${file} has ${ds.nFeatures} features but the run was trained on ${train.nFeatures}`);
  }
  return ds;
}
