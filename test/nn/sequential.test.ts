import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { getBackend } from '../../toolkit/src/backend/registry';
import { InvalidArgumentError, ShapeError, UnknownNameError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { Softmax, SRelu, UnaryActivation } from '../../toolkit/src/nn/activation';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import { Dropout } from '../../toolkit/src/nn/dropout';
import { initWeights, WEIGHT_INITS, type WeightInit } from '../../toolkit/src/nn/init';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';

const backend = getBackend('cpu');

describe('Sequential', () => {
  it('checks that layer sizes chain, naming both layers', () => {
    expect(() => new Sequential([], backend)).toThrow(ShapeError);
    expect(() => new Sequential([new UnaryActivation(3, 'relu'), new Softmax(4)], backend)).toThrow(
      'layer 0 (relu) outputs 3 features but layer 1 (softmax) expects 4',
    );
  });

  it('lists parameters in layer order, and the linear and sparse layers', () => {
    const net = new Sequential(
      [new SparseLinear(CsrMatrix.fromArrays(2, 3, [0, 1, 2], [0, 2]), 'a'), new SRelu(2, rngFor(0), 's'), new DenseLinear(2, 4, new Float32Array(8), 'b')],
      backend,
    );
    expect(net.params().map((p) => p.name)).toEqual(['a.weight', 'a.bias', 's.tl', 's.al', 's.tr', 's.ar', 'b.weight', 'b.bias']);
    expect(net.sparseLayers().length).toBe(1);
    expect(net.linearLayers().map((l) => l.kind)).toEqual(['sparse-linear', 'dense-linear']);
    expect(net.connectionsPerLayer()).toEqual([2, 8]);
    expect(net.connectionCount()).toBe(10);
    expect([net.nIn, net.nOut]).toEqual([3, 4]);
    expect(net.summary().map((s) => s.kind)).toEqual(['sparse-linear', 'srelu', 'dense-linear']);
  });

  it('switches every layer to another backend', () => {
    const net = mlpNetwork([3, 4, 2], { seed: 1 });
    const other = { ...cpuBackend(), name: 'other' };
    net.setBackend(other);
    expect(net.backend).toBe(other);
    expect(net.forward(new Float32Array(6), 2, { training: false, seed: 0, step: 0 }).length).toBe(4);
  });
});

describe('mlpNetwork', () => {
  it('builds linear layers with an activation (and dropout) after each hidden one, logits out', () => {
    const net = mlpNetwork([10, 8, 6, 3], { activation: 'srelu', dropout: 0.3, sparsity: { kind: 'density', density: 0.5 }, seed: 1 });
    expect(net.layers.map((l) => l.kind)).toEqual(['sparse-linear', 'srelu', 'dropout', 'sparse-linear', 'srelu', 'dropout', 'sparse-linear']);
    expect(net.connectionsPerLayer()).toEqual([40, 24, 9]);
    expect((net.layers[2] as Dropout).index).toBe(0);
    expect((net.layers[5] as Dropout).index).toBe(1);
  });

  it('SET default: Erdos-Renyi eps 20; layers with p >= 1 are full and not evolvable (784-1000-10)', () => {
    const net = mlpNetwork([784, 1000, 10], { seed: 1 });
    const [hidden, out] = net.sparseLayers();
    expect(Math.abs(hidden!.connections - 20 * 1784)).toBeLessThan(5 * Math.sqrt(20 * 1784));
    expect(hidden!.evolvable).toBe(true);
    expect(out!.connections).toBe(10000);
    expect(out!.evolvable).toBe(false);
  });

  it('the sparse path holds exactly connections + biases parameters', () => {
    const net = mlpNetwork([784, 300, 100, 10], { sparsity: { kind: 'erdos-renyi', eps: 5 }, seed: 2 });
    const total = net.params().reduce((s, p) => s + p.values.length, 0);
    expect(total).toBe(net.connectionCount() + 300 + 100 + 10);
    expect(net.connectionCount()).toBeLessThan(0.05 * (784 * 300 + 300 * 100 + 100 * 10) + 1000);
  });

  it('dense and ERK sparsity', () => {
    const dense = mlpNetwork([5, 4, 3], { sparsity: { kind: 'dense' }, seed: 1 });
    expect(dense.layers.filter((l) => l instanceof DenseLinear).length).toBe(2);
    expect(dense.connectionsPerLayer()).toEqual([20, 12]);
    const erk = mlpNetwork([100, 100, 10], { sparsity: { kind: 'erk', density: 0.1 }, seed: 1 });
    const c = erk.connectionsPerLayer();
    expect(Math.abs(c[0]! + c[1]! - 0.1 * 11000)).toBeLessThanOrEqual(2);
  });

  it('is a function of its seed', () => {
    const a = mlpNetwork([20, 15, 4], { activation: 'srelu', seed: 5, sparsity: { kind: 'erdos-renyi', eps: 3 } });
    const b = mlpNetwork([20, 15, 4], { activation: 'srelu', seed: 5, sparsity: { kind: 'erdos-renyi', eps: 3 } });
    const c = mlpNetwork([20, 15, 4], { activation: 'srelu', seed: 6, sparsity: { kind: 'erdos-renyi', eps: 3 } });
    const flat = (n: Sequential) => n.params().flatMap((p) => Array.from(p.values));
    expect(flat(b)).toEqual(flat(a));
    expect(flat(c)).not.toEqual(flat(a));
    expect(Array.from(b.sparseLayers()[0]!.weights.colIdx)).toEqual(Array.from(a.sparseLayers()[0]!.weights.colIdx));
  });

  it('rejects bad sizes, activations, initialisers, dropout and sparsity', () => {
    expect(() => mlpNetwork([5])).toThrow(InvalidArgumentError);
    expect(() => mlpNetwork([5, 0, 2])).toThrow(/mlp size 1/);
    expect(() => mlpNetwork([5, 2], { activation: 'swish' as 'relu' })).toThrow(UnknownNameError);
    expect(() => mlpNetwork([5, 2], { init: 'lecun' as WeightInit })).toThrow(/known weight initialisers are: he-uniform/);
    expect(() => mlpNetwork([5, 2], { dropout: 1 })).toThrow(/dropout must be in \[0, 1\)/);
    expect(() => mlpNetwork([5, 2], { sparsity: { kind: 'banded' } as never })).toThrow(/unknown sparsity kind "banded"/);
    expect(() => mlpNetwork([5, 2], { backend: 'tpu' })).toThrow(UnknownNameError);
  });
});

describe('initWeights', () => {
  const n = 40000;
  const sd = (a: Float32Array) => {
    let s = 0, s2 = 0;
    for (const v of a) (s += v, s2 += v * v);
    return Math.sqrt(s2 / a.length - (s / a.length) ** 2);
  };
  it('each initialiser has its documented scale', () => {
    const expected: Record<WeightInit, number> = {
      'he-uniform': Math.sqrt(6 / 50) / Math.sqrt(3),
      'he-normal': Math.sqrt(2 / 50),
      'xavier-uniform': Math.sqrt(6 / 80) / Math.sqrt(3),
      normal: 0.1,
    };
    for (const init of WEIGHT_INITS) {
      const a = initWeights(new Float32Array(n), init, 50, 30, rngFor(1, init));
      expect(sd(a), init).toBeCloseTo(expected[init], 2);
    }
    expect(Math.max(...initWeights(new Float32Array(n), 'he-uniform', 50, 30, rngFor(2)).map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / 50));
    expect(sd(initWeights(new Float32Array(n), 'normal', 50, 30, rngFor(3), 0.5))).toBeCloseTo(0.5, 1);
    expect(() => initWeights(new Float32Array(3), 'ones' as WeightInit, 1, 1, rngFor(1))).toThrow(UnknownNameError);
  });
});
