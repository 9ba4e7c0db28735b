/**
 * The five axes of an evolution policy (DESIGN.md): trigger x fraction x prune x regrow x init.
 * Each part is a small object with a `name` and a JSON-serialisable `config`; a policy is a plain
 * composition of parts, not a subclass.
 *
 * @packageDocumentation
 */
import type { Rng } from '../core/rng';
import type { CsrMatrix } from '../sparse/csr';

/** When the trainer asks a trigger: at the end of an epoch, or after a training step (forward pass). */
export type EvolutionEvent = 'epoch-end' | 'step';

/** Where training stands when an evolution event is considered. */
export interface EvolutionContext {
  /** The event being considered. */
  readonly event: EvolutionEvent;
  /** 0-based epoch (for `epoch-end`: the epoch that just finished). */
  readonly epoch: number;
  /** Total number of epochs of the run. */
  readonly epochs: number;
  /** Global training steps taken so far (1-based after the first step). */
  readonly step: number;
  /** Total training steps of the run (epochs x batches per epoch). */
  readonly totalSteps: number;
}

/** A part with a name and the JSON config that rebuilds it. */
export interface Part {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** Decides whether a layer evolves at an event. */
export interface Trigger extends Part {
  /** @param rng - a stream private to (event, step, layer), for randomised triggers. */
  fires(ctx: EvolutionContext, layer: number, rng: Rng): boolean;
}

/** How large a share of a layer's connections is replaced at an event, in [0, 1). */
export interface Fraction extends Part {
  at(ctx: EvolutionContext): number;
}

/** Which connections go. Returns the sorted indices (into colIdx/values) of the removed entries. */
export interface Prune extends Part {
  select(w: CsrMatrix, fraction: number, rng: Rng): Int32Array;
}

/** Extra information a regrowth rule may use (gradient-based rules ask the trainer for it). */
export interface RegrowInputs {
  /** Positions (row-major ranks) that were just pruned, sorted. */
  readonly pruned: Float64Array;
}

/**
 * Where new connections appear. Returns `count` distinct row-major ranks `j * nIn + i`, sorted, all at
 * positions empty in `w` (the layer after pruning).
 */
export interface Regrow extends Part {
  grow(w: CsrMatrix, count: number, rng: Rng, inputs: RegrowInputs): Float64Array;
}

/** The initial value of a regrown weight. */
export interface GrowInit extends Part {
  /** Fills `out` (one value per new connection) for a layer with `fanIn` inputs and `fanOut` outputs. */
  fill(out: Float32Array, fanIn: number, fanOut: number, rng: Rng): Float32Array;
}

/** Which sparse layers a policy evolves: all, all but the last (output) layer, or explicit indices. */
export type LayerSelection = 'all' | 'hidden' | readonly number[];

/** A complete evolution policy. */
export interface Policy {
  readonly name: string;
  readonly trigger: Trigger;
  readonly fraction: Fraction;
  readonly prune: Prune;
  readonly regrow: Regrow;
  readonly init: GrowInit;
  readonly layers: LayerSelection;
}

/** What one evolution of one layer did. */
export interface EvolutionReport {
  /** Index of the linear layer in the network (0 = first). */
  readonly layer: number;
  readonly event: EvolutionEvent;
  readonly epoch: number;
  readonly step: number;
  /** The fraction asked for. */
  readonly fraction: number;
  /** Connections before and after (always equal). */
  readonly connections: number;
  /** Number removed (= number grown). */
  readonly dropped: number;
  readonly grown: number;
  /** Mean |w| of the removed connections (NaN when none). */
  readonly droppedMeanMagnitude: number;
  /** Row-major ranks `j * nIn + i` of the grown connections, sorted. */
  readonly grownPositions: Float64Array;
  /** Row-major ranks of the removed connections, sorted. */
  readonly droppedPositions: Float64Array;
}
