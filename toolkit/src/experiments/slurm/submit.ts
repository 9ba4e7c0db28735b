/**
 * The Slurm executor of the ablation runner: submits ONE job array for the cells of a grid that are not
 * finished (failed ones included, cells whose task is still pending or running left out), and waits for it.
 *
 * The folder is the same as a local run's (experiments/ablation: `grid.json`, `cells.json`, `runs/<cell>`,
 * `results.jsonl`), plus `slurm/` (experiments/slurm/submission). Each array task runs its cells with the
 * local worker's code (`runCell`) and appends their rows to `results.jsonl`; so the rows, the tables and the
 * figures are the same bits as a local run's, whatever ran where.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../core/errors';
import { writeFileAtomic } from '../../io/files';
import { lockFolder } from '../../io/lock';
import { openAblationFolder } from '../ablation';
import { readCellListing, readResultRows, type FailedRow, type ResultRow } from '../ablation-results';
import { expandGrid, parseGrid, type Cell } from '../grid';
import { ACTIVE_STATES, checkPartition, clusterConfig, queueStates, sbatch, slurm, SlurmError } from './commands';
import { checkSlurmOptions, sbatchScript, type SlurmOptions } from './script';
import { ablationStatus, type AblationStatus, type CellStatus } from './status';
import { latestTaskOfCells, readSubmissions, SLURM_DIR, writeSubmission, type SubmissionRecord } from './submission';

/** Options of {@link submitAblation}. */
export interface SubmitOptions extends SlurmOptions {
  readonly outDir: string;
  /** Confirms a grid of more cells than the default bound (as `ablate --max-cells`). */
  readonly maxCells?: number;
  /** Build and return the script without writing or submitting anything. */
  readonly dryRun?: boolean;
  /** Told what happens (cells skipped because their task is still queued, ...). */
  readonly onMessage?: (message: string) => void;
}

/** What {@link submitAblation} did. */
export interface SubmitResult {
  readonly outDir: string;
  readonly cells: number;
  readonly finished: number;
  /** Cells left out because their task of an earlier submission is still pending or running. */
  readonly active: number;
  /** Cells submitted now (failed ones retried included); 0 when there was nothing to submit. */
  readonly submitted: number;
  /** Of those, cells that had failed before. */
  readonly retried: number;
  /** The script (also when nothing was submitted: null then). */
  readonly script: string | null;
  readonly scriptFile: string | null;
  /** The new submission's record (null for a dry run or when nothing was submitted). */
  readonly record: SubmissionRecord | null;
}

/** The built CLI the tasks run (`toolkit/dist/cli/main.js`), absolute: a task's PATH may differ from ours. */
export function cliFile(): string {
  const here = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../../dist/experiments/slurm') : __dirname;
  const file = path.resolve(here, '../../cli/main.js');
  if (!fs.existsSync(file)) throw new ConfigError(`the synapses-ts CLI ${file} is missing: build the toolkit first (npm run setup)`);
  return file;
}

/** Splits `ids` into `tasks` contiguous chunks whose sizes differ by at most one. */
export function chunkCells(ids: readonly string[], tasks: number): string[][] {
  const chunks: string[][] = [];
  const size = Math.floor(ids.length / tasks);
  const extra = ids.length % tasks;
  let at = 0;
  for (let t = 0; t < tasks; t++) {
    const n = size + (t < extra ? 1 : 0);
    chunks.push(ids.slice(at, at + n));
    at += n;
  }
  return chunks;
}

/**
 * Submits the unfinished cells of `grid` into `options.outDir` as one Slurm job array (or, with `dryRun`,
 * only builds its script). Checks before anything is written: the grid, the options, that sbatch is
 * installed, that a controller answers, that the partition exists.
 * @throws {@link ConfigError} for a bad grid or option, or a folder of another grid; {@link SlurmError}
 *   when Slurm is missing, unreachable, or refuses the job.
 */
