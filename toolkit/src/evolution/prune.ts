/**
 * Prune rules: which connections go. Ties are broken deterministically (lower entry index first).
 *
 * @packageDocumentation
 */
import type { Rng } from '../core/rng';
import { sampleSortedDistinct } from '../sparse/sampling';
import type { CsrMatrix } from '../sparse/csr';
import type { Prune } from './types';

/**
 * The `k`-th smallest value (0-based) of `a`, which is reordered in place. Quickselect with a
 * median-of-three pivot (Hoare's FIND): O(n) on average, no allocation.
 */
export function selectKth(a: Float64Array, k: number): number {
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Median of three as the pivot guards against sorted and constant inputs.
    let x = a[lo]!, y = a[mid]!, z = a[hi]!;
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i++] = a[j]!;
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * The `count` candidates with the smallest `key`, ties going to the lower index, returned in ascending
 * index order. `candidates` must be sorted ascending. O(n): the threshold comes from {@link selectKth}.
 */
export function smallestByKey(candidates: Int32Array, key: (k: number) => number, count: number): Int32Array {
  if (count <= 0) return new Int32Array(0);
  if (count >= candidates.length) return candidates.slice();
  const keys = new Float64Array(candidates.length);
  for (let a = 0; a < candidates.length; a++) keys[a] = key(candidates[a]!);
  const threshold = selectKth(keys.slice(), count - 1);
  let below = 0;
  for (let a = 0; a < keys.length; a++) if (keys[a]! < threshold) below++;
  let ties = count - below;
  const out = new Int32Array(count);
  let at = 0;
  for (let a = 0; a < keys.length; a++) {
    const v = keys[a]!;
    if (v < threshold || (v === threshold && ties-- > 0)) out[at++] = candidates[a]!;
  }
  return out;
}

function allIndices(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/**
 * SET's rule (Mocanu et al. 2018): remove `floor(zeta * P)` of the smallest non-negative weights and
 * `floor(zeta * N)` of the largest (closest to zero) negative weights, where P and N count the
 * non-negative and negative weights. Each sign is counted separately, so both tails stay balanced.
 */
export function signedMagnitude(): Prune {
  return {
    name: 'signed-magnitude',
    config: {},
    select(w: CsrMatrix, zeta: number): Int32Array {
      // One pass to split the keys by sign, a quickselect per sign for its threshold, one pass in entry
      // order to pick: the result is sorted by construction, with no index arrays and no sort (this runs
      // over tens of millions of connections at the scales the toolkit targets).
      const v = w.values;
      let nNeg = 0;
      for (let k = 0; k < v.length; k++) if (v[k]! < 0) nNeg++;
      const posKeys = new Float64Array(v.length - nNeg);
      const negKeys = new Float64Array(nNeg);
      for (let k = 0, p = 0, q = 0; k < v.length; k++) {
        const x = v[k]!;
        if (x < 0) negKeys[q++] = -x;
        else posKeys[p++] = x;
      }
      const nPos = Math.floor(zeta * posKeys.length), nNegOut = Math.floor(zeta * negKeys.length);
      const tPos = nPos > 0 ? selectKth(posKeys, nPos - 1) : -Infinity;
      const tNeg = nNegOut > 0 ? selectKth(negKeys, nNegOut - 1) : -Infinity;
      // Keys equal to a threshold are taken in entry order until the count is reached (ties: lower index).
      let tiesPos = nPos, tiesNeg = nNegOut;
      for (let k = 0; k < v.length; k++) {
        const x = v[k]!;
        if (x < 0) {
          if (-x < tNeg) tiesNeg--;
        } else if (x < tPos) tiesPos--;
      }
      const out = new Int32Array(nPos + nNegOut);
      let at = 0;
      for (let k = 0; k < v.length; k++) {
        const x = v[k]!;
        if (x < 0) {
          const key = -x;
          if (key < tNeg || (key === tNeg && tiesNeg-- > 0)) out[at++] = k;
        } else if (x < tPos || (x === tPos && tiesPos-- > 0)) out[at++] = k;
      }
      return out;
    },
  };
}

/** Remove the `floor(zeta * nnz)` weights of smallest |w| (plain magnitude pruning). */
export function magnitude(): Prune {
  return {
    name: 'magnitude',
    config: {},
    select(w: CsrMatrix, zeta: number): Int32Array {
      const v = w.values;
      return smallestByKey(allIndices(v.length), (k) => Math.abs(v[k]!), Math.floor(zeta * v.length));
    },
  };
}

/** Remove `floor(zeta * nnz)` connections chosen uniformly at random (the SET paper's ablation). */
export function randomPrune(): Prune {
  return {
    name: 'random',
    config: {},
    select(w: CsrMatrix, zeta: number, rng: Rng): Int32Array {
      const picks = sampleSortedDistinct(w.nnz, Math.floor(zeta * w.nnz), rng);
      return Int32Array.from(picks);
    },
  };
}
