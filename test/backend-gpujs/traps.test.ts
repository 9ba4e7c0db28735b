/**
 * The known traps of gpu.js (ENVIRONMENT-NOTES.md), each provoked on every available gpu.js mode and checked
 * against the CPU reference: loop bounds, changing numbers of connections, index precision and texture
 * limits, output orientation, views as arguments, what stays on the device, and the mode that really runs.
 * Registered through the shared harness, so unavailable modes are skipped with their reason (and fail on CI).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import type { GpujsBackend } from '../../toolkit/src/backend/gpujs/index';
import { BackendLimitError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { evolveLayer } from '../../toolkit/src/evolution/evolve';
import { policyFrom } from '../../toolkit/src/evolution/registry';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { mlp } from '../../toolkit/src/train/model';
import { describeBackends } from '../backend/describe-backends';
import { expectClose, randomArray, randomSparse } from '../backend/oracle';

const cpu = cpuBackend();
const isGpujs = (name: string): boolean => name.startsWith('gpujs:');

/** Runs the three sparse products on `be` and on the CPU reference and compares them at `rel`. */
function agreeOnSparse(be: Backend, w: CsrMatrix, batch: number, rel: number, seed: number): void {
  const rng = rngFor(seed, 'gpujs-trap', w.rows, w.cols, batch);
  const x = randomArray(w.cols * batch, rng), dy = randomArray(w.rows * batch, rng), bias = randomArray(w.rows, rng);
  const run = (b: Backend) => ({
    y: b.spmmForward(w, x, batch, bias, new Float32Array(w.rows * batch).fill(NaN)),
    dx: b.spmmInputGrad(w, dy, batch, new Float32Array(w.cols * batch).fill(NaN)),
    dw: b.spmmWeightGrad(w, dy, x, batch, new Float32Array(w.nnz).fill(NaN)),
  });
  const got = run(be), ref = run(cpu);
  expectClose(got.y, ref.y, rel, `spmmForward ${w.rows}x${w.cols} nnz ${w.nnz} batch ${batch}`);
  expectClose(got.dx, ref.dx, rel, `spmmInputGrad ${w.rows}x${w.cols} nnz ${w.nnz} batch ${batch}`);
  expectClose(got.dw, ref.dw, rel, `spmmWeightGrad ${w.rows}x${w.cols} nnz ${w.nnz} batch ${batch}`);
}

/** A matrix with one row of `long` connections and the others of 2. */
function oneLongRow(rows: number, cols: number, long: number, seed: number): CsrMatrix {
  const rowPtr = new Int32Array(rows + 1);
  const colIdx: number[] = [];
  for (let r = 0; r < rows; r++) {
    const n = r === rows - 1 ? long : 2;
    for (let c = 0; c < n; c++) colIdx.push(c);
    rowPtr[r + 1] = colIdx.length;
  }
  const rng = rngFor(seed, 'long-row');
  return new CsrMatrix(rows, cols, rowPtr, Int32Array.from(colIdx), randomArray(colIdx.length, rng));
}