export function submitAblation(grid: unknown, options: SubmitOptions): SubmitResult {
  const cells = expandGrid(grid, options.maxCells === undefined ? {} : { maxCells: options.maxCells });
  const slurmOptions = checkSlurmOptions(options);
  const out = path.resolve(options.outDir);
  // The cluster is asked before the folder is touched: sbatch installed, a controller, the partition.
  let maxArraySize: number | undefined;
  try {
    maxArraySize = clusterConfig().maxArraySize;
    if (slurmOptions.partition) for (const p of slurmOptions.partition.split(',')) checkPartition(p);
    if (!options.dryRun) slurm('sbatch', ['--version']);
  } catch (e) {
    if (!options.dryRun) throw e;
    options.onMessage?.(`(dry run) the cluster could not be asked, so MaxArraySize is taken as 1001: ${(e as Error).message}`);
  }
  const name = parseGrid(grid).name ?? path.basename(out);
  if (options.dryRun) {
    // Nothing is written: the finished cells are read if the folder exists, and every other cell is planned.
    const done = new Set(fs.existsSync(out) && readCellListing(out) ? readResultRows(out).finished.map((r) => r.id) : []);
    const todo = cells.filter((c) => !done.has(c.id));
    const plan = planTasks(todo, maxArraySize);
    const script = todo.length ? buildScript(out, name, nextSubmission(out), plan, todo.length, maxArraySize, slurmOptions) : null;
    return { outDir: out, cells: cells.length, finished: done.size, active: 0, submitted: todo.length, retried: 0, script, scriptFile: null, record: null };
  }
  const lock = lockFolder(out, { what: 'ablation folder', ...(options.onMessage ? { onMessage: options.onMessage } : {}) });
  try {
    const previous = openAblationFolder(out, grid, cells);
    const finished = new Set(previous.finished.map((r) => r.id));
    const failedBefore = new Set(previous.failed.map((r) => r.id));
    const active = activeCells(out);
    const todo = cells.filter((c) => !finished.has(c.id) && !active.has(c.id));
    if (active.size) options.onMessage?.(`${active.size} cell(s) left out: their task of an earlier submission is still pending or running (${[...new Set(active.values())].join(', ')})`);
    if (todo.length === 0) return { outDir: out, cells: cells.length, finished: finished.size, active: active.size, submitted: 0, retried: 0, script: null, scriptFile: null, record: null };
    const plan = planTasks(todo, maxArraySize);
    const n = nextSubmission(out);
    const script = buildScript(out, name, n, plan, todo.length, maxArraySize, slurmOptions);
    const scriptFile = path.join(out, SLURM_DIR, `submission-${n}.sbatch`);
    fs.mkdirSync(path.join(out, SLURM_DIR, 'logs'), { recursive: true });
    writeFileAtomic(scriptFile, script);
    const record: SubmissionRecord = {
      format: 'synapses-ts/slurm-submission',
      version: 1,
      submission: n,
      createdAt: new Date().toISOString(),
      jobId: null,
      script: scriptFile,
      logPattern: logPattern(out),
      tasks: plan,
      options: slurmOptions,
      ...(maxArraySize ? { maxArraySize } : {}),
    };
    // Written before sbatch: a task that starts at once finds its chunk.
    writeSubmission(out, record);
    const jobId = sbatch(scriptFile);
    const submitted = { ...record, jobId };
    writeSubmission(out, submitted);
    return {
      outDir: out, cells: cells.length, finished: finished.size, active: active.size, submitted: todo.length,
      retried: todo.filter((c) => failedBefore.has(c.id)).length, script, scriptFile, record: submitted,
    };
  } finally {
    lock.release();
  }
}

const logPattern = (out: string) => path.join(out, SLURM_DIR, 'logs', '%A_%a.log');

function planTasks(todo: readonly Cell[], maxArraySize: number | undefined): string[][] {
  return chunkCells(todo.map((c) => c.id), Math.min(todo.length, maxArraySize ?? 1001));
}

function nextSubmission(out: string): number {
  const all = readSubmissions(out);
  return all.length ? all[all.length - 1]!.submission + 1 : 1;
}

function buildScript(out: string, gridName: string, n: number, plan: string[][], cells: number, maxArraySize: number | undefined, options: SlurmOptions): string {
  return sbatchScript({
    outDir: out, gridName, submission: n, tasks: plan.length, cells, node: process.execPath, cli: cliFile(),
    logPattern: logPattern(out), ...(maxArraySize ? { maxArraySize } : {}), options,
  });
}

/** The cells of `out` whose latest task is pending or running, with that task (`"<job>_<task>"`). */
function activeCells(out: string): Map<string, string> {
  const ofCell = latestTaskOfCells(readSubmissions(out));
  const arrays = [...new Set([...ofCell.values()].map((v) => v.record.jobId!))];
  const queue = queueStates(arrays);
  const active = new Map<string, string>();
  for (const [id, { record, task }] of ofCell) {
    const key = `${record.jobId}_${task}`;
    const s = queue.get(key);
    if (s && ACTIVE_STATES.has(s.state)) active.set(id, key);
  }
  return active;
}

/** Options of {@link waitForAblation}. */
export interface WaitOptions {
  /** Milliseconds between two looks at the queue (default 5000, or SYNAPSES_SLURM_POLL_MS). */
  readonly pollMs?: number;
  /** Called after each look (progress displays). */
  readonly onPoll?: (status: AblationStatus) => void;
  /** Stops waiting (the jobs go on). */
  readonly signal?: AbortSignal;
}

/** What a grid came to once no task of it is pending or running. */
export interface WaitResult {
  readonly status: AblationStatus;
  /** Rows of the finished cells in cell order, and of the failed ones. */
  readonly rows: ResultRow[];
  readonly failed: FailedRow[];
  /** Cells with neither: their task ended without a row (killed, cancelled, or failed before writing anything). */
  readonly unfinished: CellStatus[];
}

/**
 * Waits until no cell of `outDir` has a pending or running Slurm task, then reads what the grid came to.
 * A requeued task is pending, so waiting lasts through requeues.
 * @throws {@link SlurmError} when the controller cannot be reached for a minute.
 */
export async function waitForAblation(outDir: string, options: WaitOptions = {}): Promise<WaitResult> {
  const pollMs = options.pollMs ?? (Number(process.env.SYNAPSES_SLURM_POLL_MS) || 5000);
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    let status: AblationStatus;
    try {
      status = ablationStatus(outDir);
      if (status.source.startsWith('the folder only')) throw new SlurmError(status.source);
      failures = 0;
    } catch (e) {
      if (!(e instanceof SlurmError) || ++failures * pollMs > 60_000) throw e;
      await new Promise((r) => setTimeout(r, pollMs));
      continue;
    }
    options.onPoll?.(status);
    if (status.active === 0) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const status = ablationStatus(outDir);
  const rows = readResultRows(outDir);
  const order = new Map(status.cells.map((c) => [c.id, c.index]));
  const byIndex = <T extends { id: string }>(a: T, b: T) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0);
  return {
    status,
    rows: rows.finished.filter((r) => order.has(r.id)).sort(byIndex),
    failed: rows.failed.filter((r) => order.has(r.id)).sort(byIndex),
    unfinished: status.cells.filter((c) => c.state === 'unfinished' || c.state === 'not submitted'),
  };
}
