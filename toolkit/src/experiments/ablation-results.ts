/**
 * The bookkeeping files of an ablation folder, read back: `cells.json` (every cell of the grid) and
 * `results.jsonl` (one row per cell attempt that ended).
 *
 * `results.jsonl` is append-only. A cell that finishes gets a {@link ResultRow} (`status: "finished"`); a
 * cell whose run raised an error gets a {@link FailedRow} (`status: "failed"`: the error's class and message,
 * the epochs it completed, its config). A failed cell is run again by the next `ablate` of the same grid, so
 * one cell id can have several rows: the LATEST row of an id is that cell's state, and the readers here
 * return only latest rows. Rows written before rows had a status (toolkit versions without failure records)
 * are finished rows.
 *
 * A corrupt file is reported as a {@link CorruptFileError} naming the file (and line) and what to do; only a
 * last line cut by a kill is forgiven.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { CorruptFileError, type SerializedError } from '../core/errors';
import { readJsonLines } from '../io/files';
import { upgradeResult } from './result-version';
import type { RunConfig } from './config';
import type { RunResult } from './run';

/** The results log of an ablation folder. */
export const RESULTS_FILE = 'results.jsonl';
/** The cell listing of an ablation folder. */
export const CELLS_FILE = 'cells.json';

/** A finished cell: one line of `results.jsonl` with `status: "finished"` (or, from older versions, no status). */
export type ResultRow = RunResult & {
  readonly status: 'finished';
  readonly id: string;
  readonly index: number;
  readonly axes: Record<string, unknown>;
};

/** A failed cell: one line of `results.jsonl` with `status: "failed"`. Its run folder is `runs/<id>`. */
export interface FailedRow {
  readonly status: 'failed';
  readonly id: string;
  readonly index: number;
  readonly seed: number;
  readonly axes: Record<string, unknown>;
  /** The cell's full run config, so that the failure can be reproduced alone (`train --config`). */
  readonly config: RunConfig;
  /**
   * The error: its class name (`NumericalError`, `ConfigError`, `ModelFileError`, ...), message and data
   * fields. The stack is kept only for errors that are not the toolkit's own (a bug to report).
   */
  readonly error: SerializedError;
  /**
   * Epochs whose metrics were logged before the error (the failing epoch is this 0-based index when it
   * arose in training); `null` when the cell's `metrics.jsonl` could not be read.
   */
  readonly epochsCompleted: number | null;
  /** Seconds from the cell's start to its failure; null when the worker thread running it died. */
  readonly seconds: number | null;
  /** ISO time of the failure. */
  readonly failedAt: string;
}

/** One line of `results.jsonl`. */
export type AnyResultRow = ResultRow | FailedRow;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with one parsed line of `results.jsonl`, or undefined when it is a row. */
function rowProblem(v: unknown): string | undefined {
  if (!isObject(v)) return 'not a result row (expected a JSON object)';
  if (typeof v.id !== 'string' || v.id === '') return 'a result row without a cell "id"';
  if (!isObject(v.axes)) return `result row of cell ${v.id} has no "axes" object`;
  if (v.status === 'failed') {
    const e = v.error;
    if (!isObject(e) || typeof e.name !== 'string' || typeof e.message !== 'string') return `failed row of cell ${v.id} has no "error" with a name and a message`;
    return undefined;
  }
  if (v.status !== undefined && v.status !== 'finished') return `result row of cell ${v.id} has status ${JSON.stringify(v.status)}, expected "finished" or "failed"`;
  if (typeof v.testAccuracy !== 'number') return `finished row of cell ${v.id} has no numeric "testAccuracy"`;
  return undefined;
}

/** The latest row of every cell in `outDir/results.jsonl`, finished and failed, each in file order. */
export function readResultRows(outDir: string): { finished: ResultRow[]; failed: FailedRow[] } {
  const file = path.join(outDir, RESULTS_FILE);
  if (!fs.existsSync(file)) return { finished: [], failed: [] };
  const rows = readJsonLines<AnyResultRow>(file, {
    check: rowProblem,
    remedy: 'this file is written by synapses-ts ablate; restore it, or remove that line (its cell is then run again)',
  });
  const latest = new Map<string, AnyResultRow>();
  for (const r of rows) {
    latest.delete(r.id); // so that the map's order is the order of each cell's latest row
    latest.set(r.id, r);
  }
  const all = [...latest.values()];
  return {
    // Rows of an older result format (no resultVersion) come back as version 1 with a note on what they lack.
    finished: all.filter((r): r is ResultRow => r.status !== 'failed').map((r) => upgradeResult<ResultRow>(r, `${file} (cell ${r.id})`)),
    failed: all.filter((r): r is FailedRow => r.status === 'failed'),
  };
}

/**
 * The finished cells of `outDir/results.jsonl` (the latest row per cell id; failed cells are left out: see
 * {@link readFailures}). A partial last line from a kill is ignored.
 * @throws {@link CorruptFileError} naming `file:line` for a line that is not a result row.
 */
export function readResults(outDir: string): ResultRow[] {
  return readResultRows(outDir).finished;
}

/**
 * The cells of `outDir/results.jsonl` whose latest row is a failure (a failed cell that a later `ablate`
 * finished is not one).
 * @throws {@link CorruptFileError} as {@link readResults}.
 */
export function readFailures(outDir: string): FailedRow[] {
  return readResultRows(outDir).failed;
}

/**
 * One entry of `cells.json`. `ablate` writes every field; readers rely only on `id` (what results are
 * keyed by), so only it is required, and the others are checked when present.
 */
export interface CellListing {
  readonly id: string;
  readonly index?: number;
  readonly axes?: Record<string, unknown>;
  readonly seed?: number;
  readonly config?: unknown;
}

const listingSchema = z.array(
  z.object({
    id: z.string().min(1),
    index: z.number().int().min(0).optional(),
    axes: z.record(z.string(), z.unknown()).optional(),
    seed: z.number().optional(),
    config: z.unknown().optional(),
  }),
);

/** The 1-based line of a JSON.parse error's `position N`, when the message has one. */
function lineOfJsonError(text: string, message: string): number | undefined {
  const m = /position (\d+)/.exec(message);
  if (!m) return undefined;
  return text.slice(0, Number(m[1])).split('\n').length;
}

/**
 * The cells listed in `outDir/cells.json`, or null when the folder has none.
 * @throws {@link CorruptFileError} naming the file (and the line, for invalid JSON) when it is not a cell listing.
 */
export function readCellListing(outDir: string): CellListing[] | null {
  const file = path.join(outDir, CELLS_FILE);
  if (!fs.existsSync(file)) return null;
  const remedy = 'it lists the grid\'s cells and is written by synapses-ts ablate: restore it, or delete it and rerun the same grid to rewrite it (finished cells in results.jsonl are kept)';
  const text = fs.readFileSync(file, 'utf8');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const line = lineOfJsonError(text, (e as Error).message);
    throw new CorruptFileError(`${file}${line ? `:${line}` : ''}: not valid JSON (${(e as Error).message}); ${remedy}`, file, line);
  }
  const r = listingSchema.safeParse(doc);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new CorruptFileError(`${file}: not a cell listing (${where}: ${issue.message}); ${remedy}`, file);
  }
  return r.data;
}
