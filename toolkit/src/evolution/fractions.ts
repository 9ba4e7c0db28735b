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

/** Cosine decay from `zeta` to `zeta * final` over training (RigL: final 0). */
export function cosineDecay(zeta = 0.3, final = 0): Fraction {
  zetaOk(zeta);
  zetaOk(final, 'fraction.final');
  return {
    name: 'cosine',
    config: { zeta, final },
    at: (ctx) => zeta * (final + (1 - final) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress(ctx))))),
  };
}

/** Linear decay from `zeta` to `zeta * final` over training. */
export function linearDecay(zeta = 0.3, final = 0): Fraction {
  zetaOk(zeta);
  zetaOk(final, 'fraction.final');
  return { name: 'linear', config: { zeta, final }, at: (ctx) => zeta * (1 - (1 - final) * Math.min(1, progress(ctx))) };
}
