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
 * (Knuth, TAOCP vol. 2, Algorithm S; O(n) draws); otherwise Floyd's algorithm (Bentley and Floyd,
 * CACM 1987; O(k) draws) followed by a sort. `n` may be as large as 2^53, so ranks are stored as doubles.
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
  const picked = new Set<number>();
  for (let j = n - k; j < n; j++) {
    const t = rng.int(j + 1);
    picked.add(picked.has(t) ? j : t);
  }
  let at = 0;
  for (const v of picked) out[at++] = v;
  return out.sort();
}
