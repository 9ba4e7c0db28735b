/**
 * WebAssembly SIMD kernels for the products of sparse and dense layers, and the element-wise ops of a
 * training step (AssemblyScript source, compiled by scripts/build-wasm.sh; not part of the TypeScript
 * project).
 *
 * Layout: feature-major activations, `x[f * batch + b]` (DESIGN.md, "The hot path and its data layout"). All
 * arguments are byte addresses in the (imported, shared) linear memory, laid out by the TypeScript side.
 *
 * Every kernel works on a range of output rows `[r0, r1)` (element-wise kernels: a range of elements) and
 * writes only those, so a caller can split the range between threads in any way and get the same bits: no
 * output element is ever reduced across threads, and the arithmetic for one element does not depend on the
 * range it was computed in.
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

// Two lanes (a batch tail of 2 or 3, and batch 2 itself: the scaling experiment's batch). The low half of a
// vector register: the same f32 multiply and add per lane as the wider blocks, one walk of the row for both.
// @ts-ignore: decorator
@inline function gather2(p0: i32, p1: i32, idx: usize, val: usize, src: usize, stride: usize, dst: usize, init: f32): void {
  let a0 = f32x4.splat(init);
  for (let p = p0; p < p1; p++) {
    const w = v128.load32_splat(val + (<usize>p << 2));
    const s = src + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
    a0 = f32x4.add(a0, f32x4.mul(w, v128.load64_zero(s)));
  }
  v128.store64_lane(dst, a0, 0);
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
  for (let r = r0; r < r1; r++) gatherRow(ptr, idx, val, src, batch, bias, out, r);
}

/** Row `r` of {@link gatherRows}. */
// @ts-ignore: decorator
@inline function gatherRow(ptr: usize, idx: usize, val: usize, src: usize, batch: i32, bias: usize, out: usize, r: i32): void {
  const stride = <usize>batch << 2;
  const p0 = load<i32>(ptr + (<usize>r << 2));
  const p1 = load<i32>(ptr + (<usize>r << 2), 4);
  const init: f32 = bias != 0 ? load<f32>(bias + (<usize>r << 2)) : 0;
  const o = out + <usize>r * stride;
  let b = 0;
  for (; b + 24 <= batch; b += 24) gather24(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init);
  if (b + 16 <= batch) { gather16(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 16; }
  if (b + 8 <= batch) { gather8(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 8; }
  if (b + 4 <= batch) { gather4(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 4; }
  if (b + 2 <= batch) { gather2(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init); b += 2; }
  for (; b < batch; b++) gather1(p0, p1, idx, val, src + (<usize>b << 2), stride, o + (<usize>b << 2), init);
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
@inline function dot4(d: usize, s0: usize, s1: usize, s2: usize, s3: usize, batch: i32, o0: usize, o1: usize, o2: usize, o3: usize): void {
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
  store<f32>(o0, t0);
  store<f32>(o1, t1);
  store<f32>(o2, t2);
  store<f32>(o3, t3);
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

/**
 * Sparse weight gradient for rows `r0 <= r < r1`: `dw[p] = dot(dy[r,:], x[col[p],:])` for p in row r; with
 * `db` != 0 also the bias gradient `db[r]` (as {@link biasRows}), while the dy row is still in L1.
 */
export function dotRows(ptr: usize, idx: usize, dy: usize, x: usize, batch: i32, dw: usize, db: usize, r0: i32, r1: i32): void {
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
        batch, dw + (<usize>p << 2), dw + (<usize>p << 2) + 4, dw + (<usize>p << 2) + 8, dw + (<usize>p << 2) + 12,
      );
    }
    // The last two or three entries share each load of the dy row too: dot4 with an entry repeated (it
    // computes and stores the same dot twice; each dot adds exactly as dot1 does).
    const ip = idx + (<usize>p << 2), op = dw + (<usize>p << 2);
    const left = p1 - p;
    if (left >= 2) {
      const s0 = x + <usize>load<i32>(ip, 0) * stride, s1 = x + <usize>load<i32>(ip, 4) * stride;
      const s2 = left == 3 ? x + <usize>load<i32>(ip, 8) * stride : s1;
      dot4(d, s0, s1, s2, s2, batch, op, op + 4, op + (left == 3 ? 8 : 4), op + (left == 3 ? 8 : 4));
    } else if (left == 1) {
      dot1(d, x + <usize>load<i32>(ip) * stride, batch, op);
    }
    if (db != 0) biasRows(dy, batch, db, r, r + 1);
  }
}

/**
 * Weight and input gradients of a sparse layer in one walk of its transposed index, for columns
 * `c0 <= c < c1` (wide layers, whose activations do not fit in cache): for each entry p of column c (row
 * `row[p]`, CSR entry `k[p]`), `dw[k[p]] = dot(dy[row[p],:], x[c,:])`; and `dx[c,:] = sum_p valT[p] *
 * dy[row[p],:]`. With `epi` != 0, each dx row then goes through the gradients of the previous layer's
 * rectifier and dropout ({@link rectifyBackRow}). With `dbIn` != 0, `dbIn[c]` = the sum of the finished dx
 * row (the bias gradient of the layer before, as {@link biasRows} computes it), summed while the row is at hand.
 *
 * Loop order (columns of at most `blockBytes` of dy rows, `entries * batch * 4`; longer ones use a
 * whole-batch dot per entry, then the gather, which streams each row; the caller picks the cut).
 * The batch is the outer loop, in blocks of 16 lanes, and the column's entries the inner one: each
 * dy row block is loaded once for both products, and consecutive entries' rows are requested a few
 * instructions apart, so the out-of-order core has many of them in flight (a dot product over the whole batch
 * per entry, as in {@link dotRows}, is longer than its window, and each group of rows waited for memory in
 * turn). The dots' vector accumulators live in `acc` between blocks: `acc` holds 16 claim words, then 16 slots
 * of `slotBytes` (at least 16 bytes per entry of the longest column); a call claims a free slot atomically, so
 * threads never share one.
 *
 * In place (`dx` == `x`, for a caller that no longer needs the input): each block of a dx row is written
 * after the same block of the x row was read, and a long column's row is gathered into the slot's last
 * `stride` bytes (slotBytes counts them) and copied over the x row once its rectifier gradient has read it.
 * Nothing reads an x row after its column, so the results are the same; the input gradient then needs no
 * array of its own, and its rows are written where the x rows just came into cache.
 *
 * Bits: each dot adds its batch vectors in order into one vector accumulator, then lanes ((0 + 1) + (2 + 3)),
 * then the scalar tail in batch order, as {@link dot4}; each dx element adds its terms in entry order from 0,
 * as {@link gatherRows}. So the results are those of the row-wise and gather kernels.
 */
export function backwardColumns(
  ptr: usize, row: usize, k: usize, valT: usize, dy: usize, x: usize, batch: i32, dx: usize, dw: usize, epi: usize,
  acc: usize, slotBytes: i32, blockBytes: i32, dbIn: usize, c0: i32, c1: i32,
): void {
  let slot = 0;
  while (atomic.cmpxchg<i32>(acc + (<usize>slot << 2), 0, 1) != 0) slot = (slot + 1) & 15;
  const a = acc + 64 + <usize>slot * <usize>slotBytes;
  const stride = <usize>batch << 2;
  const nvec = batch >> 2, nv = nvec << 2;
  const zero = f32x4.splat(0);
  // A ReLU block before this layer (with or without dropout): its gradient is applied to each dx block in
  // registers, where the block's output (this layer's input, x) is loaded already; the same operations as
  // reluBackRowAs, so the same bits. Leaky ReLU (its byte record) goes through rectifyBackRow after the column.
  const flags = epi != 0 ? load<i32>(epi) : 0;
  const relu = epi != 0 && (flags & EPI_LEAKY) == 0;
  const drop = relu && (flags & EPI_DROP) != 0;
  const scale = drop ? reinterpret<f32>(load<i32>(epi, 20)) : 1;
  const vs = f32x4.splat(scale);
  const inPlace = dx == x;
  const rowBuf = a + <usize>slotBytes - stride;
  for (let c = c0; c < c1; c++) {
    const p0 = load<i32>(ptr + (<usize>c << 2));
    const p1 = load<i32>(ptr + (<usize>c << 2), 4);
    const xs = x + <usize>c * stride;
    const dxr = dx + <usize>c * stride;
    if (<usize>(p1 - p0) * stride > <usize>blockBytes) {
      // A long column: a whole-batch dot per entry, then the gather, streams each row (the same bits). In
      // place, the row is gathered aside (dxb: where row 0 would be for row c to land in rowBuf).
      longColumn(p0, p1, row, k, valT, dy, xs, batch, stride, dw);
      const dxb = inPlace ? rowBuf - <usize>c * stride : dx;
      gatherRows(ptr, row, valT, dy, batch, 0, dxb, c, c + 1);
      if (epi != 0) rectifyBackRow(epi, dxb + <usize>c * stride, xs, c * batch, batch);
      if (inPlace) memory.copy(dxr, rowBuf, stride);
      if (dbIn != 0) biasRows(dx, batch, dbIn, c, c + 1);
      continue;
    }
    // The bias sum of the finished dx row (only when its rectifier is applied in the blocks), in batch order.
    const sumHere = dbIn != 0 && (epi == 0 || relu);
    let bsum = zero;
    let v = 0;
    // The first block stores the dots' accumulators, the others add to them (two copies of the loop, so
    // that neither tests which it is per entry).
    if (nvec >= 4) {
      bsum = columnBlock(true, p0, p1, row, valT, dy, stride, 0, a, xs, dxr, drop, relu, sumHere, vs, bsum);
      v = 4;
    }
    for (; v + 4 <= nvec; v += 4) {
      bsum = columnBlock(false, p0, p1, row, valT, dy, stride, <usize>v << 4, a, xs, dxr, drop, relu, sumHere, vs, bsum);
    }
    for (; v < nvec; v++) {
      const o = <usize>v << 4;
      const x0 = v128.load(xs + o);
      let d0 = zero;
      for (let p = p0; p < p1; p++) {
        const w = v128.load32_splat(valT + (<usize>p << 2));
        const y0 = v128.load(dy + <usize>load<i32>(row + (<usize>p << 2)) * stride + o);
        const ap = a + (<usize>(p - p0) << 4);
        v128.store(ap, f32x4.add(v == 0 ? zero : v128.load(ap), f32x4.mul(x0, y0)));
        d0 = f32x4.add(d0, f32x4.mul(w, y0));
      }
      if (drop) d0 = f32x4.mul(d0, vs);
      if (relu) d0 = v128.and(d0, f32x4.gt(x0, zero));
      if (sumHere) bsum = f32x4.add(bsum, d0);
      v128.store(dxr + o, d0);
    }
    // The dots: lanes of the accumulator, then the scalar tail of the batch.
    for (let p = p0; p < p1; p++) {
      let t: f32 = nvec > 0 ? hsum(v128.load(a + (<usize>(p - p0) << 4))) : 0;
      const yr = dy + <usize>load<i32>(row + (<usize>p << 2)) * stride;
      for (let b = nv; b < batch; b++) t += load<f32>(xs + (<usize>b << 2)) * load<f32>(yr + (<usize>b << 2));
      store<f32>(dw + (<usize>load<i32>(k + (<usize>p << 2)) << 2), t);
    }
    // dx's scalar tail lanes.
    for (let b = nv; b < batch; b++) {
      let t: f32 = 0;
      for (let p = p0; p < p1; p++) {
        t += load<f32>(valT + (<usize>p << 2)) * load<f32>(dy + <usize>load<i32>(row + (<usize>p << 2)) * stride + (<usize>b << 2));
      }
      if (drop) t *= scale;
      if (relu) t = load<f32>(xs + (<usize>b << 2)) > 0 ? t : 0;
      store<f32>(dxr + (<usize>b << 2), t);
    }
    if (sumHere) {
      let t = hsum(bsum);
      for (let b = nv; b < batch; b++) t += load<f32>(dxr + (<usize>b << 2));
      store<f32>(dbIn + (<usize>c << 2), t);
    }
    if (epi != 0 && !relu) rectifyBackRow(epi, dxr, xs, c * batch, batch);
    if (dbIn != 0 && !sumHere) biasRows(dx, batch, dbIn, c, c + 1);
  }
  atomic.store<i32>(acc + (<usize>slot << 2), 0);
}

/**
 * Lanes `[o / 4, o / 4 + 16)` of one column of {@link backwardColumns}: the dots' accumulators (stored when
 * `first`, else added to) and the dx block, with the rectifier's gradient; returns the bias sum so far.
 */
// @ts-ignore: decorator
@inline function columnBlock(
  first: bool, p0: i32, p1: i32, row: usize, valT: usize, dy: usize, stride: usize, o: usize, a: usize, xs: usize, dxr: usize,
  drop: bool, relu: bool, sumHere: bool, vs: v128, bsum: v128,
): v128 {
  const zero = f32x4.splat(0);
  const x0 = v128.load(xs + o, 0), x1 = v128.load(xs + o, 16), x2 = v128.load(xs + o, 32), x3 = v128.load(xs + o, 48);
  let d0 = zero, d1 = zero, d2 = zero, d3 = zero;
  for (let p = p0; p < p1; p++) {
    const w = v128.load32_splat(valT + (<usize>p << 2));
    const s = dy + <usize>load<i32>(row + (<usize>p << 2)) * stride + o;
    const ap = a + (<usize>(p - p0) << 4);
    const y0 = v128.load(s, 0), y1 = v128.load(s, 16), y2 = v128.load(s, 32), y3 = v128.load(s, 48);
    let t = f32x4.add(first ? zero : v128.load(ap), f32x4.mul(x0, y0));
    t = f32x4.add(t, f32x4.mul(x1, y1));
    t = f32x4.add(t, f32x4.mul(x2, y2));
    t = f32x4.add(t, f32x4.mul(x3, y3));
    v128.store(ap, t);
    d0 = f32x4.add(d0, f32x4.mul(w, y0));
    d1 = f32x4.add(d1, f32x4.mul(w, y1));
    d2 = f32x4.add(d2, f32x4.mul(w, y2));
    d3 = f32x4.add(d3, f32x4.mul(w, y3));
  }
  if (drop) {
    d0 = f32x4.mul(d0, vs);
    d1 = f32x4.mul(d1, vs);
    d2 = f32x4.mul(d2, vs);
    d3 = f32x4.mul(d3, vs);
  }
  if (relu) {
    d0 = v128.and(d0, f32x4.gt(x0, zero));
    d1 = v128.and(d1, f32x4.gt(x1, zero));
    d2 = v128.and(d2, f32x4.gt(x2, zero));
    d3 = v128.and(d3, f32x4.gt(x3, zero));
  }
  if (sumHere) bsum = f32x4.add(f32x4.add(f32x4.add(f32x4.add(bsum, d0), d1), d2), d3);
  v128.store(dxr + o, d0, 0);
  v128.store(dxr + o, d1, 16);
  v128.store(dxr + o, d2, 32);
  v128.store(dxr + o, d3, 48);
  return bsum;
}

/** The weight gradients of one long column's entries `[p0, p1)` as {@link dotRows} computes them. */
// @ts-ignore: decorator
@inline function longColumn(
  p0: i32, p1: i32, row: usize, k: usize, valT: usize, dy: usize, xs: usize, batch: i32, stride: usize, dw: usize,
): void {
  let p = p0;
  for (; p + 4 <= p1; p += 4) {
    const rp = row + (<usize>p << 2), kp = k + (<usize>p << 2);
    dot4(
      xs,
      dy + <usize>load<i32>(rp, 0) * stride,
      dy + <usize>load<i32>(rp, 4) * stride,
      dy + <usize>load<i32>(rp, 8) * stride,
      dy + <usize>load<i32>(rp, 12) * stride,
      batch,
      dw + (<usize>load<i32>(kp, 0) << 2),
      dw + (<usize>load<i32>(kp, 4) << 2),
      dw + (<usize>load<i32>(kp, 8) << 2),
      dw + (<usize>load<i32>(kp, 12) << 2),
    );
  }
  for (; p < p1; p++) dot1(xs, dy + <usize>load<i32>(row + (<usize>p << 2)) * stride, batch, dw + (<usize>load<i32>(k + (<usize>p << 2)) << 2));
}

// ---------------------------------------------------------------------------------------------------------
// Scatter-axpy over CSR rows, for the sparse input gradient at small batches: dx[idx[p],:] += val[p] * dy[r,:]
// for rows r in increasing order. Each dx element receives its terms in increasing row order starting from
// zero, which is exactly the sequence of f32 operations of the gather over the transposed index (init 0, then
// the column's entries in increasing row order), so both give the same bits. The gather needs the values
// permuted into column order first: one random read per connection, which at batch 2 costs more than the
// products themselves; the scatter reads the values in place. It writes rows of dx chosen by the data, so it
// runs on one thread over all rows (the caller zeroes dx first).
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function scatterRow(p0: i32, p1: i32, idx: usize, val: usize, g: usize, batch: i32, dx: usize, stride: usize): void {
  const nv = batch & ~3;
  if (batch == 2) {
    const gv = v128.load64_zero(g);
    for (let p = p0; p < p1; p++) {
      const d = dx + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
      const w = v128.load32_splat(val + (<usize>p << 2));
      v128.store64_lane(d, f32x4.add(v128.load64_zero(d), f32x4.mul(w, gv)), 0);
    }
    return;
  }
  for (let p = p0; p < p1; p++) {
    const d = dx + <usize>load<i32>(idx + (<usize>p << 2)) * stride;
    const wf = load<f32>(val + (<usize>p << 2));
    const w = f32x4.splat(wf);
    let o: usize = 0;
    for (; o < (<usize>nv << 2); o += 16) v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.mul(w, v128.load(g + o))));
    for (let b = nv; b < batch; b++) {
      const q = <usize>b << 2;
      store<f32>(d + q, load<f32>(d + q) + wf * load<f32>(g + q));
    }
  }
}

