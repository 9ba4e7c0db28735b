import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidArgumentError, NumericalError, ShapeError, UnknownNameError } from '../../toolkit/src/core/errors';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import type { PolicyDescription } from '../../toolkit/src/evolution/registry';
import type { OptimizerSpec } from '../../toolkit/src/optim/optimizer';
import type { EpochLogs, History } from '../../toolkit/src/train/history';
import { mlp, type LossName, type Model } from '../../toolkit/src/train/model';

/** An easy three-class problem: 20 features, 10 informative, split 600 / 300 from one draw. */
const all = syntheticClassification({ nSamples: 900, nFeatures: 20, nClasses: 3, seed: 1 });
const train = all.subset(Int32Array.from({ length: 600 }, (_, i) => i), 'synthetic/train');
const test = all.subset(Int32Array.from({ length: 300 }, (_, i) => 600 + i), 'synthetic/test');

function model(seed = 1, policy: PolicyDescription = 'set', optimizer: OptimizerSpec = { name: 'sgd', lr: 0.05 }): Model {
  const m = mlp([20, 32, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'relu', seed });
  return m.compile({ optimizer, policy });
}

/** Everything in the history except wall-clock times. */
function deterministicPart(h: History): unknown {
  return {
    epochs: h.epochs.map(({ seconds: _s, evolutionSeconds: _e, ...rest }) => rest),
    evolution: h.evolution.map((r) => ({ ...r, grownPositions: Array.from(r.grownPositions), droppedPositions: Array.from(r.droppedPositions) })),
  };
}

function weightsOf(m: Model): number[] {
  return m.network.params().flatMap((p) => Array.from(p.values));
}

