/**
 * Checkpoints: everything needed to continue training exactly where it stopped.
 *
 * Format `synapses-ts/checkpoint`, version 1 (one JSON document, written atomically):
 * - `layers`: the network, as in the model file (sparse layers as CSR, never densified);
 * - `loss`, `optimizer` (its full spec), `policy` (the composed-form JSON);
 * - `optimizerState`: `{ steps, params: { [paramName]: base64 Float32Array[] } }` (per-connection state);
 * - `evolutionState`: the usage history of tracked layers (`{ [layer]: { rows, cols, rowPtr, colIdx } }`);
 * - `training`: `{ seed, step, epochsDone, plannedEpochs, selection?, fit? }` (`selection`: model selection's best
 *   epoch and early-stopping count, so a resumed run selects and stops as an uninterrupted one; `fit`: the last
 *   fit's monitor, early stopping, learning-rate schedule, batch size and planned epochs, as a record); Random numbers are drawn from streams named
 *   by (seed, purpose, epoch or step, layer), so the seed and the position ARE the generator state;
 * - `extra`: free JSON for the caller (the experiment runner keeps its config there);
 * - `sha256` over the rest.
 *
 * Loading checks the whole document (format, version, checksum, every layer and state array) before
 * building anything, so a bad file is rejected, never half-loaded.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import { policyFrom, policyToJson } from '../evolution/registry';
import { DenseLinear } from '../nn/dense-linear';
import type { Sequential } from '../nn/sequential';
import { SparseLinear } from '../nn/sparse-linear';
import { CsrMatrix } from '../sparse/csr';
import type { OptimizerSpec } from '../optim/optimizer';
import { Model, MONITORS, type FitSettings, type LossName, type Monitor, type SelectionState } from '../train/model';
import { version } from '../version';
import { writeFileAtomic } from './files';
import { b64, digest, f32, i32, layerRecord, ModelFileError, networkFrom, parseDocument, readText, type Rec } from './model-file';

/** The format tag of checkpoints. */
export const CHECKPOINT_FORMAT = 'synapses-ts/checkpoint';
/** The newest checkpoint version this toolkit reads and writes. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Serialises a compiled model's full training state. */
export function checkpointToJson(model: Model, extra: unknown = null): string {
  model.backend.memory.sync();
  const params = model.network.params();
  const state: Record<string, string[]> = {};
  for (const p of params) state[p.name] = model.optimizer.stateOf(p).map(b64);
  const evo: Record<string, Rec> = {};
  for (const [layer, w] of model.evolutionState.everUsed) evo[String(layer)] = { rows: w.rows, cols: w.cols, rowPtr: b64(w.rowPtr), colIdx: b64(w.colIdx) };
  const doc: Rec = {
    format: CHECKPOINT_FORMAT,
    formatVersion: CHECKPOINT_FORMAT_VERSION,
    toolkitVersion: version,
    seed: model.seed,
    loss: model.loss,
    layers: model.network.layers.map(layerRecord),
    optimizer: model.optimizer.spec,
    policy: policyToJson(model.policy),
    optimizerState: { steps: model.optimizer.steps, params: state },
    evolutionState: evo,
    training: {
      seed: model.seed, step: model.step, epochsDone: model.epochsDone, plannedEpochs: model.plannedEpochs,
      ...(model.selection ? { selection: { ...model.selection } } : {}),
      // How it was trained (monitor, early stopping, learning-rate schedule): a record, not read back into fit.
      ...(model.fitSettings ? { fit: model.fitSettings } : {}),
    },
    extra,
    sha256: '',
  };
  doc.sha256 = digest(doc);
  return JSON.stringify(doc);
}

/** A loaded checkpoint: the model, ready to continue with `fit`, and the caller's extra JSON. */
export interface LoadedCheckpoint {
  readonly model: Model;
  readonly extra: unknown;
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ModelFileError(`${what} is missing or not a non-negative integer`);
  return v;
}

/**
 * Rebuilds a model and its training state from checkpoint JSON.
 * @throws {@link ModelFileError} for invalid JSON, a foreign format, a newer version, a checksum mismatch,
 *   or any inconsistent part.
 */
