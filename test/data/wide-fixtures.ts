/**
 * Generated data files for the CSV and LIBSVM tests: small learnable problems written into a temp folder.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rngFor } from '../../toolkit/src/core/rng';

/** A fresh temp folder for one test file's data. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `synapses-${prefix}-`));
}

/** Writes `text` to `dir/name` and returns the path. */
export function write(dir: string, name: string, text: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * A wide sparse two-class problem in LIBSVM format (1-based indices, labels -1/+1): every sample has `noise`
 * random nonzeros among features 201..nFeatures and `signal` nonzeros (value 1) in its class's block of 100
 * features (1..100 for -1, 101..200 for +1).
 */
export function wideSparseLibsvm(nFeatures: number, nSamples: number, seed: number, noise = 40, signal = 10): string {
  const r = rngFor(seed, 'wide-sparse');
  const lines: string[] = [];
  for (let s = 0; s < nSamples; s++) {
    const c = s % 2;
    const picked = new Map<number, number>();
    while (picked.size < signal) picked.set(1 + c * 100 + r.int(100), 1);
    while (picked.size < signal + noise) picked.set(201 + r.int(nFeatures - 200), Number(r.float().toFixed(3)) + 0.001);
    const pairs = [...picked].sort((a, b) => a[0] - b[0]).map(([i, v]) => `${i}:${v}`);
    lines.push(`${c ? '+1' : '-1'} ${pairs.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A three-class CSV table with string labels (`alpha`, `beta`, `gamma`) and `nFeatures` columns `f0..`: the
 * class shifts the mean of the first three features.
 */
export function blobsCsv(nSamples: number, nFeatures: number, seed: number): string {
  const r = rngFor(seed, 'blobs');
  const names = ['alpha', 'beta', 'gamma'];
  const rows = [['id', ...Array.from({ length: nFeatures }, (_, j) => `f${j}`), 'species'].join(',')];
  for (let s = 0; s < nSamples; s++) {
    const c = s % 3;
    const x = Array.from({ length: nFeatures }, (_, j) => (r.normal() + (j === c ? 3 : 0)) * 10 + 50);
    rows.push([s, ...x.map((v) => v.toFixed(3)), names[c]].join(','));
  }
  return rows.join('\n') + '\n';
}
