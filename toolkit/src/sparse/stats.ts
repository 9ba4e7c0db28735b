/**
 * Statistics of a sparse topology: degrees, density, overlap between two topologies.
 *
 * @packageDocumentation
 */
import { ShapeError } from '../core/errors';
import type { CsrMatrix } from './csr';

/** In-degree of every input neuron (column): how many outputs it feeds. Length `cols`. */
export function inDegrees(w: CsrMatrix): Int32Array {
  const d = new Int32Array(w.cols);
  for (let k = 0; k < w.nnz; k++) d[w.colIdx[k]!]!++;
  return d;
}

/** Out-degree of every output neuron (row): how many inputs it has (its fan-in). Length `rows`. */
export function outDegrees(w: CsrMatrix): Int32Array {
  const d = new Int32Array(w.rows);
  for (let r = 0; r < w.rows; r++) d[r] = w.rowPtr[r + 1]! - w.rowPtr[r]!;
  return d;
}

/**
 * Number of positions connected in both `a` and `b` (same shape). Divide by `a.nnz` for the overlap
 * rate used to measure how much a topology changed.
 * @throws {@link ShapeError} when the shapes differ.
 */
export function overlap(a: CsrMatrix, b: CsrMatrix): number {
  if (a.rows !== b.rows || a.cols !== b.cols) throw new ShapeError(`overlap of ${a.rows} x ${a.cols} and ${b.rows} x ${b.cols} matrices`);
  let same = 0;
  for (let r = 0; r < a.rows; r++) {
    let p = a.rowPtr[r]!, q = b.rowPtr[r]!;
    const pe = a.rowPtr[r + 1]!, qe = b.rowPtr[r + 1]!;
    while (p < pe && q < qe) {
      const x = a.colIdx[p]!, y = b.colIdx[q]!;
      if (x === y) {
        same++;
        p++;
        q++;
      } else if (x < y) p++;
      else q++;
    }
  }
  return same;
}

/** Summary statistics of one layer. */
export interface LayerStats {
  readonly rows: number;
  readonly cols: number;
  readonly connections: number;
  readonly density: number;
  /** Mean and max fan-in of the output neurons. */
  readonly meanFanIn: number;
  readonly maxFanIn: number;
  /** Inputs with no connection at all. */
  readonly isolatedInputs: number;
  readonly meanAbsWeight: number;
}

/** Summary statistics of `w`. */
export function layerStats(w: CsrMatrix): LayerStats {
  const out = outDegrees(w);
  const inn = inDegrees(w);
  let abs = 0;
  for (let k = 0; k < w.nnz; k++) abs += Math.abs(w.values[k]!);
  let isolated = 0;
  for (let i = 0; i < inn.length; i++) if (inn[i] === 0) isolated++;
  return {
    rows: w.rows,
    cols: w.cols,
    connections: w.nnz,
    density: w.density,
    meanFanIn: w.rows ? w.nnz / w.rows : 0,
    maxFanIn: out.reduce((m, v) => Math.max(m, v), 0),
    isolatedInputs: isolated,
    meanAbsWeight: w.nnz ? abs / w.nnz : 0,
  };
}
