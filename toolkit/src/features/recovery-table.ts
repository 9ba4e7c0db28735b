/**
 * The recovery table of issue 19: on data with known relevant features, every ranking method scored over
 * seeds, in one danfojs table (one row per method and seed), with a summary per method (mean and sample
 * standard deviation).
 *
 * Methods:
 * - `set-strength`, `set-persistence`, `set-degree`: one sparse denoising autoencoder trained with SET per
 *   seed (QuickSelection, features/quick-selection), ranked three ways;
 * - `static-strength`: the same autoencoder from the same seed (same initial topology and weights) never
 *   evolved, ranked by strength: what evolution adds;
 * - `anova`, `chi2`, `variance`, `random`: the baselines of features/baselines (univariate tests, an
 *   unsupervised filter, chance).
 *
 * The data are generated anew for every seed (`data(seed)`), so the spread over seeds covers both the data
 * and the training.
 *
 * @packageDocumentation
 */
import type { DataFrame } from 'danfojs-node';
import { checkInt } from '../core/assert';
import { ConfigError, InvalidArgumentError, UnknownNameError } from '../core/errors';
import type { Dataset } from '../data/dataset';
import type { GeneratedData } from '../data/madelon';
import { trainTestSplit } from '../data/split';
import { baselineRanking, type BaselineName } from './baselines';
import { recoveryAtK, recoveryCurve, retrainAccuracy, type RecoveryAtK, type RetrainOptions } from './evaluation';
import { featureImportance, type FeatureRanking } from './importance';
import { quickSelection, type QuickSelectionOptions } from './quick-selection';

/** Names of the ranking methods of a recovery table. */
export const RECOVERY_METHODS = ['set-strength', 'set-persistence', 'set-degree', 'static-strength', 'anova', 'chi2', 'variance', 'random'] as const;
/** A ranking method of a recovery table (see the module comment). */
export type RecoveryMethod = (typeof RECOVERY_METHODS)[number];

/** The methods run by default: every one but `chi2` (which needs non-negative features) and `set-degree`. */
export const DEFAULT_RECOVERY_METHODS: readonly RecoveryMethod[] = ['set-strength', 'set-persistence', 'static-strength', 'anova', 'variance', 'random'];

/** Options of {@link recoveryExperiment}. */
export interface RecoveryExperimentOptions {
  /** Seeds (at least one): each generates its data, trains its autoencoders and draws its random ranking. */
  readonly seeds: readonly number[];
  /** The data with their relevant features for a seed, e.g. `(seed) => madelon({ seed })`. */
  readonly data: (seed: number) => GeneratedData<Dataset> | Promise<GeneratedData<Dataset>>;
  /** Default {@link DEFAULT_RECOVERY_METHODS}. */
  readonly methods?: readonly RecoveryMethod[];
  /** The k of the table's precision and recall (default: the number of relevant features). */
  readonly k?: number;
  /** The largest k of the recovery curves returned (default `2 * k`). */
  readonly maxK?: number;
  /** Settings of the autoencoders (seed, policy and method are set per row). */
  readonly autoencoder?: Omit<QuickSelectionOptions, 'seed' | 'policy' | 'method'>;
  /**
   * Also the test accuracy of a small classifier retrained on each method's top k (features/evaluation
   * `retrainAccuracy`): the data are split (`testFraction`, seeded), every ranking is made on the training
   * part only, and the accuracy with all features is reported per seed. Off by default (it trains one
   * classifier per row).
   */
  readonly retrain?: RetrainOptions & { readonly testFraction?: number };
  /** Called with a line after each seed's rows (for progress in notebooks and the CLI). */
  readonly onProgress?: (line: string) => void;
}

/** One row of the table: a method's ranking on one seed's data. */
export interface RecoveryRow {
  readonly method: RecoveryMethod;
  readonly seed: number;
  readonly k: number;
  readonly precision: number;
  readonly recall: number;
  /** Relevant features among the top k. */
  readonly hits: number;
  /** Test accuracy of the classifier on the top k (NaN when `retrain` was not asked for). */
  readonly accuracy: number;
  /** Seconds to produce the ranking (the training of the autoencoder for the network methods, shared by them). */
  readonly seconds: number;
}

