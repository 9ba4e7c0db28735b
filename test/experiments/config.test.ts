import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFromOptions } from '../../toolkit/src/cli/train';
import { ConfigError } from '../../toolkit/src/core/errors';
import { parseRunConfig, resolveRunConfig, runNameProblem, sameRunConfig, setDotted } from '../../toolkit/src/experiments/config';
import { editDistance, nearestPath } from '../../toolkit/src/experiments/config-issues';
import { dottedObject, mergeConfig } from '../../toolkit/src/experiments/merge';
import { preset } from '../../toolkit/src/experiments/presets';
import * as toolkit from '../../toolkit/src/index';
import { messageOf } from './config-error-message';

const tmpFile = (content: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-config-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, content);
  return file;
};

describe('configs merge deeply (preset < config file < --set)', () => {
  it('a config file that sets training.epochs keeps the preset batch size (issue: 64 became 128)', () => {
    const file = tmpFile(JSON.stringify({ training: { epochs: 2 }, model: { dropout: 0.1 } }));
    const c = parseRunConfig(configFromOptions({ preset: 'mnist-quick', config: file }));
    expect(c.training.epochs).toBe(2);
    expect(c.training.batchSize).toBe(64);
    expect(c.model).toMatchObject({ hidden: [300, 300], dropout: 0.1, activation: 'relu' });
    expect(c.optimizer).toMatchObject({ name: 'sgd', lr: 0.05 });
  });

  it('is exported from the package entry point', () => {
    expect(toolkit.mergeConfig).toBe(mergeConfig);
  });

  it('arrays replace whole; a scalar replaces an object and an object a scalar; inputs are not modified', () => {
    const lower = { model: { hidden: [300, 300], sparsity: { kind: 'erdos-renyi', eps: 20 } }, data: { name: 'mnist', testSize: 2000 } };
    const copy = structuredClone(lower);
    expect(mergeConfig(lower, { model: { hidden: [10] } }).model).toEqual({ hidden: [10], sparsity: { kind: 'erdos-renyi', eps: 20 } });
    expect(mergeConfig({ a: { b: 1 } }, { a: 3 })).toEqual({ a: 3 });
    expect(mergeConfig({ a: 3 }, { a: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(lower).toEqual(copy);
  });

  it('an object of another kind (data.name, optimizer.name, sparsity.kind) replaces instead of merging', () => {
    const quick = preset('mnist-quick') as Record<string, unknown>;
    expect(mergeConfig(quick, { optimizer: { name: 'adam' } }).optimizer).toEqual({ name: 'adam' });
    expect(parseRunConfig(setDotted(quick, 'optimizer.name', 'adam')).optimizer).toMatchObject({ name: 'adam', lr: 0.001 });
    expect(mergeConfig(quick, { data: { name: 'synthetic' } }).data).toEqual({ name: 'synthetic' });
    expect(mergeConfig(quick, { model: { sparsity: { kind: 'density', density: 0.1 } } }).model).toMatchObject({ sparsity: { kind: 'density', density: 0.1 }, hidden: [300, 300] });
    // The same kind merges.
    expect(mergeConfig(quick, { data: { name: 'mnist', limit: 100 } }).data).toEqual({ name: 'mnist', testSize: 2000, limit: 100 });
  });

  it('policy: settings over a preset name keep the preset; a name, another preset or a composed policy replaces', () => {
    const fashion = preset('fashion-mnist-set') as Record<string, unknown>; // policy { policy: set, zeta: 0.3, layers: hidden, init }
    expect(setDotted({ policy: 'rigl' }, 'policy.zeta', 0.5).policy).toEqual({ policy: 'rigl', zeta: 0.5 });
    expect(mergeConfig({ policy: 'rigl' }, { policy: { zeta: 0.5 } }).policy).toEqual({ policy: 'rigl', zeta: 0.5 });
    expect(mergeConfig({}, { policy: { zeta: 0.5 } }).policy).toEqual({ policy: 'set', zeta: 0.5 }); // the default preset
    expect(mergeConfig(fashion, { policy: { zeta: 0.5 } }).policy).toEqual({ policy: 'set', zeta: 0.5, layers: 'hidden', init: { name: 'he-uniform' } });
    expect(mergeConfig(fashion, { policy: 'static' }).policy).toBe('static');
    expect(mergeConfig(fashion, { policy: { policy: 'rigl' } }).policy).toEqual({ policy: 'rigl' });
    const composed = { trigger: { name: 'never' }, fraction: { name: 'constant', zeta: 0 }, prune: { name: 'magnitude' }, regrow: { name: 'random' }, init: { name: 'zero' } };
    expect(mergeConfig(fashion, { policy: composed }).policy).toEqual(composed);
  });

  it('a setting of a missing tagged object applies to the default kind', () => {
    const defaults = parseRunConfig({});
    expect(parseRunConfig(setDotted({}, 'data.limit', 100)).data).toEqual({ ...defaults.data, limit: 100 });
    expect(parseRunConfig(setDotted({}, 'optimizer.lr', 0.5)).optimizer).toEqual({ ...defaults.optimizer, lr: 0.5 });
    expect(parseRunConfig(setDotted({}, 'model.sparsity.eps', 5)).model.sparsity).toEqual({ ...defaults.model.sparsity, eps: 5 });
    expect(parseRunConfig(setDotted({}, 'model.activation.alpha', 0.1)).model.activation).toEqual({ name: defaults.model.activation, alpha: 0.1 });
  });

  it('an activation name is read as { name } when a setting is merged over it', () => {
    expect(setDotted({ model: { activation: 'all-relu' } }, 'model.activation.alpha', 0.75)).toEqual({ model: { activation: { name: 'all-relu', alpha: 0.75 } } });
    expect(mergeConfig({ model: { activation: { name: 'all-relu', alpha: 0.6 } } }, { model: { activation: 'tanh' } })).toEqual({ model: { activation: 'tanh' } });
  });
});

describe('the resolved config has every default', () => {
  it('optimizer.weightDecayMode is filled in (it was missing when left at its default)', () => {
    expect(parseRunConfig({}).optimizer).toEqual({ name: 'sgd', lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false, weightDecayMode: 'l2' });
    expect(parseRunConfig(preset('mnist-quick')).optimizer).toMatchObject({ weightDecayMode: 'l2', lr: 0.05 });
    expect(parseRunConfig({ model: { hidden: [5] } }).model).toEqual({ hidden: [5], sparsity: { kind: 'erdos-renyi', eps: 20 }, activation: 'relu', dropout: 0, init: 'he-uniform', fanIn: 'dense', inputNoise: 0 });
  });

  it('defaults that depend on other settings are written out (activation alpha, synthetic informative)', () => {
    expect(parseRunConfig({ model: { activation: 'all-relu' } }).model.activation).toEqual({ name: 'all-relu', alpha: 0.6 });
    expect(parseRunConfig({ model: { activation: { name: 'leaky-relu' } } }).model.activation).toEqual({ name: 'leaky-relu', alpha: 0.01 });
    expect(parseRunConfig({ model: { activation: { name: 'all-relu', alpha: 0.75 } } }).model.activation).toEqual({ name: 'all-relu', alpha: 0.75 });
    expect(parseRunConfig({ model: { activation: 'tanh' } }).model.activation).toBe('tanh');
    expect(parseRunConfig({ data: { name: 'synthetic', nFeatures: 6 } }).data).toMatchObject({ informative: 6 });
    expect(parseRunConfig({ data: { name: 'synthetic' } }).data).toMatchObject({ nFeatures: 64, informative: 10 });
  });

  it('a checkpoint config written before weightDecayMode had a default still matches (resume)', () => {
    const config = parseRunConfig(preset('mnist-quick'));
    const old = structuredClone(config) as unknown as { optimizer: Record<string, unknown> };
    delete old.optimizer.weightDecayMode;
    expect(sameRunConfig(old, config)).toBe(true);
    expect(sameRunConfig({ ...old, seed: 99 }, config)).toBe(false);
    expect(sameRunConfig(JSON.parse(JSON.stringify(config)), config)).toBe(true);
  });

  it('resolveRunConfig expands the policy and is itself a config for the same run', () => {
    const r = resolveRunConfig(preset('fashion-mnist-set'));
    expect(r.policy).toMatchObject({ name: 'set', fraction: { name: 'constant', zeta: 0.3 }, layers: 'hidden', init: { name: 'he-uniform' } });
    expect(resolveRunConfig(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });
});

describe('errors name the allowed values and the nearest known key', () => {
  it.each([
    [{ model: { activation: 'relu6' } }, /model\.activation: "relu6" is not allowed; expected an activation name \(one of "relu", "leaky-relu", "all-relu"/],
    [{ model: { activation: { name: 'swish' } } }, /model\.activation\.name: "swish" is not allowed; expected one of "relu"/],
    [{ policy: 5 }, /policy: 5 is not allowed; expected a policy preset name \(one of "set", .*"rigl"/],
    [{ data: { name: 'mnsit' } }, /data\.name: "mnsit" is not allowed; expected one of "mnist", "fashion-mnist", "idx", "synthetic", "madelon", "genotypes", "csv", "libsvm" \(did you mean "mnist"\?\)/],
    [{ optimizer: { name: 'adamw' } }, /optimizer\.name: "adamw" is not allowed; expected one of "sgd", "adam"/],
    [{ model: { sparsity: { kind: 'random' } } }, /model\.sparsity\.kind: "random" is not allowed; expected one of "erdos-renyi", "density", "erk", "dense"/],
  ])('union key %j lists what is allowed', (input, message) => {
    const m = messageOf(() => parseRunConfig(input));
    expect(m).toMatch(message);
    expect(m).not.toMatch(/Invalid input/);
  });

  it.each([
    [{ epochs: 2 }, /epochs: unknown key; did you mean training\.epochs\?/],
    [{ training: { epoch: 2 } }, /training\.epoch: unknown key; did you mean training\.epochs\?/],
    [{ lr: 0.1 }, /lr: unknown key; did you mean optimizer\.lr\?/],
    [{ model: { hiden: [10] } }, /model\.hiden: unknown key; did you mean model\.hidden\?/],
    [{ data: { name: 'mnist', dir: '/x' } }, /data\.dir: unknown key; data "mnist" has no such key/],
  ])('unknown key %j suggests the nearest known dotted path', (input, message) => {
    expect(messageOf(() => parseRunConfig(input))).toMatch(message);
  });

  it('a --set key is named as the user wrote it', () => {
    expect(messageOf(() => parseRunConfig(configFromOptions({ preset: 'mnist-quick', set: ['training.batchsize=3'] })))).toMatch(/training\.batchsize: unknown key; did you mean training\.batchSize\?/);
    expect(messageOf(() => parseRunConfig(configFromOptions({ set: ['model.activation.alpah=0.5'] })))).toMatch(/model\.activation\.alpah: unknown key; did you mean model\.activation\.alpha\?/);
  });

  it('edit distance and nearest path', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(nearestPath('epochs', ['training.epochs', 'training.batchSize', 'seed'])).toBe('training.epochs');
    expect(nearestPath('qwertyuiop', ['training.epochs', 'seed'])).toBeNull();
  });
});

describe('prototype keys and run names are refused', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it.each(['__proto__.polluted', 'constructor.prototype.polluted', 'model.__proto__.polluted', 'prototype'])('setDotted refuses "%s" and writes nothing onto Object.prototype', (key) => {
    expect(messageOf(() => setDotted({}, key, 1))).toMatch(/is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => configFromOptions({ set: [`${key}=1`] })).toThrow(ConfigError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a config file holding a __proto__ key (JSON.parse makes it an own key) is refused', () => {
    const file = tmpFile('{"training": {"__proto__": {"polluted": 1}, "epochs": 2}}');
    expect(messageOf(() => configFromOptions({ config: file }))).toMatch(/config file .*config\.json: the key "training\.__proto__" is not allowed/);
    expect(messageOf(() => parseRunConfig(JSON.parse('{"policy": {"__proto__": {"zeta": 1}}}')))).toMatch(/policy\.__proto__/);
    expect(() => mergeConfig({}, JSON.parse('{"constructor": {"prototype": {"polluted": 1}}}'))).toThrow(ConfigError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(() => dottedObject('a..b', 1)).toThrow(/empty segment/);
  });

  it.each(['../x', 'a/b', 'a\\b', '..', '.', '.hidden', '', 'a\u0000b', 'tab\there'])('the run name %j is refused', (name) => {
    expect(runNameProblem(name)).not.toBeNull();
    expect(messageOf(() => parseRunConfig({ name }))).toMatch(/name: the run name .* a name is a label, not a path/);
  });

  it('ordinary names are accepted', () => {
    for (const name of ['run', 'mnist-quick', 'ablation[policy="set",seed=1]', 'a b', 'x..y']) expect(parseRunConfig({ name }).name).toBe(name);
  });
});
