/**
 * Regrow rules: where new connections appear.
 *
 * @packageDocumentation
 */
import { SynapsesError } from '../core/errors';
import type { Rng } from '../core/rng';
import type { CsrMatrix } from '../sparse/csr';
import { sampleSortedDistinct } from '../sparse/sampling';
import type { Regrow } from './types';

/** A layer has fewer empty positions than connections to regrow. */
export class NotEnoughRoomError extends SynapsesError {}

/** Number of empty positions of a layer. */
export function emptyPositions(w: CsrMatrix): number {
  return w.rows * w.cols - w.nnz;
}

/**
 * Maps sorted ranks among the EMPTY positions of `w` (0 = first empty position in row-major order) to
 * row-major ranks `j * cols + i` of those positions. O(nnz + ranks): one merged walk over rows and
 * their sorted column lists, never a dense pass over all positions.
 */
export function emptyRankToPosition(w: CsrMatrix, emptyRanks: Float64Array): Float64Array {
  const out = new Float64Array(emptyRanks.length);
  const { rows, cols, rowPtr, colIdx } = w;
  let row = 0;
  let before = 0; // empty positions in rows before `row`
  let p = 0; // entries of `row` lying before the current target column
  for (let t = 0; t < emptyRanks.length; t++) {
    const r = emptyRanks[t]!;
    while (row < rows && before + (cols - (rowPtr[row + 1]! - rowPtr[row]!)) <= r) {
      before += cols - (rowPtr[row + 1]! - rowPtr[row]!);
      row++;
      p = 0;
    }
    const m = r - before; // the m-th empty column of this row
    const start = rowPtr[row]!;
    const len = rowPtr[row + 1]! - start;
    // The m-th empty column is m + (number of stored columns below it).
    while (p < len && colIdx[start + p]! <= m + p) p++;
    out[t] = row * cols + m + p;
  }
  return out;
}

/**
 * Uniform random regrowth (SET): `count` positions drawn uniformly without replacement from all
 * positions that are empty after pruning (just-pruned positions included, as in the reference code).
 * @throws {@link NotEnoughRoomError} when the layer has fewer than `count` empty positions.
 */
export function uniformRandom(): Regrow {
  return {
    name: 'random',
    config: {},
    grow(w: CsrMatrix, count: number, rng: Rng): Float64Array {
      const empty = emptyPositions(w);
      if (count > empty) {
        throw new NotEnoughRoomError(`cannot regrow ${count} connections in a ${w.rows} x ${w.cols} layer with only ${empty} empty positions`);
      }
      return emptyRankToPosition(w, sampleSortedDistinct(empty, count, rng));
    },
  };
}
