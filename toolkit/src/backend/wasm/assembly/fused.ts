/**
 * The rectifier and dropout fused into the sparse products (AssemblyScript; compiled into kernels.wasm through
 * index.ts).
 */
import { counters, keep1, keep8 } from './elementwise';
import { gatherRow } from './gather';

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

export const EPI_LEAKY: i32 = 2;
export const EPI_DROP: i32 = 4;

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
export function rectifyBackRow(epi: usize, g: usize, a: usize, e0: i32, n: i32): void {
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
