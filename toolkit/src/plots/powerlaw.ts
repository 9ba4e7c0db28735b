/**
 * Fitting a discrete power law `P(k) = k^-alpha / zeta(alpha, kmin)` for `k >= kmin` to integer data
 * (node degrees), by maximum likelihood, with `kmin` chosen to minimise the Kolmogorov-Smirnov distance
 * between the data above it and the fitted law, as in Clauset, Shalizi and Newman, "Power-law
 * distributions in empirical data", SIAM Review 51(4), 2009 (sections 3.1, 3.3 and appendix B).
 *
 * The KS distance is the goodness-of-fit statistic: small D (a few percent) with a large tail means the
 * power law describes the tail well; it is not a p-value.
 *
 * @packageDocumentation
 */
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import type { Rng } from '../core/rng';

// B_{2j} / (2j)! for j = 1..8, the Euler-Maclaurin coefficients.
const EM_COEFFS = [
  1 / 6 / 2, -1 / 30 / 24, 1 / 42 / 720, -1 / 30 / 40320, 5 / 66 / 3628800, -691 / 2730 / 479001600,
  7 / 6 / 87178291200, -3617 / 510 / 20922789888000,
];

/**
 * The Hurwitz zeta function `zeta(s, q) = sum over k >= 0 of (q + k)^-s`, for s > 1 and q > 0, by direct
 * summation up to `q + N >= 15` and the Euler-Maclaurin formula for the rest (relative error below 1e-13
 * for s up to about 10).
 * @throws {@link InvalidArgumentError} unless s > 1 and q > 0.
 */
export function hurwitzZeta(s: number, q: number): number {
  check(s > 1 && q > 0 && Number.isFinite(s) && Number.isFinite(q), () => `hurwitzZeta needs s > 1 and q > 0, got s=${s}, q=${q}`);
  let sum = 0;
  let a = q;
  while (a < 15) {
    sum += Math.pow(a, -s);
    a += 1;
  }
  const aPow = Math.pow(a, -s);
  sum += (a * aPow) / (s - 1) + aPow / 2;
  // Terms B_2j/(2j)! * s(s+1)...(s+2j-2) * a^(-s-2j+1).
  let rising = s;
  let term = aPow / a;
  for (let j = 0; j < EM_COEFFS.length; j++) {
    sum += EM_COEFFS[j]! * rising * term;
    rising *= (s + 2 * j + 1) * (s + 2 * j + 2);
    term /= a * a;
  }
  return sum;
}

/** The result of {@link fitPowerLaw}. */
export interface PowerLawFit {
  /** The exponent: P(k) proportional to k^-alpha for k >= xmin. */
  readonly alpha: number;
  /** Its standard error from the Fisher information, 1 / sqrt(n d^2/dalpha^2 ln zeta(alpha, xmin)). */
  readonly sigma: number;
  /** The smallest value the law describes. */
  readonly xmin: number;
  /** Number of values >= xmin (the tail that was fitted). */
  readonly nTail: number;
  /** Number of values >= 1 given (zeros cannot belong to a power law and are left out). */
  readonly n: number;
  /** Kolmogorov-Smirnov distance between the tail's empirical CDF and the fitted law's (the goodness of fit). */
  readonly ks: number;
  /** Log-likelihood of the tail under the fit. */
  readonly logLikelihood: number;
  /**
   * True when the exponent ended at an end of the search interval: the likelihood wants a steeper (or
   * flatter) law than allowed, a sign that the tail is not power-law-like (e.g. binomial degrees).
   */
  readonly atBound: boolean;
}

/** Options of {@link fitPowerLaw}. */
export interface PowerLawOptions {
  /** Use this `xmin` instead of choosing the one with the smallest KS distance. */
  readonly xmin?: number;
  /** Smallest tail considered when choosing `xmin` (default 10). */
  readonly minTail?: number;
  /** Search interval of the exponent (default [1.01, 10]). */
  readonly alphaRange?: readonly [number, number];
}

interface Tail {
  /** Sorted values >= xmin. */
  readonly values: Float64Array;
  readonly sumLog: number;
}

function negLogLikelihood(alpha: number, xmin: number, n: number, sumLog: number): number {
  return n * Math.log(hurwitzZeta(alpha, xmin)) + alpha * sumLog;
}

