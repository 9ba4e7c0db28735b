/**
 * The ablation runner: every cell of a grid, in parallel worker threads, resumable, losing nothing.
 *
 * Output folder:
 * - `grid.json`: the grid as given; `cells.json`: every cell (id, axes, seed, config);
 * - `runs/<cell id>/`: each run's manifest, metrics, checkpoint and model (see experiments/run);
 * - `results.jsonl`: one line per FINISHED cell, appended (and flushed) the moment it finishes:
 *   `{ id, index, seed, axes, ...RunResult }`.
 *
 * Resuming: running the same grid into the same folder skips the cells already in `results.jsonl` and
 * reruns the others, each continuing from its last epoch checkpoint. A kill at any moment loses at most
 * the epoch in progress of each running cell; a line cut by a kill is ignored when read back.
 *
 * @packageDocumentation
 */
import { defaultThreads } from '../backend/registry';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { appendJsonLine, readJsonLines, repairJsonLines, writeJsonAtomic } from '../io/files';
import type { CellTask } from './ablation-worker';
import runCell from './ablation-worker';
import { expandGrid, type Cell } from './grid';
import type { RunResult } from './run';

/** One line of `results.jsonl`. */
export type ResultRow = RunResult & { readonly id: string; readonly index: number; readonly axes: Record<string, unknown> };

/** Options of {@link runAblation}. */
export interface AblationOptions {
  /** Output folder (created). */
  readonly outDir: string;
  /** Worker threads; default the number of cores; 0 runs the cells one by one in this thread. */
  readonly workers?: number;
  /** Called when a cell starts and when it finishes (progress displays). */
  readonly onCellStart?: (cell: Cell) => void;
  readonly onCellEnd?: (row: ResultRow, done: number, total: number) => void;
  /** Called once with the cells to run and those already finished. */
  readonly onPlan?: (info: { total: number; finished: number; toRun: number }) => void;
}

/** The outcome of {@link runAblation}. */
export interface AblationSummary {
  readonly outDir: string;
  readonly cells: number;
  /** Cells found finished from an earlier invocation. */
  readonly skipped: number;
  /** Cells run now. */
  readonly ran: number;
  /** Every result row, in cell order. */
  readonly rows: ResultRow[];
}

/** The result rows in `outDir/results.jsonl` (a partial last line from a kill is ignored). */
export function readResults(outDir: string): ResultRow[] {
  const file = path.join(outDir, 'results.jsonl');
  return fs.existsSync(file) ? readJsonLines<ResultRow>(file) : [];
}

/** Resolves the compiled worker file (worker threads run JavaScript, so the toolkit must be built). */
function workerFile(): string {
  const here = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../dist/experiments') : __dirname;
  const file = path.join(here, 'ablation-worker.js');
  if (!fs.existsSync(file)) throw new ConfigError(`the ablation worker ${file} is missing: build the toolkit first (npm run setup)`);
  return file;
}

/**
 * Runs every cell of `grid` not yet finished in `outDir`.
 * @throws {@link ConfigError} for an invalid grid (before anything runs) or a folder holding another grid.
 */
export async function runAblation(grid: unknown, options: AblationOptions): Promise<AblationSummary> {
  const cells = expandGrid(grid);
  const out = options.outDir;
  const workers = options.workers ?? os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 0) throw new ConfigError(`workers must be an integer >= 0, got ${workers}`);
  fs.mkdirSync(path.join(out, 'runs'), { recursive: true });
  const cellsFile = path.join(out, 'cells.json');
  const listing = cells.map(({ id, index, axes, seed, config }) => ({ id, index, axes, seed, config }));
  if (fs.existsSync(cellsFile)) {
    const before = JSON.parse(fs.readFileSync(cellsFile, 'utf8')) as { id: string }[];
    const same = before.length === cells.length && before.every((c, i) => c.id === cells[i]!.id);
    if (!same) throw new ConfigError(`${out} holds a different grid (cells.json differs); use another --out folder`);
  } else {
    writeJsonAtomic(path.join(out, 'grid.json'), grid);
    writeJsonAtomic(cellsFile, listing);
  }
  repairJsonLines(path.join(out, 'results.jsonl'));
  const finished = new Map(readResults(out).map((r) => [r.id, r]));
  const todo = cells.filter((c) => !finished.has(c.id));
  options.onPlan?.({ total: cells.length, finished: cells.length - todo.length, toRun: todo.length });
  let done = cells.length - todo.length;
  const record = (cell: Cell, result: RunResult) => {
    const row: ResultRow = { id: cell.id, index: cell.index, axes: { ...cell.axes }, ...result, seed: cell.seed };
    appendJsonLine(path.join(out, 'results.jsonl'), row);
    finished.set(cell.id, row);
    options.onCellEnd?.(row, ++done, cells.length);
  };
  // Workers share the cores: each cell's backend gets its share of threads (results do not depend on it).
  const poolSize = Math.min(workers, todo.length);
  const threads = workers === 0 ? undefined : Math.max(1, Math.floor(defaultThreads() / Math.max(1, poolSize)));
  const task = (cell: Cell): CellTask => ({ cell, runDir: path.join(out, 'runs', cell.id), ...(threads ? { threads } : {}) });
  if (workers === 0 || todo.length === 0) {
    for (const cell of todo) {
      options.onCellStart?.(cell);
      record(cell, await runCell(task(cell)));
    }
  } else {
    const { Piscina } = await import('piscina');
    const pool = new Piscina({ filename: workerFile(), maxThreads: poolSize, minThreads: 1, idleTimeout: 1000 });
    try {
      await Promise.all(
        todo.map(async (cell) => {
          const result = (await pool.run(task(cell))) as RunResult;
          record(cell, result);
        }),
      );
    } finally {
      await pool.destroy();
    }
  }
  const rows = cells.map((c) => finished.get(c.id)!).filter(Boolean);
  return { outDir: out, cells: cells.length, skipped: cells.length - todo.length, ran: todo.length, rows };
}
