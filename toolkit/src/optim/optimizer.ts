/**
 * Optimizers. State lives per parameter entry (for a sparse layer: per connection), so when evolution
 * changes a topology, {@link Optimizer.remap} keeps the state of surviving connections and starts new
 * connections at zero, exactly at the grown positions.
 *
 * @packageDocumentation
 */
import type { Backend, PendingWork, SgdTask } from '../backend/backend';
import { assert } from '../core/assert';
import { ConfigError, UnknownNameError } from '../core/errors';
import type { Param } from '../core/param';

/** Work that is already done (Adam's steps, which run at once). */
const DONE: PendingWork = { wait: () => {} };

/** `a` in `backend`'s memory, where its update ops work in place (see `BackendMemory.adoptFloat32`). */
function adopt(a: Float32Array, backend: Backend): Float32Array {
  return backend.memory.adoptFloat32(a);
}

/**
 * How SGD applies weight decay `wd`:
 * - `l2` (default, as PyTorch and Keras): added to the gradient of the weights, `g = grad + wd * w`, so it
 *   is scaled by the learning rate and accumulated in the momentum;
 * - `reference`: as the reference SET code (Mocanu et al.'s sparse implementations), outside the momentum
 *   and not scaled by the learning rate, `v = momentum * v + grad; p = p - lr * v - wd * p`, on the weights
 *   and the biases of linear layers. With the paper's lr 0.01 and wd 0.0002 it decays weights 100 times
 *   faster per step than `l2` does (10 times, counting the momentum).
 */
export type WeightDecayMode = 'l2' | 'reference';

/** The names of {@link WeightDecayMode}. */
export const WEIGHT_DECAY_MODES: readonly WeightDecayMode[] = ['l2', 'reference'];

/** SGD with momentum, optional Nesterov, weight decay. Defaults: the SET paper (0.01, 0.9, 0.0002), `l2`. */
export interface SgdSpec {
  readonly name: 'sgd';
  readonly lr?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly nesterov?: boolean;
  /** How weight decay applies (default `l2`); see {@link WeightDecayMode}. */
  readonly weightDecayMode?: WeightDecayMode;
}

/** Adam. Defaults: lr 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8, weightDecay 0. */
export interface AdamSpec {
  readonly name: 'adam';
  readonly lr?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly epsilon?: number;
  readonly weightDecay?: number;
}

/** An optimizer description (plain JSON). */
export type OptimizerSpec = SgdSpec | AdamSpec;

/** Names of the optimizers. */
export const OPTIMIZERS = ['sgd', 'adam'] as const;

/** A stateful optimizer over a set of parameters. */
export interface Optimizer {
  /** The spec with every default filled in. */
  readonly spec: Required<SgdSpec> | Required<AdamSpec>;
  /**
   * Starts updating every parameter in place from its gradient and returns the work to wait for: SGD's
   * steps run as one {@link Backend.sgdSteps} job (on worker threads where the backend has them), so the
   * caller may do its own work (gather the next batch) before {@link PendingWork.wait}; Adam's are done at
   * once. Until `wait()` returns, the caller must not call the backend nor touch the parameters.
   */
  step(params: readonly Param[], backend: Backend): PendingWork;
  /**
   * Re-indexes the state of `param` after a topology change: `map[newIndex]` is the old index whose
   * state the new entry inherits, or -1 for a new entry (state zero).
   */
  remap(param: Param, map: Int32Array): void;
  /** The state arrays of `param` (velocity for SGD; m and v for Adam), created at zero when absent. */
  stateOf(param: Param): Float32Array[];
  /** Number of steps taken. */
  readonly steps: number;
  /**
   * Factor on `spec.lr` for the next steps (a learning-rate schedule sets it before each step; default 1).
   * The spec keeps the base rate, so checkpoints and manifests record what the user asked for.
   */
  lrScale: number;
  /**
   * Restores a saved state (checkpoints): the step count, and for each parameter the state arrays
   * `states(param)` returns (each the parameter's length), or zero state when it returns undefined.
   * @throws {@link ConfigError} when a saved array has the wrong number of slots or entries.
   */
  restore(steps: number, states: (param: Param) => Float32Array[] | undefined, params: readonly Param[]): void;
}

function positive(v: number, what: string): number {
  if (!(Number.isFinite(v) && v > 0)) throw new ConfigError(`optimizer.${what} must be a positive finite number, got ${v}`);
  return v;
}
function unit(v: number, what: string): number {
  if (!(Number.isFinite(v) && v >= 0 && v < 1)) throw new ConfigError(`optimizer.${what} must be in [0, 1), got ${v}`);
  return v;
}
function decayMode(v: unknown): WeightDecayMode {
  if (!WEIGHT_DECAY_MODES.includes(v as WeightDecayMode)) throw new UnknownNameError('weight decay mode', String(v), WEIGHT_DECAY_MODES);
  return v as WeightDecayMode;
}
function nonNegative(v: number, what: string): number {
  if (!(Number.isFinite(v) && v >= 0)) throw new ConfigError(`optimizer.${what} must be a finite number >= 0, got ${v}`);
  return v;
}

class StatefulOptimizer implements Optimizer {
  private readonly state = new Map<Param, Float32Array[]>();
  /** The backend of the last step: state arrays live in its memory. */
  private backend: Backend | null = null;
  steps = 0;
  lrScale = 1;
  constructor(
    readonly spec: Required<SgdSpec> | Required<AdamSpec>,
    private readonly slots: number,
  ) {}

