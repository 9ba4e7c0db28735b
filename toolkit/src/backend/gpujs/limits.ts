/**
 * The size limits of the gpu.js modes, checked before any kernel runs so that a layer too large for a mode
 * is a clear error instead of silently wrong numbers.
 *
 * - Index precision: gpu.js stores every argument as float32 in every mode (an Int32Array of indices is
 *   converted), and GL shaders address textures with float arithmetic, so an index, or the length of an
 *   array that is indexed, must stay at or below 2^24, the largest range float32 counts exactly.
 * - Texture size (GL modes): a 2-D output `[width, height]` is rendered into one texture of exactly that
 *   size, so each side must fit the context's MAX_TEXTURE_SIZE (16384 for headless-gl).
 *
 * @packageDocumentation
 */
import { BackendLimitError } from '../../core/errors';

/** 2^24: float32 represents every integer up to this one exactly. */
export const INDEX_LIMIT = 2 ** 24;

/** The limits of one mode. */
export interface ModeLimits {
  /** Backend label used in messages, e.g. `"gpujs:headlessgl"`. */
  readonly label: string;
  /** Largest side of a texture (Infinity where there are no textures). */
  readonly maxTextureSize: number;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * Checks that every named array length (or index range) is at most {@link INDEX_LIMIT}.
 * @param op - the op, for the message.
 * @param sizes - pairs of (what, how many values).
 * @throws {@link BackendLimitError}
 */
export function checkIndexRange(limits: ModeLimits, op: string, sizes: readonly (readonly [string, number])[]): void {
  for (const [what, n] of sizes) {
    if (n > INDEX_LIMIT) {
      throw new BackendLimitError(
        `${limits.label} cannot run ${op}: ${what} has ${fmt(n)} values, more than 2^24 = ${fmt(INDEX_LIMIT)}, the largest index ` +
          'gpu.js handles exactly (it stores indices and addresses arrays in float32); use a smaller batch or layer, or the cpu backend',
      );
    }
  }
}

/**
 * Checks that a 2-D output `[width, height]` fits one texture.
 * @throws {@link BackendLimitError}
 */
export function checkOutput2d(limits: ModeLimits, op: string, width: number, height: number, what: string): void {
  const max = limits.maxTextureSize;
  if (width > max || height > max) {
    throw new BackendLimitError(
      `${limits.label} cannot run ${op}: its output (${what}) is ${fmt(width)} x ${fmt(height)}, and a side longer than ` +
        `the largest texture, ${fmt(max)}, does not fit; use a smaller batch or layer, or another backend`,
    );
  }
}
