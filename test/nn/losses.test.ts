import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { ShapeError, UnknownNameError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { LOSSES, lossFor } from '../../toolkit/src/nn/losses';
import { reconstructionLoss } from '../../toolkit/src/nn/reconstruction';
import { SparseBatch } from '../../toolkit/src/sparse/sparse-batch';
import { LOSSES as MODEL_LOSSES } from '../../toolkit/src/train/model';

const n = 4, batch = 3;
const rng = rngFor(7, 'loss');
const output = Float32Array.from({ length: n * batch }, () => rng.normal());
const input = Float32Array.from({ length: n * batch }, () => rng.normal());
const labels = Int32Array.of(0, 3, 1);

describe('the loss registry (nn/losses.ts)', () => {
  it('has cross-entropy, mse and reconstruction, each under its own name; train/model re-exports the names', () => {
    expect(LOSSES).toEqual(['cross-entropy', 'mse', 'reconstruction']);
    for (const name of LOSSES) expect(lossFor(name).name).toBe(name);
    expect(MODEL_LOSSES).toBe(LOSSES);
    expect([lossFor('cross-entropy').logits, lossFor('mse').logits, lossFor('reconstruction').logits]).toEqual([true, false, false]);
    expect(LOSSES.map((l) => lossFor(l).target)).toEqual(['labels', 'labels', 'input']);
  });

  it('an unknown name is an UnknownNameError listing the known ones (also for names of Object.prototype)', () => {
    expect(() => lossFor('hinge')).toThrow(UnknownNameError);
    expect(() => lossFor('hinge')).toThrow('unknown loss "hinge"; known losss are: cross-entropy, mse, reconstruction');
    expect(() => lossFor('toString')).toThrow(UnknownNameError);
  });

  it('each computes loss, gradient and predictions exactly as its op does', () => {
    const be = cpuBackend();
    const req = () => ({ output, labels, input, n, batch, grad: new Float32Array(n * batch), pred: new Int32Array(batch) });
    const ops = {
      'cross-entropy': (g: Float32Array, p: Int32Array) => be.softmaxCrossEntropy(output, labels, n, batch, g, p),
      mse: (g: Float32Array, p: Int32Array) => be.mseOneHot(output, labels, n, batch, g, p),
      reconstruction: (g: Float32Array, p: Int32Array) => reconstructionLoss(output, input, n, batch, g, p),
    } as const;
    for (const name of LOSSES) {
      const r = req();
      const want = { grad: new Float32Array(n * batch), pred: new Int32Array(batch) };
      expect(lossFor(name).compute(be, r)).toBe(ops[name](want.grad, want.pred));
      expect(r.grad).toEqual(want.grad);
      expect(r.pred).toEqual(want.pred);
    }
  });

  it('reconstruction refuses a sparse input batch: its target must be dense', () => {
    const r = { output, labels, input: new SparseBatch(n), n, batch, grad: new Float32Array(n * batch), pred: new Int32Array(batch) };
    expect(() => lossFor('reconstruction').compute(cpuBackend(), r)).toThrow(ShapeError);
  });
});