export function checkpointFromJson(text: string, source = 'checkpoint', backend = 'cpu'): LoadedCheckpoint {
  const doc = parseDocument(text, source, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, 'checkpoint');
  const training = (doc.training ?? {}) as Rec;
  const seed = int(training.seed, `${source}: training.seed`);
  const step = int(training.step, `${source}: training.step`);
  const epochsDone = int(training.epochsDone, `${source}: training.epochsDone`);
  const plannedEpochs = int(training.plannedEpochs, `${source}: training.plannedEpochs`);
  const net = networkFrom(doc, source, backend);
  const model = new Model(net, seed);
  try {
    model.compile({ optimizer: doc.optimizer as OptimizerSpec, loss: doc.loss as LossName, policy: policyFrom(doc.policy as Rec) });
  } catch (e) {
    throw new ModelFileError(`${source}: ${(e as Error).message}`);
  }
  const os = (doc.optimizerState ?? {}) as Rec;
  const saved = (os.params ?? {}) as Record<string, unknown>;
  const params = net.params();
  const states = new Map(params.map((p) => {
    const arr = saved[p.name];
    if (!Array.isArray(arr)) throw new ModelFileError(`${source}: optimizer state of ${p.name} is missing`);
    return [p, arr.map((a, i) => f32(a, `${source}: optimizer state ${p.name}[${i}]`, p.values.length))] as const;
  }));
  try {
    model.optimizer.restore(int(os.steps, `${source}: optimizerState.steps`), (p) => states.get(p), params);
  } catch (e) {
    throw new ModelFileError(`${source}: ${(e as Error).message}`);
  }
  for (const [key, rec] of Object.entries((doc.evolutionState ?? {}) as Record<string, Rec>)) {
    const rowPtr = i32(rec.rowPtr, `${source}: evolutionState.${key}.rowPtr`);
    const colIdx = i32(rec.colIdx, `${source}: evolutionState.${key}.colIdx`);
    const w = new CsrMatrix(int(rec.rows, 'rows'), int(rec.cols, 'cols'), rowPtr, colIdx, new Float32Array(colIdx.length));
    try {
      w.validate();
    } catch (e) {
      throw new ModelFileError(`${source}: evolutionState.${key}: ${(e as Error).message}`);
    }
    model.evolutionState.everUsed.set(Number(key), w);
  }
  model.selection = selectionFrom(training.selection, source);
  if (training.fit !== undefined) model.fitSettings = training.fit as FitSettings;
  model.step = step;
  model.epochsDone = epochsDone;
  model.plannedEpochs = plannedEpochs;
  return { model, extra: doc.extra ?? null };
}

/** Model selection's saved state (absent in checkpoints of runs without validation, and in older ones). */
function selectionFrom(v: unknown, source: string): SelectionState | null {
  if (v === undefined || v === null) return null;
  const r = v as Rec;
  const num = (k: string) => {
    if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw new ModelFileError(`${source}: training.selection.${k} is missing or not a finite number`);
    return r[k] as number;
  };
  if (!(MONITORS as readonly unknown[]).includes(r.monitor)) throw new ModelFileError(`${source}: training.selection.monitor must be one of ${MONITORS.join(', ')}, got ${JSON.stringify(r.monitor)}`);
  return {
    monitor: r.monitor as Monitor, bestEpoch: int(r.bestEpoch, `${source}: training.selection.bestEpoch`), bestValue: num('bestValue'),
    stopReference: num('stopReference'), wait: int(r.wait, `${source}: training.selection.wait`), stopped: r.stopped === true,
  };
}

/** Saves a checkpoint atomically (a reader sees the old or the new file, never half of one). */
export function saveCheckpoint(model: Model, file: string, extra: unknown = null): void {
  writeFileAtomic(file, checkpointToJson(model, extra));
}

/**
 * Loads a checkpoint saved by {@link saveCheckpoint}.
 * @throws {@link ModelFileError} when the file is missing or invalid.
 */
export function loadCheckpoint(file: string, backend = 'cpu'): LoadedCheckpoint {
  return checkpointFromJson(readText(file, 'checkpoint'), file, backend);
}

/**
 * The architecture of a network, one entry per layer: `kind nIn->nOut` for linear layers, the kind alone
 * for the others, e.g. `['sparse-linear 784->1000', 'relu', 'sparse-linear 1000->10']`. Connections,
 * weights and rates are not part of it: they change in training or are settings.
 */
export function networkArchitecture(net: Sequential): string[] {
  return net.layers.map((l) => (l instanceof SparseLinear || l instanceof DenseLinear ? `${l.kind} ${l.nIn}->${l.nOut}` : l.kind));
}

/** What {@link mlpArchitecture} needs of a model config (the `model` part of a run config). */
export interface MlpArchitectureSpec {
  /** One spec for every linear layer, or one per linear layer (the kinds are all that matter here). */
  readonly sparsity: { readonly kind: string } | readonly { readonly kind: string }[];
  readonly activation: string | { readonly name: string };
  readonly dropout: number;
}

/** The architecture (see {@link networkArchitecture}) that nn/mlp builds for `sizes` and a model config. */
export function mlpArchitecture(sizes: readonly number[], model: MlpArchitectureSpec): string[] {
  const kindAt = (l: number): string => (Array.isArray(model.sparsity) ? (model.sparsity as readonly { readonly kind: string }[])[l]?.kind : (model.sparsity as { readonly kind: string }).kind) ?? 'sparse';
  const activation = typeof model.activation === 'string' ? model.activation : model.activation.name;
  const out: string[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    out.push(`${kindAt(l) === 'dense' ? 'dense-linear' : 'sparse-linear'} ${sizes[l]}->${sizes[l + 1]}`);
    if (l + 2 < sizes.length) {
      out.push(activation);
      if (model.dropout > 0) out.push('dropout');
    }
  }
  return out;
}

/**
 * Checks that a loaded checkpoint holds the network a config asks for, before a run resumes from it:
 * resuming a different network would mix two models' results in one folder.
 * @param file - the checkpoint, for the message.
 * @param expected - the config's architecture, e.g. {@link mlpArchitecture}(sizes, config.model).
 * @throws {@link ConfigError} naming the file and both architectures.
 */
export function checkCheckpointArchitecture(file: string, model: Model, expected: readonly string[]): void {
  const saved = networkArchitecture(model.network);
  if (saved.length === expected.length && saved.every((s, i) => s === expected[i])) return;
  throw new ConfigError(
    `cannot resume from ${file}: it holds the network [${saved.join(', ')}] but the config asks for ` +
      `[${expected.join(', ')}]; resume with the config that wrote it, or start over in another folder (or with --overwrite)`,
  );
}