/**
 * Sparse input gradient by scatter over CSR rows `r0 <= r < r1`: `dx[idx[p],:] += val[p] * dy[r,:]`. Only
 * for a single thread over all rows in one call (rows must come in increasing order); `dx` zeroed by the caller.
 */
export function scatterRows(ptr: usize, idx: usize, val: usize, dy: usize, batch: i32, dx: usize, r0: i32, r1: i32): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    scatterRow(load<i32>(ptr + (<usize>r << 2)), load<i32>(ptr + (<usize>r << 2), 4), idx, val, dy + <usize>r * stride, batch, dx, stride);
  }
}

/**
 * The whole backward pass of a sparse layer in one walk of its rows `r0 <= r < r1` (small batches): the weight
 * gradient at each connection (as {@link dotRows}), the bias gradient (as {@link biasRows}) and, when
 * `dx` != 0, the input gradient by scatter (as {@link scatterRows}; `dx` zeroed by the caller, one thread,
 * all rows). Reading the index and the values once for the three products is what makes it pay.
 */
export function backwardRows(
  ptr: usize, idx: usize, val: usize, dy: usize, x: usize, batch: i32, dw: usize, db: usize, dx: usize, r0: i32, r1: i32,
): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    dotRows(ptr, idx, dy, x, batch, dw, db, r, r + 1);
    if (dx != 0) {
      scatterRow(load<i32>(ptr + (<usize>r << 2)), load<i32>(ptr + (<usize>r << 2), 4), idx, val, dy + <usize>r * stride, batch, dx, stride);
    }
  }
}

