/**
 * The split-phase `sgdSteps` of the wasm backend (Backend.sgdSteps returns PendingWork): on two threads the
 * worker runs the steps while the caller does its own work, every other op throws until `wait()`, `wait()`
 * is idempotent, and the steps are `sgdStep`'s bits; on one thread the work is done when it is returned.
 * Also the marshalling of copied arrays larger than the scratch block (backend/wasm/memory.ts).
 */
import { describe, expect, it } from 'vitest';
import type { SgdHyper, SgdTask } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason, type WasmBackend } from '../../toolkit/src/backend/wasm/index';
import { rngFor } from '../../toolkit/src/core/rng';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';

const available = isWasmAvailable();

function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = bits(a), y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

const HYPERS: readonly SgdHyper[] = [
  { lr: 0.05, momentum: 0.9, weightDecay: 0.0002, nesterov: true },
  { lr: 0.01, momentum: 0.5, weightDecay: 0, nesterov: true },
];

/**
 * Arrays of several lengths in `be`'s memory (so that the steps run as one job), and the CPU reference's
 * copies of them after one step.
 */
function setUp(be: WasmBackend, seed: number, lengths = [40_000, 7, 65_537, 1_000]) {
  const rng = rngFor(seed, 'pending');
  const own = (a: Float32Array) => {
    const r = be.memory.allocFloat32(a.length);
    r.set(a);
    return r;
  };
  const random = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const tasks: SgdTask[] = lengths.map((n, i) => ({ param: own(random(n)), grad: own(random(n)), velocity: own(random(n)), h: HYPERS[i % 2]! }));
  const cpu = cpuBackend();
  const after = tasks.map((t) => {
    const param = t.param.slice(), velocity = t.velocity.slice();
    cpu.sgdStep(param, t.grad, velocity, t.h);
    return { param, velocity };
  });
  const done = () => tasks.every((t, i) => sameBits(t.param, after[i]!.param) && sameBits(t.velocity, after[i]!.velocity));
  return { tasks, after, done };
}

