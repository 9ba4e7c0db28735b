/**
 * Builder of sparse multi-layer perceptrons in the shape of the SET paper.
 *
 * @packageDocumentation
 */
import type { Backend } from '../backend/backend';
import { getBackend } from '../backend/registry';
import { check, checkInt } from '../core/assert';
import { InvalidArgumentError, UnknownNameError } from '../core/errors';
import { rngFor } from '../core/rng';
import { CsrMatrix } from '../sparse/csr';
import { erdosRenyi, erkDensities, uniformDensity } from '../sparse/topology';
import { ACTIVATIONS, activationLayer, type ActivationName, type ActivationSpec } from './activation';
import { DenseLinear } from './dense-linear';
import { Dropout } from './dropout';
import { initWeights, WEIGHT_INITS, type WeightInit } from './init';
import type { Layer } from './layer';
import { Sequential } from './sequential';
import { SparseLinear } from './sparse-linear';

/**
 * How sparse the linear layers are.
 * - `erdos-renyi`: the SET paper's `p = eps (nIn + nOut) / (nIn nOut)` per layer (about `eps (nIn + nOut)`
 *   connections; layers with p >= 1 become fully connected).
 * - `density`: every layer exactly `round(density * nIn * nOut)` connections.
 * - `erk`: overall density distributed with the Erdos-Renyi-Kernel rule (dense where it would exceed 1).
 * - `dense`: ordinary dense layers (the dense baseline).
 */
export type SparsitySpec =
  | { readonly kind: 'erdos-renyi'; readonly eps: number }
  | { readonly kind: 'density'; readonly density: number }
  | { readonly kind: 'erk'; readonly density: number }
  | { readonly kind: 'dense' };

/** Options of {@link mlpNetwork}. Every field has a default. */
export interface MlpOptions {
  /**
   * Default `{ kind: 'erdos-renyi', eps: 20 }` (the SET paper). An array gives one spec per linear layer
   * (`erk` excepted, which spreads one density over all layers), e.g. a very sparse wide first layer and a
   * dense output layer: `[{ kind: 'erdos-renyi', eps: 0.002 }, { kind: 'dense' }]`.
   */
  readonly sparsity?: SparsitySpec | readonly SparsitySpec[];
  /** Hidden activation, default `'relu'`. */
  readonly activation?: ActivationName | ActivationSpec;
  /** Dropout rate after each hidden activation, default 0. */
  readonly dropout?: number;
  /** Weight initialiser, default `'he-uniform'`. */
  readonly init?: WeightInit;
  /**
   * The fan-in the initialiser uses for sparse layers: `'dense'` (default) is the layer's input size
   * `nIn`, as the reference SET implementations do; `'sparse'` is each neuron's real number of incoming
   * connections (its CSR row length), which is what He et al.'s variance argument asks for and keeps the
   * signal from shrinking layer after layer in very sparse networks (Evci et al., "Gradient flow in sparse
   * neural networks", 2022).
   */
  readonly fanIn?: 'dense' | 'sparse';
  /** Seed of the topology and initial weights, default 0. */
  readonly seed?: number;
  /** Backend name or instance, default the CPU reference. */
  readonly backend?: string | Backend;
}

/**
 * Builds `sizes[0] -> sizes[1] -> ... -> sizes[n]`: linear layers, each hidden one followed by the
 * activation and dropout; the last layer outputs logits (the loss applies softmax).
 *
 * Random streams: topology of layer l from `rngFor(seed, 'topology', l)`, weights from
 * `rngFor(seed, 'init', l)`, SReLU parameters from `rngFor(seed, 'activation', l)`.
 *
 * @example
 * const net = mlpNetwork([784, 1000, 1000, 1000, 10], { sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'all-relu', dropout: 0.3 });
 * net.connectionsPerLayer(); // about [35680, 40000, 40000, 10000]
 */
