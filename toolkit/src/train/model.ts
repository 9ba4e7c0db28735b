/**
 * The model a researcher trains: a network plus its optimizer, loss and evolution policy, with
 * `compile` / `fit` / `evaluate` / `predict` in the manner of TensorFlow.js.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { getBackend } from '../backend/registry';
import { check, checkInt, firstNonFinite } from '../core/assert';
import { ConfigError, NumericalError, ShapeError, UnknownNameError } from '../core/errors';
import { rngFor } from '../core/rng';
import { batchOrder } from '../data/batches';
import type { Dataset } from '../data/dataset';
import { policyFrom, type PolicyDescription } from '../evolution/registry';
import type { EvolutionContext, Policy } from '../evolution/types';
import type { ForwardContext } from '../nn/layer';
import { mlpNetwork, type MlpOptions } from '../nn/mlp';
import type { Sequential } from '../nn/sequential';
import { checkLrSchedule, CONSTANT_LR, lrFactor, type LrScheduleSpec } from '../optim/lr-schedule';
import { createOptimizer, type Optimizer, type OptimizerSpec } from '../optim/optimizer';
import { stratifiedValidationSplit, type Subsettable } from '../data/split';
import { EvolutionState } from '../evolution/state';
import { checkPolicyLayers, evolveNetwork, importancePrune } from './evolution-step';
import { History, type Callbacks, type EpochLogs, type ValidationInfo } from './history';

/** Names of the losses. */
export const LOSSES = ['cross-entropy', 'mse'] as const;
/** A loss name: softmax cross-entropy on logits, or mean squared error against one-hot labels. */
export type LossName = (typeof LOSSES)[number];

/** What {@link Model.compile} takes. Defaults: the SET paper's SGD, cross-entropy, the `set` policy. */
export interface CompileOptions {
  readonly optimizer?: OptimizerSpec;
  readonly loss?: LossName;
  /** A policy preset name, a JSON description, or a built policy. Default `'set'`. */
  readonly policy?: PolicyDescription | Policy;
}

