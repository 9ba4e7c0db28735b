import { describe, expect, it } from 'vitest';
import { configFromOptions } from '../../toolkit/src/cli/train';
import { ConfigError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { parseRunConfig } from '../../toolkit/src/experiments/config';
import { policyFrom, policyToJson, type PolicyDescription } from '../../toolkit/src/evolution/registry';
import { synapsesDefaultProbability } from '../../toolkit/src/evolution/triggers';
import type { EvolutionContext, EvolutionReport } from '../../toolkit/src/evolution/types';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import { createOptimizer } from '../../toolkit/src/optim/optimizer';
import { evolveNetwork } from '../../toolkit/src/train/evolution-step';
import { mlp, type Model } from '../../toolkit/src/train/model';

const NEW_PRESETS = ['set-itop', 'rigl', 'snfs'] as const;

describe('the new presets through policyFrom', () => {
  it('set-itop, rigl and snfs build with the documented parts', () => {
    const itop = policyToJson(policyFrom('set-itop'));
    expect(itop).toEqual({
      name: 'set-itop',
      trigger: { name: 'every-epochs', k: 1, skipLast: true },
      fraction: { name: 'constant', zeta: 0.3 },
      prune: { name: 'signed-magnitude' },
      regrow: { name: 'never-used-first' },
      init: { name: 'normal', sigma: 0.1 },
      layers: 'all',
      redistribution: 'none',
      itop: true,
    });
    expect(policyToJson(policyFrom('rigl'))).toEqual({
      name: 'rigl',
      trigger: { name: 'every-steps', k: 100, start: 0, end: 0.75 },
      fraction: { name: 'cosine', zeta: 0.3, final: 0, end: 0.75 },
      prune: { name: 'magnitude' },
      regrow: { name: 'gradient' },
      init: { name: 'zero' },
      layers: 'all',
      redistribution: 'none',
      itop: false,
    });
    expect(policyToJson(policyFrom('snfs'))).toEqual({
      name: 'snfs',
      trigger: { name: 'every-epochs', k: 1, skipLast: true },
      fraction: { name: 'cosine', zeta: 0.5, final: 0, end: 1 },
      prune: { name: 'magnitude' },
      regrow: { name: 'momentum' },
      init: { name: 'zero' },
      layers: 'all',
      redistribution: 'momentum',
      itop: false,
    });
    expect(policyFrom('rigl').regrow.needsGradient).toBe(true);
    expect(policyFrom('snfs').regrow.needsGradient).toBe(true);
    expect(policyFrom('set-itop').regrow.needsHistory).toBe(true);
  });

  it('round-trip through policyToJson -> JSON -> policyFrom, with and without overrides', () => {
    const descs: PolicyDescription[] = [
      ...NEW_PRESETS,
      { policy: 'rigl', k: 7, zeta: 0.4, end: 0.5, layers: 'hidden' },
      { policy: 'snfs', redistribution: 'none', itop: true },
      { policy: 'set-itop', importance: { percentile: 0.2, start: 3, every: 2 } },
      { policy: 'set', regrow: { name: 'gradient' }, init: { name: 'zero' }, importance: { percentile: 0.5, start: 0, every: 1 } },
    ];
    for (const d of descs) {
      const json = policyToJson(policyFrom(d));
      const again = policyFrom(JSON.parse(JSON.stringify(json)));
      expect(policyToJson(again)).toEqual(json);
      expect(again.name).toBe(json.name);
      // The rebuilt policy behaves the same (fraction schedule, trigger decisions).
      const p1 = policyFrom(d);
      for (const step of [1, 7, 14, 50]) {
        const ctx: EvolutionContext = { event: 'step', epoch: 0, epochs: 10, step, totalSteps: 100 };
        expect(again.fraction.at(ctx)).toBe(p1.fraction.at(ctx));
        expect(again.trigger.fires(ctx, 0, rngFor(1, 't'))).toBe(p1.trigger.fires(ctx, 0, rngFor(1, 't')));
      }
    }
    expect(policyToJson(policyFrom({ policy: 'rigl', k: 7 })).trigger).toEqual({ name: 'every-steps', k: 7, start: 0, end: 0.75 });
  });

  it('invalid values give a ConfigError naming the field', () => {
    const bad: [PolicyDescription, RegExp][] = [
      [{ policy: 'set', importance: { percentile: 1.5 } }, /importance\.percentile/],
      [{ policy: 'set-itop', importance: { percentile: 0 } }, /importance\.percentile/],
      [{ policy: 'set', importance: { percentile: 0.2, start: -1 } }, /importance\.start/],
      [{ policy: 'set', importance: { percentile: 0.2, every: 0 } }, /importance\.every/],
      [{ policy: 'set', importance: { percent: 0.2 } }, /importance/],
      [{ policy: 'set', importance: 0.2 }, /importance/],
      [{ policy: 'snfs', redistribution: 'x' }, /redistribution/],
      [{ policy: 'set-itop', itop: 'yes' }, /itop/],
      [{ policy: 'set-probabilistic', p: 2 }, /trigger\.p/],
      [{ policy: 'rigl', k: 0 }, /trigger\.k/],
      [{ policy: 'rigl', zeta: 1 }, /fraction\.zeta/],
      [{ policy: 'snfs', final: -0.1 }, /fraction\.final/],
      [{ policy: 'rigl', regrow: { name: 'gradient', k: 3 } }, /unknown key "k" in regrow/],
    ];
    for (const [d, re] of bad) {
      expect(() => policyFrom(d), JSON.stringify(d)).toThrow(ConfigError);
      expect(() => policyFrom(d), JSON.stringify(d)).toThrow(re);
    }
  });
});

describe("the probabilistic trigger's Synapses default, through evolveNetwork", () => {
  /** 16 -> 24 -> 20 -> 12 -> 3: three evolvable sparse layers (the output layer is dense by p >= 1). */
  const net = () => mlpNetwork([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 1 });

  /** Counts evolutions per layer over `steps` step events, and checks them against Binomial(steps, p). */
  function rate(policy: PolicyDescription, steps: number, expectLayers: number[], p: number) {
    const n = net();
    const opt = createOptimizer({ name: 'sgd' });
    const pol = policyFrom(policy);
    const counts = new Map<number, number>();
    for (let s = 1; s <= steps; s++) {
      // The caller's sparseLayers is ignored: evolveNetwork counts the evolvable layers itself.
      const ctx: EvolutionContext = { event: 'step', epoch: 0, epochs: 1, step: s, totalSteps: steps, sparseLayers: 1 };
      for (const r of evolveNetwork(n, opt, pol, ctx, 11)) counts.set(r.layer, (counts.get(r.layer) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(expectLayers);
    const sd = Math.sqrt(steps * p * (1 - p));
    for (const l of expectLayers) expect(Math.abs(counts.get(l)! - steps * p), `layer ${l}: ${counts.get(l)} of ${steps}`).toBeLessThan(4.5 * sd);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const trials = steps * expectLayers.length;
    expect(Math.abs(total - trials * p)).toBeLessThan(4 * Math.sqrt(trials * p * (1 - p)));
    return total / trials;
  }

  it('fires at 0.2 / L per layer and step with L = 3 evolvable sparse layers; 0.2 / 2 when the policy selects two', () => {
    expect(synapsesDefaultProbability(3)).toBeCloseTo(0.2 / 3, 15);
    const r3 = rate('set-probabilistic', 2000, [0, 1, 2], 0.2 / 3);
    const r2 = rate({ policy: 'set-probabilistic', layers: [0, 2] }, 2000, [0, 2], 0.1);
    expect(r2).toBeGreaterThan(r3); // well separated: 0.1 vs 0.067 with about 0.004 standard error
    // Never at epoch ends.
    expect(evolveNetwork(net(), createOptimizer({ name: 'sgd' }), policyFrom('set-probabilistic'), { event: 'epoch-end', epoch: 0, epochs: 2, step: 5, totalSteps: 10 }, 1)).toEqual([]);
  });
});

describe('same seed, same topology after every event, whatever else ran in between', () => {
  const all = syntheticClassification({ nSamples: 300, nFeatures: 16, nClasses: 3, seed: 8 });
  const train = all.subset(Int32Array.from({ length: 200 }, (_, i) => i), 'train');
  const test = all.subset(Int32Array.from({ length: 100 }, (_, i) => 200 + i), 'test');

  function model(policy: PolicyDescription): Model {
    return mlp([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 4, dropout: 0.1 }).compile({
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 },
      policy,
    });
  }

  /** The topology of the evolved layer and the report, right after every event. */
  function recorder(m: Model, out: unknown[]) {
    return (r: EvolutionReport) => {
      const w = m.network.linearLayers()[r.layer]!;
      const csr = 'weights' in w ? w.weights : null;
      out.push({ ...r, grownPositions: Array.from(r.grownPositions), droppedPositions: Array.from(r.droppedPositions), rowPtr: Array.from(csr!.rowPtr), colIdx: Array.from(csr!.colIdx) });
    };
  }

  for (const preset of [...NEW_PRESETS, { policy: 'set-probabilistic' }] as PolicyDescription[]) {
    const policy: PolicyDescription = preset === 'rigl' ? { policy: 'rigl', k: 3 } : preset;
    it(`${JSON.stringify(policy)}: one fit, or epoch-by-epoch fits with evaluate(), predict() and unrelated random streams in between`, async () => {
      const a = model(policy);
      const eventsA: unknown[] = [];
      await a.fit(train, { epochs: 4, batchSize: 40, callbacks: { onEvolve: recorder(a, eventsA) } });

      const b = model(policy);
      const eventsB: unknown[] = [];
      for (let e = 0; e < 4; e++) {
        for (let i = 0; i < 50; i++) rngFor(99, 'unrelated', e, i).float();
        b.evaluate(test);
        b.predict(new Float32Array(16 * 3).fill(0.5));
        await b.fit(train, {
          epochs: 1, totalEpochs: 4, batchSize: 40, validationData: test,
          callbacks: { onEvolve: recorder(b, eventsB), onBatchEnd: () => void b.evaluate(test, { batchSize: 7 }) },
        });
      }
      expect(eventsA.length).toBeGreaterThan(0);
      expect(eventsB).toEqual(eventsA);
      expect(b.connectionsPerLayer()).toEqual(a.connectionsPerLayer());
      const weights = (m: Model) => m.network.params().map((p) => Array.from(p.values));
      expect(weights(b)).toEqual(weights(a));
      // A different seed gives a different run.
      const c = mlp([16, 24, 20, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 5, dropout: 0.1 }).compile({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, policy });
      const eventsC: unknown[] = [];
      await c.fit(train, { epochs: 4, batchSize: 40, callbacks: { onEvolve: recorder(c, eventsC) } });
      expect(eventsC).not.toEqual(eventsA);
    });
  }
});

describe('the CLI --set policy overrides', () => {
  const policyOf = (...set: string[]) => policyFrom(parseRunConfig(configFromOptions({ set })).policy as PolicyDescription);

  it('--set policy=rigl selects the preset', () => {
    expect(configFromOptions({ set: ['policy=rigl'] }).policy).toBe('rigl');
    const p = policyOf('policy=rigl');
    expect(p.name).toBe('rigl');
    expect(p.regrow.name).toBe('gradient');
  });

  it('--set policy.zeta=0.5 overrides the default preset (no preset, no file)', () => {
    const p = policyOf('policy.zeta=0.5');
    expect(p.name).toBe('set');
    expect(p.fraction.config).toEqual({ zeta: 0.5 });
    expect(policyToJson(p)).toEqual({ ...policyToJson(policyFrom('set')), fraction: { name: 'constant', zeta: 0.5 } });
  });

  it('combined with a preset, with a chosen policy, and with JSON values', () => {
    const quick = policyFrom(parseRunConfig(configFromOptions({ preset: 'mnist-quick', set: ['policy.zeta=0.5'] })).policy as PolicyDescription);
    expect(quick.fraction.config.zeta).toBe(0.5);
    const rigl = policyOf('policy=rigl', 'policy.zeta=0.5', 'policy.k=10');
    expect(rigl.name).toBe('rigl');
    expect(rigl.fraction.config).toEqual({ zeta: 0.5, final: 0, end: 0.75 });
    expect(rigl.trigger.config).toEqual({ k: 10, start: 0, end: 0.75 });
    const snfs = policyOf('policy=snfs', 'policy.redistribution=none', 'policy.itop=true');
    expect(snfs.redistribution).toBe('none');
    expect(snfs.itop).toBe(true);
    expect(policyOf('policy={"policy":"set-itop","zeta":0.2}').fraction.config).toEqual({ zeta: 0.2 });
    expect(policyOf('policy.importance={"percentile":0.1,"start":2,"every":1}').importance).toEqual({ percentile: 0.1, start: 2, every: 1 });
    expect(() => policyOf('policy=rigl', 'policy.redistribution=x')).toThrow(/redistribution/);
    expect(() => policyOf('policy.zeta=1.5')).toThrow(/fraction\.zeta/);
  });
});
