/**
 * How run configs combine: the one merge rule used by `train` (preset, `--config` file, `--set`) and by
 * ablation grids (preset, `base`, axis values).
 *
 * Layers, lowest first: **preset < config file < grid base < grid axis value < `--set`**; `--seed` and
 * `--backend` come last. Each layer is merged over the result of the layers below it by {@link mergeConfig}:
 *
 * 1. Objects merge key by key, recursively: a key the upper layer does not give keeps the value below
 *    (`{"training": {"epochs": 2}}` over `mnist-quick` keeps its batch size 64).
 * 2. Arrays, strings, numbers, booleans and `null` replace what was below, whole (`model.hidden: [100]` over
 *    `[300, 300]` gives `[100]`); so does an object over a non-object, and a non-object over an object.
 * 3. Objects of a different kind replace instead of merging. The kinds are `data.name`, `optimizer.name`,
 *    `training.lrSchedule.name`, `model.sparsity.kind`, `model.activation.name` and `policy.policy` (the
 *    policy preset):
 *    `{"optimizer": {"name": "adam"}}` over SGD gives Adam with Adam's defaults, not Adam with SGD's momentum,
 *    and `--set data.name=synthetic` starts a fresh `data` object.
 * 4. A name that stands for an object is read as that object when an object is merged over it: `policy: "set"`
 *    is `{"policy": "set"}` and `model.activation: "all-relu"` is `{"name": "all-relu"}`. So `policy.zeta=0.5`
 *    over `"set"` is the SET preset with zeta 0.5, while `policy: "rigl"` (a name over anything) replaces.
 *    A missing key of this kind counts as its default kind (`policy` the preset `"set"`, `data` MNIST, `optimizer`
 *    SGD, `model.sparsity` Erdos-Renyi, `model.activation` ReLU), so `--set data.limit=100` alone limits the
 *    default data. A policy object giving all five parts (`trigger`, `fraction`, `prune`, `regrow`, `init`)
 *    without a preset is a whole composed policy and replaces.
 * 5. The keys `__proto__`, `constructor` and `prototype` are refused at any depth of any layer with a
 *    {@link ConfigError} (a JSON file can hold them as ordinary keys; copied into an object they would
 *    change its prototype or, through a dotted key, every object's).
 *
 * A dotted key (`--set model.sparsity.eps=8`, a grid axis `"policy.zeta"`) is the nested object it names
 * (`{"model": {"sparsity": {"eps": 8}}}`), merged by the same rule. The merged config is then validated as a
 * whole (experiments/config), so a misspelt key is reported with the path the user wrote.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';

type Json = Record<string, unknown>;

/** Object keys refused in configs: they reach `Object.prototype` through plain property writes. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** A config path whose objects are a tagged union (rule 3), and whether a bare name stands for one (rule 4). */
interface Kind {
  /** The key naming the object's kind. */
  readonly tag: string;
  /** A string here is the name of an object of this union: `{ [tag]: name }`. */
  readonly promote: boolean;
  /**
   * The value assumed when the path is missing and an object is merged there: the kind of the schema's
   * default (experiments/config), so `--set data.limit=100` alone means the default MNIST data, limited.
   */
  readonly absent?: unknown;
  /** An object that stands on its own without a tag (replaces instead of merging). */
  readonly whole?: (o: Json) => boolean;
}

const POLICY_PARTS = ['trigger', 'fraction', 'prune', 'regrow', 'init'];

const KINDS: Readonly<Record<string, Kind>> = {
  data: { tag: 'name', promote: false, absent: { name: 'mnist' } },
  optimizer: { tag: 'name', promote: false, absent: { name: 'sgd' } },
  'training.lrSchedule': { tag: 'name', promote: false, absent: { name: 'constant' } },
  'model.sparsity': { tag: 'kind', promote: false, absent: { kind: 'erdos-renyi' } },
  'model.activation': { tag: 'name', promote: true, absent: 'relu' },
  policy: { tag: 'policy', promote: true, absent: 'set', whole: (o) => POLICY_PARTS.every((p) => o[p] !== undefined) },
};

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Refuses the keys `__proto__`, `constructor` and `prototype` anywhere in `value` (objects and arrays,
 * recursively).
 * @param from - what `value` is, for the message (e.g. `config file run.json`).
 * @throws {@link ConfigError} naming the dotted path of the key.
 */
export function assertSafeKeys(value: unknown, from: string, at = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertSafeKeys(v, from, at ? `${at}.${i}` : String(i)));
    return;
  }
  if (!isObject(value)) return;
  for (const k of Object.keys(value)) {
    const p = at ? `${at}.${k}` : k;
    if (FORBIDDEN_KEYS.includes(k)) throw new ConfigError(`${from}: the key "${p}" is not allowed (${FORBIDDEN_KEYS.join(', ')} are never config keys)`);
    assertSafeKeys(value[k], from, p);
  }
}

function mergeAt(at: string, lower: unknown, upper: unknown): unknown {
  if (upper === undefined) return lower === undefined ? undefined : structuredClone(lower);
  const kind = KINDS[at];
  if (kind && isObject(upper)) {
    if (kind.whole?.(upper) && upper[kind.tag] === undefined) return structuredClone(upper);
    let below = lower === undefined ? kind.absent : lower;
    if (kind.promote && typeof below === 'string') below = { [kind.tag]: below };
    if (isObject(below) && upper[kind.tag] !== undefined && upper[kind.tag] !== below[kind.tag]) return structuredClone(upper);
    lower = below;
  }
  if (!isObject(upper)) return structuredClone(upper);
  // An object over a non-object replaces it; merged over {} so that the kinds nested in it still apply.
  const below: Json = isObject(lower) ? lower : {};
  const out: Json = {};
  for (const k of Object.keys(below)) out[k] = structuredClone(below[k]);
  for (const k of Object.keys(upper)) {
    const v = mergeAt(at ? `${at}.${k}` : k, below[k], upper[k]);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Merges config layer `upper` over `lower` by the rule in this module's comment; neither is modified.
 * @param from - what `upper` is, for error messages (`config file run.json`, `--set policy.zeta`, ...).
 * @throws {@link ConfigError} if either is not an object or holds a forbidden key.
 * @example mergeConfig(preset('mnist-quick'), { training: { epochs: 2 } }) // batch size stays 64
 */
export function mergeConfig(lower: Readonly<Json>, upper: Readonly<Json>, from = 'config'): Json {
  if (!isObject(lower)) throw new ConfigError(`a config must be a JSON object, got ${JSON.stringify(lower)}`);
  if (!isObject(upper)) throw new ConfigError(`${from} must be a JSON object, got ${JSON.stringify(upper)}`);
  assertSafeKeys(lower, 'config');
  assertSafeKeys(upper, from);
  return mergeAt('', lower, upper) as Json;
}

/**
 * The nested object a dotted key names: `dottedObject('model.sparsity.eps', 8)` is
 * `{ model: { sparsity: { eps: 8 } } }`.
 * @throws {@link ConfigError} for an empty segment or a forbidden key (`__proto__`, `constructor`, `prototype`).
 */
export function dottedObject(key: string, value: unknown): Json {
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new ConfigError(`invalid config key "${key}": empty segment (write keys as a.b.c)`);
  const bad = parts.find((p) => FORBIDDEN_KEYS.includes(p));
  if (bad !== undefined) throw new ConfigError(`invalid config key "${key}": "${bad}" is not allowed (${FORBIDDEN_KEYS.join(', ')} are never config keys)`);
  let out: unknown = value;
  for (let i = parts.length - 1; i >= 0; i--) out = { [parts[i]!]: out };
  return out as Json;
}
