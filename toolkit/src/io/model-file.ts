/**
 * The model file: a network's architecture and parameters in one JSON document, sparse layers stored
 * as CSR (never densified), typed arrays as base64 of their little-endian bytes, protected by a
 * SHA-256 checksum. Written atomically.
 *
 * Format `synapses-ts/model`, version 1:
 * `{ format, formatVersion, toolkitVersion, seed, loss, layers: LayerRecord[], sha256 }` where
 * `sha256` is the hex digest of the same JSON with `sha256` set to `""`.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UnaryOp } from '../backend/backend';
import { getBackend } from '../backend/registry';
import { ConfigError, registerErrorType, SynapsesError } from '../core/errors';
import { CsrMatrix } from '../sparse/csr';
import { SRelu, Softmax, UnaryActivation } from '../nn/activation';
import { DenseLinear } from '../nn/dense-linear';
import { Dropout } from '../nn/dropout';
import type { Layer } from '../nn/layer';
import { Sequential } from '../nn/sequential';
import { SparseLinear } from '../nn/sparse-linear';
import { rngFor } from '../core/rng';
import { Model, type LossName } from '../train/model';
import { version } from '../version';
import { writeFileAtomic } from './files';

/** The format tag of model files. */
export const MODEL_FORMAT = 'synapses-ts/model';
/** The newest model format version this toolkit reads and writes. */
export const MODEL_FORMAT_VERSION = 1;

/** A model file that cannot be read: missing, truncated, corrupted, foreign or from a newer toolkit. */
export class ModelFileError extends SynapsesError {}
// So that a corrupt checkpoint found in an ablation worker reaches the main thread as a ModelFileError.
registerErrorType(ModelFileError);

/** A JSON object. */
export type Rec = Record<string, unknown>;

/** Base64 of a typed array's little-endian bytes. */
export function b64(a: Int32Array | Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}
/** Decodes a base64 Float32Array, checking its length when given. */
export function f32(s: unknown, what: string, length?: number): Float32Array {
  const a = decode(s, what, 4);
  const out = new Float32Array(a.byteLength / 4);
  new Uint8Array(out.buffer).set(a);
  if (length !== undefined && out.length !== length) throw new ModelFileError(`${what} has ${out.length} values, expected ${length}`);
  return out;
}
/** Decodes a base64 Int32Array. */
export function i32(s: unknown, what: string): Int32Array {
  const a = decode(s, what, 4);
  const out = new Int32Array(a.byteLength / 4);
  new Uint8Array(out.buffer).set(a);
  return out;
}
function decode(s: unknown, what: string, width: number): Uint8Array {
  if (typeof s !== 'string') throw new ModelFileError(`${what} is missing or not a base64 string`);
  const bytes = Buffer.from(s, 'base64');
  if (bytes.byteLength % width !== 0) throw new ModelFileError(`${what} has ${bytes.byteLength} bytes, not a multiple of ${width}`);
  return bytes;
}

/** `"layers.0.weight"` -> `"layers.0"`. */
function prefix(paramName: string): string {
  return paramName.slice(0, paramName.lastIndexOf('.'));
}

/** The JSON record of one layer. */
export function layerRecord(layer: Layer): Rec {
  if (layer instanceof SparseLinear) {
    const w = layer.weights;
    return { kind: 'sparse-linear', name: prefix(layer.weight.name), nIn: w.cols, nOut: w.rows, evolvable: layer.evolvable, rowPtr: b64(w.rowPtr), colIdx: b64(w.colIdx), values: b64(w.values), bias: b64(layer.bias.values), ...inputCentreRecord(layer) };
  }
  if (layer instanceof DenseLinear) {
    return { kind: 'dense-linear', name: prefix(layer.weight.name), nIn: layer.nIn, nOut: layer.nOut, weights: b64(layer.weight.values), bias: b64(layer.bias.values) };
  }
  if (layer instanceof UnaryActivation) return { kind: 'unary', name: layer.kind, op: layer.op, alpha: layer.alpha, n: layer.n };
  if (layer instanceof SRelu) return { kind: 'srelu', name: prefix(layer.params()[0]!.name), n: layer.n, tl: b64(layer.p.tl), al: b64(layer.p.al), tr: b64(layer.p.tr), ar: b64(layer.p.ar) };
  if (layer instanceof Softmax) return { kind: 'softmax', n: layer.n };
  if (layer instanceof Dropout) return { kind: 'dropout', n: layer.n, rate: layer.rate, index: layer.index };
  throw new ModelFileError(`cannot save a layer of kind "${layer.kind}"`);
}

