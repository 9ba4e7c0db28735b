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
import type { UnaryOp } from '../backend/backend';
import { getBackend } from '../backend/registry';
import { registerErrorType, SynapsesError } from '../core/errors';
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
    return { kind: 'sparse-linear', name: prefix(layer.weight.name), nIn: w.cols, nOut: w.rows, evolvable: layer.evolvable, rowPtr: b64(w.rowPtr), colIdx: b64(w.colIdx), values: b64(w.values), bias: b64(layer.bias.values) };
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

/** SHA-256 of a document with its `sha256` field blanked. */
export function digest(doc: Rec): string {
  return createHash('sha256').update(JSON.stringify({ ...doc, sha256: '' })).digest('hex');
}

/** Serialises a model to the model-file JSON text. */
export function modelToJson(model: Model): string {
  model.backend.sync?.();
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

/**
 * Loads a model saved by {@link saveModel}.
 * @throws {@link ModelFileError} when the file is missing or invalid.
 */
export function loadModel(file: string, backend = 'cpu'): Model {
  return modelFromJson(readText(file, 'model file'), file, backend);
}
