/**
 * Operations on sparsity patterns (the structure of a CSR matrix, values ignored).
 *
 * @packageDocumentation
 */
import { CsrMatrix } from './csr';

/**
 * The union of a pattern and a sorted list of row-major ranks `j * cols + i` (duplicates allowed),
 * as a new pattern with zero values. O(nnz + ranks).
 */
export function unionWithRanks(a: CsrMatrix, ranks: Float64Array): CsrMatrix {
  const { rows, cols, rowPtr, colIdx } = a;
  const outPtr = new Int32Array(rows + 1);
  let cap = a.nnz + ranks.length;
  const out = new Int32Array(cap);
  let at = 0;
  let g = 0;
  for (let j = 0; j < rows; j++) {
    let k = rowPtr[j]!;
    const end = rowPtr[j + 1]!;
    const base = j * cols;
    let last = -1;
    for (;;) {
      const gc = g < ranks.length && ranks[g]! < base + cols ? ranks[g]! - base : Infinity;
      const kc = k < end ? colIdx[k]! : Infinity;
      if (gc === Infinity && kc === Infinity) break;
      let c: number;
      if (kc <= gc) {
        c = kc;
        k++;
        if (gc === kc) g++;
      } else {
        c = gc;
        g++;
      }
      if (c !== last) out[at++] = c;
      last = c;
    }
    outPtr[j + 1] = at;
  }
  cap = at;
  return new CsrMatrix(rows, cols, outPtr, out.slice(0, cap), new Float32Array(cap));
}

/**
 * Positions in `a` that are not in `b` (same shape), as sorted row-major ranks. O(nnz(a) + nnz(b)).
 */
export function differenceRanks(a: CsrMatrix, b: CsrMatrix): Float64Array {
  const out: number[] = [];
  for (let j = 0; j < a.rows; j++) {
    let p = a.rowPtr[j]!, q = b.rowPtr[j]!;
    const pe = a.rowPtr[j + 1]!, qe = b.rowPtr[j + 1]!;
    while (p < pe) {
      const x = a.colIdx[p]!;
      while (q < qe && b.colIdx[q]! < x) q++;
      if (q >= qe || b.colIdx[q]! !== x) out.push(j * a.cols + x);
      p++;
    }
  }
  return Float64Array.from(out);
}
