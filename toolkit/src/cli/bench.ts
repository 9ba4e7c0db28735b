/**
 * `synapses-ts bench`: seconds per training epoch and per evolution step of the `fashion-mnist-set`
 * network, and GFLOP/s of each sparse kernel. Prints a table; writes JSON.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { rngFor } from '../core/rng';
import type { DenseDataset } from '../data/dataset';
import { syntheticClassification } from '../data/synthetic';
import { evolveLayer } from '../evolution/evolve';
import { policyFrom } from '../evolution/registry';
import { parseRunConfig } from '../experiments/config';
import { loadRunData } from '../experiments/data';
import { preset } from '../experiments/presets';
import { writeJsonAtomic } from '../io/files';
import { SparseLinear } from '../nn/sparse-linear';
import { mlp } from '../train/model';

/** Options of the `bench` command as parsed by commander. */
export interface BenchCommandOptions {
  epochs: string;
  batch: string;
  limit?: string;
  backend: string;
  data: string;
  out: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function timeIt(fn: () => void, minSeconds = 0.3): number {
  fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minSeconds * 1000 || reps < 3) {
    fn();
    reps++;
  }
  return (performance.now() - t0) / reps;
}

/** Runs the benchmark. */
export async function benchCommand(o: BenchCommandOptions): Promise<void> {
  const epochs = Number(o.epochs);
  const batches = o.batch.split(',').map(Number);
  if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`--epochs must be a positive integer, got ${o.epochs}`);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new ConfigError(`--batch must be positive integers, got ${o.batch}`);
  const limit = o.limit === undefined ? undefined : Number(o.limit);
  const config = parseRunConfig({ ...preset('fashion-mnist-set'), backend: o.backend });
  let train: DenseDataset;
  if (o.data === 'synthetic') {
    train = syntheticClassification({ nSamples: limit ?? 60000, nFeatures: 784, nClasses: 10, seed: 1 });
  } else if (o.data === 'fashion-mnist') {
    train = loadRunData({ ...config.data, ...(limit ? { limit: { train: limit, test: 1 } } : {}) } as typeof config.data, config.seed).train;
  } else throw new ConfigError(`--data must be fashion-mnist or synthetic, got ${o.data}`);

  const cpu = os.cpus();
  const rows: Record<string, unknown>[] = [];
  const log = (s: string) => process.stderr.write(s + '\n');
  log(`synapses-ts bench: fashion-mnist-set network 784-1000-1000-1000-10, eps 20, ${train.nSamples} training samples (${o.data})`);
  log(`machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, node ${process.version}, backend ${o.backend}`);
  for (const batch of batches) {
    const model = mlp([784, ...config.model.hidden, 10], { ...config.model, seed: config.seed, backend: config.backend });
    model.compile({ optimizer: config.optimizer, policy: config.policy as never });
    // epochs + 1 so that every timed epoch is followed by an evolution step (SET skips the last epoch).
    const history = await model.fit(train, { epochs: epochs + 1, batchSize: batch });
    const timed = history.epochs.slice(0, epochs);
    const epochSeconds = median(timed.map((e) => e.seconds));
    const evolutionSeconds = median(timed.map((e) => e.evolutionSeconds));

    // One SET evolution step of every evolvable layer, timed on its own.
    const policy = policyFrom('set');
    const sparse = model.network.sparseLayers();
    const ctx = { event: 'epoch-end' as const, epoch: 0, epochs: 2, step: 0, totalSteps: 1 };
    const evoMs = timeIt(() => {
      sparse.forEach((layer, l) => {
        if (layer.evolvable) evolveLayer(layer.weights, policy, ctx, l, rngFor(1, 'bench', l));
      });
    });

    // Kernel GFLOP/s per product, summed over the sparse layers (2 * nnz * batch flops each).
    const backend = model.backend;
    const kernels: Record<string, number> = {};
    const flops = sparse.reduce((a, l) => a + 2 * l.connections * batch, 0);
    const bufs = sparse.map((l: SparseLinear) => {
      const r = rngFor(2, 'bench-x', l.nIn);
      const x = Float32Array.from({ length: l.nIn * batch }, () => r.float());
      const dy = Float32Array.from({ length: l.nOut * batch }, () => r.float() - 0.5);
      return { l, x, dy, y: new Float32Array(l.nOut * batch), dx: new Float32Array(l.nIn * batch), dw: new Float32Array(l.connections) };
    });
    kernels.forward = flops / 1e6 / timeIt(() => bufs.forEach((b) => backend.spmmForward(b.l.weights, b.x, batch, b.l.bias.values, b.y)));
    kernels.inputGrad = flops / 1e6 / timeIt(() => bufs.forEach((b) => backend.spmmInputGrad(b.l.weights, b.dy, batch, b.dx)));
    kernels.weightGrad = flops / 1e6 / timeIt(() => bufs.forEach((b) => backend.spmmWeightGrad(b.l.weights, b.dy, b.x, batch, b.dw)));

    const row = {
      machine: `${cpu.length} x ${cpu[0]?.model ?? '?'}`,
      node: process.version,
      backend: `${backend.name}:${backend.mode}`,
      threads: 1,
      batch,
      samples: train.nSamples,
      connections: model.connectionCount(),
      epochSeconds,
      epochSecondsAll: timed.map((e) => e.seconds),
      evolutionSecondsInEpoch: evolutionSeconds,
      evolutionStepSeconds: evoMs / 1000,
      samplesPerSecond: train.nSamples / epochSeconds,
      gflops: kernels,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    rows.push(row);
    log(
      `batch ${String(batch).padStart(4)}: ${epochSeconds.toFixed(2)} s/epoch (median of ${epochs}), evolution step ${(evoMs).toFixed(1)} ms, ` +
        `${Math.round(row.samplesPerSecond)} samples/s, GFLOP/s forward ${kernels.forward.toFixed(2)} inputGrad ${kernels.inputGrad.toFixed(2)} ` +
        `weightGrad ${kernels.weightGrad.toFixed(2)}, peak RSS ${row.peakRssMiB} MiB`,
    );
  }
  writeJsonAtomic(path.resolve(o.out), { createdAt: new Date().toISOString(), rows });
  log(`results written to ${o.out}`);
}
