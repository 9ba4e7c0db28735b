/**
 * The ablation runner: every cell of a grid, in parallel worker threads, resumable, losing nothing.
 *
 * Output folder:
 * - `grid.json`: the grid as given; `cells.json`: every cell (id, axes, seed, config);
 * - `runs/<cell id>/`: each run's manifest, metrics, checkpoint and model (see experiments/run);
 * - `results.jsonl`: one line per cell attempt that ended, appended (and flushed) the moment it ends:
 *   `{ status: "finished", id, index, seed, axes, ...RunResult }` or, when the cell's run raised an error
 *   (divergence, a corrupt checkpoint, a missing data file...), a failed row
 *   `{ status: "failed", id, index, seed, axes, config, error: { name, message }, epochsCompleted, ... }`
 *   (see experiments/ablation-results, whose readers return the latest row of each cell).
 *
 * A failing cell does not stop the grid: it is recorded and the other cells run to completion.
 *
 * Resuming: running the same grid into the same folder skips the cells already finished in
 * `results.jsonl` and runs the others (unfinished and failed ones), each continuing from its last epoch
 * checkpoint. A kill at any moment loses at most the epoch in progress of each running cell; a line cut
 * by a kill is ignored when read back.
 *
 * @packageDocumentation
 */
import { defaultThreads } from '../backend/registry';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, deserializeError, RunInterruptedError, serializeError, SynapsesError, type SerializedError } from '../core/errors';
import { appendJsonLine, repairJsonLines, writeJsonAtomic } from '../io/files';
import { CELLS_FILE, readCellListing, readResultRows, RESULTS_FILE, type FailedRow, type ResultRow } from './ablation-results';
import type { CellOutcome, CellTask } from './ablation-worker';
import runCell, { epochsCompleted } from './ablation-worker';
import { DEFAULT_MAX_CELLS, expandGrid, type Cell, type ExpandOptions } from './grid';

const expandOptions = (o: AblationOptions): ExpandOptions => (o.maxCells === undefined ? {} : { maxCells: o.maxCells });
import { LOCK_FILE, lockFolder, processAlive, readLock } from '../io/lock';
import { removeTempFiles } from './run-folder';

export { readFailures, readResultRows, readResults, type AnyResultRow, type FailedRow, type ResultRow } from './ablation-results';

/** Options of {@link runAblation}. */
export interface AblationOptions {
  /** Output folder (created). */
  readonly outDir: string;
  /** Worker threads; default the number of cores; 0 runs the cells one by one in this thread. */
  readonly workers?: number;
  /**
   * The most cells the grid may have (default {@link DEFAULT_MAX_CELLS}): a larger grid is refused before
   * anything runs, unless this confirms it (`ablate --max-cells N`).
   */
  readonly maxCells?: number;
  /** Called when a cell starts and when it finishes (progress displays). */
  readonly onCellStart?: (cell: Cell) => void;
  readonly onCellEnd?: (row: ResultRow, done: number, total: number) => void;
  /** Called when a cell's run raised an error (recorded as a failed row; the grid goes on). */
  readonly onCellFailed?: (row: FailedRow, done: number, total: number) => void;
  /**
   * Called once with the cells to run: `toRun` counts every cell not finished before, of which `failed`
   * had failed in an earlier invocation (and are retried).
   */
  readonly onPlan?: (info: { total: number; finished: number; toRun: number; failed: number }) => void;
  /** Told about the folder: a stale lock taken over, leftovers of a killed run removed. */
  readonly onMessage?: (message: string) => void;
}

/** The outcome of {@link runAblation}. */
export interface AblationSummary {
  readonly outDir: string;
  readonly cells: number;
  /** Cells found finished from an earlier invocation. */
  readonly skipped: number;
  /** Cells run now (finished or failed). */
  readonly ran: number;
  /** The row of every finished cell, in cell order (what the tables are made of). */
  readonly rows: ResultRow[];
  /** The row of every cell that failed in this invocation, in cell order (empty when all finished). */
  readonly failed: FailedRow[];
}

/** Resolves the compiled worker file (worker threads run JavaScript, so the toolkit must be built). */
function workerFile(): string {
  const here = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/experiments') : __dirname;
  const file = path.join(here, 'ablation-worker.js');
  if (!fs.existsSync(file)) throw new ConfigError(`the ablation worker ${file} is missing: build the toolkit first (npm run setup)`);
  return file;
}