function num(r: Rec, key: string, what: string): number {
  const v = r[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFileError(`${what}.${key} is missing or not a number`);
  return v;
}

/** Rebuilds one layer from its record, validating it. */
export function layerFrom(r: Rec, l: number): Layer {
  const what = `layers[${l}]`;
  switch (r.kind) {
    case 'sparse-linear': {
      const nIn = num(r, 'nIn', what), nOut = num(r, 'nOut', what);
      const values = f32(r.values, `${what}.values`);
      let w: CsrMatrix;
      try {
        w = new CsrMatrix(nOut, nIn, i32(r.rowPtr, `${what}.rowPtr`), i32(r.colIdx, `${what}.colIdx`), values);
        w.validate();
      } catch (e) {
        throw new ModelFileError(`${what}: invalid sparse matrix: ${(e as Error).message}`);
      }
      const layer = new SparseLinear(w, String(r.name ?? `layers.${l}`), f32(r.bias, `${what}.bias`, nOut));
      layer.evolvable = r.evolvable !== false && layer.evolvable;
      restoreInputCentre(layer, r, what);
      return layer;
    }
    case 'dense-linear': {
      const nIn = num(r, 'nIn', what), nOut = num(r, 'nOut', what);
      const layer = new DenseLinear(nIn, nOut, f32(r.weights, `${what}.weights`, nIn * nOut), String(r.name ?? `layers.${l}`));
      layer.bias.values.set(f32(r.bias, `${what}.bias`, nOut));
      return layer;
    }
    case 'unary': {
      const ops: UnaryOp[] = ['identity', 'relu', 'leaky-relu', 'tanh', 'sigmoid'];
      if (!ops.includes(r.op as UnaryOp)) throw new ModelFileError(`${what}.op "${String(r.op)}" is not one of ${ops.join(', ')}`);
      return new UnaryActivation(num(r, 'n', what), r.op as UnaryOp, num(r, 'alpha', what), String(r.name ?? r.op));
    }
    case 'srelu': {
      const n = num(r, 'n', what);
      const layer = new SRelu(n, rngFor(0), String(r.name ?? `activations.${l}`));
      for (const k of ['tl', 'al', 'tr', 'ar'] as const) layer.p[k].set(f32(r[k], `${what}.${k}`, n));
      return layer;
    }
    case 'softmax':
      return new Softmax(num(r, 'n', what));
    case 'dropout':
      return new Dropout(num(r, 'n', what), num(r, 'rate', what), num(r, 'index', what));
    default:
      throw new ModelFileError(`${what}.kind "${String(r.kind)}" is not a known layer kind`);
  }
}

/**
 * The input centre of a sparse layer (see {@link SparseLinear.setInputCentre}) as an optional `inputCentre`
 * field of its record (base64 Float32, one value per input); nothing for an uncentred layer, so files of
 * uncentred models are unchanged. The centre changes what the layer computes, so a model or checkpoint
 * without it would predict, and resume, differently.
 */
export function inputCentreRecord(layer: SparseLinear): { inputCentre?: string } {
  const c = layer.inputCentre;
  return c === null ? {} : { inputCentre: b64(c) };
}

/**
 * Sets a rebuilt sparse layer's input centre from its record's `inputCentre` (absent: uncentred, as every
 * file written before centring existed).
 * @throws {@link ModelFileError} for a centre that is not base64 Float32, has not one value per input, or
 *   holds a non-finite value.
 */
export function restoreInputCentre(layer: SparseLinear, r: Rec, what: string): void {
  if (r.inputCentre === undefined) return;
  const c = f32(r.inputCentre, `${what}.inputCentre`);
  if (c.length !== layer.nIn) throw new ModelFileError(`${what}.inputCentre has ${c.length} values, expected one per input of the layer (nIn = ${layer.nIn})`);
  const bad = c.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new ModelFileError(`${what}.inputCentre[${bad}] is ${c[bad]}; expected a finite mean of input ${bad}`);
  layer.setInputCentre(c);
}

/** SHA-256 of a document with its `sha256` field blanked. */
export function digest(doc: Rec): string {
  return createHash('sha256').update(JSON.stringify({ ...doc, sha256: '' })).digest('hex');
}

/** Serialises a model to the model-file JSON text. */
export function modelToJson(model: Model): string {
  model.backend.memory.sync();
  const doc: Rec = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    toolkitVersion: version,
    seed: model.seed,
    loss: model.loss,
    layers: model.network.layers.map(layerRecord),
    sha256: '',
  };
  doc.sha256 = digest(doc);
  return JSON.stringify(doc);
}

