/**
 * WebAssembly SIMD kernels for the products of sparse and dense layers (AssemblyScript source, compiled by
 * scripts/build-wasm.sh; not part of the TypeScript project).
 *
 * Layout: feature-major activations, `x[f * batch + b]` (DESIGN.md, "The hot path and its data layout"). All
 * arguments are byte addresses in the (imported, shared) linear memory, laid out by the TypeScript side.
 *
 * Every kernel works on a range of output rows `[r0, r1)` and writes only those rows, so a caller can split
 * the rows between threads in any way and get the same bits: no output element is ever reduced across
 * threads, and the arithmetic for one element does not depend on the range it was computed in.
 *
 * Arithmetic: f32 multiply then f32 add, in the same term order as the CPU reference. The reference (plain
 * JavaScript over Float32Array) forms the product in double precision and rounds once per update, so the two
 * agree to rounding, not bit for bit. Within this module the result for one element depends only on its
 * inputs and the batch size, never on the thread count or the row range.
 */

// ---------------------------------------------------------------------------------------------------------
// Gather-axpy over CSR rows: out[r,:] = init[r] + sum_{p in ptr[r] .. ptr[r+1]} val[p] * src[idx[p],:].
// Used for the sparse forward (CSR) and for the sparse input gradient (CSC of the same matrix).
// The batch is processed in register-resident blocks of 24 floats (six f32x4 accumulators: measured faster
// than 16 or 32 on V8), then one block each of 16, 8 and 4 if needed, then a scalar tail. The summation
// order of one output element is the same in every block width (init, then p increasing).
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function gather24(p0: i32, p1: i32, idx: usize, val: usize, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  for (let p = p0; p < p1; p++) {
    const w = v128.load32_splat(val + (<usize>p << 2));
    const s = src + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s, 0)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(s, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w, v128.load(s, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w, v128.load(s, 48)));
    a4 = f32x4.add(a4, f32x4.mul(w, v128.load(s, 64)));
    a5 = f32x4.add(a5, f32x4.mul(w, v128.load(s, 80)));
  }
  v128.store(dst, a0, 0);
  v128.store(dst, a1, 16);
  v128.store(dst, a2, 32);
  v128.store(dst, a3, 48);
  v128.store(dst, a4, 64);
  v128.store(dst, a5, 80);
}

// @ts-ignore: decorator
@inline function gather16(p0: i32, p1: i32, idx: usize, val: usize, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let a1 = a0, a2 = a0, a3 = a0;
  for (let p = p0; p < p1; p++) {
    const w = v128.load32_splat(val + (<usize>p << 2));
    const s = src + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s, 0)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(s, 16)));
    a2 = f32x4.add(a2, f32x4.mul(w, v128.load(s, 32)));
    a3 = f32x4.add(a3, f32x4.mul(w, v128.load(s, 48)));
  }
  v128.store(dst, a0, 0);
  v128.store(dst, a1, 16);
  v128.store(dst, a2, 32);
  v128.store(dst, a3, 48);
}

// @ts-ignore: decorator
@inline function gather8(p0: i32, p1: i32, idx: usize, val: usize, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  let a1 = a0;
  for (let p = p0; p < p1; p++) {
    const w = v128.load32_splat(val + (<usize>p << 2));
    const s = src + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s, 0)));
    a1 = f32x4.add(a1, f32x4.mul(w, v128.load(s, 16)));
  }
  v128.store(dst, a0, 0);
  v128.store(dst, a1, 16);
}

// @ts-ignore: decorator
@inline function gather4(p0: i32, p1: i32, idx: usize, val: usize, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  for (let p = p0; p < p1; p++) {
    const w = v128.load32_splat(val + (<usize>p << 2));
    const s = src + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load(s)));
  }
  v128.store(dst, a0);
}

// @ts-ignore: decorator
@inline function gather1(p0: i32, p1: i32, idx: usize, val: usize, src: usize, stride: usize, dst: usize, init: f32): void {
  let a: f32 = init;
  for (let p = p0; p < p1; p++) {
    a += load<f32>(val + (<usize>p << 2)) * load<f32>(src + <usize>load<i32>(idx + (<usize>p << 2)) * stride);
  }
  store<f32>(dst, a);
}

/**
 * `out[r,:] = (bias ? bias[r] : 0) + sum_p val[p] * src[idx[p],:]` for rows `r0 <= r < r1` of a compressed
 * (CSR or CSC) index `ptr/idx`. `bias` = 0 means no bias.
 */
