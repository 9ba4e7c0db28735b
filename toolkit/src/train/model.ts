/**
 * The model a researcher trains: a network plus its optimizer, loss and evolution policy, with
 * `compile` / `fit` / `evaluate` / `predict` in the manner of TensorFlow.js.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { resolveBackend, type ResolvedBackend } from '../backend/registry';
import { check, checkInt, firstNonFinite } from '../core/assert';
import { ConfigError, NumericalError, ShapeError, UnknownNameError } from '../core/errors';
import { rngFor } from '../core/rng';
import { batchOrder } from '../data/batches';
import { DenseDataset, type Dataset } from '../data/dataset';
import { hasSparseBatches, type SparseBatchSource } from '../data/sparse-dataset';
import { SparseBatch } from '../sparse/sparse-batch';
import { policyFrom, type PolicyDescription } from '../evolution/registry';
import type { EvolutionContext, EvolutionReport, Policy } from '../evolution/types';
import type { DenseGradientSource } from '../nn/dense-gradient';
import { Buffer } from '../nn/layer';
import { lossFor, type Loss, type LossName } from '../nn/losses';
import { addGaussianNoise } from '../nn/reconstruction';
import { mlpNetwork, type MlpOptions } from '../nn/mlp';
import type { Sequential } from '../nn/sequential';
import { checkLrSchedule, CONSTANT_LR, lrFactor, type LrScheduleSpec } from '../optim/lr-schedule';
import { createOptimizer, type Optimizer, type OptimizerSpec } from '../optim/optimizer';
import { stratifiedValidationSplit, type Subsettable } from '../data/split';
import { EvolutionState } from '../evolution/state';
import { checkPolicyLayers, evolveNetwork, importancePrune } from './evolution-step';
import { denseGradientFlops, trainingFlopsPerSample } from './flops';
import { combineCallbacks, History, type Callbacks, type EpochLogs, type ValidationInfo } from './history';
import { modelWriter } from './model-store';
import { BatchPrefetcher } from './prefetch';
import { progressDisplay, VERBOSITIES, type Verbosity } from './progress';
import { probeGradient, trainStep, type StepParts } from './step';

// The losses are nn/ objects (nn/losses.ts); their names stay importable from here, where they always were.
export { LOSSES, type LossName } from '../nn/losses';

/** What {@link Model.compile} takes. Defaults: the SET paper's SGD, cross-entropy, the `set` policy. */
export interface CompileOptions {
  readonly optimizer?: OptimizerSpec;
  readonly loss?: LossName;
  /** A policy preset name, a JSON description, or a built policy. Default `'set'`. */
  readonly policy?: PolicyDescription | Policy;
  /** With `loss: 'reconstruction'`: std of the Gaussian noise added to training inputs (a denoising autoencoder; default 0). */
  readonly inputNoise?: number;
}

/** What {@link Model.fit} takes. */
export interface FitOptions {
  /** Number of epochs (>= 1). */
  readonly epochs: number;
  /** Samples per batch, default 32. */
  readonly batchSize?: number;
  /** Evaluated after every epoch when given. */
  readonly validationData?: Dataset;
  /**
   * Hooks called during training: one object of hooks, or an array of them, called in order (each awaited
   * before the next), as Keras's list of callbacks. The progress display of `verbose` runs after them.
   */
  readonly callbacks?: Callbacks | readonly Callbacks[];
  /**
   * Progress display: 0 nothing, 1 a progress bar per epoch (in a tslab notebook, one display updated in
   * place), 2 one line per epoch. Default: 1 when stderr is a terminal (and `CI` is not `true`) or in a
   * tslab notebook, else 0 (logs, pipes, tests). Shown by the display the toolkit's entry registers
   * (train/progress); training itself never writes to the console.
   */
  readonly verbose?: Verbosity;
  /**
   * The planned length of the whole run in epochs, counted from the model's first epoch (default: the
   * epochs already done plus `epochs`). Schedules (cosine fractions, RigL's end) and SET's "not after the
   * last epoch" use it, so a run resumed from a checkpoint behaves exactly like an uninterrupted one.
   */
  readonly totalEpochs?: number;
  /** Shuffle the training order every epoch (default true; the order comes from `rngFor(seed, 'shuffle', epoch)`). */
  readonly shuffle?: boolean;
  /**
   * Hold out this fraction of `data` for validation instead of passing `validationData` (as Keras's
   * `validationSplit`, but stratified by class and seeded by the model's seed: see
   * {@link stratifiedValidationSplit}). The model never trains on the held-out samples.
   */
  readonly validationSplit?: number;
  /**
   * The validation metric that picks the best epoch and drives early stopping: `valAccuracy` (default;
   * higher is better) or `valLoss` (lower is better). Only validation data is ever monitored, never a test set.
   */
  readonly monitor?: Monitor;
  /** Stop when the monitored metric has not improved for `patience` epochs (needs validation data). */
  readonly earlyStopping?: EarlyStoppingSpec;
  /** A learning-rate schedule over the planned run (default constant); see optim/lr-schedule. */
  readonly lrSchedule?: LrScheduleSpec;
}

