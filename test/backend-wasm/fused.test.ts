/**
 * The fused sparse product + rectifier + dropout of the wasm backend (`sparseForward` with a rectifier, and
 * `sparseBackward` with an input rectifier) against the same ops run one by one on the same backend: the
 * results must be the same bits, on every backward path (one walk of the rows at small batches, the walk of
 * the columns for wide layers, the gather over the transposed index), on 1 and 2 threads, for ReLU and leaky
 * ReLU with either sign of slope, with and without dropout, and at batches that leave SIMD tails. Then whole
 * training runs: fused and unfused networks train to bit-identical weights, and the network reports which
 * layers it fused.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, FusedRectifier } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { dropoutScale } from '../../toolkit/src/backend/cpu/dropout';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason, type WasmBackendOptions } from '../../toolkit/src/backend/wasm/index';
import { streamKey } from '../../toolkit/src/core/counter-rng';
import { rngFor } from '../../toolkit/src/core/rng';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';
import { mlp } from '../../toolkit/src/train/model';

const available = isWasmAvailable();

/** The bit patterns of a float array, so that `toEqual` compares bits (and tells -0 from 0). */
function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

interface Case {
  readonly rows: number;
  readonly cols: number;
  readonly batch: number;
  readonly op: 'relu' | 'leaky-relu';
  readonly alpha: number;
  readonly rate: number;
}

/**
 * Fused and one-by-one forward and backward of one layer and the rectifier block before it. `inPlace`: the
 * backend walks this layer's columns, so with `overwriteInput` it returns the gradient in the input's storage.
 */
