/**
 * The memory a run will need, estimated from its config and the shape of its data BEFORE anything large is
 * allocated, so that impossible work is refused at once with a clear message instead of growing until the
 * machine swaps or V8 dies with a raw RangeError.
 *
 * What is counted (bytes; float32 and int32 are 4 bytes each):
 * - `weights`: per sparse layer its values, column indices (one each per connection) and row pointers
 *   (`nOut + 1`); per dense layer `nIn * nOut` values. Connections follow from the sparsity config exactly as
 *   sparse/topology builds them: Erdos-Renyi's mean `p * nIn * nOut` with `p = eps (nIn + nOut) / (nIn nOut)`
 *   (dense when `p >= 1`), `round(density * nIn * nOut)`, the ERK densities, or dense;
 * - `biases`: one per output neuron of every linear layer (and SReLU's four parameters per neuron);
 * - `gradients`: one per parameter;
 * - `optimizer`: its state, one array per parameter for SGD (momentum), two for Adam;
 * - `activations`: the buffers each layer keeps (nn/layer's `Buffer`): forward outputs at the largest batch
 *   the run uses (training, or the evaluation batch of {@link EVALUATION_BATCH} when larger), input
 *   gradients, dropout outputs and masks at the training batch;
 * - `batches`: the training batch (inputs, labels, loss gradient, predictions) and the evaluation batch; the
 *   inputs are dense (`nFeatures * batch` floats) unless the data is stored sparsely and the first layer is
 *   sparse (not for loss `reconstruction`), when they are sparse batches (sparse/sparse-batch): the batch's
 *   non-zeros (8 bytes each, with the allocation's 25% headroom) and `nFeatures + 1` offsets, as `Model.fit`
 *   builds them;
 * - `data`: the loaded train and test sets (dense: samples x features; sparse: stored entries) and the
 *   per-epoch sample order;
 * - `evolutionState`: the usage history that ITOP-style policies keep per evolvable layer;
 * - `scratch`: the largest short-lived arrays of one layer: building its topology, or one evolution event
 *   (pruning keys, the pruned and regrown copies, the remapped optimizer state), or the float64 feature means
 *   of centred inputs (`model.centreInputs`, whose centre counts in `weights`).
 *
 * It is an estimate of the typed arrays, not of the JavaScript heap (a few tens of MB for the toolkit
 * itself), and it assumes the CPU reference's unfused layers, the most the other backends keep.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import { ConfigError } from '../core/errors';
import type { Dataset } from '../data/dataset';
import { SparseDataset } from '../data/sparse-dataset';
import { DenseDataset } from '../data/dataset';
import { policyFrom } from '../evolution/registry';
import { erdosRenyiProbability, erkDensities } from '../sparse/topology';
import type { SparsitySpec } from '../nn/mlp';
import type { RunConfig } from './config';

/** The batch size evaluation uses at least (`Model.evaluate`'s default, and validation's floor). */
export const EVALUATION_BATCH = 256;

/** Fraction of the machine's memory a run may plan to use: the rest is for the OS, V8's heap and others. */
export const MEMORY_SAFETY_FRACTION = 0.9;

/** The shape of a run's data, as far as memory is concerned. */
export interface DataShape {
  /** Input features (the first layer's size). */
  readonly nFeatures: number;
  /** Outputs of the network (the larger class count of train and test). */
  readonly nClasses: number;
  readonly trainSamples: number;
  readonly testSamples: number;
  /** Bytes held by the loaded data sets (see {@link datasetBytes}); 0 when not known. */
  readonly dataBytes: number;
  /**
   * Mean stored entries per sample when the training data is stored sparsely (a {@link SparseDataset}, which
   * gives sparse batches): the larger of the train and test means. Absent for dense data.
   */
  readonly nnzPerSample?: number;
}

/** The parts of a {@link MemoryEstimate}, in bytes (see the module comment for what each covers). */
export interface MemoryBreakdown {
  readonly weights: number;
  readonly biases: number;
  readonly gradients: number;
  readonly optimizer: number;
  readonly activations: number;
  readonly batches: number;
  readonly data: number;
  readonly evolutionState: number;
  readonly scratch: number;
}

/** One linear layer as the estimate sees it. */
export interface LayerEstimate {
  readonly nIn: number;
  readonly nOut: number;
  /** Expected connections (the mean for Erdos-Renyi; exact for the other kinds). */
  readonly connections: number;
  readonly dense: boolean;
}