/** The settings of a `fit` that shape training beyond the optimizer: selection, early stopping, schedule. */
export interface FitSettings {
  readonly monitor: Monitor;
  readonly earlyStopping: EarlyStoppingSpec | null;
  readonly lrSchedule: LrScheduleSpec;
  readonly batchSize: number;
  readonly totalEpochs: number;
}

/** The validation metrics that model selection may monitor. */
export const MONITORS = ['valAccuracy', 'valLoss'] as const;
/** A validation metric that model selection may monitor. */
export type Monitor = (typeof MONITORS)[number];

/** Early stopping: stop after `patience` epochs without an improvement of more than `minDelta` (default 0). */
export interface EarlyStoppingSpec {
  readonly patience: number;
  readonly minDelta?: number;
}

/**
 * Where model selection stands, carried across `fit` calls and checkpoints so that a resumed run picks the
 * same best epoch and stops at the same epoch as an uninterrupted one.
 */
export interface SelectionState {
  readonly monitor: Monitor;
  /** The epoch with the best monitored value so far (strictly better than every earlier one). */
  bestEpoch: number;
  bestValue: number;
  /** The reference value of early stopping (last improvement by more than minDelta) and epochs since it. */
  stopReference: number;
  wait: number;
  /** True once early stopping has ended the run. */
  stopped: boolean;
}


/** Loss and accuracy of a model on a data set. */
export interface Evaluation {
  readonly loss: number;
  readonly accuracy: number;
  readonly samples: number;
}

/** A trainable model. Create one with {@link mlp} or from a {@link Sequential} network. */
export class Model {
  private optimizerRef: Optimizer | null = null;
  private policyRef: Policy | null = null;
  private lossRef: Loss = lossFor('cross-entropy');
  /** The dense-gradient source that the last evolution event of gradient-based regrowth read (else null). */
  private gradientsRef: DenseGradientSource | null = null;
  /** Global training steps taken (batches). */
  step = 0;
  /** Epochs completed over every `fit` call. */
  epochsDone = 0;
  /** The planned run length of the last `fit` (see {@link FitOptions.totalEpochs}). */
  plannedEpochs = 0;
  /** Evolution state carried across events (usage history for ITOP). */
  readonly evolutionState = new EvolutionState();
  /** Std of the noise added to training inputs of a denoising autoencoder (see {@link CompileOptions.inputNoise}). */
  inputNoise = 0;
  private readonly noisyInput = new Buffer();
  /** Model selection's state (best epoch, early stopping); null before any validated epoch. */
  selection: SelectionState | null = null;
  /** The training settings of the last `fit` (recorded in checkpoints, so a checkpoint says how it was trained). */
  fitSettings: FitSettings | null = null;
  /** How the backend was chosen, when the model was built by {@link mlp} (shown by {@link Model.summary}). */
  backendChoice: BackendChoice | null = null;

  /**
   * @param network - the layers.
   * @param seed - the seed of every random stream of training (dropout, shuffling, evolution).
   */
  constructor(
    readonly network: Sequential,
    readonly seed = 0,
  ) {}

  /** The optimizer (after {@link Model.compile}). */
  get optimizer(): Optimizer {
    if (!this.optimizerRef) throw new ConfigError('the model is not compiled: call model.compile({...}) before training');
    return this.optimizerRef;
  }
  /** The evolution policy (after {@link Model.compile}). */
  get policy(): Policy {
    if (!this.policyRef) throw new ConfigError('the model is not compiled: call model.compile({...}) before training');
    return this.policyRef;
  }
  /** The loss name. */
  get loss(): LossName {
    return this.lossRef.name;
  }
  /**
   * The dense-gradient source of the last gradient-based regrowth event (RigL): the batch gradient that
   * evolution ranked empty positions by, valid until the network's next forward pass (so, inside an
   * `onEvolve` callback). Null when the policy regrows otherwise or before the first event.
   */
  get lastGradients(): DenseGradientSource | null {
    return this.gradientsRef;
  }
  /** The backend in use. */
  get backend(): Backend {
    return this.network.backend;
  }

  /**
   * Sets the optimizer, loss and evolution policy. Validates everything before changing anything.
   * @throws {@link UnknownNameError} or {@link ConfigError}.
   */
  compile(options: CompileOptions = {}): this {
    const loss = lossFor(options.loss ?? 'cross-entropy');
    const optimizer = createOptimizer(options.optimizer ?? { name: 'sgd' });
    const policy = policyFrom(options.policy ?? 'set');
    // An explicit `layers` list that names no evolvable layer would leave evolution silently off.
    checkPolicyLayers(this.network, policy);
    const noise = options.inputNoise ?? 0;
    if (!(Number.isFinite(noise) && noise >= 0)) throw new ConfigError(`compile option inputNoise must be a finite number >= 0, got ${noise}`);
    if (noise > 0 && loss.target !== 'input') throw new ConfigError(`compile option inputNoise is for loss "reconstruction" (a denoising autoencoder), not "${loss.name}"`);
    this.inputNoise = noise;
    this.lossRef = loss;
    this.optimizerRef = optimizer;
    this.policyRef = policy;
    return this;
  }