/**
 * The weight and input gradients of a sparse layer as ONE job over two index ranges (layers whose activations
 * fit in cache): chunk ranges below `rows` are rows, for the weight and bias gradients ({@link dotRows},
 * `db` = 0: none); the rest, less `rows`, are columns of the transposed index (`tPtr`, `tRow`, `tK`) for the
 * input gradient: the values put in column order into `valT` ({@link permuteRows}), the gather
 * ({@link gatherRows}), the previous block's rectifier gradients when `epi` != 0 ({@link rectifyBackRows},
 * `a` its output) and its bias gradient when `dbIn` != 0 ({@link biasRows}). The same kernels on the same
 * ranges as two jobs, without the wait between them (the two products do not depend on each other).
 */
export function backwardSplit(
  ptr: usize, idx: usize, dy: usize, x: usize, batch: i32, dw: usize, db: usize,
  tPtr: usize, tRow: usize, tK: usize, val: usize, valT: usize, dx: usize, epi: usize, a: usize, dbIn: usize, rows: i32,
  r0: i32, r1: i32,
): void {
  if (r0 < rows) dotRows(ptr, idx, dy, x, batch, dw, db, r0, min(r1, rows));
  if (r1 > rows) {
    const c0 = max(r0, rows) - rows, c1 = r1 - rows;
    permuteRows(tPtr, tK, val, valT, c0, c1);
    gatherRows(tPtr, tRow, valT, dy, batch, 0, dx, c0, c1);
    if (epi != 0) rectifyBackRows(epi, dx, a, batch, c0, c1);
    if (dbIn != 0) biasRows(dx, batch, dbIn, c0, c1);
  }
}

