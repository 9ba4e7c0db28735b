/**
 * Worker threads for the wasm kernels: `threads - 1` workers instantiate the same module over the same
 * shared `WebAssembly.Memory` and help the calling thread with each job.
 *
 * A job is cut into chunks of rows by the caller (by work: at most 16, never depending on which thread
 * runs what). The caller claims chunks one at a time from the front, the workers from the back
 * (compare-and-swap on one shared word), until none is left: a worker that the OS has not scheduled yet, or
 * that is slow, costs at most one chunk of waiting, the caller takes over the rest; and each thread tends to
 * get the same rows from one job to the next, which keeps the rows it writes in its own cache. Each chunk
 * writes its own rows only, with the same code whoever runs it, so the bits of a result depend neither on
 * the number of threads nor on who ran which chunk.
 *
 * Split phase: `start` writes the job and wakes the workers, `finish` is the caller's part (claiming the
 * chunks left, then waiting for the workers); between the two the caller may do its own work, and the
 * workers may take every chunk meanwhile.
 *
 * Hand-off without messages: the job (kernel ids, arguments, chunk boundaries) is written into a control
 * block in the shared memory, the job counter is bumped and waiters are woken with `Atomics.notify`. Idle
 * workers spin for a moment before they sleep in `Atomics.wait`, so the many short jobs of a training step
 * find them awake.
 *
 * Joining: a worker that wakes up late must not run chunks of the next job with the arguments of the old
 * one. It first joins the job it saw (compare-and-swap on a word holding the job's number and a count of
 * joined workers); the caller closes the job only when every chunk is done and no worker is still joined,
 * and writes the next job only after that.
 *
 * @packageDocumentation
 */
import { Worker } from 'node:worker_threads';
import { KERNEL_IDS, KERNEL_NAMES, type Dispatcher, type KernelCall } from './dispatch';
import { instantiateKernels } from './loader';
import type { WasmMemory, WasmModule } from './wasm-api';

// Control block layout (int32 slots).
const SEQ = 0; // job number; idle workers wait for it to change
const JOIN = 1; // (job number & 0x7fff) << 16 | CLOSED | workers joined
const NEXT = 2; // chunks not yet claimed: [lo, hi) as hi << 16 | lo
const DONE = 3; // chunks finished
const STOP = 4; // 1: workers exit
const ERROR = 5; // 1 + index of the first worker whose chunk threw
const NCALLS = 6;
const NCHUNKS = 7;
const WORKER_CHUNKS = 8; // chunks run by workers since the start (statistics)
const BODY = 10; // per call: kernel id, argument count, arguments; then nChunks + 1 chunk boundaries
const CTL_INTS = 256;
const CLOSED = 0x8000;

/**
 * Most chunks per job (callers cut smaller jobs into fewer). Enough that a late or slow worker costs
 * little (the caller takes over the remaining chunks), few enough that claiming them is cheap.
 */
const CHUNKS = 16;
/** Checks of a counter between two looks at the clock while spinning. */
const SPIN_CHECKS = 256;
/** Waiting longer than this for a chunk means a worker died. */
const WAIT_LIMIT_MS = 600_000;

