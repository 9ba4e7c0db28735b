/**
 * Human labels for figures: one mapping from config keys (`policy`, `model.sparsity.eps`,
 * `training.epochs`), their values (`set`, `erdos-renyi`) and result metrics (`testAccuracy`,
 * `trainingFlops`) to the words a paper's figure uses ("Evolution policy", "SET", "Test accuracy (%)").
 * Every ablation figure, legend and axis takes its words from here, so a raw key never reaches a figure.
 * A key not listed gets a readable fallback: its last path segment, de-camel-cased and capitalised
 * (`optimizer.weightDecay` -> "Weight decay").
 *
 * @packageDocumentation
 */

/** Labels of config keys (dotted, as in `train --set` and ablation axes) and of result fields. */
const KEY_LABELS: Readonly<Record<string, string>> = {
  name: 'Run',
  seed: 'Seed',
  policy: 'Evolution policy',
  'policy.policy': 'Evolution policy',
  'policy.zeta': 'ζ (fraction replaced)',
  zeta: 'ζ (fraction replaced)',
  'policy.every': 'Evolution every (epochs)',
  'model.hidden': 'Hidden layers',
  'model.sparsity': 'Sparsity',
  'model.sparsity.kind': 'Sparse topology',
  'model.sparsity.eps': 'ε (sparsity)',
  'model.sparsity.epsilon': 'ε (sparsity)',
  'sparsity.eps': 'ε (sparsity)',
  'sparsity.epsilon': 'ε (sparsity)',
  eps: 'ε (sparsity)',
  epsilon: 'ε (sparsity)',
  'model.sparsity.density': 'Density',
  'model.activation': 'Activation',
  'model.dropout': 'Dropout rate',
  'model.init': 'Weight initialisation',
  'model.fanIn': 'Initialiser fan-in',
  'model.inputNoise': 'Input noise (std)',
  optimizer: 'Optimizer',
  'optimizer.name': 'Optimizer',
  'optimizer.lr': 'Learning rate',
  'optimizer.momentum': 'Momentum',
  'optimizer.weightDecay': 'Weight decay',
  'training.epochs': 'Epochs',
  'training.batchSize': 'Batch size',
  'training.lrSchedule': 'Learning-rate schedule',
  'training.monitor': 'Monitored metric',
  'training.earlyStopping': 'Early stopping',
  data: 'Data set',
  'data.name': 'Data set',
  'data.limit': 'Training samples (limit)',
  'data.validation': 'Validation fraction',
  backend: 'Backend',
  loss: 'Loss',
  // Result fields.
  testAccuracy: 'Test accuracy (%)',
  testAccuracyAtBest: 'Test accuracy, best validation epoch (%)',
  bestValAccuracy: 'Best validation accuracy (%)',
  valAccuracy: 'Validation accuracy (%)',
  accuracy: 'Accuracy (%)',
  testLoss: 'Test loss',
  testLossAtBest: 'Test loss, best validation epoch',
  bestValLoss: 'Best validation loss',
  valLoss: 'Validation loss',
  connections: 'Connections',
  trainingFlops: 'Training FLOPs',
  flops: 'Training FLOPs',
  seconds: 'Training time (s)',
  epochs: 'Epochs',
  bestEpoch: 'Best epoch',
};

/** Labels of config values that are names (policy presets, topologies, optimizers, activations, data sets). */
const VALUE_LABELS: Readonly<Record<string, string>> = {
  set: 'SET',
  'set-probabilistic': 'SET (probabilistic)',
  'set-random-prune': 'SET (random pruning)',
  'set-itop': 'SET-ITOP',
  rigl: 'RigL',
  snfs: 'SNFS',
  static: 'Static sparse',
  dense: 'Dense',
  'erdos-renyi': 'Erdős–Rényi',
  erk: 'ERK',
  density: 'Fixed density',
  sgd: 'SGD',
  adam: 'Adam',
  relu: 'ReLU',
  'leaky-relu': 'Leaky ReLU',
  'all-relu': 'All-ReLU',
  srelu: 'SReLU',
  tanh: 'tanh',
  sigmoid: 'Sigmoid',
  mnist: 'MNIST',
  'fashion-mnist': 'Fashion-MNIST',
  libsvm: 'LIBSVM',
  csv: 'CSV',
  idx: 'IDX',
  synthetic: 'Synthetic',
  'cross-entropy': 'Cross-entropy',
  mse: 'MSE',
  valAccuracy: 'validation accuracy',
  valLoss: 'validation loss',
  cpu: 'CPU',
  wasm: 'WebAssembly',
  gpujs: 'gpu.js',
};

