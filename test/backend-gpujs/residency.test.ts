/**
 * Device residency of the gpu.js backend in GL modes (context.ts): op outputs stay on the device and feed the
 * next op without a round trip; `memory.sync` brings them home; strict mode makes a stale host read (NaN) and a
 * host write that skipped `sync` (an error) loud. Checked against the CPU reference and against the same backend
 * with residency off. Modes without device memory (webasm, cpu) must say they are not resident.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, FusedRectifier } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { gpujsBackend } from '../../toolkit/src/backend/gpujs/index';
import { streamKey } from '../../toolkit/src/core/counter-rng';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { mlp, type Model } from '../../toolkit/src/train/model';
import { describeBackends } from '../backend/describe-backends';
import { expectClose, randomArray, randomSparse } from '../backend/oracle';

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

/** Training set-ups that touch every host access the toolkit makes (see the residency on/off test). */
const VARIANTS = {
  'SET, SGD, relu, dropout, cross-entropy': {},
  'RigL (gradient regrowth every 3 steps), Adam, SReLU, MSE': {
    activation: 'srelu', optimizer: { name: 'adam', lr: 0.01 }, loss: 'mse',
    policy: {
      trigger: { name: 'every-steps', k: 3, start: 0, end: 0.75 }, fraction: { name: 'cosine', zeta: 0.3, final: 0, end: 0.75 },
      prune: { name: 'magnitude' }, regrow: { name: 'gradient' }, init: { name: 'zero' }, layers: 'all',
    },
  },
  'probabilistic per-step evolution, the reference weight decay, tanh': {
    activation: 'tanh', optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.01, weightDecayMode: 'reference' },
    policy: {
      trigger: { name: 'probabilistic', p: 0.3 }, fraction: { name: 'constant', zeta: 0.3 }, prune: { name: 'signed-magnitude' },
      regrow: { name: 'random' }, init: { name: 'he-normal' }, layers: 'all',
    },
  },
  'SNFS (momentum redistribution across layers)': { policy: 'snfs' },
} as const;

function smallModel(be: Backend, v: { activation?: string; policy?: string | object; optimizer?: object; loss?: string } = {}): {
  model: Model; data: ReturnType<typeof syntheticClassification>;
} {
  const data = syntheticClassification({ nSamples: 96, nFeatures: 12, nClasses: 3, seed: 11 });
  const model = mlp([12, 16, 16, 3], {
    sparsity: { kind: 'density', density: 0.5 }, activation: (v.activation ?? 'relu') as 'relu', dropout: 0.2, seed: 12, backend: be,
  });
  model.compile({
    optimizer: (v.optimizer ?? { name: 'sgd', lr: 0.05, momentum: 0.9 }) as { name: 'sgd' },
    policy: (v.policy ?? 'set') as string,
    loss: (v.loss ?? 'cross-entropy') as 'mse',
  });
  return { model, data };
}

