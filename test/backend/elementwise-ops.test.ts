import { describe, expect, it } from 'vitest';
import type { SReluParams, UnaryOp } from '../../toolkit/src/backend/backend';
import { dropout as dropoutReference } from '../../toolkit/src/backend/cpu/dropout';
import { counterBits16, streamKey } from '../../toolkit/src/core/counter-rng';
import { rngFor } from '../../toolkit/src/core/rng';
import { ELEMENTWISE_CASES } from './cases';
import { describeBackends } from './describe-backends';
import { expectClose, poisoned, randomArray, softmaxColumns } from './oracle';

/** f(x) and f'(x) in Float64, from the textbook definitions. */
const UNARY: Record<UnaryOp, { f: (x: number, a: number) => number; df: (x: number, a: number) => number }> = {
  identity: { f: (x) => x, df: () => 1 },
  relu: { f: (x) => Math.max(0, x), df: (x) => (x > 0 ? 1 : 0) },
  'leaky-relu': { f: (x, a) => (x > 0 ? x : a * x), df: (x, a) => (x > 0 ? 1 : a) },
  tanh: { f: (x) => Math.tanh(x), df: (x) => 1 / Math.cosh(x) ** 2 },
  sigmoid: { f: (x) => 1 / (1 + Math.exp(-x)), df: (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2 },
};

function sreluOracle(x: number, tl: number, al: number, tr: number, ar: number): { y: number; dx: number; dtl: number; dal: number; dtr: number; dar: number } {
  if (x >= tr) return { y: tr + ar * (x - tr), dx: ar, dtl: 0, dal: 0, dtr: 1 - ar, dar: x - tr };
  if (x <= tl) return { y: tl + al * (x - tl), dx: al, dtl: 1 - al, dal: x - tl, dtr: 0, dar: 0 };
  return { y: x, dx: 1, dtl: 0, dal: 0, dtr: 0, dar: 0 };
}

function sreluParams(n: number, seed: number): SReluParams {
  const rng = rngFor(seed, 'srelu');
  const tl = randomArray(n, rng, 1);
  const tr = new Float32Array(n);
  for (let j = 0; j < n; j++) tr[j] = tl[j]! + 0.1 + 2 * rng.float();
  return { tl, al: randomArray(n, rng, 1), tr, ar: randomArray(n, rng, 2) };
}

describeBackends('element-wise ops vs Float64 oracle', (be, tol) => {
  for (const { n, batch } of ELEMENTWISE_CASES) {
    describe(`n = ${n}, batch = ${batch}`, () => {
      const len = n * batch;
      const rng = rngFor(31, 'elementwise', n, batch);
      const x = randomArray(len, rng, 4);
      const dy = randomArray(len, rng, 1);

      for (const [op, alphas] of [['identity', [0]], ['relu', [0]], ['leaky-relu', [0.01, -0.6, 0.75]], ['tanh', [0]], ['sigmoid', [0]]] as const) {
        for (const alpha of alphas) {
          it(`${op} (alpha ${alpha}) forward and backward`, () => {
            const { f, df } = UNARY[op];
            const y = poisoned(len);
            expect(be.unaryForward(op, x, alpha, y)).toBe(y);
            expectClose(y, Array.from(x, (v) => f(v, alpha)), tol.rel, `${op} forward`);
            const dx = poisoned(len);
            expect(be.unaryBackward(op, x, y, dy, alpha, dx)).toBe(dx);
            expectClose(dx, Array.from(x, (v, i) => df(v, alpha) * dy[i]!), tol.rel, `${op} backward`);
          });
        }
      }

      it('srelu forward and backward (input and parameter gradients, accumulated)', () => {
        const p = sreluParams(n, n * 100 + batch);
        // Spread inputs over all three pieces: left of tl, between, right of tr.
        const xs = new Float32Array(len);
        for (let j = 0; j < n; j++) {
          for (let b = 0; b < batch; b++) {
            const piece = (j + b) % 3;
            const u = rng.float();
            xs[j * batch + b] = piece === 0 ? p.tl[j]! - 0.05 - 2 * u : piece === 1 ? p.tl[j]! + (p.tr[j]! - p.tl[j]!) * (0.05 + 0.9 * u) : p.tr[j]! + 0.05 + 2 * u;
          }
        }
        const y = poisoned(len);
        expect(be.sreluForward(xs, n, batch, p, y)).toBe(y);
        const ey = new Float64Array(len), edx = new Float64Array(len);
        const start = { tl: randomArray(n, rng), al: randomArray(n, rng), tr: randomArray(n, rng), ar: randomArray(n, rng) };
        const eg = { tl: Float64Array.from(start.tl), al: Float64Array.from(start.al), tr: Float64Array.from(start.tr), ar: Float64Array.from(start.ar) };
        for (let j = 0; j < n; j++) {
          for (let b = 0; b < batch; b++) {
            const i = j * batch + b;
            const o = sreluOracle(xs[i]!, p.tl[j]!, p.al[j]!, p.tr[j]!, p.ar[j]!);
            ey[i] = o.y;
            edx[i] = o.dx * dy[i]!;
            eg.tl[j]! += o.dtl * dy[i]!;
            eg.al[j]! += o.dal * dy[i]!;
            eg.tr[j]! += o.dtr * dy[i]!;
            eg.ar[j]! += o.dar * dy[i]!;
          }
        }
        expectClose(y, ey, tol.rel, 'srelu forward');
        const dp = { tl: start.tl.slice(), al: start.al.slice(), tr: start.tr.slice(), ar: start.ar.slice() };
        const dx = poisoned(len);
        expect(be.sreluBackward(xs, n, batch, p, dy, dx, dp)).toBe(dx);
        expectClose(dx, edx, tol.rel, 'srelu dx');
        for (const k of ['tl', 'al', 'tr', 'ar'] as const) expectClose(dp[k], eg[k], tol.rel, `srelu d${k} (accumulated)`);
      });

      it('softmax forward and backward', () => {
        const y = poisoned(len);
        expect(be.softmaxForward(x, n, batch, y)).toBe(y);
        const ey = softmaxColumns(x, n, batch);
        expectClose(y, ey, tol.rel, 'softmax forward');
        // Backward: the Jacobian-vector product J^T dy with J = diag(s) - s s^T, written out.
        const edx = new Float64Array(len);
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let f = 0; f < n; f++) s += ((i === f ? 1 : 0) - ey[f * batch + b]!) * ey[i * batch + b]! * dy[f * batch + b]!;
            edx[i * batch + b] = s;
          }
        }
        const dx = poisoned(len);
        expect(be.softmaxBackward(y, dy, n, batch, dx)).toBe(dx);
        expectClose(dx, edx, tol.rel, 'softmax backward');
      });

      it('dropoutForward', () => {
        const mask = new Uint8Array(len);
        for (let i = 0; i < len; i++) mask[i] = rng.float() < 0.6 ? 1 : 0;
        const scale = 1 / 0.7;
        const y = poisoned(len);
        expect(be.dropoutForward(x, mask, scale, y)).toBe(y);
        expectClose(y, Array.from(x, (v, i) => (mask[i] ? v * scale : 0)), tol.rel, 'dropout');
        for (let i = 0; i < len; i++) if (!mask[i]) expect(y[i]).toBe(0);
      });

      // The counter-based mask is integer arithmetic: every backend must draw exactly the reference's mask.
      it('dropout (counter-based): the reference mask, kept elements scaled by 1 / (1 - rate)', () => {
        for (const rate of [0.3, 0.5]) {
          const key = streamKey(7, 'dropout', n, batch);
          const mask = new Uint8Array(len).fill(7), refMask = new Uint8Array(len);
          const y = poisoned(len);
          expect(be.dropout(x, rate, key, y, mask)).toBe(y);
          dropoutReference(x, rate, key, new Float32Array(len), refMask);
          expect(Array.from(mask)).toEqual(Array.from(refMask));
          for (let i = 0; i < len; i++) expect(mask[i]).toBe(counterBits16(key[0], key[1], i) >= Math.floor(rate * 2 ** 16) ? 1 : 0);
          expectClose(y, Array.from(x, (v, i) => (mask[i] ? v / (1 - rate) : 0)), tol.rel, 'dropout');
          for (let i = 0; i < len; i++) if (!mask[i]) expect(y[i]).toBe(0);
        }
      });
    });
  }

  it('softmax is stable for large logits and sums to 1 per sample', () => {
    const n = 4, batch = 3;
    const x = Float32Array.from([1000, -1000, 50, 88, 999, -1000, 20, 89, 0, 1000, 50, 87]);
    const y = be.softmaxForward(x, n, batch, new Float32Array(n * batch));
    expect(Array.from(y).every(Number.isFinite)).toBe(true);
    for (let b = 0; b < batch; b++) {
      let s = 0;
      for (let f = 0; f < n; f++) s += y[f * batch + b]!;
      expect(s).toBeCloseTo(1, 6);
    }
    expectClose(y, softmaxColumns(x, n, batch), 1e-4, 'softmax with large logits');
  });
});
