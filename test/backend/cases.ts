/**
 * The shapes every backend op is checked on: the awkward ones a fast kernel gets wrong first.
 */
import { rngFor } from '../../toolkit/src/core/rng';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { randomSparse, type SparseCase } from './oracle';

/** A named sparse layer shape with a batch size. */
export interface ShapeCase {
  readonly name: string;
  readonly batch: number;
  /** Builds the matrix (seeded, so every backend sees the same one). */
  make(): SparseCase;
}

function withRandomValues(m: CsrMatrix, seed: number): SparseCase {
  const rng = rngFor(seed, 'values');
  for (let k = 0; k < m.nnz; k++) m.values[k] = Math.fround(2 * rng.float() - 1);
  const dense = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.rowPtr[r]!; k < m.rowPtr[r + 1]!; k++) dense[r * m.cols + m.colIdx[k]!] = m.values[k]!;
  }
  return { csr: m, dense };
}

/** The shape table of the sparse products. */
export const SPARSE_CASES: readonly ShapeCase[] = [
  { name: 'random 7x9, batch 5', batch: 5, make: () => randomSparse(7, 9, 0.4, rngFor(1, 'case')) },
  { name: 'empty rows (0, 3, 5 of 6)', batch: 4, make: () => randomSparse(6, 8, 0.5, rngFor(2, 'case'), [0, 3, 5]) },
  { name: 'single row (rows = 1)', batch: 6, make: () => randomSparse(1, 13, 0.6, rngFor(3, 'case')) },
  { name: 'batch 1', batch: 1, make: () => randomSparse(9, 11, 0.3, rngFor(4, 'case')) },
  { name: 'dense via CsrMatrix.full', batch: 3, make: () => withRandomValues(CsrMatrix.full(5, 4), 5) },
  { name: 'dense via erdosRenyi with p >= 1 (12 -> 3, eps 20)', batch: 2, make: () => withRandomValues(erdosRenyi(12, 3, 20, rngFor(6, 't')), 6) },
  { name: 'a row longer than 1000 connections', batch: 3, make: () => randomSparse(3, 1500, 0.9, rngFor(7, 'case')) },
  { name: 'cols = 1', batch: 4, make: () => randomSparse(6, 1, 0.7, rngFor(8, 'case')) },
  { name: 'no connections at all', batch: 3, make: () => randomSparse(4, 5, 0, rngFor(9, 'case')) },
  { name: 'batch 17 (not a multiple of a SIMD width)', batch: 17, make: () => randomSparse(10, 12, 0.35, rngFor(10, 'case')) },
];

/** Dense layer shapes `(nIn, nOut, batch)` for the dense products. */
export const DENSE_CASES: readonly { readonly nIn: number; readonly nOut: number; readonly batch: number }[] = [
  { nIn: 7, nOut: 5, batch: 3 },
  { nIn: 1, nOut: 4, batch: 2 },
  { nIn: 6, nOut: 1, batch: 5 },
  { nIn: 9, nOut: 8, batch: 1 },
  { nIn: 1200, nOut: 3, batch: 4 },
  { nIn: 5, nOut: 6, batch: 17 },
];

/** Activation shapes `(n, batch)`. */
export const ELEMENTWISE_CASES: readonly { readonly n: number; readonly batch: number }[] = [
  { n: 1, batch: 1 },
  { n: 5, batch: 1 },
  { n: 1, batch: 9 },
  { n: 7, batch: 6 },
  { n: 33, batch: 17 },
];