/**
 * Runs every cell of `grid` not yet finished in `outDir` (failed cells are retried). A cell whose run raises
 * an error is recorded as failed in `results.jsonl` and listed in the summary's `failed`; it never stops
 * the other cells, so this resolves unless the grid is invalid or a bookkeeping file cannot be written.
 * @throws {@link ConfigError} for an invalid grid (before anything runs) or a folder holding another grid;
 *   {@link CorruptFileError} for a `cells.json` or `results.jsonl` that cannot be read back.
 */
export async function runAblation(grid: unknown, options: AblationOptions): Promise<AblationSummary> {
  expandGrid(grid, expandOptions(options)); // a bad grid is refused before the folder is created or locked
  // One ablation per folder: a second one stops here at once, instead of running every cell again.
  const lock = lockFolder(options.outDir, { what: 'ablation folder', ...(options.onMessage ? { onMessage: options.onMessage } : {}) });
  try {
    clearOwnCellLocks(options.outDir);
    const removed = removeTempFiles(options.outDir);
    if (removed.length) options.onMessage?.(`removed ${removed.length} temporary file(s) of writes cut short in ${options.outDir}`);
    return await runAblationLocked(grid, options);
  } finally {
    lock.release();
  }
}

/**
 * Removes the cell locks (`runs/<cell>/.lock`) that this process left behind: cells run in worker threads
 * of the process that holds the grid's lock, so while we hold it, a cell lock with our process id is
 * from a worker thread that was ended without releasing it (a pool destroyed mid-cell), never a live one;
 * so are those of dead processes on this host (an ablation killed earlier). Other locks (a live `train`
 * into a cell folder, another host) are left to the cell's own lock check, which refuses them.
 */
function clearOwnCellLocks(outDir: string): void {
  let ids: string[];
  try {
    ids = fs.readdirSync(path.join(outDir, 'runs'));
  } catch {
    return;
  }
  for (const id of ids) {
    const file = path.join(outDir, 'runs', id, LOCK_FILE);
    const holder = readLock(file);
    if (holder && holder.host === os.hostname() && (holder.pid === process.pid || !processAlive(holder.pid))) fs.rmSync(file, { force: true });
  }
}

/**
 * Makes `out` an ablation folder for `cells` (the expansion of `grid`): creates `runs/`, writes `grid.json`
 * and `cells.json` the first time, refuses a folder that holds another grid, and cuts a partial last line
 * of `results.jsonl` (a kill mid-append). Call while holding the folder's lock. Shared by the local runner
 * and the Slurm executor (experiments/slurm), so both keep the same folder.
 * @returns the latest row of every cell that already ended (finished and failed).
 * @throws {@link ConfigError} when the folder holds a different grid; {@link CorruptFileError} for
 *   bookkeeping files that cannot be read back.
 */
export function openAblationFolder(out: string, grid: unknown, cells: readonly Cell[]): { finished: ResultRow[]; failed: FailedRow[] } {
  fs.mkdirSync(path.join(out, 'runs'), { recursive: true });
  const listing = cells.map(({ id, index, axes, seed, config }) => ({ id, index, axes, seed, config }));
  const before = readCellListing(out);
  if (before) {
    const same = before.length === cells.length && before.every((c, i) => c.id === cells[i]!.id);
    if (!same) throw new ConfigError(`${out} holds a different grid (cells.json differs); use another --out folder`);
  } else {
    writeJsonAtomic(path.join(out, 'grid.json'), grid);
    writeJsonAtomic(path.join(out, CELLS_FILE), listing);
  }
  repairJsonLines(path.join(out, RESULTS_FILE));
  return readResultRows(out);
}

/**
 * The `results.jsonl` row of a cell's outcome: a finished row, a failed row, or null when the run was
 * stopped on request (a {@link RunInterruptedError}: the cell is unfinished, not failed, and a rerun
 * continues it). Shared by the local runner and the Slurm tasks, so both write the same rows.
 */
