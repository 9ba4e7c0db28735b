/**
 * Fractions: how large a share of a layer's connections is replaced at an event.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import type { EvolutionContext, Fraction } from './types';

function zetaOk(zeta: unknown, what = 'fraction.zeta'): number {
  if (!(typeof zeta === 'number' && Number.isFinite(zeta) && zeta >= 0 && zeta < 1)) {
    throw new ConfigError(`${what} must be in [0, 1), got ${String(zeta)}`);
  }
  return zeta;
}

/** Progress through training in [0, 1]: by steps for step events, by epochs for epoch events. */
function progress(ctx: EvolutionContext): number {
  return ctx.event === 'step' ? ctx.step / Math.max(1, ctx.totalSteps) : (ctx.epoch + 1) / Math.max(1, ctx.epochs);
}

/** A constant fraction zeta (SET: 0.3). */
export function constant(zeta = 0.3): Fraction {
  zetaOk(zeta);
  return { name: 'constant', config: { zeta }, at: () => zeta };
}

function endOk(end: unknown): number {
  if (!(typeof end === 'number' && Number.isFinite(end) && end > 0 && end <= 1)) throw new ConfigError(`fraction.end must be in (0, 1], got ${String(end)}`);
  return end;
}

/**
 * Cosine decay from `zeta` to `zeta * final`, reached at the fraction `end` of training and kept after
 * (RigL: final 0, end 0.75, the point where its updates stop).
 */
export function cosineDecay(zeta = 0.3, final = 0, end = 1): Fraction {
  zetaOk(zeta);
  zetaOk(final, 'fraction.final');
  endOk(end);
  return {
    name: 'cosine',
    config: { zeta, final, end },
    at: (ctx) => zeta * (final + (1 - final) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress(ctx) / end)))),
  };
}

/** Linear decay from `zeta` to `zeta * final`, reached at the fraction `end` of training. */
export function linearDecay(zeta = 0.3, final = 0, end = 1): Fraction {
  zetaOk(zeta);
  zetaOk(final, 'fraction.final');
  endOk(end);
  return { name: 'linear', config: { zeta, final, end }, at: (ctx) => zeta * (1 - (1 - final) * Math.min(1, progress(ctx) / end)) };
}
