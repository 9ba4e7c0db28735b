/**
 * The policy registry: named presets, and the translation of a JSON description into a {@link Policy}.
 *
 * Two JSON forms are accepted:
 * - preset form: `{ "policy": "set", "zeta": 0.3 }` (a preset name plus overrides of its parts' settings:
 *   `zeta`, `final`, `k`, `p`, `start`, `end`, `skipLast`, `sigma`, `layers`, or whole parts such as
 *   `"init": { "name": "zero" }`);
 * - composed form: `{ "trigger": { "name": "every-epochs", "k": 1 }, "fraction": { "name": "constant",
 *   "zeta": 0.3 }, "prune": { "name": "signed-magnitude" }, "regrow": { "name": "random" },
 *   "init": { "name": "normal", "sigma": 0.1 } }`.
 *
 * Unknown names give an error listing the known ones; invalid values are rejected before training.
 *
 * @packageDocumentation
 */
import { ConfigError, UnknownNameError } from '../core/errors';
import { constant, cosineDecay, linearDecay } from './fractions';
import { heNormalInit, heUniformInit, normalInit, zeroInit, type InitFanIn } from './grow-init';
import { magnitude, randomPrune, signedMagnitude } from './prune';
import { gradientRegrow, momentumRegrow, neverUsedFirst, uniformRandom } from './regrow';
import { everyEpochs, everySteps, never, probabilistic } from './triggers';
import type { Fraction, GrowInit, ImportancePruning, LayerSelection, Policy, Prune, Regrow, Trigger } from './types';

type Json = Record<string, unknown>;

