/**
 * A trained network's weights as files that SciPy and NumPy read, for analysis outside this toolkit.
 *
 * Every linear layer `i` (in network order, as `connectionsPerLayer` counts them) becomes:
 * - `npz`: `layer-i.npz`, the layout `scipy.sparse.save_npz` writes for a CSR matrix (a zip of the NumPy
 *   arrays `indices` (int32), `indptr` (int32), `format` (`b'csr'`), `shape` (int64) and `data` (float32),
 *   each a `.npy` file), read by `scipy.sparse.load_npz`; a dense layer becomes `layer-i.npy`, a dense float32
 *   array read by `numpy.load`. The bias is `layer-i.bias.npy` (float32, one value per output).
 * - `mtx`: Matrix Market files read by `scipy.io.mmread`: `layer-i.mtx` in `coordinate real general` form
 *   for a sparse layer, `array real general` for a dense one, and `layer-i.bias.mtx` (`array`, nOut x 1).
 *   Values are written as the decimal of their exact float32 value, so that they read back exactly.
 *
 * Orientation: the matrix of a layer is `nOut x nIn` (row j holds the weights into output neuron j, as
 * PyTorch's `Linear.weight`): the layer computes `y = W @ x + b`. `layers.json` lists every file with its
 * layer's kind, shape, connections and the toolkit's parameter name.
 *
 * The `.npy` (format version 1.0) and zip writers are small and written here: the formats are fixed and
 * simple (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html, PKWARE APPNOTE), and no
 * dependency of the toolkit writes them.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { ConfigError, InvalidArgumentError } from '../core/errors';
import { DenseLinear } from '../nn/dense-linear';
import { SparseLinear } from '../nn/sparse-linear';
import type { Model } from '../train/model';
import { writeFileAtomic, writeJsonAtomic } from './files';

/** The export formats. */
export const EXPORT_FORMATS = ['npz', 'mtx'] as const;
/** An export format: `npz` (SciPy/NumPy binary) or `mtx` (Matrix Market text). */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A NumPy array to write: its dtype descriptor, shape and little-endian data. */
export interface NpyArray {
  /** `<f4`, `<i4`, `<i8` or `|S<n>` (bytes). */
  readonly descr: string;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

function bytesOf(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  // Typed arrays are in the platform's byte order; every platform Node runs on here is little-endian.
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A float32 array of the given shape. */
export const npyFloat32 = (values: Float32Array, shape: readonly number[] = [values.length]): NpyArray => ({ descr: '<f4', shape, data: bytesOf(values) });
/** An int32 array of the given shape. */
export const npyInt32 = (values: Int32Array, shape: readonly number[] = [values.length]): NpyArray => ({ descr: '<i4', shape, data: bytesOf(values) });

/**
 * The bytes of a `.npy` file (format version 1.0): the magic string, the header dict padded with spaces to a
 * multiple of 64 bytes and ended by a newline, then the data in C order.
 * @throws {@link InvalidArgumentError} when the data's length does not match the shape and dtype.
 */
export function npyBytes(array: NpyArray): Uint8Array {
  const itemSize = Number(array.descr.slice(2)); // '<f4' -> 4, '<i8' -> 8, '|S3' -> 3
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.byteLength !== count * itemSize) {
    throw new InvalidArgumentError(`npy array ${array.descr} of shape (${array.shape.join(', ')}) needs ${count * itemSize} bytes, got ${array.data.byteLength}`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${array.descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  if (header.length > 65535) throw new InvalidArgumentError('npy header too long');
  const out = new Uint8Array(10 + header.length + array.data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0); // \x93NUMPY, version 1.0
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(array.data, 10 + header.length);
  return out;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (the zip and gzip checksum) of `data`. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A zip archive of `files` (name -> bytes), each deflated (as `numpy.savez_compressed` and `save_npz` write
 * them). No zip64: every file and the archive must stay below 4 GiB.
 * @throws {@link InvalidArgumentError} for an archive too large for the classic zip format.
 */
export function zipBytes(files: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const locals: Buffer[] = [], centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00, the earliest DOS date: the archive's bytes then depend on its content only.
  const dosTime = 0, dosDate = (0 << 9) | (1 << 5) | 1;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const packed = deflateRawSync(data);
    const crc = crc32(data);
    if (data.byteLength >= 0xffffffff || offset + packed.byteLength >= 0xffffffff) throw new InvalidArgumentError(`zip archive: ${name} makes it larger than 4 GiB (zip64 is not written)`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0, 6); // flags
    local.writeUInt16LE(8, 8); // method: deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.byteLength, 18);
    local.writeUInt32LE(data.byteLength, 22);
    local.writeUInt16LE(nameBytes.byteLength, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by
    central.writeUInt16LE(20, 6); // needed
    central.writeUInt16LE(0, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.byteLength, 20);
    central.writeUInt32LE(data.byteLength, 24);
    central.writeUInt16LE(nameBytes.byteLength, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.byteLength + packed.byteLength;
  }
  const centralSize = centrals.reduce((a, b) => a + b.byteLength, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/**
 * The bytes of a `.npz` file in the layout `scipy.sparse.save_npz` writes for a CSR matrix of `shape`
 * (rows, cols) with row pointers `indptr`, column indices `indices` and values `data`.
 */
export function csrNpzBytes(shape: readonly [number, number], indptr: Int32Array, indices: Int32Array, data: Float32Array): Uint8Array {
  const format = Buffer.from('csr', 'ascii');
  return zipBytes([
    ['indices.npy', npyBytes(npyInt32(indices))],
    ['indptr.npy', npyBytes(npyInt32(indptr))],
    ['format.npy', npyBytes({ descr: '|S3', shape: [], data: format })],
    ['shape.npy', npyBytes({ descr: '<i8', shape: [2], data: bytesOf(BigInt64Array.from(shape, (v) => BigInt(v))) })],
    ['data.npy', npyBytes(npyFloat32(data))],
  ]);
}

/** The exact decimal of a float32 value (as a double): reads back to the same value in any IEEE parser. */
const exact = (v: number): string => (Object.is(v, -0) ? '-0' : String(v)); // String(-0) is "0"

/** Matrix Market text of a CSR matrix: `coordinate real general`, 1-based (row, column, value) lines. */
export function csrMatrixMarket(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, comment?: string): string {
  const lines = ['%%MatrixMarket matrix coordinate real general'];
  if (comment) lines.push(`% ${comment}`);
  lines.push(`${rows} ${cols} ${values.length}`);
  for (let r = 0; r < rows; r++) for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) lines.push(`${r + 1} ${colIdx[k]! + 1} ${exact(values[k]!)}`);
  return lines.join('\n') + '\n';
}

/** Matrix Market text of a dense row-major `rows x cols` matrix: `array real general` (column-major values). */
export function denseMatrixMarket(rows: number, cols: number, rowMajor: Float32Array, comment?: string): string {
  const lines = ['%%MatrixMarket matrix array real general'];
  if (comment) lines.push(`% ${comment}`);
  lines.push(`${rows} ${cols}`);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) lines.push(exact(rowMajor[r * cols + c]!));
  return lines.join('\n') + '\n';
}

/** One exported layer, as `layers.json` lists it. */
export interface ExportedLayer {
  /** Linear-layer index (0 = the first linear layer). */
  readonly index: number;
  /** The toolkit's parameter name prefix, e.g. `layers.0`. */
  readonly name: string;
  readonly kind: 'sparse' | 'dense';
  /** `[nOut, nIn]`. */
  readonly shape: readonly [number, number];
  readonly connections: number;
  /** File names inside the export folder. */
  readonly weights: string;
  readonly bias: string;
}

/**
 * Writes every linear layer of `model` into `outDir` in `format` (see the module description), plus
 * `layers.json`. Returns what was written.
 * @throws {@link ConfigError} for an unknown format.
 */
export function exportModelWeights(model: Model, outDir: string, format: ExportFormat): ExportedLayer[] {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ConfigError(`unknown export format "${format}"; known formats are: ${EXPORT_FORMATS.join(', ')}`);
  model.backend.memory.sync();
  fs.mkdirSync(outDir, { recursive: true });
  const layers: ExportedLayer[] = [];
  model.network.linearLayers().forEach((layer, i) => {
    const base = `layer-${i}`;
    const nOut = layer.nOut, nIn = layer.nIn;
    const name = layer.weight.name.slice(0, layer.weight.name.lastIndexOf('.'));
    const comment = `synapses-ts ${name}: ${nOut} outputs x ${nIn} inputs (y = W x + b)`;
    let weights: string, connections: number;
    if (layer instanceof SparseLinear) {
      const w = layer.weights;
      connections = w.values.length;
      weights = `${base}.${format}`;
      writeFileAtomic(path.join(outDir, weights), format === 'npz'
        ? csrNpzBytes([w.rows, w.cols], w.rowPtr, w.colIdx, w.values)
        : csrMatrixMarket(w.rows, w.cols, w.rowPtr, w.colIdx, w.values, comment));
    } else if (layer instanceof DenseLinear) {
      connections = nIn * nOut;
      weights = format === 'npz' ? `${base}.npy` : `${base}.mtx`;
      writeFileAtomic(path.join(outDir, weights), format === 'npz'
        ? npyBytes(npyFloat32(layer.weight.values, [nOut, nIn]))
        : denseMatrixMarket(nOut, nIn, layer.weight.values, comment));
    } else {
      throw new InvalidArgumentError(`cannot export a linear layer of kind ${(layer as { kind: string }).kind}`);
    }
    const bias = format === 'npz' ? `${base}.bias.npy` : `${base}.bias.mtx`;
    writeFileAtomic(path.join(outDir, bias), format === 'npz'
      ? npyBytes(npyFloat32(layer.bias.values))
      : denseMatrixMarket(nOut, 1, layer.bias.values, `synapses-ts ${name} bias`));
    layers.push({ index: i, name, kind: layer instanceof SparseLinear ? 'sparse' : 'dense', shape: [nOut, nIn], connections, weights, bias });
  });
  writeJsonAtomic(path.join(outDir, 'layers.json'), { format, orientation: 'W has shape [nOut, nIn]; y = W x + b', layers });
  return layers;
}
