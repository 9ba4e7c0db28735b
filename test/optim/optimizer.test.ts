import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { ConfigError, InternalError, UnknownNameError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { policyFrom } from '../../toolkit/src/evolution/registry';
import type { EvolutionContext } from '../../toolkit/src/evolution/types';
import type { Param } from '../../toolkit/src/nn/layer';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import type { Sequential } from '../../toolkit/src/nn/sequential';
import { createOptimizer, type Optimizer, type OptimizerSpec } from '../../toolkit/src/optim/optimizer';
import { evolveNetwork } from '../../toolkit/src/train/evolution-step';

const backend = getBackend('cpu');

function param(values: number[], decay = true): Param {
  return { name: 'p', values: Float32Array.from(values), grad: new Float32Array(values.length), decay };
}

describe('createOptimizer', () => {
  it('fills the documented defaults', () => {
    expect(createOptimizer({ name: 'sgd' }).spec).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false, weightDecayMode: 'l2' });
    expect(createOptimizer({ name: 'adam' }).spec).toEqual({ name: 'adam', lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  });

  it('rejects bad values with ConfigError and unknown names with the list of optimizers', () => {
    const bad: OptimizerSpec[] = [
      { name: 'sgd', lr: 0 }, { name: 'sgd', lr: NaN }, { name: 'sgd', momentum: 1 }, { name: 'sgd', weightDecay: -1 },
      { name: 'adam', beta1: 1 }, { name: 'adam', beta2: -0.1 }, { name: 'adam', epsilon: 0 },
    ];
    for (const spec of bad) expect(() => createOptimizer(spec), JSON.stringify(spec)).toThrow(ConfigError);
    expect(() => createOptimizer({ name: 'sgd', lr: -1 })).toThrow('optimizer.lr must be a positive finite number, got -1');
    expect(() => createOptimizer({ name: 'rmsprop' } as unknown as OptimizerSpec)).toThrow(UnknownNameError);
    expect(() => createOptimizer({ name: 'rmsprop' } as unknown as OptimizerSpec)).toThrow('known optimizers are: sgd, adam');
  });

  it('applies weight decay only to parameters that ask for it, and counts steps', () => {
    const opt = createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0.5 });
    const w = param([1, -2]), b = param([1, -2], false);
    opt.step([w, b], backend);
    expect(Array.from(w.values)).toEqual(Array.from(Float32Array.of(0.95, -1.9)));
    expect(Array.from(b.values)).toEqual([1, -2]);
    expect(opt.steps).toBe(1);
  });

  it('Adam bias correction uses the optimizer step count', () => {
    const opt = createOptimizer({ name: 'adam', lr: 0.01 });
    const w = param([0]);
    w.grad[0] = 1;
    opt.step([w], backend);
    expect(w.values[0]).toBeCloseTo(-0.01, 6);
    opt.step([w], backend);
    expect(w.values[0]).toBeCloseTo(-0.02, 5);
    expect(opt.steps).toBe(2);
  });
});

describe('Optimizer.remap by hand', () => {
  it('map[new] = old index or -1: state [1, 2, 3, 4] with map [3, -1, 0] becomes [4, 0, 1]', () => {
    const opt = createOptimizer({ name: 'adam' });
    const p = param([0, 0, 0, 0]);
    const [m, v] = opt.stateOf(p);
    m!.set([1, 2, 3, 4]);
    v!.set([10, 20, 30, 40]);
    p.values = new Float32Array(3);
    p.grad = new Float32Array(3);
    opt.remap(p, Int32Array.of(3, -1, 0));
    const [m2, v2] = opt.stateOf(p);
    expect(Array.from(m2!)).toEqual([4, 0, 1]);
    expect(Array.from(v2!)).toEqual([40, 0, 10]);
  });

  it('remap of a parameter without state is a no-op; a size change without remap is an internal error', () => {
    const opt = createOptimizer({ name: 'sgd' });
    const p = param([1, 2]);
    opt.remap(p, Int32Array.of(-1, 0, 1));
    expect(opt.stateOf(p)[0]!.length).toBe(2);
    p.values = new Float32Array(3);
    expect(() => opt.stateOf(p)).toThrow(InternalError);
    expect(() => opt.stateOf(p)).toThrow(/remap was not called/);
  });
});

/** Trains a few batches so that every state entry is non-zero, then evolves the network once. */
function trainThenEvolve(spec: OptimizerSpec, seed: number) {
  const net = mlpNetwork([12, 16, 10, 3], { sparsity: { kind: 'density', density: 0.35 }, activation: 'tanh', seed, backend });
  const opt = createOptimizer(spec);
  const rng = rngFor(seed, 'data');
  const batch = 8;
  for (let s = 0; s < 5; s++) {
    const x = Float32Array.from({ length: 12 * batch }, () => rng.normal());
    const labels = Int32Array.from({ length: batch }, () => rng.int(3));
    const out = net.forward(x, batch, { training: true, seed, step: s });
    const grad = new Float32Array(3 * batch);
    backend.softmaxCrossEntropy(out, labels, 3, batch, grad, new Int32Array(batch));
    net.backward(grad, batch);
    opt.step(net.params(), backend);
  }
  const layers = net.sparseLayers();
  const before = layers.map((l) => ({
    positions: positions(l.weights),
    state: opt.stateOf(l.weight).map((a) => a.slice()),
    nnz: l.connections,
  }));
  const ctx: EvolutionContext = { event: 'epoch-end', epoch: 0, epochs: 3, step: 5, totalSteps: 15 };
  const reports = evolveNetwork(net, opt, policyFrom('set'), ctx, seed);
  return { net, opt, layers, before, reports };
}