/** Golden-section search for the minimum of a convex function on [lo, hi]. */
function minimise(f: (x: number) => number, lo: number, hi: number, tol = 1e-9): number {
  const g = (Math.sqrt(5) - 1) / 2;
  let a = lo, b = hi;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  while (b - a > tol * (1 + Math.abs(a))) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

/**
 * KS distance between the empirical CDF of the sorted tail and the power law's CDF,
 * `F(x) = 1 - zeta(alpha, x + 1) / zeta(alpha, xmin)`, over every integer x >= xmin. Between two observed
 * values the empirical CDF is flat and F increases, so the largest gap lies at an observed value or at
 * the integer just below the next one; only those points are evaluated.
 */
function ksDistance(tail: Float64Array, alpha: number, xmin: number): number {
  const n = tail.length;
  const z0 = hurwitzZeta(alpha, xmin);
  const cdf = (x: number) => 1 - hurwitzZeta(alpha, x + 1) / z0;
  let d = 0;
  let i = 0;
  let below = 0; // empirical CDF just below the current value
  while (i < n) {
    const x = tail[i]!;
    if (x - 1 >= xmin) d = Math.max(d, Math.abs(below - cdf(x - 1)));
    let j = i;
    while (j < n && tail[j] === x) j++;
    const emp = j / n;
    d = Math.max(d, Math.abs(emp - cdf(x)));
    below = emp;
    i = j;
  }
  return d;
}

function fitAt(tail: Tail, xmin: number, range: readonly [number, number]): { alpha: number; nll: number } {
  const n = tail.values.length;
  const alpha = minimise((a) => negLogLikelihood(a, xmin, n, tail.sumLog), range[0], range[1]);
  return { alpha, nll: negLogLikelihood(alpha, xmin, n, tail.sumLog) };
}

/**
 * Fits a discrete power law to the values >= 1 of `data` (integers, e.g. node degrees): the exponent by
 * maximum likelihood (numerically, on the exact discrete likelihood with the Hurwitz zeta normaliser),
 * and, unless given, `xmin` as the candidate with the smallest KS distance (Clauset et al. 2009).
 *
 * @throws {@link InvalidArgumentError} for non-integer, negative or non-finite values, fewer than
 *   `minTail` values >= 1, or a tail whose values are all equal (no exponent fits).
 * @example
 * const fit = fitPowerLaw(outDegrees(layer.weights));
 * console.log(fit.alpha, fit.xmin, fit.ks);
 */
export function fitPowerLaw(data: ArrayLike<number>, options: PowerLawOptions = {}): PowerLawFit {
  const minTail = options.minTail ?? 10;
  check(Number.isInteger(minTail) && minTail >= 2, () => `minTail must be an integer >= 2, got ${minTail}`);
  const range = options.alphaRange ?? [1.01, 10];
  check(range[0] > 1 && range[1] > range[0], () => `alphaRange must satisfy 1 < lo < hi, got [${range[0]}, ${range[1]}]`);
  const positive: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`power-law fit: value ${i} is ${v}; expected a non-negative integer (a degree)`);
    if (v >= 1) positive.push(v);
  }
  const sorted = Float64Array.from(positive).sort();
  const n = sorted.length;
  if (n < minTail) throw new InvalidArgumentError(`power-law fit: needs at least ${minTail} values >= 1, got ${n}`);

  // Suffix sums of ln x give every candidate tail's sufficient statistic in O(1).
  const suffixLog = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) suffixLog[i] = suffixLog[i + 1]! + Math.log(sorted[i]!);
  const tailFrom = (xmin: number): Tail => {
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < xmin) lo = mid + 1;
      else hi = mid;
    }
    return { values: sorted.subarray(lo), sumLog: suffixLog[lo]! };
  };

  let candidates: number[];
  if (options.xmin !== undefined) {
    check(Number.isInteger(options.xmin) && options.xmin >= 1, () => `xmin must be a positive integer, got ${options.xmin}`);
    candidates = [options.xmin];
  } else {
    candidates = [];
    for (let i = 0; i < n; i++) if ((i === 0 || sorted[i] !== sorted[i - 1]) && n - i >= minTail) candidates.push(sorted[i]!);
  }
  let best: { xmin: number; alpha: number; nll: number; ks: number; tail: Tail } | undefined;
  for (const xmin of candidates) {
    const tail = tailFrom(xmin);
    if (tail.values.length < (options.xmin !== undefined ? 2 : minTail)) continue;
    if (tail.values[0] === tail.values[tail.values.length - 1]) continue; // one value: alpha would diverge
    const { alpha, nll } = fitAt(tail, xmin, range);
    const ks = ksDistance(tail.values, alpha, xmin);
    if (!best || ks < best.ks) best = { xmin, alpha, nll, ks, tail };
  }
  if (!best) {
    throw new InvalidArgumentError(
      options.xmin !== undefined
        ? `power-law fit: fewer than two distinct values >= xmin = ${options.xmin}; no exponent fits`
        : `power-law fit: no tail of at least ${minTail} values has two distinct values; no exponent fits`,
    );
  }
  const nTail = best.tail.values.length;
  // Fisher information: the second derivative of ln zeta(alpha, xmin) in alpha, by central differences.
  const h = 1e-4;
  const lz = (a: number) => Math.log(hurwitzZeta(a, best!.xmin));
  const curvature = (lz(best.alpha + h) - 2 * lz(best.alpha) + lz(best.alpha - h)) / (h * h);
  return {
    alpha: best.alpha,
    sigma: curvature > 0 ? 1 / Math.sqrt(nTail * curvature) : NaN,
    xmin: best.xmin,
    nTail,
    n,
    ks: best.ks,
    logLikelihood: -best.nll,
    atBound: best.alpha - range[0] < 1e-4 * range[0] || range[1] - best.alpha < 1e-4 * range[1],
  };
}

