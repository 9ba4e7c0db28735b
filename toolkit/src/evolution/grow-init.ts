/**
 * Initial values of regrown connections. The SET paper does not fix it; implementations differ:
 * N(0, 0.1^2) in the reference sparse Python code, 0 in the reference Keras code and RigL's SET,
 * He-normal in Synapses.
 *
 * Wide layers need a scale that follows the fan-in. A fixed N(0, 0.1^2) is about the He scale of a layer with
 * a few hundred inputs (MNIST's 784: He-normal's sigma is sqrt(2 / 784) = 0.05), which is why the `set`
 * preset keeps it (Mocanu's code; published reproductions keep their numbers). On a 200,000-input layer the
 * network is initialised at sqrt(2 / 200000) = 0.003 and every evolution would insert weights some 30 times
 * larger than their neighbours, which blows the layer's outputs up after each event. `he-normal` and
 * `he-uniform` draw at the layer's own initialisation scale (the `mlp` default is He-uniform with the dense
 * fan-in, `nIn`); with `fanIn: 'sparse'` they use the real number of connections of the new weight's neuron
 * after regrowth, matching `mlp({ fanIn: 'sparse' })`. `zero` is scale-free (RigL).
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

/**
 * Which fan-in the He initialisers use: `'dense'` the layer's input size `nIn` (as the reference
 * implementations and the `mlp` default), `'sparse'` the new weight's neuron's number of connections
 * after regrowth (as `mlp({ fanIn: 'sparse' })`).
 */
export type InitFanIn = 'dense' | 'sparse';

function checkFanIn(fanIn: InitFanIn): void {
  if (fanIn !== 'dense' && fanIn !== 'sparse') throw new ConfigError(`init.fanIn must be "dense" or "sparse", got ${JSON.stringify(fanIn)}`);
}

/**
 * Fills `out` with `draw() * sqrt(c / fanIn)`: the dense fan-in for every weight, or each new weight's row's
 * (at least 1) with `fanIn: 'sparse'`, which alone asks evolution for the rows' counts (they cost a pass).
 */
function fillScaled(out: Float32Array, mode: InitFanIn, c: number, dense: number, rowFanIn: (() => Int32Array) | undefined, draw: () => number): Float32Array {
  const rows = mode === 'sparse' && rowFanIn !== undefined ? rowFanIn() : null;
  if (rows === null) {
    const scale = Math.sqrt(c / dense);
    for (let k = 0; k < out.length; k++) out[k] = draw() * scale;
  } else {
    for (let k = 0; k < out.length; k++) out[k] = draw() * Math.sqrt(c / Math.max(1, rows[k]!));
  }
  return out;
}

/** He-normal: N(0, 2 / fanIn) (Synapses); `fanIn` see {@link InitFanIn} (default `'dense'`). */
export function heNormalInit(fanIn: InitFanIn = 'dense'): GrowInit {
  checkFanIn(fanIn);
  return {
    name: 'he-normal',
    config: fanIn === 'dense' ? {} : { fanIn },
    fill(out, nIn, _fanOut, rng, rowFanIn) {
      return fillScaled(out, fanIn, 2, nIn, rowFanIn, () => rng.normal());
    },
  };
}

/** He-uniform: U(-sqrt(6 / fanIn), +sqrt(6 / fanIn)); `fanIn` see {@link InitFanIn} (default `'dense'`). */
export function heUniformInit(fanIn: InitFanIn = 'dense'): GrowInit {
  checkFanIn(fanIn);
  return {
    name: 'he-uniform',
    config: fanIn === 'dense' ? {} : { fanIn },
    fill(out, nIn, _fanOut, rng, rowFanIn) {
      return fillScaled(out, fanIn, 6, nIn, rowFanIn, () => 2 * rng.float() - 1);
    },
  };
}
