import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { rngFor } from '../../toolkit/src/core/rng';
import { Softmax, SRelu, UnaryActivation } from '../../toolkit/src/nn/activation';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import type { ForwardContext } from '../../toolkit/src/nn/layer';
import { mlpNetwork, type MlpOptions } from '../../toolkit/src/nn/mlp';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { expectClose, randomArray, randomSparse } from '../backend/oracle';
import { copyParams, crossEntropy64, expectGradientsMatch, forward64, mse64 } from './net-oracle';

const backend = getBackend('cpu');

/** Random biases and SReLU parameters, so that every parameter has a non-trivial gradient. */
function randomiseParams(net: Sequential, seed: number): void {
  const rng = rngFor(seed, 'params');
  for (const layer of net.layers) {
    if (layer instanceof SparseLinear || layer instanceof DenseLinear) layer.bias.values.set(randomArray(layer.nOut, rng, 0.5));
    if (layer instanceof SRelu) {
      for (let j = 0; j < layer.n; j++) {
        layer.p.tl[j] = -0.2 - 0.8 * rng.float();
        layer.p.tr[j] = 0.1 + rng.float();
        layer.p.al[j] = 2 * rng.float() - 1;
        layer.p.ar[j] = 2 * rng.float();
      }
    }
  }
}

/**
 * Runs the library's forward and backward on one batch and checks the output against the Float64 oracle
 * and every parameter gradient against central differences of the oracle's loss.
 */
function checkNetwork(net: Sequential, opts: { loss: 'cross-entropy' | 'mse'; batch: number; seed: number; ctx?: ForwardContext }): void {
  const { batch, seed } = opts;
  const ctx = opts.ctx ?? { training: false, seed: 0, step: 0 };
  randomiseParams(net, seed);
  const rng = rngFor(seed, 'batch');
  const x = randomArray(net.nIn * batch, rng, 1.5);
  const labels = Int32Array.from({ length: batch }, () => rng.int(net.nOut));
  const n = net.nOut;

  const out = net.forward(x, batch, ctx);
  expectClose(out, forward64(net, x, batch, copyParams(net), ctx), 1e-5, 'network output');
  const grad = new Float32Array(n * batch);
  const pred = new Int32Array(batch);
  if (opts.loss === 'cross-entropy') backend.softmaxCrossEntropy(out, labels, n, batch, grad, pred);
  else backend.mseOneHot(out, labels, n, batch, grad, pred);
  net.backward(grad, batch);

  const loss64 = opts.loss === 'cross-entropy' ? crossEntropy64 : mse64;
  expectGradientsMatch(net, (v) => loss64(forward64(net, x, batch, v, ctx), labels, n, batch), 1e-5);
}

function mlpOf(sizes: number[], options: MlpOptions): Sequential {
  return mlpNetwork(sizes, { backend, ...options });
}

describe('whole-network gradients vs central differences of a Float64 oracle', () => {
  it('sparse tanh MLP 6-5-4-3, cross-entropy, batch 4', () => {
    checkNetwork(mlpOf([6, 5, 4, 3], { activation: 'tanh', sparsity: { kind: 'density', density: 0.5 }, seed: 1 }), { loss: 'cross-entropy', batch: 4, seed: 1 });
  });

  it('identity activations (a linear network), batch 1', () => {
    checkNetwork(mlpOf([5, 7, 3], { activation: 'identity', sparsity: { kind: 'density', density: 0.4 }, seed: 2 }), { loss: 'cross-entropy', batch: 1, seed: 2 });
  });

  it('hand-built: sparse -> identity -> dense -> tanh -> dense-by-p sparse (CsrMatrix.full)', () => {
    const a = randomSparse(6, 4, 0.5, rngFor(3, 'a'), [2]).csr; // 4 -> 6 with an empty row
    const full = randomSparse(3, 5, 1, rngFor(3, 'c')).csr; // 5 -> 3, every position stored
    const net = new Sequential(
      [
        new SparseLinear(a, 'l0'),
        new UnaryActivation(6, 'identity'),
        new DenseLinear(6, 5, randomArray(30, rngFor(3, 'b')), 'l1'),
        new UnaryActivation(5, 'tanh'),
        new SparseLinear(full, 'l2'),
      ],
      backend,
    );
    checkNetwork(net, { loss: 'cross-entropy', batch: 3, seed: 3 });
  });

  it('SReLU MLP: weights, biases and all four SReLU parameters', () => {
    checkNetwork(mlpOf([5, 6, 6, 3], { activation: 'srelu', sparsity: { kind: 'density', density: 0.6 }, seed: 4 }), { loss: 'cross-entropy', batch: 5, seed: 4 });
  });

  it('All-ReLU with dropout 0.3 in training mode (the mask is fixed by seed, step and layer)', () => {
    const net = mlpOf([6, 8, 8, 4], { activation: 'all-relu', dropout: 0.3, sparsity: { kind: 'erdos-renyi', eps: 2 }, seed: 5 });
    checkNetwork(net, { loss: 'cross-entropy', batch: 4, seed: 5, ctx: { training: true, seed: 9, step: 17 } });
  });

  it('sigmoid dense MLP with a softmax layer, MSE loss', () => {
    const base = mlpOf([4, 5, 3], { activation: 'sigmoid', sparsity: { kind: 'dense' }, seed: 6 });
    checkNetwork(new Sequential([...base.layers, new Softmax(3)], backend), { loss: 'mse', batch: 3, seed: 6 });
  });

  it('leaky-relu sparse MLP, MSE loss on raw outputs', () => {
    checkNetwork(mlpOf([5, 6, 2], { activation: { name: 'leaky-relu', alpha: 0.1 }, sparsity: { kind: 'density', density: 0.7 }, seed: 7 }), {
      loss: 'mse', batch: 2, seed: 7,
    });
  });

  it('the gradient is of the mean loss: doubling the batch by repetition leaves it unchanged', () => {
    const net = mlpOf([4, 5, 3], { activation: 'tanh', sparsity: { kind: 'density', density: 0.5 }, seed: 8 });
    randomiseParams(net, 8);
    const x1 = randomArray(4 * 2, rngFor(8, 'x'));
    const x2 = new Float32Array(4 * 4);
    for (let f = 0; f < 4; f++) for (let b = 0; b < 4; b++) x2[f * 4 + b] = x1[f * 2 + (b % 2)]!;
    const grads = (x: Float32Array, batch: number, labels: Int32Array) => {
      const out = net.forward(x, batch, { training: false, seed: 0, step: 0 });
      const g = new Float32Array(3 * batch);
      backend.softmaxCrossEntropy(out, labels, 3, batch, g, new Int32Array(batch));
      net.backward(g, batch);
      return net.params().flatMap((p) => Array.from(p.grad));
    };
    const g1 = grads(x1, 2, Int32Array.of(0, 2));
    const g2 = grads(x2, 4, Int32Array.of(0, 2, 0, 2));
    expectClose(g2, g1, 1e-5, 'mean-loss gradient');
    expect(g1.some((v) => v !== 0)).toBe(true);
  });
});