  /** Number of connections (weights, biases excluded) over all linear layers. */
  connectionCount(): number {
    return this.network.connectionCount();
  }

  /** Connections of every linear layer. */
  connectionsPerLayer(): number[] {
    return this.network.connectionsPerLayer();
  }

  private checkData(data: Dataset, what: string): void {
    if (data.nFeatures !== this.network.nIn) {
      throw new ShapeError(`${what} "${data.name}" has ${data.nFeatures} features but the model expects ${this.network.nIn}`);
    }
    if (this.lossRef.target === 'input' && this.network.nOut !== this.network.nIn) {
      throw new ShapeError(`loss "${this.lossRef.name}" needs an output layer as wide as the input: the model has ${this.network.nIn} inputs and ${this.network.nOut} outputs`);
    }
    if (this.lossRef.target === 'labels' && data.nClasses > this.network.nOut) {
      throw new ShapeError(`${what} "${data.name}" has ${data.nClasses} classes but the model has ${this.network.nOut} outputs`);
    }
    if (data.nSamples < 1) throw new ShapeError(`${what} "${data.name}" has no samples`);
  }

  /**
   * The training input of a denoising autoencoder: `x` plus Gaussian noise (`inputNoise`, stream
   * `rngFor(seed, 'input-noise', step)`) in a buffer of its own, so `x` stays the clean target; `x` itself
   * for every other model.
   */
  private corrupted(x: Float32Array, batch: number, step: number): Float32Array {
    if (this.inputNoise === 0) return x;
    const out = this.noisyInput.view(this.network.nIn * batch, this.backend);
    return addGaussianNoise(x, this.inputNoise, this.seed, step, out);
  }

  /**
   * Whether batches of `data` go to the network sparse ({@link SparseBatch}, no `nIn * batch` array): when
   * the data set can give them ({@link hasSparseBatches}, e.g. LIBSVM files and the `genotypes` generator)
   * and the first layer is sparse ({@link SparseLinear.forwardSparse}). Not for loss `reconstruction`, whose
   * target is the dense input (nor then for its input noise). Otherwise batches are gathered dense.
   */
  private sparsePath(data: Dataset): SparseBatchSource | null {
    return hasSparseBatches(data) && this.network.acceptsSparse() && this.lossRef.target !== 'input' ? data : null;
  }

  /** Gathers batch `[start, start + size)` of `order` into `x` (a whole buffer; sized here) and `y`; returns the input to forward. */
  private gatherInto(data: Dataset, sparse: SparseBatchSource | null, order: Int32Array, start: number, size: number, x: Float32Array | SparseBatch, y: Int32Array): Float32Array | SparseBatch {
    if (x instanceof SparseBatch) return sparse!.gatherSparse(order, start, size, x, y);
    const xb = x.length === this.network.nIn * size ? x : x.subarray(0, this.network.nIn * size);
    data.gather(order, start, size, xb, y);
    return xb;
  }

