/**
 * The three products of a sparse layer as gpu.js kernels, each thread computing one output value by a
 * gather (no atomics exist in these modes):
 * - forward: thread (b, j) sums row j of W against column b of x;
 * - input gradient: thread (b, i) walks column i of W (the transposed index, topology.ts) against dy;
 *   the values are first permuted into column order by a pipelined kernel, so the product reads them
 *   contiguously without a second indirection per sample;
 * - weight gradient: thread k takes the dot product of dy's row and x's row at connection k.
 *
 * Outputs `[width, height]` put the sample on x and the neuron on y: `result[y][x]` is then exactly the
 * feature-major `out[neuron * batch + sample]`.
 *
 * @packageDocumentation
 */
import type { CsrMatrix } from '../../sparse/csr';
import type { DeviceArray, GpujsContext, KernelDef } from './context';
import type { GpuTexture } from './gpujs-api';
import { checkIndexRange, checkOutput2d } from './limits';
import type { TopologyCache } from './topology';

const FORWARD: KernelDef = {
  name: 'spmm-forward',
  source: `function (rowPtr, colIdx, values, x, bias, batch, hasBias) {
    const j = this.thread.y;
    const b = this.thread.x;
    const start = rowPtr[j];
    const len = rowPtr[j + 1] - start;
    let s = 0;
    if (hasBias > 0) {
      s = bias[j];
    }
    for (let i = 0; i < len; i++) {
      const k = start + i;
      s += values[k] * x[colIdx[k] * batch + b];
    }
    return s;
  }`,
};

const PERMUTE: KernelDef = {
  name: 'spmm-permute-values',
  pipeline: true,
  source: `function (values, perm) {
    return values[perm[this.thread.x]];
  }`,
};

const INPUT_GRAD: KernelDef = {
  name: 'spmm-input-grad',
  source: `function (colPtr, rowIdx, valuesT, dy, batch) {
    const i = this.thread.y;
    const b = this.thread.x;
    const start = colPtr[i];
    const len = colPtr[i + 1] - start;
    let s = 0;
    for (let t = 0; t < len; t++) {
      const k = start + t;
      s += valuesT[k] * dy[rowIdx[k] * batch + b];
    }
    return s;
  }`,
};

const WEIGHT_GRAD: KernelDef = {
  name: 'spmm-weight-grad',
  source: `function (rowOf, colIdx, dy, x, batch) {
    const k = this.thread.x;
    const go = rowOf[k] * batch;
    const xo = colIdx[k] * batch;
    let s = 0;
    for (let b = 0; b < batch; b++) {
      s += dy[go + b] * x[xo + b];
    }
    return s;
  }`,
};

/** `db[j] = sum_b dy[j, b]`; shared with the dense layers. */
export const BIAS_GRAD: KernelDef = {
  name: 'bias-grad',
  source: `function (dy, batch) {
    const o = this.thread.x * batch;
    let s = 0;
    for (let b = 0; b < batch; b++) {
      s += dy[o + b];
    }
    return s;
  }`,
};

/** The sparse ops of a gpu.js backend. */
export class SparseOps {
  /** A one-value array passed where a kernel takes a bias but the op has none. */
  private noBias: DeviceArray | null = null;

  constructor(
    private readonly ctx: GpujsContext,
    private readonly topo: TopologyCache,
  ) {}

  private checkSizes(op: string, w: CsrMatrix, batch: number, outWidth: number, outHeight: number): void {
    const lim = this.ctx.limits;
    checkIndexRange(lim, op, [
      ['the input (cols x batch)', w.cols * batch],
      ['the output (rows x batch)', w.rows * batch],
      ['the connection list (nnz)', w.nnz],
    ]);
    if (outHeight > 0) checkOutput2d(lim, op, outWidth, outHeight, 'batch x neurons');
  }

  private dummy(): DeviceArray {
    if (!this.noBias) this.noBias = this.ctx.resident([0]);
    return this.noBias;
  }

  spmmForward(w: CsrMatrix, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array): Float32Array {
    const { rows, nnz } = w;
    this.checkSizes('spmmForward', w, batch, batch, rows);
    if (rows * batch === 0) return y;
    if (nnz === 0) {
      if (bias !== null) this.ctx.hostRead(bias);
      this.ctx.beforeHostWrite(y, rows * batch);
      for (let j = 0; j < rows; j++) y.fill(bias === null ? 0 : bias[j]!, j * batch, (j + 1) * batch);
      return y;
    }
    const t = this.topo.rows(w);
    const temps: GpuTexture[] = [];
    try {
      const up = this.ctx;
      const r = up.run(FORWARD, t.maxRow, [batch, rows], t.rowPtr, t.colIdx, up.upload(w.values, 'values', temps), up.upload(x, 'x', temps),
        bias === null ? this.dummy() : up.upload(bias, 'bias', temps), batch, bias === null ? 0 : 1);
      return up.result2d(r, y, batch, rows);
    } finally {
      this.ctx.free(temps);
    }
  }