/**
 * Rebuilds a model from model-file JSON text. Everything is checked before anything is built.
 * @throws {@link ModelFileError} for text that is not JSON, a foreign format, a newer version, a checksum
 *   mismatch or an invalid layer.
 */
export function modelFromJson(text: string, source = 'model file', backend = 'cpu'): Model {
  const doc = parseDocument(text, source, MODEL_FORMAT, MODEL_FORMAT_VERSION, 'model file');
  const model = new Model(networkFrom(doc, source, backend), typeof doc.seed === 'number' ? doc.seed : 0);
  model.compile({ loss: (doc.loss as LossName) ?? 'cross-entropy' });
  return model;
}

/**
 * Parses and checks a versioned, checksummed document: valid JSON, the expected format tag, a version this
 * toolkit reads, an intact checksum. Nothing is built before all of these hold.
 * @throws {@link ModelFileError} naming what is wrong.
 */
export function parseDocument(text: string, source: string, format: string, newest: number, kind: string): Rec {
  let doc: Rec;
  try {
    doc = JSON.parse(text) as Rec;
  } catch {
    throw new ModelFileError(`${source} is not valid JSON (truncated or corrupted?)`);
  }
  if (typeof doc !== 'object' || doc === null || doc.format !== format) {
    throw new ModelFileError(`${source} is not a synapses-ts ${kind} (format is ${JSON.stringify((doc as Rec | null)?.format)}, expected "${format}")`);
  }
  if (typeof doc.formatVersion !== 'number' || doc.formatVersion > newest || doc.formatVersion < 1) {
    throw new ModelFileError(`${source} has format version ${String(doc.formatVersion)}; this toolkit (${version}) reads versions 1 to ${newest}`);
  }
  if (doc.sha256 !== digest(doc)) throw new ModelFileError(`${source} failed its checksum: the file is corrupted`);
  return doc;
}

/** Rebuilds the network of a parsed model or checkpoint document. */
export function networkFrom(doc: Rec, source: string, backend: string): Sequential {
  if (!Array.isArray(doc.layers) || doc.layers.length === 0) throw new ModelFileError(`${source} has no layers`);
  const layers = (doc.layers as Rec[]).map(layerFrom);
  try {
    return new Sequential(layers, getBackend(backend));
  } catch (e) {
    throw new ModelFileError(`${source}: ${(e as Error).message}`);
  }
}