  /**
   * Trains the model. Each epoch: shuffled batches, forward, loss, backward, optimizer step (and
   * step-triggered evolution); then validation; then epoch-triggered evolution (SET evolves after every
   * epoch but the last). Data that keeps its samples sparse (LIBSVM files, `genotypes`: a
   * {@link SparseBatchSource}) reaches a sparse first layer as sparse batches, without any `nIn * batchSize`
   * array; `evaluate` and `predict` do the same (see `sparsePath`).
   *
   * @throws {@link ShapeError} for data that does not fit the model, {@link ConfigError} for bad options,
   *   {@link NumericalError} naming the epoch and layer when a NaN or Infinity appears.
   * @example
   * const history = await model.fit(train, { epochs: 10, batchSize: 128, validationData: test });
   */
  async fit(data: Dataset, options: FitOptions): Promise<History> {
    const optimizer = this.optimizer;
    const policy = this.policy;
    checkInt(options.epochs, 'fit option epochs', 1);
    const batchSize = options.batchSize ?? 32;
    checkInt(batchSize, 'fit option batchSize', 1);
    const schedule = options.lrSchedule === undefined ? undefined : checkLrSchedule(options.lrSchedule);
    const monitor = options.monitor ?? 'valAccuracy';
    if (!(MONITORS as readonly string[]).includes(monitor)) throw new UnknownNameError('monitor', String(monitor), MONITORS);
    const display = progressDisplay();
    const verbose = options.verbose ?? display?.defaultVerbosity() ?? 0;
    if (!(VERBOSITIES as readonly unknown[]).includes(verbose)) throw new ConfigError(`fit option verbose must be 0 (silent), 1 (a progress bar) or 2 (a line per epoch), got ${JSON.stringify(verbose)}`);
    if (verbose > 0 && !display) {
      throw new ConfigError(`fit option verbose ${verbose} needs a progress display and none is registered: import the toolkit from "synapses-ts" (its entry registers one) or call setProgressDisplay(...)`);
    }
    // Checked (each element an object) before anything changes.
    const userCallbacks = combineCallbacks(options.callbacks);
    if (options.validationSplit !== undefined) {
      if (options.validationData) throw new ConfigError('fit: give validationData or validationSplit, not both');
      if (!(options.validationSplit > 0 && options.validationSplit < 1)) throw new ConfigError(`fit option validationSplit must be in (0, 1), got ${options.validationSplit}`);
      if (typeof (data as Partial<Subsettable<Dataset>>).subset !== 'function') throw new ConfigError(`fit: validationSplit needs an in-memory data set; "${data.name}" cannot be split: pass validationData`);
      const parts = stratifiedValidationSplit(data as Dataset & Subsettable<Dataset & Subsettable<never>>, options.validationSplit, this.seed);
      const { validationSplit: _v, ...rest } = options;
      return this.fit(parts.train, { ...rest, validationData: parts.validation });
    }
    const es = options.earlyStopping;
    if (es) {
      checkInt(es.patience, 'earlyStopping.patience', 1);
      if (!(Number.isFinite(es.minDelta ?? 0) && (es.minDelta ?? 0) >= 0)) throw new ConfigError(`earlyStopping.minDelta must be a finite number >= 0, got ${es.minDelta}`);
      if (!options.validationData) throw new ConfigError('early stopping needs validation data (validationData or validationSplit): it never looks at the training or test set');
    }
    this.checkData(data, 'training data');
    if (options.validationData) this.checkData(options.validationData, 'validation data');
    if (this.selection && this.selection.monitor !== monitor) this.selection = null;
    // Asking for more epochs after early stopping trains them; the patience count goes on from where it was.
    if (this.selection) this.selection.stopped = false;
    // The display's callbacks are fresh per fit and run after the user's.
    const cb = verbose > 0 ? combineCallbacks([userCallbacks, display!.callbacks(verbose as 1 | 2)]) : userCallbacks;
    const net = this.network;
    const nIn = net.nIn, nOut = net.nOut;
    const n = data.nSamples;
    const batches = Math.ceil(n / batchSize);
    const epochs = options.epochs;
    const firstEpoch = this.epochsDone;
    const planned = options.totalEpochs ?? firstEpoch + epochs;
    checkInt(planned, 'fit option totalEpochs', firstEpoch + epochs);
    this.plannedEpochs = planned;
    const totalSteps = planned * batches;
    // Batch inputs and loss gradients in the backend's memory (its ops then copy nothing). Sparse data into
    // a sparse first layer: a sparse batch instead, sized by its non-zeros (sparsePath).
    const sparse = this.sparsePath(data);
    const x: Float32Array | SparseBatch = sparse ? new SparseBatch(nIn) : this.backend.memory.allocFloat32(nIn * batchSize);
    const batchesOf = new BatchPrefetcher((o, start, size, xs, ys) => this.gatherInto(data, sparse, o, start, size, xs, ys), x, new Int32Array(batchSize), n, batchSize, nIn);
    const parts: StepParts = {
      net, loss: this.lossRef, optimizer, seed: this.seed,
      grad: this.backend.memory.allocFloat32(nOut * batchSize), pred: new Int32Array(batchSize),
      corrupt: (xb, size, step) => this.corrupted(xb, size, step),
    };
    const history = new History();
    if (this.selection) history.bestEpoch = this.selection.bestEpoch;
    this.fitSettings = {
      monitor, earlyStopping: es ? { patience: es.patience, minDelta: es.minDelta ?? 0 } : null,
      lrSchedule: schedule ?? CONSTANT_LR, batchSize, totalEpochs: planned,
    };
    // A previous fit's schedule must not leak into this one.
    optimizer.lrScale = 1;
    await cb.onTrainBegin?.({ epochs, batchesPerEpoch: batches, samples: n, firstEpoch, totalEpochs: planned });
    let lastYield = Date.now();
    // Training FLOPs per sample of a step at the current connections (train/flops), recomputed whenever
    // evolution changes a topology.
    let flopsPerSample = trainingFlopsPerSample(net);
    // Gradient-based regrowth computes the dense gradient of each layer that regrows, over `batch` samples.
    const needsGradient = policy.regrow.needsGradient === true;
    const evolutionFlops = (reports: readonly { layer: number; grown: number }[], batch: number): number =>
      needsGradient ? reports.reduce((a, r) => a + (r.grown > 0 ? denseGradientFlops(net, r.layer, batch) : 0), 0) : 0;

    for (let e = firstEpoch; e < firstEpoch + epochs; e++) {
      const t0 = performance.now();
      let evoSeconds = 0;
      let evoEvents = 0;
      await cb.onEpochBegin?.(e);
      batchesOf.begin(batchOrder(n, e, this.seed, options.shuffle ?? true));
      let lossSum = 0;
      let correct = 0;
      let flops = 0;
      for (let b = 0; b < batches; b++) {
        if (schedule) optimizer.lrScale = lrFactor(schedule, this.step, batches, planned);
        // Gradient-based regrowth may evolve after this step: it reads the step's dense gradient, a value
        // the step returns (then the step keeps the activations and gathers the next batch afterwards).
        const r = trainStep(parts, batchesOf, b, { step: this.step, epoch: e, gradients: needsGradient });
        this.step++;
        lossSum += r.loss;
        correct += r.correct;
        flops += flopsPerSample * r.size;
        const stepCtx: EvolutionContext = { event: 'step', epoch: e, epochs: planned, step: this.step, totalSteps };
        const te = performance.now();
        const reports = this.evolve(stepCtx, r.gradients);
        if (reports.length) {
          evoSeconds += (performance.now() - te) / 1000;
          evoEvents += reports.length;
          flops += evolutionFlops(reports, r.size);
          flopsPerSample = trainingFlopsPerSample(net);
          for (const rep of reports) {
            history.evolution.push(rep);
            await cb.onEvolve?.(rep);
          }
        }
        await cb.onBatchEnd?.({ epoch: e, batch: b, batches, step: this.step, loss: r.loss / r.size, accuracy: r.correct / r.size, size: r.size });
        if (Date.now() - lastYield > 200) {
          // Let timers, signals and notebook displays run during long epochs.
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = Date.now();
        }
      }
      // A non-finite weight can hide behind a ReLU (relu(NaN) = 0, relu(-Inf) = 0) and never reach the
      // loss; one pass over the parameters per epoch catches it before it reaches evolution or a checkpoint.
      // A device backend brings its arrays home first (Backend.memory.sync).
      this.backend.memory.sync();
      for (const p of net.params()) {
        const bad = firstNonFinite(p.values);
        if (bad >= 0) {
          throw new NumericalError(`training diverged in epoch ${e}: parameter ${p.name}[${bad}] is ${p.values[bad]} (try a lower learning rate)`);
        }
      }
      const val = options.validationData ? this.evaluate(options.validationData, { batchSize: Math.max(batchSize, 256) }) : undefined;
      let stopping = false;
      if (val) {
        const info = this.select(e, val, monitor, es);
        stopping = info.stopping;
        history.bestEpoch = info.bestEpoch;
        // Before evolution: the network is the one these metrics describe (a best model saved now reloads
        // with exactly these metrics).
        await cb.onValidationEnd?.(info);
      }
      const epochCtx: EvolutionContext = { event: 'epoch-end', epoch: e, epochs: planned, step: this.step, totalSteps };
      const te = performance.now();
      // Gradient-based regrowth reads a batch gradient; validation ran forward since the last step's, so a
      // probe batch (drawn with `rngFor(seed, 'gradient-probe', epoch)`) gives a fresh one.
      const probeSize = needsGradient && !stopping ? Math.min(batchSize, n) : 0;
      const gradients = probeSize > 0
        ? probeGradient(parts, batchesOf, rngFor(this.seed, 'gradient-probe', e).permutation(n), probeSize, { step: this.step, epoch: e })
        : null;
      flops += flopsPerSample * probeSize;
      // Early stopping makes this the last epoch: like SET's last planned epoch, it does not evolve.
      const reports = stopping ? [] : [
        ...this.evolve(epochCtx, gradients),
        ...importancePrune(net, optimizer, policy, epochCtx),
      ];
      evoSeconds += (performance.now() - te) / 1000;
      evoEvents += reports.length;
      flops += evolutionFlops(reports, probeSize);
      if (reports.length) flopsPerSample = trainingFlopsPerSample(net);
      for (const r of reports) {
        history.evolution.push(r);
        await cb.onEvolve?.(r);
      }
      this.epochsDone = e + 1;
      // Every array is current on the host at each epoch end (callbacks, checkpoints, figures read them).
      this.backend.memory.sync();
      const logs: EpochLogs = {
        epoch: e,
        loss: lossSum / n,
        accuracy: correct / n,
        ...(val ? { valLoss: val.loss, valAccuracy: val.accuracy } : {}),
        connections: net.connectionsPerLayer(),
        seconds: (performance.now() - t0) / 1000,
        evolutionSeconds: evoSeconds,
        evolutionEvents: evoEvents,
        lr: optimizer.spec.lr * optimizer.lrScale,
        flops,
      };
      history.epochs.push(logs);
      await cb.onEpochEnd?.(logs);
      if (stopping) {
        history.stoppedEarly = true;
        break;
      }
      // One turn of the event loop per epoch at least: memory that a backend returns on garbage
      // collection (the wasm backend's arrays of replaced topologies) is only freed between tasks.
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = Date.now();
    }
    await cb.onTrainEnd?.(history);
    return history;
  }