describe.skipIf(!available)(available ? 'wasm sgdSteps, split phase' : `wasm [unavailable: ${wasmUnavailableReason()}]`, () => {
  it("two threads: the worker runs the steps while the caller does its own work; wait() then returns sgdStep's bits", () => {
    const be = wasmBackend({ threads: 2 });
    try {
      const { tasks, done } = setUp(be, 1);
      expect(done()).toBe(false);
      const work = be.sgdSteps(tasks);
      // The caller's own work: watch the arrays until the worker has finished them all. Nothing on this thread
      // takes part before wait(), so they can only change if the job really started on the worker.
      const t0 = Date.now();
      let finishedBeforeWait = false;
      while (Date.now() - t0 < 20_000) {
        if (done()) {
          finishedBeforeWait = true;
          break;
        }
      }
      expect(finishedBeforeWait).toBe(true);
      work.wait();
      expect(done()).toBe(true);
      expect(be.workerShare()).toBeGreaterThan(0);
    } finally {
      be.dispose();
    }
  });

  it('every other op and memory call throws while the steps are pending, without touching its arrays; wait() is idempotent', () => {
    const be = wasmBackend({ threads: 2 });
    try {
      const { tasks, after, done } = setUp(be, 2);
      const w = erdosRenyi(6, 5, 3, rngFor(3, 'pending-w'));
      const x = new Float32Array(6 * 4).fill(1), y = new Float32Array(5 * 4).fill(NaN);
      const work = be.sgdSteps(tasks);
      const pending = /was called while sgdSteps is pending; call wait\(\) on the work it returned first/;
      expect(() => be.spmmForward(w, x, 4, null, y)).toThrow(pending);
      expect(() => be.sparseForward({ w, x, batch: 4, bias: null, y })).toThrow(pending);
      expect(() => be.biasGrad(y, 5, 4, new Float32Array(5))).toThrow(pending);
      expect(() => be.softmaxCrossEntropy(y, new Int32Array(4), 5, 4, new Float32Array(20), new Int32Array(4))).toThrow(pending);
      expect(() => be.sgdStep(tasks[0]!.param, tasks[0]!.grad, tasks[0]!.velocity, HYPERS[0]!)).toThrow(/sgdStep was called while/);
      expect(() => be.sgdSteps(tasks)).toThrow(/sgdSteps was called while sgdSteps is pending/);
      expect(() => be.adamStep(x, x, x, x, { lr: 1, beta1: 0.9, beta2: 0.99, epsilon: 1e-8, weightDecay: 0, step: 1 })).toThrow(pending);
      expect(() => be.memory.allocFloat32(4)).toThrow(/memory.allocFloat32 was called while/);
      expect(() => be.memory.release(tasks[1]!.param)).toThrow(/memory.release was called while/);
      expect(Array.from(y).every((v) => Number.isNaN(v))).toBe(true);
      expect(Array.from(x)).toEqual(new Array(24).fill(1));
      work.wait();
      work.wait();
      // Exactly one step, not two.
      expect(done()).toBe(true);
      tasks.forEach((t, i) => expect(bits(t.param)).toEqual(bits(after[i]!.param)));
      // The backend works again.
      expect(be.spmmForward(w, x, 4, null, y)).toBe(y);
      expect(Array.from(y).some((v) => Number.isNaN(v))).toBe(false);
      be.memory.release(be.memory.allocFloat32(4));
    } finally {
      be.dispose();
    }
  });

  it('one thread: the work is done when sgdSteps returns, and the backend is free at once', () => {
    const be = wasmBackend({ threads: 1 });
    try {
      const { tasks, done } = setUp(be, 4);
      const work = be.sgdSteps(tasks);
      expect(done()).toBe(true);
      expect(() => be.biasGrad(new Float32Array(8), 2, 4, new Float32Array(2))).not.toThrow();
      work.wait();
      work.wait();
      expect(done()).toBe(true);
    } finally {
      be.dispose();
    }
  });

  it("three steps on 1 and 2 threads, arrays in wasm memory or plain (one by one): sgdStep's bits", () => {
    for (const threads of [1, 2]) {
      for (const owned of [true, false]) {
        const be = wasmBackend({ threads, minParallelWork: 0 });
        try {
          const rng = rngFor(5, 'steps', threads);
          const lengths = [0, 1, 17, 4099, 33_000];
          const make = (n: number) => {
            const a = Float32Array.from({ length: n }, () => rng.normal());
            if (!owned) return a;
            const r = be.memory.allocFloat32(n);
            r.set(a);
            return r;
          };
          const tasks: SgdTask[] = lengths.map((n, i) => ({ param: make(n), grad: make(n), velocity: make(n), h: HYPERS[i % 2]! }));
          const ref = tasks.map((t) => ({ param: t.param.slice(), velocity: t.velocity.slice() }));
          for (let s = 0; s < 3; s++) {
            tasks.forEach((t, i) => be.sgdStep(ref[i]!.param, t.grad, ref[i]!.velocity, t.h));
            be.sgdSteps(tasks).wait();
          }
          tasks.forEach((t, i) => {
            expect(bits(t.param), `threads ${threads}, owned ${owned}, array ${i}`).toEqual(bits(ref[i]!.param));
            expect(bits(t.velocity), `threads ${threads}, owned ${owned}, array ${i}`).toEqual(bits(ref[i]!.velocity));
          });
        } finally {
          be.dispose();
        }
      }
    }
  });

  it('dispose while steps are pending finishes them first and returns', () => {
    const be = wasmBackend({ threads: 2 });
    const { tasks, done } = setUp(be, 6);
    be.sgdSteps(tasks);
    be.dispose();
    expect(done()).toBe(true);
  });
});

describe.skipIf(!available)(available ? 'wasm marshalling' : `wasm [unavailable: ${wasmUnavailableReason()}]`, () => {
  it('copies arrays larger than the scratch block in and out with the same bits as arrays in place, then reuses one block', () => {
    const be = wasmBackend();
    try {
      // A dense layer of 700 x 600 at batch 128: 1.6 MB of weights, more than the first scratch block (1 MiB).
      const nIn = 600, nOut = 700, batch = 128;
      const rng = rngFor(7, 'marshal');
      const w = Float32Array.from({ length: nIn * nOut }, () => rng.normal() * 0.1);
      const x = Float32Array.from({ length: nIn * batch }, () => rng.normal());
      const bias = Float32Array.from({ length: nOut }, () => rng.normal());
      const inPlace = (a: Float32Array) => {
        const r = be.memory.allocFloat32(a.length);
        r.set(a);
        return r;
      };
      const want = be.denseForward(inPlace(w), nIn, nOut, inPlace(x), batch, inPlace(bias), be.memory.allocFloat32(nOut * batch));
      const sizes: number[] = [];
      for (let round = 0; round < 3; round++) {
        const y = new Float32Array(nOut * batch).fill(NaN);
        expect(be.denseForward(w, nIn, nOut, x, batch, bias, y)).toBe(y);
        expect(bits(y)).toEqual(bits(want));
        sizes.push(be.memoryBytes());
      }
      // After the first call, which overflowed, one block holds a whole call: the memory stays as it is.
      expect(sizes[2]).toBe(sizes[1]);
    } finally {
      be.dispose();
    }
  });
});
