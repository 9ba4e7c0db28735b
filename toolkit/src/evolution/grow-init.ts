/**
 * Initial values of regrown connections. The SET paper does not fix it; implementations differ:
 * N(0, 0.1^2) in the reference sparse Python code, 0 in the reference Keras code and RigL's SET,
 * He-normal in Synapses.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import type { Rng } from '../core/rng';
import type { GrowInit } from './types';

/** New connections start at 0 (RigL; the reference Keras SET). */
export function zeroInit(): GrowInit {
  return { name: 'zero', config: {}, fill: (out) => out.fill(0) };
}

/** New connections start from N(0, sigma^2); sigma 0.1 as in the reference sparse Python code. */
export function normalInit(sigma = 0.1): GrowInit {
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw new ConfigError(`init.sigma must be a finite number >= 0, got ${sigma}`);
  return {
    name: 'normal',
    config: { sigma },
    fill(out, _fanIn, _fanOut, rng: Rng) {
      for (let k = 0; k < out.length; k++) out[k] = rng.normal() * sigma;
      return out;
    },
  };
}

/** He-normal: N(0, 2 / fanIn) (Synapses). */
export function heNormalInit(): GrowInit {
  return {
    name: 'he-normal',
    config: {},
    fill(out, fanIn, _fanOut, rng) {
      const s = Math.sqrt(2 / fanIn);
      for (let k = 0; k < out.length; k++) out[k] = rng.normal() * s;
      return out;
    },
  };
}

/** He-uniform: U(-sqrt(6 / fanIn), +sqrt(6 / fanIn)). */
export function heUniformInit(): GrowInit {
  return {
    name: 'he-uniform',
    config: {},
    fill(out, fanIn, _fanOut, rng) {
      const a = Math.sqrt(6 / fanIn);
      for (let k = 0; k < out.length; k++) out[k] = (2 * rng.float() - 1) * a;
      return out;
    },
  };
}
