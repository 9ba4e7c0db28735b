import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { constant, cosineDecay, linearDecay } from '../../toolkit/src/evolution/fractions';
import { heNormalInit, heUniformInit, normalInit, zeroInit } from '../../toolkit/src/evolution/grow-init';
import { everyEpochs, everySteps, never, probabilistic, synapsesDefaultProbability } from '../../toolkit/src/evolution/triggers';
import type { EvolutionContext, Trigger } from '../../toolkit/src/evolution/types';

const epochEnd = (epoch: number, epochs: number): EvolutionContext => ({ event: 'epoch-end', epoch, epochs, step: 0, totalSteps: 0 });
const step = (s: number, totalSteps = 100): EvolutionContext => ({ event: 'step', epoch: 0, epochs: 1, step: s, totalSteps });

function firingEpochs(t: Trigger, epochs: number): number[] {
  return Array.from({ length: epochs }, (_, e) => e).filter((e) => t.fires(epochEnd(e, epochs), 0, rngFor(0)));
}

describe('everyEpochs', () => {
  it('k = 1 with skipLast (SET): after every epoch but the last', () => {
    expect(firingEpochs(everyEpochs(), 5)).toEqual([0, 1, 2, 3]);
    expect(firingEpochs(everyEpochs(1, true), 1)).toEqual([]);
  });
  it('skipLast false: after every epoch including the last', () => {
    expect(firingEpochs(everyEpochs(1, false), 5)).toEqual([0, 1, 2, 3, 4]);
  });
  it('k = 2: after epochs 2, 4, ... (0-based 1, 3), the last one skipped', () => {
    expect(firingEpochs(everyEpochs(2, true), 4)).toEqual([1]);
    expect(firingEpochs(everyEpochs(2, true), 5)).toEqual([1, 3]);
    expect(firingEpochs(everyEpochs(2, false), 4)).toEqual([1, 3]);
  });
  it('never fires on step events', () => {
    for (let s = 0; s < 50; s++) expect(everyEpochs(1, false).fires(step(s), 0, rngFor(0))).toBe(false);
  });
  it('rejects k < 1 or non-integers', () => {
    expect(() => everyEpochs(0)).toThrow(ConfigError);
    expect(() => everyEpochs(1.5)).toThrow(ConfigError);
  });
});

describe('everySteps', () => {
  const fired = (t: Trigger, total: number) => Array.from({ length: total + 1 }, (_, s) => s).filter((s) => t.fires(step(s, total), 0, rngFor(0)));
  it('every k steps from start until end (a fraction of the run up to 1, a step count above 1)', () => {
    expect(fired(everySteps(10, 0, 0.75), 100)).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    expect(fired(everySteps(10, 20, 50), 100)).toEqual([20, 30, 40]);
    expect(fired(everySteps(25, 0, 0.999), 100)).toEqual([0, 25, 50, 75]);
    // end = 1 is the whole run; above 1 it is an absolute step count.
    expect(fired(everySteps(25, 0, 1), 100)).toEqual([0, 25, 50, 75]);
    expect(fired(everySteps(25, 0, 2), 100)).toEqual([0]);
  });
  it('never fires at epoch ends', () => {
    expect(everySteps(1, 0, 1000).fires(epochEnd(0, 3), 0, rngFor(0))).toBe(false);
  });
});

describe('probabilistic (Synapses)', () => {
  for (const p of [0.2 / 3, 0.25, 0.9]) {
    it(`fires at rate p = ${p.toFixed(4)} (binomial, 5 sigma, fixed seed)`, () => {
      const t = probabilistic(p);
      const n = 20000;
      let count = 0;
      for (let s = 1; s <= n; s++) if (t.fires(step(s, n), 1, rngFor(7, 'trigger', 'step', s, 1))) count++;
      expect(Math.abs(count - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)));
    });
  }
  it('the default p is Synapses\' 0.2 / (number of sparse layers), read from the context', () => {
    const t = probabilistic();
    expect(t.config).toEqual({ p: 'synapses' });
    const n = 20000, layers = 4, p = 0.2 / layers;
    let count = 0;
    for (let s = 1; s <= n; s++) if (t.fires({ ...step(s, n), sparseLayers: layers }, 0, rngFor(8, 'trigger', 'step', s, 0))) count++;
    expect(Math.abs(count - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)));
  });
  it('p = 0 never fires, p = 1 always fires on steps, and never at epoch ends', () => {
    for (let s = 0; s < 100; s++) {
      expect(probabilistic(0).fires(step(s), 0, rngFor(1, s))).toBe(false);
      expect(probabilistic(1).fires(step(s), 0, rngFor(1, s))).toBe(true);
    }
    expect(probabilistic(1).fires(epochEnd(0, 5), 0, rngFor(1))).toBe(false);
  });
  it('is a function of its stream', () => {
    const t = probabilistic(0.5);
    const a = Array.from({ length: 64 }, (_, s) => t.fires(step(s), 0, rngFor(3, s)));
    const b = Array.from({ length: 64 }, (_, s) => t.fires(step(s), 0, rngFor(3, s)));
    expect(a).toEqual(b);
  });
  it('Synapses default: 0.2 divided by the number of sparse layers', () => {
    expect(synapsesDefaultProbability(3)).toBeCloseTo(0.2 / 3, 15);
    expect(synapsesDefaultProbability(0)).toBe(0.2);
  });
  it('rejects p outside [0, 1]', () => {
    expect(() => probabilistic(1.01)).toThrow(ConfigError);
    expect(() => probabilistic(NaN)).toThrow(ConfigError);
  });
});

