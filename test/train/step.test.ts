import { describe, expect, it } from 'vitest';
import type { Backend, PendingWork, SgdTask } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { crossEntropy } from '../../toolkit/src/nn/losses';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import type { Sequential } from '../../toolkit/src/nn/sequential';
import { createOptimizer, type Optimizer } from '../../toolkit/src/optim/optimizer';
import { SparseBatch } from '../../toolkit/src/sparse/sparse-batch';
import { BatchPrefetcher, type GatherBatch } from '../../toolkit/src/train/prefetch';
import { probeGradient, trainStep, type StepParts } from '../../toolkit/src/train/step';

const data = syntheticClassification({ nSamples: 20, nFeatures: 6, nClasses: 3, seed: 2 });
const BATCH = 8;

/** A dense gather from `data` that logs which batch start it filled, and can be told to fail. */
function loggingGather(log: string[], failAt = -1): GatherBatch {
  return (order, start, size, x, y) => {
    if (start === failAt) throw new Error(`gather of ${start} failed`);
    log.push(`gather ${start}`);
    const xb = (x as Float32Array).subarray(0, 6 * size);
    data.gather(order, start, size, xb, y);
    return xb;
  };
}

/** An optimizer wrapper that logs when its update starts and when the caller waits for it. */
function loggingOptimizer(inner: Optimizer, log: string[]): Optimizer {
  return Object.assign(Object.create(inner) as Optimizer, {
    step(params: Parameters<Optimizer['step']>[0], backend: Backend): PendingWork {
      const work = inner.step(params, backend);
      log.push('update started');
      return { wait: () => { log.push('wait'); work.wait(); } };
    },
  });
}

function setup(log: string[], failAt = -1): { parts: StepParts; batches: BatchPrefetcher; net: Sequential } {
  const net = mlpNetwork([6, 10, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, activation: 'relu', seed: 1, backend: cpuBackend() });
  const parts: StepParts = {
    net, loss: crossEntropy, optimizer: loggingOptimizer(createOptimizer({ name: 'sgd', lr: 0.05 }), log), seed: 3,
    grad: new Float32Array(3 * BATCH), pred: new Int32Array(BATCH), corrupt: (x) => x,
  };
  const batches = new BatchPrefetcher(loggingGather(log, failAt), new Float32Array(6 * BATCH), new Int32Array(BATCH), data.nSamples, BATCH, 6);
  batches.begin(Int32Array.from({ length: data.nSamples }, (_, i) => i));
  return { parts, batches, net };
}

