/**
 * The fused sparse ops, `sparseForward` and `sparseBackward`, on every backend: against the dense Float64
 * oracle at the backend's tolerance, and against the same backend's unfused ops one by one, bit for bit
 * (the interface defines each fused request as exactly that sequence of ops). Every request field is a
 * parameter: no rectifier, ReLU, leaky ReLU and All-ReLU's negative slope, each with and without dropout;
 * `db` and `dx` null or not; the previous block's bias gradient or not; and `overwriteInput` false or true
 * (the returned array holds the input gradient either way). Bad requests are typed errors raised before
 * anything is written.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, FusedRectifier, SparseBackwardRequest } from '../../toolkit/src/backend/backend';
import { counterBits16, streamKey } from '../../toolkit/src/core/counter-rng';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { SPARSE_CASES } from './cases';
import { describeBackends } from './describe-backends';
import { atStored, expectClose, matmul, matmulTransposed, outerGrad, poisoned, randomArray, randomSparse, rowSums } from './oracle';

/** The bit patterns of a float array, so that `toEqual` compares bits (and tells -0 from 0). */
function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

/** A rectifier block as the tests parameterise it. */
interface Rect {
  readonly name: string;
  readonly op: 'relu' | 'leaky-relu';
  readonly alpha: number;
  readonly rate: number;
}

const RECTIFIERS: readonly Rect[] = [
  { name: 'relu', op: 'relu', alpha: 0, rate: 0 },
  { name: 'relu + dropout 0.3', op: 'relu', alpha: 0, rate: 0.3 },
  { name: 'leaky-relu 0.1', op: 'leaky-relu', alpha: 0.1, rate: 0 },
  { name: 'leaky-relu 0.1 + dropout 0.5', op: 'leaky-relu', alpha: 0.1, rate: 0.5 },
  // All-ReLU: a negative slope, so a positive output may come from a negative pre-activation.
  { name: 'All-ReLU (slope -0.6)', op: 'leaky-relu', alpha: -0.6, rate: 0 },
  { name: 'All-ReLU (slope -0.6) + dropout 0.5', op: 'leaky-relu', alpha: -0.6, rate: 0.5 },
];

const KEY = streamKey(5, 'dropout', 17, 1);

function fusedRectifier(r: Rect, n: number): FusedRectifier {
  return { op: r.op, alpha: r.alpha, dropout: r.rate > 0 ? { rate: r.rate, key: KEY } : null, mask: new Uint8Array(n) };
}

/** Whether dropout keeps element `i` (the definition of core/counter-rng, not a backend's code). */
function kept(r: Rect, i: number): boolean {
  return r.rate === 0 || counterBits16(KEY[0], KEY[1], i) >= Math.floor(r.rate * 2 ** 16);
}

/** The block's output in Float64: rectifier, then inverted dropout with scale 1 / (1 - rate) in float32. */
function rectifyOracle(r: Rect, pre: Float64Array): Float64Array {
  const scale = Math.fround(1 / (1 - r.rate));
  return pre.map((p, i) => (kept(r, i) ? (p > 0 ? p : r.op === 'relu' ? 0 : Math.fround(r.alpha) * p) * scale : 0));
}

/** A gradient taken back through dropout and the rectifier, in Float64, given the pre-activation. */
function rectifyBackOracle(r: Rect, pre: Float64Array, g: Float64Array): Float64Array {
  const scale = Math.fround(1 / (1 - r.rate));
  return g.map((v, i) => (kept(r, i) ? (pre[i]! > 0 ? v : r.op === 'relu' ? 0 : Math.fround(r.alpha) * v) * scale : 0));
}

/**
 * The test data are away from the rectifier's kink: a pre-activation within rounding of 0 could take either
 * branch in float32, which would be a legitimate difference, not an error. The margin is a hundredth of
 * the default tolerance; a float32 sum of the few terms here errs by far less.
 */
function expectAwayFromZero(pre: Float64Array): void {
  let max = 0;
  for (const p of pre) max = Math.max(max, Math.abs(p));
  for (const p of pre) expect(Math.abs(p), 'a pre-activation of the test data is too close to 0').toBeGreaterThan(1e-6 * max);
}

