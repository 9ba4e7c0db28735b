/**
 * The `wide` section of the bench: very wide sparse inputs (10^5 to 10^6 features, as LIBSVM text or
 * genotype data) fed to a sparse first layer as sparse batches (sparse/sparse-batch), against the same run
 * fed dense batches (`nFeatures * batch` floats, what `Model.fit` did before sparse batches).
 *
 * Each point runs in a child process (`synapses-ts bench --wide-point F:PATH`) so that its peak memory
 * (the process's maximum resident set, Linux VmHWM) is its own: build time (data generation excluded),
 * seconds of one training epoch, seconds of one SET evolution event of every layer, and peak memory.
 *
 * Data: `nSamples` samples with `nnz` distinct features each, uniform over the width (as bag-of-words
 * data), values uniform in (0, 1]; two classes from a sparse linear teacher over the first 1% of the
 * features (the timing does not depend on the labels). Network: F-100-2, Erdos-Renyi eps 5, ReLU, SGD,
 * batch 32, the SET policy.
 *
 * @packageDocumentation
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Backend } from '../backend/backend';
import { ConfigError } from '../core/errors';
import { rngFor } from '../core/rng';
import type { Dataset } from '../data/dataset';
import { SparseDataset } from '../data/sparse-dataset';
import { sampleSortedDistinct } from '../sparse/sampling';
import { mlp } from '../train/model';

/** The shape of the wide runs (fixed, so that points compare). */
export const WIDE_SETUP = { nSamples: 2048, hidden: 100, eps: 5, batch: 32 } as const;

/** How a point's batches reach the first layer. */
export type WidePath = 'sparse' | 'dense';

/** The figures of one wide point. */
export interface WidePoint {
  readonly features: number;
  readonly path: WidePath;
  readonly nnzPerSample: number;
  readonly samples: number;
  readonly connections: number;
  /** Building the network (topology and initial weights) and compiling it; data generation excluded. */
  readonly buildSeconds: number;
  /** One training epoch (every sample once), evolution excluded. */
  readonly epochSeconds: number;
  /** The SET evolution event after that epoch (every evolvable layer). */
  readonly evolutionSeconds: number;
  /** Peak resident memory of the whole process (data included), GiB. */
  readonly peakMemoryGiB: number;
  /** Bytes of the data set's arrays. */
  readonly dataBytes: number;
  readonly backend: string;
  readonly threads: number;
}

/** Synthetic wide sparse data (see the module comment). */
export function wideSparseData(nFeatures: number, nSamples: number, nnz: number, seed: number): SparseDataset {
  if (!(Number.isInteger(nnz) && nnz >= 1 && nnz <= nFeatures)) throw new ConfigError(`--wide-nnz must be an integer in [1, ${nFeatures}], got ${nnz}`);
  const rowPtr = new Int32Array(nSamples + 1);
  const idx = new Int32Array(nSamples * nnz), val = new Float32Array(nSamples * nnz);
  const labels = new Int32Array(nSamples);
  const teacherWidth = Math.max(1, Math.floor(nFeatures / 100));
  const teacher = rngFor(seed, 'wide', 'teacher');
  const w = Float64Array.from({ length: teacherWidth }, () => teacher.normal());
  for (let s = 0; s < nSamples; s++) {
    const rng = rngFor(seed, 'wide', 'sample', s);
    const picked = sampleSortedDistinct(nFeatures, nnz, rng);
    let score = 0;
    for (let k = 0; k < nnz; k++) {
      const f = picked[k]!, v = Math.fround(1 - rng.float());
      idx[s * nnz + k] = f;
      val[s * nnz + k] = v;
      if (f < teacherWidth) score += w[f]! * v;
    }
    rowPtr[s + 1] = (s + 1) * nnz;
    labels[s] = score > 0 ? 1 : 0;
  }
  return new SparseDataset(`wide-${nFeatures}`, rowPtr, idx, val, labels, nFeatures, 2);
}

/** `d` without its sparse batches: `Model.fit` then gathers dense `nFeatures * batch` batches (the comparison). */
function denseView(d: SparseDataset): Dataset {
  return {
    name: d.name, nSamples: d.nSamples, nFeatures: d.nFeatures, nClasses: d.nClasses, labels: d.labels,
    gather: (indices, start, count, x, y) => d.gather(indices, start, count, x, y),
  };
}

