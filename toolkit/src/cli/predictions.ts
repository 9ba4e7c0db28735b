/**
 * Predictions of a model over a whole data set, in sample order, and the confusion counts they give; used by
 * the `evaluate` and `predict` commands.
 *
 * @packageDocumentation
 */
import { ShapeError } from '../core/errors';
import type { Dataset } from '../data/dataset';
import type { Model } from '../train/model';

/** The predictions for every sample of a data set, in the data set's order. */
export interface DatasetPredictions {
  /** Predicted class per sample. */
  readonly classes: Int32Array;
  /** Class probabilities (raw outputs for MSE models), sample-major: `probabilities[s * nOut + c]`. */
  readonly probabilities: Float32Array;
  /** Outputs per sample (the model's output width). */
  readonly nOut: number;
}

/**
 * Runs `model.predict` over `data` in batches of `batchSize` samples (feature-major batches from
 * `Dataset.gather`, turned sample-major for `predict`).
 * @throws {@link ShapeError} when the data's width is not the model's input width.
 */
export function predictDataset(model: Model, data: Dataset, batchSize = 256): DatasetPredictions {
  const nIn = model.network.nIn, nOut = model.network.nOut, n = data.nSamples;
  if (data.nFeatures !== nIn) throw new ShapeError(`data "${data.name}" has ${data.nFeatures} features but the model expects ${nIn}`);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const classes = new Int32Array(n);
  const probabilities = new Float32Array(n * nOut);
  const x = new Float32Array(nIn * batchSize), sampleMajor = new Float32Array(nIn * batchSize), y = new Int32Array(batchSize);
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    data.gather(order, start, size, x.subarray(0, nIn * size), y.subarray(0, size));
    for (let f = 0; f < nIn; f++) for (let b = 0; b < size; b++) sampleMajor[b * nIn + f] = x[f * size + b]!;
    const p = model.predict(sampleMajor.subarray(0, nIn * size));
    classes.set(p.classes, start);
    probabilities.set(p.outputs, start * nOut);
  }
  return { classes, probabilities, nOut };
}

/**
 * Confusion counts: `matrix[t][p]` is the number of samples of true class `t` predicted as `p`
 * (`nClasses` = the larger of the data's classes and the model's outputs).
 */
export function confusionCounts(labels: Int32Array, predicted: Int32Array, nClasses: number): number[][] {
  const m = Array.from({ length: nClasses }, () => new Array<number>(nClasses).fill(0));
  for (let s = 0; s < labels.length; s++) m[labels[s]!]![predicted[s]!]!++;
  return m;
}

/** A confusion matrix as aligned text, rows the true classes, columns the predicted ones. */
export function confusionText(matrix: readonly (readonly number[])[], names: readonly string[]): string {
  const label = (c: number) => names[c] ?? String(c);
  const first = Math.max('true \\ predicted'.length, ...matrix.map((_, c) => label(c).length));
  const width = Math.max(...matrix.flat().map((v) => String(v).length), ...matrix.map((_, c) => label(c).length));
  const header = ['true \\ predicted'.padEnd(first), ...matrix.map((_, c) => label(c).padStart(width))].join(' ');
  const rows = matrix.map((row, t) => [label(t).padEnd(first), ...row.map((v) => String(v).padStart(width))].join(' '));
  return [header, ...rows].join('\n');
}