describeBackends('gpu.js traps', (anyBe, tol, name) => {
  const be = anyBe as GpujsBackend;

  it('runs in the mode asked for, and says so', () => {
    expect(be.name).toBe('gpujs');
    expect(`gpujs:${be.mode}`).toBe(name);
    const before = be.stats.kernelRuns;
    be.unaryForward('relu', Float32Array.of(-1, 2), 0, new Float32Array(2));
    // Every kernel call checks the class that ran against the mode (context.ts); reaching here means it matched.
    expect(be.stats.kernelRuns).toBe(before + 1);
  });

  describe('loop bounds come from the data, not from gpu.js\'s default of 1000 iterations', () => {
    it('a row of 2500 connections (forward loop) and a column of 2500 (input-gradient loop)', () => {
      agreeOnSparse(be, oneLongRow(4, 3000, 2500, 1), 3, tol.rel, 1);
      const tall = new CsrMatrix(2500, 2, Int32Array.from({ length: 2501 }, (_, i) => i), new Int32Array(2500), randomArray(2500, rngFor(2, 'v')));
      agreeOnSparse(be, tall, 2, tol.rel, 2);
    });

    it('a long row after short ones on the same backend (the bound grows, the kernel is rebuilt)', () => {
      agreeOnSparse(be, oneLongRow(5, 40, 6, 3), 4, tol.rel, 3);
      const kernels = be.stats.kernels;
      agreeOnSparse(be, oneLongRow(5, 5000, 4100, 4), 4, tol.rel, 4);
      expect(be.stats.kernels).toBeGreaterThan(kernels);
    });

    it('a batch of 1100 (weight-gradient and bias loops) and a dense layer with 2100 inputs', () => {
      agreeOnSparse(be, randomSparse(3, 5, 0.6, rngFor(5, 'c')).csr, 1100, tol.rel, 5);
      const rng = rngFor(6, 'dense');
      const nIn = 2100, nOut = 3, batch = 2;
      const w = randomArray(nIn * nOut, rng), x = randomArray(nIn * batch, rng), dy = randomArray(nOut * batch, rng);
      expectClose(be.denseForward(w, nIn, nOut, x, batch, null, new Float32Array(nOut * batch)),
        cpu.denseForward(w, nIn, nOut, x, batch, null, new Float32Array(nOut * batch)), tol.rel, 'denseForward nIn 2100');
      expectClose(be.biasGrad(dy, nOut, batch, new Float32Array(nOut)), cpu.biasGrad(dy, nOut, batch, new Float32Array(nOut)), tol.rel, 'biasGrad');
    });
  });

  describe('changing numbers of connections', () => {
    it('matrices of 0, 7, 600, 3 and 0 connections in turn, each against the reference', () => {
      for (const [i, density] of [0, 0.2, 0.9, 0.1, 0].entries()) {
        const m = randomSparse(i === 2 ? 25 : 6, i === 2 ? 30 : 6, density, rngFor(10 + i, 'nnz')).csr;
        agreeOnSparse(be, m, 3 + i, tol.rel, 10 + i);
      }
    });

    it('topologies from evolution: index arrays uploaded once per new matrix, never per call', () => {
      let w = erdosRenyi(60, 40, 5, rngFor(20, 't'));
      w.values.set(randomArray(w.nnz, rngFor(20, 'v')));
      const policy = policyFrom('set');
      const ctx = { event: 'epoch-end' as const, epoch: 0, epochs: 3, step: 0, totalSteps: 1 };
      for (let event = 0; event < 3; event++) {
        const uploads = be.topologyUploads();
        agreeOnSparse(be, w, 5, tol.rel, 20 + event);
        const resident = be.stats.residentUploads;
        agreeOnSparse(be, w, 5, tol.rel, 30 + event);
        agreeOnSparse(be, w, 7, tol.rel, 40 + event);
        expect(be.topologyUploads()).toBe(uploads + 1);
        expect(be.stats.residentUploads).toBe(resident);
        w = evolveLayer(w, policy, { ...ctx, epoch: event }, 0, rngFor(21, 'evolve', event)).weights;
      }
    });

    it('a short training run with SET: one topology upload per layer, plus one per layer evolution', async () => {
      const data = syntheticClassification({ nSamples: 64, nFeatures: 10, nClasses: 3, seed: 5 });
      const model = mlp([10, 12, 12, 3], { sparsity: { kind: 'density', density: 0.5 }, activation: 'relu', seed: 6, backend: be });
      model.compile({ optimizer: { name: 'sgd', lr: 0.05 }, policy: 'set' });
      const before = be.topologyUploads();
      let evolutions = 0;
      await model.fit(data, { epochs: 3, batchSize: 16, callbacks: { onEvolve: () => void evolutions++ } });
      expect(evolutions).toBeGreaterThan(0);
      expect(be.topologyUploads() - before).toBe(3 + evolutions);
    });
  });

  describe('size limits are clear errors, raised before any work', () => {
    it('an input of more than 2^24 values (cols x batch) is refused in every mode', () => {
      const w = new CsrMatrix(2, 16384, Int32Array.of(0, 1, 2), Int32Array.of(0, 16383), Float32Array.of(1, 2));
      const runs = be.stats.kernelRuns;
      expect(() => be.spmmForward(w, new Float32Array(1), 2048, null, new Float32Array(4096))).toThrow(BackendLimitError);
      expect(() => be.spmmForward(w, new Float32Array(1), 2048, null, new Float32Array(4096))).toThrow(/33,554,432 values, more than 2\^24/);
      expect(() => be.spmmWeightGrad(w, new Float32Array(1), new Float32Array(1), 2048, new Float32Array(2))).toThrow(BackendLimitError);
      expect(() => be.denseForward(new Float32Array(1), 5000, 4000, new Float32Array(1), 1, null, new Float32Array(1))).toThrow(/20,000,000 values/);
      expect(be.stats.kernelRuns).toBe(runs);
    });

    it('an output side longer than the largest texture is refused in GL modes, and runs elsewhere', () => {
      const rows = 17000;
      const w = new CsrMatrix(rows, 3, Int32Array.from({ length: rows + 1 }, (_, i) => i), Int32Array.from({ length: rows }, (_, i) => i % 3),
        randomArray(rows, rngFor(30, 'v')));
      if (be.mode === 'headlessgl') {
        expect(() => be.spmmForward(w, new Float32Array(3 * 2), 2, null, new Float32Array(rows * 2))).toThrow(BackendLimitError);
        expect(() => be.spmmForward(w, new Float32Array(3 * 2), 2, null, new Float32Array(rows * 2))).toThrow(/17,000 does not fit|largest texture, 16,384/);
      } else {
        agreeOnSparse(be, w, 2, tol.rel, 30);
      }
    });
  });

  describe('output orientation: result[y][x] is neuron y, sample x', () => {
    it('a hand-computed 2 x 3 layer with a batch of 4 (exact small integers)', () => {
      // W = [[1, 2, 0], [0, 0, 3]]; x[f * 4 + b] = 10 f + b.
      const w = new CsrMatrix(2, 3, Int32Array.of(0, 2, 3), Int32Array.of(0, 1, 2), Float32Array.of(1, 2, 3));
      const x = Float32Array.from({ length: 12 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4));
      const y = be.spmmForward(w, x, 4, Float32Array.of(100, 200), new Float32Array(8));
      // Row 0: 1 * (b) + 2 * (10 + b) + 100; row 1: 3 * (20 + b) + 200.
      expect(Array.from(y)).toEqual([120, 123, 126, 129, 260, 263, 266, 269]);
      const dy = Float32Array.of(1, 0, 0, 2, 0, 1, 0, 0);
      expect(Array.from(be.spmmInputGrad(w, dy, 4, new Float32Array(12)))).toEqual([1, 0, 0, 2, 2, 0, 0, 4, 0, 3, 0, 0]);
      expect(Array.from(be.spmmWeightGrad(w, dy, x, 4, new Float32Array(3)))).toEqual([0 + 3 * 2, 10 + 13 * 2, 21]);
    });

    it('denseWeightGrad with nIn != nOut lays dw out as [j * nIn + i]', () => {
      const dy = Float32Array.of(1, 2); // nOut = 2, batch = 1
      const x = Float32Array.of(3, 5, 7); // nIn = 3
      expect(Array.from(be.denseWeightGrad(3, 2, dy, x, 1, new Float32Array(6)))).toEqual([3, 5, 7, 6, 10, 14]);
    });
  });

  it('typed-array views (subarrays with an offset) work as inputs and outputs, as layers pass them', () => {
    const m = randomSparse(7, 9, 0.4, rngFor(40, 'view')).csr;
    const batch = 3;
    const big = randomArray(9 * batch + 5, rngFor(41, 'x'));
    const x = big.subarray(5);
    const out = new Float32Array(7 * batch + 2).fill(NaN);
    be.spmmForward(m, x, batch, null, out.subarray(2));
    expectClose(out.subarray(2), cpu.spmmForward(m, x.slice(), batch, null, new Float32Array(7 * batch)), tol.rel, 'spmmForward on views');
    expect(Number.isNaN(out[0]) && Number.isNaN(out[1])).toBe(true);
  });

  it('keeps intermediates on the device: only final outputs are read back', () => {
    const s = be.stats;
    const n = 10, batch = 8;
    const logits = randomArray(n * batch, rngFor(50, 'l'), 3);
    const labels = Int32Array.from({ length: batch }, (_, b) => b % n);
    let before = { ...s };
    be.softmaxCrossEntropy(logits, labels, n, batch, new Float32Array(n * batch), new Int32Array(batch));
    // max -> log-partition -> (gradient, per-sample loss) and argmax: 5 kernels, 3 results read back (the
    // gradient by the harness's sync in headlessgl, where it stays on the device as a 1-D copy: one more kernel).
    const mirrors = be.mode === 'headlessgl' ? 1 : 0;
    expect(s.kernelRuns - before.kernelRuns).toBe(5 + mirrors);
    expect(s.readbacks - before.readbacks).toBe(3);
    expect(s.uploads - before.uploads).toBe(be.mode === 'headlessgl' ? 2 : 0);

    const w = randomSparse(12, 9, 0.5, rngFor(51, 'w')).csr;
    const rng = rngFor(52, 'd');
    const x = randomArray(9 * batch, rng), dy = randomArray(12 * batch, rng);
    be.spmmForward(w, x, batch, null, new Float32Array(12 * batch)); // topology resident from here on
    before = { ...s };
    const dw = new Float32Array(w.nnz), db = new Float32Array(12), dx = new Float32Array(9 * batch);
    be.spmmBackward(w, dy, x, batch, dw, db, dx);
    // dy, x and the values go up once; permute -> input gradient stays on the device; dw, db, dx come back
    // (in headlessgl through the harness's sync, after a 1-D copy of the 2-D dx on the device).
    expect(s.kernelRuns - before.kernelRuns).toBe(4 + mirrors);
    expect(s.readbacks - before.readbacks).toBe(3);
    expect(s.uploads - before.uploads).toBe(be.mode === 'headlessgl' ? 3 : 0);
    expect(s.residentUploads - before.residentUploads).toBe(3); // the transposed index, built on first use
    expectClose(dw, cpu.spmmWeightGrad(w, dy, x, batch, new Float32Array(w.nnz)), tol.rel, 'fused dw');
    expectClose(db, cpu.biasGrad(dy, 12, batch, new Float32Array(12)), tol.rel, 'fused db');
    expectClose(dx, cpu.spmmInputGrad(w, dy, batch, new Float32Array(9 * batch)), tol.rel, 'fused dx');
    expect(be.spmmBackward(w, dy, x, batch, dw, db, null)).toBeNull();
  });
}, isGpujs);