describe('trainStep: gather, forward, loss, backward, update, with the next batch gathered during the update', () => {
  it('starts the update, gathers the next batch, then waits; a prefetched batch is not gathered twice', () => {
    const log: string[] = [];
    const { parts, batches } = setup(log);
    for (let b = 0; b < batches.count; b++) trainStep(parts, batches, b, { step: b, epoch: 0, gradients: false });
    expect(log).toEqual([
      'gather 0', 'update started', 'gather 8', 'wait',
      'update started', 'gather 16', 'wait',
      'update started', 'wait',
    ]);
  });

  it('waits for the update even when gathering the next batch throws', () => {
    const log: string[] = [];
    const { parts, batches } = setup(log, 8);
    expect(() => trainStep(parts, batches, 0, { step: 0, epoch: 0, gradients: false })).toThrow('gather of 8 failed');
    expect(log).toEqual(['gather 0', 'update started', 'wait']);
    // The failed prefetch is not taken for batch 1: it is gathered (and fails) again when taken.
    expect(() => batches.take(1)).toThrow('gather of 8 failed');
  });

  it("with gradients: returns the batch's dense-gradient source and gathers the next batch only when it is taken", () => {
    const log: string[] = [];
    const { parts, batches, net } = setup(log);
    const r = trainStep(parts, batches, 0, { step: 0, epoch: 0, gradients: true });
    expect(log).toEqual(['gather 0', 'update started', 'wait']);
    const first = net.sparseLayers()[0]!;
    expect(r.gradients!.has(first)).toBe(true);
    // The layer's input is the batch itself, and the sparse gradient is the dense one's restriction.
    const x = new Float32Array(6 * BATCH), y = new Int32Array(BATCH);
    data.gather(Int32Array.from({ length: data.nSamples }, (_, i) => i), 0, BATCH, x, y);
    expect(first.lastInput()).toEqual(x);
    const w = first.weights;
    const row = new Float32Array(6);
    for (let j = 0; j < w.rows; j++) {
      r.gradients!.row(first, j, row);
      for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) expect(first.weight.grad[k]).toBe(row[w.colIdx[k]!]);
    }
    trainStep(parts, batches, 1, { step: 1, epoch: 0, gradients: false });
    expect(log.slice(3)).toEqual(['gather 8', 'update started', 'gather 16', 'wait']);
    // The network ran forward since: the source says so instead of reading the new batch.
    expect(() => r.gradients!.row(first, 0, new Float32Array(6))).toThrow(/backward pass/);
  });

  it('counts the loss and the samples predicted right, before the next batch replaces the labels', () => {
    const log: string[] = [];
    const { parts, batches } = setup(log);
    const r = trainStep(parts, batches, 0, { step: 0, epoch: 0, gradients: false });
    expect(r.size).toBe(BATCH);
    expect(Number.isFinite(r.loss) && r.loss > 0).toBe(true);
    expect(r.correct).toBeGreaterThanOrEqual(0);
    expect(r.correct).toBeLessThanOrEqual(BATCH);
    const last = trainStep(parts, batches, 2, { step: 2, epoch: 0, gradients: false });
    expect(last.size).toBe(data.nSamples - 2 * BATCH);
  });

  it('probeGradient: a forward and backward pass on another order, no update, and its dense-gradient source', () => {
    const log: string[] = [];
    const { parts, batches, net } = setup(log);
    const before = net.params().map((p) => p.values.slice());
    const order = rngFor(1, 'probe').permutation(data.nSamples);
    const g = probeGradient(parts, batches, order, BATCH, { step: 0, epoch: 0 });
    expect(log).toEqual(['gather 0']);
    expect(net.params().map((p) => p.values)).toEqual(before);
    for (const layer of net.sparseLayers()) expect(g.has(layer)).toBe(true);
    expect(net.sparseLayers()[0]!.lastInput()).not.toBeInstanceOf(SparseBatch);
  });
});

describe('Optimizer.step returns the work to wait for', () => {
  it("SGD: the PendingWork of backend.sgdSteps, with every array's step in one job; Adam: work already done", () => {
    const cpu = cpuBackend();
    const jobs: SgdTask[][] = [];
    let waited = 0;
    const spy: Backend = {
      ...cpu,
      sgdSteps: (steps) => {
        jobs.push([...steps]);
        const work = cpu.sgdSteps(steps);
        return { wait: () => { waited++; work.wait(); } };
      },
    };
    const p = { name: 'w', values: Float32Array.of(1, 2), grad: Float32Array.of(0.5, -1), decay: true };
    const q = { name: 'b', values: Float32Array.of(3), grad: Float32Array.of(1), decay: false };
    const work = createOptimizer({ name: 'sgd', lr: 0.1, momentum: 0, weightDecay: 0 }).step([p, q], spy);
    expect(jobs.map((j) => j.map((t) => t.param))).toEqual([[p.values, q.values]]);
    work.wait();
    expect(waited).toBe(1);
    expect(Array.from(p.values)).toEqual([Math.fround(1 - Math.fround(0.1 * 0.5)), Math.fround(2 + 0.1)]);
    const adam = createOptimizer({ name: 'adam' }).step([p], spy);
    expect(jobs.length).toBe(1);
    adam.wait();
    expect(waited).toBe(1);
  });
});