/** The result of {@link recoveryExperiment}. */
export interface RecoveryExperiment {
  readonly k: number;
  readonly rows: RecoveryRow[];
  /** Per method and seed, precision and recall at k = 1 .. maxK (for plots/importance `recoveryCurves`). */
  readonly curves: { readonly label: RecoveryMethod; readonly seed: number; readonly curve: RecoveryAtK[] }[];
  /** Per seed, the classifier's test accuracy with every feature (only with `retrain`). */
  readonly allFeatures: { readonly seed: number; readonly accuracy: number }[];
  /** The number of relevant features and of all features (of the last seed's data). */
  readonly nRelevant: number;
  readonly nFeatures: number;
}

const BASELINE_OF: Partial<Record<RecoveryMethod, BaselineName>> = { anova: 'anova', chi2: 'chi2', variance: 'variance', random: 'random' };

/**
 * Runs every method on every seed and scores its ranking against the data's relevant features.
 * @throws {@link ConfigError} for no seeds or a bad k; {@link UnknownNameError} for an unknown method.
 * @example
 * const exp = await recoveryExperiment({ seeds: [0, 1, 2], data: (seed) => madelon({ seed }) });
 * (await recoverySummary(exp.rows)).print();
 */
export async function recoveryExperiment(options: RecoveryExperimentOptions): Promise<RecoveryExperiment> {
  const seeds = options.seeds;
  if (!Array.isArray(seeds) || seeds.length === 0) throw new ConfigError('recoveryExperiment needs at least one seed (seeds: [0, 1, ...])');
  seeds.forEach((s) => {
    if (!Number.isInteger(s)) throw new ConfigError(`recoveryExperiment seeds must be integers, got ${s}`);
  });
  const methods = options.methods ?? DEFAULT_RECOVERY_METHODS;
  if (methods.length === 0) throw new ConfigError('recoveryExperiment needs at least one method');
  for (const m of methods) if (!(RECOVERY_METHODS as readonly string[]).includes(m)) throw new UnknownNameError('recovery method', m, RECOVERY_METHODS);
  if (options.k !== undefined) checkInt(options.k, 'recoveryExperiment k', 1);
  if (options.maxK !== undefined) checkInt(options.maxK, 'recoveryExperiment maxK', 1);
  const testFraction = options.retrain?.testFraction ?? 0.3;
  if (options.retrain && !(testFraction > 0 && testFraction < 1)) throw new ConfigError(`retrain.testFraction must be in (0, 1), got ${testFraction}`);

  const rows: RecoveryRow[] = [];
  const curves: RecoveryExperiment['curves'] = [];
  const allFeatures: RecoveryExperiment['allFeatures'] = [];
  let k = options.k ?? 0, nRelevant = 0, nFeatures = 0;
  for (const seed of seeds) {
    const generated = await options.data(seed);
    const relevant = generated.relevantFeatures;
    if (relevant.length === 0) throw new InvalidArgumentError(`recoveryExperiment: the data of seed ${seed} have no relevant features to recover`);
    nRelevant = relevant.length;
    nFeatures = generated.data.nFeatures;
    k = options.k ?? relevant.length;
    const maxK = Math.min(options.maxK ?? 2 * k, nFeatures);
    let train: Dataset = generated.data, test: Dataset | null = null;
    if (options.retrain) {
      const parts = trainTestSplit(generated.data as Parameters<typeof trainTestSplit>[0], { testFraction }, seed);
      train = parts.train as Dataset;
      test = parts.test as Dataset;
      allFeatures.push({ seed, accuracy: await retrainAccuracy(train, test, Int32Array.from({ length: nFeatures }, (_, i) => i), { seed, ...options.retrain }) });
    }
    // One autoencoder per policy serves all its ranking methods.
    const rankings = new Map<RecoveryMethod, { ranking: FeatureRanking; seconds: number }>();
    const wantsSet = methods.some((m) => m.startsWith('set-'));
    if (wantsSet) {
      const t0 = performance.now();
      const qs = await quickSelection(train, { ...options.autoencoder, seed, policy: 'set' });
      const seconds = (performance.now() - t0) / 1000;
      rankings.set('set-strength', { ranking: qs.ranking, seconds });
      rankings.set('set-persistence', { ranking: featureImportance(qs.model, { method: 'persistence', history: qs.history }), seconds });
      rankings.set('set-degree', { ranking: featureImportance(qs.model, { method: 'degree' }), seconds });
    }
    if (methods.includes('static-strength')) {
      const t0 = performance.now();
      const qs = await quickSelection(train, { ...options.autoencoder, seed, policy: 'static' });
      rankings.set('static-strength', { ranking: qs.ranking, seconds: (performance.now() - t0) / 1000 });
    }
    for (const m of methods) {
      const base = BASELINE_OF[m];
      if (!base) continue;
      const t0 = performance.now();
      const ranking = baselineRanking(base, train, seed);
      rankings.set(m, { ranking, seconds: (performance.now() - t0) / 1000 });
    }
    const line: string[] = [];
    for (const method of methods) {
      const { ranking, seconds } = rankings.get(method)!;
      const r = recoveryAtK(ranking, relevant, k);
      const accuracy = test ? await retrainAccuracy(train, test, ranking.topK(k), { seed, ...options.retrain }) : NaN;
      rows.push({ method, seed, k, precision: r.precision, recall: r.recall, hits: r.hits, accuracy, seconds });
      curves.push({ label: method, seed, curve: recoveryCurve(ranking, relevant, maxK) });
      line.push(`${method} ${r.precision.toFixed(2)}`);
    }
    options.onProgress?.(`seed ${seed}: precision@${k} ${line.join(', ')}`);
  }
  return { k, rows, curves, allFeatures, nRelevant, nFeatures };
}