export function gatherRows(
  ptr: usize, idx: usize, val: usize, src: usize, batch: i32, bias: usize, out: usize, r0: i32, r1: i32,
): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    const p0 = load<i32>(ptr + (<usize>r << 2));
    const p1 = load<i32>(ptr + (<usize>r << 2), 4);
    const init: f32 = bias != 0 ? load<f32>(bias + (<usize>r << 2)) : 0;
    const o = out + <usize>r * stride;
    let b = 0;
    for (; b + 24 <= batch; b += 24) gather24(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init);
    if (b + 16 <= batch) { gather16(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 16; }
    if (b + 8 <= batch) { gather8(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 8; }
    if (b + 4 <= batch) { gather4(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 4; }
    for (; b < batch; b++) gather1(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init);
  }
}

/** `dst[p] = val[perm[p]]` for the entries of rows `r0 <= r < r1` of the index `ptr` (CSC value gather). */
export function permuteRows(ptr: usize, perm: usize, val: usize, dst: usize, r0: i32, r1: i32): void {
  const p0 = load<i32>(ptr + (<usize>r0 << 2));
  const p1 = load<i32>(ptr + (<usize>r1 << 2));
  for (let p = p0; p < p1; p++) {
    store<f32>(dst + (<usize>p << 2), load<f32>(val + (<usize>load<i32>(perm + (<usize>p << 2)) << 2)));
  }
}

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

// ---------------------------------------------------------------------------------------------------------
// Dot products over the batch: d = dot(a[0..batch), b[0..batch)). One vector accumulator per dot, added in
// batch order; then lanes ((0 + 1) + (2 + 3)); then the scalar tail in batch order. The same sequence is used
// whether four dots are computed together or one alone, so a result never depends on its neighbours.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function dot4(d: usize, s0: usize, s1: usize, s2: usize, s3: usize, batch: i32, dst: usize, dstStep: usize): void {
  let a0 = f32x4.splat(0);
  let a1 = a0, a2 = a0, a3 = a0;
  const nv = batch & ~3;
  for (let o: usize = 0; o < (<usize>nv << 2); o += 16) {
    const g = v128.load(d + o);
    a0 = f32x4.add(a0, f32x4.mul(g, v128.load(s0 + o)));
    a1 = f32x4.add(a1, f32x4.mul(g, v128.load(s1 + o)));
    a2 = f32x4.add(a2, f32x4.mul(g, v128.load(s2 + o)));
    a3 = f32x4.add(a3, f32x4.mul(g, v128.load(s3 + o)));
  }
  let t0 = hsum(a0), t1 = hsum(a1), t2 = hsum(a2), t3 = hsum(a3);
  for (let b = nv; b < batch; b++) {
    const o = <usize>b << 2;
    const g = load<f32>(d + o);
    t0 += g * load<f32>(s0 + o);
    t1 += g * load<f32>(s1 + o);
    t2 += g * load<f32>(s2 + o);
    t3 += g * load<f32>(s3 + o);
  }
  store<f32>(dst, t0);
  store<f32>(dst + dstStep, t1);
  store<f32>(dst + 2 * dstStep, t2);
  store<f32>(dst + 3 * dstStep, t3);
}

// @ts-ignore: decorator
@inline function dot1(d: usize, s0: usize, batch: i32, dst: usize): void {
  let a0 = f32x4.splat(0);
  const nv = batch & ~3;
  for (let o: usize = 0; o < (<usize>nv << 2); o += 16) {
    a0 = f32x4.add(a0, f32x4.mul(v128.load(d + o), v128.load(s0 + o)));
  }
  let t0 = hsum(a0);
  for (let b = nv; b < batch; b++) {
    const o = <usize>b << 2;
    t0 += load<f32>(d + o) * load<f32>(s0 + o);
  }
  store<f32>(dst, t0);
}

/** Sparse weight gradient for rows `r0 <= r < r1`: `dw[p] = dot(dy[r,:], x[col[p],:])` for p in row r. */
export function dotRows(ptr: usize, idx: usize, dy: usize, x: usize, batch: i32, dw: usize, r0: i32, r1: i32): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    const p1 = load<i32>(ptr + (<usize>r << 2), 4);
    const d = dy + <usize>r * stride;
    let p = load<i32>(ptr + (<usize>r << 2));
    for (; p + 4 <= p1; p += 4) {
      const ip = idx + (<usize>p << 2);
      dot4(
        d,
        x + <usize>load<i32>(ip, 0) * stride,
        x + <usize>load<i32>(ip, 4) * stride,
        x + <usize>load<i32>(ip, 8) * stride,
        x + <usize>load<i32>(ip, 12) * stride,
        batch, dw + (<usize>p << 2), 4,
      );
    }
    for (; p < p1; p++) dot1(d, x + <usize>load<i32>(idx + (<usize>p << 2)) * stride, batch, dw + (<usize>p << 2));
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
      dot4(d, s, s + stride, s + 2 * stride, s + 3 * stride, batch, o + (<usize>i << 2), 4);
    }
    for (; i < nIn; i++) dot1(d, x + <usize>i * stride, batch, o + (<usize>i << 2));
  }
}

/** First free byte after the module's static data: the TypeScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
