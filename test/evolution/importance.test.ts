import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { policyFrom, type PolicyDescription } from '../../toolkit/src/evolution/registry';
import type { EvolutionContext } from '../../toolkit/src/evolution/types';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { createOptimizer, type Optimizer } from '../../toolkit/src/optim/optimizer';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { importancePrune } from '../../toolkit/src/train/evolution-step';
import { mlp } from '../../toolkit/src/train/model';
import { positionsOf } from './fixtures';

/**
 * A hand network 4 -> 5 -> 3 of two sparse layers.
 *
 * Hidden layer (5 x 4), entries k in CSR order, and each neuron's summed |incoming weight|:
 *   row 0: k 0 (0,0) 0.5,  k 1 (0,2) -0.5                        sum 1.0   (2 entries)
 *   row 1: k 2 (1,0) 0.03, k 3 (1,1) -0.03, k 4 (1,3) 0.04        sum 0.1   (3 entries)  <- 2nd smallest
 *   row 2: k 5 (2,1) 0.5                                          sum 0.5   (1 entry)
 *   row 3: k 6 (3,2) -0.05                                        sum 0.05  (1 entry)    <- smallest
 *   row 4: k 7 (4,0) 1, k 8 (4,1) 1, k 9 (4,3) -0.5               sum 2.5   (3 entries)
 * Output layer (3 x 5) with even smaller rows, which must never be touched.
 */
function handNet(): { net: Sequential; hidden: SparseLinear; out: SparseLinear } {
  const hidden = new SparseLinear(
    CsrMatrix.fromArrays(5, 4, [0, 2, 5, 6, 7, 10], [0, 2, 0, 1, 3, 1, 2, 0, 1, 3], [0.5, -0.5, 0.03, -0.03, 0.04, 0.5, -0.05, 1, 1, -0.5]),
    'layers.0',
  );
  const out = new SparseLinear(CsrMatrix.fromArrays(3, 5, [0, 1, 3, 5], [0, 1, 4, 2, 3], [0.001, 0.002, 0.5, 1, 1]), 'layers.1');
  return { net: new Sequential([hidden, out], getBackend('cpu')), hidden, out };
}

const ctx = (epoch: number, event: EvolutionContext['event'] = 'epoch-end'): EvolutionContext => ({ event, epoch, epochs: 10, step: 10 * (epoch + 1), totalSteps: 100 });

/** Gives every state slot of every parameter of `net` distinct values: slot s, entry k -> 1000 s + k + 1. */
function fillState(net: Sequential, opt: Optimizer): void {
  for (const p of net.params()) opt.stateOf(p).forEach((arr, s) => arr.forEach((_, k) => (arr[k] = 1000 * s + k + 1)));
}

const IMP: PolicyDescription = { policy: 'set', importance: { percentile: 0.4, start: 2, every: 3 } };

