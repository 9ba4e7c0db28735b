/**
 * Initial sparse topologies of a layer: Erdos-Renyi by epsilon (the SET paper), uniform density, and
 * the Erdos-Renyi-Kernel (ERK) distribution of densities over several layers (Evci et al., RigL, 2020).
 *
 * All builders return a {@link CsrMatrix} with one row per output neuron and zero values; weights are
 * initialised separately (nn/init).
 *
 * @packageDocumentation
 */
import { check, checkInt } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import type { Rng } from '../core/rng';
import { CsrMatrix } from './csr';
import { sampleSortedDistinct } from './sampling';

/**
 * The connection probability of the SET paper (Mocanu et al. 2018, eq. 1):
 * `p = eps * (nIn + nOut) / (nIn * nOut)`, capped at 1.
 */
export function erdosRenyiProbability(nIn: number, nOut: number, eps: number): number {
  return Math.min(1, (eps * (nIn + nOut)) / (nIn * nOut));
}

/**
 * An Erdos-Renyi topology as the SET paper defines it: every position `(j, i)` is connected
 * independently with probability `p = eps * (nIn + nOut) / (nIn * nOut)`.
 *
 * Exact count: the number of connections is Binomial(nIn * nOut, p), with mean `eps * (nIn + nOut)`
 * and standard deviation `sqrt(nIn * nOut * p * (1 - p))`; read the real count from `.nnz`.
 * When `p >= 1` (for example 1000 -> 10 at eps = 20) the layer is made fully connected (dense) with
 * `nIn * nOut` connections instead of looping or failing.
 *
 * Cost is O(nnz), not O(nIn * nOut): the gaps between consecutive connections (in row-major order) are
 * drawn from the geometric distribution, which is exactly equivalent to one Bernoulli(p) per position.
 *
 * @param nIn - input neurons (columns); @param nOut - output neurons (rows).
 * @param eps - the SET sparsity parameter epsilon (> 0); 20 in the paper's MLPs.
 * @example erdosRenyi(784, 1000, 20, rngFor(1, 'topology', 0)).nnz // about 35,680
 */
export function erdosRenyi(nIn: number, nOut: number, eps: number, rng: Rng): CsrMatrix {
  checkLayerShape(nIn, nOut);
  check(Number.isFinite(eps) && eps > 0, `epsilon must be a positive finite number, got ${eps}`);
  const p = erdosRenyiProbability(nIn, nOut, eps);
  return bernoulli(nIn, nOut, p, rng);
}

/**
 * Every position connected independently with probability `p` (a Bernoulli / G(n, p) pattern).
 * `p >= 1` gives the full pattern; `p <= 0` the empty one.
 */
export function bernoulli(nIn: number, nOut: number, p: number, rng: Rng): CsrMatrix {
  checkLayerShape(nIn, nOut);
  check(Number.isFinite(p) && p >= 0, `connection probability must be a finite number >= 0, got ${p}`);
  if (p >= 1) return CsrMatrix.full(nOut, nIn);
  const total = nIn * nOut;
  const rowPtr = new Int32Array(nOut + 1);
  let cap = Math.max(16, Math.ceil(total * p * 1.1 + 64));
  let cols = new Int32Array(cap);
  let nnz = 0;
  if (p > 0) {
    const logq = Math.log1p(-p);
    let pos = -1;
    let row = 0;
    for (;;) {
      // Geometric gap: the number of failures before the next success is floor(log(U) / log(1 - p)).
      let u = rng.float();
      while (u === 0) u = rng.float();
      pos += 1 + Math.floor(Math.log(u) / logq);
      if (pos >= total) break;
      const r = Math.floor(pos / nIn);
      while (row < r) rowPtr[++row] = nnz;
      if (nnz === cap) {
        cap *= 2;
        const bigger = new Int32Array(cap);
        bigger.set(cols);
        cols = bigger;
      }
      cols[nnz++] = pos - r * nIn;
    }
    while (row < nOut) rowPtr[++row] = nnz;
  }
  return new CsrMatrix(nOut, nIn, rowPtr, cols.slice(0, nnz), new Float32Array(nnz));
}

