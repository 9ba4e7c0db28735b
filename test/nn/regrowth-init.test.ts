/**
 * Regrowth initialisation that follows the fan-in (issue 19): the He inits draw regrown weights at the
 * layer's own initialisation scale, sqrt(2 / nIn) (or the neuron's real fan-in with `fanIn: 'sparse'`),
 * while the `set` preset keeps Mocanu's fixed N(0, 0.1^2), some 30 times the He scale of a 200,000-input layer.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { evolveLayer } from '../../toolkit/src/evolution/evolve';
import { policyFrom, policyToJson } from '../../toolkit/src/evolution/registry';
import { initWeights } from '../../toolkit/src/nn/init';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { EPOCH_END } from '../evolution/fixtures';

/** The values of the connections that `evolveLayer` grew (map entry -1). */
function grownValues(w: CsrMatrix, policy: object, seed = 1): number[] {
  const { weights, map } = evolveLayer(w, policyFrom(policy as never), EPOCH_END, 0, rngFor(seed));
  return Array.from(map.keys()).filter((k) => map[k] === -1).map((k) => weights.values[k]!);
}

function rms(v: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k]! * v[k]!;
  return Math.sqrt(s / v.length);
}

/** A layer of `nIn` inputs and 8 neurons, about 4000 connections, initialised as `mlp` does (He-uniform, dense fan-in). */
function layer(nIn: number): CsrMatrix {
  const w = erdosRenyi(nIn, 8, 4000 / (nIn + 8), rngFor(3, 'topology'));
  initWeights(w.values, 'he-uniform', nIn, 8, rngFor(3, 'init'));
  return w;
}

describe('fan-in-aware regrowth init', () => {
  it('he-normal and he-uniform regrow at the layer initialisation scale, which shrinks as 1 / sqrt(nIn)', () => {
    for (const nIn of [784, 200_000]) {
      const w = layer(nIn);
      const own = rms(w.values);
      expect(own / Math.sqrt(2 / nIn)).toBeGreaterThan(0.95);
      expect(own / Math.sqrt(2 / nIn)).toBeLessThan(1.05);
      for (const name of ['he-normal', 'he-uniform']) {
        const g = grownValues(w, { policy: 'set', init: { name } });
        expect(g.length).toBeGreaterThan(1000);
        // The He variance 2 / nIn within 10% (about 1200 draws: the estimate's relative sd is about 3%).
        expect(rms(g) / Math.sqrt(2 / nIn)).toBeGreaterThan(0.9);
        expect(rms(g) / Math.sqrt(2 / nIn)).toBeLessThan(1.1);
        expect(rms(g) / own).toBeGreaterThan(0.9);
        expect(rms(g) / own).toBeLessThan(1.1);
      }
    }
  });

  it('the set preset keeps N(0, 0.1^2): the He scale of MNIST, about 30 times that of a 200,000-input layer', () => {
    expect(policyToJson(policyFrom('set')).init).toEqual({ name: 'normal', sigma: 0.1 });
    const g = grownValues(layer(200_000), 'set' as never);
    expect(rms(g)).toBeGreaterThan(0.09);
    expect(rms(g)).toBeLessThan(0.11);
    expect(rms(g) / Math.sqrt(2 / 200_000)).toBeGreaterThan(28);
  });

  it("fanIn: 'sparse' draws each new weight at the He scale of its neuron's connections after regrowth", () => {
    // Rows of very different lengths before evolution: 10, 100 and 1000 connections among 5000 inputs
    // (random regrowth moves connections between rows: the scale follows each row's length after it).
    const lengths = [10, 100, 1000];
    const rows: number[] = [], cols: number[] = [], vals: number[] = [];
    lengths.forEach((n, j) => {
      for (let i = 0; i < n; i++) (rows.push(j), cols.push(i * Math.floor(5000 / n)), vals.push(0.01 * ((i % 7) + 1)));
    });
    const w = CsrMatrix.fromTriplets(3, 5000, rows, cols, vals);
    const scale = [0, 0, 0], count = [0, 0, 0], dense = [0, 0, 0];
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const { weights, map } = evolveLayer(w, policyFrom({ policy: 'set', init: { name: 'he-normal', fanIn: 'sparse' } }), EPOCH_END, 0, rngFor(seed));
      for (let j = 0; j < 3; j++) {
        const a = weights.rowPtr[j]!, b = weights.rowPtr[j + 1]!;
        for (let k = a; k < b; k++) {
          if (map[k] !== -1) continue;
          scale[j]! += (weights.values[k]! * weights.values[k]! * (b - a)) / 2;
          dense[j]! += (weights.values[k]! * weights.values[k]! * 5000) / 2;
          count[j]!++;
        }
      }
    }
    // E[w^2 * fanIn / 2] = 1 in every row with the row's own fan-in; measured against the dense fan-in
    // (5000) it is far above 1, the rows having fewer than 5000 connections.
    for (let j = 0; j < 3; j++) {
      expect(count[j]).toBeGreaterThan(200);
      expect(scale[j]! / count[j]!).toBeGreaterThan(0.85);
      expect(scale[j]! / count[j]!).toBeLessThan(1.15);
      expect(dense[j]! / count[j]!).toBeGreaterThan(3);
    }
    expect(policyToJson(policyFrom({ policy: 'set', init: { name: 'he-uniform', fanIn: 'sparse' } })).init).toEqual({ name: 'he-uniform', fanIn: 'sparse' });
  });

  it('refuses an unknown fanIn before anything runs', () => {
    expect(() => policyFrom({ policy: 'set', init: { name: 'he-normal', fanIn: 'rows' } })).toThrow(ConfigError);
    expect(() => policyFrom({ policy: 'set', init: { name: 'normal', fanIn: 'sparse' } })).toThrow(/unknown key "fanIn"/);
  });
});
