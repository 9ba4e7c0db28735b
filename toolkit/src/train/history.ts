/**
 * What training reports: per-epoch logs, per-batch logs, and the record of every evolution event.
 *
 * @packageDocumentation
 */
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

  /** Values of one metric across epochs, e.g. `history.series('valAccuracy')`. */
  series(key: 'loss' | 'accuracy' | 'valLoss' | 'valAccuracy' | 'seconds'): number[] {
    return this.epochs.map((e) => e[key] ?? NaN);
  }
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

/**
 * Hooks called during `fit`, in the manner of TensorFlow.js. Each may return a promise, which is awaited; other return values are ignored.
 * Callbacks must not modify the model.
 */
export interface Callbacks {
  onTrainBegin?(info: { epochs: number; batchesPerEpoch: number; samples: number }): unknown;
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
