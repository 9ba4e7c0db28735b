/**
 * Weight initialisers for the values of a layer (sparse or dense).
 *
 * @packageDocumentation
 */
import { UnknownNameError } from '../core/errors';
import type { Rng } from '../core/rng';

/** Names of the weight initialisers. */
export const WEIGHT_INITS = ['he-uniform', 'he-normal', 'xavier-uniform', 'normal'] as const;
/** A weight initialiser name. */
export type WeightInit = (typeof WEIGHT_INITS)[number];

/**
 * Fills `values` in place.
 * - `he-uniform`: U(-sqrt(6 / fanIn), +sqrt(6 / fanIn)) (Curci et al.'s sparse MLPs)
 * - `he-normal`: N(0, 2 / fanIn)
 * - `xavier-uniform`: U(+-sqrt(6 / (fanIn + fanOut)))
 * - `normal`: N(0, sigma^2), sigma default 0.1 (the SET reference code)
 *
 * `fanIn`/`fanOut` are the layer's dense sizes (nIn, nOut), as in the reference implementations.
 */
export function initWeights(values: Float32Array, init: WeightInit, fanIn: number, fanOut: number, rng: Rng, sigma = 0.1): Float32Array {
  switch (init) {
    case 'he-uniform': {
      const a = Math.sqrt(6 / fanIn);
      for (let k = 0; k < values.length; k++) values[k] = (2 * rng.float() - 1) * a;
      break;
    }
    case 'he-normal': {
      const s = Math.sqrt(2 / fanIn);
      for (let k = 0; k < values.length; k++) values[k] = rng.normal() * s;
      break;
    }
    case 'xavier-uniform': {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      for (let k = 0; k < values.length; k++) values[k] = (2 * rng.float() - 1) * a;
      break;
    }
    case 'normal':
      for (let k = 0; k < values.length; k++) values[k] = rng.normal() * sigma;
      break;
    default:
      throw new UnknownNameError('weight initialiser', String(init), WEIGHT_INITS);
  }
  return values;
}
