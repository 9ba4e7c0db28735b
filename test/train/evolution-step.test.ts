import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { policyFrom, type PolicyDescription } from '../../toolkit/src/evolution/registry';
import type { EvolutionContext } from '../../toolkit/src/evolution/types';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import type { Sequential } from '../../toolkit/src/nn/sequential';
import { createOptimizer } from '../../toolkit/src/optim/optimizer';
import { evolveNetwork } from '../../toolkit/src/train/evolution-step';

const EPOCH_END: EvolutionContext = { event: 'epoch-end', epoch: 0, epochs: 5, step: 10, totalSteps: 50 };

/** 16 -> 24 -> 20 -> 12 -> 3: three evolvable sparse layers, and an output layer dense by p >= 1. */
function net(seed = 1): Sequential {
  const n = mlpNetwork([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed });
  for (const l of n.sparseLayers()) for (let k = 0; k < l.weight.values.length; k++) l.weight.values[k] = rngFor(seed, 'w', k).normal();
  return n;
}

function evolve(policy: PolicyDescription, ctx = EPOCH_END, seed = 3, n = net()) {
  const reports = evolveNetwork(n, createOptimizer({ name: 'sgd' }), policyFrom(policy), ctx, seed);
  return { n, reports };
}

describe('evolveNetwork', () => {
  it('evolves every evolvable sparse layer; the dense-by-p output layer is skipped', () => {
    const { n, reports } = evolve('set');
    expect(n.sparseLayers().map((l) => l.evolvable)).toEqual([true, true, true, false]);
    expect(reports.map((r) => r.layer)).toEqual([0, 1, 2]);
  });

  it('layer selections: hidden, explicit indices', () => {
    expect(evolve({ policy: 'set', layers: 'hidden' }).reports.map((r) => r.layer)).toEqual([0, 1, 2]);
    expect(evolve({ policy: 'set', layers: [1] }).reports.map((r) => r.layer)).toEqual([1]);
    expect(evolve({ policy: 'set', layers: [3] }).reports).toEqual([]);
  });

  it('does nothing when the trigger does not fire (SET on a step event, or after the last epoch)', () => {
    expect(evolve('set', { ...EPOCH_END, event: 'step' }).reports).toEqual([]);
    expect(evolve('set', { ...EPOCH_END, epoch: 4 }).reports).toEqual([]);
    expect(evolve('static').reports).toEqual([]);
  });

  it('each layer has its own random stream: evolving layer 1 alone gives the same result as evolving all', () => {
    const all = evolve('set').n.sparseLayers()[1]!.weights;
    const alone = evolve({ policy: 'set', layers: [1] }).n.sparseLayers()[1]!.weights;
    expect(Array.from(alone.colIdx)).toEqual(Array.from(all.colIdx));
    expect(Array.from(alone.values)).toEqual(Array.from(all.values));
    const otherSeed = evolve('set', EPOCH_END, 4).n.sparseLayers()[1]!.weights;
    expect(Array.from(otherSeed.colIdx)).not.toEqual(Array.from(all.colIdx));
  });

  it('swaps the layer topology and keeps the parameter object (values and gradient resized)', () => {
    const n = net();
    const layer = n.sparseLayers()[0]!;
    const param = layer.weight;
    const old = layer.weights;
    evolve('set', EPOCH_END, 3, n);
    expect(layer.weights).not.toBe(old);
    expect(layer.weight).toBe(param);
    expect(param.values).toBe(layer.weights.values);
    expect(param.grad.length).toBe(layer.connections);
    expect(layer.connections).toBe(old.nnz);
  });
});
