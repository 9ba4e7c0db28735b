/**
 * The sparse forward products (AssemblyScript; compiled into kernels.wasm through index.ts): the gather over
 * the rows of a compressed index, which is also the input gradient's gather over the transposed index, the
 * permutation of the values into column order, and the forward by columns for layers with few long rows.
 */

// ---------------------------------------------------------------------------------------------------------
// Gather-axpy over CSR rows: out[r,:] = init[r] + sum_{p in ptr[r] .. ptr[r+1]} val[p] * src[idx[p],:].
// Used for the sparse forward (CSR) and for the sparse input gradient (CSC of the same matrix).
// The batch is processed in register-resident blocks of 24 floats (six f32x4 accumulators, the fastest width
// on V8: docs/bench.md), then one block each of 16, 8 and 4 if needed, then a scalar tail. The summation
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
@inline export function gatherRow(ptr: usize, idx: usize, val: usize, src: usize, batch: i32, bias: usize, out: usize, r: i32): void {
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