/**
 * The backward pass of a sparse layer split into two tasks for two threads (small batches): task 0 is the
 * weight and bias gradients of all `rows`, task 1 the input gradient by scatter (zeroing `dx`, `cols` x
 * `batch`, first). `[t0, t1)` is the range of tasks to run. Each output has one writer and the same operation
 * sequence as in {@link backwardRows}, so the bits are the same as on one thread.
 */
export function backwardTasks(
  ptr: usize, idx: usize, val: usize, dy: usize, x: usize, batch: i32, dw: usize, db: usize, dx: usize, rows: i32, cols: i32,
  t0: i32, t1: i32,
): void {
  for (let t = t0; t < t1; t++) {
    if (t == 0) {
      dotRows(ptr, idx, dy, x, batch, dw, db, 0, rows);
    } else {
      memory.fill(dx, 0, <usize>cols * (<usize>batch << 2));
      scatterRows(ptr, idx, val, dy, batch, dx, 0, rows);
    }
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

/** First free byte after the module's static data: the TypeScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}

// ---------------------------------------------------------------------------------------------------------
// Element-wise kernels over flat element ranges [i0, i1). Each element is computed independently with the
// same operations in the vector body and in the scalar tail, so the bits never depend on the range cut.
// Float scalars arrive as their int32 bit patterns (the worker protocol passes int32 arguments only).
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function mix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= 0x7feb352d;
  x ^= x >>> 15;
  x *= 0x846ca68b;
  x ^= x >>> 16;
  return x;
}

// @ts-ignore: decorator
@inline function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(0x7feb352d));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(<i32>0x846ca68b));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}

// Dropout draws 16 bits per element (core/counter-rng.ts, counterBits16): elements 2j and 2j + 1 are the low
// and high halves of the hash of counter j. Read as eight 16-bit lanes, four 32-bit hashes are the bits of
// eight consecutive elements in order (little-endian), so one hash vector serves eight elements.

/**
 * 16-bit lanes, all ones where the element is kept: the halves of `counterBits(k0, k1, c - k0)` >= `t16`
 * (unsigned), for the four counter lanes `c` (= k0 + i / 2): elements i .. i + 7 for an even i.
 */
// @ts-ignore: decorator
@inline function keep8(c: v128, k1: v128, t16: v128): v128 {
  return i16x8.ge_u(mix32x4(v128.xor(mix32x4(c), k1)), t16);
}

/** Whether element `i` of the stream (k0, k1) is kept at the 16-bit threshold `t`: `counterBits16 >= t`. */
// @ts-ignore: decorator
@inline function keep1(k0: i32, k1: i32, t: u32, i: i32): bool {
  const h = mix32(mix32(<u32>k0 + (<u32>i >>> 1)) ^ <u32>k1);
  return ((i & 1) != 0 ? h >>> 16 : h & 0xffff) >= t;
}

/** The counter lanes (k0 + j, ..., k0 + j + 3) of the pair j = i / 2 that holds an even element i. */
// @ts-ignore: decorator
@inline function counters(k0: i32, i: i32): v128 {
  return i32x4.add(i32x4.splat(k0 + (i >>> 1)), v128(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0));
}

/**
 * Counter-based inverted dropout on elements [i0, i1) (see core/counter-rng.ts): element i is kept when
 * its 16 bits `counterBits16(k0, k1, i)` are >= threshold; `mask[i]` = 1 or 0, `y[i]` = kept ? x[i] * scale : 0.
 */
export function dropoutRange(x: usize, y: usize, mask: usize, k0: i32, k1: i32, threshold: i32, scaleBits: i32, i0: i32, i1: i32): void {
  const scale = reinterpret<f32>(scaleBits);
  const vs = f32x4.splat(scale);
  const vk1 = i32x4.splat(k1);
  const vt = i16x8.splat(<i16>threshold);
  const one = i8x16.splat(1);
  const four = i32x4.splat(4);
  const t = <u32>threshold;
  let i = i0;
  // The vectors start at an even element (a pair boundary).
  if ((i & 1) != 0 && i < i1) {
    dropoutElement(x, y, mask, k0, k1, t, scale, i);
    i++;
  }
  let c = counters(k0, i);
  for (; i + 16 <= i1; i += 16) {
    const m01 = keep8(c, vk1, vt); c = i32x4.add(c, four);
    const m23 = keep8(c, vk1, vt); c = i32x4.add(c, four);
    const o = <usize>i << 2;
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o), vs), i32x4.extend_low_i16x8_s(m01)), 0);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o, 16), vs), i32x4.extend_high_i16x8_s(m01)), 16);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o, 32), vs), i32x4.extend_low_i16x8_s(m23)), 32);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o, 48), vs), i32x4.extend_high_i16x8_s(m23)), 48);
    // -1/0 lanes narrowed to bytes (saturating keeps -1), then 1/0.
    v128.store(mask + <usize>i, v128.and(i8x16.narrow_i16x8_s(m01, m23), one));
  }
  for (; i < i1; i++) dropoutElement(x, y, mask, k0, k1, t, scale, i);
}

