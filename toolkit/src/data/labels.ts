/**
 * Mapping the label text of a data file (a CSV cell, the first token of a LIBSVM line) to class indices
 * 0..K-1, shared by the CSV and LIBSVM loaders.
 *
 * Rules:
 * - Numeric labels are compared by value, so `+1`, `1` and `1.0` are the same class, named `"1"`.
 * - By default the classes are the distinct labels of the file in sorted order: numeric order when every label
 *   is a number (so `-1/+1` become 0/1, `1..K` become 0..K-1, and labels that already are `0..K-1` keep their
 *   value), otherwise string order (by UTF-16 code units, as `Array.prototype.sort`).
 * - An explicit list of classes fixes the order; a label not in it is an error.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../core/errors';

/** A decimal number as written in data files: optional sign, digits with optional point, optional exponent. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Whether `text` (already trimmed) is a decimal number in the form data files use. */
export function isDecimal(text: string): boolean {
  return NUMBER.test(text);
}

/**
 * The canonical form of a label: a number's shortest decimal form (`"+1"` and `"1.0"` give `"1"`), any other
 * text unchanged (after trimming).
 */
export function labelKey(text: string): string {
  const t = text.trim();
  return NUMBER.test(t) ? String(Number(t)) : t;
}

/**
 * The default class list of a set of canonical labels: numeric order when all are numbers, else string order.
 * @example defaultClasses(['1', '-1']); // ['-1', '1']
 */
export function defaultClasses(keys: Iterable<string>): string[] {
  const all = [...new Set(keys)];
  if (all.every((k) => NUMBER.test(k))) return all.sort((a, b) => Number(a) - Number(b));
  return all.sort();
}

/** Class indices of canonical labels, for a fixed class list. */
export class ClassMap {
  readonly classes: readonly string[];
  private readonly index = new Map<string, number>();

  /**
   * @param classes - the label of each class, in class order; canonicalised with {@link labelKey}.
   * @throws {@link InvalidArgumentError} when the list is empty or names a class twice.
   */
  constructor(classes: readonly string[]) {
    if (classes.length === 0) throw new InvalidArgumentError('the class list is empty');
    this.classes = classes.map(labelKey);
    this.classes.forEach((c, i) => {
      if (this.index.has(c)) throw new InvalidArgumentError(`class "${c}" is listed twice in [${classes.join(', ')}]`);
      this.index.set(c, i);
    });
  }

  /** The class index of a canonical label, or -1 when it is not one of the classes. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** The classes for messages: `[a, b, c]`. */
  describe(): string {
    return `[${this.classes.join(', ')}]`;
  }
}