/** What {@link estimateRunMemory} returns: the total, its parts and the layers it assumed. */
export interface MemoryEstimate {
  /** Total bytes: the sum of {@link MemoryEstimate.breakdown}. */
  readonly bytes: number;
  readonly breakdown: MemoryBreakdown;
  readonly layers: readonly LayerEstimate[];
}

/** The memory a run may use and where that number came from. */
export interface MemoryLimit {
  readonly bytes: number;
  /** e.g. `"--max-memory 8G"` or `"90% of this machine's 23.5 GiB"`. */
  readonly source: string;
}

const F32 = 4;
const I32 = 4;
const F64 = 8;

/**
 * Bytes of the typed arrays a loaded data set holds (features or sparse entries, and labels).
 * @example datasetBytes(loadMnist({ testSize: 2000 }).train) // 8000 * 784 * 4 + 8000 * 4
 */
export function datasetBytes(d: Dataset): number {
  if (d instanceof DenseDataset) return d.features.byteLength + d.labels.byteLength;
  if (d instanceof SparseDataset) return d.rowPtr.byteLength + d.featureIdx.byteLength + d.values.byteLength + d.labels.byteLength;
  // Another implementation: assume dense storage, the upper bound.
  return d.nSamples * (d.nFeatures * F32 + I32);
}

/** The {@link DataShape} of a run's loaded train and test sets (and validation part, when there is one). */
export function dataShapeOf(train: Dataset, test: Dataset, validation?: Dataset): DataShape {
  const mean = (d: Dataset): number => (d instanceof SparseDataset ? d.nnz / Math.max(1, d.nSamples) : d.nFeatures);
  return {
    nFeatures: train.nFeatures,
    nClasses: Math.max(train.nClasses, test.nClasses),
    trainSamples: train.nSamples,
    testSamples: test.nSamples + (validation?.nSamples ?? 0),
    dataBytes: datasetBytes(train) + datasetBytes(test) + (validation ? datasetBytes(validation) : 0),
    ...(train instanceof SparseDataset ? { nnzPerSample: Math.max(mean(train), mean(test), validation ? mean(validation) : 0) } : {}),
  };
}

/** The sparsity spec of linear layer `l` (a config's one spec for all, or its per-layer list). */
function specAt(sparsity: RunConfig['model']['sparsity'], l: number): SparsitySpec {
  return Array.isArray(sparsity) ? sparsity[l]! : (sparsity as SparsitySpec);
}

/** Connections of every linear layer, as mlpNetwork would build them for `sparsity`. */
function layerEstimates(sizes: readonly number[], specs: RunConfig['model']['sparsity']): LayerEstimate[] {
  const shapes = sizes.slice(0, -1).map((nIn, l) => ({ nIn, nOut: sizes[l + 1]! }));
  // erk is never an entry of a list (the config schema refuses it), only the one spec of all layers.
  const erk = !Array.isArray(specs) && specs.kind === 'erk' ? erkDensities(shapes, specs.density) : null;
  return shapes.map(({ nIn, nOut }, l) => {
    const total = nIn * nOut;
    const sparsity = specAt(specs, l);
    let density: number;
    switch (sparsity.kind) {
      case 'dense':
        return { nIn, nOut, connections: total, dense: true };
      case 'erdos-renyi':
        density = erdosRenyiProbability(nIn, nOut, sparsity.eps);
        break;
      case 'density':
        density = sparsity.density;
        break;
      case 'erk':
        density = erk![l]!;
        break;
    }
    return { nIn, nOut, connections: density >= 1 ? total : Math.round(density * total), dense: false };
  });
}

/** Whether the config's policy ever changes a topology, and whether it keeps a usage history (ITOP). */
function policyNeeds(config: RunConfig): { evolves: boolean; history: boolean } {
  try {
    const p = policyFrom(config.policy as never);
    return { evolves: p.trigger.name !== 'never' || p.importance !== undefined, history: Boolean(p.itop || p.regrow.needsHistory) };
  } catch {
    // An invalid policy is reported by compile with its own message; estimate as if it evolved.
    return { evolves: true, history: false };
  }
}

/**
 * Estimates the memory of a run from its config and data shape, without allocating anything large.
 * @param config - a parsed run config (defaults filled).
 * @param shape - the data's shape, e.g. {@link dataShapeOf}(train, test).
 * @returns the total bytes, the parts, and the layers assumed.
 * @example
 * const est = estimateRunMemory(parseRunConfig({ model: { hidden: [1e8, 1e8] } }), { nFeatures: 784, nClasses: 10, trainSamples: 8000, testSamples: 2000, dataBytes: 0 });
 * est.bytes > 1e11 // true: refused by checkRunMemory on any ordinary machine
 */