// @ts-ignore: decorator
@inline function dropoutElement(x: usize, y: usize, mask: usize, k0: i32, k1: i32, t: u32, scale: f32, i: i32): void {
  const keep = keep1(k0, k1, t, i);
  const o = <usize>i << 2;
  store<u8>(mask + <usize>i, keep ? 1 : 0);
  store<f32>(y + o, keep ? load<f32>(x + o) * scale : 0);
}

/** Applies a 0/1 byte mask on [i0, i1): `y[i] = mask[i] ? x[i] * scale : 0`. */
export function maskRange(x: usize, mask: usize, y: usize, scaleBits: i32, i0: i32, i1: i32): void {
  const scale = reinterpret<f32>(scaleBits);
  const vs = f32x4.splat(scale);
  const zero = i32x4.splat(0);
  let i = i0;
  for (; i + 16 <= i1; i += 16) {
    const b = v128.load(mask + <usize>i);
    const lo = i16x8.extend_low_i8x16_u(b), hi = i16x8.extend_high_i8x16_u(b);
    const o = <usize>i << 2;
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o), vs), i32x4.ne(i32x4.extend_low_i16x8_u(lo), zero)), 0);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o, 16), vs), i32x4.ne(i32x4.extend_high_i16x8_u(lo), zero)), 16);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o, 32), vs), i32x4.ne(i32x4.extend_low_i16x8_u(hi), zero)), 32);
    v128.store(y + o, v128.and(f32x4.mul(v128.load(x + o, 48), vs), i32x4.ne(i32x4.extend_high_i16x8_u(hi), zero)), 48);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<u8>(mask + <usize>i) != 0 ? load<f32>(x + o) * scale : 0);
  }
}

/**
 * Rectifiers on [i0, i1), branchless: `op` 0 is ReLU, `y = x > 0 ? x : 0`; 1 is leaky ReLU,
 * `y = x > 0 ? x : alpha * x` (All-ReLU is leaky ReLU with a signed alpha).
 */
export function rectifyRange(op: i32, x: usize, y: usize, alphaBits: i32, i0: i32, i1: i32): void {
  const alpha = reinterpret<f32>(alphaBits);
  const va = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let i = i0;
  if (op == 0) {
    for (; i + 8 <= i1; i += 8) {
      const o = <usize>i << 2;
      const a = v128.load(x + o), b = v128.load(x + o, 16);
      v128.store(y + o, v128.and(a, f32x4.gt(a, zero)), 0);
      v128.store(y + o, v128.and(b, f32x4.gt(b, zero)), 16);
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o);
      store<f32>(y + o, v > 0 ? v : 0);
    }
  } else {
    for (; i + 8 <= i1; i += 8) {
      const o = <usize>i << 2;
      const a = v128.load(x + o), b = v128.load(x + o, 16);
      v128.store(y + o, v128.bitselect(a, f32x4.mul(va, a), f32x4.gt(a, zero)), 0);
      v128.store(y + o, v128.bitselect(b, f32x4.mul(va, b), f32x4.gt(b, zero)), 16);
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      const v = load<f32>(x + o);
      store<f32>(y + o, v > 0 ? v : alpha * v);
    }
  }
}

/** Rectifier gradients on [i0, i1): `dx = x > 0 ? dy : 0` (op 0) or `x > 0 ? dy : alpha * dy` (op 1). */
export function rectifyBackRange(op: i32, x: usize, dy: usize, dx: usize, alphaBits: i32, i0: i32, i1: i32): void {
  const alpha = reinterpret<f32>(alphaBits);
  const va = f32x4.splat(alpha);
  const zero = f32x4.splat(0);
  let i = i0;
  if (op == 0) {
    for (; i + 8 <= i1; i += 8) {
      const o = <usize>i << 2;
      v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), zero)), 0);
      v128.store(dx + o, v128.and(v128.load(dy + o, 16), f32x4.gt(v128.load(x + o, 16), zero)), 16);
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      store<f32>(dx + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
    }
  } else {
    for (; i + 8 <= i1; i += 8) {
      const o = <usize>i << 2;
      const g0 = v128.load(dy + o), g1 = v128.load(dy + o, 16);
      v128.store(dx + o, v128.bitselect(g0, f32x4.mul(va, g0), f32x4.gt(v128.load(x + o), zero)), 0);
      v128.store(dx + o, v128.bitselect(g1, f32x4.mul(va, g1), f32x4.gt(v128.load(x + o, 16), zero)), 16);
    }
    for (; i < i1; i++) {
      const o = <usize>i << 2;
      const g = load<f32>(dy + o);
      store<f32>(dx + o, load<f32>(x + o) > 0 ? g : alpha * g);
    }
  }
}

/**
 * SGD with momentum and L2 weight decay on [i0, i1), in float64 exactly as the reference
 * (backend/cpu/optim.ts) computes it: `g = grad + wd * w; v = momentum * v + g; velocity = f32(v);
 * w = f32(w - lr * (nesterov ? g + momentum * v : v))`, so the results are bit-identical.
 * `hyper` points to three f64: lr, momentum, weight decay.
 */
export function sgdRange(param: usize, grad: usize, vel: usize, hyper: usize, nesterov: i32, i0: i32, i1: i32): void {
  const lr = load<f64>(hyper), mom = load<f64>(hyper, 8), wd = load<f64>(hyper, 16);
  const vlr = f64x2.splat(lr), vmom = f64x2.splat(mom), vwd = f64x2.splat(wd);
  let i = i0;
  if (nesterov == 0) {
    for (; i + 2 <= i1; i += 2) {
      const o = <usize>i << 2;
      const w = f64x2.promote_low_f32x4(v128.load64_zero(param + o));
      const g = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(grad + o)), f64x2.mul(vwd, w));
      const v = f64x2.add(f64x2.mul(vmom, f64x2.promote_low_f32x4(v128.load64_zero(vel + o))), g);
      v128.store64_lane(vel + o, f32x4.demote_f64x2_zero(v), 0);
      v128.store64_lane(param + o, f32x4.demote_f64x2_zero(f64x2.sub(w, f64x2.mul(vlr, v))), 0);
    }
  } else {
    for (; i + 2 <= i1; i += 2) {
      const o = <usize>i << 2;
      const w = f64x2.promote_low_f32x4(v128.load64_zero(param + o));
      const g = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(grad + o)), f64x2.mul(vwd, w));
      const v = f64x2.add(f64x2.mul(vmom, f64x2.promote_low_f32x4(v128.load64_zero(vel + o))), g);
      v128.store64_lane(vel + o, f32x4.demote_f64x2_zero(v), 0);
      v128.store64_lane(param + o, f32x4.demote_f64x2_zero(f64x2.sub(w, f64x2.mul(vlr, f64x2.add(g, f64x2.mul(vmom, v))))), 0);
    }
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const w = <f64>load<f32>(param + o);
    const g = <f64>load<f32>(grad + o) + wd * w;
    const v = mom * <f64>load<f32>(vel + o) + g;
    store<f32>(vel + o, <f32>v);
    store<f32>(param + o, <f32>(w - lr * (nesterov != 0 ? g + mom * v : v)));
  }
}

