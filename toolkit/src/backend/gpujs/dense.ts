/**
 * Dense linear-layer products as gpu.js kernels (row-major weights `w[j * nIn + i]`, feature-major
 * activations), one output value per thread.
 *
 * @packageDocumentation
 */
import type { GpujsContext, KernelDef } from './context';
import type { GpuTexture } from './gpujs-api';
import { checkIndexRange, checkOutput2d } from './limits';

const FORWARD: KernelDef = {
  name: 'dense-forward',
  source: `function (w, x, bias, nIn, batch, hasBias) {
    const j = this.thread.y;
    const b = this.thread.x;
    const wo = j * nIn;
    let s = 0;
    if (hasBias > 0) {
      s = bias[j];
    }
    for (let i = 0; i < nIn; i++) {
      s += w[wo + i] * x[i * batch + b];
    }
    return s;
  }`,
};

const INPUT_GRAD: KernelDef = {
  name: 'dense-input-grad',
  source: `function (w, dy, nIn, nOut, batch) {
    const i = this.thread.y;
    const b = this.thread.x;
    let s = 0;
    for (let j = 0; j < nOut; j++) {
      s += w[j * nIn + i] * dy[j * batch + b];
    }
    return s;
  }`,
};

const WEIGHT_GRAD: KernelDef = {
  name: 'dense-weight-grad',
  source: `function (dy, x, batch) {
    const i = this.thread.x;
    const j = this.thread.y;
    const go = j * batch;
    const xo = i * batch;
    let s = 0;
    for (let b = 0; b < batch; b++) {
      s += dy[go + b] * x[xo + b];
    }
    return s;
  }`,
};

/** The dense ops of a gpu.js backend. */
export class DenseOps {
  constructor(private readonly ctx: GpujsContext) {}

  private check(op: string, nIn: number, nOut: number, batch: number, outW: number, outH: number): void {
    checkIndexRange(this.ctx.limits, op, [
      ['the weights (nOut x nIn)', nIn * nOut],
      ['the input (nIn x batch)', nIn * batch],
      ['the output (nOut x batch)', nOut * batch],
    ]);
    checkOutput2d(this.ctx.limits, op, outW, outH, 'of the 2-D output');
  }

  denseForward(
    w: Float32Array, nIn: number, nOut: number, x: Float32Array, batch: number, bias: Float32Array | null, y: Float32Array,
  ): Float32Array {
    this.check('denseForward', nIn, nOut, batch, batch, nOut);
    if (nOut * batch === 0) return y;
    if (nIn === 0) {
      if (bias !== null) this.ctx.hostRead(bias);
      this.ctx.beforeHostWrite(y, nOut * batch);
      for (let j = 0; j < nOut; j++) y.fill(bias === null ? 0 : bias[j]!, j * batch, (j + 1) * batch);
      return y;
    }
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const r = c.run(FORWARD, nIn, [batch, nOut], c.upload(w, 'w', temps), c.upload(x, 'x', temps),
        c.upload(bias ?? new Float32Array(1), 'bias', temps), nIn, batch, bias === null ? 0 : 1);
      return c.result2d(r, y, batch, nOut);
    } finally {
      this.ctx.free(temps);
    }
  }

  denseInputGrad(w: Float32Array, nIn: number, nOut: number, dy: Float32Array, batch: number, dx: Float32Array): Float32Array {
    this.check('denseInputGrad', nIn, nOut, batch, batch, nIn);
    if (nIn * batch === 0) return dx;
    if (nOut === 0) {
      this.ctx.beforeHostWrite(dx, nIn * batch);
      return dx.fill(0, 0, nIn * batch);
    }
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const r = c.run(INPUT_GRAD, nOut, [batch, nIn], c.upload(w, 'w', temps), c.upload(dy, 'dy', temps), nIn, nOut, batch);
      return c.result2d(r, dx, batch, nIn);
    } finally {
      this.ctx.free(temps);
    }
  }

  denseWeightGrad(nIn: number, nOut: number, dy: Float32Array, x: Float32Array, batch: number, dw: Float32Array): Float32Array {
    this.check('denseWeightGrad', nIn, nOut, batch, nIn, nOut);
    if (nIn * nOut === 0) return dw;
    if (batch === 0) {
      this.ctx.beforeHostWrite(dw, nIn * nOut);
      return dw.fill(0, 0, nIn * nOut);
    }
    const temps: GpuTexture[] = [];
    try {
      const c = this.ctx;
      const r = c.run(WEIGHT_GRAD, batch, [nIn, nOut], c.upload(dy, 'dy', temps), c.upload(x, 'x', temps), batch);
      return c.result2d(r, dw, nIn, nOut);
    } finally {
      this.ctx.free(temps);
    }
  }
}
