/**
 * The Slurm side of `synapses-ts ablate`: `--executor slurm` (submit one job array, optionally `--wait` for
 * it), `--status` (each cell's state), and the hidden `ablate-task` command the array's tasks run.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { writeResultTables } from '../experiments/table';
import { ablationStatus, formatStatus } from '../experiments/slurm/status';
import { submitAblation, waitForAblation } from '../experiments/slurm/submit';
import { readSubmissions } from '../experiments/slurm/submission';
import { runSlurmTask } from '../experiments/slurm/task';
import { failureReport, EXIT_CELLS_FAILED } from './ablate';

/** The Slurm options of `ablate` as parsed by commander. */
export interface SlurmCommandOptions {
  out?: string;
  maxCells?: string;
  partition?: string;
  time?: string;
  cpusPerTask?: string;
  mem?: string;
  maxParallel?: string;
  sbatchArg?: string[];
  signalBefore?: string;
  dryRun?: boolean;
  wait?: boolean;
}

const say = (line: string) => process.stderr.write(`synapses-ts ablate: ${line}\n`);

function int(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(Number.isInteger(n) && n >= 1)) throw new ConfigError(`${flag} must be an integer >= 1, got "${v}"`);
  return n;
}

/** `ablate GRID --executor slurm --out DIR [...]`: submits the unfinished cells, and with `--wait` waits and writes the tables. */
export async function ablateSlurmCommand(grid: unknown, gridFile: string, o: SlurmCommandOptions): Promise<void> {
  const out = o.out ?? path.join('runs', path.basename(gridFile, '.json'));
  const maxCells = int(o.maxCells, '--max-cells');
  const cpusPerTask = int(o.cpusPerTask, '--cpus-per-task');
  const maxParallel = int(o.maxParallel, '--max-parallel');
  const signalBefore = int(o.signalBefore, '--signal-before');
  const result = submitAblation(grid, {
    outDir: out,
    ...(maxCells === undefined ? {} : { maxCells }),
    ...(o.partition === undefined ? {} : { partition: o.partition }),
    ...(o.time === undefined ? {} : { time: o.time }),
    ...(cpusPerTask === undefined ? {} : { cpusPerTask }),
    ...(o.mem === undefined ? {} : { mem: o.mem }),
    ...(maxParallel === undefined ? {} : { maxParallel }),
    ...(signalBefore === undefined ? {} : { signalBefore }),
    sbatchArgs: o.sbatchArg ?? [],
    ...(o.dryRun ? { dryRun: true } : {}),
    onMessage: say,
  });
  if (o.dryRun) {
    if (result.script) process.stdout.write(result.script);
    say(`dry run: ${result.cells} runs, ${result.finished} already finished, ${result.submitted} would be submitted; nothing was written or submitted`);
    return;
  }
  if (result.record) {
    const retried = result.retried ? ` (${result.retried} failed before and retried)` : '';
    say(`${result.cells} runs (${result.finished} already finished${result.active ? `, ${result.active} still queued` : ''}): submitted job array ${result.record.jobId} ` +
      `with ${result.record.tasks.length} task(s) for ${result.submitted} run(s)${retried}`);
    say(`script: ${result.scriptFile}; logs: ${path.dirname(result.record.logPattern)}; progress: synapses-ts ablate ${out} --status`);
  } else {
    say(`${result.cells} runs (${result.finished} finished, ${result.active} still queued): nothing to submit`);
  }
  if (!o.wait) return;
  say('waiting for the array to end (Ctrl-C stops waiting, not the jobs)');
  const stop = new AbortController();
  const onSignal = () => stop.abort('SIGINT');
  process.once('SIGINT', onSignal);
  let last = '';
  const done = await waitForAblation(out, {
    signal: stop.signal,
    onPoll: (s) => {
      const counts = new Map<string, number>();
      for (const c of s.cells) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
      const line = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
      if (line !== last) say(line);
      last = line;
    },
  }).finally(() => process.off('SIGINT', onSignal));
  if (stop.signal.aborted) {
    say(`stopped waiting; the jobs go on: synapses-ts ablate ${out} --status`);
    process.exitCode = 130;
    return;
  }
  // The same tables as a local run, from the same rows.
  const tables = await writeResultTables(out, done.rows);
  process.stderr.write(`${tables.text}\nresults: ${tables.resultsCsv}\nsummary: ${tables.summaryCsv}\n`);
  if (done.failed.length > 0) {
    process.stderr.write(failureReport(out, done.failed, done.status.cells.length));
    process.exitCode = EXIT_CELLS_FAILED;
  }
  if (done.unfinished.length > 0) {
    say(`${done.unfinished.length} run(s) ended without a result; run the same command again to submit them again:`);
    for (const c of done.unfinished) process.stderr.write(`  ${c.id}: ${c.detail ?? c.state}\n`);
    process.exitCode = EXIT_CELLS_FAILED;
  }
}

/** `ablate DIR --status`: each cell's state from the folder and from squeue/sacct. */
export function ablateStatusCommand(dir: string): void {
  const status = ablationStatus(dir);
  process.stdout.write(formatStatus(status, readSubmissions(dir)));
}

/**
 * `ablate-task DIR --submission N` (hidden; what the sbatch script runs). USR1 and TERM stop the running
 * cell after its batch and requeue the task; exit status 0 when every cell of the chunk finished (or the
 * task was requeued), 1 when some failed, 128 + the signal's number when a signal stopped it unrequeued.
 */
export async function ablateTaskCommand(dir: string, o: { submission?: string }): Promise<void> {
  const submission = Number(o.submission);
  if (!(Number.isInteger(submission) && submission >= 1)) throw new ConfigError(`--submission must be an integer >= 1, got "${o.submission}"`);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stdout.write(`synapses-ts ablate-task: ${signal} at ${new Date().toISOString()}: stopping after the batch in progress\n`);
    if (!stop.signal.aborted) stop.abort(signal);
  };
  for (const s of ['SIGUSR1', 'SIGTERM', 'SIGINT'] as const) process.on(s, onSignal);
  const outcome = await runSlurmTask(path.resolve(dir), submission, { signal: stop.signal });
  if (outcome.interrupted) {
    process.exitCode = outcome.interrupted.requeued ? 0 : 128 + (os.constants.signals[outcome.interrupted.signal as NodeJS.Signals] ?? 15);
  } else if (outcome.failed > 0) {
    process.exitCode = EXIT_CELLS_FAILED;
  }
}
