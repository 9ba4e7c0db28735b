/**
 * Activations and their gradients as gpu.js kernels: element-wise ones over the flat array, per-neuron
 * ones (SReLU) over `[batch, n]`, per-sample ones (softmax) as a pipeline of a per-sample reduction kernel
 * whose result stays on the device and an element-wise kernel that reads it.
 *
 * @packageDocumentation
 */
import type { SReluParams, UnaryOp } from '../backend';
import type { GpujsContext, KernelDef } from './context';
import type { GpuTexture } from './gpujs-api';
import { checkIndexRange, checkOutput2d } from './limits';

/**
 * tanh from `exp(-2|x|)`, which never overflows (the textbook `(e^2x - 1)/(e^2x + 1)` gives Inf/Inf for
 * large x); the same formula in every mode.
 */
const TANH = 'const t = Math.exp(-2 * Math.abs(v)); const m = (1 - t) / (1 + t); return v < 0 ? -m : m;';

const UNARY_FORWARD: Record<Exclude<UnaryOp, 'identity'>, KernelDef> = {
  relu: { name: 'relu-forward', source: 'function (x, p) { const v = x[this.thread.x]; return v > 0 ? v : 0; }' },
  'leaky-relu': { name: 'leaky-relu-forward', source: 'function (x, p) { const v = x[this.thread.x]; return v > 0 ? v : p[0] * v; }' },
  tanh: { name: 'tanh-forward', source: `function (x, p) { const v = x[this.thread.x]; ${TANH} }` },
  sigmoid: { name: 'sigmoid-forward', source: 'function (x, p) { const v = x[this.thread.x]; return 1 / (1 + Math.exp(-v)); }' },
};

/** Backward kernels take `(x or y, dy, p)`: ReLUs need the input, tanh and sigmoid the output. */
const UNARY_BACKWARD: Record<Exclude<UnaryOp, 'identity'>, KernelDef & { readonly usesOutput: boolean }> = {
  relu: { name: 'relu-backward', usesOutput: false, source: 'function (x, dy, p) { const i = this.thread.x; return x[i] > 0 ? dy[i] : 0; }' },
  'leaky-relu': {
    name: 'leaky-relu-backward', usesOutput: false,
    source: 'function (x, dy, p) { const i = this.thread.x; return x[i] > 0 ? dy[i] : p[0] * dy[i]; }',
  },
  tanh: { name: 'tanh-backward', usesOutput: true, source: 'function (y, dy, p) { const i = this.thread.x; const v = y[i]; return (1 - v * v) * dy[i]; }' },
  sigmoid: { name: 'sigmoid-backward', usesOutput: true, source: 'function (y, dy, p) { const i = this.thread.x; const v = y[i]; return v * (1 - v) * dy[i]; }' },
};

const SRELU_FORWARD: KernelDef = {
  name: 'srelu-forward',
  source: `function (x, tl, al, tr, ar, batch) {
    const j = this.thread.y;
    const v = x[j * batch + this.thread.x];
    const TL = tl[j];
    const TR = tr[j];
    let r = v;
    if (v >= TR) {
      r = TR + ar[j] * (v - TR);
    } else if (v <= TL) {
      r = TL + al[j] * (v - TL);
    }
    return r;
  }`,
};

const SRELU_DX: KernelDef = {
  name: 'srelu-backward-input',
  source: `function (x, tl, al, tr, ar, dy, batch) {
    const j = this.thread.y;
    const i = j * batch + this.thread.x;
    const v = x[i];
    let r = dy[i];
    if (v >= tr[j]) {
      r = ar[j] * dy[i];
    } else if (v <= tl[j]) {
      r = al[j] * dy[i];
    }
    return r;
  }`,
};

