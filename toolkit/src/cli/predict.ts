/**
 * `synapses-ts predict RUN_DIR --data FILE --out preds.csv`: the predicted class and the class probabilities
 * of every sample of a CSV or LIBSVM file, by a trained run's model, written as CSV.
 *
 * The file is read as the data loaders read it and prepared as the run prepared its own data (see
 * cli/run-inputs): CSV columns matched by name, LIBSVM indices with the run's width, the training part's
 * scaling applied. Its labels are not used; a file of new samples may hold any placeholder label (LIBSVM
 * needs one on every line, a CSV file needs its label column).
 *
 * Output: a header `index,predicted,p_<class>...`, then one row per sample in file order: its 0-based
 * index, the predicted class (its name when the run's data named its classes, else its number) and the
 * probability of each class (the raw outputs for an MSE model), each the shortest decimal that reads back
 * as the same float32.
 *
 * @packageDocumentation
 */
import { writeFileAtomic } from '../io/files';
import { predictDataset } from './predictions';
import { classNamesOf, loadDataFileLikeRun, loadOwnData, loadRunModel, parseModelChoice, readRunFolder, type DataFileFormat } from './run-inputs';

/** Options of the `predict` command as parsed by commander. */
export interface PredictCommandOptions {
  data: string;
  out: string;
  model?: string;
  format?: string;
  label?: string;
  backend?: string;
}

/** The shortest decimal text that reads back (as float32) to the float32 `v`. */
export function float32Text(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  for (let p = 1; p <= 9; p++) { // 9 significant digits always identify a float32
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/** A CSV field, quoted when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Runs the `predict` command; returns the number of rows written. */
export async function predictCommand(runDir: string, o: PredictCommandOptions): Promise<number> {
  const run = readRunFolder(runDir);
  const model = loadRunModel(runDir, parseModelChoice(o.model), o.backend ?? 'auto');
  const own = await loadOwnData(run);
  const data = await loadDataFileLikeRun(o.data, run, own.train, {
    labels: 'any',
    ...(o.format !== undefined ? { format: o.format as DataFileFormat } : {}),
    ...(o.label !== undefined ? { label: o.label } : {}),
  });
  const { classes, probabilities, nOut } = predictDataset(model, data);
  const names = classNamesOf(own.train);
  while (names.length < nOut) names.push(String(names.length));
  const lines = [['index', 'predicted', ...names.slice(0, nOut).map((n) => `p_${n}`)].map(csvField).join(',')];
  for (let s = 0; s < classes.length; s++) {
    const row = [String(s), csvField(names[classes[s]!]!)];
    for (let c = 0; c < nOut; c++) row.push(float32Text(probabilities[s * nOut + c]!));
    lines.push(row.join(','));
  }
  writeFileAtomic(o.out, lines.join('\n') + '\n');
  process.stderr.write(`synapses-ts predict: ${classes.length} predictions of ${o.data} written to ${o.out}\n`);
  return classes.length;
}