/** `weightDecay` -> "weight decay", `lrSchedule` -> "lr schedule", `kind_of-thing` -> "kind of thing". */
function deCamel(word: string): string {
  return word
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .replace(/\b([A-Z])([a-z])/g, (_m, a: string, b: string) => a.toLowerCase() + b);
}

function capitalise(s: string): string {
  return s.length ? s[0]!.toUpperCase() + s.slice(1) : s;
}

/**
 * The human label of a config key or result field: the listed label, else the last path segment,
 * de-camel-cased and capitalised.
 * @example keyLabel('policy') // "Evolution policy"
 * @example keyLabel('optimizer.weightDecay') // "Weight decay"
 */
export function keyLabel(key: string): string {
  const known = KEY_LABELS[key];
  if (known !== undefined) return known;
  const last = key.split('.').filter((s) => s !== '').pop() ?? key;
  return capitalise(deCamel(last));
}

/**
 * The label of a metric on an axis, with its unit: `testAccuracy` -> "Test accuracy (%)" (accuracies are
 * drawn in percent), `testLoss` -> "Test loss"; `percent: false` drops the "(%)" of an accuracy.
 */
export function metricLabel(metric: string, percent = true): string {
  const label = keyLabel(metric);
  return percent ? label : label.replace(/ \(%\)$/, '');
}

/** A number as a figure shows it: integers as they are, others with up to 4 significant digits. */
function numberLabel(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}

/**
 * The label of one value of a config key: known names in their usual spelling (`set` -> "SET",
 * `erdos-renyi` -> "Erdős–Rényi"), numbers compactly, a policy description by its preset name, lists as
 * `784-300-10`-style sizes for `model.hidden` and comma-separated otherwise, other objects as `k v` pairs.
 * Never a raw `key=value`.
 */
export function valueLabel(key: string, value: unknown): string {
  if (typeof value === 'string') {
    // A value may arrive JSON-encoded (an ablation folder's axes are strings for the figures).
    if (/^[[{]/.test(value)) {
      try {
        return valueLabel(key, JSON.parse(value) as unknown);
      } catch {
        // not JSON: a plain string
      }
    }
    return VALUE_LABELS[value] ?? value;
  }
  if (typeof value === 'number') return numberLabel(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null || value === undefined) return 'none';
  if (Array.isArray(value)) {
    const parts = value.map((v) => valueLabel(key, v));
    return key.endsWith('hidden') ? parts.join('-') : parts.join(', ');
  }
  if (typeof value === 'object') {
    const o = value as Record<string, unknown>;
    // A policy in preset form ({ policy: 'set', zeta: 0.5 }) or a tagged part ({ name: 'cosine', ... }),
    // or a sparsity ({ kind: 'erdos-renyi', eps: 20 }): the name first, then its settings.
    const head = typeof o.policy === 'string' ? 'policy' : typeof o.name === 'string' ? 'name' : typeof o.kind === 'string' ? 'kind' : undefined;
    const rest = Object.entries(o).filter(([k]) => k !== head).map(([k, v]) => `${keyLabel(k).replace(/ \(.*\)$/, '')} ${valueLabel(k, v)}`);
    const name = head !== undefined ? valueLabel(head, o[head]) : undefined;
    return name !== undefined ? (rest.length ? `${name} (${rest.join(', ')})` : name) : rest.join(', ');
  }
  return String(value);
}

/**
 * The label of a setting (several keys' values) for legends and categories: the values' labels alone when
 * the keys are named elsewhere (a legend title, an axis title), else "Key value" pairs.
 * @example settingLabel({ policy: 'set', 'model.sparsity.eps': 20 }) // "SET, ε 20"
 */
export function settingLabel(axes: Readonly<Record<string, unknown>>, options: { withKeys?: boolean } = {}): string {
  const entries = Object.entries(axes);
  if (entries.length === 0) return 'Base configuration';
  const withKeys = options.withKeys ?? entries.length > 1;
  return entries
    .map(([k, v]) => (withKeys && !isNameKey(k) ? `${shortKeyLabel(k)} ${valueLabel(k, v)}` : valueLabel(k, v)))
    .join(', ');
}

/** Keys whose values name themselves (a policy, an optimizer): "SET" needs no "Evolution policy" before it. */
function isNameKey(key: string): boolean {
  return ['policy', 'policy.policy', 'optimizer', 'optimizer.name', 'model.activation', 'data', 'data.name', 'model.sparsity', 'model.sparsity.kind', 'backend', 'loss'].includes(key);
}

/** A key's label without its parenthesised explanation: "ε (sparsity)" -> "ε", for compact legends. */
export function shortKeyLabel(key: string): string {
  return keyLabel(key).replace(/ \(.*\)$/, '');
}
