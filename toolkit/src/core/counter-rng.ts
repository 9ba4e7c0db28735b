/**
 * Counter-based random bits: a pure function of a 64-bit key and an element index, so a long random mask
 * (dropout) can be generated in any order, in SIMD lanes, by any thread, with the same bits.
 *
 * `counterBits(key, i) = mix(mix(key[0] + i) ^ key[1])` over unsigned 32-bit integers, where `mix` is
 * Wellons's "lowbias32" (hash-prospector, 2018: `x ^= x >>> 16; x *= 0x7feb352d; x ^= x >>> 15;
 * x *= 0x846ca68b; x ^= x >>> 16`), a bijective integer hash with full avalanche.
 *
 * Statistical quality, and why it is enough here. Each round is a bijection, so for a fixed key the bits
 * of different indices never collide, and the keep rate of a mask is exact up to the quantisation of the
 * threshold (2^-16: dropout uses {@link counterBits16}, two elements per hash). One round of lowbias32 already has a small avalanche bias (0.17 on hash-prospector's scale,
 * where murmur3's finaliser scores 0.26 and the three-round triple32 0.021); two rounds with the second key
 * word folded in between is the construction of counter-mode generators such as SplitMix and Philox (a
 * counter through a strong mixer), with fewer rounds than a cryptographic design because nothing
 * adversarial is at stake: a dropout mask only needs bits without structure a network could pick up. The
 * two key words make streams of different (seed, step, layer) unrelated: with one word added to the
 * counter, the masks of two keys that differ by less than the mask length would be shifted copies of each
 * other. Tests check the keep rate against binomial tolerance and the absence of correlation between
 * neighbouring elements and between streams (test/core/counter-rng.test.ts).
 *
 * Keys are derived from the splittable generator ({@link rngFor}), so they are named like every other stream:
 * `streamKey(seed, 'dropout', step, layer)`.
 *
 * @packageDocumentation
 */
import { rngFor, type RngKey } from './rng';

/** The key of a counter-based stream: two unsigned 32-bit words. */
export type StreamKey = readonly [number, number];

/** The key of the stream named `(seed, ...keys)`: two words drawn from `rngFor(seed, ...keys)`. */
export function streamKey(seed: number, ...keys: RngKey[]): StreamKey {
  const rng = rngFor(seed, 'counter-stream', ...keys);
  return [rng.uint32(), rng.uint32()];
}

/** lowbias32 (Wellons): a bijective 32-bit integer hash; returns an unsigned 32-bit integer. */
export function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** 32 random bits for element `i` (a non-negative integer below 2^32) of the stream `key`: unsigned. */
export function counterBits(k0: number, k1: number, i: number): number {
  return lowbias32(lowbias32((k0 + i) | 0) ^ k1);
}

/**
 * 16 random bits for element `i` (a non-negative integer below 2^32) of the stream `key`: the low half of
 * `counterBits(key, i >>> 1)` for even `i`, the high half for odd `i`. Two elements share one hash, which
 * halves the cost of a dropout mask; the pair of halves is the hash's output, uniform over all 2^32 values
 * as the counter runs, so each half is uniform and the two are independent. Dropout compares them with a
 * 16-bit threshold: the keep rate is exact up to 2^-16 (rate 0.3 keeps 1 - 19660/65536, 6e-6 off).
 */
export function counterBits16(k0: number, k1: number, i: number): number {
  const h = counterBits(k0, k1, i >>> 1);
  return (i & 1) === 0 ? h & 0xffff : h >>> 16;
}

/**
 * The scale of the elements that inverted dropout keeps, `1 / (1 - rate)` rounded to float32: every backend
 * multiplies by exactly this value (so their results agree to the bit), and a dropout layer's backward pass
 * (the backends' `dropoutForward`) needs the same one. Here, below nn/ and backend/, so both may use it.
 */
export function dropoutScale(rate: number): number {
  return Math.fround(1 / (1 - rate));
}
