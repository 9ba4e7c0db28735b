/**
 * WebAssembly SIMD kernels for the products of sparse and dense layers, and the element-wise ops of a
 * training step (AssemblyScript source, compiled by scripts/build-wasm.sh; not part of the TypeScript
 * project). This file is the module's entry: what it exports is what kernels.wasm exports (backend/wasm/
 * loader.ts checks the list, dispatch.ts names the kernels a job may call). The kernels live by family:
 *
 * - gather.ts: the sparse forward (gather over rows; by columns for few long rows); also the input
 *   gradient's gather over the transposed index;
 * - dense.ts: the dense layer products;
 * - dot.ts: dot products over the batch: the sparse weight and bias gradients, the backward pass by columns;
 * - scatter.ts: the input gradient by scatter, and the sparse backward pass as one job;
 * - elementwise.ts: dropout, the rectifiers and the SGD step;
 * - fused.ts: the rectifier and dropout applied inside the sparse products.
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

export { gatherRows, permuteRows, scatterColumns } from './gather';
export { denseDotRows, denseGatherRows } from './dense';
export { backwardColumns, biasRows, dotRows } from './dot';
export { backwardRows, backwardSplit, backwardTasks, scatterRows } from './scatter';
export { dropoutRange, maskRange, rectifyBackRange, rectifyRange, sgdRange, sgdTable } from './elementwise';
export { gatherRowsRect, rectifyBackRows } from './fused';

/** First free byte after the module's static data: the TypeScript arena starts here. */
export function heapBase(): usize {
  return __heap_base;
}
