/**
 * Training FLOPs (issue 18, point 5): hand-computed counts for tiny networks, the dense gradient of
 * gradient-based regrowth, connections that change during training, and the run result and tables.
 */
import { describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import type { ResultRow } from '../../toolkit/src/experiments/ablation';
import { runConfig } from '../../toolkit/src/experiments/run';
import { summarize, summaryText, tableRecords } from '../../toolkit/src/experiments/table';
import { formatFlops, trainingFlopsPerSample } from '../../toolkit/src/train/flops';
import { mlp } from '../../toolkit/src/train/model';

// 10 samples at batch 4: batches of 4, 4 and 2 samples.
const data = syntheticClassification({ nSamples: 10, nFeatures: 4, nClasses: 2, seed: 3 });

describe('training FLOPs', () => {
  it('counts 2 FLOPs per connection per sample for each product, and no input gradient for the first layer', async () => {
    // 4 -> 3 at density 0.5: round(6) = 6 connections; 3 -> 2 at density 0.5: 3 connections.
    const m = mlp([4, 3, 2], { sparsity: { kind: 'density', density: 0.5 }, seed: 1, backend: 'cpu' }).compile({ policy: 'static' });
    expect(m.connectionsPerLayer()).toEqual([6, 3]);
    // First layer: forward + weight gradient = 2 products x 2 x 6 = 24; second: 3 products x 2 x 3 = 18.
    expect(trainingFlopsPerSample(m.network)).toBe(42);
    const h = await m.fit(data, { epochs: 2, batchSize: 4 });
    // Every sample of an epoch goes through one step: 42 x 10 = 420 per epoch.
    expect(h.epochs.map((e) => e.flops)).toEqual([420, 420]);
    expect(h.totalFlops).toBe(840);
  });

  it('counts dense layers at nIn x nOut connections', async () => {
    const m = mlp([4, 3, 2], { sparsity: { kind: 'dense' }, seed: 1, backend: 'cpu' }).compile({ policy: 'static' });
    // 2 x 2 x 12 + 3 x 2 x 6 = 48 + 36.
    expect(trainingFlopsPerSample(m.network)).toBe(84);
    const h = await m.fit(data, { epochs: 1, batchSize: 3 });
    expect(h.epochs[0]!.flops).toBe(840);
  });

  it('adds the dense gradient of every layer that regrows by gradient, and the epoch-end gradient probe', async () => {
    // RigL evolving every step: each layer that regrows computes its dense gradient over that step's batch.
    const m = mlp([4, 3, 2], { sparsity: { kind: 'density', density: 0.5 }, seed: 1, backend: 'cpu' })
      .compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: { policy: 'rigl', k: 1, end: 1 } as never });
    const h = await m.fit(data, { epochs: 1, batchSize: 4 });
    const grown = h.evolution.filter((r) => r.grown > 0);
    expect(grown.length).toBeGreaterThan(0);
    // RigL keeps the connection count, so every step costs 42 per sample.
    expect(h.epochs[0]!.connections).toEqual([6, 3]);
    const sizes = [4, 4, 2];
    const dense = [4 * 3, 3 * 2];
    const evolution = grown.reduce((a, r) => a + 2 * dense[r.layer]! * sizes[r.step - 1]!, 0);
    // Training 42 x 10, plus the probe at the epoch's end (one forward and backward pass on 4 samples).
    expect(h.epochs[0]!.flops).toBe(42 * 10 + 42 * 4 + evolution);
  });

  it('counts the connections that exist at each step when evolution changes them', async () => {
    // Importance pruning removes connections after epoch 0; epoch 1 is counted at the smaller network.
    const m = mlp([4, 8, 2], { sparsity: { kind: 'density', density: 0.5 }, seed: 2, backend: 'cpu' })
      .compile({ policy: { policy: 'static', importance: { percentile: 0.5, start: 0, every: 1 } } as never });
    const before = m.connectionsPerLayer();
    const h = await m.fit(data, { epochs: 2, batchSize: 4 });
    const after = h.epochs[0]!.connections;
    expect(after[0]).toBeLessThan(before[0]!);
    const perSample = (c: readonly number[]) => 2 * 2 * c[0]! + 3 * 2 * c[1]!;
    expect(h.epochs[0]!.flops).toBe(perSample(before) * 10);
    expect(h.epochs[1]!.flops).toBe(perSample(after) * 10);
  });

  it('reports the run total in the result, and the summary table shows it', async () => {
    const config = {
      name: 'flops', seed: 1, backend: 'cpu', policy: 'static',
      data: { name: 'synthetic', nSamples: 200, nFeatures: 10, nClasses: 3, testFraction: 0.25 },
      model: { hidden: [16], sparsity: { kind: 'density', density: 0.5 } },
      training: { epochs: 2, batchSize: 32 },
    };
    const result = await runConfig(config);
    const [c0, c1] = result.connectionsPerLayer as [number, number];
    expect(result.trainingFlops).toBe((2 * 2 * c0 + 3 * 2 * c1) * result.trainSamples * 2);
    const row = { id: 'a', index: 0, axes: { policy: 'static' }, ...result } as unknown as ResultRow;
    expect(tableRecords([row])[0]!.trainingFlops).toBe(result.trainingFlops);
    const text = summaryText(await summarize([row, { ...row, id: 'b', seed: 2 }]));
    expect(text.split('\n')[0]).toContain('training FLOPs');
    expect(text.split('\n')[2]).toContain(formatFlops(result.trainingFlops!));
  });

  it('formats FLOPs with an SI prefix', () => {
    expect(formatFlops(420)).toBe('420 FLOP');
    expect(formatFlops(4.5234e11)).toBe('452 GFLOP');
    expect(formatFlops(999_700)).toBe('1.00 MFLOP');
    expect(formatFlops(NaN)).toBe('-');
  });
});
