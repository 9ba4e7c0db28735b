/**
 * The sparse input gradient by scatter, and the whole sparse backward pass as one job (AssemblyScript; compiled
 * into kernels.wasm through index.ts).
 */
import { biasRows, dotRows } from './dot';
import { rectifyBackRows } from './fused';
import { gatherRows, permuteRows } from './gather';

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