  private inputGradWith(w: CsrMatrix, dy: DeviceArray, batch: number, dx: Float32Array, temps: GpuTexture[]): Float32Array {
    const c = this.topo.cols(w);
    const valuesT = this.ctx.run(PERMUTE, 1, [w.nnz], this.ctx.upload(w.values, 'values', temps), c.perm);
    const r = this.ctx.run(INPUT_GRAD, c.maxCol, [batch, w.cols], c.colPtr, c.rowIdx, valuesT, dy, batch);
    return this.ctx.result2d(r, dx, batch, w.cols);
  }

  private weightGradWith(w: CsrMatrix, dy: DeviceArray, x: DeviceArray, batch: number, dw: Float32Array): Float32Array {
    const t = this.topo.rows(w);
    const r = this.ctx.run(WEIGHT_GRAD, batch, [w.nnz], t.rowOf, t.colIdx, dy, x, batch);
    return this.ctx.result1d(r, dw, w.nnz);
  }

  spmmInputGrad(w: CsrMatrix, dy: Float32Array, batch: number, dx: Float32Array): Float32Array {
    this.checkSizes('spmmInputGrad', w, batch, batch, w.cols);
    if (w.cols * batch === 0) return dx;
    if (w.nnz === 0 || batch === 0) {
      this.ctx.beforeHostWrite(dx, w.cols * batch);
      return dx.fill(0, 0, w.cols * batch);
    }
    const temps: GpuTexture[] = [];
    try {
      return this.inputGradWith(w, this.ctx.upload(dy, 'dy', temps), batch, dx, temps);
    } finally {
      this.ctx.free(temps);
    }
  }

  spmmWeightGrad(w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array {
    this.checkSizes('spmmWeightGrad', w, batch, 0, 0);
    if (w.nnz === 0) return dw;
    if (batch === 0) {
      this.ctx.beforeHostWrite(dw, w.nnz);
      return dw.fill(0, 0, w.nnz);
    }
    const temps: GpuTexture[] = [];
    try {
      return this.weightGradWith(w, this.ctx.upload(dy, 'dy', temps), this.ctx.upload(x, 'x', temps), batch, dw);
    } finally {
      this.ctx.free(temps);
    }
  }

  /** `db = sum over the batch of dy`, for `n` neurons. */
  biasGrad(dy: Float32Array, n: number, batch: number, db: Float32Array): Float32Array {
    checkIndexRange(this.ctx.limits, 'biasGrad', [['dy (n x batch)', n * batch]]);
    if (n === 0) return db;
    if (batch === 0) {
      this.ctx.beforeHostWrite(db, n);
      return db.fill(0, 0, n);
    }
    const temps: GpuTexture[] = [];
    try {
      return this.ctx.result1d(this.ctx.run(BIAS_GRAD, batch, [n], this.ctx.upload(dy, 'dy', temps), batch), db, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  /**
   * The whole backward pass of a sparse layer with `dy` and `x` uploaded once and shared by its three
   * kernels: weight gradient, bias gradient and (when `dx` is given) input gradient.
   */
  spmmBackward(
    w: CsrMatrix, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array, db: Float32Array, dx: Float32Array | null,
  ): Float32Array | null {
    this.checkSizes('spmmBackward', w, batch, batch, dx ? w.cols : 0);
    if (batch === 0 || w.nnz === 0) {
      this.spmmWeightGrad(w, dy, x, batch, dw);
      this.biasGrad(dy, w.rows, batch, db);
      return dx ? this.spmmInputGrad(w, dy, batch, dx) : null;
    }
    const temps: GpuTexture[] = [];
    try {
      const DY = this.ctx.upload(dy, 'dy', temps);
      this.weightGradWith(w, DY, this.ctx.upload(x, 'x', temps), batch, dw);
      this.ctx.result1d(this.ctx.run(BIAS_GRAD, batch, [w.rows], DY, batch), db, w.rows);
      return dx ? this.inputGradWith(w, DY, batch, dx, temps) : null;
    } finally {
      this.ctx.free(temps);
    }
  }
}