describeBackends('gpu.js device residency', (_proxied, tol, name) => {
  const mode = name.slice('gpujs:'.length);

  if (mode !== 'headlessgl') {
    it('has no device memory, so nothing stays behind: outputs are read back by every op', () => {
      const be = gpujsBackend(mode);
      expect(be.memory.resident).toBe(false);
      const { y2 } = chain(be, 1);
      expect(be.mirrored()).toBe(0);
      expectClose(y2, chain(cpu, 1).y2, tol.rel, 'chain');
    });
    return;
  }

  const be = gpujsBackend(mode, { resident: true, strict: true });

  describe('a chain of ops', () => {
    it('stays on the device: no read-backs, inputs served from the device, host copies poisoned until sync', () => {
      be.memory.sync();
      const s0 = { ...be.stats };
      const { y2, h, y1 } = chain(be, 2);
      expect(be.stats.readbacks - s0.readbacks).toBe(0);
      // relu reads y1 and the second product reads h from the device.
      expect(be.stats.deviceHits - s0.deviceHits).toBe(2);
      expect(be.mirrored()).toBe(3);
      for (const a of [y1, h, y2]) expect(Number.isNaN(a[0]!)).toBe(true);
      be.memory.sync();
      expect(be.mirrored()).toBe(0);
      expect(be.stats.syncReadbacks - s0.syncReadbacks).toBe(3);
      const ref = chain(cpu, 2);
      expectClose(y1, ref.y1, tol.rel, 'y1');
      expectClose(h, ref.h, tol.rel, 'h');
      expectClose(y2, ref.y2, tol.rel, 'y2');
    });

    it('sync of some arrays reads back only those', () => {
      const { y2, h } = chain(be, 3);
      be.memory.sync([y2]);
      expect(be.mirrored()).toBe(2);
      expectClose(y2, chain(cpu, 3).y2, tol.rel, 'y2');
      expect(Number.isNaN(h[0]!)).toBe(true);
      be.memory.sync();
    });

    it('strict mode: a host write to an array whose values are on the device is an error naming the fix', () => {
      const { h } = chain(be, 4);
      h[3] = 1;
      const w = erdosRenyi(30, 2, 2, rngFor(4, 'w'));
      expect(() => be.spmmForward(w, h, 8, null, new Float32Array(16))).toThrow(/written on the host.*backend\.memory\.sync\(\)/);
      // So is a sync that would overwrite the host's write.
      expect(() => be.memory.sync()).toThrow(/element 3 of an array of 240 was written on the host/);
      h[3] = NaN; // undo the illegal write, so the device's values can come home
      be.memory.sync();
      expect(be.mirrored()).toBe(0);
    });

    it('a view of a different extent than the op wrote is brought home first, so it reads current values', () => {
      const { y1 } = chain(be, 5);
      const firstSamples = y1.subarray(0, 30 * 4);
      const out = be.unaryForward('relu', firstSamples, 0, new Float32Array(firstSamples.length));
      be.memory.sync();
      const ref = chain(cpu, 5);
      expectClose(out, cpu.unaryForward('relu', ref.y1.subarray(0, 30 * 4), 0, new Float32Array(30 * 4)), tol.rel, 'relu of a view');
    });

    it('an op that writes its output on the host (identity) forgets the device copy', () => {
      const { h } = chain(be, 6);
      const copy = be.unaryForward('identity', h, 0, new Float32Array(h.length));
      expect(Number.isNaN(copy[0]!)).toBe(false);
      be.memory.sync();
      expectClose(copy, h, 0, 'identity copy');
    });
  });

  describe('every op reads inputs that live on the device', () => {
    /** An op run with its array inputs passed through `d` (a copy made on the device, or nothing for the CPU). */
    type Case = (b: Backend, d: (a: Float32Array) => Float32Array) => Float32Array[];
    const n = 6, batch = 5, nIn = 7;
    const arrays = (seed: number) => {
      const r = rngFor(seed, 'resident-op');
      return {
        w: randomSparse(n, nIn, 0.5, r).csr, W: randomArray(n * nIn, r), x: randomArray(nIn * batch, r), h: randomArray(n * batch, r, 2),
        dy: randomArray(n * batch, r), bias: randomArray(n, r), g: randomArray(40, r), p: randomArray(40, r), v: randomArray(40, r, 0.1),
        m: randomArray(40, r, 0.1), vv: Float32Array.from(randomArray(40, r, 0.1), Math.abs),
        labels: Int32Array.from({ length: batch }, (_, i) => (i * 7) % n),
        srelu: { tl: randomArray(n, r, 0.2), al: randomArray(n, r, 0.2), tr: Float32Array.from(randomArray(n, r), (t) => 1 + Math.abs(t)), ar: randomArray(n, r) },
      };
    };
    const zeros = (k: number) => new Float32Array(k);
    const sgd = { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: false };
    const cases: Record<string, Case> = {
      'sparse products': (b, d) => {
        const a = arrays(1);
        const w = a.w, x = d(a.x), dy = d(a.dy);
        const y = b.spmmForward(w, x, batch, d(a.bias), zeros(n * batch));
        const dx = b.spmmInputGrad(w, dy, batch, zeros(nIn * batch));
        const dw = b.spmmWeightGrad(w, dy, x, batch, zeros(w.nnz));
        const fused = [zeros(w.nnz), zeros(n), zeros(nIn * batch)] as const;
        b.sparseBackward({ w, dy, x, batch, dw: fused[0], db: fused[1], dx: fused[2] });
        return [y, dx, dw, ...fused, b.biasGrad(dy, n, batch, zeros(n))];
      },
      'fused sparse ops: a rectifier with dropout, and back through it with the block bias gradient': (b, d) => {
        const a = arrays(7);
        const r: FusedRectifier = { op: 'leaky-relu', alpha: -0.5, dropout: { rate: 0.3, key: streamKey(1, 'dropout', 0, 0) }, mask: new Uint8Array(n * batch) };
        const y = b.sparseForward({ w: a.w, x: d(a.x), batch, bias: d(a.bias), y: zeros(n * batch), rectifier: r });
        const next = randomSparse(4, n, 0.6, rngFor(8, 'resident-op')).csr;
        const dw = zeros(next.nnz), db = zeros(4), dx = zeros(n * batch), ib = zeros(n);
        const g = b.sparseBackward({ w: next, dy: d(randomArray(4 * batch, rngFor(9, 'resident-op'))), x: y, batch, dw, db, dx, inputRectifier: r, inputBiasGrad: ib });
        return [y, dw, db, g!, ib];
      },
      'dense products': (b, d) => {
        const a = arrays(2);
        const W = d(a.W), x = d(a.x), dy = d(a.dy);
        return [
          b.denseForward(W, nIn, n, x, batch, d(a.bias), zeros(n * batch)),
          b.denseInputGrad(W, nIn, n, dy, batch, zeros(nIn * batch)),
          b.denseWeightGrad(nIn, n, dy, x, batch, zeros(n * nIn)),
        ];
      },
      'activations, twice in a row (an output fed back to the kernel that made it)': (b, d) => {
        const a = arrays(3);
        const h = d(a.h), dy = d(a.dy);
        const out: Float32Array[] = [];
        for (const op of ['relu', 'leaky-relu', 'tanh', 'sigmoid'] as const) {
          const y = b.unaryForward(op, h, 0.3, zeros(n * batch));
          const y2 = b.unaryForward(op, y, 0.3, zeros(n * batch));
          out.push(y, y2, b.unaryBackward(op, h, y, dy, 0.3, zeros(n * batch)));
        }
        return out;
      },
      'srelu and softmax': (b, d) => {
        const a = arrays(4);
        const h = d(a.h), dy = d(a.dy);
        const p = { tl: d(a.srelu.tl), al: d(a.srelu.al), tr: d(a.srelu.tr), ar: d(a.srelu.ar) };
        const dp = { tl: zeros(n), al: zeros(n), tr: zeros(n), ar: zeros(n) };
        const y = b.sreluForward(h, n, batch, p, zeros(n * batch));
        const dx = b.sreluBackward(h, n, batch, p, dy, zeros(n * batch), dp);
        const s = b.softmaxForward(h, n, batch, zeros(n * batch));
        return [y, dx, dp.tl, dp.al, dp.tr, dp.ar, s, b.softmaxBackward(s, dy, n, batch, zeros(n * batch))];
      },
      'dropout, losses': (b, d) => {
        const a = arrays(5);
        const h = d(a.h);
        const mask = Uint8Array.from({ length: n * batch }, (_, i) => i % 3 ? 1 : 0);
        const grad = zeros(n * batch), grad2 = zeros(n * batch), pred = new Int32Array(batch);
        const l1 = b.softmaxCrossEntropy(h, a.labels, n, batch, grad, pred);
        const l2 = b.mseOneHot(h, a.labels, n, batch, grad2, pred);
        return [b.dropoutForward(h, mask, 1.25, zeros(n * batch)), grad, grad2, Float32Array.of(l1, l2), Float32Array.from(pred)];
      },
      'optimizer steps, twice in a row (state fed back to the kernel that made it)': (b, d) => {
        const a = arrays(6);
        const p = d(a.p), g = d(a.g), v = d(a.v);
        b.sgdStep(p, g, v, sgd);
        b.sgdStep(p, g, v, sgd);
        const q = d(a.p), m = d(a.m), vv = d(a.vv);
        for (const step of [1, 2]) b.adamStep(q, g, m, vv, { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.001, step });
        return [p, v, q, m, vv];
      },
    };
    const ones = (k: number) => new Uint8Array(k).fill(1);
    for (const [title, run] of Object.entries(cases)) {
      it(title, () => {
        be.memory.sync();
        const hits = be.stats.deviceHits;
        const got = run(be, (a) => be.dropoutForward(a, ones(a.length), 1, zeros(a.length)));
        expect(be.stats.deviceHits - hits).toBeGreaterThan(0);
        be.memory.sync();
        const want = run(cpu, (a) => a.slice());
        got.forEach((g, i) => expectClose(g, want[i]!, tol.rel, `${title}: output ${i}`));
      });
    }
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
      be.memory.sync();
      for (const p of net.params()) expect(Number.isFinite(p.values[0]!)).toBe(true);
    });

    it.each(Object.entries(VARIANTS))('fit with evolution gives the same results with residency on and off, leaving nothing on the device: %s', async (_title, variant) => {
      const off = gpujsBackend(mode, { resident: false, strict: true });
      expect(off.memory.resident).toBe(false);
      const runs = [];
      for (const b of [be, off]) {
        const { model, data } = smallModel(b, variant);
        const h = await model.fit(data, { epochs: 3, batchSize: 20, validationData: data });
        expect(b.mirrored()).toBe(0);
        runs.push({ h, params: model.network.params().map((p) => Float32Array.from(p.values)) });
      }
      const [on, plain] = runs;
      expect(on!.h.evolution.length).toBeGreaterThan(0);
      expect(on!.h.epochs.map((e) => [e.loss, e.valLoss, e.connections])).toEqual(plain!.h.epochs.map((e) => [e.loss, e.valLoss, e.connections]));
      on!.params.forEach((p, i) => expect(p).toEqual(plain!.params[i]));
    });

    it('SYNAPSES_GPUJS_RESIDENT=0 turns residency off for backends created without the option', () => {
      const saved = process.env.SYNAPSES_GPUJS_RESIDENT;
      try {
        process.env.SYNAPSES_GPUJS_RESIDENT = '0';
        expect(gpujsBackend(mode, { strict: true }).memory.resident).toBe(false);
        delete process.env.SYNAPSES_GPUJS_RESIDENT;
        expect(gpujsBackend(mode, { strict: true }).memory.resident).toBe(true);
      } finally {
        if (saved === undefined) delete process.env.SYNAPSES_GPUJS_RESIDENT;
        else process.env.SYNAPSES_GPUJS_RESIDENT = saved;
      }
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
