/**
 * The worker-thread entry of the ablation runner: runs one cell with {@link runConfig}, resuming from the
 * cell's checkpoint when one exists.
 *
 * A cell's error never rejects the task: it comes back as data ({@link CellOutcome}), because structured
 * clone across the thread boundary keeps only a built-in error's class (a ConfigError would arrive as a
 * plain Error). The main thread records it and rebuilds the same class with `deserializeError`. The
 * in-thread runner (`workers: 0`) goes through the same function, so both modes record identical failures.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serializeError, type SerializedError } from '../core/errors';
import { readJsonLines } from '../io/files';
import type { Cell } from './grid';
import { runConfig, type RunResult } from './run';

/** Task of one worker call. */
export interface CellTask {
  readonly cell: Cell;
  readonly runDir: string;
  /** Threads of the cell's backend (the cores shared among the pool's workers); default as in {@link runConfig}. */
  readonly threads?: number;
  /** Where the cell runs, recorded in its manifest as `executor` (local workers, or a Slurm job, task and node). */
  readonly executor?: Readonly<Record<string, unknown>>;
}

/** What one cell's run came to: its result, or its error as data (see the module description). */
export type CellOutcome =
  | { readonly ok: true; readonly result: RunResult }
  | {
      readonly ok: false;
      readonly error: SerializedError;
      /** Epochs logged in the cell's `metrics.jsonl` before the error; null when it cannot be read. */
      readonly epochsCompleted: number | null;
      /** Seconds from the start to the error; null when the worker thread itself died (no clock of its own). */
      readonly seconds: number | null;
    };

/** The number of epochs logged in `runDir/metrics.jsonl` (0 without one; null when it cannot be read). */
export function epochsCompleted(runDir: string): number | null {
  const file = path.join(runDir, 'metrics.jsonl');
  try {
    return fs.existsSync(file) ? readJsonLines(file).length : 0;
  } catch {
    return null; // a corrupt log: the failure itself is what gets reported
  }
}

/**
 * Runs one cell (the piscina task function); never rejects for an error of the cell's own run.
 * @param signal - stops the run after the batch in progress (its last epoch's checkpoint is kept); the
 *   outcome is then a `RunInterruptedError`. Only callers in the same thread can pass one (the Slurm task
 *   does); piscina passes the task alone.
 */
export default async function runCell(task: CellTask, signal?: AbortSignal): Promise<CellOutcome> {
  const t0 = performance.now();
  try {
    const result = await runConfig(task.cell.config, {
      outDir: task.runDir,
      resume: true,
      ...(task.threads ? { threads: task.threads } : {}),
      ...(task.executor ? { manifestFields: { executor: task.executor } } : {}),
      ...(signal ? { signal } : {}),
    });
    return { ok: true, result };
  } catch (e) {
    return { ok: false, error: serializeError(e), epochsCompleted: epochsCompleted(task.runDir), seconds: (performance.now() - t0) / 1000 };
  }
}
