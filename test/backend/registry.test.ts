import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { backendNames, getBackend, registerBackend } from '../../toolkit/src/backend/registry';
import { UnknownNameError } from '../../toolkit/src/core/errors';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { mlp } from '../../toolkit/src/train/model';
import { describeBackends, toleranceOf } from './describe-backends';
import { expectClose } from './oracle';

describe('backend registry', () => {
  it('always has the CPU reference, as the default', () => {
    expect(backendNames()).toContain('cpu');
    const be = getBackend();
    expect(be.name).toBe('cpu');
    expect(be.mode).toBe('reference');
  });

  it('an unknown backend name lists the known ones', () => {
    expect(() => getBackend('cuda')).toThrow(UnknownNameError);
    expect(() => getBackend('cuda')).toThrow(/unknown backend "cuda"; known backends are: .*cpu/);
  });

  it('registered backends are listed and resolved', () => {
    registerBackend('test-double', () => ({ ...cpuBackend(), name: 'test-double', mode: 'cpu-copy' }));
    expect(backendNames()).toContain('test-double');
    expect(getBackend('test-double').mode).toBe('cpu-copy');
  });

  it('every backend has a tolerance no looser than 1e-4 unless it says why', () => {
    for (const name of backendNames()) {
      const t = toleranceOf(name);
      if (t.rel > 1e-4) expect(t.why, `backend ${name} has tolerance ${t.rel} without a reason`).toBeTruthy();
      expect(t.rel).toBeLessThanOrEqual(1e-3);
    }
  });
});

describeBackends('a whole training run agrees with the CPU reference', (be, tol) => {
  it('two epochs of a sparse MLP give the same weights as on the CPU backend', async () => {
    const data = syntheticClassification({ nSamples: 96, nFeatures: 12, nClasses: 3, seed: 3 });
    const run = async (backend: typeof be) => {
      const model = mlp([12, 16, 3], { sparsity: { kind: 'density', density: 0.5 }, activation: 'srelu', dropout: 0.2, seed: 4, backend });
      // Static topology: a faster backend's rounding may flip a near-tie in magnitude pruning, which would
      // be a legitimate difference, not an arithmetic error.
      model.compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: 'static' });
      await model.fit(data, { epochs: 2, batchSize: 16 });
      return model.network.params().flatMap((p) => Array.from(p.values));
    };
    const ref = await run(cpuBackend());
    const got = await run(be);
    expect(got.length).toBe(ref.length);
    // Rounding differences compound over 12 steps, hence ten times the op tolerance.
    expectClose(got, ref, tol.rel * 10, 'weights after training');
  });
});