export function estimateRunMemory(config: RunConfig, shape: DataShape): MemoryEstimate {
  const sizes = [shape.nFeatures, ...config.model.hidden, shape.nClasses];
  const layers = layerEstimates(sizes, config.model.sparsity);
  const batch = config.training.batchSize;
  const evalBatch = Math.max(batch, EVALUATION_BATCH);
  const slots = config.optimizer.name === 'adam' ? 2 : 1;
  const srelu = (typeof config.model.activation === 'string' ? config.model.activation : config.model.activation.name) === 'srelu';
  const dropout = config.model.dropout > 0;
  const needs = policyNeeds(config);

  let weights = 0, biases = 0, activations = 0, evolutionState = 0, scratch = 0, params = 0;
  layers.forEach(({ nIn, nOut, connections, dense }, l) => {
    const hidden = l < layers.length - 1;
    // A sparse layer that came out fully connected is not evolvable (SparseLinear.evolvable).
    const evolvable = !dense && connections < nIn * nOut;
    weights += dense ? connections * F32 : connections * (F32 + I32) + (nOut + 1) * I32;
    const b = nOut + (hidden && srelu ? 4 * nOut : 0);
    biases += b * F32;
    // Centred inputs (model.centreInputs): the first layer keeps the centre (one float per input) and the
    // folded bias `b - W c`; the means are summed in float64 first (features/centring).
    if (l === 0 && config.model.centreInputs) {
      weights += nIn * F32;
      biases += nOut * F32;
      scratch = Math.max(scratch, nIn * F64);
    }
    params += connections + b;
    // Forward output at the largest batch; input gradient (never for the first layer) at the training batch.
    activations += nOut * evalBatch * F32 + (l > 0 ? nIn * batch * F32 : 0);
    if (hidden) {
      activations += 2 * nOut * evalBatch * F32; // activation output (forward) and input gradient
      if (dropout) activations += nOut * batch * (2 * F32 + 1); // dropout output, input gradient, mask
    }
    if (evolvable && needs.history) evolutionState += (connections + nOut + 1) * I32;
    // Building the topology: Erdos-Renyi's growing column array (1.1x, then copied), or the sorted ranks.
    const build = dense ? 0 : specAt(config.model.sparsity, l).kind === 'erdos-renyi' ? (1.1 * connections + 64) * I32 : connections * F64;
    // One evolution event of this layer: pruning keys (f64), the pruned copy (col, value, origin), the regrown
    // layer (col, value, map), its fresh gradient and the remapped optimizer state.
    const evolve = evolvable && needs.evolves ? connections * (F64 + 3 * 4 + 3 * 4 + F32 + slots * F32) + 2 * (nOut + 1) * I32 : 0;
    scratch = Math.max(scratch, build, evolve);
  });
  const gradients = params * F32;
  const optimizer = slots * params * F32;
  const nIn = shape.nFeatures, nOut = shape.nClasses;
  // Training batch: x, y, loss gradient, predictions; evaluation batch: the same at the evaluation size.
  // Sparse batches (Model.fit's sparse path): non-zeros with SparseBatch's 25% headroom, and the offsets.
  const sparseInput = shape.nnzPerSample !== undefined && specAt(config.model.sparsity, 0).kind !== 'dense' && config.loss !== 'reconstruction';
  const inputBytes = (b: number): number => (sparseInput ? (1.25 * shape.nnzPerSample! * b + 16) * (F32 + I32) + (nIn + 1) * I32 : nIn * b * F32);
  const batches = inputBytes(batch) + inputBytes(evalBatch) + nOut * (batch + evalBatch) * F32 + 2 * (batch + evalBatch) * I32;
  const data = shape.dataBytes + (shape.trainSamples + shape.testSamples) * I32;
  const breakdown: MemoryBreakdown = { weights, biases, gradients, optimizer, activations, batches, data, evolutionState, scratch };
  const bytes = Object.values(breakdown).reduce((a, v) => a + v, 0);
  return { bytes: Math.ceil(bytes), breakdown, layers };
}

/**
 * The memory a run may use: `maxMemoryBytes` when given, else {@link MEMORY_SAFETY_FRACTION} of this
 * machine's memory (the smaller of `os.totalmem()` and a cgroup limit, `process.constrainedMemory()`).
 */
