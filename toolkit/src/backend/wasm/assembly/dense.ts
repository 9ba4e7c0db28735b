/**
 * The dense layer products (AssemblyScript; compiled into kernels.wasm through index.ts): forward and input
 * gradient as one strided gather, and the weight gradient as dots.
 */
import { dot1, dot4 } from './dot';

// ---------------------------------------------------------------------------------------------------------
// Dense gather-axpy: out[r,:] = init[r] + sum_{t < nTerms} w[r * rowStep + t * termStep] * src[t,:].
// rowStep/termStep are in bytes: (nIn*4, 4) gives the dense forward, (4, nIn*4) the dense input gradient.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function dgather24(wp: usize, termStep: usize, nTerms: i32, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  let s = src;
  for (let t = 0; t < nTerms; t++) {
    const w = v128.load32_splat(wp);
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s, 0)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(s, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w, v128.load(s, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w, v128.load(s, 48)));
    a4 = f32x4.add(a4, f32x4.mul(w, v128.load(s, 64)));
    a5 = f32x4.add(a5, f32x4.mul(w, v128.load(s, 80)));
    wp += termStep;
    s += stride;
  }
  v128.store(dst, a0, 0);
  v128.store(dst, a1, 16);
  v128.store(dst, a2, 32);
  v128.store(dst, a3, 48);
  v128.store(dst, a4, 64);
  v128.store(dst, a5, 80);
}

// @ts-ignore: decorator
@inline function dgather16(wp: usize, termStep: usize, nTerms: i32, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let a1 = a0, a2 = a0, a3 = a0;
  let s = src;
  for (let t = 0; t < nTerms; t++) {
    const w = v128.load32_splat(wp);
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s, 0)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(s, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w, v128.load(s, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w, v128.load(s, 48)));
    wp += termStep;
    s += stride;
  }
  v128.store(dst, a0, 0);
  v128.store(dst, a1, 16);
  v128.store(dst, a2, 32);
  v128.store(dst, a3, 48);
}

// @ts-ignore: decorator
@inline function dgather8(wp: usize, termStep: usize, nTerms: i32, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let a1 = a0;
  let s = src;
  for (let t = 0; t < nTerms; t++) {
    const w = v128.load32_splat(wp);
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s, 0)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(s, 16)));
    wp += termStep;
    s += stride;
  }
  v128.store(dst, a0, 0);
  v128.store(dst, a1, 16);
}

// @ts-ignore: decorator
@inline function dgather4(wp: usize, termStep: usize, nTerms: i32, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let s = src;
  for (let t = 0; t < nTerms; t++) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(wp), v128.load(s)));
    wp += termStep;
    s += stride;
  }
  v128.store(dst, a0);
}

// @ts-ignore: decorator
@inline function dgather1(wp: usize, termStep: usize, nTerms: i32, src: usize, stride: usize, dst: usize, init: f32): void {
  let a: f32 = init;
  let s = src;
  for (let t = 0; t < nTerms; t++) {
    a += load<f32>(wp) * load<f32>(s);
    wp += termStep;
    s += stride;
  }
  store<f32>(dst, a);
}

/** Dense gather-axpy over rows `r0 <= r < r1` (see the section comment). `bias` = 0 means no bias. */
export function denseGatherRows(
  w: usize, rowStep: usize, termStep: usize, nTerms: i32, src: usize, batch: i32, bias: usize, out: usize, r0: i32, r1: i32,
): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    const wp = w + <usize>r * rowStep;
    const init: f32 = bias != 0 ? load<f32>(bias + (<usize>r << 2)) : 0;
    const o = out + <usize>r * stride;
    let b = 0;
    for (; b + 24 <= batch; b += 24) dgather24(wp, termStep, nTerms, src + (<usize>b << 2), stride, o + (<usize>b << 2), init);
    if (b + 16 <= batch) { dgather16(wp, termStep, nTerms, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 16; }
    if (b + 8 <= batch) { dgather8(wp, termStep, nTerms, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 8; }
    if (b + 4 <= batch) { dgather4(wp, termStep, nTerms, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 4; }
    for (; b < batch; b++) dgather1(wp, termStep, nTerms, src + (<usize>b << 2), stride, o + (<usize>b << 2), init);
  }
}

/** Dense weight gradient for rows `r0 <= r < r1`: `dw[r * nIn + i] = dot(dy[r,:], x[i,:])`. */
export function denseDotRows(nIn: i32, dy: usize, x: usize, batch: i32, dw: usize, r0: i32, r1: i32): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    const d = dy + <usize>r * stride;
    const o = dw + <usize>r * (<usize>nIn << 2);
    let i = 0;
    for (; i + 4 <= nIn; i += 4) {
      const s = x + <usize>i * stride;
      const q = o + (<usize>i << 2);
      dot4(d, s, s + stride, s + 2 * stride, s + 3 * stride, batch, q, q + 4, q + 8, q + 12);
    }
    for (; i < nIn; i++) dot1(d, x + <usize>i * stride, batch, o + (<usize>i << 2));
  }
}
