import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, UnknownNameError } from '../../toolkit/src/core/errors';
import { expandPolicy, policyFrom, policyPresetNames, policyToJson, selectsLayer } from '../../toolkit/src/evolution/registry';
import { EPOCH_END } from './fixtures';

describe('policy presets', () => {
  it('lists the presets', () => {
    expect(policyPresetNames()).toEqual(expect.arrayContaining(['set', 'set-probabilistic', 'set-random-prune', 'static']));
  });

  it('set is the SET paper: every epoch but the last, zeta 0.3, signed magnitude, random regrowth, N(0, 0.1^2)', () => {
    expect(policyToJson(policyFrom('set'))).toEqual({
      name: 'set',
      trigger: { name: 'every-epochs', k: 1, skipLast: true },
      fraction: { name: 'constant', zeta: 0.3 },
      prune: { name: 'signed-magnitude' },
      regrow: { name: 'random' },
      init: { name: 'normal', sigma: 0.1 },
      layers: 'all',
      redistribution: 'none',
      itop: false,
    });
  });

  it('the other presets have the documented parts', () => {
    const prob = policyToJson(policyFrom('set-probabilistic'));
    expect(prob.trigger).toEqual({ name: 'probabilistic', p: 'synapses' }); // 0.2 / (sparse layers), resolved at run time
    expect(prob.init).toEqual({ name: 'he-normal' });
    expect(policyToJson(policyFrom('set-random-prune')).prune).toEqual({ name: 'random' });
    const stat = policyFrom('static');
    expect(stat.trigger.name).toBe('never');
    expect(stat.fraction.at(EPOCH_END)).toBe(0);
  });
});

describe('preset form with overrides', () => {
  it('{ policy: "set", zeta: 0.5 } changes only the fraction', () => {
    const p = policyToJson(policyFrom({ policy: 'set', zeta: 0.5 }));
    expect(p.fraction).toEqual({ name: 'constant', zeta: 0.5 });
    expect(p.trigger).toEqual({ name: 'every-epochs', k: 1, skipLast: true });
    expect(p.name).toBe('set');
  });

  it('shorthands reach their part: k and skipLast (trigger), p (trigger), sigma (init), final (fraction)', () => {
    expect(policyToJson(policyFrom({ policy: 'set', k: 2, skipLast: false })).trigger).toEqual({ name: 'every-epochs', k: 2, skipLast: false });
    expect(policyToJson(policyFrom({ policy: 'set-probabilistic', p: 0.1 })).trigger).toEqual({ name: 'probabilistic', p: 0.1 });
    expect(policyToJson(policyFrom({ policy: 'set', sigma: 0.2 })).init).toEqual({ name: 'normal', sigma: 0.2 });
    expect(policyToJson(policyFrom({ policy: 'set', fraction: { name: 'cosine' }, final: 0.1 })).fraction).toEqual({ name: 'cosine', zeta: 0.3, final: 0.1, end: 1 });
  });

  it('a part with another name replaces the preset part; the same name merges settings', () => {
    expect(policyToJson(policyFrom({ policy: 'set', init: { name: 'zero' } })).init).toEqual({ name: 'zero' });
    expect(policyToJson(policyFrom({ policy: 'set', init: { sigma: 0.05 } })).init).toEqual({ name: 'normal', sigma: 0.05 });
    expect(policyToJson(policyFrom({ policy: 'set', prune: { name: 'magnitude' } })).prune).toEqual({ name: 'magnitude' });
  });

  it('layers and name overrides', () => {
    expect(policyFrom({ policy: 'set', layers: 'hidden' }).layers).toBe('hidden');
    expect(policyFrom({ policy: 'set', layers: [0, 2] }).layers).toEqual([0, 2]);
    expect(policyFrom({ policy: 'set', name: 'my-set' }).name).toBe('my-set');
  });
});

describe('composed form', () => {
  const composed = {
    name: 'rigl-like-random',
    trigger: { name: 'every-steps', k: 100, start: 0, end: 0.75 },
    fraction: { name: 'cosine', zeta: 0.3, final: 0 },
    prune: { name: 'magnitude' },
    regrow: { name: 'random' },
    init: { name: 'zero' },
  };

  it('builds every part', () => {
    const p = policyFrom(composed);
    expect([p.name, p.trigger.name, p.fraction.name, p.prune.name, p.regrow.name, p.init.name, p.layers]).toEqual([
      'rigl-like-random', 'every-steps', 'cosine', 'magnitude', 'random', 'zero', 'all',
    ]);
  });

  it('needs all five parts', () => {
    const { init: _omit, ...partial } = composed;
    expect(() => policyFrom(partial)).toThrow(ConfigError);
    expect(() => policyFrom(partial)).toThrow(/has no init/);
  });

  it('a built policy passes through unchanged', () => {
    const p = policyFrom('set');
    expect(policyFrom(p)).toBe(p);
  });
});

