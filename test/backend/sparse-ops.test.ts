import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { SPARSE_CASES } from './cases';
import { describeBackends } from './describe-backends';
import { atStored, expectClose, matmul, matmulTransposed, outerGrad, poisoned, randomArray } from './oracle';

describeBackends('sparse products vs dense Float64 oracle', (be, tol) => {
  for (const c of SPARSE_CASES) {
    describe(c.name, () => {
      const { csr, dense } = c.make();
      const { rows, cols } = csr;
      const batch = c.batch;
      const rng = rngFor(11, 'data', c.name);
      const x = randomArray(cols * batch, rng);
      const dy = randomArray(rows * batch, rng);
      const bias = randomArray(rows, rng);

      it('the case is a valid CSR matrix', () => {
        expect(() => csr.validate()).not.toThrow();
      });

      it('spmmForward without bias', () => {
        const y = poisoned(rows * batch);
        expect(be.spmmForward(csr, x, batch, null, y)).toBe(y);
        expectClose(y, matmul(dense, rows, cols, x, batch, null), tol.rel, 'spmmForward');
      });

      it('spmmForward with bias', () => {
        const y = poisoned(rows * batch);
        be.spmmForward(csr, x, batch, bias, y);
        expectClose(y, matmul(dense, rows, cols, x, batch, bias), tol.rel, 'spmmForward+bias');
        // An empty row outputs exactly its bias.
        for (let r = 0; r < rows; r++) {
          if (csr.rowPtr[r] === csr.rowPtr[r + 1]) for (let b = 0; b < batch; b++) expect(y[r * batch + b]).toBe(bias[r]);
        }
      });

      it('spmmInputGrad', () => {
        const dx = poisoned(cols * batch);
        expect(be.spmmInputGrad(csr, dy, batch, dx)).toBe(dx);
        expectClose(dx, matmulTransposed(dense, rows, cols, dy, batch), tol.rel, 'spmmInputGrad');
      });

      it('spmmWeightGrad, at the stored connections only', () => {
        const dw = poisoned(csr.nnz);
        expect(be.spmmWeightGrad(csr, dy, x, batch, dw)).toBe(dw);
        expect(dw.length).toBe(csr.nnz);
        expectClose(dw, atStored(csr, outerGrad(rows, cols, dy, x, batch)), tol.rel, 'spmmWeightGrad');
      });

      it('leaves its inputs unchanged', () => {
        const before = [csr.values.slice(), x.slice(), dy.slice(), csr.colIdx.slice(), csr.rowPtr.slice()];
        be.spmmForward(csr, x, batch, bias, new Float32Array(rows * batch));
        be.spmmInputGrad(csr, dy, batch, new Float32Array(cols * batch));
        be.spmmWeightGrad(csr, dy, x, batch, new Float32Array(csr.nnz));
        expect([csr.values, x, dy, csr.colIdx, csr.rowPtr]).toEqual(before);
      });
    });
  }
});
