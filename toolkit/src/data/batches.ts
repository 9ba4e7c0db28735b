/**
 * The order in which an epoch visits the samples, and its cut into mini-batches.
 *
 * @packageDocumentation
 */
import { checkFinite, checkInt } from '../core/assert';
import { rngFor } from '../core/rng';

/**
 * The sample order of one epoch: a permutation of `0 .. nSamples-1` drawn from
 * `rngFor(seed, 'shuffle', epoch)`, or the identity when `shuffle` is false.
 *
 * Each epoch has its own stream, so the order of epoch 7 does not depend on how many epochs ran before it.
 *
 * @param nSamples - number of samples (a non-negative integer).
 * @param epoch - the epoch index (0-based).
 * @param seed - the run's seed.
 * @param shuffle - whether to permute (default `true`).
 * @returns an Int32Array of length `nSamples`, to pass to {@link Dataset.gather}.
 * @example
 * const order = batchOrder(train.nSamples, epoch, config.seed);
 * for (const [start, count] of batchSpans(order.length, 128)) train.gather(order, start, count, x, y);
 */
export function batchOrder(nSamples: number, epoch: number, seed: number, shuffle = true): Int32Array {
  checkInt(nSamples, 'nSamples', 0, 0x7fffffff);
  checkInt(epoch, 'epoch');
  checkFinite(seed, 'seed');
  if (shuffle) return rngFor(seed, 'shuffle', epoch).permutation(nSamples);
  const order = new Int32Array(nSamples);
  for (let i = 0; i < nSamples; i++) order[i] = i;
  return order;
}

/**
 * The mini-batches of an epoch as `[start, count]` pairs over positions `0 .. nSamples-1` of the order.
 * Every batch has `batchSize` samples except possibly the last, which is shorter, or left out when
 * `dropLast` is true.
 *
 * @param nSamples - number of positions to cover.
 * @param batchSize - samples per batch (an integer >= 1).
 * @param dropLast - skip a final batch shorter than `batchSize` (default `false`).
 * @example
 * [...batchSpans(5, 2)] // [[0, 2], [2, 2], [4, 1]]
 */
export function* batchSpans(nSamples: number, batchSize: number, dropLast = false): Generator<[number, number]> {
  checkInt(nSamples, 'nSamples');
  checkInt(batchSize, 'batchSize', 1);
  for (let start = 0; start < nSamples; start += batchSize) {
    const count = Math.min(batchSize, nSamples - start);
    if (count < batchSize && dropLast) return;
    yield [start, count];
  }
}
