/**
 * A Float64 re-implementation of a {@link Sequential} network's forward pass and losses, written from the
 * layer definitions, used as the oracle of the gradient checks. Parameters are read from a map of Float64
 * copies so that central differences can perturb them without float32 rounding.
 */
import { expect } from 'vitest';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import { Dropout } from '../../toolkit/src/nn/dropout';
import { Softmax, SRelu, UnaryActivation } from '../../toolkit/src/nn/activation';
import type { ForwardContext, Layer, Param } from '../../toolkit/src/nn/layer';
import type { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';

export type ParamValues = Map<Param, Float64Array>;

/** Float64 copies of every parameter of `net`. */
export function copyParams(net: Sequential): ParamValues {
  return new Map(net.params().map((p) => [p, Float64Array.from(p.values)]));
}

/** The 0/1 keep-mask a dropout layer applies in `ctx`, observed by passing ones through a twin layer. */
function dropoutScaleMask(layer: Dropout, batch: number, ctx: ForwardContext, net: Sequential): Float64Array {
  const twin = new Dropout(layer.n, layer.rate, layer.index);
  twin.setBackend(net.backend);
  return Float64Array.from(twin.forward(new Float32Array(layer.n * batch).fill(1), batch, ctx));
}

function layerForward(layer: Layer, h: Float64Array, batch: number, v: ParamValues, ctx: ForwardContext, net: Sequential): Float64Array {
  if (layer instanceof SparseLinear) {
    const w = layer.weights, wv = v.get(layer.weight)!, bv = v.get(layer.bias)!;
    const y = new Float64Array(w.rows * batch);
    for (let j = 0; j < w.rows; j++) {
      for (let b = 0; b < batch; b++) {
        let s = bv[j]!;
        for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) s += wv[k]! * h[w.colIdx[k]! * batch + b]!;
        y[j * batch + b] = s;
      }
    }
    return y;
  }
  if (layer instanceof DenseLinear) {
    const wv = v.get(layer.weight)!, bv = v.get(layer.bias)!;
    const y = new Float64Array(layer.nOut * batch);
    for (let j = 0; j < layer.nOut; j++) {
      for (let b = 0; b < batch; b++) {
        let s = bv[j]!;
        for (let i = 0; i < layer.nIn; i++) s += wv[j * layer.nIn + i]! * h[i * batch + b]!;
        y[j * batch + b] = s;
      }
    }
    return y;
  }
  if (layer instanceof UnaryActivation) {
    const a = layer.alpha;
    const f: Record<string, (x: number) => number> = {
      identity: (x) => x,
      relu: (x) => (x > 0 ? x : 0),
      'leaky-relu': (x) => (x > 0 ? x : a * x),
      tanh: Math.tanh,
      sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    };
    return h.map(f[layer.op]!);
  }
  if (layer instanceof SRelu) {
    const [tl, al, tr, ar] = layer.params().map((p) => v.get(p)!);
    return h.map((x, i) => {
      const j = Math.floor(i / batch);
      return x >= tr![j]! ? tr![j]! + ar![j]! * (x - tr![j]!) : x <= tl![j]! ? tl![j]! + al![j]! * (x - tl![j]!) : x;
    });
  }
  if (layer instanceof Softmax) {
    const y = new Float64Array(h.length);
    for (let b = 0; b < batch; b++) {
      let m = -Infinity, s = 0;
      for (let f = 0; f < layer.n; f++) m = Math.max(m, h[f * batch + b]!);
      for (let f = 0; f < layer.n; f++) s += Math.exp(h[f * batch + b]! - m);
      for (let f = 0; f < layer.n; f++) y[f * batch + b] = Math.exp(h[f * batch + b]! - m) / s;
    }
    return y;
  }
  if (layer instanceof Dropout) {
    if (!ctx.training || layer.rate === 0) return h;
    const m = dropoutScaleMask(layer, batch, ctx, net);
    return h.map((x, i) => x * m[i]!);
  }
  throw new Error(`the oracle does not know layer kind ${layer.kind}`);
}

/** The network output in Float64. */
export function forward64(net: Sequential, x: ArrayLike<number>, batch: number, v: ParamValues, ctx: ForwardContext): Float64Array {
  let h: Float64Array = Float64Array.from(x);
  for (const layer of net.layers) h = layerForward(layer, h, batch, v, ctx, net);
  return h;
}

/** Mean softmax cross-entropy of logits `out` (n x batch). */
export function crossEntropy64(out: Float64Array, labels: Int32Array, n: number, batch: number): number {
  let total = 0;
  for (let b = 0; b < batch; b++) {
    let m = -Infinity, s = 0;
    for (let f = 0; f < n; f++) m = Math.max(m, out[f * batch + b]!);
    for (let f = 0; f < n; f++) s += Math.exp(out[f * batch + b]! - m);
    total += m + Math.log(s) - out[labels[b]! * batch + b]!;
  }
  return total / batch;
}

/** Mean over samples of `sum_f (y - onehot)^2 / n`. */
export function mse64(out: Float64Array, labels: Int32Array, n: number, batch: number): number {
  let total = 0;
  for (let b = 0; b < batch; b++) for (let f = 0; f < n; f++) total += (out[f * batch + b]! - (f === labels[b] ? 1 : 0)) ** 2 / n;
  return total / batch;
}

/**
 * Checks every parameter gradient the library computed (`param.grad`, already filled) against central
 * differences of the Float64 oracle loss, with max-norm relative error per parameter below `rel`.
 */
export function expectGradientsMatch(net: Sequential, loss: (v: ParamValues) => number, rel: number, h = 1e-6): void {
  const base = copyParams(net);
  for (const p of net.params()) {
    const vals = base.get(p)!;
    const fd = new Float64Array(vals.length);
    for (let i = 0; i < vals.length; i++) {
      const keep = vals[i]!;
      vals[i] = keep + h;
      const up = loss(base);
      vals[i] = keep - h;
      const down = loss(base);
      vals[i] = keep;
      fd[i] = (up - down) / (2 * h);
    }
    let diff = 0, scale = 0;
    for (let i = 0; i < fd.length; i++) {
      diff = Math.max(diff, Math.abs(p.grad[i]! - fd[i]!));
      scale = Math.max(scale, Math.abs(fd[i]!));
    }
    const err = scale === 0 ? diff : diff / scale;
    expect(err, `${p.name}: gradient relative error ${err.toExponential(2)} (scale ${scale.toExponential(2)})`).toBeLessThanOrEqual(rel);
    expect(p.grad.length).toBe(p.values.length);
  }
}
