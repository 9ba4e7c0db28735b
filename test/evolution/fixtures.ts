/**
 * The hand-computed 8-weight layer of the evolution tests, and helpers shared by them.
 *
 * A 3 x 4 layer (3 output neurons, 4 inputs), entries k in CSR order:
 *
 *   k   (row, col)   value
 *   0   (0, 0)        0.5
 *   1   (0, 2)       -0.02
 *   2   (0, 3)        0.1    <- tie with k = 4
 *   3   (1, 1)       -0.7
 *   4   (1, 2)        0.1    <- tie with k = 2
 *   5   (2, 0)       -0.05
 *   6   (2, 1)        0.9
 *   7   (2, 3)       -0.03
 *
 * Empty positions (row-major rank j * 4 + i): (0, 1) = 1, (1, 0) = 4, (1, 3) = 7, (2, 2) = 10.
 */
import type { EvolutionContext } from '../../toolkit/src/evolution/types';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';

export function handLayer(): CsrMatrix {
  return CsrMatrix.fromArrays(3, 4, [0, 3, 5, 8], [0, 2, 3, 1, 2, 0, 1, 3], [0.5, -0.02, 0.1, -0.7, 0.1, -0.05, 0.9, -0.03]);
}

/** An epoch-end context of epoch 0 of 10. */
export const EPOCH_END: EvolutionContext = { event: 'epoch-end', epoch: 0, epochs: 10, step: 100, totalSteps: 1000 };

/** Row-major positions `j * cols + i` of every stored entry, in CSR order. */
export function positionsOf(w: CsrMatrix): number[] {
  const out: number[] = [];
  for (let j = 0; j < w.rows; j++) for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) out.push(j * w.cols + w.colIdx[k]!);
  return out;
}
