/**
 * Small numerical summaries the figures are drawn from: mean and spread across seeds, and fixed-bin
 * histograms (computed here, so a figure carries bin counts instead of every weight).
 *
 * @packageDocumentation
 */
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';

/** Mean, sample standard deviation (n - 1 in the denominator; 0 for one value) and count. */
export interface MeanStd {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
}

/**
 * Mean and sample standard deviation of `values` (two-pass, so large offsets lose no precision).
 * @throws {@link InvalidArgumentError} for an empty array or a non-finite value.
 */
export function meanStd(values: ArrayLike<number>, what = 'values'): MeanStd {
  const n = values.length;
  check(n > 0, () => `${what}: no values to summarise`);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${what}: value ${i} is ${v}; expected a finite number`);
    sum += v;
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i]! - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}

/** A histogram: `edges` (bins + 1 increasing values) and `counts` per bin. */
export interface Histogram {
  readonly edges: Float64Array;
  readonly counts: Float64Array;
}

/**
 * Counts `values` in `bins` equal bins over `[lo, hi]` (the last bin includes `hi`); values outside are
 * ignored. Without a range, the data's min and max are used (a zero-width range is widened by 0.5 each way).
 * @throws {@link InvalidArgumentError} for a non-finite value, `bins` < 1 or an empty range.
 */
export function histogram(values: ArrayLike<number>, bins: number, range?: readonly [number, number], what = 'values'): Histogram {
  check(Number.isInteger(bins) && bins >= 1, () => `${what}: bins must be a positive integer, got ${bins}`);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new InvalidArgumentError(`${what}: value ${i} is ${v}; expected a finite number`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (range) [lo, hi] = range;
  else if (values.length === 0) [lo, hi] = [0, 1];
  else if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  check(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo, () => `${what}: histogram range [${lo}, ${hi}] is empty`);
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = lo + ((hi - lo) * b) / bins;
  const counts = new Float64Array(bins);
  const scale = bins / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) * scale))]!++;
  }
  return { edges, counts };
}

/**
 * Checks that `value` is a finite number, naming where it came from.
 * @throws {@link InvalidArgumentError} naming `what` and the value.
 */
export function finiteNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const shown = value === undefined ? 'missing' : typeof value === 'number' ? String(value) : JSON.stringify(value);
    throw new InvalidArgumentError(`${what} is ${shown}; expected a finite number`);
  }
  return value;
}