/**
 * Exactly `round(density * nIn * nOut)` connections at positions drawn uniformly without replacement.
 * `density >= 1` gives the full pattern.
 */
export function uniformDensity(nIn: number, nOut: number, density: number, rng: Rng): CsrMatrix {
  checkLayerShape(nIn, nOut);
  check(Number.isFinite(density) && density > 0, `density must be a finite number > 0, got ${density}`);
  if (density >= 1) return CsrMatrix.full(nOut, nIn);
  const total = nIn * nOut;
  return fromRanks(nIn, nOut, sampleSortedDistinct(total, Math.round(density * total), rng));
}

/** Builds a pattern from sorted row-major ranks `j * nIn + i`. */
export function fromRanks(nIn: number, nOut: number, ranks: Float64Array): CsrMatrix {
  const rowPtr = new Int32Array(nOut + 1);
  const colIdx = new Int32Array(ranks.length);
  for (let k = 0; k < ranks.length; k++) {
    const r = Math.floor(ranks[k]! / nIn);
    colIdx[k] = ranks[k]! - r * nIn;
    rowPtr[r + 1]!++;
  }
  for (let r = 0; r < nOut; r++) rowPtr[r + 1]! += rowPtr[r]!;
  return new CsrMatrix(nOut, nIn, rowPtr, colIdx, new Float32Array(ranks.length));
}

/** The shape of one layer for {@link erkDensities}: inputs and outputs. */
export interface LayerShape {
  readonly nIn: number;
  readonly nOut: number;
}

/**
 * Per-layer densities of the Erdos-Renyi-Kernel distribution (Evci et al. 2020, after Mocanu et al.):
 * density_l proportional to `(nIn + nOut) / (nIn * nOut)`, scaled so that the total number of
 * connections equals `density * sum(nIn * nOut)`. Layers that would exceed density 1 are made dense and
 * the scale is re-solved over the remaining layers, so the total is kept (up to rounding).
 *
 * @param shapes - the layers, in order.
 * @param density - the overall density in (0, 1].
 * @returns one density per layer in (0, 1].
 */
export function erkDensities(shapes: readonly LayerShape[], density: number): number[] {
  check(shapes.length > 0, 'erkDensities needs at least one layer');
  check(Number.isFinite(density) && density > 0 && density <= 1, `overall density must be in (0, 1], got ${density}`);
  shapes.forEach((s, l) => checkLayerShape(s.nIn, s.nOut, `layer ${l}`));
  const sizes = shapes.map((s) => s.nIn * s.nOut);
  const raw = shapes.map((s) => (s.nIn + s.nOut) / (s.nIn * s.nOut));
  const target = density * sizes.reduce((a, b) => a + b, 0);
  const dense = new Set<number>();
  for (;;) {
    let budget = target;
    let weight = 0;
    shapes.forEach((_, l) => {
      if (dense.has(l)) budget -= sizes[l]!;
      else weight += raw[l]! * sizes[l]!;
    });
    const scale = weight > 0 ? budget / weight : 0;
    let changed = false;
    shapes.forEach((_, l) => {
      if (!dense.has(l) && raw[l]! * scale >= 1) {
        dense.add(l);
        changed = true;
      }
    });
    if (!changed) return shapes.map((_, l) => (dense.has(l) ? 1 : raw[l]! * scale));
  }
}

function checkLayerShape(nIn: number, nOut: number, what = 'layer'): void {
  checkInt(nIn, `${what} input size`, 1);
  checkInt(nOut, `${what} output size`, 1);
  if (nIn * nOut > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError(`${what} of ${nIn} x ${nOut} positions is larger than 2^53`);
  }
}