/**
 * The SGD steps of several arrays as one job over their concatenated elements: `table` holds `count`
 * entries of 48 bytes (i32 param, grad and velocity addresses, the array's first element in the
 * concatenation and its length; then f64 lr, momentum and weight decay at byte 24), in concatenation
 * order. Runs {@link sgdRange} on each array's part of `[i0, i1)`: the same bits as one step per array.
 */
export function sgdTable(table: usize, count: i32, nesterov: i32, i0: i32, i1: i32): void {
  for (let t = 0; t < count; t++) {
    const e = table + <usize>t * 48;
    const start = load<i32>(e, 12), n = load<i32>(e, 16);
    const lo = max(i0, start), hi = min(i1, start + n);
    if (lo < hi) sgdRange(load<i32>(e), load<i32>(e, 4), load<i32>(e, 8), e + 24, nesterov, lo - start, hi - start);
  }
}

/**
 * Bias gradient for rows `r0 <= r < r1`: `db[r] = sum_b dy[r, b]`, summed like the weight-gradient dots
 * (four float32 lanes in batch order, lanes ((0 + 1) + (2 + 3)), then the scalar tail).
 */
export function biasRows(dy: usize, batch: i32, db: usize, r0: i32, r1: i32): void {
  const stride = <usize>batch << 2;
  const nv = batch & ~3;
  for (let r = r0; r < r1; r++) {
    const d = dy + <usize>r * stride;
    let a = f32x4.splat(0);
    for (let o: usize = 0; o < (<usize>nv << 2); o += 16) a = f32x4.add(a, v128.load(d + o));
    let t = hsum(a);
    for (let b = nv; b < batch; b++) t += load<f32>(d + (<usize>b << 2));
    store<f32>(db + (<usize>r << 2), t);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Fused rectifier and dropout. A hidden block of the networks SET trains is a sparse product, a rectifier and
// dropout; run one by one, the two element-wise layers each read and write the whole activation array twice
// per step (forward and backward), which at width 16000 and batch 128 is 8 MB a pass, from memory. Fused, the
// forward applies them to each output row while it is still in L1 after the product, and the backward applies
// their gradients to each row of the next layer's input gradient as it is produced.
//
// `epi` points to a descriptor of i32 words: [0] flags (2: leaky ReLU, else ReLU; 4: dropout), [1] alpha
// (f32 bits), [2] k0, [3] k1, [4] threshold (the dropout stream and cut, as in dropoutRange), [5] scale (f32
// bits), [6] the address of the per-element byte record: bit 0 kept by dropout (1 without dropout), bit 1
// pre-activation > 0; 0: none written. Element i of the layer's output is `r * batch + b`, as everywhere.
//
// ReLU needs no record: its output `a` (after dropout) is > 0 exactly when the pre-activation was > 0 and
// dropout kept the element (the scale is >= 1, so a positive product never rounds to 0), and a zero output
// gets a zero gradient either way. Its backward reads `a`, which is the next layer's input: the columns
// walk has that row in L1 already. Leaky ReLU keeps negative outputs, so it needs the record.
//
// Bits: each element goes through exactly the operations of rectifyRange then dropoutRange (forward), and of
// maskRange then rectifyBackRange (backward), so fused and unfused give the same results.
// ---------------------------------------------------------------------------------------------------------

const EPI_LEAKY: i32 = 2;
const EPI_DROP: i32 = 4;

// @ts-ignore: decorator
@inline function narrowMask(m0: v128, m1: v128, m2: v128, m3: v128): v128 {
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
}

/** Rectifier then dropout on elements `[e0, e0 + n)` of a layer's output, in place at `y` (the first of them). */
function rectifyRow(epi: usize, y: usize, e0: i32, n: i32): void {
  // One loop per case, with the case's flags constant inside it (the compiler drops the other branches).
  const flags = load<i32>(epi);
  if ((flags & EPI_DROP) != 0) {
    if ((flags & EPI_LEAKY) != 0) leakyRowAs(epi, y, e0, n, true);
    else reluRowAs(epi, y, e0, n, true);
  } else {
    if ((flags & EPI_LEAKY) != 0) leakyRowAs(epi, y, e0, n, false);
    else reluRowAs(epi, y, e0, n, false);
  }
}

// ReLU (no byte record): eight lanes at a time, so that few vectors are live (x64 has 16 vector registers;
// the record's 16-lane narrowing needs more, and spilling them cost more than the rectifier itself).
// @ts-ignore: decorator
@inline function reluRowAs(epi: usize, y: usize, e0: i32, n: i32, drop: bool): void {
  const k0 = load<i32>(epi, 8), k1 = load<i32>(epi, 12), threshold = load<i32>(epi, 16);
  const scale = reinterpret<f32>(load<i32>(epi, 20));
  const t = <u32>threshold;
  const vs = f32x4.splat(scale), zero = f32x4.splat(0);
  const vk1 = i32x4.splat(k1), vt = i16x8.splat(<i16>threshold), four = i32x4.splat(4);
  let i = 0;
  // With dropout, the vectors start at an even element (a pair boundary).
  if (drop && (e0 & 1) != 0 && n > 0) {
    reluElement(y, k0, k1, t, scale, e0, 0, drop);
    i = 1;
  }
  let c = counters(k0, e0 + i);
  for (; i + 8 <= n; i += 8) {
    const o = y + (<usize>i << 2);
    const v0 = v128.load(o, 0), v1 = v128.load(o, 16);
    let r0 = v128.and(v0, f32x4.gt(v0, zero));
    let r1 = v128.and(v1, f32x4.gt(v1, zero));
    if (drop) {
      const m = keep8(c, vk1, vt);
      c = i32x4.add(c, four);
      r0 = v128.and(f32x4.mul(r0, vs), i32x4.extend_low_i16x8_s(m));
      r1 = v128.and(f32x4.mul(r1, vs), i32x4.extend_high_i16x8_s(m));
    }
    v128.store(o, r0, 0);
    v128.store(o, r1, 16);
  }
  for (; i < n; i++) reluElement(y, k0, k1, t, scale, e0, i, drop);
}

// @ts-ignore: decorator
@inline function reluElement(y: usize, k0: i32, k1: i32, t: u32, scale: f32, e0: i32, i: i32, drop: bool): void {
  const o = y + (<usize>i << 2);
  const v = load<f32>(o);
  let r: f32 = v > 0 ? v : 0;
  if (drop) r = keep1(k0, k1, t, e0 + i) ? r * scale : 0;
  store<f32>(o, r);
}

// Leaky ReLU (All-ReLU) with its byte record: 16 lanes at a time, the record's narrowing width.
// @ts-ignore: decorator
@inline function leakyRowAs(epi: usize, y: usize, e0: i32, n: i32, drop: bool): void {
  const alpha = reinterpret<f32>(load<i32>(epi, 4));
  const k0 = load<i32>(epi, 8), k1 = load<i32>(epi, 12), threshold = load<i32>(epi, 16);
  const scale = reinterpret<f32>(load<i32>(epi, 20));
  const mask = <usize>load<i32>(epi, 24);
  const t = <u32>threshold;
  const va = f32x4.splat(alpha), vs = f32x4.splat(scale), zero = f32x4.splat(0);
  const vk1 = i32x4.splat(k1), vt = i16x8.splat(<i16>threshold);
  const ones = i16x8.splat(<i16>-1), four = i32x4.splat(4);
  const bit0 = i8x16.splat(1), bit1 = i8x16.splat(2);
  let i = 0;
  // With dropout, the vectors start at an even element (a pair boundary).
  if (drop && (e0 & 1) != 0 && n > 0) {
    leakyElement(y, mask, alpha, k0, k1, t, scale, e0, 0, drop);
    i = 1;
  }
  let c = counters(k0, e0 + i);
  for (; i + 16 <= n; i += 16) {
    const o = y + (<usize>i << 2);
    const v0 = v128.load(o, 0), v1 = v128.load(o, 16), v2 = v128.load(o, 32), v3 = v128.load(o, 48);
    const p0 = f32x4.gt(v0, zero), p1 = f32x4.gt(v1, zero), p2 = f32x4.gt(v2, zero), p3 = f32x4.gt(v3, zero);
    let r0 = v128.bitselect(v0, f32x4.mul(va, v0), p0);
    let r1 = v128.bitselect(v1, f32x4.mul(va, v1), p1);
    let r2 = v128.bitselect(v2, f32x4.mul(va, v2), p2);
    let r3 = v128.bitselect(v3, f32x4.mul(va, v3), p3);
    let m01 = ones, m23 = ones;
    if (drop) {
      m01 = keep8(c, vk1, vt); c = i32x4.add(c, four);
      m23 = keep8(c, vk1, vt); c = i32x4.add(c, four);
      r0 = v128.and(f32x4.mul(r0, vs), i32x4.extend_low_i16x8_s(m01));
      r1 = v128.and(f32x4.mul(r1, vs), i32x4.extend_high_i16x8_s(m01));
      r2 = v128.and(f32x4.mul(r2, vs), i32x4.extend_low_i16x8_s(m23));
      r3 = v128.and(f32x4.mul(r3, vs), i32x4.extend_high_i16x8_s(m23));
    }
    v128.store(o, r0, 0);
    v128.store(o, r1, 16);
    v128.store(o, r2, 32);
    v128.store(o, r3, 48);
    if (mask != 0) {
      const kept = v128.and(i8x16.narrow_i16x8_s(m01, m23), bit0);
      v128.store(mask + <usize>(e0 + i), v128.or(kept, v128.and(narrowMask(p0, p1, p2, p3), bit1)));
    }
  }
  for (; i < n; i++) leakyElement(y, mask, alpha, k0, k1, t, scale, e0, i, drop);
}

// @ts-ignore: decorator
@inline function leakyElement(
  y: usize, mask: usize, alpha: f32, k0: i32, k1: i32, t: u32, scale: f32, e0: i32, i: i32, drop: bool,
): void {
  const o = y + (<usize>i << 2);
  const v = load<f32>(o);
  const pos = v > 0;
  let r: f32 = pos ? v : alpha * v;
  let keep = true;
  if (drop) {
    keep = keep1(k0, k1, t, e0 + i);
    r = keep ? r * scale : 0;
  }
  store<f32>(o, r);
  if (mask != 0) store<u8>(mask + <usize>(e0 + i), (keep ? 1 : 0) | (pos ? 2 : 0));
}

/**
 * The gradients of dropout then the rectifier on elements `[e0, e0 + n)`, in place at `g` (the first of
 * them): `t = kept ? g * scale : 0` (with dropout), then `pos ? t : 0` (ReLU) or `pos ? t : alpha * t`
 * (leaky). Leaky ReLU reads kept and pos from the byte record; ReLU reads the block's output at `a` (the
 * first of the elements): `a > 0 ? t : 0`.
 */
function rectifyBackRow(epi: usize, g: usize, a: usize, e0: i32, n: i32): void {
  const flags = load<i32>(epi);
  if ((flags & EPI_DROP) != 0) {
    if ((flags & EPI_LEAKY) != 0) leakyBackRowAs(epi, g, e0, n, true);
    else reluBackRowAs(epi, g, a, n, true);
  } else {
    if ((flags & EPI_LEAKY) != 0) leakyBackRowAs(epi, g, e0, n, false);
    else reluBackRowAs(epi, g, a, n, false);
  }
}

// @ts-ignore: decorator
@inline function reluBackRowAs(epi: usize, g: usize, a: usize, n: i32, drop: bool): void {
  const scale = reinterpret<f32>(load<i32>(epi, 20));
  const vs = f32x4.splat(scale), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    let t0 = v128.load(g + o, 0), t1 = v128.load(g + o, 16);
    if (drop) {
      t0 = f32x4.mul(t0, vs);
      t1 = f32x4.mul(t1, vs);
    }
    v128.store(g + o, v128.and(t0, f32x4.gt(v128.load(a + o, 0), zero)), 0);
    v128.store(g + o, v128.and(t1, f32x4.gt(v128.load(a + o, 16), zero)), 16);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const t = drop ? load<f32>(g + o) * scale : load<f32>(g + o);
    store<f32>(g + o, load<f32>(a + o) > 0 ? t : 0);
  }
}

// @ts-ignore: decorator
@inline function leakyBackRowAs(epi: usize, g: usize, e0: i32, n: i32, drop: bool): void {
  const alpha = reinterpret<f32>(load<i32>(epi, 4));
  const scale = reinterpret<f32>(load<i32>(epi, 20));
  const mask = <usize>load<i32>(epi, 24) + <usize>e0;
  const va = f32x4.splat(alpha), vs = f32x4.splat(scale);
  const zero = i32x4.splat(0), bit0 = i8x16.splat(1), bit1 = i8x16.splat(2);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = g + (<usize>i << 2);
    const m = v128.load(mask + <usize>i);
    const kb = v128.and(m, bit0), pb = v128.and(m, bit1);
    const klo = i16x8.extend_low_i8x16_u(kb), khi = i16x8.extend_high_i8x16_u(kb);
    const plo = i16x8.extend_low_i8x16_u(pb), phi = i16x8.extend_high_i8x16_u(pb);
    const k0 = i32x4.ne(i32x4.extend_low_i16x8_u(klo), zero), k1 = i32x4.ne(i32x4.extend_high_i16x8_u(klo), zero);
    const k2 = i32x4.ne(i32x4.extend_low_i16x8_u(khi), zero), k3 = i32x4.ne(i32x4.extend_high_i16x8_u(khi), zero);
    const p0 = i32x4.ne(i32x4.extend_low_i16x8_u(plo), zero), p1 = i32x4.ne(i32x4.extend_high_i16x8_u(plo), zero);
    const p2 = i32x4.ne(i32x4.extend_low_i16x8_u(phi), zero), p3 = i32x4.ne(i32x4.extend_high_i16x8_u(phi), zero);
    let t0 = v128.load(o, 0), t1 = v128.load(o, 16), t2 = v128.load(o, 32), t3 = v128.load(o, 48);
    if (drop) {
      t0 = v128.and(f32x4.mul(t0, vs), k0);
      t1 = v128.and(f32x4.mul(t1, vs), k1);
      t2 = v128.and(f32x4.mul(t2, vs), k2);
      t3 = v128.and(f32x4.mul(t3, vs), k3);
    }
    v128.store(o, v128.bitselect(t0, f32x4.mul(va, t0), p0), 0);
    v128.store(o, v128.bitselect(t1, f32x4.mul(va, t1), p1), 16);
    v128.store(o, v128.bitselect(t2, f32x4.mul(va, t2), p2), 32);
    v128.store(o, v128.bitselect(t3, f32x4.mul(va, t3), p3), 48);
  }
  for (; i < n; i++) {
    const o = g + (<usize>i << 2);
    const m = load<u8>(mask + <usize>i);
    let t = load<f32>(o);
    if (drop) t = (m & 1) != 0 ? t * scale : 0;
    store<f32>(o, (m & 2) != 0 ? t : alpha * t);
  }
}

