/**
 * Unsupervised feature selection with a sparse denoising autoencoder trained by SET: QuickSelection
 * (Atashgahi, Sokar, van der Lee, Mocanu E., Mocanu D.C., Veldhuis, Pechenizkiy; Machine Learning 2022).
 * One sparse hidden layer, Gaussian noise on the inputs, the clean inputs as the target
 * (`loss: 'reconstruction'`), and the features ranked by the strength of their input neuron.
 *
 * Why it finds MADELON's relevant features without labels: the informative and redundant features span a
 * low-dimensional subspace, so each can be reconstructed from the others, while the noise features are
 * independent and cannot; the connections that help reconstruction (and so survive SET's magnitude pruning
 * and grow strong) are those of the correlated features.
 *
 * @packageDocumentation
 */
import type { Dataset } from '../data/dataset';
import type { ActivationName } from '../nn/activation';
import { mlp, type Model } from '../train/model';
import { featureImportance, type FeatureRanking, type ImportanceMethod } from './importance';
import { InputHistory } from './persistence';

/** Options of {@link quickSelection}; defaults found on MADELON (500 features) here. */
export interface QuickSelectionOptions {
  /** Hidden neurons (default 200). */
  readonly hidden?: number;
  /** Erdos-Renyi eps of both layers (default 10). */
  readonly eps?: number;
  /** Hidden activation (default sigmoid, as QuickSelection). */
  readonly activation?: ActivationName;
  /** Epochs (default 30). */
  readonly epochs?: number;
  /** SGD learning rate (default 1: the reconstruction loss is a mean over the features, so its gradients are small). */
  readonly lr?: number;
  /** Std of the input noise (default 0.2, as QuickSelection). */
  readonly noise?: number;
  /** Evolution policy (default `set`; `static` for the same network without evolution). */
  readonly policy?: string;
  /** Ranking method (default `strength`). */
  readonly method?: ImportanceMethod;
  readonly batchSize?: number;
  readonly seed?: number;
  /** Backend name (default `cpu`). */
  readonly backend?: string;
}

/** The trained autoencoder and its ranking of the features. */
export interface QuickSelectionResult {
  readonly model: Model;
  readonly ranking: FeatureRanking;
  /** The input layer's history (for the `persistence` method). */
  readonly history: InputHistory;
}

/**
 * Trains a sparse denoising autoencoder on `data` (labels unused) and ranks its features.
 * @example
 * const { ranking } = await quickSelection(train, { seed: 1 });
 * ranking.topK(20);
 */
export async function quickSelection(data: Dataset, options: QuickSelectionOptions = {}): Promise<QuickSelectionResult> {
  const n = data.nFeatures, seed = options.seed ?? 0;
  const model = mlp([n, options.hidden ?? 200, n], {
    sparsity: { kind: 'erdos-renyi', eps: options.eps ?? 10 }, activation: options.activation ?? 'sigmoid', seed, backend: options.backend ?? 'cpu',
  });
  model.compile({
    optimizer: { name: 'sgd', lr: options.lr ?? 1, momentum: 0.9, weightDecay: 0.0002 },
    policy: options.policy ?? 'set', loss: 'reconstruction', inputNoise: options.noise ?? 0.2,
  });
  const history = new InputHistory(n);
  history.start(model.network);
  await model.fit(data, {
    epochs: options.epochs ?? 30, batchSize: options.batchSize ?? 100, verbose: 0,
    callbacks: { onEpochEnd: () => history.observe(model.network) },
  });
  const ranking = featureImportance(model, { method: options.method ?? 'strength', history, ...(data.featureNames ? { featureNames: data.featureNames } : {}) });
  return { model, ranking, history };
}
