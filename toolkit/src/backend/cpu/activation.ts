/**
 * Activation functions and their gradients, element-wise over feature-major arrays.
 *
 * @packageDocumentation
 */
import type { SReluParams, UnaryOp } from '../backend';

/**
 * `y = f(x)` for a parameter-free activation; `alpha` is the slope for x < 0 of `leaky-relu`, rounded to
 * float32 (so `alpha * x` is one float32 multiplication, as in every backend).
 */
export function unaryForward(op: UnaryOp, x: Float32Array, alpha: number, y: Float32Array): Float32Array {
  const n = x.length;
  alpha = Math.fround(alpha);
  switch (op) {
    case 'identity':
      y.set(x);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) y[i] = x[i]! > 0 ? x[i]! : 0;
      break;
    case 'leaky-relu':
      for (let i = 0; i < n; i++) y[i] = x[i]! > 0 ? x[i]! : alpha * x[i]!;
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) y[i] = Math.tanh(x[i]!);
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) y[i] = 1 / (1 + Math.exp(-x[i]!));
      break;
  }
  return y;
}

/** `dx = f'(x) * dy`, using the forward input `x` or output `y`, whichever is cheaper (`alpha` as in the forward). */
export function unaryBackward(
  op: UnaryOp, x: Float32Array, y: Float32Array, dy: Float32Array, alpha: number, dx: Float32Array,
): Float32Array {
  const n = dy.length;
  alpha = Math.fround(alpha);
  switch (op) {
    case 'identity':
      dx.set(dy);
      break;
    case 'relu':
      for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : 0;
      break;
    case 'leaky-relu':
      for (let i = 0; i < n; i++) dx[i] = x[i]! > 0 ? dy[i]! : alpha * dy[i]!;
      break;
    case 'tanh':
      for (let i = 0; i < n; i++) dx[i] = (1 - y[i]! * y[i]!) * dy[i]!;
      break;
    case 'sigmoid':
      for (let i = 0; i < n; i++) dx[i] = y[i]! * (1 - y[i]!) * dy[i]!;
      break;
  }
  return dx;
}

/**
 * S-shaped ReLU (Jin et al., AAAI 2016), the activation of the SET paper:
 * `f(x) = tr + ar (x - tr)` for x >= tr, `x` for tl < x < tr, `tl + al (x - tl)` for x <= tl,
 * with four trainable parameters per neuron.
 */
export function sreluForward(x: Float32Array, n: number, batch: number, p: SReluParams, y: Float32Array): Float32Array {
  for (let j = 0; j < n; j++) {
    const tl = p.tl[j]!, al = p.al[j]!, tr = p.tr[j]!, ar = p.ar[j]!;
    const o = j * batch;
    for (let b = 0; b < batch; b++) {
      const v = x[o + b]!;
      y[o + b] = v >= tr ? tr + ar * (v - tr) : v <= tl ? tl + al * (v - tl) : v;
    }
  }
  return y;
}

/** SReLU backward: writes `dx`; accumulates the per-neuron parameter gradients into `dp`. */
export function sreluBackward(
  x: Float32Array, n: number, batch: number, p: SReluParams, dy: Float32Array, dx: Float32Array, dp: SReluParams,
): Float32Array {
  for (let j = 0; j < n; j++) {
    const tl = p.tl[j]!, al = p.al[j]!, tr = p.tr[j]!, ar = p.ar[j]!;
    let gtl = 0, gal = 0, gtr = 0, gar = 0;
    const o = j * batch;
    for (let b = 0; b < batch; b++) {
      const v = x[o + b]!;
      const g = dy[o + b]!;
      if (v >= tr) {
        dx[o + b] = ar * g;
        gtr += (1 - ar) * g;
        gar += (v - tr) * g;
      } else if (v <= tl) {
        dx[o + b] = al * g;
        gtl += (1 - al) * g;
        gal += (v - tl) * g;
      } else {
        dx[o + b] = g;
      }
    }
    dp.tl[j]! += gtl;
    dp.al[j]! += gal;
    dp.tr[j]! += gtr;
    dp.ar[j]! += gar;
  }
  return dx;
}

/** Softmax over the `n` features of each of `batch` samples (numerically stabilised by the max). */
export function softmaxForward(x: Float32Array, n: number, batch: number, y: Float32Array): Float32Array {
  for (let b = 0; b < batch; b++) {
    let m = -Infinity;
    for (let f = 0; f < n; f++) m = Math.max(m, x[f * batch + b]!);
    let s = 0;
    for (let f = 0; f < n; f++) {
      const e = Math.exp(x[f * batch + b]! - m);
      y[f * batch + b] = e;
      s += e;
    }
    for (let f = 0; f < n; f++) y[f * batch + b]! /= s;
  }
  return y;
}

/** `dx = y * (dy - sum_f dy_f y_f)` per sample. */
export function softmaxBackward(y: Float32Array, dy: Float32Array, n: number, batch: number, dx: Float32Array): Float32Array {
  for (let b = 0; b < batch; b++) {
    let s = 0;
    for (let f = 0; f < n; f++) s += dy[f * batch + b]! * y[f * batch + b]!;
    for (let f = 0; f < n; f++) dx[f * batch + b] = y[f * batch + b]! * (dy[f * batch + b]! - s);
  }
  return dx;
}

/** Applies a dropout mask: `y = mask ? x * scale : 0`, with `scale` rounded to float32. */
export function dropoutForward(x: Float32Array, mask: Uint8Array, scale: number, y: Float32Array): Float32Array {
  scale = Math.fround(scale);
  for (let i = 0; i < x.length; i++) y[i] = mask[i] ? x[i]! * scale : 0;
  return y;
}
