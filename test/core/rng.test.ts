import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { Rng, rngFor, type RngState } from '../../toolkit/src/core/rng';

/** xoshiro128** written again from the paper with BigInt arithmetic, as an independent oracle. */
function xoshiroOracle(state: readonly number[], count: number): number[] {
  const M = 0xffffffffn;
  const s = state.map((v) => BigInt(v >>> 0));
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s[1]! * 5n) & M, 7n) * 9n) & M));
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
  }
  return out;
}

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.uint32());
}

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

/** A generous upper bound of the chi-square quantile (mean + 5 standard deviations). */
function chiBound(df: number): number {
  return df + 5 * Math.sqrt(2 * df);
}

describe('Rng (xoshiro128**)', () => {
  it('matches an independent implementation of xoshiro128** (state 1, 2, 3, 4 starts with 11520, 0)', () => {
    const got = draws(new Rng([1, 2, 3, 4]), 50);
    expect(got.slice(0, 2)).toEqual([11520, 0]);
    expect(got).toEqual(xoshiroOracle([1, 2, 3, 4], 50));
    const state: RngState = [0xdeadbeef, 0x12345678, 0xffffffff, 7];
    expect(draws(new Rng(state), 200)).toEqual(xoshiroOracle(state, 200));
  });

  it('an all-zero state is replaced by a valid one (never stuck at 0)', () => {
    const r = new Rng([0, 0, 0, 0]);
    expect(draws(r, 10).some((v) => v !== 0)).toBe(true);
  });

  it('state round trip: new Rng(rng.state()) continues the same sequence', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(100), (seed, skip) => {
        const a = rngFor(seed, 'round-trip');
        draws(a, skip);
        const s = a.state();
        expect(s).toHaveLength(4);
        for (const w of s) expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
        const b = new Rng(s);
        expect(draws(b, 20)).toEqual(draws(a, 20));
        expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      }),
      { numRuns: 50 },
    );
  });
});

describe('rngFor streams', () => {
  it('is deterministic: the same seed and keys give the same sequence', () => {
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.oneof(fc.integer(), fc.string()), { maxLength: 4 }), (seed, keys) => {
        expect(draws(rngFor(seed, ...keys), 8)).toEqual(draws(rngFor(seed, ...keys), 8));
      }),
      { numRuns: 100 },
    );
  });

  it('different seeds, keys, key orders and key types give different streams', () => {
    const streams = [
      rngFor(1), rngFor(2), rngFor(1, 0), rngFor(1, 1), rngFor(1, 'a'), rngFor(1, 'b'), rngFor(1, 1, 2), rngFor(1, 2, 1),
      rngFor(1, '1'), rngFor(1, 0.5), rngFor(1, 2 ** 40), rngFor(1, 2 ** 40 + 1), rngFor(1, -1), rngFor(1, 'evolve', 0, 0),
      rngFor(1, 'evolve', 0, 1), rngFor(1, 'evolve', 1, 0), rngFor(0), rngFor(-0.5), rngFor(2 ** 53 - 1), rngFor(1, ''),
    ];
    const firsts = streams.map((r) => draws(r, 4).join(','));
    expect(new Set(firsts).size).toBe(streams.length);
  });

  it('string and number keys are distinct namespaces ("5" is not 5)', () => {
    for (const k of [0, 1, 5, 42, 1000]) expect(draws(rngFor(7, k), 4)).not.toEqual(draws(rngFor(7, String(k)), 4));
  });

  it('rejects non-finite keys and seeds', () => {
    expect(() => rngFor(1, NaN)).toThrow(InvalidArgumentError);
    expect(() => rngFor(1, Infinity)).toThrow(/finite/);
    expect(() => rngFor(NaN)).toThrow(InvalidArgumentError);
  });

  it('neighbouring streams are not correlated (bit agreement near one half)', () => {
    let agree = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      const x = rngFor(3, 'corr', i).uint32(), y = rngFor(3, 'corr', i + 1).uint32();
      let z = ~(x ^ y) >>> 0;
      while (z) {
        agree += z & 1;
        z >>>= 1;
      }
    }
    const bits = n * 32;
    expect(Math.abs(agree - bits / 2)).toBeLessThan(5 * Math.sqrt(bits / 4));
  });
});

