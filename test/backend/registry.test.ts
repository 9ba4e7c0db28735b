import * as os from 'node:os';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { backendNames, checkThreads, defaultThreads, getBackend, registerBackend, resolveBackend } from '../../toolkit/src/backend/registry';
import { isWasmAvailable } from '../../toolkit/src/backend/wasm/index';
import { ConfigError, UnknownNameError } from '../../toolkit/src/core/errors';
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

  describe('threads', () => {
    const withEnv = <T>(value: string | undefined, f: () => T): T => {
      const old = process.env['SYNAPSES_THREADS'];
      if (value === undefined) delete process.env['SYNAPSES_THREADS'];
      else process.env['SYNAPSES_THREADS'] = value;
      try {
        return f();
      } finally {
        if (old === undefined) delete process.env['SYNAPSES_THREADS'];
        else process.env['SYNAPSES_THREADS'] = old;
      }
    };

    it('default to SYNAPSES_THREADS when set, else every core (at most 8)', () => {
      expect(withEnv('3', defaultThreads)).toBe(3);
      const cores = Math.min(8, os.availableParallelism());
      expect(withEnv(undefined, defaultThreads)).toBe(cores);
      expect(withEnv('', defaultThreads)).toBe(cores);
    });

    it('a bad SYNAPSES_THREADS or thread count is an error naming it', () => {
      for (const bad of ['0', '-1', '2.5', 'two', '65']) {
        expect(() => withEnv(bad, defaultThreads)).toThrow(ConfigError);
        expect(() => withEnv(bad, defaultThreads)).toThrow(`SYNAPSES_THREADS must be an integer from 1 to 64, got "${bad}"`);
      }
      expect(() => checkThreads(0)).toThrow(/threads must be an integer from 1 to 64, got 0/);
      expect(() => resolveBackend('wasm', { threads: 1.5 })).toThrow(/threads must be an integer from 1 to 64, got 1.5/);
    });

    it('single-threaded backends ignore a valid thread count', () => {
      expect(getBackend('cpu', { threads: 2 }).threads).toBe(1);
    });

    it.skipIf(!isWasmAvailable())('the wasm backend runs the threads asked for, one shared backend per count', () => {
      const two = getBackend('wasm', { threads: 2 });
      expect(two.threads).toBe(2);
      expect(getBackend('wasm', { threads: 2 })).toBe(two);
      expect(getBackend('wasm', { threads: 1 }).threads).toBe(1);
      expect(withEnv('2', () => getBackend('wasm'))).toBe(two);
      expect(resolveBackend('auto', { threads: 2 }).backend).toBe(two);
    });

    it.skipIf(!isWasmAvailable())('disposing a shared wasm backend takes it out of the registry: the next request gets a new one', () => {
      const a = getBackend('wasm', { threads: 3 }) as ReturnType<typeof getBackend> & { dispose(): void };
      a.dispose();
      const b = getBackend('wasm', { threads: 3 });
      expect(b).not.toBe(a);
      expect(b.threads).toBe(3);
      (b as typeof a).dispose();
    });

    it('a bad thread count is an error for every backend, not only those that use threads', () => {
      expect(() => resolveBackend('cpu', { threads: 0 })).toThrow(/threads must be an integer from 1 to 64, got 0/);
    });
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
