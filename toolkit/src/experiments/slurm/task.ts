/**
 * One Slurm array task (`synapses-ts ablate-task DIR --submission N`, run by the sbatch script): runs the
 * cells of its chunk with the local worker's code ({@link runCell}) and appends each cell's row to the
 * folder's `results.jsonl`, as the local runner does.
 *
 * Requeue: on USR1 (the `--signal` Slurm sends before the time limit) or TERM (preemption, `scancel
 * --signal=TERM`), the running cell stops after its batch in progress, keeping its last epoch's
 * checkpoint; the task then asks Slurm to requeue it (`scontrol requeue <job>_<task>`) and exits. The
 * requeued task skips the cells of its chunk that finished and resumes the others from their checkpoints,
 * bit-identical to an uninterrupted run.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../core/errors';
import { appendJsonLine, repairJsonLines } from '../../io/files';
import { LOCK_FILE, processAlive, readLock } from '../../io/lock';
import { outcomeRow } from '../ablation';
import { readResultRows, RESULTS_FILE } from '../ablation-results';
import runCell from '../ablation-worker';
import { expandGrid } from '../grid';
import { ACTIVE_STATES, queueStates, slurm } from './commands';
import { readSubmission } from './submission';

/** How a task ended. */
export interface TaskOutcome {
  readonly finished: number;
  readonly failed: number;
  /** Set when a signal stopped the task: the signal, and whether Slurm accepted the requeue. */
  readonly interrupted?: { readonly signal: string; readonly requeued: boolean; readonly message: string };
}

/** Options of {@link runSlurmTask}. */
export interface TaskOptions {
  /** The environment (default process.env): SLURM_ARRAY_TASK_ID, SLURM_ARRAY_JOB_ID, SLURM_JOB_ID, SLURM_CPUS_PER_TASK, ... */
  readonly env?: NodeJS.ProcessEnv;
  /** Aborted with the signal's name (`"SIGUSR1"`) to stop and requeue. */
  readonly signal?: AbortSignal;
  /** Lines for the task's log. */
  readonly log?: (line: string) => void;
}

/** Sleeps `ms` milliseconds without yielding (used while holding the results lock only). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Appends `row` to `outDir/results.jsonl` while holding `results.jsonl.lock` (an exclusive create, which
 * also works on NFS): tasks on many nodes append to the same file, and one append may be several writes.
 * A partial last line (a task killed mid-append) is cut first, so no row is glued to it. A lock older
 * than a minute is stale (an append takes milliseconds) and is taken over.
 */
