/**
 * Losses over feature-major outputs (n classes x batch) as a pipeline of gpu.js kernels: per-sample
 * statistics (maximum, log-partition) stay on the device and feed the gradient and per-sample loss kernels;
 * only the `batch` per-sample losses and the predicted classes are read back, and the gradient too unless it
 * stays on the device for the backward pass (residency, context.ts). The sum over
 * samples is taken on the host in float64, as the reference does.
 *
 * @packageDocumentation
 */
import { COLUMN_MAX } from './activation';
import type { GpujsContext, KernelDef } from './context';
import type { GpuTexture } from './gpujs-api';
import { checkIndexRange, checkOutput2d } from './limits';

/** `log sum_f exp(x_f)` per sample, given the per-sample maximum `m`. */
const LOG_PARTITION: KernelDef = {
  name: 'column-log-partition',
  pipeline: true,
  source: `function (x, m, n, batch) {
    const b = this.thread.x;
    const mb = m[b];
    let s = 0;
    for (let f = 0; f < n; f++) {
      s += Math.exp(x[f * batch + b] - mb);
    }
    return mb + Math.log(s);
  }`,
};

const CE_GRAD: KernelDef = {
  name: 'cross-entropy-grad',
  source: `function (x, lse, labels, batch, p) {
    const b = this.thread.x;
    const f = this.thread.y;
    const prob = Math.exp(x[f * batch + b] - lse[b]);
    let t = 0;
    if (Math.abs(labels[b] - f) < 0.5) {
      t = 1;
    }
    return (prob - t) * p[0];
  }`,
};

const CE_LOSS: KernelDef = {
  name: 'cross-entropy-loss',
  source: `function (x, lse, labels, batch) {
    const b = this.thread.x;
    return lse[b] - x[labels[b] * batch + b];
  }`,
};

/** Index of the first largest feature of each sample (strict `>`, as the reference). */
const ARGMAX: KernelDef = {
  name: 'column-argmax',
  source: `function (x, n, batch) {
    const b = this.thread.x;
    let m = x[b];
    let arg = 0;
    for (let f = 1; f < n; f++) {
      const v = x[f * batch + b];
      if (v > m) {
        m = v;
        arg = f;
      }
    }
    return arg;
  }`,
};

const MSE_GRAD: KernelDef = {
  name: 'mse-grad',
  source: `function (out, labels, batch, p) {
    const b = this.thread.x;
    const f = this.thread.y;
    let t = 0;
    if (Math.abs(labels[b] - f) < 0.5) {
      t = 1;
    }
    return p[0] * (out[f * batch + b] - t);
  }`,
};

const MSE_LOSS: KernelDef = {
  name: 'mse-loss',
  source: `function (out, labels, n, batch) {
    const b = this.thread.x;
    let s = 0;
    for (let f = 0; f < n; f++) {
      let t = 0;
      if (Math.abs(labels[b] - f) < 0.5) {
        t = 1;
      }
      const d = out[f * batch + b] - t;
      s += d * d;
    }
    return s / n;
  }`,
};

/** The loss ops of a gpu.js backend. */
export class LossOps {
  private perSample = new Float32Array(0);
  private predF = new Float32Array(0);

  constructor(private readonly ctx: GpujsContext) {}

  private check(op: string, n: number, batch: number): void {
    checkIndexRange(this.ctx.limits, op, [['the outputs (n x batch)', n * batch]]);
    checkOutput2d(this.ctx.limits, op, batch, n, 'batch x classes');
  }

  private buffers(batch: number): { loss: Float32Array; pred: Float32Array } {
    if (this.perSample.length < batch) {
      this.perSample = new Float32Array(batch);
      this.predF = new Float32Array(batch);
    }
    return { loss: this.perSample.subarray(0, batch), pred: this.predF.subarray(0, batch) };
  }

  private finish(lossRes: unknown, predRes: unknown, batch: number, pred: Int32Array): number {
    const { loss, pred: pf } = this.buffers(batch);
    this.ctx.read1d(lossRes, loss);
    this.ctx.read1d(predRes, pf);
    let total = 0;
    for (let b = 0; b < batch; b++) {
      total += loss[b]!;
      pred[b] = Math.round(pf[b]!);
    }
    return total;
  }

  softmaxCrossEntropy(logits: Float32Array, labels: Int32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array): number {
    this.check('softmaxCrossEntropy', n, batch);
    if (n * batch === 0) return 0;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const X = c.upload(logits, 'logits', temps), L = c.upload(labels, 'labels', temps);
      const M = c.run(COLUMN_MAX, n, [batch], X, n, batch);
      const LSE = c.run(LOG_PARTITION, n, [batch], X, M, n, batch);
      c.result2d(c.run(CE_GRAD, 1, [batch, n], X, LSE, L, batch, Float32Array.of(1 / batch)), grad, batch, n);
      return this.finish(c.run(CE_LOSS, 1, [batch], X, LSE, L, batch), c.run(ARGMAX, n, [batch], X, n, batch), batch, pred);
    } finally {
      this.ctx.free(temps);
    }
  }

  mseOneHot(output: Float32Array, labels: Int32Array, n: number, batch: number, grad: Float32Array, pred: Int32Array): number {
    this.check('mseOneHot', n, batch);
    if (n * batch === 0) return 0;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const X = c.upload(output, 'logits', temps), L = c.upload(labels, 'labels', temps);
      c.result2d(c.run(MSE_GRAD, 1, [batch, n], X, L, batch, Float32Array.of(2 / (n * batch))), grad, batch, n);
      return this.finish(c.run(MSE_LOSS, n, [batch], X, L, n, batch), c.run(ARGMAX, n, [batch], X, n, batch), batch, pred);
    } finally {
      this.ctx.free(temps);
    }
  }
}
