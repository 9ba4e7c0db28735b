/**
 * State an evolution policy carries across events: the usage history of each layer, from which the
 * in-time over-parameterisation (ITOP) rate is measured (Liu et al. 2021: the fraction of all possible
 * weights that were ever active).
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../sparse/csr';
import { unionWithRanks } from '../sparse/pattern';

/** Per-layer evolution state, keyed by linear-layer index. */
export class EvolutionState {
  /** Pattern of every position ever connected, per tracked layer. */
  readonly everUsed = new Map<number, CsrMatrix>();

  /** Starts tracking `layer` from its current topology (no-op when already tracked). */
  track(layer: number, w: CsrMatrix): void {
    if (!this.everUsed.has(layer)) this.everUsed.set(layer, unionWithRanks(w, new Float64Array(0)));
  }

  /** Records the positions grown in `layer` (sorted row-major ranks). */
  recordGrown(layer: number, grown: Float64Array): void {
    const ever = this.everUsed.get(layer);
    if (ever && grown.length) this.everUsed.set(layer, unionWithRanks(ever, grown));
  }

  /** The ITOP rate of `layer` (ever-used positions / all positions), or undefined when not tracked. */
  itopRate(layer: number): number | undefined {
    const ever = this.everUsed.get(layer);
    return ever ? ever.nnz / (ever.rows * ever.cols) : undefined;
  }
}