function runBoth(be: Backend, c: Case, own = false, inPlace = false): void {
  const rng = rngFor(11, 'fused', c.rows, c.cols, c.batch);
  // Arrays in the backend's memory (used in place), or plain ones (copied in and out).
  const f32 = (n: number): Float32Array => (own ? be.memory.allocFloat32(n) : new Float32Array(n));
  const w = erdosRenyi(c.cols, c.rows, 8, rng);
  for (let k = 0; k < w.nnz; k++) w.values[k] = 2 * rng.float() - 1;
  const n = c.rows * c.batch;
  const x = Float32Array.from({ length: c.cols * c.batch }, () => rng.normal());
  const bias = Float32Array.from({ length: c.rows }, () => 0.3 * rng.normal());
  const key = streamKey(5, 'dropout', 17, 1);
  const dropout = c.rate > 0 ? { rate: c.rate, key } : null;

  // Forward: the product, the rectifier, dropout, one by one...
  const pre = be.spmmForward(w, x, c.batch, bias, new Float32Array(n));
  const act = be.unaryForward(c.op, pre, c.alpha, new Float32Array(n));
  const dropMask = new Uint8Array(n).fill(1);
  const out = dropout === null ? act : be.dropout(act, c.rate, key, new Float32Array(n), dropMask);
  // ...and fused.
  const r: FusedRectifier = { op: c.op, alpha: c.alpha, dropout, mask: own ? be.memory.allocUint8(n) : new Uint8Array(n) };
  const fused = be.sparseForward({ w, x, batch: c.batch, bias, y: f32(n), rectifier: r });
  expect(bits(fused)).toEqual(bits(out));

  // Backward of a layer (rows2 x rows) fed by the block: its input gradient goes back through the block.
  const rows2 = 7;
  const w2 = erdosRenyi(c.rows, rows2, 3, rng);
  for (let k = 0; k < w2.nnz; k++) w2.values[k] = 2 * rng.float() - 1;
  const dy = Float32Array.from({ length: rows2 * c.batch }, () => rng.normal());
  const dw = new Float32Array(w2.nnz), db = new Float32Array(rows2), dx = new Float32Array(n);
  be.sparseBackward({ w: w2, dy, x: out, batch: c.batch, dw, db, dx });
  const afterDrop = dropout === null ? dx : be.dropoutForward(dx, dropMask, dropoutScale(c.rate), new Float32Array(n));
  const want = be.unaryBackward(c.op, pre, act, afterDrop, c.alpha, new Float32Array(n));
  const dw2 = f32(w2.nnz), db2 = f32(rows2), dx2 = f32(n);
  be.sparseBackward({ w: w2, dy, x: out, batch: c.batch, dw: dw2, db: db2, dx: dx2, inputRectifier: r });
  expect(bits(dx2)).toEqual(bits(want));
  expect(bits(dw2)).toEqual(bits(dw));
  expect(bits(db2)).toEqual(bits(db));

  // The block's bias gradient summed in the same call, and this layer's own bias gradient skipped (db null).
  const ib = f32(c.rows).fill(NaN), dw3 = f32(w2.nnz), dx3 = f32(n);
  be.sparseBackward({ w: w2, dy, x: out, batch: c.batch, dw: dw3, db: null, dx: dx3, inputRectifier: r, inputBiasGrad: ib });
  expect(bits(dx3)).toEqual(bits(want));
  expect(bits(dw3)).toEqual(bits(dw));
  expect(bits(ib)).toEqual(bits(be.biasGrad(want, c.rows, c.batch, new Float32Array(c.rows))));

  // The input no longer needed (a training step): the gradient may come back in its storage, the same bits.
  const xin = be.memory.allocFloat32(n);
  xin.set(out);
  const dw5 = f32(w2.nnz), db5 = f32(rows2), dx5 = f32(n).fill(NaN);
  const g5 = be.sparseBackward({ w: w2, dy, x: xin, batch: c.batch, dw: dw5, db: db5, dx: dx5, inputRectifier: r, overwriteInput: true })!;
  expect(g5.buffer === xin.buffer && g5.byteOffset === xin.byteOffset && g5.length === n).toBe(inPlace);
  if (!inPlace) expect(g5).toBe(dx5);
  expect(bits(g5)).toEqual(bits(want));
  expect(bits(dw5)).toEqual(bits(dw));
  expect(bits(db5)).toEqual(bits(db));
  // An input outside the backend's memory is never written.
  const xout = Float32Array.from(out), dx6 = f32(n);
  expect(be.sparseBackward({ w: w2, dy, x: xout, batch: c.batch, dw: f32(w2.nnz), db: f32(rows2), dx: dx6, inputRectifier: r, overwriteInput: true })).toBe(dx6);
  expect(bits(xout)).toEqual(bits(out));
  expect(bits(dx6)).toEqual(bits(want));
}

const CASES: Case[] = [];
for (const batch of [1, 2, 3, 9, 21, 64]) {
  CASES.push({ rows: 50, cols: 40, batch, op: 'relu', alpha: 0, rate: 0.3 });
  CASES.push({ rows: 50, cols: 40, batch, op: 'leaky-relu', alpha: -0.6, rate: 0.5 });
}
CASES.push({ rows: 33, cols: 20, batch: 17, op: 'relu', alpha: 0, rate: 0 });
CASES.push({ rows: 33, cols: 20, batch: 17, op: 'leaky-relu', alpha: 0.01, rate: 0 });
CASES.push({ rows: 1, cols: 5, batch: 128, op: 'leaky-relu', alpha: 0.2, rate: 0.1 });

/** Backends that reach every backward path: rows walk (small batch), columns walk (wide), gather. */
const PATHS: readonly [string, WasmBackendOptions][] = [
  ['default', {}],
  ['columns walk', { columnBackwardMinBytes: 0 }],
  ['columns walk, all in batch blocks', { columnBackwardMinBytes: 0, columnBlockBytes: 2 ** 30 }],
  ['columns walk, whole-batch dots', { columnBackwardMinBytes: 0, columnBlockBytes: 0 }],
  ['gather, no scatter', { scatterMaxBatch: 0, columnBackwardMinBytes: 1 << 30 }],
];