/** Reads a whole file as text, or throws {@link ModelFileError} naming it. */
export function readText(file: string, kind: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ModelFileError(`cannot read ${kind} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** Saves a model atomically to `file` (see the format above). */
export function saveModel(model: Model, file: string): void {
  writeFileAtomic(file, modelToJson(model));
}

/** The format tag of the manifest of a saved-model folder. */
export const SAVED_MODEL_FORMAT = 'synapses-ts/saved-model';
/** The newest saved-model manifest version this toolkit reads and writes. */
export const SAVED_MODEL_FORMAT_VERSION = 1;
/** The model file of a saved-model folder (and of a run folder). */
export const MODEL_FILE = 'model.json';
/** The manifest of a saved-model folder. */
export const SAVED_MODEL_MANIFEST = 'saved-model.json';

/** What `saved-model.json` holds besides its format fields. */
export interface SavedModelManifest {
  readonly toolkitVersion: string;
  readonly savedAt: string;
  /** The model file, relative to the folder, and the SHA-256 of its bytes (checked on load). */
  readonly modelFile: string;
  readonly modelSha256: string;
  /** Inputs, then the outputs of every linear layer. */
  readonly sizes: readonly number[];
  readonly connectionsPerLayer: readonly number[];
  readonly connections: number;
  readonly loss: string;
  readonly seed: number;
  /** The backend the model was on when saved (`name:mode`); a loaded model runs on the backend asked for. */
  readonly backend: string;
  /** Epochs and steps trained when saved. */
  readonly epochsDone: number;
  readonly step: number;
}

/**
 * Saves a model into folder `dir` (created if needed): `model.json` (the model file) and then
 * `saved-model.json` (a small manifest, see {@link SavedModelManifest}), each written atomically. This is
 * what `model.save(dir)` does.
 * @throws {@link ConfigError} when `dir` holds a training run (`manifest.json`): its `model.json` must stay
 *   the model its results describe.
 */
export function saveModelDir(model: Model, dir: string): void {
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new ConfigError(`cannot save a model into ${dir}: it holds a training run (manifest.json), whose model.json must stay the one its results describe; save into another folder`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const text = modelToJson(model);
  writeFileAtomic(path.join(dir, MODEL_FILE), text);
  const linear = model.network.linearLayers();
  const doc: Rec = {
    format: SAVED_MODEL_FORMAT,
    formatVersion: SAVED_MODEL_FORMAT_VERSION,
    toolkitVersion: version,
    savedAt: new Date().toISOString(),
    modelFile: MODEL_FILE,
    modelSha256: sha256(text),
    sizes: [model.network.nIn, ...linear.map((l) => l.nOut)],
    connectionsPerLayer: model.connectionsPerLayer(),
    connections: model.connectionCount(),
    loss: model.loss,
    seed: model.seed,
    backend: `${model.backend.name}:${model.backend.mode}`,
    epochsDone: model.epochsDone,
    step: model.step,
    sha256: '',
  } satisfies Rec & SavedModelManifest;
  doc.sha256 = digest(doc);
  writeFileAtomic(path.join(dir, SAVED_MODEL_MANIFEST), JSON.stringify(doc, null, 2) + '\n');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Reads the manifest of a saved-model folder, checking it and that `model.json` is the file it was saved with.
 * @returns the manifest, or null when the folder has none (a run folder, or a bare `model.json`).
 * @throws {@link ModelFileError} for an invalid manifest or a model file that does not match it.
 */
export function readSavedModelManifest(dir: string): SavedModelManifest | null {
  const file = path.join(dir, SAVED_MODEL_MANIFEST);
  if (!fs.existsSync(file)) return null;
  const doc = parseDocument(readText(file, 'saved-model manifest'), file, SAVED_MODEL_FORMAT, SAVED_MODEL_FORMAT_VERSION, 'saved-model manifest');
  const modelFile = path.join(dir, typeof doc.modelFile === 'string' ? doc.modelFile : MODEL_FILE);
  if (sha256(readText(modelFile, 'model file')) !== doc.modelSha256) {
    throw new ModelFileError(`${modelFile} is not the model file ${file} was saved with (its SHA-256 differs): the folder was changed after saving, or a save was cut short`);
  }
  return doc as unknown as SavedModelManifest;
}

/**
 * Loads a model from a model file (written by {@link saveModel}), or from a folder: one written by
 * `model.save(dir)` / {@link saveModelDir} (its manifest is checked against the model file), or a training
 * run's folder (its final `model.json`).
 * @param backend - the backend the model runs on (default `cpu`, the reference; `auto` for the fastest here).
 * @throws {@link ModelFileError} when the file or folder is missing or invalid.
 * @example
 * const model = loadModel('runs/mnist-quick');
 */
export function loadModel(file: string, backend = 'cpu'): Model {
  let isDir = false;
  try {
    isDir = fs.statSync(file).isDirectory();
  } catch {
    // A missing path is reported by readText below, naming it.
  }
  if (isDir) {
    const dir = file;
    const manifest = readSavedModelManifest(dir);
    file = path.join(dir, manifest?.modelFile ?? MODEL_FILE);
    if (!fs.existsSync(file)) {
      throw new ModelFileError(`${dir} holds no ${MODEL_FILE}: expected a folder written by model.save(dir), or a finished training run`);
    }
  }
  return modelFromJson(readText(file, 'model file'), file, backend);
}