  /** Updates model selection with epoch `epoch`'s validation metrics (best epoch, early stopping). */
  private select(epoch: number, val: Evaluation, monitor: Monitor, es: EarlyStoppingSpec | undefined): ValidationInfo {
    const value = monitor === 'valAccuracy' ? val.accuracy : val.loss;
    // Compared as "higher is better" for both metrics.
    const score = monitor === 'valAccuracy' ? value : -value;
    let s = this.selection;
    let improved = false;
    if (!s) {
      s = this.selection = { monitor, bestEpoch: epoch, bestValue: value, stopReference: value, wait: 0, stopped: false };
      improved = true;
    } else {
      const best = monitor === 'valAccuracy' ? s.bestValue : -s.bestValue;
      if (score > best) {
        s.bestEpoch = epoch;
        s.bestValue = value;
        improved = true;
      }
      const reference = monitor === 'valAccuracy' ? s.stopReference : -s.stopReference;
      if (score > reference + (es?.minDelta ?? 0)) {
        s.stopReference = value;
        s.wait = 0;
      } else {
        s.wait++;
      }
    }
    const stopping = es !== undefined && s.wait >= es.patience;
    if (stopping) s.stopped = true;
    return { epoch, valLoss: val.loss, valAccuracy: val.accuracy, improved, bestEpoch: s.bestEpoch, stopping };
  }