describe.skipIf(!available)(available ? 'wasm fused rectifier and dropout' : `wasm [unavailable: ${wasmUnavailableReason()}]`, () => {
  for (const threads of [1, 2]) {
    for (const [name, options] of PATHS) {
      it(`forward and backward equal the ops one by one, bit for bit (${name}, ${threads} thread(s))`, () => {
        const be = wasmBackend({ ...options, threads, minParallelWork: 0 });
        try {
          // The walk of the columns takes batches above the rows walk's (scatterMaxBatch, default 8).
          for (const c of CASES) runBoth(be, c, false, options.columnBackwardMinBytes === 0 && c.batch > 8);
        } finally {
          be.dispose();
        }
      });
    }
  }

  it('works on arrays in wasm memory too (used in place)', () => {
    const be = wasmBackend({ threads: 2, minParallelWork: 0 });
    try {
      for (const c of CASES) runBoth(be, c, true);
    } finally {
      be.dispose();
    }
  });

  it('rejects a short mask, an unknown rectifier or a bad rate before writing anything', () => {
    const be = wasmBackend();
    try {
      const w = erdosRenyi(3, 4, 2, rngFor(1, 'bad'));
      const x = new Float32Array(3 * 2), y = new Float32Array(4 * 2).fill(7);
      const ok: FusedRectifier = { op: 'relu', alpha: 0, dropout: null, mask: new Uint8Array(8) };
      expect(() => be.sparseForward({ w, x, batch: 2, bias: null, y, rectifier: { ...ok, mask: new Uint8Array(7) } })).toThrow(/mask has length 7, expected at least 8/);
      expect(() => be.sparseForward({ w, x, batch: 2, bias: null, y, rectifier: { ...ok, op: 'tanh' as 'relu' } })).toThrow(/'relu' or 'leaky-relu'.*got 'tanh'/);
      expect(() => be.sparseForward({ w, x, batch: 2, bias: null, y, rectifier: { ...ok, dropout: { rate: 1, key: streamKey(1, 'd', 0, 0) } } })).toThrow(/rate must be in \[0, 1\)/);
      expect(Array.from(y)).toEqual(new Array(8).fill(7));
      // A short array for the block's bias gradient, before any gradient is written.
      const w2 = erdosRenyi(4, 5, 2, rngFor(2, 'bad'));
      const dw = new Float32Array(w2.nnz).fill(7), dx = new Float32Array(4 * 2).fill(7);
      expect(() => be.sparseBackward({ w: w2, dy: new Float32Array(10), x: y, batch: 2, dw, db: null, dx, inputRectifier: ok, inputBiasGrad: new Float32Array(3) })).toThrow(/inputBiasGrad has length 3, expected at least 4/);
      expect(Array.from(dw)).toEqual(new Array(w2.nnz).fill(7));
      expect(Array.from(dx)).toEqual(new Array(8).fill(7));
    } finally {
      be.dispose();
    }
  });

  it('is not offered when turned off', () => {
    const be = wasmBackend({ fuseRectifiers: false });
    const on = wasmBackend();
    try {
      expect(be.fusesRectifiers).toBe(false);
      expect(on.fusesRectifiers).toBe(true);
    } finally {
      be.dispose();
      on.dispose();
    }
  });
});

/** RigL every 5 steps: its regrowth reads each layer's input and output gradient after the step's backward pass. */
const RIGL = { policy: 'rigl', trigger: { name: 'every-steps', k: 5, start: 0, end: 0.75 } } as const;

