/**
 * Runs kernel calls over a range of rows, on the calling thread only or split across worker threads.
 *
 * A job is a short list of kernel calls whose last two arguments are a row range `[r0, r1)`, and a cut of
 * the rows into chunks `[splits[c], splits[c + 1])`; every call runs on every chunk, chunk by chunk. Chunks
 * write disjoint rows and no kernel reduces across rows, so the result is the same bits however the rows
 * are cut and whichever thread runs a chunk.
 *
 * @packageDocumentation
 */
import type { KernelExports } from './loader';

/** Kernel names a job may call, in the order of their ids in the worker protocol (each takes `r0, r1` last). */
export const KERNEL_NAMES = [
  'gatherRows', 'permuteRows', 'denseGatherRows', 'dotRows', 'denseDotRows',
  'biasRows', 'dropoutRange', 'maskRange', 'rectifyRange', 'rectifyBackRange', 'sgdRange',
  'scatterRows', 'backwardRows', 'backwardTasks', 'backwardColumns', 'gatherRowsRect', 'rectifyBackRows',
  'scatterColumns', 'sgdTable', 'backwardSplit',
] as const;

/** A kernel a job may call. */
export type KernelName = (typeof KERNEL_NAMES)[number];

/** Index of each kernel in the worker protocol. */
export const KERNEL_IDS = Object.fromEntries(KERNEL_NAMES.map((n, i) => [n, i])) as Record<KernelName, number>;

/** One kernel call of a job, without its trailing row range. */
export interface KernelCall {
  readonly fn: KernelName;
  readonly args: readonly number[];
}

/**
 * Runs jobs. A job runs in one go ({@link Dispatcher.run}) or in two phases: {@link Dispatcher.start} hands
 * it to the worker threads, which begin at once, and {@link Dispatcher.finish} lets the calling thread take
 * the chunks still unclaimed and returns when all are done. Between the two the caller is free to do its own
 * JavaScript work (the trainer gathers the next batch), as long as it does not start another job.
 */
export interface Dispatcher {
  /** Threads that run chunks of a job (1 = the calling thread only). */
  readonly threads: number;
  /** How many chunks this dispatcher wants a job cut into. */
  readonly chunks: number;
  /** Runs `calls` on every chunk `[splits[c], splits[c+1])`, c < splits.length - 1; returns when all are done. */
  run(calls: readonly KernelCall[], splits: Int32Array): void;
  /**
   * Starts the job that {@link Dispatcher.run} would run and returns without waiting (a dispatcher without
   * workers runs it at once). Exactly one {@link Dispatcher.finish} must follow before the next job.
   * @throws Error when a started job was not finished yet.
   */
  start(calls: readonly KernelCall[], splits: Int32Array): void;
  /** Completes the started job (the calling thread takes part) and rethrows a chunk's failure; idempotent. */
  finish(): void;
  /** Share of all chunks so far that worker threads ran (0 without workers). */
  workerShare(): number;
  /** Stops worker threads, if any. */
  dispose(): void;
}

/** A dispatcher that runs every part on the calling thread. */
export function inlineDispatcher(k: KernelExports): Dispatcher {
  const fns = Object.fromEntries(KERNEL_NAMES.map((n) => [n, k[n]])) as Record<KernelName, (...a: number[]) => void>;
  const run = (calls: readonly KernelCall[], splits: Int32Array): void => {
    const r0 = splits[0]!, r1 = splits[splits.length - 1]!;
    if (r1 > r0) for (const c of calls) fns[c.fn](...c.args, r0, r1);
  };
  return {
    threads: 1,
    chunks: 1,
    run,
    start: run,
    finish() {},
    workerShare: () => 0,
    dispose() {},
  };
}