/** Thread (j, q): the accumulated gradient of parameter q (0 tl, 1 al, 2 tr, 3 ar) of neuron j. */
const SRELU_DP: KernelDef = {
  name: 'srelu-backward-params',
  source: `function (x, tl, al, tr, ar, dy, dtl, dal, dtr, dar, batch) {
    const j = this.thread.x;
    const q = this.thread.y;
    const TL = tl[j];
    const AL = al[j];
    const TR = tr[j];
    const AR = ar[j];
    const o = j * batch;
    let s = 0;
    for (let b = 0; b < batch; b++) {
      const v = x[o + b];
      const g = dy[o + b];
      if (v >= TR) {
        if (q == 2) {
          s += (1 - AR) * g;
        }
        if (q == 3) {
          s += (v - TR) * g;
        }
      } else if (v <= TL) {
        if (q == 0) {
          s += (1 - AL) * g;
        }
        if (q == 1) {
          s += (v - TL) * g;
        }
      }
    }
    let base = dtl[j];
    if (q == 1) {
      base = dal[j];
    }
    if (q == 2) {
      base = dtr[j];
    }
    if (q == 3) {
      base = dar[j];
    }
    return base + s;
  }`,
};

/** Per-sample maximum over the `n` features (pipelined); shared with the losses. */
export const COLUMN_MAX: KernelDef = {
  name: 'column-max',
  pipeline: true,
  source: `function (x, n, batch) {
    const b = this.thread.x;
    let m = x[b];
    for (let f = 1; f < n; f++) {
      const v = x[f * batch + b];
      if (v > m) {
        m = v;
      }
    }
    return m;
  }`,
};

const COLUMN_SUM_EXP: KernelDef = {
  name: 'column-sum-exp',
  pipeline: true,
  source: `function (x, m, n, batch) {
    const b = this.thread.x;
    const mb = m[b];
    let s = 0;
    for (let f = 0; f < n; f++) {
      s += Math.exp(x[f * batch + b] - mb);
    }
    return s;
  }`,
};

const SOFTMAX: KernelDef = {
  name: 'softmax',
  source: `function (x, m, s, batch) {
    const b = this.thread.x;
    return Math.exp(x[this.thread.y * batch + b] - m[b]) / s[b];
  }`,
};

const COLUMN_DOT: KernelDef = {
  name: 'column-dot',
  pipeline: true,
  source: `function (y, dy, n, batch) {
    const b = this.thread.x;
    let s = 0;
    for (let f = 0; f < n; f++) {
      s += dy[f * batch + b] * y[f * batch + b];
    }
    return s;
  }`,
};

const SOFTMAX_BACKWARD: KernelDef = {
  name: 'softmax-backward',
  source: `function (y, dy, d, batch) {
    const b = this.thread.x;
    const i = this.thread.y * batch + b;
    return y[i] * (dy[i] - d[b]);
  }`,
};

const DROPOUT: KernelDef = {
  name: 'dropout',
  source: 'function (x, mask, p) { const i = this.thread.x; return mask[i] > 0.5 ? x[i] * p[0] : 0; }',
};

/** The activation ops of a gpu.js backend. */
export class ActivationOps {
  constructor(private readonly ctx: GpujsContext) {}

  private checkFlat(op: string, n: number): void {
    checkIndexRange(this.ctx.limits, op, [['the array', n]]);
  }

  private checkGrid(op: string, n: number, batch: number): void {
    checkIndexRange(this.ctx.limits, op, [['the array (n x batch)', n * batch]]);
    checkOutput2d(this.ctx.limits, op, batch, n, 'batch x features');
  }

