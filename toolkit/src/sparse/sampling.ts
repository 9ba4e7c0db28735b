/**
 * Sampling without replacement, used to build topologies and to pick regrowth positions.
 *
 * @packageDocumentation
 */
import { checkInt } from '../core/assert';
import type { Rng } from '../core/rng';

/**
 * `k` distinct integers drawn uniformly from `[0, n)`, returned sorted ascending.
 *
 * Every k-subset is equally likely. When `k` is a large share of `n` it uses selection sampling
 * (Knuth, TAOCP vol. 2, Algorithm S; O(n) draws). Otherwise it draws `k` uniform values, sorts them,
 * drops repeats and draws replacements for them until `k` distinct values remain: each replacement is
 * uniform over the values not yet taken, which is sequential sampling without replacement, so the subset
 * is uniform. With k < n / 8 repeats are rare (about k^2 / 2n), so this costs O(k log k) with a native
 * numeric sort and no hashing. `n` may be as large as 2^53, so ranks are stored as doubles.
 *
 * @throws {@link InvalidArgumentError} when k > n or either is not a non-negative safe integer.
 */
export function sampleSortedDistinct(n: number, k: number, rng: Rng): Float64Array {
  checkInt(n, 'population size n', 0, 2 ** 53);
  checkInt(k, `sample size k (population ${n})`, 0, n);
  const out = new Float64Array(k);
  if (k === 0) return out;
  if (k * 8 >= n) {
    let chosen = 0;
    for (let i = 0; i < n && chosen < k; i++) {
      // Select i with probability (still needed) / (still available).
      if (rng.int(n - i) < k - chosen) out[chosen++] = i;
    }
    return out;
  }
  let have = 0;
  let buf = new Float64Array(k);
  while (have < k) {
    for (let i = have; i < k; i++) buf[i] = rng.int(n);
    buf.sort();
    // Keep the first of each run of equal values; the rest are redrawn.
    let w = 1;
    for (let r = 1; r < k; r++) if (buf[r] !== buf[w - 1]) buf[w++] = buf[r]!;
    have = w;
  }
  out.set(buf.subarray(0, k));
  buf = out;
  return out;
}
