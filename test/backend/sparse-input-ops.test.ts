/**
 * The sparse-batch ops of the first layer on wide data (Backend.sparseInputForward, sparseInputWeightGrad),
 * on every backend: against the dense Float64 oracle, and against the same backend's dense ops on the
 * densified batch (equal on the CPU reference, which adds the same terms in the same order; within the
 * float32 summation bound elsewhere).
 *
 * The bound: a sum of n float32 terms, each product and each addition rounded (the worst of the backends),
 * is within (2n + 2) * 2^-24 * sum|terms| of the exact sum (the usual gamma_n bound, counting two roundings
 * per term; the +2 covers the bias and the final store). Checked element by element.
 */
import { describe, expect, it } from 'vitest';
import { rngFor, type Rng } from '../../toolkit/src/core/rng';
import { ShapeError } from '../../toolkit/src/core/errors';
import { SparseBatch } from '../../toolkit/src/sparse/sparse-batch';
import { SPARSE_CASES } from './cases';
import { describeBackends } from './describe-backends';
import { atStored, matmul, outerGrad, poisoned, randomArray } from './oracle';

const U = 2 ** -24;

/** Sample-major compressed rows of `n` samples over `nF` features, each entry present with probability `p`. */
function randomRows(n: number, nF: number, p: number, rng: Rng): { rowPtr: Int32Array; idx: Int32Array; val: Float32Array } {
  const rowPtr = new Int32Array(n + 1);
  const idx: number[] = [], val: number[] = [];
  for (let s = 0; s < n; s++) {
    // Sample 1 has no entries at all (an all-zero sample).
    if (s !== 1) {
      for (let f = 0; f < nF; f++) {
        if (rng.float() < p) {
          idx.push(f);
          val.push(2 * rng.float() - 1);
        }
      }
    }
    rowPtr[s + 1] = idx.length;
  }
  return { rowPtr, idx: Int32Array.from(idx), val: Float32Array.from(val) };
}

/** The dense feature-major twin of batch `order[0 .. batch)` of the rows, built without SparseBatch. */
function denseOf(r: ReturnType<typeof randomRows>, nF: number, order: Int32Array, batch: number): Float32Array {
  const x = new Float32Array(nF * batch);
  for (let b = 0; b < batch; b++) {
    const s = order[b]!;
    for (let k = r.rowPtr[s]!; k < r.rowPtr[s + 1]!; k++) x[r.idx[k]! * batch + b] = r.val[k]!;
  }
  return x;
}

const abs = (a: ArrayLike<number>): Float64Array => Float64Array.from(a, Math.abs);

/** Asserts |actual - exact| <= (2n + 2) u * bound element-wise. */
function expectWithinSumBound(actual: ArrayLike<number>, exact: ArrayLike<number>, bound: ArrayLike<number>, n: number, what: string): void {
  expect(actual.length).toBe(exact.length);
  for (let i = 0; i < exact.length; i++) {
    const tol = (2 * n + 2) * U * bound[i]!;
    const err = Math.abs(actual[i]! - exact[i]!);
    if (!(err <= tol)) expect.fail(`${what}[${i}] = ${actual[i]}, exact ${exact[i]}: error ${err} exceeds ${tol}`);
  }
}