export function outcomeRow(cell: Cell, outcome: CellOutcome): ResultRow | FailedRow | null {
  if (!outcome.ok && outcome.error.name === RunInterruptedError.name) return null;
  if (outcome.ok) return { id: cell.id, index: cell.index, axes: { ...cell.axes }, ...outcome.result, status: 'finished', seed: cell.seed };
  // The toolkit's own errors say what is wrong in their message; only a bug's stack is worth keeping.
  const own = deserializeError(outcome.error) instanceof SynapsesError;
  const { stack: _stack, ...plain } = outcome.error;
  return {
    status: 'failed',
    id: cell.id,
    index: cell.index,
    seed: cell.seed,
    axes: { ...cell.axes },
    config: cell.config,
    error: own ? plain : outcome.error,
    epochsCompleted: outcome.epochsCompleted,
    seconds: outcome.seconds,
    failedAt: new Date().toISOString(),
  };
}

/** The body of {@link runAblation}, run while holding the folder's lock. */
async function runAblationLocked(grid: unknown, options: AblationOptions): Promise<AblationSummary> {
  const cells = expandGrid(grid, expandOptions(options));
  const out = options.outDir;
  const workers = options.workers ?? os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) throw new ConfigError(`workers must be an integer >= 0, got ${workers}`);
  const previous = openAblationFolder(out, grid, cells);
  const resultsFile = path.join(out, RESULTS_FILE);
  const finished = new Map(previous.finished.map((r) => [r.id, r]));
  const failedBefore = new Set(previous.failed.map((r) => r.id));
  const todo = cells.filter((c) => !finished.has(c.id));
  options.onPlan?.({ total: cells.length, finished: cells.length - todo.length, toRun: todo.length, failed: todo.filter((c) => failedBefore.has(c.id)).length });
  let done = cells.length - todo.length;
  const failed = new Map<string, FailedRow>();
  // A cell stopped on request (SIGINT) did not fail: it stays unfinished (a rerun continues it from its
  // checkpoint) and the grid stops with that error once the other cells have ended.
  let interrupted: Error | null = null;
  const record = (cell: Cell, outcome: CellOutcome) => {
    const row = outcomeRow(cell, outcome);
    if (!row) {
      interrupted ??= deserializeError((outcome as { error: SerializedError }).error);
      return;
    }
    appendJsonLine(resultsFile, row);
    if (row.status === 'finished') {
      finished.set(cell.id, row);
      options.onCellEnd?.(row, ++done, cells.length);
    } else {
      failed.set(cell.id, row);
      options.onCellFailed?.(row, ++done, cells.length);
    }
  };
  // Workers share the cores: each cell's backend gets its share of threads (results do not depend on it).
  const poolSize = Math.min(workers, todo.length);
  const threads = workers === 0 ? undefined : Math.max(1, Math.floor(defaultThreads() / Math.max(1, poolSize)));
  const executor = { name: 'local', workers, host: os.hostname(), pid: process.pid };
  const task = (cell: Cell): CellTask => ({ cell, runDir: path.join(out, 'runs', cell.id), executor, ...(threads ? { threads } : {}) });
  if (workers === 0 || todo.length === 0) {
    for (const cell of todo) {
      if (interrupted) break;
      options.onCellStart?.(cell);
      record(cell, await runCell(task(cell)));
    }
  } else {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: workerFile(), maxThreads: poolSize, minThreads: 1, idleTimeout: 1000 });
    // Set when the grid stops on an error of its own (a results line that cannot be written): the tasks
    // that destroying the pool cancels are not cell failures and are not recorded.
    let stopping = false;
    try {
      await Promise.all(
        todo.map(async (cell) => {
          let outcome: CellOutcome;
          try {
            outcome = (await pool.run(task(cell))) as CellOutcome;
          } catch (e) {
            // runCell never rejects for its cell's error, so this is the worker itself dying (out of
            // memory, a crash in native code): still that cell's failure, the others go on.
            if (stopping) return;
            outcome = { ok: false, error: serializeError(e), epochsCompleted: epochsCompleted(task(cell).runDir), seconds: null };
          }
          if (!stopping) record(cell, outcome);
        }),
      );
    } finally {
      stopping = true;
      await pool.destroy();
    }
  }
  if (interrupted) throw interrupted;
  const rows = cells.map((c) => finished.get(c.id)).filter((r): r is ResultRow => r !== undefined);
  const failures = cells.map((c) => failed.get(c.id)).filter((r): r is FailedRow => r !== undefined);
  return { outDir: out, cells: cells.length, skipped: cells.length - todo.length, ran: todo.length, rows, failed: failures };
}
