/**
 * Regrow rules: where new connections appear.
 *
 * @packageDocumentation
 */
import { SynapsesError } from '../core/errors';
import type { Rng } from '../core/rng';
import type { CsrMatrix } from '../sparse/csr';
import { sampleSortedDistinct } from '../sparse/sampling';
import { differenceRanks } from '../sparse/pattern';
import type { Regrow, RegrowInputs } from './types';

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

/**
 * Never-used-first regrowth (the "unfired" growth of ITOP, Liu et al. 2021): new connections are drawn
 * uniformly among empty positions that were NEVER connected before; only when there are fewer of those
 * than needed are the rest drawn uniformly among empty positions that were used before. Needs the
 * layer's usage history ({@link RegrowInputs.everUsed}), which the trainer keeps when the policy asks.
 */
export function neverUsedFirst(): Regrow {
  return {
    name: 'never-used-first',
    config: {},
    needsHistory: true,
    grow(w: CsrMatrix, count: number, rng: Rng, inputs: RegrowInputs): Float64Array {
      const ever = inputs.everUsed;
      if (!ever) throw new SynapsesError('never-used-first regrowth needs the usage history of the layer (policy itop tracking)');
      const empty = emptyPositions(w);
      if (count > empty) {
        throw new NotEnoughRoomError(`cannot regrow ${count} connections in a ${w.rows} x ${w.cols} layer with only ${empty} empty positions`);
      }
      const fresh = emptyPositions(ever);
      if (count <= fresh) return emptyRankToPosition(ever, sampleSortedDistinct(fresh, count, rng));
      // Every never-used position, plus the rest among used-but-now-empty positions.
      const all = emptyRankToPosition(ever, Float64Array.from({ length: fresh }, (_, i) => i));
      const reused = differenceRanks(ever, w);
      const pick = sampleSortedDistinct(reused.length, count - fresh, rng);
      const out = new Float64Array(count);
      out.set(all);
      pick.forEach((r, i) => (out[fresh + i] = reused[r]!));
      return out.sort();
    },
  };
}

/**
 * Top-`count` empty positions by a score computed one dense row at a time (ties to the lower position).
 * Uses a bounded min-heap, so memory is O(count + cols), never O(rows * cols).
 */
function topEmptyByRowScores(w: CsrMatrix, count: number, rowScores: (j: number, out: Float32Array) => void): Float64Array {
  const heapScore = new Float64Array(count);
  const heapPos = new Float64Array(count);
  let size = 0;
  // Min-heap ordered by (score asc, position desc): the root is the worst kept candidate.
  const worse = (a: number, b: number) => heapScore[a]! < heapScore[b]! || (heapScore[a] === heapScore[b] && heapPos[a]! > heapPos[b]!);
  const swap = (a: number, b: number) => {
    const s = heapScore[a]!, p = heapPos[a]!;
    heapScore[a] = heapScore[b]!;
    heapPos[a] = heapPos[b]!;
    heapScore[b] = s;
    heapPos[b] = p;
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  const row = new Float32Array(w.cols);
  for (let j = 0; j < w.rows && count > 0; j++) {
    rowScores(j, row);
    let k = w.rowPtr[j]!;
    const end = w.rowPtr[j + 1]!;
    for (let i = 0; i < w.cols; i++) {
      if (k < end && w.colIdx[k] === i) {
        k++;
        continue;
      }
      const s = Math.abs(row[i]!);
      const pos = j * w.cols + i;
      if (size < count) {
        heapScore[size] = s;
        heapPos[size] = pos;
        let c = size++;
        while (c > 0) {
          const parent = (c - 1) >> 1;
          if (!worse(c, parent)) break;
          swap(c, parent);
          c = parent;
        }
      } else if (s > heapScore[0]!) {
        heapScore[0] = s;
        heapPos[0] = pos;
        down(0);
      }
    }
  }
  return heapPos.slice(0, size).sort();
}

/**
 * Gradient regrowth (RigL, Evci et al. 2020): the `count` empty positions with the largest |dL/dW| of
 * the last training batch. The dense gradient is computed only on evolution steps, one row at a time
 * ({@link RegrowInputs.denseGradientRow}), so no dense matrix is ever held.
 */
export function gradientRegrow(): Regrow {
  return {
    name: 'gradient',
    config: {},
    needsGradient: true,
    grow(w: CsrMatrix, count: number, _rng: Rng, inputs: RegrowInputs): Float64Array {
      if (!inputs.denseGradientRow) throw new SynapsesError('gradient regrowth needs the dense gradient rows of the last batch (trainer support)');
      const empty = emptyPositions(w);
      if (count > empty) {
        throw new NotEnoughRoomError(`cannot regrow ${count} connections in a ${w.rows} x ${w.cols} layer with only ${empty} empty positions`);
      }
      return topEmptyByRowScores(w, count, inputs.denseGradientRow);
    },
  };
}

/**
 * Momentum regrowth (SNFS, Dettmers and Zettlemoyer 2019). SNFS grows where the momentum of the dense
 * gradient is largest, which needs dense optimizer state for missing weights. A truly sparse toolkit
 * keeps none, so this rule scores empty positions by the dense gradient of the last batch (momentum with
 * no history: the empty positions' momentum is zero before they are grown). Combined with
 * `redistribution: 'momentum'` it reproduces SNFS's cross-layer allocation exactly (that part only needs
 * the momentum of existing weights).
 */
export function momentumRegrow(): Regrow {
  return { ...gradientRegrow(), name: 'momentum' };
}