/** Runs one wide point in this process (called in a child process by {@link wideTable}). */
export async function widePoint(nFeatures: number, path: WidePath, nnz: number, backend: Backend): Promise<WidePoint> {
  const { nSamples, hidden, eps, batch } = WIDE_SETUP;
  const data = wideSparseData(nFeatures, nSamples, nnz, 1);
  const t0 = performance.now();
  const model = mlp([nFeatures, hidden, 2], { sparsity: { kind: 'erdos-renyi', eps }, activation: 'relu', seed: 1, backend });
  model.compile({ optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9 }, policy: 'set' });
  const t1 = performance.now();
  // Two epochs: SET evolves after the first (not after the last); the first epoch's figures are the point's.
  const history = await model.fit(path === 'sparse' ? data : denseView(data), { epochs: 2, batchSize: batch, verbose: 0 });
  const e = history.epochs[0]!;
  return {
    features: nFeatures, path, nnzPerSample: nnz, samples: nSamples, connections: model.connectionCount(),
    buildSeconds: (t1 - t0) / 1000, epochSeconds: e.seconds - e.evolutionSeconds, evolutionSeconds: e.evolutionSeconds,
    peakMemoryGiB: process.resourceUsage().maxRSS / 2 ** 20,
    dataBytes: data.rowPtr.byteLength + data.featureIdx.byteLength + data.values.byteLength + data.labels.byteLength,
    backend: `${backend.name}:${backend.mode}`, threads: backend.threads,
  };
}

/** Parses `--wide-point F:PATH`. */
export function parseWidePoint(spec: string): { features: number; path: WidePath } {
  const m = /^(\d+):(sparse|dense)$/.exec(spec);
  if (!m) throw new ConfigError(`--wide-point must be FEATURES:sparse or FEATURES:dense, got ${spec}`);
  return { features: Number(m[1]), path: m[2] as WidePath };
}

/**
 * Runs every width with sparse batches and, where `dense` lists it, with dense batches too, each in a child
 * process, and prints the table.
 */
export async function wideTable(
  widths: readonly number[], dense: readonly number[], nnz: number, backendName: string, threads: number, log: (s: string) => void,
): Promise<(WidePoint | { features: number; path: WidePath; error: string })[]> {
  const run = promisify(execFile);
  const { nSamples, hidden, eps, batch } = WIDE_SETUP;
  const out: (WidePoint | { features: number; path: WidePath; error: string })[] = [];
  log(`\nwide sparse inputs (F-${hidden}-2, eps ${eps}, ${nSamples} samples with ${nnz} non-zeros each, batch ${batch}, SET, ${threads} thread${threads > 1 ? 's' : ''}; one process per row):`);
  log('features'.padStart(9) + 'input'.padStart(9) + 'connections'.padStart(13) + 'build s'.padStart(9) + 'epoch s'.padStart(9) + 'evolve s'.padStart(10) + 'peak GiB'.padStart(10) + 'data GiB'.padStart(10));
  const points = widths.flatMap((f) => [{ f, path: 'sparse' as const }, ...(dense.includes(f) ? [{ f, path: 'dense' as const }] : [])]);
  for (const { f, path } of points) {
    try {
      const r = await run(
        process.execPath,
        ['--max-old-space-size=16384', process.argv[1]!, 'bench', '--wide-point', `${f}:${path}`, '--wide-nnz', String(nnz), '--backend', backendName, '--threads', String(threads)],
        { maxBuffer: 1 << 24 },
      );
      const p = JSON.parse(r.stdout.trim().split('\n').pop()!) as WidePoint;
      out.push(p);
      log(String(f).padStart(9) + path.padStart(9) + String(p.connections).padStart(13) + p.buildSeconds.toFixed(2).padStart(9) + p.epochSeconds.toFixed(2).padStart(9) +
        p.evolutionSeconds.toFixed(2).padStart(10) + p.peakMemoryGiB.toFixed(2).padStart(10) + (p.dataBytes / 2 ** 30).toFixed(3).padStart(10));
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr || (e as Error).message).split('\n').slice(-3).join(' ');
      out.push({ features: f, path, error: msg });
      log(`${String(f).padStart(9)}${path.padStart(9)}  failed: ${msg}`);
    }
  }
  return out;
}