export function appendResultRow(outDir: string, row: unknown): void {
  const file = path.join(outDir, RESULTS_FILE);
  const lock = `${file}.lock`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.writeFileSync(lock, `${os.hostname()} ${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > 60_000) fs.rmSync(lock, { force: true });
      } catch {
        // Released meanwhile: try again.
      }
      if (Date.now() > deadline) throw new ConfigError(`${lock} stayed locked for 2 minutes; if no task is writing results, remove it`);
      sleepSync(20);
    }
  }
  try {
    repairJsonLines(file);
    appendJsonLine(file, row);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Removes the lock of `runDir` when it was left by an earlier session of a Slurm task that is over: a
 * requeued task may start on another node, where the lock of its killed predecessor cannot be checked by
 * process id. Its `slurm-task.json` says which job held it; the lock is removed when that job is this
 * same task (Slurm runs one session of a task at a time) or is no longer pending or running.
 */
function clearStaleTaskLock(runDir: string, self: string, log: (line: string) => void): void {
  const lockFile = path.join(runDir, LOCK_FILE);
  const holder = readLock(lockFile);
  if (!holder) return;
  if (holder.host === os.hostname() && processAlive(holder.pid)) return; // alive here: the run's own check refuses it
  let previous: string | undefined;
  try {
    previous = (JSON.parse(fs.readFileSync(path.join(runDir, 'slurm-task.json'), 'utf8')) as { task?: string }).task;
  } catch {
    return; // not locked by a task of ours: leave it to the run's own check
  }
  if (!previous) return;
  let over = previous === self;
  if (!over) {
    const [array, task] = previous.split('_');
    const s = array ? queueStates([array]).get(`${array}_${task}`) : undefined;
    over = !s || !ACTIVE_STATES.has(s.state);
  }
  if (over) {
    fs.rmSync(lockFile, { force: true });
    log(`removed the lock of ${runDir} left by task ${previous} (${holder.host}, pid ${holder.pid}), which is over`);
  }
}

/**
 * Runs the chunk of the current array task (SLURM_ARRAY_TASK_ID) of submission `submission` of `outDir`.
 * @throws {@link ConfigError} when not run by Slurm, or when the folder does not hold that submission.
 */
export async function runSlurmTask(outDir: string, submission: number, options: TaskOptions = {}): Promise<TaskOutcome> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const taskId = Number(env.SLURM_ARRAY_TASK_ID);
  if (!Number.isInteger(taskId) || taskId < 0) throw new ConfigError('ablate-task runs inside a Slurm array task (SLURM_ARRAY_TASK_ID is not set); use ablate --executor slurm');
  const record = readSubmission(outDir, submission);
  const ids = record.tasks[taskId];
  if (!ids) throw new ConfigError(`submission ${submission} of ${outDir} has ${record.tasks.length} task(s), not task ${taskId}`);
  const grid = JSON.parse(fs.readFileSync(path.join(outDir, 'grid.json'), 'utf8')) as unknown;
  // The same expansion as at submission (already confirmed there, so no bound on its size here).
  const byId = new Map(expandGrid(grid, { maxCells: Number.MAX_SAFE_INTEGER }).map((c) => [c.id, c]));
  const arrayJob = env.SLURM_ARRAY_JOB_ID ?? record.jobId ?? '?';
  const self = `${arrayJob}_${taskId}`;
  const cpus = Number(env.SLURM_CPUS_PER_TASK);
  const threads = Number.isInteger(cpus) && cpus >= 1 ? cpus : 1;
  const restarts = Number(env.SLURM_RESTART_COUNT ?? 0) || 0;
  const executor = {
    name: 'slurm', jobId: env.SLURM_JOB_ID ?? null, arrayJobId: arrayJob, arrayTaskId: taskId, node: env.SLURMD_NODENAME ?? os.hostname(),
    restartCount: restarts, submission, cpusPerTask: threads, cluster: env.SLURM_CLUSTER_NAME ?? null,
  };
  log(`synapses-ts ablate-task ${self} on ${executor.node}: ${ids.length} cell(s), ${threads} thread(s), session ${restarts + 1}, ${new Date().toISOString()}`);
  let finished = 0;
  let failed = 0;
  for (const id of ids) {
    const cell = byId.get(id);
    if (!cell) throw new ConfigError(`cell ${id} of submission ${submission} is not in ${path.join(outDir, 'grid.json')} (was the grid file changed?)`);
    // A requeued task skips what an earlier session finished.
    if (readResultRows(outDir).finished.some((r) => r.id === id)) {
      log(`cell ${id}: already finished`);
      continue;
    }
    if (options.signal?.aborted) break;
    const runDir = path.join(outDir, 'runs', id);
    fs.mkdirSync(runDir, { recursive: true });
    clearStaleTaskLock(runDir, self, log);
    fs.writeFileSync(path.join(runDir, 'slurm-task.json'), JSON.stringify({ task: self, node: executor.node, pid: process.pid, startedAt: new Date().toISOString() }) + '\n');
    log(`cell ${id}: ${cell.config.name} seed=${cell.seed}`);
    const outcome = await runCell({ cell, runDir, threads, executor }, options.signal);
    const row = outcomeRow(cell, outcome);
    if (!row) {
      const message = outcome.ok ? '' : outcome.error.message;
      log(`cell ${id}: ${message}`);
      break;
    }
    appendResultRow(outDir, row);
    if (row.status === 'finished') {
      finished++;
      log(`cell ${id}: finished, test accuracy ${row.testAccuracy}`);
    } else {
      failed++;
      log(`cell ${id}: FAILED: ${row.error.name}: ${row.error.message}`);
    }
  }
  if (!options.signal?.aborted) return { finished, failed };
  const signal = typeof options.signal.reason === 'string' ? options.signal.reason : 'signal';
  const requeued = requeue(self, log);
  const message = requeued
    ? `${signal}: checkpoint kept; requeued ${self}, whose next session continues from it`
    : `${signal}: checkpoint kept; Slurm did not requeue ${self} (cancelled, or submitted without --requeue): submit the grid again to continue it`;
  log(message);
  return { finished, failed, interrupted: { signal, requeued, message } };
}

/** Asks Slurm to requeue task `self` (`"<array job>_<task>"`); whether it accepted. */
function requeue(self: string, log: (line: string) => void): boolean {
  try {
    const r = slurm('scontrol', ['requeue', self]);
    if (r.status !== 0) log(`scontrol requeue ${self}: ${(r.stderr || r.stdout).trim()}`);
    return r.status === 0;
  } catch (e) {
    log(`scontrol requeue ${self}: ${(e as Error).message}`);
    return false;
  }
}
