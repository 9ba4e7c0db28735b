/**
 * The state of every cell of an ablation folder that went to Slurm: from the folder (`results.jsonl`, each
 * run's manifest and lock, the submission records) and from the controller (`squeue`, and `sacct` when the
 * cluster keeps accounting).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../core/errors';
import { LOCK_FILE } from '../../io/lock';
import { readCellListing, readResultRows } from '../ablation-results';
import { epochsCompleted } from '../ablation-worker';
import { accountingStates, ACTIVE_STATES, queueStates, SlurmError, type TaskState } from './commands';
import { latestTaskOfCells, readSubmissions, taskLogFile, type SubmissionRecord } from './submission';

/** What a cell is doing. */
export type CellState = 'finished' | 'failed' | 'pending' | 'running' | 'unfinished' | 'not submitted';

/** One cell's line of the status. */
export interface CellStatus {
  readonly id: string;
  readonly index: number;
  readonly seed: number | undefined;
  readonly axes: Record<string, unknown>;
  readonly state: CellState;
  /** Why (pending reason, the error of a failure, how an unfinished cell's task ended), when there is more to say. */
  readonly detail?: string;
  /** `"<array job id>_<task>"` of the cell's latest submission. */
  readonly job?: string;
  /** The Slurm state of that task, when the controller or accounting knows it. */
  readonly slurmState?: string;
  readonly node?: string;
  /** The task's log file. */
  readonly log?: string;
  /** Epochs whose metrics the cell has logged (null: its log cannot be read). */
  readonly epochs: number | null;
}

/** The status of a folder. */
export interface AblationStatus {
  readonly outDir: string;
  readonly cells: CellStatus[];
  /** Where the Slurm states came from, or why there are none. */
  readonly source: string;
  /** Array tasks still pending or running (the cells of which are not over). */
  readonly active: number;
}

type ManifestView = { status?: string; executor?: { node?: string } };
function readManifest(runDir: string): ManifestView | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(runDir, 'manifest.json'), 'utf8')) as ManifestView;
  } catch {
    return null;
  }
}

/**
 * The state of every cell of `outDir`.
 * @param query - ask squeue/sacct (default true); false reads the folder alone.
 * @throws {@link ConfigError} when `outDir` is not an ablation folder.
 */
export function ablationStatus(outDir: string, query = true): AblationStatus {
  const listing = readCellListing(outDir);
  if (!listing) throw new ConfigError(`${outDir} is not an ablation folder (no cells.json): give the --out folder of an ablate run`);
  const rows = readResultRows(outDir);
  const latestRow = new Map<string, { state: 'finished' | 'failed'; detail?: string }>();
  for (const r of rows.finished) latestRow.set(r.id, { state: 'finished' });
  for (const r of rows.failed) latestRow.set(r.id, { state: 'failed', detail: `${r.error.name}: ${r.error.message.split('\n')[0]}` });
  const records = readSubmissions(outDir);
  const ofCell = latestTaskOfCells(records);
  const arrays = [...new Set(records.map((r) => r.jobId).filter((j): j is string => j !== null))];
  let queue = new Map<string, TaskState>();
  let accounting: Map<string, TaskState> | null = null;
  let source = records.length === 0 ? 'no Slurm submissions in this folder' : 'not asked';
  if (query && arrays.length > 0) {
    try {
      queue = queueStates(arrays);
      accounting = accountingStates(arrays);
      source = accounting ? 'squeue and sacct' : 'squeue (no accounting: sacct has nothing to say here)';
    } catch (e) {
      if (!(e instanceof SlurmError)) throw e;
      source = `the folder only: ${e.message}`;
    }
  }
  let active = 0;
  const counted = new Set<string>();
  const cells = listing.map((c, i): CellStatus => {
    const runDir = path.join(outDir, 'runs', c.id);
    const base = { id: c.id, index: c.index ?? i, seed: c.seed, axes: c.axes ?? {}, epochs: epochsCompleted(runDir) };
    const at = ofCell.get(c.id);
    const key = at ? `${at.record.jobId}_${at.task}` : undefined;
    const task = key ? queue.get(key) ?? accounting?.get(key) : undefined;
    const manifest = readManifest(runDir);
    const slurmPart = at
      ? { job: key!, log: taskLogFile(at.record, at.task)!, ...(task ? { slurmState: task.state } : {}), ...(task?.node || manifest?.executor?.node ? { node: task?.node || manifest?.executor?.node } : {}) }
      : {};
    const isActive = task !== undefined && ACTIVE_STATES.has(task.state);
    if (isActive && key && !counted.has(key)) {
      counted.add(key);
      active++;
    }
    const row = latestRow.get(c.id);
    if (row && !isActive) return { ...base, ...slurmPart, state: row.state, ...(row.detail ? { detail: row.detail } : {}) };
    if (isActive) {
      const waiting = task.state === 'PENDING' || task.state === 'REQUEUED';
      // In a running task, the cell runs when every cell before it in its chunk has ended.
      const chunk = at!.record.tasks[at!.task] ?? [];
      const running = !waiting && chunk.slice(0, chunk.indexOf(c.id)).every((id) => latestRow.has(id));
      const detail = waiting
        ? `${task.reason && task.reason !== 'None' ? `waiting: ${task.reason}` : 'waiting'}${row ? ` (retrying a ${row.state} cell)` : ''}`
        : running ? (fs.existsSync(path.join(runDir, LOCK_FILE)) ? undefined : 'starting') : 'its task runs other cells of its chunk first';
      return { ...base, ...slurmPart, state: running ? 'running' : 'pending', ...(detail ? { detail } : {}) };
    }
    if (!at) return { ...base, state: 'not submitted', ...(manifest?.status ? { detail: `run folder says ${manifest.status}` } : {}) };
    const log = taskLogFile(at.record, at.task);
    const ended = task ? `its task ended (${task.state})` : 'its task is over (no longer known to squeue)';
    const detail = manifest === null
      ? `${ended} before the cell wrote anything: see its log ${log}`
      : `${ended} with the run ${manifest.status ?? 'unfinished'} after ${base.epochs ?? '?'} epoch(s); submit again to continue it (log: ${log})`;
    return { ...base, ...slurmPart, state: 'unfinished', detail };
  });
  return { outDir, cells, source, active };
}

const axesLabel = (axes: Record<string, unknown>): string => Object.entries(axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');

/** The status as text: one line per cell, then the counts. */
export function formatStatus(status: AblationStatus, records: readonly SubmissionRecord[] = []): string {
  const header = ['cell', 'state', 'job', 'node', 'epochs', 'settings', 'log / detail'];
  const body = status.cells.map((c) => [
    c.id.slice(0, 12),
    c.state,
    c.job ?? '-',
    c.node ?? '-',
    c.epochs === null ? '?' : String(c.epochs),
    `${axesLabel(c.axes)}${c.seed === undefined ? '' : ` seed=${c.seed}`}`,
    [c.log, c.detail].filter(Boolean).join(' | ') || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join('  ');
  const counts = new Map<string, number>();
  for (const c of status.cells) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const jobs = records.filter((r) => r.jobId !== null).map((r) => `${r.jobId} (submission ${r.submission}, ${r.tasks.length} task(s))`).join(', ');
  return [
    line(header),
    ...body.map(line),
    '',
    `${status.cells.length} cells: ${summary}`,
    `Slurm arrays: ${jobs || 'none'}; states from ${status.source}`,
  ].join('\n') + '\n';
}
