/**
 * Dot products over the batch (AssemblyScript; compiled into kernels.wasm through index.ts): the sparse weight
 * gradient, the bias gradient, and the sparse backward pass by columns of the transposed index.
 */
import { EPI_DROP, EPI_LEAKY, rectifyBackRow } from './fused';
import { gatherRows } from './gather';

// ---------------------------------------------------------------------------------------------------------
// Dot products over the batch: d = dot(a[0..batch), b[0..batch)). One vector accumulator per dot, added in
// batch order; then lanes ((0 + 1) + (2 + 3)); then the scalar tail in batch order. The same sequence is used
// whether four dots are computed together or one alone, so a result never depends on its neighbours.
// ---------------------------------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline export function dot4(d: usize, s0: usize, s1: usize, s2: usize, s3: usize, batch: i32, o0: usize, o1: usize, o2: usize, o3: usize): void {
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
@inline export function dot1(d: usize, s0: usize, batch: i32, dst: usize): void {
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
