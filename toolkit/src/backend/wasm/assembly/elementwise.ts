/**
 * Element-wise kernels (AssemblyScript; compiled into kernels.wasm through index.ts): counter-based dropout and
 * its mask, ReLU and leaky ReLU forward and backward, and the SGD step.
 */

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
@inline export function keep8(c: v128, k1: v128, t16: v128): v128 {
  return i16x8.ge_u(mix32x4(v128.xor(mix32x4(c), k1)), t16);
}

/** Whether element `i` of the stream (k0, k1) is kept at the 16-bit threshold `t`: `counterBits16 >= t`. */
// @ts-ignore: decorator
@inline export function keep1(k0: i32, k1: i32, t: u32, i: i32): bool {
  const h = mix32(mix32(<u32>k0 + (<u32>i >>> 1)) ^ <u32>k1);
  return ((i & 1) != 0 ? h >>> 16 : h & 0xffff) >= t;
}

/** The counter lanes (k0 + j, ..., k0 + j + 3) of the pair j = i / 2 that holds an even element i. */
// @ts-ignore: decorator
@inline export function counters(k0: i32, i: i32): v128 {
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