/** The forward pass one op at a time on `be`: the definition of a fused request. */
function unfusedForward(be: Backend, r: Rect | null, w: Parameters<Backend['spmmForward']>[0], x: Float32Array, batch: number, bias: Float32Array | null) {
  const n = w.rows * batch;
  const pre = be.spmmForward(w, x, batch, bias, new Float32Array(n));
  if (r === null) return { pre, act: pre, out: pre, keep: new Uint8Array(n).fill(1) };
  const act = be.unaryForward(r.op, pre, r.alpha, new Float32Array(n));
  const keep = new Uint8Array(n).fill(1);
  const out = r.rate > 0 ? be.dropout(act, r.rate, KEY, new Float32Array(n), keep) : act;
  return { pre, act, out, keep };
}

describeBackends('fused sparse ops vs dense Float64 oracle and vs the unfused ops', (be, tol) => {
  for (const c of SPARSE_CASES) {
    describe(c.name, () => {
      const { csr: w, dense } = c.make();
      const { rows, cols } = w;
      const batch = c.batch;
      const rng = rngFor(12, 'fused', c.name);
      const x = randomArray(cols * batch, rng);
      const bias = randomArray(rows, rng);
      const dy = randomArray(rows * batch, rng);
      // The block before this layer (cols outputs, 5 inputs) whose rectifier the backward pass takes back.
      const block = randomSparse(cols, 5, 0.6, rngFor(13, 'block', c.name));
      const xb = randomArray(5 * batch, rng);
      const biasB = randomArray(cols, rng);
      const preB64 = matmul(block.dense, cols, 5, xb, batch, biasB);

      it('sparseForward without a rectifier is spmmForward (with and without bias)', () => {
        for (const b of [null, bias]) {
          const y = poisoned(rows * batch);
          expect(be.sparseForward({ w, x, batch, bias: b, y })).toBe(y);
          expectClose(y, matmul(dense, rows, cols, x, batch, b), tol.rel, 'sparseForward');
          expect(bits(y)).toEqual(bits(be.spmmForward(w, x, batch, b, new Float32Array(rows * batch))));
          const y2 = poisoned(rows * batch);
          be.sparseForward({ w, x, batch, bias: b, y: y2, rectifier: null });
          expect(bits(y2)).toEqual(bits(y));
        }
      });

      for (const r of RECTIFIERS) {
        it(`sparseForward with ${r.name}: the oracle, and the ops one by one bit for bit`, () => {
          const pre64 = matmul(dense, rows, cols, x, batch, bias);
          expectAwayFromZero(pre64);
          const n = rows * batch;
          const rect = fusedRectifier(r, n);
          const y = poisoned(n);
          const xBefore = x.slice();
          expect(be.sparseForward({ w, x, batch, bias, y, rectifier: rect })).toBe(y);
          expectClose(y, rectifyOracle(r, pre64), tol.rel, 'sparseForward + rectifier');
          for (let i = 0; i < n; i++) if (!kept(r, i)) expect(Object.is(y[i], 0), `dropped element ${i} is +0`).toBe(true);
          expect(bits(y)).toEqual(bits(unfusedForward(be, r, w, x, batch, bias).out));
          expect(x).toEqual(xBefore);
        });
      }

      for (const overwriteInput of [false, true]) {
        for (const r of [null, ...RECTIFIERS]) {
          it(`sparseBackward, input rectifier ${r?.name ?? 'none'}, overwriteInput ${overwriteInput}: every db/dx/inputBiasGrad variant`, () => {
            const n = cols * batch;
            if (r !== null) expectAwayFromZero(preB64);
            // The block's forward pass, fused: its output is this layer's input and its mask is read back.
            const rect = r === null ? null : fusedRectifier(r, n);
            const xin = poisoned(n);
            be.sparseForward({ w: block.csr, x: xb, batch, bias: biasB, y: xin, rectifier: rect });
            const maskBefore = rect?.mask.slice();
            // The definition, one op at a time on this backend.
            const ref = unfusedForward(be, r, block.csr, xb, batch, biasB);
            expect(bits(xin)).toEqual(bits(ref.out));
            const wantDw = be.spmmWeightGrad(w, dy, ref.out, batch, new Float32Array(w.nnz));
            const wantDb = be.biasGrad(dy, rows, batch, new Float32Array(rows));
            let wantDx = be.spmmInputGrad(w, dy, batch, new Float32Array(n));
            if (r !== null) {
              if (r.rate > 0) wantDx = be.dropoutForward(wantDx, ref.keep, Math.fround(1 / (1 - r.rate)), new Float32Array(n));
              wantDx = be.unaryBackward(r.op, ref.pre, ref.act, wantDx, r.alpha, new Float32Array(n));
            }
            const wantIb = be.biasGrad(wantDx, cols, batch, new Float32Array(cols));
            // The oracle, in Float64 from the same inputs.
            const dw64 = atStored(w, outerGrad(rows, cols, dy, ref.out, batch));
            const raw64 = matmulTransposed(dense, rows, cols, dy, batch);
            const dx64 = r === null ? raw64 : rectifyBackOracle(r, preB64, raw64);

            for (const withDb of [false, true]) {
              for (const withDx of [false, true]) {
                for (const withIb of r === null || !withDx ? [false] : [false, true]) {
                  const what = `db ${withDb ? 'given' : 'null'}, dx ${withDx ? 'given' : 'null'}, inputBiasGrad ${withIb ? 'given' : 'null'}`;
                  const xCall = Float32Array.from(xin);
                  const dw = poisoned(w.nnz), db = withDb ? poisoned(rows) : null, dx = withDx ? poisoned(n) : null;
                  const ib = withIb ? poisoned(cols) : null;
                  const req: SparseBackwardRequest = { w, dy, x: xCall, batch, dw, db, dx, inputRectifier: rect, inputBiasGrad: ib, overwriteInput };
                  const g = be.sparseBackward(req);
                  expectClose(dw, dw64, tol.rel, `dw (${what})`);
                  expect(bits(dw), `dw equals spmmWeightGrad (${what})`).toEqual(bits(wantDw));
                  if (db !== null) {
                    expectClose(db, rowSums(dy, rows, batch), tol.rel, `db (${what})`);
                    expect(bits(db), `db equals biasGrad (${what})`).toEqual(bits(wantDb));
                  }
                  if (dx === null) {
                    expect(g, what).toBeNull();
                    expect(bits(xCall), `x untouched without dx (${what})`).toEqual(bits(xin));
                  } else {
                    expect(g, what).not.toBeNull();
                    // The input gradient is in dx, or, when the caller gave x up, possibly in x's storage.
                    if (!overwriteInput) expect(g, what).toBe(dx);
                    else if (g !== dx) expect(g!.buffer === xCall.buffer && g!.byteOffset === xCall.byteOffset && g!.length === n, what).toBe(true);
                    if (!overwriteInput) expect(bits(xCall), `x unchanged (${what})`).toEqual(bits(xin));
                    expectClose(g!, dx64, tol.rel, `input gradient (${what})`);
                    expect(bits(g!), `input gradient equals the ops one by one (${what})`).toEqual(bits(wantDx));
                  }
                  if (ib !== null) {
                    expectClose(ib, rowSums(dx64, cols, batch), tol.rel, `inputBiasGrad (${what})`);
                    expect(bits(ib), `inputBiasGrad equals biasGrad of the input gradient (${what})`).toEqual(bits(wantIb));
                  }
                  if (rect !== null) expect(rect.mask, `the mask is only read (${what})`).toEqual(maskBefore);
                }
              }
            }
          });
        }
      }
    });
  }

  describe('bad requests: a typed error that says what was wrong and what was expected, nothing written', () => {
    const w = randomSparse(4, 3, 0.7, rngFor(14, 'bad')).csr; // 4 outputs x 3 inputs
    const batch = 2;
    const ok: FusedRectifier = { op: 'relu', alpha: 0, dropout: null, mask: new Uint8Array(8) };

    it('sparseForward', () => {
      const x = new Float32Array(6), y = new Float32Array(8).fill(7);
      const bad = (f: () => unknown, type: typeof ShapeError | typeof InvalidArgumentError, message: RegExp) => {
        expect(f).toThrow(type);
        expect(f).toThrow(message);
        expect(Array.from(y)).toEqual(new Array(8).fill(7));
      };
      bad(() => be.sparseForward({ w, x, batch, bias: null, y: new Float32Array(7) }), ShapeError,
        /sparseForward: y has length 7, expected at least 8 \(rows \* batch: 4 outputs x 3 inputs, batch 2\)/);
      bad(() => be.sparseForward({ w, x: new Float32Array(5), batch, bias: null, y }), ShapeError, /sparseForward: x has length 5, expected at least 6/);
      bad(() => be.sparseForward({ w, x, batch, bias: new Float32Array(3), y }), ShapeError, /sparseForward: bias has length 3, expected at least 4/);
      bad(() => be.sparseForward({ w, x, batch: 1.5, bias: null, y }), InvalidArgumentError, /sparseForward: batch must be an integer >= 0, got 1.5/);
      bad(() => be.sparseForward({ w, x, batch, bias: null, y, rectifier: { ...ok, mask: new Uint8Array(7) } }), ShapeError,
        /sparseForward: rectifier.mask has length 7, expected at least 8/);
      bad(() => be.sparseForward({ w, x, batch, bias: null, y, rectifier: { ...ok, op: 'tanh' as 'relu' } }), InvalidArgumentError,
        /rectifier.op must be 'relu' or 'leaky-relu' .*got 'tanh'/);
      bad(() => be.sparseForward({ w, x, batch, bias: null, y, rectifier: { ...ok, alpha: NaN } }), InvalidArgumentError,
        /rectifier.alpha must be a finite number, got NaN/);
      for (const rate of [1, -0.1]) {
        bad(() => be.sparseForward({ w, x, batch, bias: null, y, rectifier: { ...ok, dropout: { rate, key: KEY } } }), InvalidArgumentError,
          new RegExp(`rectifier.dropout.rate must be in \\[0, 1\\), got ${rate}`));
      }
    });

    it('sparseBackward', () => {
      const dy = new Float32Array(8), x = new Float32Array(6).fill(5);
      const dw = new Float32Array(w.nnz).fill(7), db = new Float32Array(4).fill(7), dx = new Float32Array(6).fill(7), ib = new Float32Array(3).fill(7);
      const okIn: FusedRectifier = { ...ok, mask: new Uint8Array(6) };
      const base: SparseBackwardRequest = { w, dy, x, batch, dw, db, dx };
      const bad = (req: SparseBackwardRequest, type: typeof ShapeError | typeof InvalidArgumentError, message: RegExp) => {
        expect(() => be.sparseBackward(req)).toThrow(type);
        expect(() => be.sparseBackward(req)).toThrow(message);
        for (const [a, v] of [[dw, 7], [db, 7], [dx, 7], [ib, 7], [x, 5]] as const) expect(Array.from(a)).toEqual(new Array(a.length).fill(v));
      };
      bad({ ...base, dy: new Float32Array(7) }, ShapeError, /sparseBackward: dy has length 7, expected at least 8 \(rows \* batch/);
      bad({ ...base, x: new Float32Array(5) }, ShapeError, /sparseBackward: x has length 5, expected at least 6 \(cols \* batch/);
      bad({ ...base, dw: new Float32Array(w.nnz - 1) }, ShapeError, new RegExp(`sparseBackward: dw has length ${w.nnz - 1}, expected at least ${w.nnz} \\(one per connection`));
      bad({ ...base, db: new Float32Array(3) }, ShapeError, /sparseBackward: db has length 3, expected at least 4/);
      bad({ ...base, dx: new Float32Array(5) }, ShapeError, /sparseBackward: dx has length 5, expected at least 6/);
      bad({ ...base, inputRectifier: { ...okIn, mask: new Uint8Array(5) } }, ShapeError, /sparseBackward: inputRectifier.mask has length 5, expected at least 6/);
      bad({ ...base, inputRectifier: { ...okIn, op: 'sigmoid' as 'relu' } }, InvalidArgumentError, /inputRectifier.op must be 'relu' or 'leaky-relu'/);
      bad({ ...base, inputRectifier: okIn, inputBiasGrad: new Float32Array(2) }, ShapeError, /sparseBackward: inputBiasGrad has length 2, expected at least 3/);
      bad({ ...base, inputBiasGrad: ib }, InvalidArgumentError, /inputBiasGrad is given without inputRectifier/);
      bad({ ...base, dx: null, inputRectifier: okIn, inputBiasGrad: ib }, InvalidArgumentError, /inputBiasGrad is given without dx/);
      bad({ ...base, batch: -1 }, InvalidArgumentError, /sparseBackward: batch must be an integer >= 0, got -1/);
    });
  });
});
