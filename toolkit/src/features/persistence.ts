/**
 * The evolution history of a network's input layer, kept small enough for a million features: for each input
 * feature, how many of its connections survived each observed epoch (connection-epochs). This is what the
 * `persistence` importance method ranks by (see features/importance).
 *
 * Definition. Let `C_f(t)` be the set of connections of input feature `f` (the hidden neurons it feeds) in
 * the topology at the end of epoch `t` (after that epoch's evolution), and `C_f(-1)` the topology training
 * started from. Then
 *
 * ```text
 * survived[f] = sum over observed epochs t of |C_f(t-1) ∩ C_f(t)|
 * ```
 *
 * A connection that lives through `L` epoch ends adds `L`; a connection pruned at the first evolution adds 0.
 * So the score is the total lifetime of the feature's connections: a feature whose connections SET keeps
 * pruning scores low even if regrowth keeps handing it new ones, while on a static network it is simply
 * `epochs * degree`. Memory: one Float64 per feature plus a copy of the input layer's pattern (`rowPtr`,
 * `colIdx`), O(nFeatures + connections); time O(connections) per epoch.
 *
 * The run folder keeps it as `feature-history.json` (written by experiments/run after each epoch), so a run
 * can be ranked later: `synapses-ts select RUN_DIR --method persistence`.
 *
 * @packageDocumentation
 */
import { DataError, ShapeError } from '../core/errors';
import { DenseLinear } from '../nn/dense-linear';
import type { Sequential } from '../nn/sequential';
import { SparseLinear } from '../nn/sparse-linear';
import type { CsrMatrix } from '../sparse/csr';

/** The file name of the input-layer history inside a run folder. */
export const FEATURE_HISTORY_FILE = 'feature-history.json';

/** The serialised form of an {@link InputHistory} (`feature-history.json`). */
export interface InputHistoryJson {
  readonly format: 'synapses-ts/feature-history';
  readonly version: 1;
  readonly nFeatures: number;
  /** Epoch ends observed so far. */
  readonly epochs: number;
  /** Per feature, the surviving connection-epochs (see the module comment). */
  readonly survived: number[];
}

/** The first linear layer of a network: the one whose columns are the input features. */
export function inputLayerOf(network: Sequential): SparseLinear | DenseLinear {
  const first = network.linearLayers()[0];
  if (!first) throw new ShapeError('the network has no linear layer, so no input connections to rank');
  return first;
}

/**
 * Accumulates the surviving connection-epochs of every input feature of a network's first layer.
 * @example
 * const h = new InputHistory(model.network.nIn);
 * h.start(model.network);               // before training
 * // after each epoch (after its evolution):
 * h.observe(model.network);
 */
export class InputHistory {
  /** Surviving connection-epochs per feature. */
  readonly survived: Float64Array;
  /** Epoch ends observed. */
  epochs = 0;
  private rowPtr: Int32Array | null = null;
  private colIdx: Int32Array | null = null;

  constructor(readonly nFeatures: number) {
    this.survived = new Float64Array(nFeatures);
  }

  /** Remembers the topology that the next {@link InputHistory.observe} is compared with. */
  start(network: Sequential): void {
    this.remember(network);
  }

  /**
   * Adds, per feature, the connections present both in the remembered topology and now; then remembers now.
   * A dense first layer keeps every connection: each feature adds `nOut`.
   * @throws {@link ShapeError} when the network's width is not `nFeatures` or `start` was not called.
   */
  observe(network: Sequential): void {
    const layer = inputLayerOf(network);
    if (layer.nIn !== this.nFeatures) throw new ShapeError(`input history of ${this.nFeatures} features cannot observe a network of ${layer.nIn} inputs`);
    if (layer instanceof DenseLinear) {
      for (let f = 0; f < this.nFeatures; f++) this.survived[f]! += layer.nOut;
    } else {
      if (this.rowPtr === null || this.colIdx === null) throw new ShapeError('InputHistory.observe before start: call start(network) before training');
      countSurvivors(this.rowPtr, this.colIdx, layer.weights, this.survived);
    }
    this.epochs++;
    this.remember(network);
  }

  private remember(network: Sequential): void {
    const layer = inputLayerOf(network);
    if (layer instanceof SparseLinear) {
      this.rowPtr = layer.weights.rowPtr.slice();
      this.colIdx = layer.weights.colIdx.slice();
    }
  }

  /** The JSON form written to {@link FEATURE_HISTORY_FILE}. */
  toJson(): InputHistoryJson {
    return { format: 'synapses-ts/feature-history', version: 1, nFeatures: this.nFeatures, epochs: this.epochs, survived: Array.from(this.survived) };
  }

  /**
   * Restores the counts of a resumed run; the topology to compare with is `network`'s (the checkpoint's,
   * which is the topology at the end of the last observed epoch).
   * @throws {@link DataError} for a document of another format or width.
   */
  static fromJson(doc: unknown, network?: Sequential, source = FEATURE_HISTORY_FILE): InputHistory {
    const d = doc as Partial<InputHistoryJson> | null;
    if (!d || d.format !== 'synapses-ts/feature-history' || !Array.isArray(d.survived) || typeof d.nFeatures !== 'number' || d.survived.length !== d.nFeatures) {
      throw new DataError(`${source} is not a synapses-ts feature history (expected format "synapses-ts/feature-history" with one count per feature)`);
    }
    const h = new InputHistory(d.nFeatures);
    h.survived.set(d.survived);
    h.epochs = typeof d.epochs === 'number' ? d.epochs : 0;
    if (network) h.remember(network);
    return h;
  }
}

/**
 * `out[col] += 1` for every (row, col) present in both patterns; both have sorted columns per row.
 * A merge of the two sorted rows: O(nnz of both).
 */
export function countSurvivors(oldPtr: Int32Array, oldIdx: Int32Array, now: CsrMatrix, out: Float64Array): Float64Array {
  const ptr = now.rowPtr, idx = now.colIdx;
  for (let j = 0; j < now.rows; j++) {
    let a = oldPtr[j]!, b = ptr[j]!;
    const ae = oldPtr[j + 1]!, be = ptr[j + 1]!;
    while (a < ae && b < be) {
      const ca = oldIdx[a]!, cb = idx[b]!;
      if (ca === cb) {
        out[ca]! += 1;
        a++;
        b++;
      } else if (ca < cb) a++;
      else b++;
    }
  }
  return out;
}
