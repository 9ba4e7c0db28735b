/**
 * `synapses-ts evaluate RUN_DIR [--data test|validation|train|FILE] [--model final|best]`: loss, accuracy and
 * confusion counts of a trained run's model, on the run's own data (re-loaded from the config its manifest
 * records: the same files, split seeds and scaling) or on a CSV or LIBSVM file prepared as the run prepared
 * its own data.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { DataError } from '../core/errors';
import type { Dataset } from '../data/dataset';
import { confusionCounts, confusionText, predictDataset } from './predictions';
import { classNamesOf, loadDataFileLikeRun, loadOwnData, loadRunModel, MODEL_FILES, parseModelChoice, readRunFolder, type DataFileFormat } from './run-inputs';

/** Options of the `evaluate` command as parsed by commander. */
export interface EvaluateCommandOptions {
  data?: string;
  model?: string;
  format?: string;
  label?: string;
  backend?: string;
  json?: boolean;
}

/** What `evaluate` reports (and prints as JSON with `--json`). */
export interface EvaluateReport {
  readonly run: string;
  readonly model: 'final' | 'best';
  readonly modelFile: string;
  /** `test`, `validation`, `train` (the run's own parts) or the file evaluated. */
  readonly data: string;
  readonly samples: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly correct: number;
  /** The class names, in class order (the labels of the run's training data, or the class numbers). */
  readonly classes: readonly string[];
  /** `confusion[t][p]`: samples of true class t predicted as p. */
  readonly confusion: number[][];
}

const OWN_PARTS = ['test', 'validation', 'train'] as const;

/** Evaluates a run's model; see the module description. */
export async function evaluateRun(runDir: string, o: EvaluateCommandOptions): Promise<EvaluateReport> {
  const run = readRunFolder(runDir);
  const which = parseModelChoice(o.model);
  const model = loadRunModel(runDir, which, o.backend ?? 'auto');
  const own = await loadOwnData(run);
  const spec = o.data ?? 'test';
  let data: Dataset;
  if ((OWN_PARTS as readonly string[]).includes(spec)) {
    const part = own[spec as (typeof OWN_PARTS)[number]];
    if (!part) throw new DataError(`the run has no validation part (data.validation is 0); use --data test or --data train`);
    data = part;
  } else {
    data = await loadDataFileLikeRun(spec, run, own.train, { labels: 'training', ...(o.format !== undefined ? { format: o.format as DataFileFormat } : {}), ...(o.label !== undefined ? { label: o.label } : {}) });
  }
  const evaluation = model.evaluate(data);
  const predicted = predictDataset(model, data);
  const names = classNamesOf(own.train);
  while (names.length < model.network.nOut) names.push(String(names.length));
  const confusion = confusionCounts(data.labels, predicted.classes, names.length);
  const correct = confusion.reduce((a, row, t) => a + row[t]!, 0);
  return {
    run: runDir,
    model: which,
    modelFile: path.join(runDir, MODEL_FILES[which]),
    data: spec,
    samples: data.nSamples,
    loss: evaluation.loss,
    accuracy: evaluation.accuracy,
    correct,
    classes: names,
    confusion,
  };
}

/** The printable form of an evaluation. */
export function evaluateText(r: EvaluateReport): string {
  const on = (OWN_PARTS as readonly string[]).includes(r.data) ? `the run's ${r.data} data` : r.data;
  return [
    `${r.run}: ${r.model} model (${path.basename(r.modelFile)}) on ${on}, ${r.samples} samples`,
    `loss ${r.loss.toFixed(4)}, accuracy ${(100 * r.accuracy).toFixed(2)}% (${r.correct} of ${r.samples})`,
    'confusion counts (rows: true class, columns: predicted class):',
    confusionText(r.confusion, r.classes),
  ].join('\n');
}

/** Runs the `evaluate` command. */
export async function evaluateCommand(runDir: string, o: EvaluateCommandOptions): Promise<void> {
  const report = await evaluateRun(runDir, o);
  process.stdout.write((o.json ? JSON.stringify(report) : evaluateText(report)) + '\n');
}
