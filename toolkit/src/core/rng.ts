/**
 * Seeded, splittable random numbers.
 *
 * The generator is xoshiro128** (Blackman and Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 2021): 128 bits of state, period 2^128 - 1, passes BigCrush, and needs only 32-bit integer
 * arithmetic, which JavaScript does exactly with `Math.imul` and `>>> 0`.
 *
 * Splitting: {@link rngFor}(seed, ...keys) hashes the seed and every key (numbers or strings) into a fresh
 * state with a murmur3-style finaliser, so independent streams are named by what they are for
 * (`rngFor(seed, 'evolve', step, layer)`) instead of by the order of calls. That is what makes a run
 * reproducible whatever else ran in between (the same idea as JAX's `fold_in`).
 *
 * The library never calls `Math.random`.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from './errors';

/** A key that names a random stream: a number (integer part and fraction are both used) or a string. */
export type RngKey = number | string;

/** The serialisable state of a {@link Rng}: four unsigned 32-bit words. */
export type RngState = readonly [number, number, number, number];

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashKey(h: number, key: RngKey): number {
  if (typeof key === 'string') {
    // FNV-1a over UTF-16 code units, folded into the running hash.
    let f = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) f = Math.imul(f ^ key.charCodeAt(i), 0x01000193);
    return fmix32(h ^ fmix32(f ^ 0x5bd1e995));
  }
  if (!Number.isFinite(key)) throw new InvalidArgumentError(`random stream key must be finite, got ${key}`);
  // Split a double into two 32-bit halves so that every safe integer (and fractions) hash distinctly.
  const hi = Math.floor(key / 4294967296);
  const lo = key - hi * 4294967296;
  const loInt = Math.floor(lo) >>> 0;
  const frac = Math.floor((lo - Math.floor(lo)) * 4294967296) >>> 0;
  h = fmix32(h ^ fmix32(loInt + 0x9e3779b9));
  h = fmix32(h ^ fmix32((hi | 0) + 0x7f4a7c15));
  if (frac !== 0) h = fmix32(h ^ fmix32(frac + 0x6a09e667));
  return h;
}

/**
 * A seeded pseudo-random generator (xoshiro128**). Create one with {@link rngFor}.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** @param state - four 32-bit words, not all zero. Prefer {@link rngFor}. */
  constructor(state: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v >>> 0) as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9;
  }

  /** The current state; `new Rng(rng.state())` continues the same sequence. */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** A uniform unsigned 32-bit integer. */
  uint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    let n2 = s2 ^ s0;
    let n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    n2 ^= t;
    n3 = rotl(n3, 11);
    this.s0 = n0 >>> 0;
    this.s1 = n1 >>> 0;
    this.s2 = n2 >>> 0;
    this.s3 = n3 >>> 0;
    return r;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A uniform integer in [0, n), exactly uniform (rejection), for any n up to 2^53.
   * @throws {@link InvalidArgumentError} when n is not a positive safe integer.
   */
  int(n: number): number {
    if (!(n >= 1 && n <= 9007199254740992 && Number.isInteger(n))) {
      throw new InvalidArgumentError(`Rng.int(n) needs an integer n in [1, 2^53], got ${n}`);
    }
    if (n <= 4294967296) {
      // Rejection on the top of the 32-bit range keeps every residue equally likely.
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const x = this.uint32();
        if (x < limit) return x % n;
      }
    }
    for (;;) {
      const hi = this.uint32() >>> 11; // 21 bits
      const x = hi * 4294967296 + this.uint32(); // 53 bits
      const limit = 9007199254740992 - (9007199254740992 % n);
      if (x < limit) return x % n;
    }
  }

  /** A standard normal sample (Box-Muller; uses two uniforms, keeps no cached value so state stays simple). */
  normal(): number {
    let u = this.float();
    while (u === 0) u = this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Shuffles `a` in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n-1 as an Int32Array. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A generator for the stream named by `seed` and `keys`. The same arguments always give the same
 * sequence; different keys give statistically independent sequences.
 *
 * @param seed - the run's seed (any finite number; integers are usual).
 * @param keys - names of the stream, e.g. `('evolve', epoch, layerIndex)`.
 * @example
 * const rng = rngFor(42, 'init', 0);
 * const w = rng.normal();
 */
export function rngFor(seed: number, ...keys: RngKey[]): Rng {
  let h = hashKey(0x2545f491, seed);
  for (const k of keys) h = hashKey(h, k);
  // Expand the 32-bit hash into 128 bits of state with splitmix32-style steps.
  const state: number[] = [];
  let x = h;
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    state.push(fmix32(x ^ Math.imul(i + 1, 0x27d4eb2f)));
  }
  return new Rng(state as unknown as RngState);
}
