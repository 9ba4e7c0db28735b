/**
 * Classification metrics beyond loss and accuracy: the confusion matrix.
 *
 * @packageDocumentation
 */
import { DataError, ShapeError } from '../core/errors';
import type { Dataset } from '../data/dataset';
import type { Model } from './model';

/** Counts of (true class, predicted class) pairs. */
export interface ConfusionMatrix {
  /** `counts[t][p]`: samples of true class `t` predicted as class `p` (rows true, columns predicted). */
  readonly counts: number[][];
  /** The name of each class: the data set's class names when it has them, else `"0"`, `"1"`, ... */
  readonly classNames: string[];
  /** Number of samples counted. */
  readonly total: number;
  /** The fraction on the diagonal. */
  readonly accuracy: number;
}

/** Options of {@link confusionMatrix} from labels and predictions. */
export interface ConfusionOptions {
  /** Number of classes (default: the largest label or prediction plus one, or the class names' count). */
  readonly nClasses?: number;
  /** Names of the classes, indexed by label. */
  readonly classNames?: readonly string[];
}

/**
 * The confusion matrix of a model on a data set (predicted in inference mode), or of true labels and
 * predicted classes given directly.
 * @throws {@link ShapeError} when labels and predictions differ in length; {@link DataError} for a class
 *   that is not an integer in [0, nClasses).
 * @example
 * const cm = confusionMatrix(model, test);
 * cm.counts[3][5]; // threes predicted as fives
 * confusionMatrix([0, 1, 1], [0, 1, 0]).counts; // [[1, 0], [1, 1]]
 */
export function confusionMatrix(model: Model, data: Dataset): ConfusionMatrix;
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, options?: ConfusionOptions): ConfusionMatrix;
export function confusionMatrix(a: Model | ArrayLike<number>, b: Dataset | ArrayLike<number>, options: ConfusionOptions = {}): ConfusionMatrix {
  if (isModel(a)) {
    const data = b as Dataset;
    const { classes } = a.predict(data);
    const n = Math.max(a.network.nOut, data.nClasses);
    const names = Array.from({ length: n }, (_, c) => data.classNames?.[c] ?? String(c));
    return count(data.labels, classes, n, names);
  }
  const labels = a, predictions = b as ArrayLike<number>;
  if (labels.length !== predictions.length) throw new ShapeError(`confusionMatrix: ${labels.length} labels but ${predictions.length} predictions`);
  let n = options.nClasses ?? options.classNames?.length ?? 0;
  if (options.nClasses === undefined && options.classNames === undefined) {
    for (let i = 0; i < labels.length; i++) n = Math.max(n, labels[i]! + 1, predictions[i]! + 1);
  }
  if (!(Number.isInteger(n) && n >= 1)) throw new DataError(`confusionMatrix: nClasses must be a positive integer, got ${n}`);
  if (options.classNames && options.classNames.length !== n) throw new DataError(`confusionMatrix: ${options.classNames.length} class names for ${n} classes`);
  return count(labels, predictions, n, options.classNames ? [...options.classNames] : Array.from({ length: n }, (_, c) => String(c)));
}

function count(labels: ArrayLike<number>, predictions: ArrayLike<number>, n: number, classNames: string[]): ConfusionMatrix {
  const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let diagonal = 0;
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!, p = predictions[i]!;
    for (const [what, v] of [['label', t], ['prediction', p]] as const) {
      if (!(Number.isInteger(v) && v >= 0 && v < n)) throw new DataError(`confusionMatrix: ${what} ${i} is ${v}, expected an integer class in [0, ${n})`);
    }
    counts[t]![p]!++;
    if (t === p) diagonal++;
  }
  return { counts, classNames, total: labels.length, accuracy: labels.length ? diagonal / labels.length : NaN };
}

function isModel(x: unknown): x is Model {
  return typeof x === 'object' && x !== null && typeof (x as Partial<Model>).predict === 'function' && 'network' in x;
}
