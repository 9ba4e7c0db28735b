/**
 * `synapses-ts bench`: seconds per training epoch and per evolution step of the `fashion-mnist-set`
 * network, GFLOP/s of each sparse kernel, and milliseconds per backend op of one training step, for one
 * backend or (`--backend all`) every backend and gpu.js mode that runs here. Prints tables; writes JSON.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { Backend } from '../backend/backend';
import { backendNames, defaultThreads, resolveBackend } from '../backend/registry';
import { BackendUnavailableError, ConfigError } from '../core/errors';
import { rngFor } from '../core/rng';
import type { DenseDataset } from '../data/dataset';
import { syntheticClassification } from '../data/synthetic';
import { evolveLayer } from '../evolution/evolve';
import { policyFrom } from '../evolution/registry';
import { parseRunConfig } from '../experiments/config';
import { loadRunData } from '../experiments/data';
import { preset } from '../experiments/presets';
import { writeJsonAtomic } from '../io/files';
import { mlp } from '../train/model';
import { BENCH_OPS, opMilliseconds, timeMs } from './bench-ops';
import { denseBaseline } from './bench-dense';
import { costTable, layerProfiles, scalePoint, scaleTable } from './bench-scale';
import { parseWidePoint, widePoint, wideTable } from './bench-wide';
import { startVirtualDisplay } from './display';

/** Options of the `bench` command as parsed by commander. */
export interface BenchCommandOptions {
  epochs: string;
  batch: string;
  limit?: string;
  backend: string;
  data: string;
  out: string;
  /** Comma-separated: epoch (the fashion-mnist-set table), dense (TensorFlow.js baseline), cost (eps x width), layers (where a step goes), scale. */
  sections: string;
  /** Hidden sizes N of the scaling experiment. */
  scaleNs: string;
  /** Samples timed per cell of the cost table. */
  costSamples: string;
  /** Thread counts of the wasm backend to time (default 1 and {@link defaultThreads}); cost and scale use the largest. */
  threads?: string;
  /** Internal: run one scaling point and print it as JSON (used in a child process). */
  scalePoint?: string;
  /** Input widths of the `wide` section, comma-separated. */
  wideFeatures?: string;
  /** Widths of the `wide` section also run with dense batches (the comparison), comma-separated; `none` for none. */
  wideDense?: string;
  /** Non-zeros per sample of the `wide` section's data. */
  wideNnz?: string;
  /** Internal: run one wide point (`FEATURES:sparse|dense`) and print it as JSON (used in a child process). */
  widePoint?: string;
}

/** Every section; `wide` (minutes, GiBs) only when asked for, not in the default list. */
const SECTIONS = ['epoch', 'dense', 'cost', 'layers', 'scale', 'wide'] as const;