export function memoryLimit(maxMemoryBytes?: number): MemoryLimit {
  if (maxMemoryBytes !== undefined) {
    if (!(Number.isFinite(maxMemoryBytes) && maxMemoryBytes > 0)) {
      throw new ConfigError(`the memory limit must be a positive number of bytes, got ${maxMemoryBytes}`);
    }
    return { bytes: maxMemoryBytes, source: `the limit of ${formatBytes(maxMemoryBytes)} (--max-memory / maxMemoryBytes)` };
  }
  const total = os.totalmem();
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const machine = constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
  const what = machine === total ? "this machine's" : "this process's cgroup limit of";
  return {
    bytes: Math.floor(machine * MEMORY_SAFETY_FRACTION),
    source: `${Math.round(MEMORY_SAFETY_FRACTION * 100)}% of ${what} ${formatBytes(machine)} (raise or lower it with --max-memory)`,
  };
}

/**
 * Refuses a run whose estimate exceeds the limit, before anything large is allocated.
 * @throws {@link ConfigError} naming the estimate, its largest parts, the layer sizes and the limit.
 */
export function checkRunMemory(estimate: MemoryEstimate, limit: MemoryLimit): void {
  if (estimate.bytes <= limit.bytes) return;
  const parts = Object.entries(estimate.breakdown)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${formatBytes(v)}`)
    .join(', ');
  const sizes = [estimate.layers[0]?.nIn ?? 0, ...estimate.layers.map((l) => l.nOut)].join('-');
  const connections = estimate.layers.reduce((a, l) => a + l.connections, 0);
  throw new ConfigError(
    `this run needs an estimated ${formatBytes(estimate.bytes)} of memory (${parts}) for a ${sizes} network with ` +
      `${connections.toExponential(2)} connections, more than ${limit.source}, ${formatBytes(limit.bytes)}; ` +
      `use smaller layers (model.hidden), a sparser model or a smaller batch, or set --max-memory if you know it fits`,
  );
}

/** What {@link planRunMemory} returns: the estimate and the limit it was checked against (for manifests). */
export interface MemoryPlan {
  readonly estimate: MemoryEstimate;
  readonly limit: MemoryLimit;
}

/**
 * Estimates a run's memory from its config and loaded data and refuses it when it exceeds the limit: call it
 * after loading the data and before building the model.
 * @param maxMemoryBytes - the limit (`--max-memory`); default {@link memoryLimit}'s share of this machine.
 * @throws {@link ConfigError} from {@link checkRunMemory}.
 */
export function planRunMemory(config: RunConfig, data: { train: Dataset; validation?: Dataset | undefined; test: Dataset }, maxMemoryBytes?: number): MemoryPlan {
  const estimate = estimateRunMemory(config, dataShapeOf(data.train, data.test, data.validation));
  const limit = memoryLimit(maxMemoryBytes);
  checkRunMemory(estimate, limit);
  return { estimate, limit };
}

/** One line for run summaries: `memory: estimated 1.2 GiB (weights 400 MiB, ...) of a limit of 21 GiB`. */
export function describeMemory(estimate: MemoryEstimate, limit?: MemoryLimit): string {
  const parts = Object.entries(estimate.breakdown)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, v]) => `${k} ${formatBytes(v)}`)
    .join(', ');
  return `memory: estimated ${formatBytes(estimate.bytes)} (${parts})${limit ? `, limit ${formatBytes(limit.bytes)}` : ''}`;
}

const UNITS: Record<string, number> = { '': 1, B: 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/**
 * Parses a memory size as `--max-memory` takes it: a number of bytes with an optional binary unit
 * K, M, G or T (optionally followed by `B` or `iB`, any case), e.g. `8G`, `512M`, `1.5GiB`, `1048576`.
 * @throws {@link ConfigError} for anything else.
 */
export function parseMemorySize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  const unit = m ? m[2]!.toUpperCase() : '';
  const bytes = m ? Math.floor(Number(m[1]) * UNITS[unit]!) : NaN;
  if (!m || !(bytes > 0) || (m[3] !== undefined && unit === '' && m[3].toLowerCase() !== 'b')) {
    throw new ConfigError(`invalid memory size "${text}"; expected a positive number with an optional unit K, M, G or T, e.g. 8G or 512M`);
  }
  return bytes;
}

/** Bytes in binary units with three significant digits: `512 B`, `1.50 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${Math.round(v)} B` : `${v.toPrecision(3)} ${units[u]}`;
}