describe('Rng.int', () => {
  it('stays in [0, n) for many n, including n = 1, 2^32 and above', () => {
    const rng = rngFor(11, 'int-range');
    for (const n of [1, 2, 3, 7, 1000, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 3 * 2 ** 33, 2 ** 52 + 3, 2 ** 53]) {
      const bad = Array.from({ length: 500 }, () => rng.int(n)).filter((v) => !(Number.isInteger(v) && v >= 0 && v < n));
      expect(bad, `int(${n}) out of range`).toEqual([]);
    }
    expect(rngFor(1).int(1)).toBe(0);
  });

  it('is uniform for a small n (chi-square, fixed seed)', () => {
    for (const n of [2, 7, 10]) {
      const rng = rngFor(12, 'int-uniform', n);
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < 20000 * n; i++) counts[rng.int(n)]!++;
      expect(chiSquare(counts)).toBeLessThan(chiBound(n - 1));
    }
  });

  it('is uniform for n above 2^32 (chi-square over 16 equal buckets, and over the low bits)', () => {
    const n = 2 ** 40 * 3;
    const rng = rngFor(13, 'int-big');
    const high = new Array<number>(16).fill(0);
    const low = new Array<number>(16).fill(0);
    for (let i = 0; i < 64000; i++) {
      const v = rng.int(n);
      high[Math.floor((v / n) * 16)]!++;
      low[v % 16]!++;
    }
    expect(chiSquare(high)).toBeLessThan(chiBound(15));
    expect(chiSquare(low)).toBeLessThan(chiBound(15));
  });

  it('is unbiased where naive modulo would not be (n = 3 * 2^30, top third)', () => {
    // uint32 % n would make [0, 2^30) twice as likely as the rest; rejection must not.
    const n = 3 * 2 ** 30;
    const rng = rngFor(14, 'int-bias');
    const thirds = [0, 0, 0];
    for (let i = 0; i < 30000; i++) thirds[Math.floor(rng.int(n) / 2 ** 30)]!++;
    expect(chiSquare(thirds)).toBeLessThan(chiBound(2));
  });

  it('rejects n that is not an integer in [1, 2^53]', () => {
    const rng = rngFor(1);
    for (const n of [0, -1, 1.5, NaN, Infinity, 2 ** 53 + 2]) expect(() => rng.int(n)).toThrow(InvalidArgumentError);
  });
});

describe('Rng.float, normal, permutation', () => {
  it('float is in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = rngFor(21, 'float');
    const n = 50000;
    let s = 0, s2 = 0, outside = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      if (!(u >= 0 && u < 1)) outside++;
      s += u;
      s2 += u * u;
    }
    expect(outside).toBe(0);
    expect(Math.abs(s / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12)).toBeLessThan(0.003);
  });

  it('normal has mean 0 and variance 1', () => {
    const rng = rngFor(22, 'normal');
    const n = 50000;
    let s = 0, s2 = 0, bad = 0;
    for (let i = 0; i < n; i++) {
      const z = rng.normal();
      if (!Number.isFinite(z)) bad++;
      s += z;
      s2 += z * z;
    }
    expect(bad).toBe(0);
    expect(Math.abs(s / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(s2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });

  it('permutation is a permutation, and every position is uniform (n = 5)', () => {
    fc.assert(
      fc.property(fc.nat(200), fc.integer(), (n, seed) => {
        const p = rngFor(seed, 'perm').permutation(n);
        expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
      { numRuns: 60 },
    );
    const rng = rngFor(23, 'perm-uniform');
    const firstCounts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) firstCounts[rng.permutation(5)[0]!]!++;
    expect(chiSquare(firstCounts)).toBeLessThan(chiBound(4));
  });
});
