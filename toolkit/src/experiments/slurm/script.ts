/**
 * The sbatch script of a submission: one job array whose task `i` runs the cells of chunk `i` with the same
 * cell code as a local worker (`synapses-ts ablate-task`). Pure: the options are checked and the text is
 * built here; writing and submitting it is experiments/slurm/submit's job.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../../core/errors';

/** What the user asked of Slurm (`ablate --executor slurm` options). */
export interface SlurmOptions {
  /** `--partition`; default: the cluster's default partition. */
  readonly partition?: string;
  /** `--time` (Slurm's forms: `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`, `D-HH:MM`, `D-HH:MM:SS`); default: the partition's. */
  readonly time?: string;
  /** CPUs of each task, which are the threads of its backend (default 1). */
  readonly cpusPerTask?: number;
  /** `--mem` of each task (`4G`, `500M`, ...); default: the cluster's. */
  readonly mem?: string;
  /** At most this many tasks at once (`--array=...%K`). */
  readonly maxParallel?: number;
  /** Further sbatch options, one per entry (e.g. `--qos=short`, `--account=lab`), written as `#SBATCH` lines. */
  readonly sbatchArgs?: readonly string[];
  /**
   * Seconds before the time limit at which Slurm sends USR1 to a task so that it checkpoints and requeues
   * itself (`--signal=B:USR1@S`). Default 120, at most half of `time`. Slurm checks time limits every 30 s
   * or so, so the signal comes up to that much earlier than asked.
   */
  readonly signalBefore?: number;
}

/** Seconds of a Slurm time limit string.
 * @throws {@link ConfigError} for a string Slurm would not accept. */
export function parseSlurmTime(time: string): number {
  const m = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(time.trim());
  if (!m) throw new ConfigError(`--time "${time}" is not a Slurm time: use MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. 02:00:00)`);
  const [, d, a, b, c] = m;
  const n = (s: string | undefined) => (s === undefined ? 0 : Number(s));
  let seconds: number;
  if (d !== undefined) seconds = n(d) * 86400 + n(a) * 3600 + n(b) * 60 + n(c); // D-HH[:MM[:SS]]
  else if (c !== undefined) seconds = n(a) * 3600 + n(b) * 60 + n(c); // HH:MM:SS
  else if (b !== undefined) seconds = n(a) * 60 + n(b); // MM:SS
  else seconds = n(a) * 60; // MM
  if (seconds <= 0) throw new ConfigError(`--time "${time}" must be longer than 0`);
  return seconds;
}

/** Checks `options` before anything is written or submitted; returns them with defaults filled. */
export function checkSlurmOptions(options: SlurmOptions): Required<Pick<SlurmOptions, 'cpusPerTask' | 'signalBefore' | 'sbatchArgs'>> & SlurmOptions {
  const positive = (v: number | undefined, what: string) => {
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new ConfigError(`${what} must be an integer >= 1, got ${v}`);
  };
  positive(options.cpusPerTask, '--cpus-per-task');
  positive(options.maxParallel, '--max-parallel');
  if (options.partition !== undefined && !/^[\w.-]+(,[\w.-]+)*$/.test(options.partition)) throw new ConfigError(`--partition "${options.partition}" is not a partition name (letters, digits, _ . -; several separated by commas)`);
  if (options.mem !== undefined && !/^\d+[KMGT]?$/i.test(options.mem)) throw new ConfigError(`--mem "${options.mem}" is not a Slurm memory size: a number with an optional unit K, M, G or T (e.g. 4G)`);
  const limit = options.time === undefined ? undefined : parseSlurmTime(options.time);
  for (const a of options.sbatchArgs ?? []) {
    if (!a.startsWith('-') || /[\n\r]/.test(a)) throw new ConfigError(`--sbatch-arg "${a}" must be one sbatch option starting with "-" (e.g. --sbatch-arg=--qos=short), on one line`);
    if (/^--?(array|a|output|o|error|e|open-mode|requeue|no-requeue|signal|parsable)(=|$)/.test(a)) throw new ConfigError(`--sbatch-arg "${a}": the executor sets this option itself (the array, logs, requeue and signal are how it works)`);
  }
  let signalBefore = options.signalBefore ?? (limit === undefined ? 120 : Math.min(120, Math.floor(limit / 2)));
  if (!(Number.isInteger(signalBefore) && signalBefore >= 1 && signalBefore <= 65535)) throw new ConfigError(`signalBefore must be an integer of seconds in [1, 65535], got ${signalBefore}`);
  if (limit !== undefined && signalBefore >= limit) throw new ConfigError(`the requeue signal (${signalBefore} s before the limit) must come after the start: --time ${options.time} is only ${limit} s`);
  signalBefore = Math.floor(signalBefore);
  return { ...options, cpusPerTask: options.cpusPerTask ?? 1, signalBefore, sbatchArgs: options.sbatchArgs ?? [] };
}