function num(o: Json, key: string, fallback: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw new ConfigError(`${key} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function only(o: Json, part: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (k !== 'name' && !keys.includes(k)) {
      throw new ConfigError(`unknown key "${k}" in ${part} "${String(o.name)}"; allowed keys: ${['name', ...keys].join(', ')}`);
    }
  }
}

const triggers: Record<string, (o: Json) => Trigger> = {
  'every-epochs': (o) => (only(o, 'trigger', ['k', 'skipLast']), everyEpochs(num(o, 'k', 1), (o.skipLast as boolean | undefined) ?? true)),
  'every-steps': (o) => (only(o, 'trigger', ['k', 'start', 'end']), everySteps(num(o, 'k', 100), num(o, 'start', 0), num(o, 'end', 0.75))),
  probabilistic: (o) => (only(o, 'trigger', ['p']), probabilistic(o.p === 'synapses' || o.p === undefined ? 'synapses' : num(o, 'p', 0))),
  never: (o) => (only(o, 'trigger', []), never()),
};
const fractions: Record<string, (o: Json) => Fraction> = {
  constant: (o) => (only(o, 'fraction', ['zeta']), constant(num(o, 'zeta', 0.3))),
  cosine: (o) => (only(o, 'fraction', ['zeta', 'final', 'end']), cosineDecay(num(o, 'zeta', 0.3), num(o, 'final', 0), num(o, 'end', 1))),
  linear: (o) => (only(o, 'fraction', ['zeta', 'final', 'end']), linearDecay(num(o, 'zeta', 0.3), num(o, 'final', 0), num(o, 'end', 1))),
};
const prunes: Record<string, (o: Json) => Prune> = {
  'signed-magnitude': (o) => (only(o, 'prune', []), signedMagnitude()),
  magnitude: (o) => (only(o, 'prune', []), magnitude()),
  random: (o) => (only(o, 'prune', []), randomPrune()),
};
const regrows: Record<string, (o: Json) => Regrow> = {
  random: (o) => (only(o, 'regrow', []), uniformRandom()),
  'never-used-first': (o) => (only(o, 'regrow', []), neverUsedFirst()),
  gradient: (o) => (only(o, 'regrow', []), gradientRegrow()),
  momentum: (o) => (only(o, 'regrow', []), momentumRegrow()),
};
const inits: Record<string, (o: Json) => GrowInit> = {
  zero: (o) => (only(o, 'init', []), zeroInit()),
  normal: (o) => (only(o, 'init', ['sigma']), normalInit(num(o, 'sigma', 0.1))),
  'he-normal': (o) => (only(o, 'init', ['fanIn']), heNormalInit((o.fanIn ?? 'dense') as InitFanIn)),
  'he-uniform': (o) => (only(o, 'init', ['fanIn']), heUniformInit((o.fanIn ?? 'dense') as InitFanIn)),
};

/** The composed-form description of each preset. */
const presets: Record<string, Json> = {
  /**
   * The SET paper: after every epoch but the last, zeta = 0.3 signed-magnitude prune, random regrowth, new
   * weights from N(0, 0.1^2) as in Mocanu's code. That fixed scale suits layers of a few hundred inputs; for
   * very wide layers (genotypes, 10^5 inputs and more) override it with a fan-in-aware init,
   * `"init": { "name": "he-uniform" }` (the layer's own initialisation scale) or `{ "name": "zero" }`: see grow-init.ts.
   */
  set: {
    trigger: { name: 'every-epochs', k: 1, skipLast: true },
    fraction: { name: 'constant', zeta: 0.3 },
    prune: { name: 'signed-magnitude' },
    regrow: { name: 'random' },
    init: { name: 'normal', sigma: 0.1 },
    layers: 'all',
  },
  /** Synapses: after each forward pass, each layer evolves with probability p = 0.2 / (sparse layers). */
  'set-probabilistic': {
    trigger: { name: 'probabilistic', p: 'synapses' },
    fraction: { name: 'constant', zeta: 0.3 },
    prune: { name: 'signed-magnitude' },
    regrow: { name: 'random' },
    init: { name: 'he-normal' },
    layers: 'all',
  },
  /** The SET paper's ablation: remove at random instead of by magnitude. */
  'set-random-prune': {
    trigger: { name: 'every-epochs', k: 1, skipLast: true },
    fraction: { name: 'constant', zeta: 0.3 },
    prune: { name: 'random' },
    regrow: { name: 'random' },
    init: { name: 'normal', sigma: 0.1 },
    layers: 'all',
  },
  /** SET with ITOP's never-used-first regrowth, tracking the ITOP rate (Liu et al. 2021). */
  'set-itop': {
    trigger: { name: 'every-epochs', k: 1, skipLast: true },
    fraction: { name: 'constant', zeta: 0.3 },
    prune: { name: 'signed-magnitude' },
    regrow: { name: 'never-used-first' },
    init: { name: 'normal', sigma: 0.1 },
    layers: 'all',
    itop: true,
  },
  /**
   * RigL (Evci et al. 2020): every 100 steps until 75% of training, drop a fraction decaying with a
   * cosine from 0.3 to 0 at that 75% point, of the smallest |w|, regrow where the dense gradient is largest, new weights at 0.
   */
  rigl: {
    trigger: { name: 'every-steps', k: 100, start: 0, end: 0.75 },
    fraction: { name: 'cosine', zeta: 0.3, final: 0, end: 0.75 },
    prune: { name: 'magnitude' },
    regrow: { name: 'gradient' },
    init: { name: 'zero' },
    layers: 'all',
  },
  /**
   * SNFS / sparse momentum (Dettmers and Zettlemoyer 2019): after every epoch but the last, drop a
   * cosine-decaying fraction (from 0.5) of the smallest |w|, redistribute regrowth across layers by
   * mean momentum, regrow where the (dense-gradient) momentum is largest, new weights at 0.
   */
  snfs: {
    trigger: { name: 'every-epochs', k: 1, skipLast: true },
    fraction: { name: 'cosine', zeta: 0.5, final: 0 },
    prune: { name: 'magnitude' },
    regrow: { name: 'momentum' },
    init: { name: 'zero' },
    layers: 'all',
    redistribution: 'momentum',
  },
  /** Static sparse (FixProb): the same Erdos-Renyi start, never evolved. */
  static: {
    trigger: { name: 'never' },
    fraction: { name: 'constant', zeta: 0 },
    prune: { name: 'signed-magnitude' },
    regrow: { name: 'random' },
    init: { name: 'zero' },
    layers: 'all',
  },
};

/** Names of the policy presets. */
export function policyPresetNames(): string[] {
  return Object.keys(presets);
}

/** A JSON description of a policy: a preset name, the preset form, or the composed form. */
export type PolicyDescription = string | Json;

const SHORTHANDS: Record<string, 'trigger' | 'fraction' | 'init'> = {
  zeta: 'fraction', final: 'fraction', k: 'trigger', p: 'trigger', start: 'trigger', end: 'trigger', skipLast: 'trigger', sigma: 'init',
};

function part<T>(table: Record<string, (o: Json) => T>, kind: string, o: unknown): T {
  if (typeof o !== 'object' || o === null || typeof (o as Json).name !== 'string') {
    throw new ConfigError(`policy ${kind} must be an object with a "name"; known ${kind}s: ${Object.keys(table).join(', ')}`);
  }
  const f = table[(o as Json).name as string];
  if (!f) throw new UnknownNameError(kind, (o as Json).name as string, Object.keys(table));
  return f(o as Json);
}

function layersOf(v: unknown): LayerSelection {
  if (v === undefined || v === 'all' || v === 'hidden') return (v ?? 'all') as LayerSelection;
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0)) return v as number[];
  throw new ConfigError(`policy layers must be "all", "hidden" or a list of layer indices, got ${JSON.stringify(v)}`);
}

/**
 * Expands a description to the composed form, with preset overrides applied (plain JSON, for manifests).
 * @throws {@link UnknownNameError} or {@link ConfigError}.
 */
export function expandPolicy(desc: PolicyDescription): Json {
  const d: Json = typeof desc === 'string' ? { policy: desc } : { ...desc };
  let base: Json;
  if (d.policy !== undefined) {
    const name = d.policy;
    if (typeof name !== 'string' || !presets[name]) throw new UnknownNameError('policy', String(name), policyPresetNames());
    base = structuredClone(presets[name]!);
    base.name = name;
    delete d.policy;
  } else {
    base = { name: typeof d.name === 'string' ? d.name : 'custom' };
  }
  for (const [key, value] of Object.entries(d)) {
    if (key === 'name') base.name = value;
    else if (['trigger', 'fraction', 'prune', 'regrow', 'init'].includes(key)) {
      // A part with a different name replaces the preset's part; the same name only overrides settings.
      const prev = base[key] as Json | undefined;
      const next = value as Json;
      base[key] = prev && next && typeof next === 'object' && (next.name === undefined || next.name === prev.name) ? { ...prev, ...next } : next;
    } else if (['layers', 'redistribution', 'itop', 'importance'].includes(key)) base[key] = value;
    else if (SHORTHANDS[key]) base[SHORTHANDS[key]] = { ...((base[SHORTHANDS[key]] as Json | undefined) ?? {}), [key]: value };
    else {
      throw new ConfigError(
        `unknown policy key "${key}"; allowed: policy, name, trigger, fraction, prune, regrow, init, layers, redistribution, itop, importance, ${Object.keys(SHORTHANDS).join(', ')}`,
      );
    }
  }
  for (const k of ['trigger', 'fraction', 'prune', 'regrow', 'init']) {
    if (base[k] === undefined) throw new ConfigError(`policy "${String(base.name)}" has no ${k}; a composed policy needs trigger, fraction, prune, regrow and init`);
  }
  return base;
}

/**
 * Builds a {@link Policy} from a preset name or a JSON description (see the module comment).
 * @throws {@link UnknownNameError} for an unknown preset or part; {@link ConfigError} for bad values.
 * @example policyFrom({ policy: 'set', zeta: 0.5 })
 */
export function policyFrom(desc: PolicyDescription | Policy): Policy {
  if (typeof desc === 'object' && desc !== null && typeof (desc as Policy).trigger?.fires === 'function') return desc as Policy;
  const e = expandPolicy(desc as PolicyDescription);
  return {
    name: String(e.name),
    trigger: part(triggers, 'trigger', e.trigger),
    fraction: part(fractions, 'fraction', e.fraction),
    prune: part(prunes, 'prune', e.prune),
    regrow: part(regrows, 'regrow', e.regrow),
    init: part(inits, 'init', e.init),
    layers: layersOf(e.layers),
    redistribution: redistributionOf(e.redistribution),
    itop: itopOf(e.itop),
    ...(e.importance !== undefined ? { importance: importanceOf(e.importance) } : {}),
  };
}

function redistributionOf(v: unknown): 'none' | 'momentum' {
  if (v === undefined || v === 'none' || v === 'momentum') return (v ?? 'none') as 'none' | 'momentum';
  throw new ConfigError(`policy redistribution must be "none" or "momentum", got ${JSON.stringify(v)}`);
}

function itopOf(v: unknown): boolean {
  if (v === undefined || typeof v === 'boolean') return v ?? false;
  throw new ConfigError(`policy itop must be true or false, got ${JSON.stringify(v)}`);
}

function importanceOf(v: unknown): ImportancePruning {
  const o = v as Json;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw new ConfigError(`policy importance must be an object { percentile, start, every }, got ${JSON.stringify(v)}`);
  }
  for (const k of Object.keys(o)) if (!['percentile', 'start', 'every'].includes(k)) throw new ConfigError(`unknown key "${k}" in policy importance; allowed: percentile, start, every`);
  const percentile = num(o, 'percentile', 0.1);
  const start = num(o, 'start', 0);
  const every = num(o, 'every', 1);
  if (!(percentile > 0 && percentile < 1)) throw new ConfigError(`importance.percentile must be in (0, 1), got ${percentile}`);
  if (!(Number.isInteger(start) && start >= 0)) throw new ConfigError(`importance.start must be an integer >= 0, got ${start}`);
  if (!(Number.isInteger(every) && every >= 1)) throw new ConfigError(`importance.every must be an integer >= 1, got ${every}`);
  return { percentile, start, every };
}

/** The composed-form JSON of a policy (round-trips through {@link policyFrom}). */
export function policyToJson(p: Policy): Json {
  return {
    name: p.name,
    trigger: { name: p.trigger.name, ...p.trigger.config },
    fraction: { name: p.fraction.name, ...p.fraction.config },
    prune: { name: p.prune.name, ...p.prune.config },
    regrow: { name: p.regrow.name, ...p.regrow.config },
    init: { name: p.init.name, ...p.init.config },
    layers: p.layers,
    redistribution: p.redistribution ?? 'none',
    itop: p.itop ?? false,
    ...(p.importance ? { importance: p.importance } : {}),
  };
}

/**
 * Whether `policy` evolves linear layer `index` of a network with `count` linear layers ('hidden' means
 * every layer but the last, the output layer).
 */
export function selectsLayer(policy: Policy, index: number, count: number): boolean {
  if (policy.layers === 'all') return true;
  if (policy.layers === 'hidden') return index < count - 1;
  return policy.layers.includes(index);
}