  /**
   * Evolves the network at an event (evolution-step.ts), handing gradient-based regrowth the batch
   * gradient `gradients` as a value (kept for {@link Model.lastGradients} when an event used it).
   */
  private evolve(ctx: EvolutionContext, gradients: DenseGradientSource | null): EvolutionReport[] {
    const reports = evolveNetwork(this.network, this.optimizer, this.policy, ctx, this.seed, this.evolutionState, gradients ?? undefined);
    if (reports.length && gradients) this.gradientsRef = gradients;
    return reports;
  }

  /**
   * Mean loss and accuracy in inference mode (no dropout), on a data set or on samples and labels given as
   * arrays: `x` sample-major (`count * nIn` values, or one row of `nIn` numbers per sample) and one integer
   * label in [0, nOut) per sample.
   * @param options.batchSize - evaluation batch, default 256.
   * @throws {@link ShapeError} for data of the wrong width; {@link DataError} for labels out of range or
   *   non-finite inputs.
   * @example
   * model.evaluate(test).accuracy;
   * model.evaluate([[0.1, 0.2, 0.3]], [2]);
   */
  evaluate(data: Dataset, options?: { batchSize?: number }): Evaluation;
  evaluate(x: SampleInput, labels: Int32Array | readonly number[], options?: { batchSize?: number }): Evaluation;
  evaluate(
    input: Dataset | SampleInput, labelsOrOptions?: Int32Array | readonly number[] | { batchSize?: number }, maybeOptions?: { batchSize?: number },
  ): Evaluation {
    const isData = isDataset(input);
    const data = isData ? input : this.arraysToDataset(input, labelsOrOptions as Int32Array | readonly number[] | undefined);
    const options = (isData ? labelsOrOptions as { batchSize?: number } | undefined : maybeOptions) ?? {};
    this.checkData(data, 'evaluation data');
    const batchSize = options.batchSize ?? 256;
    checkInt(batchSize, 'evaluate option batchSize', 1);
    const net = this.network;
    const n = data.nSamples;
    const order = batchOrder(n, 0, this.seed, false);
    const sparse = this.sparsePath(data);
    // At most one batch of buffers: a data set smaller than the batch needs no more.
    const cap = Math.min(batchSize, n);
    const x: Float32Array | SparseBatch = sparse ? new SparseBatch(net.nIn) : this.backend.memory.allocFloat32(net.nIn * cap);
    const y = new Int32Array(cap);
    const grad = this.backend.memory.allocFloat32(net.nOut * cap);
    const pred = new Int32Array(cap);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const yb = y.subarray(0, size);
      const xb = this.gatherInto(data, sparse, order, start, size, x, yb);
      const out = net.forward(xb, size, { training: false, seed: this.seed, step: this.step });
      const p = pred.subarray(0, size);
      lossSum += this.lossRef.compute(this.backend, { output: out, labels: yb, input: xb, n: net.nOut, batch: size, grad: grad.subarray(0, net.nOut * size), pred: p });
      for (let s = 0; s < size; s++) if (p[s] === yb[s]) correct++;
    }
    // Leave nothing of this evaluation on a device backend (its buffers are garbage now).
    this.backend.memory.sync();
    return { loss: lossSum / n, accuracy: correct / n, samples: n };
  }

  /**
   * Class probabilities (softmax of the outputs for cross-entropy models; the raw outputs for MSE models)
   * and predicted classes, in inference mode, for samples given as a data set (its labels are ignored), a
   * sample-major Float32Array (`count * nIn` values), or one array of `nIn` numbers per sample.
   * `outputs` is sample-major: `outputs[s * nOut + c]`.
   * @param options.batchSize - samples per forward pass, default 256 (the result does not depend on it).
   * @throws {@link ShapeError} when the input width is not the model's; {@link InvalidArgumentError} for a
   *   non-finite input value.
   * @example
   * const { classes } = model.predict(test);          // a Dataset
   * model.predict([[0, 1, 0.5, 0.2]]).classes[0];     // one sample as numbers
   */
  predict(input: Dataset | SampleInput, options: { batchSize?: number } = {}): Prediction {
    const nIn = this.network.nIn, nOut = this.network.nOut;
    const batchSize = options.batchSize ?? 256;
    checkInt(batchSize, 'predict option batchSize', 1);
    let count: number;
    // Fills x (feature-major, `nIn * size`; or a sparse batch, see sparsePath) with samples [start, start + size).
    let gather: (start: number, size: number, x: Float32Array) => Float32Array | SparseBatch;
    if (isDataset(input)) {
      if (input.nFeatures !== nIn) throw new ShapeError(`predict data "${input.name}" has ${input.nFeatures} features but the model expects ${nIn}`);
      if (input.nSamples < 1) throw new ShapeError(`predict data "${input.name}" has no samples`);
      count = input.nSamples;
      const order = batchOrder(count, 0, this.seed, false);
      const y = new Int32Array(Math.min(batchSize, count));
      const sparse = this.sparsePath(input);
      const xs = sparse ? new SparseBatch(nIn) : null;
      gather = (start, size, x) => this.gatherInto(input, sparse, order, start, size, xs ?? x, y.subarray(0, size));
    } else {
      const samples = sampleMajor(input, nIn, 'predict input');
      count = samples.length / nIn;
      gather = (start, size, x) => {
        for (let f = 0; f < nIn; f++) for (let s = 0; s < size; s++) x[f * size + s] = samples[(start + s) * nIn + f]!;
        return x;
      };
    }
    const outputs = new Float32Array(nOut * count);
    const classes = new Int32Array(count);
    const sparseInput = isDataset(input) && this.sparsePath(input) !== null;
    const xBuf = new Float32Array(sparseInput ? 0 : nIn * Math.min(batchSize, count));
    const probsBuf = new Float32Array(nOut * Math.min(batchSize, count));
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const x = gather(start, size, xBuf.subarray(0, sparseInput ? 0 : nIn * size));
      const out = this.network.forward(x, size, { training: false, seed: this.seed, step: this.step });
      const probs = this.lossRef.logits ? this.backend.softmaxForward(out, nOut, size, probsBuf.subarray(0, nOut * size)) : out;
      this.backend.memory.sync();
      for (let s = 0; s < size; s++) {
        let best = 0;
        for (let f = 0; f < nOut; f++) {
          outputs[(start + s) * nOut + f] = probs[f * size + s]!;
          if (probs[f * size + s]! > probs[best * size + s]!) best = f;
        }
        classes[start + s] = best;
      }
    }
    return { classes, outputs };
  }

  /** Builds the in-memory data set of samples and labels given as arrays (for {@link Model.evaluate}). */
  private arraysToDataset(x: SampleInput, labels: Int32Array | readonly number[] | undefined): Dataset {
    const samples = sampleMajor(x, this.network.nIn, 'evaluate input');
    const count = samples.length / this.network.nIn;
    if (labels === undefined || typeof (labels as { length?: unknown }).length !== 'number') {
      throw new ConfigError('evaluate(x, labels): give the labels (one integer class per sample) after the samples, or pass a Dataset');
    }
    if (labels.length !== count) throw new ShapeError(`evaluate has ${count} samples but ${labels.length} labels`);
    const y = labels instanceof Int32Array ? labels : Int32Array.from(labels);
    for (let s = 0; s < y.length; s++) {
      if (y[s] !== (labels as ArrayLike<number>)[s]) throw new ShapeError(`evaluate label ${s} is ${(labels as ArrayLike<number>)[s]}, expected an integer class`);
    }
    return new DenseDataset('evaluate input', samples, y, this.network.nIn, this.network.nOut);
  }

  /**
   * Saves the model into folder `dir` (created if needed): `model.json` (the model file: architecture,
   * weights, checksum) and `saved-model.json` (a small manifest: format, toolkit version, sizes,
   * connections, backend, training progress, the model file's SHA-256). Reload with `loadModel(dir)`.
   * Written by the toolkit's io/ (train/model-store), atomically.
   * @throws {@link ConfigError} when `dir` holds a training run (its `manifest.json`), whose model file
   *   must stay the one its results describe.
   * @example
   * model.save('models/mnist-set');
   * const again = loadModel('models/mnist-set');
   */
  save(dir: string): void {
    modelWriter()(this, dir);
  }

  /** One line per layer: kind, sizes, parameters, connections. */
  summary(): string {
    const rows = this.network.summary().map((s, i) => {
      const d = s.detail ? ' ' + Object.entries(s.detail).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      return `${String(i).padStart(2)} ${s.kind.padEnd(14)} ${String(s.nIn).padStart(7)} -> ${String(s.nOut).padEnd(7)} params=${s.parameters}${d}`;
    });
    return [...rows, `connections: ${this.connectionsPerLayer().join(' + ')} = ${this.connectionCount()}`, `backend: ${this.backendSummary()}`].join('\n');
  }

  /** The backend as `name:mode`, its threads, and why it was chosen, e.g. `wasm:wasm-simd, 2 threads (auto: ...)`. */
  backendSummary(): string {
    const be = this.backend;
    const threads = be.threads;
    const choice = this.backendChoice;
    // A choice made for another backend (the network was moved since) no longer explains this one.
    const why = choice && choice.backend === be ? choice.reason : 'set on the network directly';
    return `${be.name}:${be.mode}, ${threads} thread${threads === 1 ? '' : 's'} (${why})`;
  }
}