/** Everything a script is made from. */
export interface ScriptSpec {
  /** Absolute ablation folder. */
  readonly outDir: string;
  /** The grid's name (the job's name is `synapses-<name>`). */
  readonly gridName: string;
  /** The submission's number in the folder (`slurm/submission-<n>.json` lists its chunks). */
  readonly submission: number;
  /** Tasks in the array (one per chunk of cells). */
  readonly tasks: number;
  /** Cells in all the chunks. */
  readonly cells: number;
  /** Absolute node binary and CLI script the tasks run. */
  readonly node: string;
  readonly cli: string;
  /** Absolute log file pattern (`%A` the array's job id, `%a` the task). */
  readonly logPattern: string;
  /** The cluster's MaxArraySize, when it was read (it decides the chunks). */
  readonly maxArraySize?: number;
  readonly options: SlurmOptions;
}

/** Quotes a word for bash (single quotes). */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sbatch script (bash, commented) of a submission. */
export function sbatchScript(spec: ScriptSpec): string {
  const o = checkSlurmOptions(spec.options);
  const perTask = spec.cells === spec.tasks ? 'one cell per task' : `chunks of up to ${Math.ceil(spec.cells / spec.tasks)} cells per task (more cells than the cluster's MaxArraySize of ${spec.maxArraySize ?? '?'})`;
  const lines = [
    '#!/bin/bash',
    `# synapses-ts ablation "${spec.gridName}": submission ${spec.submission} of ${spec.outDir}`,
    `# ${spec.cells} cell(s) that were not finished, as ${spec.tasks} array task(s): ${perTask}.`,
    `# Task i runs the cells listed under "tasks"[i] of slurm/submission-${spec.submission}.json, with the same code`,
    '# as a local worker, and appends each cell\'s row to results.jsonl in that folder.',
    '# Written by `synapses-ts ablate --executor slurm`; check progress with `synapses-ts ablate DIR --status`.',
    '',
    `#SBATCH --job-name=${shellWord(`synapses-${spec.gridName}`.slice(0, 64))}`,
    '# One task per chunk of cells; %K after the range: at most K tasks at once (--max-parallel).',
    `#SBATCH --array=0-${spec.tasks - 1}${o.maxParallel ? `%${o.maxParallel}` : ''}`,
    '# One log per task; a requeued task appends to the same log.',
    `#SBATCH --output=${spec.logPattern}`,
    '#SBATCH --open-mode=append',
    '# CPUs per task = threads of the task\'s backend (results do not depend on them).',
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    ...(o.time ? ['# Time limit of each task (each requeued session gets it again).', `#SBATCH --time=${o.time}`] : []),
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.mem ? [`#SBATCH --mem=${o.mem}`] : []),
    '# Requeue: before its time limit (or when preempted) a task gets USR1 (TERM on preemption), stops after',
    '# the batch in progress keeping its last epoch\'s checkpoint, and asks Slurm to requeue it; the new',
    '# session resumes from that checkpoint, bit-identical to an uninterrupted run.',
    '#SBATCH --requeue',
    `#SBATCH --signal=B:USR1@${o.signalBefore}`,
    ...(o.sbatchArgs.length ? ['# Given with --sbatch-arg:', ...o.sbatchArgs.map((a) => `#SBATCH ${a}`)] : []),
    '',
    'set -euo pipefail',
    '# exec: node becomes the batch shell, so the B: signal reaches it directly.',
    `exec ${shellWord(spec.node)} ${shellWord(spec.cli)} ablate-task ${shellWord(spec.outDir)} --submission ${spec.submission}`,
    '',
  ];
  return lines.join('\n');
}
