import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { describeBackends } from './describe-backends';
import { argmaxColumn, expectClose, poisoned, randomArray } from './oracle';

const CASES = [
  { n: 2, batch: 1 },
  { n: 3, batch: 5 },
  { n: 10, batch: 17 },
  { n: 7, batch: 64 },
] as const;

function labelsFor(n: number, batch: number, seed: number): Int32Array {
  const rng = rngFor(seed, 'labels');
  return Int32Array.from({ length: batch }, () => rng.int(n));
}

describeBackends('losses vs Float64 oracle', (be, tol) => {
  for (const { n, batch } of CASES) {
    describe(`${n} classes, batch ${batch}`, () => {
      const rng = rngFor(41, 'loss', n, batch);
      const logits = randomArray(n * batch, rng, 5);
      const labels = labelsFor(n, batch, n * 1000 + batch);

      it('softmaxCrossEntropy: sum of losses, gradient of the mean, argmax', () => {
        let eLoss = 0;
        const eGrad = new Float64Array(n * batch);
        for (let b = 0; b < batch; b++) {
          let z = 0;
          for (let f = 0; f < n; f++) z += Math.exp(logits[f * batch + b]!);
          eLoss += Math.log(z) - logits[labels[b]! * batch + b]!;
          for (let f = 0; f < n; f++) eGrad[f * batch + b] = (Math.exp(logits[f * batch + b]!) / z - (f === labels[b] ? 1 : 0)) / batch;
        }
        const grad = poisoned(n * batch);
        const pred = new Int32Array(batch).fill(-7);
        const loss = be.softmaxCrossEntropy(logits, labels, n, batch, grad, pred);
        expect(Math.abs(loss - eLoss) / eLoss).toBeLessThan(tol.rel);
        expectClose(grad, eGrad, tol.rel, 'cross-entropy gradient');
        expect(Array.from(pred)).toEqual(Array.from({ length: batch }, (_, b) => argmaxColumn(logits, n, batch, b)));
      });

      it('mseOneHot: sum over samples of mean squared error, gradient of the mean, argmax', () => {
        const out = randomArray(n * batch, rng, 1.5);
        let eLoss = 0;
        const eGrad = new Float64Array(n * batch);
        for (let b = 0; b < batch; b++) {
          for (let f = 0; f < n; f++) {
            const d = out[f * batch + b]! - (f === labels[b] ? 1 : 0);
            eLoss += (d * d) / n;
            eGrad[f * batch + b] = (2 * d) / (n * batch);
          }
        }
        const grad = poisoned(n * batch);
        const pred = new Int32Array(batch).fill(-7);
        const loss = be.mseOneHot(out, labels, n, batch, grad, pred);
        expect(Math.abs(loss - eLoss) / eLoss).toBeLessThan(tol.rel);
        expectClose(grad, eGrad, tol.rel, 'mse gradient');
        expect(Array.from(pred)).toEqual(Array.from({ length: batch }, (_, b) => argmaxColumn(out, n, batch, b)));
      });
    });
  }

  it('softmaxCrossEntropy stays finite and exact for logits in the hundreds', () => {
    const n = 3, batch = 2;
    const logits = Float32Array.from([500, -400, 490, 300, -500, 310]); // [f * batch + b]
    const labels = Int32Array.from([1, 0]);
    const grad = new Float32Array(n * batch);
    const loss = be.softmaxCrossEntropy(logits, labels, n, batch, grad, new Int32Array(batch));
    // Sample 0: logits (500, 490, -500), label 1 -> loss = log(1 + e^-10 + e^-1000) + 10.
    // Sample 1: logits (-400, 300, 310), label 0 -> loss = 710 + log(1 + e^-10 + e^-710).
    const expected = 10 + Math.log1p(Math.exp(-10)) + 710 + Math.log1p(Math.exp(-10));
    expect(Math.abs(loss - expected) / expected).toBeLessThan(tol.rel);
    expect(Array.from(grad).every(Number.isFinite)).toBe(true);
  });

  it('a perfect prediction has (almost) zero loss and zero gradient', () => {
    const labels = Int32Array.from([2]);
    const grad = new Float32Array(3);
    const loss = be.mseOneHot(Float32Array.from([0, 0, 1]), labels, 3, 1, grad, new Int32Array(1));
    expect(loss).toBe(0);
    expect(Array.from(grad)).toEqual([0, 0, 0]);
  });
});
