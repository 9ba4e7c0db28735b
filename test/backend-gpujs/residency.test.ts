/**
 * Device residency of the gpu.js backend in GL modes (context.ts): op outputs stay on the device and feed the
 * next op without a round trip; `sync` brings them home; strict mode makes a stale host read (NaN) and a host
 * write that skipped `sync` (an error) loud. Checked against the CPU reference and against the same backend
 * with residency off. Modes without device memory (webasm, cpu) must say they are not resident.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { gpujsBackend } from '../../toolkit/src/backend/gpujs/index';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { mlp, type Model } from '../../toolkit/src/train/model';
import { describeBackends } from '../backend/describe-backends';
import { expectClose, randomArray } from '../backend/oracle';

const cpu = cpuBackend();

/** forward -> relu -> forward, returning the last output (a chain of three ops). */
function chain(be: Backend, seed: number): { y2: Float32Array; h: Float32Array; y1: Float32Array } {
  const rng = rngFor(seed, 'residency-chain');
  const batch = 8;
  const w1 = erdosRenyi(20, 30, 4, rng), w2 = erdosRenyi(30, 5, 3, rng);
  w1.values.set(randomArray(w1.nnz, rng));
  w2.values.set(randomArray(w2.nnz, rng));
  const x = randomArray(20 * batch, rng), b1 = randomArray(30, rng), b2 = randomArray(5, rng);
  const y1 = be.spmmForward(w1, x, batch, b1, new Float32Array(30 * batch));
  const h = be.unaryForward('relu', y1, 0, new Float32Array(30 * batch));
  const y2 = be.spmmForward(w2, h, batch, b2, new Float32Array(5 * batch));
  return { y2, h, y1 };
}

function smallModel(be: Backend): { model: Model; data: ReturnType<typeof syntheticClassification> } {
  const data = syntheticClassification({ nSamples: 96, nFeatures: 12, nClasses: 3, seed: 11 });
  const model = mlp([12, 16, 16, 3], { sparsity: { kind: 'density', density: 0.5 }, activation: 'relu', dropout: 0.2, seed: 12, backend: be });
  model.compile({ optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 }, policy: 'set' });
  return { model, data };
}

