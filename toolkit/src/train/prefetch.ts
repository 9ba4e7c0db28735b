/**
 * The batches of an epoch, with one batch of look-ahead: while the optimizer's update of batch `b` runs
 * (on the backend's worker threads, {@link Backend.sgdSteps}), the trainer gathers batch `b + 1` into the
 * same buffers, so the data layer's work overlaps the update instead of following it. The overlap is the
 * trainer's own, explicit work between starting the update and waiting for it (train/step.ts); nothing is
 * passed into the optimizer or the backend.
 *
 * @packageDocumentation
 */
import { SparseBatch } from '../sparse/sparse-batch';

/**
 * Gathers samples `order[start .. start + size)` into `x` (the whole buffer; a dense batch goes into its
 * first `nIn * size` values) and `y` (exactly `size` labels); returns the network's input: the view of `x`
 * that holds the batch, or the sparse batch.
 */
export type GatherBatch = (order: Int32Array, start: number, size: number, x: Float32Array | SparseBatch, y: Int32Array) => Float32Array | SparseBatch;

/** One gathered batch: views of the prefetcher's buffers, valid until the next gather. */
export interface Batch {
  readonly size: number;
  /** The network's input: `nIn * size` feature-major values, or a sparse batch. */
  readonly x: Float32Array | SparseBatch;
  /** The labels, `size` values. */
  readonly y: Int32Array;
}

/**
 * The batches of one pass over `n` samples in a given order, gathered into one pair of reusable buffers
 * (in the backend's memory: the caller allocates them), each batch gathered once: either when it is taken
 * ({@link BatchPrefetcher.take}) or ahead of time ({@link BatchPrefetcher.prefetch}).
 */
export class BatchPrefetcher {
  private order: Int32Array = new Int32Array(0);
  /** The batch the buffers hold, or -1. */
  private gathered = -1;
  /** Batches per pass. */
  readonly count: number;

  /**
   * @param x - the input buffer: `nIn * batchSize` floats, or a {@link SparseBatch} (sized by the gather).
   * @param y - the label buffer, `batchSize` values.
   */
  constructor(
    private readonly gather: GatherBatch,
    private readonly x: Float32Array | SparseBatch,
    private readonly y: Int32Array,
    readonly n: number,
    readonly batchSize: number,
    private readonly nIn: number,
  ) {
    this.count = Math.ceil(n / batchSize);
  }

  /** Starts a pass over the samples in `order` (an epoch's shuffle); nothing is gathered yet. */
  begin(order: Int32Array): void {
    this.order = order;
    this.gathered = -1;
  }

  /** Batch `b` of the pass: gathered now, unless {@link BatchPrefetcher.prefetch} gathered it already. */
  take(b: number): Batch {
    const start = b * this.batchSize;
    const size = Math.min(this.batchSize, this.n - start);
    const y = size === this.batchSize ? this.y : this.y.subarray(0, size);
    const x = this.x instanceof SparseBatch || size === this.batchSize ? this.x : this.x.subarray(0, this.nIn * size);
    if (this.gathered !== b) this.gather(this.order, start, size, this.x, y);
    this.gathered = -1;
    return { size, x, y };
  }

  /**
   * Gathers batch `b` into the buffers now, for a later {@link BatchPrefetcher.take}. Overwrites the batch
   * the buffers hold: call it only when nothing reads that batch any more.
   */
  prefetch(b: number): void {
    const start = b * this.batchSize;
    const size = Math.min(this.batchSize, this.n - start);
    this.gathered = -1;
    this.gather(this.order, start, size, this.x, size === this.batchSize ? this.y : this.y.subarray(0, size));
    this.gathered = b;
  }

  /**
   * Gathers the first `size` samples of another order (the gradient probe's batch) into the buffers, outside
   * the pass; a prefetched batch is lost.
   */
  gatherOnce(order: Int32Array, size: number): Batch {
    this.gathered = -1;
    const y = this.y.subarray(0, size);
    return { size, x: this.gather(order, 0, size, this.x, y), y };
  }
}