/** Samples as arrays: sample-major values (`count * nIn`), or one array of `nIn` numbers per sample. */
export type SampleInput = Float32Array | readonly (readonly number[])[];

/** What {@link Model.predict} returns. */
export interface Prediction {
  /** The predicted class of each sample. */
  readonly classes: Int32Array;
  /** Class probabilities (raw outputs for MSE models), sample-major: `outputs[s * nOut + c]`. */
  readonly outputs: Float32Array;
}

/** How a model's backend was chosen (see {@link Model.backendSummary}). */
export interface BackendChoice {
  readonly backend: Backend;
  /** Why, in words: e.g. `auto chose wasm, the fastest backend that runs here`. */
  readonly reason: string;
}

/** The reason text of a resolved backend. */
export function backendReason(r: ResolvedBackend): string {
  if (r.requested === 'auto') return r.fellBack ?? `auto chose ${r.resolved}, the fastest backend that runs here`;
  const skipped = r.skipped?.length ? `; skipped ${r.skipped.join('; ')}` : '';
  return `asked for by name: "${r.requested}"${skipped}`;
}

function isDataset(x: unknown): x is Dataset {
  return typeof x === 'object' && x !== null && typeof (x as Partial<Dataset>).gather === 'function' && typeof (x as Partial<Dataset>).nSamples === 'number';
}