/** A danfojs DataFrame of the rows: method, seed, k, precision, recall, hits, accuracy, seconds. */
export async function recoveryFrame(rows: readonly RecoveryRow[]): Promise<DataFrame> {
  if (rows.length === 0) throw new InvalidArgumentError('recoveryFrame: no rows (run recoveryExperiment first)');
  const dfd = await import('danfojs-node');
  return new dfd.DataFrame(rows.map((r) => ({ ...r })));
}

/** Mean, sample standard deviation and count per method, in the order the methods first appear. */
export interface RecoverySummaryRow {
  readonly method: RecoveryMethod;
  readonly n: number;
  readonly precisionMean: number;
  readonly precisionStd: number;
  readonly recallMean: number;
  readonly recallStd: number;
  readonly accuracyMean: number;
  readonly accuracyStd: number;
}

/** The per-method summary as plain records (see {@link recoverySummary} for the DataFrame). */
export function recoverySummaryRows(rows: readonly RecoveryRow[]): RecoverySummaryRow[] {
  const by = new Map<RecoveryMethod, RecoveryRow[]>();
  for (const r of rows) {
    if (!by.has(r.method)) by.set(r.method, []);
    by.get(r.method)!.push(r);
  }
  const stat = (v: number[]) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return [m, v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0] as const;
  };
  return [...by].map(([method, rs]) => {
    const [pm, ps] = stat(rs.map((r) => r.precision));
    const [rm, rsd] = stat(rs.map((r) => r.recall));
    const [am, as] = stat(rs.map((r) => r.accuracy));
    return { method, n: rs.length, precisionMean: pm, precisionStd: ps, recallMean: rm, recallStd: rsd, accuracyMean: am, accuracyStd: as };
  });
}

/** A danfojs DataFrame of {@link recoverySummaryRows}: one row per method. */
export async function recoverySummary(rows: readonly RecoveryRow[]): Promise<DataFrame> {
  if (rows.length === 0) throw new InvalidArgumentError('recoverySummary: no rows (run recoveryExperiment first)');
  const dfd = await import('danfojs-node');
  return new dfd.DataFrame(recoverySummaryRows(rows).map((r) => ({ ...r })));
}

/** The summary as aligned plain text: method, n, precision@k and recall@k as mean +- std (and accuracy when measured). */
export function recoverySummaryText(rows: readonly RecoveryRow[]): string {
  const summary = recoverySummaryRows(rows);
  const k = rows[0]?.k ?? 0;
  const withAcc = summary.some((s) => Number.isFinite(s.accuracyMean));
  const pm = (m: number, s: number) => `${m.toFixed(3)} +- ${s.toFixed(3)}`;
  const header = ['method', 'n', `precision@${k}`, `recall@${k}`, ...(withAcc ? [`accuracy (top ${k})`] : [])];
  const body = summary.map((s) => [s.method, String(s.n), pm(s.precisionMean, s.precisionStd), pm(s.recallMean, s.recallStd), ...(withAcc ? [pm(s.accuracyMean, s.accuracyStd)] : [])]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
