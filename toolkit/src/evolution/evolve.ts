/**
 * Evolving one layer: pure functions from the old layer to the new one plus a report. The two phases
 * ({@link pruneLayer}, {@link regrowLayer}) are exposed separately so that cross-layer redistribution
 * can pool what several layers pruned before anything regrows; {@link evolveLayer} runs both.
 *
 * @packageDocumentation
 */
import { assert } from '../core/assert';
import type { Rng } from '../core/rng';
import { CsrMatrix } from '../sparse/csr';
import type { EvolutionContext, EvolutionReport, Policy, RegrowInputs } from './types';

/** The result of {@link evolveLayer} and {@link regrowLayer}. */
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

/** A layer after its prune phase. */
export interface PrunedLayer {
  /** The kept connections. */
  readonly pruned: CsrMatrix;
  /** For each kept entry, its index in the original matrix. */
  readonly keptFrom: Int32Array;
  /** Row-major ranks of the removed connections, sorted. */
  readonly droppedPositions: Float64Array;
  /** Sum of |w| over the removed connections. */
  readonly droppedMagnitude: number;
  /** The fraction the policy asked for. */
  readonly fraction: number;
}

/**
 * Removes the entries at the sorted indices `removed` from `w`.
 * @returns the kept matrix, where each kept entry came from, and the removed positions.
 */
export function removeEntries(w: CsrMatrix, removed: Int32Array, fraction = 0): PrunedLayer {
  const { rows, cols, rowPtr, colIdx, values } = w;
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
  assert(at === keepNnz && r === removed.length, () => `removed indices are unsorted, repeated or out of range (${r} of ${removed.length} matched)`);
  return { pruned: new CsrMatrix(rows, cols, kRowPtr, kCol, kVal), keptFrom: kFrom, droppedPositions, droppedMagnitude, fraction };
}

/** Phase 1: the policy's fraction and prune rule applied to `w`. */
export function pruneLayer(w: CsrMatrix, policy: Policy, ctx: EvolutionContext, rng: Rng): PrunedLayer {
  const fraction = policy.fraction.at(ctx);
  return removeEntries(w, policy.prune.select(w, fraction, rng), fraction);
}

/** For each grown position (flat `row * cols + col`), the connections its row has after regrowth. */
function rowFanInOf(pruned: CsrMatrix, grown: Float64Array): Int32Array {
  const count = new Int32Array(pruned.rows);
  for (let j = 0; j < pruned.rows; j++) count[j] = pruned.rowPtr[j + 1]! - pruned.rowPtr[j]!;
  for (let g = 0; g < grown.length; g++) count[Math.floor(grown[g]! / pruned.cols)]!++;
  return Int32Array.from(grown, (p) => count[Math.floor(p / pruned.cols)]!);
}

/**
 * Phase 2: grows `count` connections into the pruned layer with the policy's regrow and init rules and
 * merges them with the kept ones (rows stay sorted).
 * @param w - the layer before pruning (for the map and the report).
 */
export function regrowLayer(
  w: CsrMatrix, p: PrunedLayer, count: number, policy: Policy, ctx: EvolutionContext, layer: number, rng: Rng,
  inputs: Omit<RegrowInputs, 'pruned'> = {},
): EvolvedLayer {
  const { rows, cols } = w;
  const { pruned, keptFrom } = p;
  const grown = policy.regrow.grow(pruned, count, rng, { ...inputs, pruned: p.droppedPositions });
  assert(grown.length === count, () => `regrow returned ${grown.length} positions, expected ${count}`);
  const grownValues = policy.init.fill(new Float32Array(grown.length), cols, rows, rng, () => rowFanInOf(pruned, grown));

  const nnz = pruned.nnz + count;
  const nRowPtr = new Int32Array(rows + 1);
  const nCol = new Int32Array(nnz);
  const nVal = new Float32Array(nnz);
  const map = new Int32Array(nnz);
  const kRowPtr = pruned.rowPtr, kCol = pruned.colIdx, kVal = pruned.values;
  let g = 0;
  let at = 0;
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
        map[at++] = keptFrom[k++]!;
      } else {
        nCol[at] = gc;
        nVal[at] = grownValues[g++]!;
        map[at++] = -1;
      }
    }
    nRowPtr[j + 1] = at;
  }
  assert(at === nnz && g === grown.length, () => `merge produced ${at} entries (expected ${nnz}), used ${g} of ${grown.length} grown`);
  const dropped = p.droppedPositions.length;
  return {
    weights: new CsrMatrix(rows, cols, nRowPtr, nCol, nVal),
    map,
    report: {
      layer,
      event: ctx.event,
      epoch: ctx.epoch,
      step: ctx.step,
      fraction: p.fraction,
      connections: nnz,
      dropped,
      grown: grown.length,
      droppedMeanMagnitude: dropped ? p.droppedMagnitude / dropped : NaN,
      grownPositions: grown,
      droppedPositions: p.droppedPositions,
    },
  };
}

/**
 * Prunes and regrows one layer according to `policy` (its fraction, prune, regrow and init parts; the
 * trigger was already consulted by the caller). The number of connections never changes.
 *
 * @param layer - index of the linear layer, recorded in the report.
 * @param rng - the stream of this event, `rngFor(seed, 'evolve', event, step-or-epoch, layer)`.
 * @param inputs - gradient rows or usage history for regrow rules that need them.
 */
export function evolveLayer(
  w: CsrMatrix, policy: Policy, ctx: EvolutionContext, layer: number, rng: Rng, inputs: Omit<RegrowInputs, 'pruned'> = {},
): EvolvedLayer {
  const p = pruneLayer(w, policy, ctx, rng);
  return regrowLayer(w, p, p.droppedPositions.length, policy, ctx, layer, rng, inputs);
}
