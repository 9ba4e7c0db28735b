/**
 * Results must not depend on the number of threads: the same seed gives bit-identical training with the
 * wasm backend on 1 thread and on 2 (every op, however small, sent to the worker: minParallelWork 0).
 * Holds by construction: every output element is computed by exactly one thread with the same code
 * (products split by rows, element-wise ops by element ranges, each weight gradient a whole dot product in
 * one thread, dropout masks a pure function of the element index), so no reduction depends on the split.
 * Also: close to the CPU reference over the same run (the products round differently, see wasm.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason, type WasmBackend } from '../../toolkit/src/backend/wasm/index';
import { batchOrder } from '../../toolkit/src/data/batches';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { mlp } from '../../toolkit/src/train/model';

const available = isWasmAvailable();

async function train(backend: Backend, policy: 'set' | 'static', batchSize = 28, lr = 0.05) {
  const data = syntheticClassification({ nSamples: 300, nFeatures: 40, nClasses: 4, seed: 5 });
  const model = mlp([40, 64, 48, 4], {
    sparsity: { kind: 'erdos-renyi', eps: 6 }, activation: { name: 'all-relu', alpha: 0.6 }, dropout: 0.3, seed: 9, backend,
  });
  model.compile({ optimizer: { name: 'sgd', lr, momentum: 0.9, weightDecay: 0.0002, nesterov: true }, policy });
  // Batch 28: the last batch of each epoch is short (300 = 10 * 28 + 20).
  const history = await model.fit(data, { epochs: 3, batchSize });
  return {
    losses: history.epochs.map((e) => [e.loss, e.accuracy]),
    evolution: history.evolution.map((r) => [r.layer, r.dropped, r.grown, Array.from(r.grownPositions)]),
    weights: model.network.params().map((p) => Array.from(p.values)),
    velocity: model.network.params().map((p) => Array.from(model.optimizer.stateOf(p)[0]!)),
  };
}

describe.skipIf(!available)(available ? 'wasm training with 1 and 2 threads' : `wasm [unavailable: ${wasmUnavailableReason()}]`, () => {
  it('a short SET run (dropout, All-ReLU, Nesterov SGD, evolution) is bit-identical with 1 and 2 threads', async () => {
    const runs = [];
    for (const threads of [1, 2]) {
      const be: WasmBackend = wasmBackend({ threads, minParallelWork: 0 });
      try {
        runs.push(await train(be, 'set'));
      } finally {
        be.dispose();
      }
    }
    const [a, b] = runs as [Awaited<ReturnType<typeof train>>, Awaited<ReturnType<typeof train>>];
    expect(a.evolution.length).toBeGreaterThan(0);
    expect(b.losses).toEqual(a.losses); // toEqual on numbers uses Object.is: bit-identical
    expect(b.evolution).toEqual(a.evolution);
    expect(b.weights).toEqual(a.weights);
    expect(b.velocity).toEqual(a.velocity);
  });

  it('at batch 2 (the backward as one walk of the rows, or as two tasks on two threads) too', async () => {
    const runs = [];
    for (const threads of [1, 2]) {
      const be: WasmBackend = wasmBackend({ threads, minParallelWork: 0 });
      try {
        runs.push(await train(be, 'set', 2, 0.005)); // lr 0.05 diverges at batch 2, on the CPU reference too
      } finally {
        be.dispose();
      }
    }
    const [a, b] = runs as [Awaited<ReturnType<typeof train>>, Awaited<ReturnType<typeof train>>];
    expect(b.losses).toEqual(a.losses);
    expect(b.evolution).toEqual(a.evolution);
    expect(b.weights).toEqual(a.weights);
    expect(b.velocity).toEqual(a.velocity);
  });

  it("fit gathers the next batch during the update (2 threads); its losses, accuracies and weights are a plain loop's", async () => {
    // The plain loop: gather, forward, loss, backward, update, batch after batch, nothing overlapped.
    const data = syntheticClassification({ nSamples: 300, nFeatures: 40, nClasses: 4, seed: 5 });
    const build = (be: Backend) => {
      const m = mlp([40, 64, 48, 4], { sparsity: { kind: 'erdos-renyi', eps: 6 }, activation: 'relu', dropout: 0.3, seed: 9, backend: be });
      return m.compile({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, policy: 'static' });
    };
    const be: WasmBackend = wasmBackend({ threads: 2, minParallelWork: 0 });
    try {
      const fitted = build(be);
      const seen: number[][] = [];
      let gathers = 0;
      const counting = Object.assign(Object.create(data) as typeof data, {
        gather: (...a: Parameters<typeof data.gather>) => {
          gathers++;
          data.gather(...a);
        },
      });
      await fitted.fit(counting, { epochs: 2, batchSize: 28, callbacks: { onBatchEnd: (b) => void seen.push([b.loss, b.accuracy]) } });
      expect(gathers).toBe(2 * 11); // each batch once (300 = 10 * 28 + 20)
      const plain = build(be);
      const net = plain.network;
      const want: number[][] = [];
      let step = 0;
      for (let e = 0; e < 2; e++) {
        const order = batchOrder(300, e, 9);
        for (let start = 0; start < 300; start += 28) {
          const size = Math.min(28, 300 - start);
          const x = new Float32Array(40 * size), y = new Int32Array(size), grad = new Float32Array(4 * size), pred = new Int32Array(size);
          data.gather(order, start, size, x, y);
          const out = net.forward(x, size, { training: true, seed: 9, step: step++ });
          const loss = be.softmaxCrossEntropy(out, y, 4, size, grad, pred);
          net.backward(grad, size);
          plain.optimizer.step(net.params(), be).wait();
          want.push([loss / size, pred.filter((p, i) => p === y[i]).length / size]);
        }
      }
      expect(seen).toEqual(want);
      expect(fitted.network.params().map((p) => Array.from(p.values))).toEqual(net.params().map((p) => Array.from(p.values)));
    } finally {
      be.dispose();
    }
  });

  it('agrees with the CPU reference over the same run (static topology)', async () => {
    const be = wasmBackend();
    try {
      const got = await train(be, 'static');
      const ref = await train(cpuBackend(), 'static');
      for (let e = 0; e < ref.losses.length; e++) expect(got.losses[e]![0]).toBeCloseTo(ref.losses[e]![0]!, 4);
      const flat = (w: number[][]) => w.flat();
      const g = flat(got.weights), r = flat(ref.weights);
      let maxAbs = 0, maxErr = 0;
      for (let i = 0; i < r.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(r[i]!));
        maxErr = Math.max(maxErr, Math.abs(g[i]! - r[i]!));
      }
      expect(maxErr / maxAbs).toBeLessThan(1e-4);
    } finally {
      be.dispose();
    }
  });
});