describe('Model.fit on synthetic data', () => {
  it('learns an easy problem (validation accuracy > 0.9) and the history says so', async () => {
    const m = model();
    const h = await m.fit(train, { epochs: 8, batchSize: 32, validationData: test });
    expect(h.epochs.length).toBe(8);
    expect(h.last!.valAccuracy).toBeGreaterThan(0.9);
    expect(h.last!.accuracy).toBeGreaterThan(0.9);
    expect(h.last!.loss).toBeLessThan(h.epochs[0]!.loss);
    const ev = m.evaluate(test);
    expect(ev).toEqual({ loss: h.last!.valLoss, accuracy: h.last!.valAccuracy, samples: 300 });
  });

  it('History: one entry per epoch with losses, accuracies, connections, times and evolution counts', async () => {
    const m = model();
    const evolvable = m.network.sparseLayers().filter((l) => l.evolvable).length;
    expect(evolvable).toBe(2); // 20 -> 32 and 32 -> 16 are sparse; 16 -> 3 has p >= 1 and is dense
    const initial = m.connectionsPerLayer();
    const h = await m.fit(train, { epochs: 4, batchSize: 50, validationData: test });
    h.epochs.forEach((e: EpochLogs, i) => {
      expect(e.epoch).toBe(i);
      expect(Number.isFinite(e.loss) && e.loss > 0).toBe(true);
      expect(e.accuracy >= 0 && e.accuracy <= 1).toBe(true);
      expect(e.valLoss).toBeDefined();
      expect(e.valAccuracy).toBeDefined();
      expect(e.connections).toEqual(initial);
      expect(e.seconds).toBeGreaterThanOrEqual(e.evolutionSeconds);
      expect(e.evolutionEvents).toBe(i < 3 ? evolvable : 0); // SET: every epoch but the last
    });
    expect(h.series('loss')).toEqual(h.epochs.map((e) => e.loss));
    expect(h.series('valAccuracy')).toEqual(h.epochs.map((e) => e.valAccuracy));
    expect(h.evolution.length).toBe(3 * evolvable);
    expect(h.evolution.map((r) => [r.epoch, r.layer, r.event])).toEqual([[0, 0, 'epoch-end'], [0, 1, 'epoch-end'], [1, 0, 'epoch-end'], [1, 1, 'epoch-end'], [2, 0, 'epoch-end'], [2, 1, 'epoch-end']]);
    for (const r of h.evolution) {
      expect(r.dropped).toBe(r.grown);
      expect(r.dropped).toBeGreaterThan(0);
      expect(r.connections).toBe(initial[r.layer]);
    }
    expect(m.step).toBe(4 * 12);
    expect(m.epochsDone).toBe(4);
  });

  it('without validation data the epoch logs have no validation fields', async () => {
    const h = await model().fit(train, { epochs: 1 });
    expect(h.last!.valLoss).toBeUndefined();
    expect(h.last!.valAccuracy).toBeUndefined();
    expect(h.series('valLoss')).toEqual([NaN]);
  });

  it('calls back in order: train begin, (epoch begin, batch ends, evolutions, epoch end) per epoch, train end', async () => {
    const events: string[] = [];
    const tick = () => new Promise<void>((r) => setTimeout(r, 1));
    const m = model();
    const h = await m.fit(train, {
      epochs: 3,
      batchSize: 200,
      callbacks: {
        onTrainBegin: async (info) => (await tick(), events.push(`train-begin ${info.epochs} ${info.batchesPerEpoch} ${info.samples}`)),
        onEpochBegin: async (e) => (await tick(), events.push(`epoch-begin ${e}`)),
        onBatchEnd: (b) => void events.push(`batch ${b.epoch}.${b.batch}/${b.batches} step ${b.step} size ${b.size}`),
        onEvolve: (r) => void events.push(`evolve ${r.epoch} layer ${r.layer}`),
        onEpochEnd: (l) => void events.push(`epoch-end ${l.epoch}`),
        onTrainEnd: (hist) => void events.push(`train-end ${hist.epochs.length}`),
      },
    });
    const expected = ['train-begin 3 3 600'];
    for (let e = 0; e < 3; e++) {
      expected.push(`epoch-begin ${e}`);
      for (let b = 0; b < 3; b++) expected.push(`batch ${e}.${b}/3 step ${e * 3 + b + 1} size 200`);
      if (e < 2) expected.push(`evolve ${e} layer 0`, `evolve ${e} layer 1`);
      expected.push(`epoch-end ${e}`);
    }
    expected.push('train-end 3');
    expect(events).toEqual(expected);
    expect(h.epochs.length).toBe(3);
  });

  it('a short last batch is used, not dropped', async () => {
    const sizes: number[] = [];
    await model().fit(train, { epochs: 1, batchSize: 256, callbacks: { onBatchEnd: (b) => void sizes.push(b.size) } });
    expect(sizes).toEqual([256, 256, 88]);
  });

  it('keeps the number of connections of every layer constant under set and set-probabilistic', async () => {
    for (const policy of ['set', { policy: 'set-probabilistic', p: 0.3 }, 'set-random-prune'] as PolicyDescription[]) {
      const m = model(2, policy);
      const initial = m.connectionsPerLayer();
      const topo0 = m.network.sparseLayers().map((l) => Array.from(l.weights.colIdx).join());
      const evolveEvents: string[] = [];
      const h = await m.fit(train, {
        epochs: 3,
        batchSize: 64,
        callbacks: { onEvolve: (r) => void evolveEvents.push(r.event), onBatchEnd: () => expect(m.connectionsPerLayer()).toEqual(initial) },
      });
      for (const e of h.epochs) expect(e.connections).toEqual(initial);
      expect(evolveEvents.length).toBeGreaterThan(0);
      if (typeof policy === 'object') expect(new Set(evolveEvents)).toEqual(new Set(['step']));
      expect(m.network.sparseLayers().map((l) => Array.from(l.weights.colIdx).join())).not.toEqual(topo0);
      for (const l of m.network.sparseLayers()) expect(() => l.weights.validate()).not.toThrow();
    }
  });

  it('static sparse training never changes the topology', async () => {
    const m = model(3, 'static');
    const topo = m.network.sparseLayers().map((l) => Array.from(l.weights.colIdx).join());
    const h = await m.fit(train, { epochs: 2 });
    expect(h.evolution).toEqual([]);
    expect(m.network.sparseLayers().map((l) => Array.from(l.weights.colIdx).join())).toEqual(topo);
  });

  it('the same seed gives a bit-identical history and weights; another seed does not', async () => {
    const run = async (seed: number, policy: PolicyDescription = 'set') => {
      const m = model(seed, policy);
      const h = await m.fit(train, { epochs: 3, batchSize: 32, validationData: test });
      return { h: deterministicPart(h), w: weightsOf(m), topo: m.network.sparseLayers().map((l) => Array.from(l.weights.colIdx)) };
    };
    for (const policy of ['set', { policy: 'set-probabilistic', p: 0.2 }] as PolicyDescription[]) {
      const a = await run(7, policy);
      const b = await run(7, policy);
      expect(b.h).toEqual(a.h);
      expect(b.w).toEqual(a.w);
      expect(b.topo).toEqual(a.topo);
      const c = await run(8, policy);
      expect(c.h).not.toEqual(a.h);
      expect(c.w).not.toEqual(a.w);
    }
  });

  it('a second fit continues the epoch count', async () => {
    const m = model();
    await m.fit(train, { epochs: 2 });
    const h = await m.fit(train, { epochs: 1 });
    expect(h.epochs.map((e) => e.epoch)).toEqual([2]);
    expect(m.epochsDone).toBe(3);
  });

  it('trains with MSE and with Adam', async () => {
    for (const [loss, optimizer] of [['mse', { name: 'sgd', lr: 0.1 }], ['cross-entropy', { name: 'adam', lr: 0.01 }]] as [LossName, OptimizerSpec][]) {
      const m = mlp([20, 32, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 4 }, seed: 4 }).compile({ loss, optimizer });
      const h = await m.fit(train, { epochs: 6, validationData: test });
      expect(h.last!.valAccuracy, `${loss} / ${optimizer.name}`).toBeGreaterThan(0.85);
    }
  });
});

