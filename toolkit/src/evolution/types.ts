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
  /** Number of sparse layers the policy may evolve (set by the trainer; used by Synapses' default p). */
  readonly sparseLayers?: number;
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
  /**
   * The events at which {@link Trigger.fires} can return true (absent: any). The trainer does not ask the
   * trigger at other events, which spares a per-layer stream per training step for epoch-wise policies.
   */
  readonly events?: readonly EvolutionEvent[];
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
  /**
   * The pattern (values unused) of every position that was ever connected in this layer, the current
   * connections included; present when the policy tracks in-time over-parameterisation (`itop`).
   */
  readonly everUsed?: CsrMatrix;
  /**
   * Writes row `j` of the DENSE gradient of the loss w.r.t. the layer's weights (length `cols`) into
   * `out`, from the last training batch. Present when the regrow rule sets `needsGradient`; one row at a
   * time, so no dense matrix is ever held.
   */
  readonly denseGradientRow?: (j: number, out: Float32Array) => void;
}

/**
 * Where new connections appear. Returns `count` distinct row-major ranks `j * nIn + i`, sorted, all at
 * positions empty in `w` (the layer after pruning).
 */
export interface Regrow extends Part {
  /** Asks the trainer for {@link RegrowInputs.denseGradientRow} (RigL, SNFS). */
  readonly needsGradient?: boolean;
  /** Asks the trainer to track {@link RegrowInputs.everUsed} (ITOP). */
  readonly needsHistory?: boolean;
  grow(w: CsrMatrix, count: number, rng: Rng, inputs: RegrowInputs): Float64Array;
}

/** The initial value of a regrown weight. */
export interface GrowInit extends Part {
  /**
   * Fills `out` (one value per new connection) for a layer with `fanIn` inputs and `fanOut` outputs (its
   * dense sizes). `rowFanIn()`, when given, returns for each new connection `g` the number of connections its
   * output neuron has after regrowth (its real, sparse fan-in); it costs a pass, so only an init that uses it
   * calls it.
   */
  fill(out: Float32Array, fanIn: number, fanOut: number, rng: Rng, rowFanIn?: () => Int32Array): Float32Array;
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
  /**
   * Cross-layer redistribution of regrowth (SNFS, Dettmers and Zettlemoyer 2019): `'none'` (default)
   * regrows in each layer what it pruned, so every layer keeps its count; `'momentum'` pools what the
   * layers evolving at one event pruned and regrows it in proportion to each layer's mean |momentum|
   * (the optimizer's first-moment state), so the TOTAL count is kept.
   */
  readonly redistribution?: 'none' | 'momentum';
  /** Track every position ever connected (ITOP rate), also when the regrow rule does not need it. */
  readonly itop?: boolean;
  /** Neuron importance pruning (Curci et al. 2021); off when absent. */
  readonly importance?: ImportancePruning;
}

/**
 * Neuron importance pruning (Curci, Mocanu and Pechenizkiy 2021): from epoch `start`, every `every`
 * epochs, the hidden neurons whose summed |incoming weight| lies in the bottom `percentile` (0..1) of
 * their layer lose all their incoming connections (which are not regrown).
 */
export interface ImportancePruning {
  readonly percentile: number;
  readonly start: number;
  readonly every: number;
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
  /**
   * Connections after the event: equal to before, except with cross-layer redistribution (the total is
   * kept) and neuron importance pruning (connections are only removed).
   */
  readonly connections: number;
  /** Number removed and number grown (equal unless redistributed or importance-pruned). */
  readonly dropped: number;
  readonly grown: number;
  /** Mean |w| of the removed connections (NaN when none). */
  readonly droppedMeanMagnitude: number;
  /** Row-major ranks `j * nIn + i` of the grown connections, sorted. */
  readonly grownPositions: Float64Array;
  /** Row-major ranks of the removed connections, sorted. */
  readonly droppedPositions: Float64Array;
  /** In-time over-parameterisation rate of the layer after this event, when tracked (ITOP). */
  readonly itopRate?: number;
}