describeBackends('sparse layer x sparse batch vs dense Float64 oracle', (be, _tol, name) => {
  for (const c of SPARSE_CASES) {
    describe(c.name, () => {
      const { csr, dense } = c.make();
      const { rows, cols } = csr;
      const batch = c.batch;
      const rng = rngFor(12, 'sparse-input', c.name);
      // More samples than the batch, taken in a shuffled order: batch column b is sample order[b].
      const nSamples = batch + 3;
      const r = randomRows(nSamples, cols, 0.3, rng);
      const order = rng.permutation(nSamples);
      if (batch > 1 && !order.subarray(0, batch).includes(1)) order[0] = 1; // the all-zero sample is in the batch
      const sb = new SparseBatch(cols).setRows(r.rowPtr, r.idx, r.val, order, 0, batch);
      const x = denseOf(r, cols, order, batch);
      const dy = randomArray(rows * batch, rng);
      const bias = randomArray(rows, rng);

      it('the batch holds exactly the chosen samples (toDense)', () => {
        expect(sb.batch).toBe(batch);
        expect(Array.from(sb.toDense())).toEqual(Array.from(x));
      });

      it('sparseInputForward: oracle within the summation bound; the dense op on the dense batch agrees', () => {
        const y = poisoned(rows * batch);
        expect(be.sparseInputForward({ w: csr, x: sb, bias, y })).toBe(y);
        const bound = matmul(abs(dense), rows, cols, abs(x), batch, abs(bias));
        expectWithinSumBound(y, matmul(dense, rows, cols, x, batch, bias), bound, cols, 'sparseInputForward');
        const yd = be.spmmForward(csr, x, batch, bias, new Float32Array(rows * batch));
        be.memory.sync([yd]);
        if (name === 'cpu') {
          // Same terms, same order, one rounding per update: equal values.
          for (let i = 0; i < y.length; i++) expect(y[i]! - yd[i]!).toBe(0);
        } else {
          // Two float32 sums of the same terms: each within the bound of the exact value.
          expectWithinSumBound(y, yd, bound.map((v) => 2 * v), cols, 'sparse vs dense forward');
        }
      });

      it('sparseInputForward without bias', () => {
        const y = poisoned(rows * batch);
        be.sparseInputForward({ w: csr, x: sb, bias: null, y });
        expectWithinSumBound(y, matmul(dense, rows, cols, x, batch, null), matmul(abs(dense), rows, cols, abs(x), batch, null), cols, 'forward, no bias');
      });

      it('sparseInputWeightGrad: at the stored connections, oracle within the summation bound', () => {
        const dw = poisoned(csr.nnz);
        expect(be.sparseInputWeightGrad({ w: csr, x: sb, dy, dw })).toBe(dw);
        be.memory.sync([dw]);
        const bound = atStored(csr, outerGrad(rows, cols, abs(dy), abs(x), batch));
        expectWithinSumBound(dw, atStored(csr, outerGrad(rows, cols, dy, x, batch)), bound, batch, 'sparseInputWeightGrad');
        const dwd = be.spmmWeightGrad(csr, dy, x, batch, new Float32Array(csr.nnz));
        be.memory.sync([dwd]);
        if (name === 'cpu') for (let k = 0; k < dw.length; k++) expect(dw[k]! - dwd[k]!).toBe(0);
        else expectWithinSumBound(dw, dwd, bound.map((v) => 2 * v), batch, 'sparse vs dense weight gradient');
      });

      it('leaves its inputs unchanged', () => {
        const before = [csr.values.slice(), dy.slice(), sb.featPtr.slice(), sb.sample.slice(), sb.values.slice()];
        be.sparseInputForward({ w: csr, x: sb, bias, y: new Float32Array(rows * batch) });
        be.sparseInputWeightGrad({ w: csr, x: sb, dy, dw: new Float32Array(csr.nnz) });
        be.memory.sync();
        expect([csr.values, dy, sb.featPtr, sb.sample, sb.values]).toEqual(before);
      });
    });
  }

  it('refuses a batch whose width is not the layer input, before writing', () => {
    const { csr } = SPARSE_CASES[0]!.make();
    const r = randomRows(3, csr.cols + 1, 0.5, rngFor(1, 'w'));
    const sb = new SparseBatch(csr.cols + 1).setRows(r.rowPtr, r.idx, r.val, Int32Array.of(0, 1, 2), 0, 3);
    const y = poisoned(csr.rows * 3);
    expect(() => be.sparseInputForward({ w: csr, x: sb, bias: null, y })).toThrow(ShapeError);
    expect(() => be.sparseInputWeightGrad({ w: csr, x: sb, dy: new Float32Array(csr.rows * 3), dw: new Float32Array(csr.nnz) })).toThrow(/features but the layer has/);
    expect(Number.isNaN(y[0])).toBe(true);
  });
});