  unaryForward(op: UnaryOp, x: Float32Array, alpha: number, y: Float32Array): Float32Array {
    const n = x.length;
    this.checkFlat(`unaryForward(${op})`, n);
    if (op === 'identity') {
      this.ctx.hostRead(x);
      this.ctx.beforeHostWrite(y, x.length);
      y.set(x);
      return y;
    }
    if (n === 0) return y;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      return c.result1d(c.run(UNARY_FORWARD[op], 1, [n], c.upload(x, 'x', temps), Float32Array.of(alpha)), y, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  unaryBackward(op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, alpha: number, dx: Float32Array): Float32Array {
    const n = dy.length;
    this.checkFlat(`unaryBackward(${op})`, n);
    if (op === 'identity') {
      this.ctx.hostRead(dy);
      this.ctx.beforeHostWrite(dx, dy.length);
      dx.set(dy);
      return dx;
    }
    if (n === 0) return dx;
    const def = UNARY_BACKWARD[op];
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const r = c.run(def, 1, [n], c.upload(def.usesOutput ? y : x, 'x', temps), c.upload(dy, 'dy', temps), Float32Array.of(alpha));
      return c.result1d(r, dx, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  sreluForward(x: Float32Array, n: number, batch: number, p: SReluParams, y: Float32Array): Float32Array {
    this.checkGrid('sreluForward', n, batch);
    if (n * batch === 0) return y;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const r = c.run(SRELU_FORWARD, 1, [batch, n], c.upload(x, 'x', temps), c.upload(p.tl, 'tl', temps), c.upload(p.al, 'al', temps),
        c.upload(p.tr, 'tr', temps), c.upload(p.ar, 'ar', temps), batch);
      return c.result2d(r, y, batch, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  sreluBackward(
    x: Float32Array, n: number, batch: number, p: SReluParams, dy: Float32Array, dx: Float32Array, dp: SReluParams,
  ): Float32Array {
    this.checkGrid('sreluBackward', n, batch);
    if (n * batch === 0) return dx;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const X = c.upload(x, 'x', temps), DY = c.upload(dy, 'dy', temps);
      const TL = c.upload(p.tl, 'tl', temps), AL = c.upload(p.al, 'al', temps), TR = c.upload(p.tr, 'tr', temps), AR = c.upload(p.ar, 'ar', temps);
      c.result2d(c.run(SRELU_DX, 1, [batch, n], X, TL, AL, TR, AR, DY, batch), dx, batch, n);
      const g = c.run(SRELU_DP, batch, [n, 4], X, TL, AL, TR, AR, DY,
        c.upload(dp.tl, 'dtl', temps), c.upload(dp.al, 'dal', temps), c.upload(dp.tr, 'dtr', temps), c.upload(dp.ar, 'dar', temps), batch);
      // Rows 0..3 of the [n, 4] result are the accumulated tl, al, tr, ar gradients.
      const all = new Float32Array(4 * n);
      c.read2d(g, all, n, 4);
      for (const d of [dp.tl, dp.al, dp.tr, dp.ar]) c.beforeHostWrite(d, n);
      dp.tl.set(all.subarray(0, n));
      dp.al.set(all.subarray(n, 2 * n));
      dp.tr.set(all.subarray(2 * n, 3 * n));
      dp.ar.set(all.subarray(3 * n, 4 * n));
      return dx;
    } finally {
      this.ctx.free(temps);
    }
  }

  softmaxForward(x: Float32Array, n: number, batch: number, y: Float32Array): Float32Array {
    this.checkGrid('softmaxForward', n, batch);
    if (n * batch === 0) return y;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const X = c.upload(x, 'x', temps);
      const M = c.run(COLUMN_MAX, n, [batch], X, n, batch);
      const S = c.run(COLUMN_SUM_EXP, n, [batch], X, M, n, batch);
      return c.result2d(c.run(SOFTMAX, 1, [batch, n], X, M, S, batch), y, batch, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  softmaxBackward(y: Float32Array, dy: Float32Array, n: number, batch: number, dx: Float32Array): Float32Array {
    this.checkGrid('softmaxBackward', n, batch);
    if (n * batch === 0) return dx;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const Y = c.upload(y, 'y', temps), DY = c.upload(dy, 'dy', temps);
      const D = c.run(COLUMN_DOT, n, [batch], Y, DY, n, batch);
      return c.result2d(c.run(SOFTMAX_BACKWARD, 1, [batch, n], Y, DY, D, batch), dx, batch, n);
    } finally {
      this.ctx.free(temps);
    }
  }

  dropoutForward(x: Float32Array, mask: Uint8Array, scale: number, y: Float32Array): Float32Array {
    const n = x.length;
    this.checkFlat('dropoutForward', n);
    if (n === 0) return y;
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      return c.result1d(c.run(DROPOUT, 1, [n], c.upload(x, 'x', temps), c.upload(mask, 'mask', temps), Float32Array.of(scale)), y, n);
    } finally {
      this.ctx.free(temps);
    }
  }
}