/** {@link gatherRows} for rows `r0 <= r < r1`, each row then rectified (and dropped out) per `epi`, in place. */
export function gatherRowsRect(
  ptr: usize, idx: usize, val: usize, src: usize, batch: i32, bias: usize, out: usize, epi: usize, r0: i32, r1: i32,
): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) {
    gatherRow(ptr, idx, val, src, batch, bias, out, r);
    rectifyRow(epi, out + <usize>r * stride, r * batch, batch);
  }
}

/**
 * The gradients of `epi`'s dropout and rectifier, in place, on rows `r0 <= r < r1` of `g` (rows of `batch`);
 * `a` is the block's output (read for ReLU).
 */
export function rectifyBackRows(epi: usize, g: usize, a: usize, batch: i32, r0: i32, r1: i32): void {
  const stride = <usize>batch << 2;
  for (let r = r0; r < r1; r++) rectifyBackRow(epi, g + <usize>r * stride, a + <usize>r * stride, r * batch, batch);
}

/**
 * The sparse forward by columns, for layers with few and long rows (an output layer fed by a wide one, where
 * {@link gatherRows} would fetch each input row from memory once per output row and per block of the batch):
 * for the batch lanes `b0 <= b < b1`, `y[r, b] = bias[r]` (0 when `bias` = 0), then for each column `c` in
 * order and each entry `p` of it, `y[row[p], b] += valT[p] * x[c, b]`. The input is read once, in order;
 * the output rows (`rows` x lanes) stay in L1. Each output element receives its terms in increasing column
 * order, which is the order of its CSR row: the same f32 operations as {@link gatherRows}, the same bits.
 * Split between threads by lanes (`b0`, `b1` multiples of 4, except the end).
 */