// The worker: plain JavaScript (no TypeScript loader is needed in the worker, whatever runs the caller).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctlOffset, index, C, spinMs, names } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => k[n]);
const ctl = new Int32Array(memory.buffer, ctlOffset, C.CTL_INTS);
let seen = 0;
for (;;) {
  // Wait for a new job: spin for spinMs (jobs come in bursts within a training step), then sleep.
  const t0 = performance.now();
  let spins = 0;
  while (Atomics.load(ctl, C.SEQ) === seen) {
    if (++spins === C.SPIN_CHECKS) {
      spins = 0;
      if (performance.now() - t0 > spinMs) Atomics.wait(ctl, C.SEQ, seen);
    }
  }
  seen = Atomics.load(ctl, C.SEQ);
  if (Atomics.load(ctl, C.STOP) !== 0) break;
  // Join job 'seen' unless it is closed or already replaced.
  const tag = (seen & 0x7fff) << 16;
  let joined = false;
  for (;;) {
    const j = Atomics.load(ctl, C.JOIN);
    if ((j & 0x7fff0000) !== tag || (j & C.CLOSED) !== 0) break;
    if (Atomics.compareExchange(ctl, C.JOIN, j, j + 1) === j) { joined = true; break; }
  }
  if (!joined) continue;
  try {
    const nCalls = ctl[C.NCALLS], nChunks = ctl[C.NCHUNKS];
    let o = C.BODY;
    // Each call's arguments with two slots for the chunk's range, filled in per chunk (no spread calls).
    const calls = [];
    for (let c = 0; c < nCalls; c++) {
      const id = ctl[o], n = ctl[o + 1];
      const a = new Array(n + 2);
      for (let i = 0; i < n; i++) a[i] = ctl[o + 2 + i];
      calls.push([fns[id], a, n]);
      o += 2 + n;
    }
    for (;;) {
      // Workers claim from the back, the caller from the front: each thread keeps roughly the same rows
      // from one job to the next, so the rows it writes stay in its own cache.
      const v = Atomics.load(ctl, C.NEXT);
      const lo = v & 0xffff, hi = v >>> 16;
      if (lo >= hi) break;
      if (Atomics.compareExchange(ctl, C.NEXT, v, v - 0x10000) !== v) continue;
      const c = hi - 1;
      const r0 = ctl[o + c], r1 = ctl[o + c + 1];
      try {
        if (r1 > r0) {
          for (const [f, a, n] of calls) {
            a[n] = r0;
            a[n + 1] = r1;
            f.apply(undefined, a);
          }
        }
      } catch (e) {
        Atomics.compareExchange(ctl, C.ERROR, 0, index + 1);
      }
      Atomics.add(ctl, C.WORKER_CHUNKS, 1);
      if (Atomics.add(ctl, C.DONE, 1) === nChunks - 1) Atomics.notify(ctl, C.DONE);
    }
  } finally {
    if ((Atomics.sub(ctl, C.JOIN, 1) & 0x7fff) === 1) Atomics.notify(ctl, C.JOIN);
  }
}
`;

/**
 * A dispatcher over `threads - 1` worker threads plus the calling thread.
 * @param module - the compiled kernels.
 * @param memory - the shared memory the caller's instance uses.
 * @param ctlOffset - byte address of a free 1 KiB block of that memory (the control block).
 * @param spinMs - how long an idle worker spins before it sleeps.
 */
export function threadDispatcher(
  module: WasmModule,
  memory: WasmMemory,
  threads: number,
  ctlOffset: number,
  spinMs: number,
): Dispatcher {
  const kernels = instantiateKernels(module, memory);
  const fns = KERNEL_NAMES.map((n) => kernels[n]) as Array<(...a: number[]) => void>;
  const ctl = new Int32Array(memory.buffer, ctlOffset, CTL_INTS);
  ctl.fill(0);
  ctl[JOIN] = CLOSED; // job 0 never runs
  const C = { SEQ, JOIN, NEXT, DONE, STOP, ERROR, NCALLS, NCHUNKS, WORKER_CHUNKS, BODY, CTL_INTS, CLOSED, SPIN_CHECKS };
  const workers: Worker[] = [];
  for (let t = 1; t < threads; t++) {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, ctlOffset, index: t, C, spinMs, names: [...KERNEL_NAMES] } });
    w.unref();
    workers.push(w);
  }
  let seq = 0;
  let disposed = false;
  let chunksRun = 0;
  // The calls of the current job: kernel, arguments with two slots for the chunk's range, argument count.
  const calls0: Array<{ f: (...a: number[]) => void; a: number[]; n: number }> = [];
  // The started job's chunk boundaries, until it is finished; null when no job is open.
  let open: Int32Array | null = null;

  const dispatcher: Dispatcher = {
    threads,
    chunks: CHUNKS,
    run(calls: readonly KernelCall[], splits: Int32Array): void {
      dispatcher.start(calls, splits);
      dispatcher.finish();
    },
    start(calls: readonly KernelCall[], splits: Int32Array): void {
      if (disposed) throw new Error('wasm backend was disposed');
      if (open !== null) throw new Error('a wasm job was started before the previous one finished (internal error)');
      const nChunks = splits.length - 1;
      let o = BODY;
      for (const c of calls) o += 2 + c.args.length;
      if (o + splits.length > CTL_INTS) throw new Error('wasm job does not fit the control block (internal error)');
      o = BODY;
      calls0.length = 0;
      for (const c of calls) {
        ctl[o] = KERNEL_IDS[c.fn];
        ctl[o + 1] = c.args.length;
        for (let i = 0; i < c.args.length; i++) ctl[o + 2 + i] = c.args[i]!;
        o += 2 + c.args.length;
        calls0.push({ f: fns[KERNEL_IDS[c.fn]]!, a: [...c.args, 0, 0], n: c.args.length });
      }
      ctl.set(splits, o);
      ctl[NCALLS] = calls.length;
      ctl[NCHUNKS] = nChunks;
      chunksRun += nChunks;
      Atomics.store(ctl, ERROR, 0);
      Atomics.store(ctl, NEXT, nChunks << 16);
      Atomics.store(ctl, DONE, 0);
      seq = (seq + 1) | 0;
      Atomics.store(ctl, JOIN, (seq & 0x7fff) << 16);
      Atomics.store(ctl, SEQ, seq);
      Atomics.notify(ctl, SEQ);
      open = splits;
    },
    finish(): void {
      const splits = open;
      if (splits === null) return;
      open = null;
      const nChunks = splits.length - 1;
      let failure: unknown = null;
      for (;;) {
        const v = Atomics.load(ctl, NEXT);
        const lo = v & 0xffff, hi = v >>> 16;
        if (lo >= hi) break;
        if (Atomics.compareExchange(ctl, NEXT, v, v + 1) !== v) continue;
        const c = lo;
        const r0 = splits[c]!, r1 = splits[c + 1]!;
        try {
          if (r1 > r0) {
            for (const k of calls0) {
              k.a[k.n] = r0;
              k.a[k.n + 1] = r1;
              k.f.apply(undefined, k.a);
            }
          }
        } catch (e) {
          failure ??= e;
        }
        Atomics.add(ctl, DONE, 1);
      }
      waitUntil(DONE, (v) => v >= nChunks);
      // Close the job once no worker is joined; only then may the next job overwrite the control block.
      for (;;) {
        const j = Atomics.load(ctl, JOIN);
        if ((j & 0x7fff) === 0 && Atomics.compareExchange(ctl, JOIN, j, j | CLOSED) === j) break;
        waitUntil(JOIN, (v) => (v & 0x7fff) === 0);
      }
      if (failure !== null) throw failure;
      const err = Atomics.load(ctl, ERROR);
      if (err !== 0) throw new Error(`wasm kernel failed in worker thread ${err - 1}`);
    },
    workerShare(): number {
      return chunksRun === 0 ? 0 : Atomics.load(ctl, WORKER_CHUNKS) / chunksRun;
    },
    dispose(): void {
      if (disposed) return;
      // A started job runs to its end first, so that no worker is left inside a kernel.
      if (open !== null) {
        try {
          dispatcher.finish();
        } catch {
          // its failure no longer matters: the backend is going away
        }
      }
      disposed = true;
      Atomics.store(ctl, STOP, 1);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      for (const w of workers) void w.terminate();
    },
  };
  return dispatcher;

  /** Spins, then sleeps in short waits, until `done(ctl[slot])`. */
  function waitUntil(slot: number, done: (v: number) => boolean): void {
    let spins = 0;
    const start = performance.now();
    for (;;) {
      const v = Atomics.load(ctl, slot);
      if (done(v)) return;
      if (++spins === SPIN_CHECKS) {
        spins = 0;
        const waited = performance.now() - start;
        if (waited > spinMs) Atomics.wait(ctl, slot, v, 1);
        if (waited > WAIT_LIMIT_MS) throw new Error('a wasm worker thread did not finish its chunk in time');
      }
    }
  }
}