async function train(backend: Backend, batchSize: number, activation: 'relu' | 'all-relu', lr: number, policy: 'set' | typeof RIGL = 'set') {
  const data = syntheticClassification({ nSamples: 200, nFeatures: 30, nClasses: 4, seed: 8 });
  const model = mlp([30, 48, 40, 4], { sparsity: { kind: 'erdos-renyi', eps: 5 }, activation, dropout: 0.3, seed: 4, backend });
  model.compile({ optimizer: { name: 'sgd', lr, momentum: 0.9, weightDecay: 0.0002, nesterov: true }, policy });
  const history = await model.fit(data, { epochs: 3, batchSize });
  return {
    segments: model.network.segments().map((s) => s.kind),
    losses: history.epochs.map((e) => [e.loss, e.accuracy, e.valLoss ?? null]),
    evolution: history.evolution.map((r) => [r.layer, r.dropped, r.grown, Array.from(r.grownPositions)]),
    weights: model.network.params().map((p) => Array.from(p.values)),
  };
}

describe.skipIf(!available)(available ? 'wasm training, fused and unfused' : `wasm [unavailable: ${wasmUnavailableReason()}]`, () => {
  for (const [batchSize, activation, lr] of [[25, 'relu', 0.05], [2, 'all-relu', 0.005]] as const) {
    it(`trains to the same bits with and without fusion (${activation}, batch ${batchSize}, SET evolution)`, async () => {
      const runs = [];
      for (const options of [{ fuseRectifiers: false }, { threads: 1 }, { threads: 2, minParallelWork: 0 }, { columnBackwardMinBytes: 0 }]) {
        const be = wasmBackend(options);
        try {
          runs.push(await train(be, batchSize, activation, lr));
        } finally {
          be.dispose();
        }
      }
      const [unfused, ...fused] = runs as [Awaited<ReturnType<typeof train>>, ...Awaited<ReturnType<typeof train>>[]];
      const kind = `sparse-linear+${activation}+dropout`;
      expect(unfused.segments).toEqual(['sparse-linear', activation, 'dropout', 'sparse-linear', activation, 'dropout', 'sparse-linear']);
      expect(unfused.evolution.length).toBeGreaterThan(0);
      for (const f of fused) {
        expect(f.segments).toEqual([kind, kind, 'sparse-linear']);
        expect(f.losses).toEqual(unfused.losses);
        expect(f.evolution).toEqual(unfused.evolution);
        expect(f.weights).toEqual(unfused.weights);
      }
    });
  }

  it('keeps the activations that gradient regrowth reads (RigL: the same bits with and without fusion)', async () => {
    const runs = [];
    // The walk of the columns everywhere: the path that may write input gradients over the activations.
    for (const options of [{ fuseRectifiers: false }, { columnBackwardMinBytes: 0 }, { columnBackwardMinBytes: 0, threads: 2, minParallelWork: 0 }]) {
      const be = wasmBackend(options);
      try {
        runs.push(await train(be, 25, 'relu', 0.05, RIGL));
      } finally {
        be.dispose();
      }
    }
    const [unfused, ...fused] = runs as [Awaited<ReturnType<typeof train>>, ...Awaited<ReturnType<typeof train>>[]];
    expect(unfused.evolution.length).toBeGreaterThan(0);
    for (const f of fused) {
      expect(f.evolution).toEqual(unfused.evolution);
      expect(f.weights).toEqual(unfused.weights);
    }
  });

  it('fuses only a rectifier block followed by a sparse layer, and nothing on the CPU reference', () => {
    const be = wasmBackend();
    try {
      const tanh = mlp([10, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, activation: 'tanh', seed: 1, backend: be });
      expect(tanh.network.segments().map((s) => s.kind)).toEqual(['sparse-linear', 'tanh', 'sparse-linear']);
      const relu = mlp([10, 12, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, activation: 'relu', seed: 1, backend: be });
      expect(relu.network.segments()).toEqual([
        { first: 0, count: 2, kind: 'sparse-linear+relu' },
        { first: 2, count: 1, kind: 'sparse-linear' },
      ]);
      relu.network.setBackend(cpuBackend());
      expect(relu.network.segments().map((s) => s.kind)).toEqual(['sparse-linear', 'relu', 'sparse-linear']);
    } finally {
      be.dispose();
    }
  });
});