describeBackends('gpu.js device residency', (_proxied, tol, name) => {
  const mode = name.slice('gpujs:'.length);

  if (mode !== 'headlessgl') {
    it('has no device memory, so nothing stays behind: outputs are read back by every op', () => {
      const be = gpujsBackend(mode);
      expect(be.resident).toBe(false);
      const { y2 } = chain(be, 1);
      expect(be.mirrored()).toBe(0);
      expectClose(y2, chain(cpu, 1).y2, tol.rel, 'chain');
    });
    return;
  }

  const be = gpujsBackend(mode, { resident: true, strict: true });

  describe('a chain of ops', () => {
    it('stays on the device: no read-backs, inputs served from the device, host copies poisoned until sync', () => {
      be.sync();
      const s0 = { ...be.stats };
      const { y2, h, y1 } = chain(be, 2);
      expect(be.stats.readbacks - s0.readbacks).toBe(0);
      // relu reads y1 and the second product reads h from the device.
      expect(be.stats.deviceHits - s0.deviceHits).toBe(2);
      expect(be.mirrored()).toBe(3);
      for (const a of [y1, h, y2]) expect(Number.isNaN(a[0]!)).toBe(true);
      be.sync();
      expect(be.mirrored()).toBe(0);
      expect(be.stats.syncReadbacks - s0.syncReadbacks).toBe(3);
      const ref = chain(cpu, 2);
      expectClose(y1, ref.y1, tol.rel, 'y1');
      expectClose(h, ref.h, tol.rel, 'h');
      expectClose(y2, ref.y2, tol.rel, 'y2');
    });

    it('sync of some arrays reads back only those', () => {
      const { y2, h } = chain(be, 3);
      be.sync([y2]);
      expect(be.mirrored()).toBe(2);
      expectClose(y2, chain(cpu, 3).y2, tol.rel, 'y2');
      expect(Number.isNaN(h[0]!)).toBe(true);
      be.sync();
    });

    it('strict mode: a host write to an array whose values are on the device is an error naming the fix', () => {
      const { h } = chain(be, 4);
      h[3] = 1;
      const w = erdosRenyi(30, 2, 2, rngFor(4, 'w'));
      expect(() => be.spmmForward(w, h, 8, null, new Float32Array(16))).toThrow(/written on the host.*backend\.sync\(\)/);
      be.sync();
    });

    it('a view of a different extent than the op wrote is brought home first, so it reads current values', () => {
      const { y1 } = chain(be, 5);
      const firstSamples = y1.subarray(0, 30 * 4);
      const out = be.unaryForward('relu', firstSamples, 0, new Float32Array(firstSamples.length));
      be.sync();
      const ref = chain(cpu, 5);
      expectClose(out, cpu.unaryForward('relu', ref.y1.subarray(0, 30 * 4), 0, new Float32Array(30 * 4)), tol.rel, 'relu of a view');
    });

    it('an op that writes its output on the host (identity) forgets the device copy', () => {
      const { h } = chain(be, 6);
      const copy = be.unaryForward('identity', h, 0, new Float32Array(h.length));
      expect(Number.isNaN(copy[0]!)).toBe(false);
      be.sync();
      expectClose(copy, h, 0, 'identity copy');
    });
  });

  describe('training', () => {
    it('a training step reads back only its loss and predictions', () => {
      const { model, data } = smallModel(be);
      const net = model.network;
      const batch = 32;
      const x = new Float32Array(12 * batch), y = new Int32Array(batch);
      const grad = new Float32Array(3 * batch), pred = new Int32Array(batch);
      const order = Int32Array.from({ length: data.nSamples }, (_, i) => i);
      const step = (i: number): void => {
        data.gather(order, i * batch, batch, x, y);
        const out = net.forward(x, batch, { training: true, seed: 1, step: i });
        be.softmaxCrossEntropy(out, y, 3, batch, grad, pred);
        net.backward(grad, batch);
        model.optimizer.step(net.params(), be);
      };
      step(0); // the first step uploads the parameters once
      const s0 = { ...be.stats };
      step(1);
      step(2);
      // Loss per sample and predicted classes, per step; nothing else comes back.
      expect(be.stats.readbacks - s0.readbacks).toBe(4);
      expect(be.stats.deviceHits - s0.deviceHits).toBeGreaterThan(20);
      expect(be.mirrored()).toBeGreaterThan(0);
      for (const p of net.params()) expect(Number.isNaN(p.values[0]!)).toBe(true);
      be.sync();
      for (const p of net.params()) expect(Number.isFinite(p.values[0]!)).toBe(true);
    });

    it('fit with evolution gives the same results with residency on and off, and leaves nothing on the device', async () => {
      const off = gpujsBackend(mode, { resident: false, strict: true });
      expect(off.resident).toBe(false);
      const runs = [];
      for (const b of [be, off]) {
        const { model, data } = smallModel(b);
        const h = await model.fit(data, { epochs: 3, batchSize: 20, validationData: data });
        expect(b.mirrored()).toBe(0);
        runs.push({ h, params: model.network.params().map((p) => Float32Array.from(p.values)) });
      }
      const [on, plain] = runs;
      expect(on!.h.evolution.length).toBeGreaterThan(0);
      expect(on!.h.epochs.map((e) => [e.loss, e.valLoss, e.connections])).toEqual(plain!.h.epochs.map((e) => [e.loss, e.valLoss, e.connections]));
      on!.params.forEach((p, i) => expect(p).toEqual(plain!.params[i]));
    });

    it('agrees with the CPU reference over a short run', async () => {
      const a = smallModel(be), b = smallModel(cpu);
      const ha = await a.model.fit(a.data, { epochs: 2, batchSize: 32 });
      const hb = await b.model.fit(b.data, { epochs: 2, batchSize: 32 });
      ha.epochs.forEach((e, i) => expect(Math.abs(e.loss - hb.epochs[i]!.loss) / hb.epochs[i]!.loss).toBeLessThan(1e-4));
      a.model.network.params().forEach((p, i) => expectClose(p.values, b.model.network.params()[i]!.values, 1e-3, p.name));
    });
  });
}, (name) => name.startsWith('gpujs:') && name !== 'gpujs:webgpu');
