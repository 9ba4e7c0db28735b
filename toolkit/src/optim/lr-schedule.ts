/**
 * Learning-rate schedules: a factor applied to the optimizer's base learning rate before every step.
 *
 * The factor is a pure function of the global step, the steps per epoch and the planned run length, so a
 * run resumed from a checkpoint follows exactly the schedule of an uninterrupted one. Schedules:
 * - `constant`: factor 1 (the default; the SET paper's setting);
 * - `step`: multiply by `gamma` every `everyEpochs` epochs (step decay);
 * - `cosine`: from 1 down to `minFactor` along half a cosine over the run (Loshchilov and Hutter, SGDR,
 *   ICLR 2017, without restarts).
 * Every schedule may start with a linear warm-up over `warmupEpochs` epochs (Goyal et al. 2017), rising from
 * `1 / warmupSteps` to 1; the schedule proper starts after it.
 *
 * @packageDocumentation
 */
import { ConfigError, UnknownNameError } from '../core/errors';

/** Names of the learning-rate schedules. */
export const LR_SCHEDULES = ['constant', 'step', 'cosine'] as const;

/** A learning-rate schedule (see the module description). `warmupEpochs` defaults to 0 (no warm-up). */
export type LrScheduleSpec =
  | { readonly name: 'constant'; readonly warmupEpochs?: number }
  | { readonly name: 'step'; readonly everyEpochs: number; readonly gamma?: number; readonly warmupEpochs?: number }
  | { readonly name: 'cosine'; readonly minFactor?: number; readonly warmupEpochs?: number };

/** The constant schedule (factor 1 at every step). */
export const CONSTANT_LR: LrScheduleSpec = { name: 'constant', warmupEpochs: 0 };

function nonNegative(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ConfigError(`lrSchedule.${what} must be a finite number >= 0, got ${String(v)}`);
  return v;
}

/**
 * Checks a schedule and fills its defaults (gamma 0.1, minFactor 0, warmupEpochs 0).
 * @throws {@link UnknownNameError} for an unknown name, {@link ConfigError} for a bad setting.
 */
export function checkLrSchedule(spec: LrScheduleSpec): Required<LrScheduleSpec> {
  const warmupEpochs = nonNegative(spec.warmupEpochs ?? 0, 'warmupEpochs');
  switch (spec?.name) {
    case 'constant':
      return { name: 'constant', warmupEpochs };
    case 'step': {
      const everyEpochs = spec.everyEpochs;
      if (!Number.isInteger(everyEpochs) || everyEpochs < 1) throw new ConfigError(`lrSchedule.everyEpochs must be an integer >= 1, got ${String(everyEpochs)}`);
      const gamma = spec.gamma ?? 0.1;
      if (!(Number.isFinite(gamma) && gamma > 0 && gamma <= 1)) throw new ConfigError(`lrSchedule.gamma must be in (0, 1], got ${String(gamma)}`);
      return { name: 'step', everyEpochs, gamma, warmupEpochs };
    }
    case 'cosine': {
      const minFactor = spec.minFactor ?? 0;
      if (!(Number.isFinite(minFactor) && minFactor >= 0 && minFactor <= 1)) throw new ConfigError(`lrSchedule.minFactor must be in [0, 1], got ${String(minFactor)}`);
      return { name: 'cosine', minFactor, warmupEpochs };
    }
    default:
      throw new UnknownNameError('learning-rate schedule', String((spec as { name?: unknown })?.name), LR_SCHEDULES);
  }
}

/**
 * The factor on the base learning rate for the step about to be taken.
 *
 * @param spec - a schedule (checked by {@link checkLrSchedule}).
 * @param step - the 0-based global step about to be taken.
 * @param stepsPerEpoch - batches per epoch (>= 1).
 * @param totalEpochs - the planned run length in epochs (>= 1).
 * @returns a factor in (0, 1].
 * @example lrFactor({ name: 'cosine' }, 50, 10, 10) // 0.5: half-way through the run
 */
export function lrFactor(spec: LrScheduleSpec, step: number, stepsPerEpoch: number, totalEpochs: number): number {
  const warmupSteps = Math.round((spec.warmupEpochs ?? 0) * stepsPerEpoch);
  if (step < warmupSteps) return (step + 1) / warmupSteps;
  switch (spec.name) {
    case 'constant':
      return 1;
    case 'step':
      return (spec.gamma ?? 0.1) ** Math.floor(Math.floor(step / stepsPerEpoch) / spec.everyEpochs);
    case 'cosine': {
      const min = spec.minFactor ?? 0;
      const span = Math.max(1, totalEpochs * stepsPerEpoch - warmupSteps);
      const t = Math.min(1, (step - warmupSteps) / span);
      // Never exactly 0: a zero learning rate would make the last steps no-ops without saying so.
      return Math.max(min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * t)), 1e-12);
    }
  }
}
