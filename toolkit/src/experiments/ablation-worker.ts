/**
 * The worker-thread entry of the ablation runner: runs one cell with {@link runConfig}, resuming from the
 * cell's checkpoint when one exists.
 *
 * @packageDocumentation
 */
import type { Cell } from './grid';
import { runConfig, type RunResult } from './run';

/** Task of one worker call. */
export interface CellTask {
  readonly cell: Cell;
  readonly runDir: string;
  /** Threads of the cell's backend (the cores shared among the pool's workers); default as in {@link runConfig}. */
  readonly threads?: number;
}

/** Runs one cell (the piscina task function). */
export default async function runCell(task: CellTask): Promise<RunResult> {
  return runConfig(task.cell.config, { outDir: task.runDir, resume: true, ...(task.threads ? { threads: task.threads } : {}) });
}