/**
 * The fitted law's probability of each `k` in `ks`, scaled to the whole sample: `nTail / n` times
 * `k^-alpha / zeta(alpha, xmin)` for k >= xmin, and NaN below (where the law says nothing).
 */
export function powerLawPmf(fit: Pick<PowerLawFit, 'alpha' | 'xmin' | 'nTail' | 'n'>, ks: ArrayLike<number>): Float64Array {
  const z = hurwitzZeta(fit.alpha, fit.xmin);
  const w = fit.nTail / fit.n;
  return Float64Array.from({ length: ks.length }, (_, i) => (ks[i]! >= fit.xmin ? (w * Math.pow(ks[i]!, -fit.alpha)) / z : NaN));
}

/**
 * The fitted law's complementary CDF P(K >= k), scaled to the whole sample like {@link powerLawPmf}.
 */
export function powerLawCcdf(fit: Pick<PowerLawFit, 'alpha' | 'xmin' | 'nTail' | 'n'>, ks: ArrayLike<number>): Float64Array {
  const z = hurwitzZeta(fit.alpha, fit.xmin);
  const w = fit.nTail / fit.n;
  return Float64Array.from({ length: ks.length }, (_, i) => (ks[i]! >= fit.xmin ? (w * hurwitzZeta(fit.alpha, ks[i]!)) / z : NaN));
}

/**
 * Draws `n` values from the discrete power law with exponent `alpha` above `xmin`, exactly, by inverting
 * its CDF (doubling, then bisection on P(K >= k) = zeta(alpha, k) / zeta(alpha, xmin); Clauset et al.
 * 2009, appendix D). For tests and for synthetic degree sequences.
 * @throws {@link InvalidArgumentError} unless alpha > 1 and xmin is a positive integer.
 * @example samplePowerLaw(5000, 2.5, 3, rngFor(1, 'powerlaw'))
 */
export function samplePowerLaw(n: number, alpha: number, xmin: number, rng: Rng): Int32Array {
  check(Number.isInteger(n) && n >= 0, () => `n must be a non-negative integer, got ${n}`);
  check(alpha > 1 && Number.isFinite(alpha), () => `alpha must be > 1, got ${alpha}`);
  check(Number.isInteger(xmin) && xmin >= 1, () => `xmin must be a positive integer, got ${xmin}`);
  const z0 = hurwitzZeta(alpha, xmin);
  const ccdf = (k: number) => hurwitzZeta(alpha, k) / z0;
  const out = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const r = 1 - rng.float(); // in (0, 1]
    // The sample is the largest k with P(K >= k) >= r.
    let lo = xmin, hi = xmin * 2;
    while (ccdf(hi) >= r) {
      lo = hi;
      hi *= 2;
      if (hi > 2 ** 30) break;
    }
    // Invariant: ccdf(lo) >= r > ccdf(hi).
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (ccdf(mid) >= r) lo = mid;
      else hi = mid;
    }
    out[s] = lo;
  }
  return out;
}
