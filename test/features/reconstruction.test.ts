// Issue 19, point 4: the reconstruction loss (target = the clean input) and the denoising autoencoder's input noise.
import { describe, expect, it } from 'vitest';
import { ConfigError, ShapeError } from '../../toolkit/src/core/errors';
import { DenseDataset } from '../../toolkit/src/data/dataset';
import { addGaussianNoise, reconstructionLoss } from '../../toolkit/src/nn/reconstruction';
import { mlp } from '../../toolkit/src/train/model';

describe('reconstruction loss', () => {
  it('is the per-feature mean squared error with the gradient of the batch mean (hand-computed)', () => {
    // n = 2 features, batch = 2, feature-major: out = [[1, 2], [0, 0]], target = [[0, 2], [1, -1]]
    const grad = new Float32Array(4), pred = new Int32Array(2);
    const l = reconstructionLoss(Float32Array.from([1, 2, 0, 0]), Float32Array.from([0, 2, 1, -1]), 2, 2, grad, pred);
    // squared errors 1, 0, 1, 1: per sample (1 + 1) / 2 and (0 + 1) / 2, summed = 1.5
    expect(l).toBeCloseTo(1.5, 6);
    expect(Array.from(grad)).toEqual([0.5, 0, -0.5, 0.5]);
    expect(Array.from(pred)).toEqual([-1, -1]);
  });

  it('noise is reproducible per (seed, step) and leaves the input untouched', () => {
    const x = Float32Array.from([1, 2, 3]);
    const a = addGaussianNoise(x, 0.5, 1, 7, new Float32Array(3)), b = addGaussianNoise(x, 0.5, 1, 7, new Float32Array(3));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(x));
    expect(Array.from(x)).toEqual([1, 2, 3]);
  });

  it('a sparse denoising autoencoder learns to reconstruct correlated inputs', async () => {
    // 8 features, all copies of one latent value: reconstructable from each other.
    const n = 400, f = 8, x = new Float32Array(n * f);
    for (let s = 0; s < n; s++) { const z = Math.sin(s * 1.7); for (let j = 0; j < f; j++) x[s * f + j] = z; }
    const data = new DenseDataset('copies', x, new Int32Array(n), f, 1);
    const model = mlp([f, 16, f], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'sigmoid', seed: 1 });
    model.compile({ loss: 'reconstruction', inputNoise: 0.1, optimizer: { name: 'sgd', lr: 1, momentum: 0.9, weightDecay: 0 } });
    const before = model.evaluate(data).loss;
    await model.fit(data, { epochs: 15, batchSize: 20, verbose: 0 });
    expect(model.evaluate(data).loss).toBeLessThan(before / 3);
  });

  it('refuses an output narrower than the input and noise without the reconstruction loss', () => {
    const model = mlp([4, 3, 2], { seed: 1 });
    model.compile({ loss: 'reconstruction' });
    expect(() => model.evaluate(new DenseDataset('d', new Float32Array(8), new Int32Array(2), 4, 2))).toThrow(ShapeError);
    expect(() => mlp([4, 3, 4]).compile({ loss: 'cross-entropy', inputNoise: 0.2 })).toThrow(ConfigError);
    expect(() => mlp([4, 3, 4]).compile({ loss: 'reconstruction', inputNoise: -1 })).toThrow(ConfigError);
  });
});
