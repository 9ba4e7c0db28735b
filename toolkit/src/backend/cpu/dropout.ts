/**
 * Inverted dropout with a counter-based mask (Srivastava et al. 2014 for dropout; the mask bits are
 * `counterBits16(key, i)` of core/counter-rng.ts, a pure function of the key and the element index).
 *
 * @packageDocumentation
 */
import { counterBits16, dropoutScale, type StreamKey } from '../../core/counter-rng';

export { dropoutScale };

/** The integer threshold of rate `rate`: element `i` is dropped when its 16 random bits are below it. */
export function dropoutThreshold(rate: number): number {
  return Math.floor(rate * 65536);
}

/**
 * Keeps element `i` of `x` when `counterBits16(key, i) >= floor(rate * 2^16)` (probability 1 - rate), scaled by
 * {@link dropoutScale}; writes the mask (1 kept, 0 dropped) and `y`, returns `y`.
 */
export function dropout(x: Float32Array, rate: number, key: StreamKey, y: Float32Array, mask: Uint8Array): Float32Array {
  const threshold = dropoutThreshold(rate);
  const scale = dropoutScale(rate);
  const [k0, k1] = key;
  for (let i = 0; i < x.length; i++) {
    const keep = counterBits16(k0, k1, i) >= threshold;
    mask[i] = keep ? 1 : 0;
    y[i] = keep ? x[i]! * scale : 0;
  }
  return y;
}

/** Writes the dropout mask of `key` (1 kept, 0 dropped) for `mask.length` elements; returns it. */
export function dropoutMask(rate: number, key: StreamKey, mask: Uint8Array): Uint8Array {
  const threshold = dropoutThreshold(rate);
  const [k0, k1] = key;
  for (let i = 0; i < mask.length; i++) mask[i] = counterBits16(k0, k1, i) >= threshold ? 1 : 0;
  return mask;
}
