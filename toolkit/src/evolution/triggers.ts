/**
 * Triggers: when does a layer evolve?
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import type { EvolutionContext, Trigger } from './types';

function nonNegInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(`${what} must be an integer >= 0, got ${String(v)}`);
  return v;
}

/**
 * Every `k` epochs, at the end of the epoch (SET: k = 1). With `skipLast` (default true, as in SET) the
 * last epoch does not evolve, so the final network is the trained one.
 */
export function everyEpochs(k = 1, skipLast = true): Trigger {
  if (nonNegInt(k, 'trigger.k') < 1) throw new ConfigError(`trigger.k must be >= 1, got ${k}`);
  return {
    name: 'every-epochs',
    config: { k, skipLast },
    events: ['epoch-end'],
    fires: (ctx: EvolutionContext) =>
      ctx.event === 'epoch-end' && (ctx.epoch + 1) % k === 0 && !(skipLast && ctx.epoch === ctx.epochs - 1),
  };
}

/**
 * Every `k` training steps, from step `start` until `end` (a fraction of the run's total steps when at
 * most 1, e.g. 0.75 as in RigL, or 1 for the whole run; a step count when above 1). Defaults: start 0,
 * end 0.75.
 */
export function everySteps(k = 100, start = 0, end = 0.75): Trigger {
  if (nonNegInt(k, 'trigger.k') < 1) throw new ConfigError(`trigger.k must be >= 1, got ${k}`);
  nonNegInt(start, 'trigger.start');
  if (!(Number.isFinite(end) && end >= 0)) throw new ConfigError(`trigger.end must be a number >= 0, got ${end}`);
  return {
    name: 'every-steps',
    config: { k, start, end },
    events: ['step'],
    fires: (ctx) => {
      if (ctx.event !== 'step') return false;
      const last = end <= 1 ? end * ctx.totalSteps : end;
      return ctx.step >= start && ctx.step < last && ctx.step % k === 0;
    },
  };
}

/**
 * After every training forward pass, each layer evolves independently with probability `p` (the
 * Synapses variant). `p = 'synapses'` (the default) is Synapses' choice, `0.2 / (number of sparse layers
 * the policy evolves)`; see {@link synapsesDefaultProbability}.
 */
export function probabilistic(p: number | 'synapses' = 'synapses'): Trigger {
  if (p !== 'synapses' && !(typeof p === 'number' && Number.isFinite(p) && p >= 0 && p <= 1)) {
    throw new ConfigError(`trigger.p must be in [0, 1] or "synapses", got ${JSON.stringify(p)}`);
  }
  return {
    name: 'probabilistic',
    config: { p },
    events: ['step'],
    fires: (ctx, _layer, rng) =>
      ctx.event === 'step' && rng.float() < (p === 'synapses' ? synapsesDefaultProbability(ctx.sparseLayers ?? 1) : p),
  };
}

/** The Synapses library's default firing probability: 0.2 divided by the number of sparse layers. */
export function synapsesDefaultProbability(sparseLayers: number): number {
  return 0.2 / Math.max(1, sparseLayers);
}

/** Never evolves: a static sparse network (the FixProb baseline). */
export function never(): Trigger {
  return { name: 'never', config: {}, events: [], fires: () => false };
}