/** What {@link Model.fit} takes. */
export interface FitOptions {
  /** Number of epochs (>= 1). */
  readonly epochs: number;
  /** Samples per batch, default 32. */
  readonly batchSize?: number;
  /** Evaluated after every epoch when given. */
  readonly validationData?: Dataset;
  readonly callbacks?: Callbacks;
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
  private lossName: LossName = 'cross-entropy';
  /** Global training steps taken (batches). */
  step = 0;
  /** Epochs completed over every `fit` call. */
  epochsDone = 0;
  /** The planned run length of the last `fit` (see {@link FitOptions.totalEpochs}). */
  plannedEpochs = 0;
  /** Evolution state carried across events (usage history for ITOP). */
  readonly evolutionState = new EvolutionState();
  /** Model selection's state (best epoch, early stopping); null before any validated epoch. */
  selection: SelectionState | null = null;
  /** The training settings of the last `fit` (recorded in checkpoints, so a checkpoint says how it was trained). */
  fitSettings: FitSettings | null = null;

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
    return this.lossName;
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
    const loss = options.loss ?? 'cross-entropy';
    if (!(LOSSES as readonly string[]).includes(loss)) throw new UnknownNameError('loss', loss, LOSSES);
    const optimizer = createOptimizer(options.optimizer ?? { name: 'sgd' });
    const policy = policyFrom(options.policy ?? 'set');
    // An explicit `layers` list that names no evolvable layer would leave evolution silently off.
    checkPolicyLayers(this.network, policy);
    this.lossName = loss;
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
    if (data.nClasses > this.network.nOut) {
      throw new ShapeError(`${what} "${data.name}" has ${data.nClasses} classes but the model has ${this.network.nOut} outputs`);
    }
    if (data.nSamples < 1) throw new ShapeError(`${what} "${data.name}" has no samples`);
  }

  private lossAndGrad(out: Float32Array, y: Int32Array, batch: number, grad: Float32Array, pred: Int32Array): number {
    const n = this.network.nOut;
    return this.lossName === 'cross-entropy'
      ? this.backend.softmaxCrossEntropy(out, y, n, batch, grad, pred)
      : this.backend.mseOneHot(out, y, n, batch, grad, pred);
  }

  /** Names the first layer whose output or parameters are not finite, re-running the batch forward. */
  private diagnose(x: Float32Array, batch: number, ctx: ForwardContext, epoch: number, batchIndex: number): NumericalError {
    this.backend.sync?.();
    for (const p of this.network.params()) {
      const bad = firstNonFinite(p.values);
      if (bad >= 0) return new NumericalError(`training diverged in epoch ${epoch}, batch ${batchIndex}: parameter ${p.name}[${bad}] is ${p.values[bad]}`);
    }
    let h = x;
    for (const [l, layer] of this.network.layers.entries()) {
      h = layer.forward(h, batch, ctx);
      this.backend.sync?.();
      const bad = firstNonFinite(h);
      if (bad >= 0) {
        return new NumericalError(
          `training diverged in epoch ${epoch}, batch ${batchIndex}: the output of layer ${l} (${layer.kind}) is ${h[bad]} (try a lower learning rate)`,
        );
      }
    }
    return new NumericalError(`training diverged in epoch ${epoch}, batch ${batchIndex}: the loss is not finite (try a lower learning rate)`);
  }

  /**
   * Trains the model. Each epoch: shuffled batches, forward, loss, backward, optimizer step (and
   * step-triggered evolution); then validation; then epoch-triggered evolution (SET evolves after every
   * epoch but the last).
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
    const cb = options.callbacks ?? {};
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
    // Batch inputs and loss gradients in the backend's memory when it has one (its ops then copy nothing).
    const x = this.backend.allocFloat32?.(nIn * batchSize) ?? new Float32Array(nIn * batchSize);
    const y = new Int32Array(batchSize);
    const grad = this.backend.allocFloat32?.(nOut * batchSize) ?? new Float32Array(nOut * batchSize);
    const pred = new Int32Array(batchSize);
    const history = new History();
    if (this.selection) history.bestEpoch = this.selection.bestEpoch;
    this.fitSettings = {
      monitor, earlyStopping: es ? { patience: es.patience, minDelta: es.minDelta ?? 0 } : null,
      lrSchedule: schedule ?? CONSTANT_LR, batchSize, totalEpochs: planned,
    };
    // A previous fit's schedule must not leak into this one.
    optimizer.lrScale = 1;
    await cb.onTrainBegin?.({ epochs, batchesPerEpoch: batches, samples: n });
    let lastYield = Date.now();

    for (let e = firstEpoch; e < firstEpoch + epochs; e++) {
      const t0 = performance.now();
      let evoSeconds = 0;
      let evoEvents = 0;
      await cb.onEpochBegin?.(e);
      const order = batchOrder(n, e, this.seed, options.shuffle ?? true);
      let lossSum = 0;
      let correct = 0;
      // Batch b: its samples, and where they go (x and y, or views of their first `size` samples).
      const batchOf = (b: number) => {
        const start = b * batchSize;
        const size = Math.min(batchSize, n - start);
        return { size, xb: size === batchSize ? x : x.subarray(0, nIn * size), yb: size === batchSize ? y : y.subarray(0, size), start };
      };
      const gatherBatch = (b: number): void => {
        const { start, size, xb, yb } = batchOf(b);
        data.gather(order, start, size, xb, yb);
      };
      // Whether nothing reads this batch's input and activations after its backward pass (step-triggered
      // regrowth may read the layers' dense gradient, which needs them). Then the backward pass may write
      // gradients over the activations, and the next batch is gathered while the optimizer's update runs
      // on worker threads (Backend.sgdSteps).
      const stepDone = !policy.regrow.needsGradient;
      let gathered = -1;
      for (let b = 0; b < batches; b++) {
        const { size, xb, yb } = batchOf(b);
        if (gathered !== b) gatherBatch(b);
        const ctx: ForwardContext = { training: true, seed: this.seed, step: this.step };
        const out = net.forward(xb, size, ctx);
        const g = size === batchSize ? grad : grad.subarray(0, nOut * size);
        const p = size === batchSize ? pred : pred.subarray(0, size);
        const l = this.lossAndGrad(out, yb, size, g, p);
        if (!Number.isFinite(l)) throw this.diagnose(xb, size, ctx, e, b);
        net.backward(g, size, undefined, { overwriteActivations: stepDone });
        // Counted before the next batch's labels replace these.
        let c = 0;
        for (let s = 0; s < size; s++) if (p[s] === yb[s]) c++;
        const next = stepDone && b + 1 < batches ? b + 1 : -1;
        if (schedule) optimizer.lrScale = lrFactor(schedule, this.step, batches, planned);
        optimizer.step(net.params(), this.backend, next < 0 ? undefined : () => gatherBatch(next));
        gathered = next;
        this.step++;
        lossSum += l;
        correct += c;
        const stepCtx: EvolutionContext = { event: 'step', epoch: e, epochs: planned, step: this.step, totalSteps };
        const te = performance.now();
        const reports = evolveNetwork(net, optimizer, policy, stepCtx, this.seed, this.evolutionState);
        if (reports.length) {
          evoSeconds += (performance.now() - te) / 1000;
          evoEvents += reports.length;
          for (const r of reports) {
            history.evolution.push(r);
            await cb.onEvolve?.(r);
          }
        }
        await cb.onBatchEnd?.({ epoch: e, batch: b, batches, step: this.step, loss: l / size, accuracy: c / size, size });
        if (Date.now() - lastYield > 200) {
          // Let timers, signals and notebook displays run during long epochs.
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYield = Date.now();
        }
      }
      // A non-finite weight can hide behind a ReLU (relu(NaN) = 0, relu(-Inf) = 0) and never reach the
      // loss; one pass over the parameters per epoch catches it before it reaches evolution or a checkpoint.
      // A device backend brings its arrays home first (Backend.sync).
      this.backend.sync?.();
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
      // Gradient-based regrowth reads the last batch's gradient, which validation overwrote: refresh it.
      if (policy.regrow.needsGradient && !stopping) this.probeGradient(data, e, batchSize, x, y, grad, pred);
      // Early stopping makes this the last epoch: like SET's last planned epoch, it does not evolve.
      const reports = stopping ? [] : [
        ...evolveNetwork(net, optimizer, policy, epochCtx, this.seed, this.evolutionState),
        ...importancePrune(net, optimizer, policy, epochCtx),
      ];
      evoSeconds += (performance.now() - te) / 1000;
      evoEvents += reports.length;
      for (const r of reports) {
        history.evolution.push(r);
        await cb.onEvolve?.(r);
      }
      this.epochsDone = e + 1;
      // Every array is current on the host at each epoch end (callbacks, checkpoints, figures read them).
      this.backend.sync?.();
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
   * Runs one training-mode forward and backward pass (no update) on a batch drawn with
   * `rngFor(seed, 'gradient-probe', epoch)`, so layers hold a fresh gradient for gradient-based regrowth.
   */
  private probeGradient(data: Dataset, epoch: number, batchSize: number, x: Float32Array, y: Int32Array, grad: Float32Array, pred: Int32Array): void {
    const n = data.nSamples;
    const size = Math.min(batchSize, n);
    const order = rngFor(this.seed, 'gradient-probe', epoch).permutation(n);
    const xb = x.subarray(0, this.network.nIn * size), yb = y.subarray(0, size);
    data.gather(order, 0, size, xb, yb);
    const out = this.network.forward(xb, size, { training: true, seed: this.seed, step: this.step });
    const g = grad.subarray(0, this.network.nOut * size);
    this.lossAndGrad(out, yb, size, g, pred.subarray(0, size));
    this.network.backward(g, size);
  }

  /**
   * Mean loss and accuracy on `data` in inference mode (no dropout).
   * @param options.batchSize - evaluation batch, default 256.
   */
  evaluate(data: Dataset, options: { batchSize?: number } = {}): Evaluation {
    this.checkData(data, 'evaluation data');
    const batchSize = options.batchSize ?? 256;
    checkInt(batchSize, 'evaluate option batchSize', 1);
    const net = this.network;
    const n = data.nSamples;
    const order = batchOrder(n, 0, this.seed, false);
    const x = this.backend.allocFloat32?.(net.nIn * batchSize) ?? new Float32Array(net.nIn * batchSize);
    const y = new Int32Array(batchSize);
    const grad = this.backend.allocFloat32?.(net.nOut * batchSize) ?? new Float32Array(net.nOut * batchSize);
    const pred = new Int32Array(batchSize);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const xb = x.subarray(0, net.nIn * size);
      const yb = y.subarray(0, size);
      data.gather(order, start, size, xb, yb);
      const out = net.forward(xb, size, { training: false, seed: this.seed, step: this.step });
      const p = pred.subarray(0, size);
      lossSum += this.lossAndGrad(out, yb, size, grad.subarray(0, net.nOut * size), p);
      for (let s = 0; s < size; s++) if (p[s] === yb[s]) correct++;
    }
    // Leave nothing of this evaluation on a device backend (its buffers are garbage now).
    this.backend.sync?.();
    return { loss: lossSum / n, accuracy: correct / n, samples: n };
  }

  /**
   * Class probabilities (softmax of the outputs for cross-entropy models; the raw outputs for MSE
   * models) and predicted classes for `samples` given sample-major (`count * nIn` values).
   * @throws {@link ShapeError} when the length is not a multiple of the input size; an error for NaN input.
   */
  predict(samples: Float32Array): { classes: Int32Array; outputs: Float32Array } {
    const nIn = this.network.nIn, nOut = this.network.nOut;
    if (samples.length === 0 || samples.length % nIn !== 0) {
      throw new ShapeError(`predict input has ${samples.length} values, expected a positive multiple of the model's ${nIn} inputs`);
    }
    const bad = firstNonFinite(samples);
    check(bad < 0, () => `predict input value ${bad} (feature ${bad % nIn} of sample ${Math.floor(bad / nIn)}) is ${samples[bad]}; inputs must be finite`);
    const count = samples.length / nIn;
    const x = new Float32Array(nIn * count);
    for (let s = 0; s < count; s++) for (let f = 0; f < nIn; f++) x[f * count + s] = samples[s * nIn + f]!;
    const out = this.network.forward(x, count, { training: false, seed: this.seed, step: this.step });
    const probs = this.lossName === 'cross-entropy' ? this.backend.softmaxForward(out, nOut, count, new Float32Array(nOut * count)) : out;
    this.backend.sync?.();
    const outputs = new Float32Array(nOut * count);
    const classes = new Int32Array(count);
    for (let s = 0; s < count; s++) {
      let best = 0;
      for (let f = 0; f < nOut; f++) {
        outputs[s * nOut + f] = probs[f * count + s]!;
        if (probs[f * count + s]! > probs[best * count + s]!) best = f;
      }
      classes[s] = best;
    }
    return { classes, outputs };
  }

  /** One line per layer: kind, sizes, parameters, connections. */
  summary(): string {
    const rows = this.network.summary().map((s, i) => {
      const d = s.detail ? ' ' + Object.entries(s.detail).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      return `${String(i).padStart(2)} ${s.kind.padEnd(14)} ${String(s.nIn).padStart(7)} -> ${String(s.nOut).padEnd(7)} params=${s.parameters}${d}`;
    });
    return [...rows, `connections: ${this.connectionsPerLayer().join(' + ')} = ${this.connectionCount()}`].join('\n');
  }
}

/** Options of {@link mlp}: the network options plus the training seed (shared with the network). */
export type MlpModelOptions = MlpOptions;

/**
 * Builds a sparse MLP model (see {@link mlpNetwork} for the options); call `compile` before `fit`.
 * @example
 * const model = mlp([784, 1000, 1000, 1000, 10], { sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'all-relu', dropout: 0.3, seed: 1 });
 * model.compile({ optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002 }, policy: 'set' });
 */
export function mlp(sizes: readonly number[], options: MlpModelOptions = {}): Model {
  const backend = typeof options.backend === 'object' ? options.backend : getBackend(options.backend ?? 'cpu');
  return new Model(mlpNetwork(sizes, { ...options, backend }), options.seed ?? 0);
}