/**
 * Checks samples given as arrays and returns them sample-major.
 * @throws {@link ShapeError} for a wrong width or no samples; {@link InvalidArgumentError} for a non-finite value.
 */
function sampleMajor(x: SampleInput, nIn: number, what: string): Float32Array {
  let samples: Float32Array;
  if (x instanceof Float32Array) {
    if (x.length === 0 || x.length % nIn !== 0) throw new ShapeError(`${what} has ${x.length} values, expected a positive multiple of the model's ${nIn} inputs`);
    samples = x;
  } else if (Array.isArray(x)) {
    if (x.length === 0) throw new ShapeError(`${what} has no samples`);
    samples = new Float32Array(x.length * nIn);
    x.forEach((row: readonly number[], s: number) => {
      if (!Array.isArray(row) || row.length !== nIn) {
        throw new ShapeError(`${what} sample ${s} has ${Array.isArray(row) ? `${row.length} values` : `type ${typeof row}`}, expected an array of the model's ${nIn} inputs`);
      }
      samples.set(row, s * nIn);
    });
  } else {
    throw new ShapeError(`${what} must be a Dataset, a sample-major Float32Array or an array of samples (arrays of numbers), got ${typeof x}`);
  }
  const bad = firstNonFinite(samples);
  check(bad < 0, () => `${what} value ${bad} (feature ${bad % nIn} of sample ${Math.floor(bad / nIn)}) is ${samples[bad]}; inputs must be finite`);
  return samples;
}

/** Options of {@link mlp}: the network options (the seed is shared by the network and training), with the backend chosen as the CLI does. */
export interface MlpModelOptions extends Omit<MlpOptions, 'backend'> {
  /**
   * A backend name or instance. Default `'auto'`, as the CLI: the WebAssembly SIMD backend `wasm` when its
   * kernels are built, else the CPU reference (see backend/registry's `resolveBackend`); `model.summary()`
   * says which one runs and why. Pass `'cpu'` for the readable reference.
   */
  readonly backend?: string | Backend;
  /** Threads of a backend that can use several (wasm); default every core or `SYNAPSES_THREADS` (backend/registry). */
  readonly threads?: number;
}

/**
 * Builds a sparse MLP model (see {@link mlpNetwork} for the options); call `compile` before `fit`.
 * @example
 * const model = mlp([784, 1000, 1000, 1000, 10], { sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'all-relu', dropout: 0.3, seed: 1 });
 * model.compile({ optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002 }, policy: 'set' });
 */
export function mlp(sizes: readonly number[], options: MlpModelOptions = {}): Model {
  const { threads, ...rest } = options;
  const resolved = typeof options.backend === 'object' ? null : resolveBackend(options.backend ?? 'auto', threads === undefined ? {} : { threads });
  const backend = resolved ? resolved.backend : (options.backend as Backend);
  const model = new Model(mlpNetwork(sizes, { ...rest, backend }), options.seed ?? 0);
  model.backendChoice = { backend, reason: resolved ? backendReason(resolved) : 'given as a backend object' };
  return model;
}
