/**
 * `synapses-ts export`'s files, read by Debian's SciPy and NumPy (`/usr/bin/python3`, python3-scipy and
 * python3-numpy, installed by set-up): every index and every float32 value must come back exactly.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { csrNpzBytes, exportModelWeights, npyBytes, npyFloat32 } from '../../toolkit/src/io/export-scipy';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { mlp } from '../../toolkit/src/train/model';
import type { Model } from '../../toolkit/src/train/model';

const PYTHON = '/usr/bin/python3';

/**
 * Loads every file of an export folder with SciPy / NumPy and prints, per file, what it holds: the format,
 * dtype, shape, CSR arrays (sorted) and the float32 bytes of the values as hex. A value read by mmread as a
 * double must BE a float32 value (no rounding on the way), which the script asserts.
 */
const READER = String.raw`
import json, sys, os
import numpy as np, scipy.sparse, scipy.io
out = {}
d = sys.argv[1]
def f32hex(a):
    a = np.asarray(a)
    if a.dtype == np.float64:
        assert (a.astype(np.float32).astype(np.float64) == a).all(), 'a value is not exactly a float32'
    return np.ascontiguousarray(a, dtype=np.float32).tobytes().hex()
for name in sorted(os.listdir(d)):
    p = os.path.join(d, name)
    if name.endswith('.npz'):
        m = scipy.sparse.load_npz(p)
        assert m.format == 'csr', m.format
        out[name] = {'kind': 'csr', 'dtype': str(m.dtype), 'shape': list(m.shape), 'indptr': m.indptr.tolist(), 'indices': m.indices.tolist(), 'data': f32hex(m.data)}
    elif name.endswith('.npy'):
        a = np.load(p)
        out[name] = {'kind': 'dense', 'dtype': str(a.dtype), 'shape': list(a.shape), 'data': f32hex(a.ravel(order='C'))}
    elif name.endswith('.mtx'):
        m = scipy.io.mmread(p)
        if scipy.sparse.issparse(m):
            m = scipy.sparse.csr_matrix(m)
            m.sort_indices()
            out[name] = {'kind': 'csr', 'dtype': str(m.dtype), 'shape': list(m.shape), 'indptr': m.indptr.tolist(), 'indices': m.indices.tolist(), 'data': f32hex(m.data)}
        else:
            out[name] = {'kind': 'dense', 'dtype': str(m.dtype), 'shape': list(m.shape), 'data': f32hex(np.asarray(m).ravel(order='C'))}
print(json.dumps(out))
`;

interface Read {
  kind: 'csr' | 'dense';
  dtype: string;
  shape: number[];
  indptr?: number[];
  indices?: number[];
  data: string;
}

function readWithScipy(dir: string): Record<string, Read> {
  return JSON.parse(execFileSync(PYTHON, ['-c', READER, dir], { encoding: 'utf8' })) as Record<string, Read>;
}

const hex = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** A model whose weights and biases are all distinct, awkward float32 values (tiny, huge, negative, subnormal). */
function awkwardModel(sizes: number[], sparsity: 'erdos-renyi' | 'dense', seed: number): Model {
  const model = mlp(sizes, { sparsity: sparsity === 'dense' ? { kind: 'dense' } : { kind: 'erdos-renyi', eps: 3 }, seed, backend: 'cpu' });
  const rng = rngFor(seed, 'awkward');
  const special = [1e-38, -3.4e38, 1.4e-45, -0, 0.1, 1 / 3];
  let k = 0;
  for (const layer of model.network.linearLayers()) {
    for (const p of [layer.weight.values, layer.bias.values]) {
      for (let i = 0; i < p.length; i++) p[i] = k < special.length ? special[k++]! : Math.fround((rng.float() - 0.5) * 10 ** Math.floor(rng.float() * 8 - 4));
    }
  }
  return model;
}