describe('policyToJson round trip', () => {
  it('policyFrom(policyToJson(p)) describes the same policy, through JSON text too', () => {
    const descriptions = [
      'set', 'set-probabilistic', 'set-random-prune', 'static',
      { policy: 'set', zeta: 0.5, k: 3, skipLast: false, sigma: 0.01, layers: 'hidden' },
      { policy: 'static', layers: [1] },
      {
        trigger: { name: 'every-steps', k: 7, start: 3, end: 100 }, fraction: { name: 'linear', zeta: 0.2, final: 0.5 },
        prune: { name: 'random' }, regrow: { name: 'random' }, init: { name: 'he-uniform' },
      },
    ];
    for (const d of descriptions) {
      const json = policyToJson(policyFrom(d));
      const back = policyToJson(policyFrom(JSON.parse(JSON.stringify(json))));
      expect(back).toEqual(json);
      expect(expandPolicy(json)).toEqual(json);
    }
  });

  it('holds for random valid overrides (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('set', 'set-random-prune', 'set-probabilistic', 'static'),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.integer({ min: 1, max: 9 }),
        (name, zeta, k) => {
          const d = name === 'set-probabilistic' ? { policy: name, zeta, p: zeta } : name === 'static' ? { policy: name, zeta } : { policy: name, zeta, k };
          const json = policyToJson(policyFrom(d));
          expect(policyToJson(policyFrom(JSON.parse(JSON.stringify(json))))).toEqual(json);
          expect(policyFrom(json).fraction.at(EPOCH_END)).toBe(zeta);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('policy errors', () => {
  it('an unknown preset lists the known ones', () => {
    expect(() => policyFrom('deep-r')).toThrow(UnknownNameError);
    expect(() => policyFrom('deep-r')).toThrow(`unknown policy "deep-r"; known policys are: ${policyPresetNames().join(', ')}`);
    expect(() => policyFrom('deep-r')).toThrow(/known policys are: .*\bset\b.*\bstatic\b/);
    expect(() => policyFrom({ policy: 42 })).toThrow(UnknownNameError);
  });

  it('an unknown part lists the known parts of its kind', () => {
    const base = { policy: 'set' };
    expect(() => policyFrom({ ...base, prune: { name: 'largest' } })).toThrow(/unknown prune "largest"; known prunes are: signed-magnitude, magnitude, random/);
    expect(() => policyFrom({ ...base, regrow: { name: 'hebbian' } })).toThrow(/unknown regrow "hebbian"; known regrows are: random\b/);
    expect(() => policyFrom({ ...base, trigger: { name: 'sometimes' } })).toThrow(/known triggers are: every-epochs, every-steps, probabilistic, never/);
    expect(() => policyFrom({ ...base, fraction: { name: 'exp' } })).toThrow(/known fractions are: constant, cosine, linear/);
    expect(() => policyFrom({ ...base, init: { name: 'ones' } })).toThrow(/known inits are: zero, normal, he-normal, he-uniform/);
  });

  it('invalid zeta, p, k, sigma and end are ConfigErrors naming the setting', () => {
    const bad: [object, RegExp][] = [
      [{ policy: 'set', zeta: 1 }, /fraction.zeta must be in \[0, 1\), got 1/],
      [{ policy: 'set', zeta: -0.1 }, /fraction.zeta must be in \[0, 1\)/],
      [{ policy: 'set', zeta: NaN }, /fraction.zeta/],
      [{ policy: 'set', zeta: '0.3' }, /zeta must be a number, got "0.3"/],
      [{ policy: 'set-probabilistic', p: 1.5 }, /trigger.p must be in \[0, 1\].*got 1.5/],
      [{ policy: 'set-probabilistic', p: 'often' }, /p must be a number, got "often"/],
      [{ policy: 'set-probabilistic', p: -0.01 }, /trigger.p/],
      [{ policy: 'set', k: 0 }, /trigger.k must be >= 1, got 0/],
      [{ policy: 'set', k: 1.5 }, /trigger.k must be an integer >= 0, got 1.5/],
      [{ policy: 'set', sigma: -1 }, /init.sigma must be a finite number >= 0/],
      [{ policy: 'set', fraction: { name: 'cosine', final: 1 } }, /fraction.final must be in \[0, 1\)/],
      [{ policy: 'set', trigger: { name: 'every-steps', end: -1 } }, /trigger.end must be a number >= 0/],
      [{ policy: 'set', trigger: { name: 'every-steps', start: 0.5 } }, /trigger.start must be an integer/],
    ];
    for (const [d, message] of bad) {
      expect(() => policyFrom(d as Record<string, unknown>), JSON.stringify(d)).toThrow(ConfigError);
      expect(() => policyFrom(d as Record<string, unknown>), JSON.stringify(d)).toThrow(message);
    }
  });

  it('unknown keys, bad parts and bad layer selections are ConfigErrors', () => {
    expect(() => policyFrom({ policy: 'set', zetta: 0.3 })).toThrow(/unknown policy key "zetta"; allowed: policy, name, trigger/);
    expect(() => policyFrom({ policy: 'set', init: { name: 'zero', sigma: 1 } })).toThrow(/unknown key "sigma" in init "zero"; allowed keys: name/);
    expect(() => policyFrom({ policy: 'set', prune: 'magnitude' })).toThrow(ConfigError);
    expect(() => policyFrom({ policy: 'set', layers: 'output' })).toThrow(/policy layers must be "all", "hidden" or a list of layer indices/);
    expect(() => policyFrom({ policy: 'set', layers: [0, -1] })).toThrow(ConfigError);
  });
});

describe('selectsLayer', () => {
  it('all, hidden (all but the output layer), explicit indices', () => {
    const count = 4;
    const pick = (layers: unknown) => [0, 1, 2, 3].filter((l) => selectsLayer(policyFrom({ policy: 'set', layers }), l, count));
    expect(pick('all')).toEqual([0, 1, 2, 3]);
    expect(pick('hidden')).toEqual([0, 1, 2]);
    expect(pick([1, 3])).toEqual([1, 3]);
  });
});