function positions(w: { rows: number; cols: number; rowPtr: Int32Array; colIdx: Int32Array }): number[] {
  const out: number[] = [];
  for (let j = 0; j < w.rows; j++) for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) out.push(j * w.cols + w.colIdx[k]!);
  return out;
}

function checkRemap(net: Sequential, opt: Optimizer, result: ReturnType<typeof trainThenEvolve>): void {
  const { layers, before, reports } = result;
  expect(reports.length).toBe(layers.length);
  let keptNonZero = 0, grownTotal = 0;
  layers.forEach((layer, l) => {
    const report = reports.find((r) => r.layer === l)!;
    expect(report.dropped).toBeGreaterThan(0);
    const grown = new Set(report.grownPositions);
    const oldIndex = new Map(before[l]!.positions.map((p, k) => [p, k]));
    const state = opt.stateOf(layer.weight);
    expect(layer.connections).toBe(before[l]!.nnz);
    positions(layer.weights).forEach((p, k) => {
      for (let s = 0; s < state.length; s++) {
        if (grown.has(p)) {
          expect(state[s]![k], `grown (${p}) state ${s}`).toBe(0);
        } else {
          const o = oldIndex.get(p);
          expect(o, `kept position ${p} existed before`).toBeDefined();
          expect(state[s]![k], `kept (${p}) state ${s}`).toBe(before[l]!.state[s]![o!]);
          if (state[s]![k] !== 0) keptNonZero++;
        }
      }
    });
    grownTotal += grown.size;
    expect(state.every((a) => a.length === layer.connections)).toBe(true);
  });
  expect(keptNonZero).toBeGreaterThan(50);
  expect(grownTotal).toBeGreaterThan(10);
  // Training continues after the remap.
  const x = new Float32Array(12 * 2).fill(0.5);
  const out = net.forward(x, 2, { training: true, seed: 0, step: 6 });
  const grad = new Float32Array(6);
  backend.softmaxCrossEntropy(out, Int32Array.of(0, 1), 3, 2, grad, new Int32Array(2));
  net.backward(grad, 2);
  expect(() => opt.step(net.params(), backend)).not.toThrow();
}

describe('optimizer state across a real evolution (train/evolution-step)', () => {
  it('SGD: kept connections keep their velocity exactly; grown ones start at zero', () => {
    const r = trainThenEvolve({ name: 'sgd', lr: 0.05, momentum: 0.9 }, 1);
    checkRemap(r.net, r.opt, r);
  });

  it('Adam: kept connections keep m and v exactly; grown ones start at zero', () => {
    const r = trainThenEvolve({ name: 'adam', lr: 0.01 }, 2);
    checkRemap(r.net, r.opt, r);
  });

  it('biases keep their (non-zero) state through an evolution', () => {
    const r = trainThenEvolve({ name: 'sgd' }, 3);
    for (const layer of r.layers) expect(r.opt.stateOf(layer.bias)[0]!.some((v) => v !== 0)).toBe(true);
  });
});

describe('SGD weight decay modes', () => {
  const f = Math.fround;
  const make = (role: Param['role'], decay: boolean): Param => ({ name: `p.${role ?? 'other'}`, values: Float32Array.of(0.5, -2, 0), grad: Float32Array.of(0.1, 0.3, -0.2), decay, ...(role ? { role } : {}) });

  // The step computes in float64 like the CPU reference (backend/cpu/optim.ts) and rounds what it stores.
  it('l2 (default): g = grad + wd * w on weights only, then v = m v + g, w = w - lr v', () => {
    const opt = createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01 });
    const w = make('weight', true), b = make('bias', false);
    const grads = [0.1, 0.3, -0.2].map(f);
    opt.step([w, b], backend);
    expect(Array.from(w.values)).toEqual([0.5, -2, 0].map((x, i) => f(x - 0.1 * (grads[i]! + 0.01 * x))));
    expect(Array.from(b.values)).toEqual([0.5, -2, 0].map((x, i) => f(x - 0.1 * grads[i]!)));
  });

  it('reference: v = m v + grad, p = p - lr v - wd p, on the weights AND biases of linear layers, not on other arrays', () => {
    const opt = createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01, weightDecayMode: 'reference' });
    const w = make('weight', true), b = make('bias', false), other = make(undefined, false);
    const grads = [0.1, 0.3, -0.2].map(f);
    for (let step = 1; step <= 2; step++) {
      const before = [w, b, other].map((p) => Array.from(p.values));
      const vel = [w, b, other].map((p) => Array.from(opt.stateOf(p)[0]!));
      opt.step([w, b, other], backend);
      [w, b, other].forEach((p, a) => {
        const expected = before[a]!.map((x, i) => {
          const decayed = p.role ? f(x - 0.01 * x) : x;
          return f(decayed - 0.1 * (0.9 * vel[a]![i]! + grads[i]!));
        });
        expect(Array.from(p.values), `${p.name} step ${step}`).toEqual(expected);
      });
    }
    expect(opt.spec).toMatchObject({ weightDecayMode: 'reference' });
  });

  it('an unknown mode is an error listing the known ones', () => {
    expect(() => createOptimizer({ name: 'sgd', weightDecayMode: 'adamw' as never })).toThrow(UnknownNameError);
    expect(() => createOptimizer({ name: 'sgd', weightDecayMode: 'adamw' as never })).toThrow(/adamw.*l2.*reference/);
  });
});