function expectExact(model: Model, dir: string, format: 'npz' | 'mtx'): void {
  const read = readWithScipy(dir);
  const layers = model.network.linearLayers();
  const listed = JSON.parse(fs.readFileSync(path.join(dir, 'layers.json'), 'utf8')) as { layers: { weights: string; bias: string; shape: number[] }[] };
  expect(listed.layers).toHaveLength(layers.length);
  expect(Object.keys(read)).toHaveLength(2 * layers.length);
  layers.forEach((layer, i) => {
    const w = read[listed.layers[i]!.weights]!;
    expect(w.shape).toEqual([layer.nOut, layer.nIn]);
    if (layer instanceof SparseLinear) {
      expect(w.kind).toBe('csr');
      if (format === 'npz') expect(w.dtype).toBe('float32');
      expect(w.indptr).toEqual([...layer.weights.rowPtr]);
      expect(w.indices).toEqual([...layer.weights.colIdx]);
      expect(w.data).toBe(hex(layer.weights.values));
    } else {
      expect(layer).toBeInstanceOf(DenseLinear);
      expect(w.kind).toBe('dense');
      if (format === 'npz') expect(w.dtype).toBe('float32');
      expect(w.data).toBe(hex(layer.weight.values)); // row-major nOut x nIn on both sides
    }
    const b = read[listed.layers[i]!.bias]!;
    expect(b.data).toBe(hex(layer.bias.values));
    expect(b.shape).toEqual(format === 'npz' ? [layer.nOut] : [layer.nOut, 1]);
  });
}

describe('export for SciPy (read back by Debian python3-scipy)', () => {
  it.each(['npz', 'mtx'] as const)('sparse layers in %s come back with every index and float32 value exact', (format) => {
    const model = awkwardModel([37, 23, 11, 4], 'erdos-renyi', 5);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `synapses-export-${format}-`));
    const written = exportModelWeights(model, dir, format);
    expect(written.map((l) => l.kind)).toEqual(['sparse', 'sparse', 'sparse']);
    expectExact(model, dir, format);
  }, 60_000);

  it.each(['npz', 'mtx'] as const)('dense layers in %s come back exactly, row-major nOut x nIn', (format) => {
    const model = awkwardModel([9, 7, 3], 'dense', 6);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `synapses-export-dense-${format}-`));
    const written = exportModelWeights(model, dir, format);
    expect(written.map((l) => [l.kind, l.weights])).toEqual([['dense', format === 'npz' ? 'layer-0.npy' : 'layer-0.mtx'], ['dense', format === 'npz' ? 'layer-1.npy' : 'layer-1.mtx']]);
    expectExact(model, dir, format);
  }, 60_000);

  it('writes the npy header numpy expects and the npz members scipy.sparse.save_npz writes', () => {
    const npy = npyBytes(npyFloat32(new Float32Array([1, 2, 3]), [3]));
    expect(Buffer.from(npy.subarray(0, 8)).toString('latin1')).toBe('\x93NUMPY\x01\x00');
    const headerLength = npy[8]! + 256 * npy[9]!;
    expect((10 + headerLength) % 64).toBe(0);
    expect(Buffer.from(npy.subarray(10, 10 + headerLength)).toString('latin1')).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} *\n$/);
    const zip = Buffer.from(csrNpzBytes([2, 2], new Int32Array([0, 1, 1]), new Int32Array([1]), new Float32Array([0.5])));
    // The zip's member names, in its central directory.
    const names = [...zip.toString('latin1').matchAll(/PK\x01\x02[\s\S]{42}?([a-z]+\.npy)/g)].map((m) => m[1]);
    expect(names).toEqual(['indices.npy', 'indptr.npy', 'format.npy', 'shape.npy', 'data.npy']);
  });

  it('writes the same bytes for the same weights (nothing depends on the time or the folder)', () => {
    const model = awkwardModel([12, 8, 3], 'erdos-renyi', 7);
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-export-a-'));
    exportModelWeights(model, a, 'npz');
    const bytes = (d: string) => fs.readdirSync(d).sort().map((f) => fs.readFileSync(path.join(d, f)).toString('hex'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-export-b-'));
    exportModelWeights(model, b, 'npz');
    // Same content, same bytes: nothing in the files depends on the time or the folder.
    expect(bytes(b)).toEqual(bytes(a));
  });
});
