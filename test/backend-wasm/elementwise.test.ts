/**
 * The wasm backend's element-wise and optimizer kernels against the CPU reference. Their arithmetic is the
 * reference's operation for operation (float32 multiplies by float32-rounded parameters; the SGD step in
 * float64 like JavaScript), so the results must be BIT-identical, on awkward lengths (SIMD bodies plus
 * scalar tails), on special values (NaN, infinities, signed zeros, subnormals), with arrays copied in or
 * living in wasm memory, and with the work split between two threads (every op sent to the worker).
 * The bias gradient sums in float32 lanes, so it is only close.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, SgdHyper } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { dropout as dropoutReference, dropoutScale } from '../../toolkit/src/backend/cpu/dropout';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason, type WasmBackend } from '../../toolkit/src/backend/wasm/index';
import { streamKey } from '../../toolkit/src/core/counter-rng';
import { rngFor, type Rng } from '../../toolkit/src/core/rng';
import { Dropout } from '../../toolkit/src/nn/dropout';

const LENGTHS = [0, 1, 3, 4, 15, 16, 17, 31, 33, 100, 1003, 4096 + 7];
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, -1];

function values(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = i < SPECIAL.length && n > 20 ? SPECIAL[i]! : rng.normal() * 3;
  return a;
}

/** Bit-for-bit equality, NaN and the sign of zero included. */
function expectSameBits(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}: element ${i} is ${got[i]}, the reference gives ${want[i]}`);
  }
}

const available = isWasmAvailable();

describe.skipIf(!available)(available ? 'wasm element-wise kernels (bit-identical to the CPU reference)' : `wasm [unavailable: ${wasmUnavailableReason()}]`, () => {
  const cpu = cpuBackend();
  const one: WasmBackend = available ? wasmBackend() : (null as unknown as WasmBackend);
  const two: WasmBackend = available ? wasmBackend({ threads: 2, minParallelWork: 0 }) : (null as unknown as WasmBackend);
  afterAll(() => {
    one?.dispose();
    two?.dispose();
  });
  const variants: Array<[string, WasmBackend, boolean]> = [
    ['1 thread, copied arrays', one, false],
    ['1 thread, arrays in wasm memory', one, true],
    ['2 threads, arrays in wasm memory', two, true],
  ];
  const place = (be: WasmBackend, resident: boolean, a: Float32Array): Float32Array => {
    if (!resident) return a;
    const r = be.memory.allocFloat32(a.length);
    r.set(a);
    return r;
  };

  for (const [label, be, resident] of variants) {
    describe(label, () => {
      const fresh = (n: number) => place(be, resident, new Float32Array(n).fill(NaN));

      it('relu and leaky relu (All-ReLU slopes included), forward and backward', () => {
        for (const n of LENGTHS) {
          const rng = rngFor(1, 'rectify', n);
          const x = place(be, resident, values(n, rng)), dy = place(be, resident, values(n, rng));
          for (const [op, alpha] of [['relu', 0], ['leaky-relu', 0.01], ['leaky-relu', -0.6], ['leaky-relu', 0.6]] as const) {
            const y = cpu.unaryForward(op, x, alpha, new Float32Array(n));
            expectSameBits(be.unaryForward(op, x, alpha, fresh(n)), y, `${op} ${alpha} forward, n ${n}`);
            const dx = cpu.unaryBackward(op, x, y, dy, alpha, new Float32Array(n));
            expectSameBits(be.unaryBackward(op, x, y, dy, alpha, fresh(n)), dx, `${op} ${alpha} backward, n ${n}`);
          }
        }
      });

      it('counter-based dropout: the same mask and outputs, and the mask applied in the backward pass', () => {
        for (const n of LENGTHS) {
          const rng = rngFor(2, 'dropout', n);
          const x = place(be, resident, values(n, rng)), dy = place(be, resident, values(n, rng));
          for (const rate of [0.1, 0.3, 0.5, 0.95]) {
            const key = streamKey(9, 'dropout', n, rate);
            const refMask = new Uint8Array(n);
            const y = dropoutReference(x, rate, key, new Float32Array(n), refMask);
            const mask = resident ? be.memory.allocUint8(n).fill(9) : new Uint8Array(n).fill(9);
            expectSameBits(be.dropout(x, rate, key, fresh(n), mask), y, `dropout ${rate}, n ${n}`);
            expectSameBits(mask, refMask, `dropout mask ${rate}, n ${n}`);
            const scale = dropoutScale(rate);
            expectSameBits(be.dropoutForward(dy, mask, scale, fresh(n)), cpu.dropoutForward(dy, refMask, scale, new Float32Array(n)), `mask apply, n ${n}`);
          }
        }
      });

      it('SGD steps (momentum, Nesterov, weight decay) from a non-zero velocity', () => {
        const settings: SgdHyper[] = [
          { lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false },
          { lr: 0.05, momentum: 0.5, weightDecay: 0.01, nesterov: true },
          { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
        ];
        for (const n of LENGTHS) {
          for (const h of settings) {
            const rng = rngFor(3, 'sgd', n, h.lr);
            const w0 = values(n, rng), g = values(n, rng), v0 = values(n, rng);
            const wRef = w0.slice(), vRef = v0.slice();
            const w = place(be, resident, w0.slice()), v = place(be, resident, v0.slice()), gg = place(be, resident, g);
            for (let s = 0; s < 3; s++) {
              cpu.sgdStep(wRef, g, vRef, h);
              be.sgdStep(w, gg, v, h);
            }
            expectSameBits(w, wRef, `sgd ${JSON.stringify(h)} weights, n ${n}`);
            expectSameBits(v, vRef, `sgd ${JSON.stringify(h)} velocity, n ${n}`);
          }
        }
      });

      it('SGD steps of many arrays in one call: the bits of one step per array (mixed settings, awkward lengths)', () => {
        const settings: SgdHyper[] = [
          { lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false },
          { lr: 0.05, momentum: 0.5, weightDecay: 0, nesterov: false },
          { lr: 0.05, momentum: 0.5, weightDecay: 0.01, nesterov: true },
        ];
        const rng = rngFor(3, 'sgd-table', label);
        // Every length, twice, so that cuts between threads fall inside arrays and between them.
        const arrays = [...LENGTHS, ...LENGTHS].map((n, i) => {
          const h = settings[i % 2]!;
          const w0 = values(n, rng), g = values(n, rng), v0 = values(n, rng);
          return { h, w0, g, v0, w: place(be, resident, w0.slice()), v: place(be, resident, v0.slice()), gg: place(be, resident, g) };
        });
        const nesterov = [{ ...arrays[3]!, h: settings[2]! }, { ...arrays[7]!, h: settings[2]! }];
        for (const group of [arrays, nesterov]) {
          const ref = group.map((a) => ({ w: a.w0.slice(), v: a.v0.slice() }));
          for (const a of group) {
            a.w.set(a.w0);
            a.v.set(a.v0);
          }
          for (let s = 0; s < 3; s++) {
            group.forEach((a, i) => cpu.sgdStep(ref[i]!.w, a.g, ref[i]!.v, a.h));
            be.sgdSteps(group.map((a) => ({ param: a.w, grad: a.gg, velocity: a.v, h: a.h }))).wait();
          }
          group.forEach((a, i) => {
            expectSameBits(a.w, ref[i]!.w, `sgdSteps array ${i} (n ${a.w.length}) weights`);
            expectSameBits(a.v, ref[i]!.v, `sgdSteps array ${i} (n ${a.w.length}) velocity`);
          });
        }
        // Work overlapped with the steps runs once; if it throws, the steps are complete when the error arrives.
        const ref = arrays.map((a) => ({ w: a.w.slice(), v: a.v.slice() }));
        arrays.forEach((a, i) => cpu.sgdStep(ref[i]!.w, a.g, ref[i]!.v, a.h));
        const tasks = arrays.map((a) => ({ param: a.w, grad: a.gg, velocity: a.v, h: a.h }));
        let calls = 0;
        expect(() => {
          const work = be.sgdSteps(tasks);
          try {
            calls++;
            throw new Error('meanwhile failed');
          } finally {
            work.wait();
          }
        }).toThrow('meanwhile failed');
        expect(calls).toBe(1);
        arrays.forEach((a, i) => {
          expectSameBits(a.w, ref[i]!.w, `sgdSteps with a failing meanwhile, array ${i} weights`);
          expectSameBits(a.v, ref[i]!.v, `sgdSteps with a failing meanwhile, array ${i} velocity`);
        });
        // A short gradient is refused before any array changes.
        const a = arrays[10]!, b = arrays[11]!;
        const before = a.w.slice();
        expect(() => be.sgdSteps([
          { param: a.w, grad: a.gg, velocity: a.v, h: a.h },
          { param: b.w, grad: b.gg.subarray(0, b.w.length - 1), velocity: b.v, h: b.h },
        ])).toThrow(/grad has length \d+, expected at least \d+/);
        expectSameBits(a.w, before, 'weights after a refused sgdSteps');
      });

      it('bias gradient: close to the reference, bit-identical across threads', () => {
        for (const [n, batch] of [[1, 1], [3, 5], [17, 40], [100, 128], [7, 131]] as const) {
          const rng = rngFor(4, 'bias', n, batch);
          const dy = place(be, resident, values(n * batch, rngFor(5)).map(() => rng.normal()));
          const want = cpu.biasGrad(dy, n, batch, new Float32Array(n));
          const got = be.biasGrad(dy, n, batch, fresh(n));
          for (let j = 0; j < n; j++) expect(Math.abs(got[j]! - want[j]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[j]!)) * Math.sqrt(batch));
          expectSameBits(got, one.biasGrad(dy, n, batch, new Float32Array(n)), `bias grad ${n} x ${batch} vs 1 thread`);
        }
      });
    });
  }

  it('a Dropout layer draws the same masks on the wasm backend as on the CPU reference', () => {
    const run = (be: Backend) => {
      const d = new Dropout(50, 0.3, 2);
      d.setBackend(be);
      const x = values(50 * 24, rngFor(6));
      const y = Array.from(d.forward(x, 24, { training: true, seed: 11, step: 7 }));
      const dx = Array.from(d.backward({ dy: values(50 * 24, rngFor(7)), batch: 24, needInput: true })!);
      return { y, dx };
    };
    const ref = run(cpu);
    for (const be of [one, two]) {
      const got = run(be);
      expectSameBits(got.y, ref.y, 'dropout layer forward');
      expectSameBits(got.dx, ref.dx, 'dropout layer backward');
    }
  });

  it('allocUint8 arrays live in wasm memory and can be freed; release frees its own arrays and ignores others', () => {
    const before = one.memoryBytes();
    const m = one.memory.allocUint8(1000);
    expect(m.length).toBe(1000);
    expect(m.every((v) => v === 0)).toBe(true);
    one.freeFloat32(m);
    expect(one.memoryBytes()).toBe(before);
    expect(() => one.freeFloat32(m)).toThrow(/not allocated/);
    const f = one.memory.allocFloat32(5000);
    one.memory.release(f);
    expect(one.memoryBytes()).toBe(before);
    expect(() => one.memory.release(f)).not.toThrow(); // already returned: nothing to do
    expect(() => one.memory.release(new Float32Array(8))).not.toThrow();
    expect(() => one.memory.release(two.memory.allocFloat32(8))).not.toThrow(); // another backend's array is left alone
  });
});
