import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dropoutThreshold } from '../../toolkit/src/backend/cpu/dropout';
import { counterBits, counterBits16, lowbias32, streamKey, type StreamKey } from '../../toolkit/src/core/counter-rng';

/** lowbias32 written again with BigInt arithmetic, as an independent oracle. */
function lowbias32Oracle(x: bigint): bigint {
  const M = 0xffffffffn;
  x &= M;
  x ^= x >> 16n;
  x = (x * 0x7feb352dn) & M;
  x ^= x >> 15n;
  x = (x * 0x846ca68bn) & M;
  x ^= x >> 16n;
  return x;
}

/** Keep indicators (1 kept, 0 dropped) of `n` elements of stream `key` at `rate`. */
function keeps(key: StreamKey, n: number, rate: number): Uint8Array {
  const t = dropoutThreshold(rate);
  const m = new Uint8Array(n);
  for (let i = 0; i < n; i++) m[i] = counterBits16(key[0], key[1], i) >= t ? 1 : 0;
  return m;
}

/** Pearson correlation of a[i] and b[i + lag] over the overlap. */
function correlation(a: Uint8Array, b: Uint8Array, lag = 0): number {
  const n = Math.min(a.length, b.length - lag);
  let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!, y = b[i + lag]!;
    sa += x;
    sb += y;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  const cov = sab / n - (sa / n) * (sb / n);
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

describe('counter-based random bits', () => {
  it('lowbias32 and counterBits agree with a BigInt oracle', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), (k0, k1, i) => {
        expect(lowbias32(i)).toBe(Number(lowbias32Oracle(BigInt(i))));
        const expected = lowbias32Oracle(lowbias32Oracle(BigInt(k0) + BigInt(i)) ^ BigInt(k1));
        expect(counterBits(k0, k1, i)).toBe(Number(expected));
      }),
      { numRuns: 300 },
    );
    // Pinned values: a change here changes every dropout mask of every run.
    expect([lowbias32(0), lowbias32(1), counterBits(0x12345678, 0x9abcdef0, 5)]).toEqual([0, 1753845952, 1195757355]);
  });

  it('counterBits16 splits each hash in two: the low half for even elements, the high half for odd ones', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0x7fffffff }), (k0, k1, j) => {
        const h = counterBits(k0, k1, j);
        expect(counterBits16(k0, k1, 2 * j)).toBe(h % 65536);
        expect(counterBits16(k0, k1, 2 * j + 1)).toBe(Math.floor(h / 65536));
      }),
      { numRuns: 300 },
    );
    // Pinned: a change here changes every dropout mask of every run.
    expect([10, 11].map((i) => counterBits16(0x12345678, 0x9abcdef0, i))).toEqual([1195757355 % 65536, Math.floor(1195757355 / 65536)]);
  });

  it('is a bijection of the index for a fixed key (no two elements share their bits)', () => {
    const key = streamKey(5, 'bijection');
    const seen = new Set<number>();
    for (let i = 0; i < 1 << 17; i++) seen.add(counterBits(key[0], key[1], i));
    expect(seen.size).toBe(1 << 17);
  });

  it('stream keys are named like rngFor streams: the same names give the same key, others a different one', () => {
    expect(streamKey(1, 'dropout', 10, 2)).toEqual(streamKey(1, 'dropout', 10, 2));
    const keys = [streamKey(1, 'dropout', 10, 2), streamKey(1, 'dropout', 11, 2), streamKey(1, 'dropout', 10, 3), streamKey(2, 'dropout', 10, 2)];
    expect(new Set(keys.map((k) => k.join(','))).size).toBe(4);
    for (const k of keys) for (const w of k) expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
  });

  it('the keep rate matches 1 - rate within binomial tolerance, for many streams and rates', () => {
    const n = 200_000;
    for (const rate of [0.05, 0.3, 0.5, 0.9]) {
      for (let step = 0; step < 4; step++) {
        const kept = keeps(streamKey(3, 'dropout', step, 0), n, rate).reduce((a, b) => a + b, 0);
        // 5 standard deviations: a false alarm about once in 3.5 million checks.
        expect(Math.abs(kept - n * (1 - rate))).toBeLessThanOrEqual(5 * Math.sqrt(n * rate * (1 - rate)));
      }
    }
  });

  it('masks of different (step, layer) and seeds are uncorrelated, and so are neighbouring elements', () => {
    const n = 128 * 1000; // one 1000-neuron layer at batch 128
    const rate = 0.3;
    const bound = 5 / Math.sqrt(n);
    const base = keeps(streamKey(1, 'dropout', 100, 0), n, rate);
    const others: Array<[string, StreamKey]> = [
      ['next step', streamKey(1, 'dropout', 101, 0)],
      ['next layer', streamKey(1, 'dropout', 100, 1)],
      ['next step and layer', streamKey(1, 'dropout', 101, 1)],
      ['other seed', streamKey(2, 'dropout', 100, 0)],
      // Keys one apart in the counter word, same second word: the case a single key word would get wrong.
      ['adjacent counter key', [(streamKey(1, 'dropout', 100, 0)[0] + 1) >>> 0, streamKey(1, 'dropout', 100, 0)[1]]],
    ];
    for (const [what, key] of others) {
      const m = keeps(key, n, rate);
      for (const lag of [0, 1]) {
        const r = correlation(base, m, lag);
        expect(Math.abs(r), `${what}, lag ${lag}: correlation ${r}`).toBeLessThan(bound);
      }
    }
    // Within one mask: the next sample (lag 1), the next vector lanes (lag 4), the next feature (lag 128).
    for (const lag of [1, 2, 3, 4, 16, 127, 128]) {
      const r = correlation(base, base, lag);
      expect(Math.abs(r), `lag ${lag}: correlation ${r}`).toBeLessThan(bound);
    }
  });
});