export function mlpNetwork(sizes: readonly number[], options: MlpOptions = {}): Sequential {
  check(Array.isArray(sizes) && sizes.length >= 2, () => `mlp needs at least two sizes (inputs and outputs), got [${String(sizes)}]`);
  sizes.forEach((s, i) => checkInt(s, `mlp size ${i}`, 1));
  const specs = options.sparsity ?? { kind: 'erdos-renyi', eps: 20 };
  if (Array.isArray(specs)) {
    check(specs.length === sizes.length - 1, () => `mlp sparsity has ${specs.length} specs for ${sizes.length - 1} linear layers; give one per layer`);
    check(specs.every((sp) => sp.kind !== 'erk'), 'mlp sparsity: erk spreads one density over all layers, so it cannot be one spec of a per-layer list');
  }
  const specAt = (l: number): SparsitySpec => (Array.isArray(specs) ? specs[l]! : (specs as SparsitySpec));
  const sparsity = specAt(0);
  const act: ActivationSpec = typeof options.activation === 'string' ? { name: options.activation } : (options.activation ?? { name: 'relu' });
  if (!(ACTIVATIONS as readonly string[]).includes(act.name)) throw new UnknownNameError('activation', act.name, ACTIVATIONS);
  const init = options.init ?? 'he-uniform';
  if (!(WEIGHT_INITS as readonly string[]).includes(init)) throw new UnknownNameError('weight initialiser', init, WEIGHT_INITS);
  const dropout = options.dropout ?? 0;
  check(options.fanIn === undefined || options.fanIn === 'dense' || options.fanIn === 'sparse', `fanIn must be "dense" or "sparse", got ${JSON.stringify(options.fanIn)}`);
  check(Number.isFinite(dropout) && dropout >= 0 && dropout < 1, `dropout must be in [0, 1), got ${dropout}`);
  const seed = options.seed ?? 0;
  const backend = typeof options.backend === 'object' ? options.backend : getBackend(options.backend ?? 'cpu');

  const shapes = sizes.slice(0, -1).map((nIn, l) => ({ nIn, nOut: sizes[l + 1]! }));
  const erk = sparsity.kind === 'erk' ? erkDensities(shapes, sparsity.density) : null;
  const layers: Layer[] = [];
  try {
    shapes.forEach(({ nIn, nOut }, l) => {
      const name = `layers.${l}`;
      const sparsity = specAt(l);
      const initRng = rngFor(seed, 'init', l);
      if (sparsity.kind === 'dense') {
        layers.push(new DenseLinear(nIn, nOut, initWeights(new Float32Array(nIn * nOut), init, nIn, nOut, initRng), name));
      } else {
        const topoRng = rngFor(seed, 'topology', l);
        let w: CsrMatrix;
        switch (sparsity.kind) {
          case 'erdos-renyi':
            w = erdosRenyi(nIn, nOut, sparsity.eps, topoRng);
            break;
          case 'density':
            w = uniformDensity(nIn, nOut, sparsity.density, topoRng);
            break;
          case 'erk':
            w = uniformDensity(nIn, nOut, erk![l]!, topoRng);
            break;
          default:
            throw new InvalidArgumentError(`unknown sparsity kind "${(sparsity as { kind: string }).kind}"; known: erdos-renyi, density, erk, dense`);
        }
        if ((options.fanIn ?? 'dense') === 'sparse') {
          for (let j = 0; j < nOut; j++) {
            const a = w.rowPtr[j]!, b = w.rowPtr[j + 1]!;
            if (b > a) initWeights(w.values.subarray(a, b), init, b - a, nOut, initRng);
          }
        } else initWeights(w.values, init, nIn, nOut, initRng);
        layers.push(new SparseLinear(w, name));
      }
      if (l < shapes.length - 1) {
        layers.push(activationLayer(act, nOut, l, rngFor(seed, 'activation', l), `activations.${l}`));
        if (dropout > 0) layers.push(new Dropout(nOut, dropout, l));
      }
    });
    // Attaching the backend copies the parameters into its memory (the wasm backend's arena) when it has one.
    return new Sequential(layers, backend);
  } catch (e) {
    // A typed array beyond V8's limits (2^32 elements) or beyond what the allocator can give: say which
    // network, instead of a bare "Invalid typed array length" from deep inside a topology builder.
    if (e instanceof RangeError) {
      throw new InvalidArgumentError(
        `cannot allocate the ${sizes.join('-')} network (${sparsity.kind}${'eps' in sparsity ? ` eps=${sparsity.eps}` : ''}${'density' in sparsity ? ` density=${sparsity.density}` : ''}): ` +
          `${e.message}; use smaller layers or a sparser model`,
      );
    }
    throw e;
  }
}