describe('neuron importance pruning, by hand', () => {
  it('the two least important hidden neurons (rows 3 and 1) lose every incoming connection', () => {
    const { net, hidden, out } = handNet();
    const opt = createOptimizer({ name: 'adam' });
    fillState(net, opt);
    const outBefore = { colIdx: Array.from(out.weights.colIdx), values: Array.from(out.weights.values), state: opt.stateOf(out.weight).map((a) => Array.from(a)) };
    const reports = importancePrune(net, opt, policyFrom(IMP), ctx(2));
    expect(reports.length).toBe(1);
    const r = reports[0]!;
    expect(r.layer).toBe(0);
    expect(r.event).toBe('epoch-end');
    expect(r.dropped).toBe(4); // rows 1 and 3: 3 + 1 entries
    expect(r.grown).toBe(0);
    expect(r.connections).toBe(6);
    expect(r.fraction).toBe(0.4);
    expect(Array.from(r.droppedPositions)).toEqual([4, 5, 7, 14]);
    expect(r.droppedMeanMagnitude).toBeCloseTo((0.03 + 0.03 + 0.04 + 0.05) / 4, 6);
    expect(Array.from(r.grownPositions)).toEqual([]);
    // The layer lost exactly those rows; the others are unchanged.
    hidden.weights.validate();
    expect(hidden.connections).toBe(6);
    expect(Array.from(hidden.weights.rowPtr)).toEqual([0, 2, 2, 3, 3, 6]);
    expect(positionsOf(hidden.weights)).toEqual([0, 2, 9, 16, 17, 19]);
    expect(Array.from(hidden.weights.values)).toEqual(Array.from(Float32Array.from([0.5, -0.5, 0.5, 1, 1, -0.5])));
    expect(hidden.weight.values).toBe(hidden.weights.values);
    expect(hidden.weight.grad.length).toBe(6);
    // Optimizer state remapped: kept entries k = 0, 1, 5, 7, 8, 9 keep theirs, in both Adam slots.
    const kept = [0, 1, 5, 7, 8, 9];
    expect(opt.stateOf(hidden.weight).map((a) => Array.from(a))).toEqual([kept.map((k) => k + 1), kept.map((k) => 1000 + k + 1)]);
    // The output layer (the last linear layer) is never touched, although its rows are the smallest.
    expect(Array.from(out.weights.colIdx)).toEqual(outBefore.colIdx);
    expect(Array.from(out.weights.values)).toEqual(outBefore.values);
    expect(opt.stateOf(out.weight).map((a) => Array.from(a))).toEqual(outBefore.state);
    expect(net.connectionsPerLayer()).toEqual([6, 5]);
  });

  it('fires at epochs start, start + every, ... only, and only at epoch ends', () => {
    const fired: number[] = [];
    for (let e = 0; e < 10; e++) {
      const { net } = handNet();
      const reports = importancePrune(net, createOptimizer({ name: 'sgd' }), policyFrom(IMP), ctx(e));
      if (reports.length) {
        fired.push(e);
        expect(net.connectionsPerLayer()).toEqual([6, 5]);
      } else expect(net.connectionsPerLayer()).toEqual([10, 5]);
      const { net: n2 } = handNet();
      expect(importancePrune(n2, createOptimizer({ name: 'sgd' }), policyFrom(IMP), ctx(e, 'step'))).toEqual([]);
    }
    expect(fired).toEqual([2, 5, 8]);
    // No importance setting: nothing ever happens.
    const { net } = handNet();
    expect(importancePrune(net, createOptimizer({ name: 'sgd' }), policyFrom('set'), ctx(0))).toEqual([]);
  });

  it('the cut is floor(percentile * neurons): 0.2 of 5 removes the smallest row only; 0.1 removes none; ties go to the lower index', () => {
    const one = handNet();
    const r = importancePrune(one.net, createOptimizer({ name: 'sgd' }), policyFrom({ policy: 'set', importance: { percentile: 0.2, start: 0, every: 1 } }), ctx(0));
    expect(Array.from(r[0]!.droppedPositions)).toEqual([14]);
    expect(one.net.connectionsPerLayer()).toEqual([9, 5]);
    const none = handNet();
    expect(importancePrune(none.net, createOptimizer({ name: 'sgd' }), policyFrom({ policy: 'set', importance: { percentile: 0.1, start: 0, every: 1 } }), ctx(0))).toEqual([]);
    expect(none.net.connectionsPerLayer()).toEqual([10, 5]);
    // Rows 1 and 3 tie at 0.25 (exact in float32): the cut of one takes row 1.
    const tie = new SparseLinear(CsrMatrix.fromArrays(5, 4, [0, 1, 3, 4, 5, 6], [0, 0, 1, 2, 3, 0], [1, 0.125, -0.125, 1, -0.25, 1]), 'l');
    const tieNet = new Sequential([tie, new SparseLinear(CsrMatrix.fromArrays(2, 5, [0, 1, 2], [0, 1], [1, 1]), 'o')], getBackend('cpu'));
    const t = importancePrune(tieNet, createOptimizer({ name: 'sgd' }), policyFrom({ policy: 'set', importance: { percentile: 0.2, start: 0, every: 1 } }), ctx(0));
    expect(Array.from(t[0]!.droppedPositions)).toEqual([4, 5]);
  });

  it("respects the policy's layer selection", () => {
    const { net } = handNet();
    expect(importancePrune(net, createOptimizer({ name: 'sgd' }), policyFrom({ ...(IMP as object), layers: [1] }), ctx(2))).toEqual([]);
    expect(net.connectionsPerLayer()).toEqual([10, 5]);
  });
});

describe('neuron importance pruning in a fit', () => {
  it('hidden layers lose whole neurons at the scheduled epochs; the output layer keeps its count; totals drop by the dropped counts', async () => {
    const data = syntheticClassification({ nSamples: 200, nFeatures: 12, nClasses: 3, seed: 3 });
    const m = mlp([12, 20, 16, 3], { sparsity: { kind: 'density', density: 0.5 }, seed: 2 }).compile({
      optimizer: { name: 'sgd', lr: 0.05 },
      policy: { policy: 'static', importance: { percentile: 0.25, start: 1, every: 2 } },
    });
    const initial = m.connectionsPerLayer();
    expect(m.network.sparseLayers().map((l) => l.evolvable)).toEqual([true, true, true]);
    const h = await m.fit(data, { epochs: 3, batchSize: 50 });
    expect(h.evolution.map((r) => [r.epoch, r.layer])).toEqual([[1, 0], [1, 1]]);
    expect(h.epochs[0]!.connections).toEqual(initial);
    const [r0, r1] = h.evolution;
    expect(h.epochs[1]!.connections).toEqual([initial[0]! - r0!.dropped, initial[1]! - r1!.dropped, initial[2]]);
    expect(h.epochs[2]!.connections).toEqual(h.epochs[1]!.connections);
    const layers = m.network.sparseLayers();
    for (const r of [r0!, r1!]) {
      const w = layers[r.layer]!.weights;
      const rows = new Set(Array.from(r.droppedPositions, (p) => Math.floor(p / w.cols)));
      expect(rows.size).toBe(Math.floor(0.25 * w.rows)); // 5 of 20, 4 of 16 neurons
      for (const j of rows) expect(w.rowPtr[j + 1]! - w.rowPtr[j]!).toBe(0);
    }
  });
});
