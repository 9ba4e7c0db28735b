/**
 * Micro-benchmark of the sparse layer products: CPU reference vs the wasm SIMD backend (1 and 2 threads,
 * with activations copied per call or resident in wasm memory), for the layers of the Fashion-MNIST SET
 * network 784-1000-1000-1000-10 at eps 20, batch 40 and 128. Also checks every wasm result against the
 * reference (max-norm relative error, share of bit-identical elements) and 1 vs 2 threads (must be identical).
 *
 * Usage: npx tsx scripts/bench-kernels.ts [--quick] [--batch 40,128] [--min-ms 300]
 * (needs toolkit/dist/wasm/kernels.wasm: bash scripts/build-wasm.sh)
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { cpuBackend } from '../toolkit/src/backend/cpu/index';
import type { Backend } from '../toolkit/src/backend/backend';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason, type WasmBackend } from '../toolkit/src/backend/wasm/index';
import { rngFor } from '../toolkit/src/core/rng';
import type { CsrMatrix } from '../toolkit/src/sparse/csr';
import { erdosRenyi } from '../toolkit/src/sparse/topology';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const opt = (name: string, def: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : def;
};
const batches = opt('--batch', '40,128').split(',').map(Number);
const minMs = Number(opt('--min-ms', quick ? '60' : '300'));

if (!isWasmAvailable()) {
  console.error(`wasm backend unavailable: ${wasmUnavailableReason()}`);
  process.exit(1);
}

const EPS = 20;
const SIZES = [784, 1000, 1000, 1000, 10];
const rng = rngFor(7, 'bench-kernels');
const layers: CsrMatrix[] = [];
for (let l = 0; l + 1 < SIZES.length; l++) {
  const w = erdosRenyi(SIZES[l]!, SIZES[l + 1]!, EPS, rngFor(7, 'topology', l));
  for (let k = 0; k < w.nnz; k++) w.values[k] = rng.normal() * 0.05;
  layers.push(w);
}

type Op = 'forward' | 'inputGrad' | 'weightGrad';
const OPS: Op[] = ['forward', 'inputGrad', 'weightGrad'];

interface Bufs {
  x: Float32Array;
  y: Float32Array;
  dy: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
  bias: Float32Array;
}

function randomArray(n: number, into?: Float32Array): Float32Array {
  const a = into ?? new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

function makeBufs(w: CsrMatrix, batch: number, alloc?: (n: number) => Float32Array): Bufs {
  const mk = (n: number): Float32Array => (alloc ? alloc(n) : new Float32Array(n));
  return {
    x: randomArray(w.cols * batch, mk(w.cols * batch)),
    y: mk(w.rows * batch),
    dy: randomArray(w.rows * batch, mk(w.rows * batch)),
    dx: mk(w.cols * batch),
    dw: mk(w.nnz),
    bias: randomArray(w.rows, mk(w.rows)),
  };
}

function copyBufs(from: Bufs, to: Bufs): void {
  to.x.set(from.x);
  to.dy.set(from.dy);
  to.bias.set(from.bias);
}

function runOp(be: Backend, op: Op, w: CsrMatrix, b: Bufs, batch: number): Float32Array {
  if (op === 'forward') return be.spmmForward(w, b.x, batch, b.bias, b.y);
  if (op === 'inputGrad') return be.spmmInputGrad(w, b.dy, batch, b.dx);
  return be.spmmWeightGrad(w, b.dy, b.x, batch, b.dw);
}

/**
 * Milliseconds per call: the fastest of 5 timed runs of at least minMs / 5 each, after a warm-up (the
 * fastest, not the median: on a shared 2-core machine other processes only ever add time).
 */
function timeOp(fn: () => void): number {
  const t0 = performance.now();
  while (performance.now() - t0 < Math.min(100, minMs / 3)) fn();
  const per: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    let n = 0;
    const s = performance.now();
    let e = s;
    while (e - s < minMs / 5) {
      fn();
      n++;
      e = performance.now();
    }
    per.push((e - s) / n);
  }
  return Math.min(...per);
}