describe('Model errors', () => {
  it('fit before compile is a ConfigError', async () => {
    const m = mlp([20, 8, 3], { seed: 1 });
    await expect(m.fit(train, { epochs: 1 })).rejects.toThrow(ConfigError);
    await expect(m.fit(train, { epochs: 1 })).rejects.toThrow(/not compiled: call model.compile/);
  });

  it('data with the wrong number of features or too many classes is a ShapeError raised before any step', async () => {
    const m = model();
    const before = weightsOf(m);
    const narrow = syntheticClassification({ nSamples: 50, nFeatures: 19, nClasses: 3, seed: 1 });
    await expect(m.fit(narrow, { epochs: 1 })).rejects.toThrow(ShapeError);
    await expect(m.fit(narrow, { epochs: 1 })).rejects.toThrow('training data "synthetic" has 19 features but the model expects 20');
    await expect(m.fit(train, { epochs: 1, validationData: narrow })).rejects.toThrow(/validation data .* has 19 features/);
    const wide = syntheticClassification({ nSamples: 50, nFeatures: 20, nClasses: 5, seed: 1 });
    await expect(m.fit(wide, { epochs: 1 })).rejects.toThrow(/has 5 classes but the model has 3 outputs/);
    expect(() => m.evaluate(narrow)).toThrow(ShapeError);
    expect(m.step).toBe(0);
    expect(weightsOf(m)).toEqual(before);
  });

  it('bad fit options are rejected', async () => {
    const m = model();
    await expect(m.fit(train, { epochs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(m.fit(train, { epochs: 1, batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('unknown loss, optimizer and policy names are UnknownNameErrors listing the names, and change nothing', () => {
    const m = model(1, 'static', { name: 'adam' });
    expect(() => m.compile({ loss: 'hinge' as LossName })).toThrow(UnknownNameError);
    expect(() => m.compile({ loss: 'hinge' as LossName })).toThrow('unknown loss "hinge"; known losss are: cross-entropy, mse');
    expect(() => m.compile({ optimizer: { name: 'rmsprop' } as unknown as OptimizerSpec })).toThrow(/unknown optimizer "rmsprop"; known optimizers are: sgd, adam/);
    expect(() => m.compile({ policy: 'deep-r' })).toThrow(UnknownNameError);
    expect(() => m.compile({ policy: 'deep-r' })).toThrow(/unknown policy "deep-r"; known policys are: .*\bset\b.*\bstatic\b/);
    expect(() => m.compile({ policy: { policy: 'set', zeta: 2 } })).toThrow(ConfigError);
    expect(m.optimizer.spec.name).toBe('adam');
    expect(m.policy.name).toBe('static');
    expect(m.loss).toBe('cross-entropy');
  });

  it('divergence (a huge learning rate) raises NumericalError naming the epoch and the layer', async () => {
    const m = model(1, 'set', { name: 'sgd', lr: 1e30 });
    const err = await m.fit(train, { epochs: 3 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NumericalError);
    expect((err as Error).message).toMatch(/^training diverged in epoch 0, batch \d+: /);
    expect((err as Error).message).toMatch(/layer \d+ \((sparse-linear|relu|dense-linear)\)|parameter layers\.\d+\./);
  });

  it('a NaN weight hidden behind a ReLU (relu(NaN) = 0, so the loss stays finite) is still reported, naming epoch and parameter', async () => {
    const m = model();
    const err = await m
      .fit(train, {
        epochs: 3,
        callbacks: {
          onEpochEnd: (l) => {
            if (l.epoch === 0) m.network.sparseLayers()[1]!.weight.values[0] = NaN;
          },
        },
      })
      .then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(NumericalError);
    // The NaN also spreads backwards (NaN * 0 in the input gradient), so the first parameter named may be in layer 0.
    expect((err as Error).message).toMatch(/^training diverged in epoch 1: parameter layers\.\d\.weight\[\d+\] is NaN/);
  });
});

describe('Model.predict', () => {
  let trained: Model;
  const ready = (async () => {
    trained = model();
    await trained.fit(train, { epochs: 4 });
  })();

  it('gives probabilities that sum to one and their argmax, consistent with evaluate', async () => {
    await ready;
    const { classes, outputs } = trained.predict(test.features);
    expect(classes.length).toBe(300);
    expect(outputs.length).toBe(900);
    let correct = 0;
    for (let s = 0; s < 300; s++) {
      const row = Array.from(outputs.subarray(s * 3, s * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(classes[s]).toBe(row.indexOf(Math.max(...row)));
      if (classes[s] === test.labels[s]) correct++;
    }
    expect(correct / 300).toBeCloseTo(trained.evaluate(test).accuracy, 10);
    const one = trained.predict(test.features.subarray(0, 20));
    expect(one.classes[0]).toBe(classes[0]);
  });

  it('rejects NaN input naming the sample and feature, and input of the wrong length', async () => {
    await ready;
    const x = test.features.slice(0, 40);
    x[23] = NaN;
    expect(() => trained.predict(x)).toThrow(InvalidArgumentError);
    expect(() => trained.predict(x)).toThrow('predict input value 23 (feature 3 of sample 1) is NaN; inputs must be finite');
    expect(() => trained.predict(new Float32Array(39))).toThrow(ShapeError);
    expect(() => trained.predict(new Float32Array(39))).toThrow(/39 values, expected a positive multiple of the model's 20 inputs/);
    expect(() => trained.predict(new Float32Array(0))).toThrow(ShapeError);
    const inf = test.features.slice(0, 20);
    inf[0] = Infinity;
    expect(() => trained.predict(inf)).toThrow(/is Infinity/);
  });
});

describe('summary', () => {
  it('lists layers and connections', () => {
    const m = model();
    const s = m.summary();
    // One line per layer, the connections, and the backend.
    expect(s.split('\n').length).toBe(m.network.layers.length + 2);
    expect(s).toContain(`connections: ${m.connectionsPerLayer().join(' + ')} = ${m.connectionCount()}`);
    expect(s.split('\n').pop()).toBe(`backend: ${m.backendSummary()}`);
  });
});
