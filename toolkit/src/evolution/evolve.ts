/**
 * Evolving one layer: a pure function from the old layer to the new one plus a report.
 *
 * @packageDocumentation
 */
import { assert } from '../core/assert';
import type { Rng } from '../core/rng';
import { CsrMatrix } from '../sparse/csr';
import type { EvolutionContext, EvolutionReport, Policy } from './types';

/** The result of {@link evolveLayer}. */
export interface EvolvedLayer {
  /** The new topology and weights (a new matrix; the input is not modified). */
  readonly weights: CsrMatrix;
  /**
   * For every entry of the new matrix, the index of the entry of the old matrix it continues, or -1 for a
   * grown connection. Optimizers remap their per-connection state with it.
   */
  readonly map: Int32Array;
  readonly report: EvolutionReport;
}

/**
 * Prunes and regrows one layer according to `policy` (its fraction, prune, regrow and init parts; the
 * trigger was already consulted by the caller). The number of connections never changes.
 *
 * @param layer - index of the linear layer, recorded in the report.
 * @param rng - the stream of this event, `rngFor(seed, 'evolve', event, step-or-epoch, layer)`.
 */
export function evolveLayer(w: CsrMatrix, policy: Policy, ctx: EvolutionContext, layer: number, rng: Rng): EvolvedLayer {
  const fraction = policy.fraction.at(ctx);
  const removed = policy.prune.select(w, fraction, rng);
  const { rows, cols, rowPtr, colIdx, values } = w;

  // 1. The pruned matrix, and for each kept entry its index in `w`.
  const keepNnz = w.nnz - removed.length;
  const kRowPtr = new Int32Array(rows + 1);
  const kCol = new Int32Array(keepNnz);
  const kVal = new Float32Array(keepNnz);
  const kFrom = new Int32Array(keepNnz);
  const droppedPositions = new Float64Array(removed.length);
  let droppedMagnitude = 0;
  let at = 0;
  let r = 0;
  for (let j = 0; j < rows; j++) {
    for (let k = rowPtr[j]!; k < rowPtr[j + 1]!; k++) {
      if (r < removed.length && removed[r] === k) {
        droppedPositions[r] = j * cols + colIdx[k]!;
        droppedMagnitude += Math.abs(values[k]!);
        r++;
        continue;
      }
      kCol[at] = colIdx[k]!;
      kVal[at] = values[k]!;
      kFrom[at] = k;
      at++;
    }
    kRowPtr[j + 1] = at;
  }
  assert(at === keepNnz && r === removed.length, () => `prune returned unsorted or out-of-range indices (${r} of ${removed.length} matched)`);
  const pruned = new CsrMatrix(rows, cols, kRowPtr, kCol, kVal);

  // 2. New positions and their initial values.
  const grown = policy.regrow.grow(pruned, removed.length, rng, { pruned: droppedPositions });
  assert(grown.length === removed.length, () => `regrow returned ${grown.length} positions, expected ${removed.length}`);
  const grownValues = policy.init.fill(new Float32Array(grown.length), cols, rows, rng);

  // 3. Merge kept and grown entries row by row (both sorted).
  const nnz = w.nnz;
  const nRowPtr = new Int32Array(rows + 1);
  const nCol = new Int32Array(nnz);
  const nVal = new Float32Array(nnz);
  const map = new Int32Array(nnz);
  let g = 0;
  at = 0;
  for (let j = 0; j < rows; j++) {
    let k = kRowPtr[j]!;
    const end = kRowPtr[j + 1]!;
    const rowBase = j * cols;
    for (;;) {
      const gc = g < grown.length && grown[g]! < rowBase + cols ? grown[g]! - rowBase : Infinity;
      const kc = k < end ? kCol[k]! : Infinity;
      if (gc === Infinity && kc === Infinity) break;
      assert(gc !== kc, () => `regrow chose position (${j}, ${gc}), which is already connected`);
      if (kc < gc) {
        nCol[at] = kc;
        nVal[at] = kVal[k]!;
        map[at++] = kFrom[k++]!;
      } else {
        nCol[at] = gc;
        nVal[at] = grownValues[g++]!;
        map[at++] = -1;
      }
    }
    nRowPtr[j + 1] = at;
  }
  assert(at === nnz && g === grown.length, () => `merge produced ${at} entries (expected ${nnz}), used ${g} of ${grown.length} grown`);

  return {
    weights: new CsrMatrix(rows, cols, nRowPtr, nCol, nVal),
    map,
    report: {
      layer,
      event: ctx.event,
      epoch: ctx.epoch,
      step: ctx.step,
      fraction,
      connections: nnz,
      dropped: removed.length,
      grown: grown.length,
      droppedMeanMagnitude: removed.length ? droppedMagnitude / removed.length : NaN,
      grownPositions: grown,
      droppedPositions,
    },
  };
}