function compare(ref: Float32Array, got: Float32Array): { rel: number; same: number } {
  let maxAbs = 0, maxErr = 0, same = 0;
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(ref[i]!));
    maxErr = Math.max(maxErr, Math.abs(ref[i]! - got[i]!));
    if (Object.is(ref[i], got[i])) same++;
  }
  return { rel: maxAbs === 0 ? maxErr : maxErr / maxAbs, same: ref.length === 0 ? 1 : same / ref.length };
}

/**
 * How much parallel CPU this process really gets: the same scalar loop in 1 and then 2 worker threads for
 * 0.4 s each; returns total work with 2 threads / work with 1 (2.0 on an idle 2-core machine, about 1.0
 * when other processes hold the second core). Without it, 2-thread timings cannot be read.
 */
async function parallelismProbe(): Promise<number> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const a = new Float64Array(4096).fill(1); let s = 0, n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 400) { for (let i = 0; i < a.length; i++) s += a[i] * 1.0001; n++; }
    parentPort.postMessage(n + (s > 0 ? 0 : 1));
  `;
  const run = async (k: number): Promise<number> => {
    const ws = Array.from({ length: k }, () => new Worker(code, { eval: true }));
    const ns = await Promise.all(ws.map((w) => new Promise<number>((r) => w.once('message', r))));
    await Promise.all(ws.map((w) => w.terminate()));
    return ns.reduce((a, b) => a + b, 0);
  };
  const one = await run(1);
  return (await run(2)) / one;
}

const cpu = cpuBackend();
const w1 = wasmBackend({ threads: 1 });
const w2 = wasmBackend({ threads: 2 });
const MODES: Array<{ label: string; be: Backend; resident: boolean }> = [
  { label: 'cpu reference', be: cpu, resident: false },
  { label: 'wasm 1 thread, copy', be: w1, resident: false },
  { label: 'wasm 1 thread, resident', be: w1, resident: true },
  { label: 'wasm 2 threads, copy', be: w2, resident: false },
  { label: 'wasm 2 threads, resident', be: w2, resident: true },
];

const fmt = (v: number, d: number): string => v.toFixed(d).padStart(8);
async function main(): Promise<void> {
  const speedup = await parallelismProbe();
  console.log(
    `CPUs: ${availableParallelism()}; parallelism this process gets now (2 threads vs 1 on a scalar loop): ${speedup.toFixed(2)}x` +
      (speedup < 1.6 ? '  <- the machine is busy: 2-thread timings below are not meaningful' : ''),
  );
  console.log(`node ${process.version}, eps ${EPS}, network ${SIZES.join('-')}, nnz per layer ${layers.map((w) => w.nnz).join(', ')}`);
  console.log('GFLOP/s counts 2 * nnz * batch flops per product (a multiply and an add per connection and sample).\n');

  let worstRel = 0;
  let threadMismatch = 0;
  const epochSeconds = new Map<string, number>();
  for (const batch of batches) {
    console.log(`batch ${batch}`);
    console.log(`${'layer'.padEnd(12)}${'op'.padEnd(12)}${'mode'.padEnd(28)}${'ms/call'.padStart(8)}${'GFLOP/s'.padStart(9)}  check vs cpu`);
    const stepMs = new Map<string, number>();
    const benchLayers = quick ? [0, 1] : [0, 1, 2, 3];
    for (const l of benchLayers) {
      const w = layers[l]!;
      const flops = 2 * w.nnz * batch;
      const ref = makeBufs(w, batch);
      const refOut = new Map<Op, Float32Array>();
      for (const op of OPS) refOut.set(op, runOp(cpu, op, w, ref, batch).slice());
      for (const op of OPS) {
        const oneThread = new Map<string, Float32Array>();
        for (const m of MODES) {
          const wb = m.be as WasmBackend;
          const bufs = m.resident ? makeBufs(w, batch, (n) => wb.memory.allocFloat32(n)) : makeBufs(w, batch);
          copyBufs(ref, bufs);
          const out = runOp(m.be, op, w, bufs, batch).slice();
          let check = '';
          if (m.be !== cpu) {
            const c = compare(refOut.get(op)!, out);
            worstRel = Math.max(worstRel, c.rel);
            check = `rel ${c.rel.toExponential(1)}, ${(100 * c.same).toFixed(1)}% bit-identical`;
            const key = `${m.resident}`;
            if (m.be === w1) oneThread.set(key, out);
            else {
              const one = oneThread.get(key)!;
              const ident = one.every((v, i) => Object.is(v, out[i]));
              if (!ident) threadMismatch++;
              check += ident ? ', = 1 thread' : ', DIFFERS FROM 1 THREAD';
            }
          }
          const ms = timeOp(() => runOp(m.be, op, w, bufs, batch));
          stepMs.set(m.label, (stepMs.get(m.label) ?? 0) + ms);
          const name = `${w.cols}->${w.rows}`;
          console.log(`${name.padEnd(12)}${op.padEnd(12)}${m.label.padEnd(28)}${fmt(ms, 3)}${fmt(flops / ms / 1e6, 2)} ${check}`);
          if (m.resident) for (const [k, a] of Object.entries(bufs)) { try { wb.freeFloat32(a); } catch (e) { console.log("FREE FAIL", k, a.byteOffset, (e as Error).message); } }
        }
      }
    }
    if (!quick) {
      console.log(`\nsparse products only, one epoch of 60,000 samples at batch ${batch} (all 4 layers, 3 products each):`);
      for (const m of MODES) {
        const s = (stepMs.get(m.label)! * Math.ceil(60000 / batch)) / 1000;
        epochSeconds.set(`${batch} ${m.label}`, s);
        console.log(`  ${m.label.padEnd(28)}${fmt(s, 2)} s`);
      }
    }
    console.log('');
  }
  // In training the calling thread writes each product's inputs (activations, gradients) just before the
  // product, so a worker must first pull those cache lines from the other core. This sequence does that:
  // x written, forward, dy = y written, input gradient, weight gradient (1000 -> 1000 layer).
  console.log('\ntraining-like sequence on 1000->1000 (inputs written on the calling thread before each product):');
  for (const batch of batches) {
    const w = layers[1]!;
    const line: string[] = [];
    for (const [label, be] of [['1 thread', w1], ['2 threads', w2]] as const) {
      for (const resident of [true, false]) {
        const mk = (n: number): Float32Array => (resident ? be.memory.allocFloat32(n) : new Float32Array(n));
        const x = mk(w.cols * batch), y = mk(w.rows * batch), dy = mk(w.rows * batch), dx = mk(w.cols * batch), dw = mk(w.nnz);
        const src = randomArray(w.cols * batch);
        const ms = timeOp(() => {
          x.set(src);
          be.spmmForward(w, x, batch, null, y);
          dy.set(y);
          be.spmmInputGrad(w, dy, batch, dx);
          be.spmmWeightGrad(w, dy, x, batch, dw);
        });
        line.push(`${label} ${resident ? 'resident' : 'copy'} ${ms.toFixed(3)} ms`);
        if (resident) for (const a of [x, y, dy, dx, dw]) be.freeFloat32(a);
      }
    }
    console.log(`  batch ${batch}: ${line.join('; ')}`);
  }
  console.log(`share of parallel chunks run by the worker thread (2 threads): ${(100 * w2.workerShare()).toFixed(0)}%`);
  console.log(`worst max-norm relative error vs cpu reference: ${worstRel.toExponential(2)}`);
  console.log(`1 vs 2 threads: ${threadMismatch === 0 ? 'bit-identical everywhere' : `${threadMismatch} results differ`}`);
  w1.dispose();
  w2.dispose();
  if (worstRel > 1e-5 || threadMismatch > 0) process.exit(1);
}

void main();
