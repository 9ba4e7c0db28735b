/**
 * Executable invariants with lazily built messages, so that a passing check costs one comparison.
 *
 * @packageDocumentation
 */
import { InternalError, InvalidArgumentError, ShapeError } from './errors';

/** A message, or a function that builds it only when the check fails. */
export type LazyMessage = string | (() => string);

function text(message: LazyMessage): string {
  return typeof message === 'function' ? message() : message;
}

/**
 * Checks an internal invariant; failing means a bug in the toolkit.
 * @throws {@link InternalError} when `cond` is false.
 * @example assert(k <= nnz, () => `k=${k} exceeds nnz=${nnz}`);
 */
export function assert(cond: unknown, message: LazyMessage): asserts cond {
  if (!cond) throw new InternalError(text(message));
}

/**
 * Checks a user-supplied argument.
 * @throws {@link InvalidArgumentError} when `cond` is false.
 */
export function check(cond: unknown, message: LazyMessage): asserts cond {
  if (!cond) throw new InvalidArgumentError(text(message));
}

/**
 * Checks that an array has the expected length.
 * @param what - names the array in the message, e.g. `"input of layer 2"`.
 * @throws {@link ShapeError} naming both lengths.
 */
export function checkLength(actual: number, expected: number, what: string, detail = ''): void {
  if (actual !== expected) {
    throw new ShapeError(`${what} has length ${actual}, expected ${expected}${detail ? ` (${detail})` : ''}`);
  }
}

/**
 * Checks that `value` is a finite number.
 * @throws {@link InvalidArgumentError} naming `what` and the value.
 */
export function checkFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new InvalidArgumentError(`${what} must be a finite number, got ${value}`);
}

/**
 * Checks that `value` is an integer in `[min, max]`.
 * @throws {@link InvalidArgumentError} naming `what`, the value and the range.
 */
export function checkInt(value: number, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${what} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/**
 * Index of the first non-finite entry of `a`, or -1 when all are finite.
 * Used to find NaN/Infinity in data and during training.
 */
export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    // v - v is NaN for NaN and +-Infinity, 0 otherwise: one cheap test per element.
    if (v - v !== 0) return i;
  }
  return -1;
}
