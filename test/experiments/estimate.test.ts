/**
 * Impossible work is refused before it starts: the memory estimate of a run (experiments/estimate), the
 * refusal of a run beyond the machine's memory or `--max-memory`, and a clear error instead of a raw
 * RangeError when a network cannot be allocated.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidArgumentError } from '../../toolkit/src/core/errors';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import {
  checkRunMemory, estimateRunMemory, formatBytes, memoryLimit, parseMemorySize, type DataShape,
} from '../../toolkit/src/experiments/estimate';
import { runConfig } from '../../toolkit/src/experiments/run';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const MNIST_SHAPE: DataShape = { nFeatures: 784, nClasses: 10, trainSamples: 8000, testSamples: 2000, dataBytes: 10000 * 785 * 4 };

describe('memory sizes', () => {
  it('parses --max-memory sizes in binary units and refuses anything else', () => {
    expect(parseMemorySize('8G')).toBe(8 * 2 ** 30);
    expect(parseMemorySize('512M')).toBe(512 * 2 ** 20);
    expect(parseMemorySize('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(parseMemorySize('64kb')).toBe(64 * 1024);
    expect(parseMemorySize('1048576')).toBe(1048576);
    for (const bad of ['', 'G', '-1G', '8X', '0', '8 G B']) expect(() => parseMemorySize(bad), bad).toThrow(ConfigError);
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.50 GiB');
  });
});

describe('estimateRunMemory', () => {
  it('counts weights, indices and row pointers from the sparsity config, and optimizer slots', () => {
    const shape: DataShape = { nFeatures: 100, nClasses: 10, trainSamples: 10, testSamples: 10, dataBytes: 0 };
    const sgd = estimateRunMemory(parseRunConfig({ model: { hidden: [200], sparsity: { kind: 'density', density: 0.1 } }, policy: 'static' }), shape);
    // 100 -> 200 at density 0.1: 2000 connections; 200 -> 10: 200. Values + columns, and rowPtr.
    expect(sgd.layers.map((l) => l.connections)).toEqual([2000, 200]);
    expect(sgd.breakdown.weights).toBe(2200 * 8 + (201 + 11) * 4);
    expect(sgd.breakdown.biases).toBe(210 * 4);
    expect(sgd.breakdown.gradients).toBe((2200 + 210) * 4);
    expect(sgd.breakdown.optimizer).toBe((2200 + 210) * 4);
    const adam = estimateRunMemory(parseRunConfig({ model: { hidden: [200], sparsity: { kind: 'density', density: 0.1 } }, optimizer: { name: 'adam' }, policy: 'static' }), shape);
    expect(adam.breakdown.optimizer).toBe(2 * sgd.breakdown.optimizer);
    // Erdos-Renyi: eps (nIn + nOut) connections on average; dense when p >= 1 (200 -> 10 at eps 20).
    const er = estimateRunMemory(parseRunConfig({ model: { hidden: [1000, 1000] } }), MNIST_SHAPE);
    expect(er.layers.map((l) => l.connections)).toEqual([20 * 1784, 20 * 2000, 10000]);
    const dense = estimateRunMemory(parseRunConfig({ model: { hidden: [1000], sparsity: { kind: 'dense' } } }), MNIST_SHAPE);
    expect(dense.breakdown.weights).toBe((784 * 1000 + 1000 * 10) * 4);
    expect(dense.breakdown.scratch).toBe(0); // dense layers never evolve
  });

  it('estimates hidden = [1e8, 1e8] in the hundreds of GB, and the limit refuses it', () => {
    const est = estimateRunMemory(parseRunConfig({ model: { hidden: [1e8, 1e8] } }), MNIST_SHAPE);
    expect(est.bytes).toBeGreaterThan(1e11);
    expect(() => checkRunMemory(est, memoryLimit())).toThrow(ConfigError);
    expect(() => checkRunMemory(est, memoryLimit(Number.MAX_SAFE_INTEGER))).not.toThrow();
  });

  it('is within 30% of what a mid-size model, its data and one epoch of training really hold', async () => {
    // A fresh process with a collector to call, so the count is the arrays still held, not garbage.
    const code = `
      const { parseRunConfig } = require('./toolkit/src/experiments/config');
      const { loadRunDataAsync } = require('./toolkit/src/experiments/data');
      const { dataShapeOf, estimateRunMemory } = require('./toolkit/src/experiments/estimate');
      const { mlp } = require('./toolkit/src/train/model');
      (async () => {
        const config = parseRunConfig({
          data: { name: 'synthetic', nSamples: 1500, nFeatures: 300, nClasses: 4 }, policy: 'static', backend: 'cpu',
          model: { hidden: [1500, 1200], sparsity: { kind: 'erdos-renyi', eps: 20 }, dropout: 0.2 }, training: { epochs: 1, batchSize: 100 },
        });
        gc(); gc();
        const before = process.memoryUsage().arrayBuffers;
        const { train, test } = await loadRunDataAsync(config.data, 0);
        const model = mlp([train.nFeatures, ...config.model.hidden, 4], { sparsity: config.model.sparsity, dropout: 0.2, backend: 'cpu' });
        model.compile({ optimizer: config.optimizer, policy: 'static' });
        await model.fit(train, { epochs: 1, batchSize: 100 });
        model.evaluate(test);
        gc(); gc();
        const measured = process.memoryUsage().arrayBuffers - before;
        const est = estimateRunMemory(config, dataShapeOf(train, test));
        console.log(JSON.stringify({ measured, est, keep: model.connectionCount() + train.nSamples }));
      })();`;
    const r = await run(process.execPath, ['--expose-gc', '--import', 'tsx', '-e', code], { cwd: root, env: { ...process.env, SYNAPSES_THREADS: '1' } });
    const { measured, est } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { measured: number; est: ReturnType<typeof estimateRunMemory> };
    // What stays allocated after training: everything but the short-lived batch buffers and scratch arrays.
    const resident = est.bytes - est.breakdown.batches - est.breakdown.scratch;
    expect(measured).toBeGreaterThan(5e6); // a model big enough to dominate small arrays elsewhere
    console.log(`memory estimate: ${resident} resident vs ${measured} measured (${(resident / measured).toFixed(3)})`);
    expect(resident / measured, `estimated ${resident} bytes resident, measured ${measured}`).toBeGreaterThan(0.7);
    expect(resident / measured, `estimated ${resident} bytes resident, measured ${measured}`).toBeLessThan(1.3);
    // The transient parts are counted too: the total is the most the run holds at once.
    expect(est.bytes).toBeGreaterThan(resident);
  });
});

describe('runConfig refuses a run that cannot fit, before allocating it', () => {
  const small = { name: 'mem', data: { name: 'synthetic', nSamples: 200, nFeatures: 16, nClasses: 3 }, training: { epochs: 1, batchSize: 32 }, backend: 'cpu' };

  it('hidden = [1e8, 1e8] is refused with the estimate and the limit, and the process does not grow', async () => {
    const error = await runConfig({ ...small, model: { hidden: [1e8, 1e8] } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/needs an estimated [\d.]+ (GiB|TiB)/);
    expect(message).toMatch(/more than 90% of this (machine's|process's)/);
    expect(message).toContain('16-100000000-100000000-3');
    // Nothing of the 2e9-connection first layer was allocated.
    expect(process.memoryUsage().rss).toBeLessThan(1024 ** 3);
  });

  it('maxMemoryBytes (--max-memory) sets the limit: a small run is refused under 64 KiB and runs under 1 GiB', async () => {
    await expect(runConfig({ ...small, model: { hidden: [64] } }, { maxMemoryBytes: 2 ** 16 })).rejects.toThrow(/more than the limit of 64\.0 KiB/);
    const seen: number[] = [];
    const r = await runConfig({ ...small, model: { hidden: [64] } }, { maxMemoryBytes: 2 ** 30, onMemory: (p) => seen.push(p.estimate.bytes, p.limit.bytes) });
    expect(r.epochs).toBe(1);
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[1]).toBe(2 ** 30);
  });
});

describe('a network too large for a typed array', () => {
  it('is a clear InvalidArgumentError naming the network, not a raw RangeError', () => {
    let error: unknown;
    try {
      mlpNetwork([3e9, 2], { sparsity: { kind: 'dense' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/cannot allocate the 3000000000-2 network \(dense\): Invalid typed array length/);
  });
});