describe('never', () => {
  it('never fires', () => {
    expect(never().fires(epochEnd(0, 2), 0, rngFor(0))).toBe(false);
    expect(never().fires(step(1), 0, rngFor(0))).toBe(false);
  });
});

describe('fractions', () => {
  it('constant', () => {
    expect(constant(0.3).at(epochEnd(5, 10))).toBe(0.3);
    expect(() => constant(1)).toThrow(ConfigError);
  });
  it('cosine decay by epochs: zeta * (final + (1 - final) (1 + cos(pi t)) / 2), t = (epoch + 1) / epochs', () => {
    const f = cosineDecay(0.4, 0);
    expect(f.at(epochEnd(0, 4))).toBeCloseTo(0.4 * 0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(f.at(epochEnd(1, 4))).toBeCloseTo(0.2, 12);
    expect(f.at(epochEnd(3, 4))).toBeCloseTo(0, 12);
    expect(cosineDecay(0.4, 0.5).at(epochEnd(3, 4))).toBeCloseTo(0.2, 12);
  });
  it('cosine and linear decay by steps', () => {
    expect(cosineDecay(0.3).at(step(0, 100))).toBeCloseTo(0.3, 12);
    expect(cosineDecay(0.3).at(step(50, 100))).toBeCloseTo(0.15, 12);
    expect(linearDecay(0.3).at(step(25, 100))).toBeCloseTo(0.225, 12);
    expect(linearDecay(0.3, 0.5).at(step(100, 100))).toBeCloseTo(0.15, 12);
    expect(linearDecay(0.3).at(step(200, 100))).toBeCloseTo(0, 12); // clamped past the end
  });
});

describe('grow initialisers', () => {
  it('zero, normal(sigma), he-normal, he-uniform have the documented scales', () => {
    const n = 20000;
    const stats = (a: Float32Array) => {
      let s = 0, s2 = 0, m = 0;
      for (const v of a) (s += v, s2 += v * v, m = Math.max(m, Math.abs(v)));
      return { mean: s / n, sd: Math.sqrt(s2 / n - (s / n) ** 2), max: m };
    };
    expect(Array.from(zeroInit().fill(new Float32Array(5).fill(3), 10, 10, rngFor(1)))).toEqual([0, 0, 0, 0, 0]);
    const normal = stats(normalInit(0.1).fill(new Float32Array(n), 100, 10, rngFor(1)));
    expect(normal.sd).toBeCloseTo(0.1, 2);
    const he = stats(heNormalInit().fill(new Float32Array(n), 200, 10, rngFor(2)));
    expect(he.sd).toBeCloseTo(Math.sqrt(2 / 200), 2);
    const heu = stats(heUniformInit().fill(new Float32Array(n), 24, 10, rngFor(3)));
    expect(heu.max).toBeLessThanOrEqual(Math.sqrt(6 / 24));
    expect(heu.sd).toBeCloseTo(Math.sqrt(6 / 24) / Math.sqrt(3), 2);
    expect(() => normalInit(-1)).toThrow(ConfigError);
  });
});

describe('trigger events', () => {
  // The trainer skips a trigger at events it does not list, so the list must be truthful: a trigger never
  // fires at an event outside it (checked at every epoch and step of a small run, with certain firing odds).
  const triggers: Trigger[] = [everyEpochs(1, false), everyEpochs(3), everySteps(1, 0, 1), everySteps(5), probabilistic(1), probabilistic(), never()];
  for (const t of triggers) {
    it(`${t.name} ${JSON.stringify(t.config)} fires only at the events it lists (${JSON.stringify(t.events)})`, () => {
      expect(t.events).toBeDefined();
      let fired = 0;
      for (const event of ['epoch-end', 'step'] as const) {
        for (let i = 0; i < 40; i++) {
          const ctx: EvolutionContext = { event, epoch: i % 8, epochs: 8, step: i, totalSteps: 40, sparseLayers: 2 };
          const f = t.fires(ctx, 0, rngFor(1, 'events', event, i));
          if (!t.events!.includes(event)) expect(f).toBe(false);
          if (f) fired++;
        }
      }
      if (t.name !== 'never') expect(fired).toBeGreaterThan(0);
    });
  }
});
