import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { DENSE_CASES } from './cases';
import { describeBackends } from './describe-backends';
import { expectClose, matmul, matmulTransposed, outerGrad, poisoned, randomArray, rowSums } from './oracle';

describeBackends('dense products vs dense Float64 oracle', (be, tol) => {
  for (const { nIn, nOut, batch } of DENSE_CASES) {
    describe(`${nIn} -> ${nOut}, batch ${batch}`, () => {
      const rng = rngFor(21, 'dense', nIn, nOut, batch);
      const w = randomArray(nOut * nIn, rng);
      const x = randomArray(nIn * batch, rng);
      const dy = randomArray(nOut * batch, rng);
      const bias = randomArray(nOut, rng);

      it('denseForward without and with bias', () => {
        const y = poisoned(nOut * batch);
        expect(be.denseForward(w, nIn, nOut, x, batch, null, y)).toBe(y);
        expectClose(y, matmul(w, nOut, nIn, x, batch, null), tol.rel, 'denseForward');
        const yb = poisoned(nOut * batch);
        be.denseForward(w, nIn, nOut, x, batch, bias, yb);
        expectClose(yb, matmul(w, nOut, nIn, x, batch, bias), tol.rel, 'denseForward+bias');
      });

      it('denseInputGrad', () => {
        const dx = poisoned(nIn * batch);
        expect(be.denseInputGrad(w, nIn, nOut, dy, batch, dx)).toBe(dx);
        expectClose(dx, matmulTransposed(w, nOut, nIn, dy, batch), tol.rel, 'denseInputGrad');
      });

      it('denseWeightGrad', () => {
        const dw = poisoned(nOut * nIn);
        expect(be.denseWeightGrad(nIn, nOut, dy, x, batch, dw)).toBe(dw);
        expectClose(dw, outerGrad(nOut, nIn, dy, x, batch), tol.rel, 'denseWeightGrad');
      });

      it('biasGrad', () => {
        const db = poisoned(nOut);
        expect(be.biasGrad(dy, nOut, batch, db)).toBe(db);
        expectClose(db, rowSums(dy, nOut, batch), tol.rel, 'biasGrad');
      });
    });
  }
});
