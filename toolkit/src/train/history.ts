/**
 * What training reports: per-epoch logs, per-batch logs, and the record of every evolution event.
 *
 * @packageDocumentation
 */
import type { DataFrame } from 'danfojs-node';
import { ConfigError } from '../core/errors';
import type { EvolutionReport } from '../evolution/types';

/** Metrics of one finished epoch. Losses are means over samples; accuracies are fractions in [0, 1]. */
export interface EpochLogs {
  /** 0-based epoch index. */
  readonly epoch: number;
  /** Mean training loss over the epoch (with dropout active, as it was optimised). */
  readonly loss: number;
  /** Training accuracy over the epoch (with dropout active). */
  readonly accuracy: number;
  /** Loss and accuracy on the validation data, when given. */
  readonly valLoss?: number;
  readonly valAccuracy?: number;
  /** Connections of every linear layer at the end of the epoch (after evolution). */
  readonly connections: readonly number[];
  /** Wall-clock seconds of the epoch (training, validation and evolution). */
  readonly seconds: number;
  /** Seconds spent in evolution during the epoch. */
  readonly evolutionSeconds: number;
  /** Number of layer evolution events during the epoch. */
  readonly evolutionEvents: number;
  /** The learning rate of the epoch's last step (the base rate times the schedule's factor). */
  readonly lr?: number;
  /**
   * Training FLOPs of the epoch: the forward, input-gradient and weight-gradient products at the connections
   * that existed at each step, plus gradient-based regrowth (see train/flops for exactly what is counted).
   * Absent in logs written before FLOPs were counted.
   */
  readonly flops?: number;
}

/** Metrics of one training batch. */
export interface BatchLogs {
  readonly epoch: number;
  /** 0-based batch index within the epoch. */
  readonly batch: number;
  /** Batches per epoch. */
  readonly batches: number;
  /** Global step (1-based, after this batch's update). */
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly size: number;
}

/** The result of `fit`. */
export class History {
  /** One entry per finished epoch. */
  readonly epochs: EpochLogs[] = [];
  /** Every layer evolution, in order. */
  readonly evolution: EvolutionReport[] = [];
  /** The best epoch by the monitored validation metric (over every fit of the model), when validated. */
  bestEpoch?: number;
  /** True when early stopping ended training before the planned epochs. */
  stoppedEarly = false;

  /** The last finished epoch, if any. */
  get last(): EpochLogs | undefined {
    return this.epochs[this.epochs.length - 1];
  }

  /** Values of one metric across epochs, e.g. `history.series('valAccuracy')` (NaN where an epoch lacks it). */
  series(key: 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy' | 'seconds' | 'lr' | 'flops'): number[] {
    return this.epochs.map((e) => e[key] ?? NaN);
  }

  /** Training FLOPs of every epoch of this history together (see {@link EpochLogs.flops}); NaN if an epoch lacks its count. */
  get totalFlops(): number {
    return this.epochs.reduce((a, e) => a + (e.flops ?? NaN), 0);
  }

  /**
   * One flat record per epoch, ready for a table: epoch, loss, accuracy, valLoss, valAccuracy (NaN without
   * validation), lr, connections (the total), flops, seconds, evolutionSeconds, evolutionEvents.
   */
  records(): Record<string, number>[] {
    return this.epochs.map(epochRecord);
  }

  /**
   * The history as a danfojs DataFrame, one row per epoch (see {@link History.records}). danfojs-node is
   * loaded on the first call (it brings TensorFlow.js), not when the toolkit is imported.
   * @example
   * const df = await history.toDataFrame();
   * df.print();
   */
  async toDataFrame(): Promise<DataFrame> {
    const dfd = await import('danfojs-node');
    return new dfd.DataFrame(this.records());
  }
}

/** The flat table record of one epoch's logs (see {@link History.records}). */
export function epochRecord(e: EpochLogs): Record<string, number> {
  return {
    epoch: e.epoch,
    loss: e.loss,
    accuracy: e.accuracy,
    valLoss: e.valLoss ?? NaN,
    valAccuracy: e.valAccuracy ?? NaN,
    lr: e.lr ?? NaN,
    connections: e.connections.reduce((a, b) => a + b, 0),
    flops: e.flops ?? NaN,
    seconds: e.seconds,
    evolutionSeconds: e.evolutionSeconds,
    evolutionEvents: e.evolutionEvents,
  };
}

/** What {@link Callbacks.onValidationEnd} receives: the epoch's validation metrics, before evolution. */
export interface ValidationInfo {
  readonly epoch: number;
  readonly valLoss: number;
  readonly valAccuracy: number;
  /** True when this epoch is the best so far by the monitored metric (the model now is the best model). */
  readonly improved: boolean;
  readonly bestEpoch: number;
  /** True when early stopping ends the run after this epoch (it will not evolve). */
  readonly stopping: boolean;
}

/** What {@link Callbacks.onTrainBegin} receives. */
export interface TrainBeginInfo {
  /** Epochs this `fit` trains. */
  readonly epochs: number;
  readonly batchesPerEpoch: number;
  /** Training samples per epoch. */
  readonly samples: number;
  /** The index of this fit's first epoch (the epochs the model trained before). */
  readonly firstEpoch: number;
  /** The planned length of the whole run in epochs (see FitOptions.totalEpochs). */
  readonly totalEpochs: number;
}

/**
 * Hooks called during `fit`, in the manner of TensorFlow.js. Each may return a promise, which is awaited; other return values are ignored.
 * Callbacks must not modify the model.
 */
export interface Callbacks {
  onTrainBegin?(info: TrainBeginInfo): unknown;
  onEpochBegin?(epoch: number): unknown;
  onBatchEnd?(logs: BatchLogs): unknown;
  onEvolve?(report: EvolutionReport): unknown;
  /**
   * Called after each epoch's validation and BEFORE the epoch's evolution changes the network: the model is
   * exactly the one the validation metrics describe, so this is where a best model is saved.
   */
  onValidationEnd?(info: ValidationInfo): unknown;
  onEpochEnd?(logs: EpochLogs): unknown;
  onTrainEnd?(history: History): unknown;
}

/** The hook names of {@link Callbacks}, in the order `fit` first calls them. */
const HOOKS = ['onTrainBegin', 'onEpochBegin', 'onBatchEnd', 'onEvolve', 'onValidationEnd', 'onEpochEnd', 'onTrainEnd'] as const;

/**
 * One {@link Callbacks} object that calls every hook of `list` in order, each awaited before the next (as
 * Keras calls a list of callbacks). A hook absent from every element stays absent, so `fit` skips it.
 * @example
 * model.fit(train, { epochs: 5, callbacks: [logger, checkpointer] });
 */
export function combineCallbacks(list: Callbacks | readonly Callbacks[] | undefined): Callbacks {
  if (list === undefined) return {};
  const all = (Array.isArray(list) ? list : [list]) as readonly Callbacks[];
  all.forEach((c, i) => {
    if (typeof c !== 'object' || c === null) {
      throw new ConfigError(`callbacks${Array.isArray(list) ? `[${i}]` : ''} must be an object of hooks (onEpochEnd, onBatchEnd, ...), got ${c === null ? 'null' : typeof c}`);
    }
  });
  if (all.length === 1) return all[0]!;
  const out: Record<string, (arg: never) => Promise<void>> = {};
  for (const hook of HOOKS) {
    const fns = all.filter((c) => typeof c[hook] === 'function');
    if (fns.length === 0) continue;
    out[hook] = async (arg: never) => {
      for (const c of fns) await (c[hook] as (a: never) => unknown).call(c, arg);
    };
  }
  return out as Callbacks;
}