export function scatterColumns(
  ptr: usize, row: usize, valT: usize, x: usize, batch: i32, bias: usize, y: usize, rows: i32, cols: i32, b0: i32, b1: i32,
): void {
  const stride = <usize>batch << 2;
  const lanes = b1 - b0, nv = lanes & ~3;
  const off = <usize>b0 << 2;
  for (let r = 0; r < rows; r++) {
    const init: f32 = bias != 0 ? load<f32>(bias + (<usize>r << 2)) : 0;
    const d = y + <usize>r * stride + off;
    const vi = f32x4.splat(init);
    let o: usize = 0;
    for (; o < (<usize>nv << 2); o += 16) v128.store(d + o, vi);
    for (let b = nv; b < lanes; b++) store<f32>(d + (<usize>b << 2), init);
  }
  let p = load<i32>(ptr);
  for (let c = 0; c < cols; c++) {
    const p1 = load<i32>(ptr + (<usize>c << 2), 4);
    const xs = x + <usize>c * stride + off;
    for (; p < p1; p++) {
      const d = y + <usize>load<i32>(row + (<usize>p << 2)) * stride + off;
      const wf = load<f32>(valT + (<usize>p << 2));
      const w = f32x4.splat(wf);
      let o: usize = 0;
      // Four vectors per iteration (the loop's own counting was as many instructions as the arithmetic).
      for (; o + 64 <= (<usize>nv << 2); o += 64) {
        v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.mul(w, v128.load(xs + o))));
        v128.store(d + o, f32x4.add(v128.load(d + o, 16), f32x4.mul(w, v128.load(xs + o, 16))), 16);
        v128.store(d + o, f32x4.add(v128.load(d + o, 32), f32x4.mul(w, v128.load(xs + o, 32))), 32);
        v128.store(d + o, f32x4.add(v128.load(d + o, 48), f32x4.mul(w, v128.load(xs + o, 48))), 48);
      }
      for (; o < (<usize>nv << 2); o += 16) v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.mul(w, v128.load(xs + o))));
      for (let b = nv; b < lanes; b++) {
        const q = <usize>b << 2;
        store<f32>(d + q, load<f32>(d + q) + wf * load<f32>(xs + q));
      }
    }
  }
}
