/**
 * Threads are how a run is executed, not what it computes: the same config gives bit-identical metrics,
 * topology and weights with 1 and 2 threads of the wasm backend, a run interrupted on one thread count
 * resumes on another to the same end, and the manifest records the count that ran.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWasmAvailable, wasmUnavailableReason } from '../../toolkit/src/backend/wasm/index';
import { preset } from '../../toolkit/src/experiments/presets';
import { runConfig } from '../../toolkit/src/experiments/run';
import { readJsonLines } from '../../toolkit/src/io/files';

const base = preset('mnist-quick') as Record<string, unknown> & { model: Record<string, unknown> };
const config = (epochs: number) => ({
  ...base,
  name: 'threads',
  backend: 'wasm',
  data: { name: 'mnist', testSize: 300, limit: 1200 },
  model: { ...base.model, hidden: [96, 64], sparsity: { kind: 'erdos-renyi', eps: 6 } },
  training: { epochs, batchSize: 64 },
});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-threads-'));
const metrics = (dir: string) =>
  readJsonLines<Record<string, unknown>>(path.join(dir, 'metrics.jsonl')).map(({ seconds: _s, evolutionSeconds: _e, ...m }) => m);
const model = (dir: string) => {
  const m = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as { layers: Record<string, unknown>[] };
  return m.layers.map(({ colIdx, rowPtr, values, bias }) => ({ colIdx, rowPtr, values, bias }));
};
const manifest = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { backend: { threads: number } };

const available = isWasmAvailable();
describe.skipIf(!available)(available ? 'runs on 1 and 2 threads' : `runs on 1 and 2 threads [wasm unavailable: ${wasmUnavailableReason()}]`, () => {
  it('give bit-identical metrics, topology and weights, and the manifest says how many threads ran', async () => {
    const one = tmp(), two = tmp();
    const r1 = await runConfig(config(3), { outDir: one, threads: 1 });
    const r2 = await runConfig(config(3), { outDir: two, threads: 2 });
    expect(r2.testAccuracy).toBe(r1.testAccuracy);
    expect(r2.testLoss).toBe(r1.testLoss);
    expect(metrics(two)).toEqual(metrics(one));
    expect(model(two)).toEqual(model(one));
    expect(manifest(one).backend.threads).toBe(1);
    expect(manifest(two).backend.threads).toBe(2);
  }, 120_000);

  it('a run stopped on 1 thread resumes on 2 to the same end as an uninterrupted run', async () => {
    const whole = tmp(), cut = tmp();
    await runConfig(config(3), { outDir: whole, threads: 1 });
    const stop = new Error('stopped after epoch 1');
    await expect(runConfig(config(3), {
      outDir: cut, threads: 1, callbacks: { onEpochEnd: (logs) => { if (logs.epoch === 1) throw stop; } },
    })).rejects.toBe(stop);
    expect(metrics(cut)).toHaveLength(2);
    await runConfig(config(3), { outDir: cut, threads: 2, resume: true });
    expect(metrics(cut)).toEqual(metrics(whole));
    expect(model(cut)).toEqual(model(whole));
    expect(manifest(cut).backend.threads).toBe(2);
  }, 120_000);
});