  /** A zero-filled state array, in the backend's memory once there is one. */
  private zeros(n: number): Float32Array {
    return this.backend ? this.backend.memory.allocFloat32(n) : new Float32Array(n);
  }

  stateOf(param: Param): Float32Array[] {
    let s = this.state.get(param);
    if (!s || s[0]!.length !== param.values.length) {
      assert(!s, () => `optimizer state of ${param.name} has ${s![0]!.length} entries but the parameter has ${param.values.length}; remap was not called`);
      s = Array.from({ length: this.slots }, () => this.zeros(param.values.length));
      this.state.set(param, s);
    }
    return s;
  }

  restore(steps: number, states: (param: Param) => Float32Array[] | undefined, params: readonly Param[]): void {
    const next = new Map<Param, Float32Array[]>();
    for (const p of params) {
      const s = states(p);
      if (!s) continue;
      if (s.length !== this.slots || s.some((a) => a.length !== p.values.length)) {
        throw new ConfigError(
          `saved optimizer state of ${p.name} has ${s.length} slot(s) of ${s.map((a) => a.length).join('/')} entries; expected ${this.slots} of ${p.values.length}`,
        );
      }
      next.set(p, s);
    }
    this.state.clear();
    const backend = this.backend;
    for (const [p, s] of next) this.state.set(p, backend ? s.map((a) => adopt(a, backend)) : s);
    this.steps = steps;
  }

  remap(param: Param, map: Int32Array): void {
    const old = this.state.get(param);
    if (!old) return;
    this.state.set(
      param,
      old.map((arr) => {
        const next = this.zeros(map.length);
        for (let k = 0; k < map.length; k++) {
          const o = map[k]!;
          if (o >= 0) next[k] = arr[o]!;
        }
        // The old state is this optimizer's alone: back to the backend's memory now, not at the next GC.
        this.backend?.memory.release(arr);
        return next;
      }),
    );
  }

  step(params: readonly Param[], backend: Backend): PendingWork {
    if (backend !== this.backend) {
      // A new backend: move the state into its memory once, so its update ops work in place.
      this.backend = backend;
      for (const [p, s] of this.state) this.state.set(p, s.map((a) => adopt(a, backend)));
    }
    this.steps++;
    // SGD: every array's step is collected first, so that the backend runs them as one job (sgdSteps).
    const sgd: SgdTask[] = [];
    for (const p of params) {
      const s = this.stateOf(p);
      if (this.spec.name === 'sgd') {
        const { momentum, nesterov, weightDecay, weightDecayMode } = this.spec;
        const lr = this.spec.lr * this.lrScale;
        if (weightDecayMode === 'reference') {
          // p - lr * v - wd * p: the decay first, then the step with no decay of its own (its update,
          // lr * v, does not depend on p, so the order changes nothing but float32 rounding).
          if (weightDecay > 0 && p.role !== undefined) {
            // On the host: a device backend brings the values home first (one read-back per step).
            backend.memory.sync([p.values]);
            const v = p.values;
            for (let i = 0; i < v.length; i++) v[i] = v[i]! - weightDecay * v[i]!;
          }
          sgd.push({ param: p.values, grad: p.grad, velocity: s[0]!, h: { lr, momentum, nesterov, weightDecay: 0 } });
        } else {
          sgd.push({ param: p.values, grad: p.grad, velocity: s[0]!, h: { lr, momentum, nesterov, weightDecay: p.decay ? weightDecay : 0 } });
        }
      } else {
        const { beta1, beta2, epsilon } = this.spec;
        const lr = this.spec.lr * this.lrScale;
        backend.adamStep(p.values, p.grad, s[0]!, s[1]!, {
          lr, beta1, beta2, epsilon, weightDecay: p.decay ? this.spec.weightDecay : 0, step: this.steps,
        });
      }
    }
    return sgd.length > 0 ? backend.sgdSteps(sgd) : DONE;
  }
}

/**
 * Builds an optimizer from its description, filling defaults and validating every value.
 * @throws {@link UnknownNameError} for an unknown name; {@link ConfigError} for a bad value.
 * @example createOptimizer({ name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002 })
 */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  switch (spec?.name) {
    case 'sgd': {
      const full: Required<SgdSpec> = {
        name: 'sgd',
        lr: positive(spec.lr ?? 0.01, 'lr'),
        momentum: unit(spec.momentum ?? 0.9, 'momentum'),
        weightDecay: nonNegative(spec.weightDecay ?? 0.0002, 'weightDecay'),
        nesterov: spec.nesterov ?? false,
        weightDecayMode: decayMode(spec.weightDecayMode ?? 'l2'),
      };
      return new StatefulOptimizer(full, 1);
    }
    case 'adam': {
      const full: Required<AdamSpec> = {
        name: 'adam',
        lr: positive(spec.lr ?? 0.001, 'lr'),
        beta1: unit(spec.beta1 ?? 0.9, 'beta1'),
        beta2: unit(spec.beta2 ?? 0.999, 'beta2'),
        epsilon: positive(spec.epsilon ?? 1e-8, 'epsilon'),
        weightDecay: nonNegative(spec.weightDecay ?? 0, 'weightDecay'),
      };
      return new StatefulOptimizer(full, 2);
    }
    default:
      throw new UnknownNameError('optimizer', String((spec as { name?: unknown })?.name), OPTIMIZERS);
  }
}