/** Parses a comma-separated list of positive integers for option `name` (`none` or empty: no values). */
function intList(text: string, name: string): number[] {
  if (text === 'none' || text === '') return [];
  const xs = text.split(',').map((x) => Number(x.trim()));
  if (xs.some((n) => !Number.isInteger(n) || n < 1)) throw new ConfigError(`${name} must be positive integers, comma-separated, got ${text}`);
  return xs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The backends `--backend` names: every concrete backend for `all`, otherwise the one given. */
function benchBackends(name: string): string[] {
  return name === 'all' ? backendNames() : [name];
}

/** Training samples of a full fashion-mnist-set epoch (Fashion-MNIST's training set). */
const FULL_EPOCH_SAMPLES = 60000;
/** Samples per timed epoch with `--backend all` when `--limit` is not given (gpu.js modes run minutes per full epoch here). */
const ALL_BACKENDS_LIMIT = 2048;

/** Whether any of these names may run gpu.js's headless-gl mode (which needs an X display). */
function mayUseHeadlessGl(names: readonly string[]): boolean {
  return names.some((n) => n === 'gpujs' || n === 'auto' || n === 'gpujs:headlessgl');
}

/** One timed row of a backend and batch size. */
interface OpRow {
  readonly backend: string;
  readonly batch: number;
  readonly ms: Record<string, number>;
  readonly epochSeconds: number;
  /** Seconds per full epoch: measured, or scaled from the timed samples (linear in samples). */
  readonly fullEpochSeconds: number;
}

/** What every backend's measurement shares. */
interface BenchSetup {
  readonly epochs: number;
  readonly batches: readonly number[];
  readonly train: DenseDataset;
  readonly config: ReturnType<typeof parseRunConfig>;
  readonly log: (s: string) => void;
}

/** Measures one backend at every batch size: epochs, one evolution step, ms per op. */
async function benchBackend(backend: Backend, b: BenchSetup, rows: Record<string, unknown>[], opRows: OpRow[]): Promise<void> {
  const threads = backend.threads;
  const label = `${backend.name}:${backend.mode}${threads > 1 ? ` x${threads}` : ''}`;
  const { epochs, train, config, log } = b;
  const cpu = os.cpus();
  for (const batch of b.batches) {
    const model = mlp([784, ...config.model.hidden, 10], { ...config.model, seed: config.seed, backend });
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
    const evoMs = timeMs(() => {
      sparse.forEach((layer, l) => {
        if (layer.evolvable) evolveLayer(layer.weights, policy, ctx, l, rngFor(1, 'bench', l));
      });
    });

    // Milliseconds per op of one step; kernel GFLOP/s of the sparse products (2 * nnz * batch flops each).
    const activation = config.model.activation;
    const alpha = typeof activation === 'object' && activation.alpha !== undefined ? activation.alpha : 0.6;
    const ms = opMilliseconds(backend, sparse, batch, alpha);
    const flops = sparse.reduce((a, l) => a + 2 * l.connections * batch, 0);
    const gflops = { forward: flops / 1e6 / ms.spmmForward!, inputGrad: flops / 1e6 / ms.spmmInputGrad!, weightGrad: flops / 1e6 / ms.spmmWeightGrad! };
    const fullEpochSeconds = (epochSeconds * FULL_EPOCH_SAMPLES) / train.nSamples;
    opRows.push({ backend: label, batch, ms, epochSeconds, fullEpochSeconds });

    const row = {
      machine: `${cpu.length} x ${cpu[0]?.model ?? '?'}`,
      node: process.version,
      backend: `${backend.name}:${backend.mode}`,
      threads,
      batch,
      samples: train.nSamples,
      connections: model.connectionCount(),
      epochSeconds,
      epochSecondsAll: timed.map((e) => e.seconds),
      fullEpochSeconds,
      evolutionSecondsInEpoch: evolutionSeconds,
      evolutionStepSeconds: evoMs / 1000,
      samplesPerSecond: train.nSamples / epochSeconds,
      gflops,
      opMs: ms,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
    rows.push(row);
    log(
      `${threads > 1 ? `${threads} threads, ` : ''}batch ${String(batch).padStart(4)}: ${epochSeconds.toFixed(2)} s/epoch (median of ${epochs}), evolution step ${evoMs.toFixed(1)} ms, ` +
        `${Math.round(row.samplesPerSecond)} samples/s, GFLOP/s forward ${gflops.forward.toFixed(2)} inputGrad ${gflops.inputGrad.toFixed(2)} ` +
        `weightGrad ${gflops.weightGrad.toFixed(2)}, peak RSS ${row.peakRssMiB} MiB`,
    );
  }
}

/** Prints ms per op and s per epoch side by side, one column per backend and batch size. */
function printOpTable(opRows: readonly OpRow[], samples: number, log: (s: string) => void): void {
  const cols = opRows.map((r) => `${r.backend} b${r.batch}`);
  const width = Math.max(12, ...cols.map((c) => c.length + 2));
  log(`\nms per training step spent in each op (fashion-mnist-set shapes), and s per epoch:`);
  log('op'.padEnd(20) + cols.map((c) => c.padStart(width)).join(''));
  for (const op of BENCH_OPS) {
    log(op.padEnd(20) + opRows.map((r) => (r.ms[op] === undefined ? '-' : r.ms[op]!.toFixed(2)).padStart(width)).join(''));
  }
  log(`s/epoch (${samples})`.padEnd(20) + opRows.map((r) => r.epochSeconds.toFixed(2).padStart(width)).join(''));
  if (samples !== FULL_EPOCH_SAMPLES) {
    log(`s/epoch (${FULL_EPOCH_SAMPLES}, scaled)`.padEnd(20) + opRows.map((r) => r.fullEpochSeconds.toFixed(1).padStart(width)).join(''));
  }
  const ref = opRows.find((r) => r.backend === 'cpu:reference' && r.batch === opRows[0]!.batch);
  if (ref) log('s/epoch vs cpu'.padEnd(20) + opRows.map((r) => `${(r.epochSeconds / ref.epochSeconds).toFixed(1)}x`.padStart(width)).join(''));
}

/** Runs the benchmark. */
export async function benchCommand(o: BenchCommandOptions): Promise<void> {
  if (o.scalePoint !== undefined) {
    // Child process of the scaling table: one point, printed as one JSON line.
    const t = o.threads === undefined ? {} : { threads: Number(o.threads) };
    process.stdout.write(JSON.stringify(await scalePoint(Number(o.scalePoint), resolveBackend(o.backend, t).backend)) + '\n');
    return;
  }
  if (o.widePoint !== undefined) {
    // Child process of the wide table: one point, printed as one JSON line.
    const t = o.threads === undefined ? {} : { threads: Number(o.threads) };
    const { features, path: p } = parseWidePoint(o.widePoint);
    process.stdout.write(JSON.stringify(await widePoint(features, p, intList(o.wideNnz ?? '1000', '--wide-nnz')[0]!, resolveBackend(o.backend, t).backend)) + '\n');
    return;
  }
  const sections = o.sections.split(',').map((x) => x.trim());
  for (const sct of sections) {
    if (!(SECTIONS as readonly string[]).includes(sct)) throw new ConfigError(`--sections: unknown section "${sct}"; known: ${SECTIONS.join(', ')}`);
  }
  const scaleNs = o.scaleNs.split(',').map(Number);
  if (scaleNs.some((n) => !Number.isInteger(n) || n < 1)) throw new ConfigError(`--scale-ns must be positive integers, got ${o.scaleNs}`);
  const threadCounts = o.threads === undefined ? [...new Set([1, defaultThreads()])] : o.threads.split(',').map(Number);
  if (threadCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 64)) throw new ConfigError(`--threads must be integers from 1 to 64, got ${o.threads}`);
  const mainThreads = Math.max(...threadCounts);
  const costSamples = Number(o.costSamples);
  if (!Number.isInteger(costSamples) || costSamples < 1) throw new ConfigError(`--cost-samples must be a positive integer, got ${o.costSamples}`);
  const epochs = Number(o.epochs);
  const batches = o.batch.split(',').map(Number);
  if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`--epochs must be a positive integer, got ${o.epochs}`);
  if (batches.some((b) => !Number.isInteger(b) || b < 1)) throw new ConfigError(`--batch must be positive integers, got ${o.batch}`);
  const names = benchBackends(o.backend);
  const limit = o.limit === undefined ? (o.backend === 'all' ? ALL_BACKENDS_LIMIT : undefined) : Number(o.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new ConfigError(`--limit must be a positive integer, got ${o.limit}`);
  const config = parseRunConfig(preset('fashion-mnist-set'));
  let train: DenseDataset;
  if (o.data === 'synthetic') {
    train = syntheticClassification({ nSamples: limit ?? 60000, nFeatures: 784, nClasses: 10, seed: 1 });
  } else if (o.data === 'fashion-mnist') {
    train = loadRunData({ ...config.data, ...(limit ? { limit: { train: limit, test: 1 } } : {}) } as typeof config.data, config.seed).train;
  } else throw new ConfigError(`--data must be fashion-mnist or synthetic, got ${o.data}`);

  const cpu = os.cpus();
  const rows: Record<string, unknown>[] = [];
  const opRows: OpRow[] = [];
  const log = (s: string) => process.stderr.write(s + '\n');
  log(`synapses-ts bench: fashion-mnist-set network 784-1000-1000-1000-10, eps 20, ${train.nSamples} training samples (${o.data})`);
  log(`machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, node ${process.version}, backend ${o.backend}`);
  if (o.backend === 'all' && o.limit === undefined) {
    log(`--backend all: epochs timed on ${ALL_BACKENDS_LIMIT} samples and scaled to ${FULL_EPOCH_SAMPLES} (pass --limit to change)`);
  }
  // headless-gl needs an X display even off-screen: start a private Xvfb when there is none.
  const display = mayUseHeadlessGl(names) ? await startVirtualDisplay() : null;
  if (display && display.display !== null) log(`started a virtual display ${display.display} (Xvfb) for gpujs:headlessgl`);
  try {
    if (sections.includes('epoch')) for (const name of names) {
      // A backend that can use several threads (wasm; bit-identical results) is timed at each count.
      for (const [i, threads] of threadCounts.entries()) {
        let backend: Backend;
        try {
          const chosen = resolveBackend(name, { threads });
          backend = chosen.backend;
          if (chosen.fellBack && i === 0) log(`${name}: ${chosen.fellBack}`);
        } catch (e) {
          if (!(e instanceof BackendUnavailableError)) throw e;
          log(`${name}: unavailable: ${e.message}`);
          rows.push({ backend: name, unavailable: e.message });
          break;
        }
        // A single-threaded backend (its threads stay 1 whatever was asked) is timed once.
        if (i > 0 && backend.threads !== threads) break;
        log(`--- ${backend.name}:${backend.mode}${backend.threads > 1 ? ` with ${backend.threads} threads` : ''}`);
        await benchBackend(backend, { epochs, batches, train, config, log }, rows, opRows);
      }
    }
  } finally {
    if (display && display.display !== null) (display as { stop(): void }).stop();
  }
  if (opRows.length) printOpTable(opRows, train.nSamples, log);

  const result: Record<string, unknown> = {
    createdAt: new Date().toISOString(),
    machine: { cores: cpu.length, cpuModel: cpu[0]?.model ?? '?', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    rows,
  };
  if (sections.includes('dense')) {
    log(`\ndense baseline: the same network trained densely by TensorFlow.js (wasm backend, SIMD), ${DENSE_BATCHES} batches timed, extrapolated to ${FULL_EPOCH_SAMPLES} samples:`);
    const dense: unknown[] = [];
    for (const batch of batches) {
      const d = await denseBaseline(train, [784, ...config.model.hidden, 10], batch, DENSE_BATCHES, FULL_EPOCH_SAMPLES);
      dense.push(d);
      if ('unavailable' in d) {
        log(`dense baseline unavailable: ${d.unavailable}`);
        break;
      }
      const sparse = opRows.find((r) => r.batch === batch && !r.backend.startsWith('gpujs'));
      log(`batch ${String(batch).padStart(4)}: ${d.epochSeconds.toFixed(1)} s/epoch (${d.library}, ${d.backend}, ${d.weights} weights)` +
        (sparse ? `; sparse ${sparse.backend} ${sparse.fullEpochSeconds.toFixed(2)} s/epoch: ${(d.epochSeconds / sparse.fullEpochSeconds).toFixed(1)}x faster` : ''));
    }
    result.dense = dense;
  }
  const benchBackendName = o.backend === 'all' ? 'auto' : o.backend;
  if (sections.includes('cost')) result.cost = await costTable(resolveBackend(benchBackendName, { threads: mainThreads }).backend, [5, 10, 20, 50], [1000, 4000, 16000], costSamples, batches[0]!, log);
  if (sections.includes('layers')) {
    // The costliest and the cheapest cells of the cost table, per connection.
    result.layers = await layerProfiles(resolveBackend(benchBackendName, { threads: mainThreads }).backend, [[5, 16000], [50, 1000]], costSamples, batches[0]!, log);
  }
  if (sections.includes('scale')) result.scale = await scaleTable(scaleNs, benchBackendName, mainThreads, log);
  if (sections.includes('wide')) {
    const widths = intList(o.wideFeatures ?? '100000,1000000', '--wide-features');
    const dense = intList(o.wideDense ?? '100000,1000000', '--wide-dense');
    const nnz = intList(o.wideNnz ?? '1000', '--wide-nnz');
    if (nnz.length !== 1) throw new ConfigError(`--wide-nnz must be one positive integer, got ${o.wideNnz}`);
    result.wide = await wideTable(widths, dense, nnz[0]!, benchBackendName, mainThreads, log);
  }
  writeJsonAtomic(path.resolve(o.out), result);
  log(`\nresults written to ${o.out}`);
}

/** Batches the dense baseline times (then extrapolates). */
const DENSE_BATCHES = 60;
