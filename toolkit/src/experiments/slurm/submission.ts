/**
 * The Slurm bookkeeping of an ablation folder, under `DIR/slurm/`:
 * - `submission-<n>.json`: one per `ablate --executor slurm` that submitted something: the array's job id,
 *   the cells of each array task, the options, the script and log paths;
 * - `submission-<n>.sbatch`: the script that was submitted (`sbatch` it again by hand if you like);
 * - `logs/<job id>_<task>.log`: each task's output (a requeued task appends to its log).
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CorruptFileError } from '../../core/errors';
import { writeJsonAtomic } from '../../io/files';
import type { SlurmOptions } from './script';

/** The folder of the Slurm files inside an ablation folder. */
export const SLURM_DIR = 'slurm';

/** One submission of an ablation folder (`slurm/submission-<n>.json`). */
export interface SubmissionRecord {
  readonly format: 'synapses-ts/slurm-submission';
  readonly version: 1;
  /** Its number in the folder (1, 2, ...). */
  readonly submission: number;
  readonly createdAt: string;
  /** The array's job id; null while sbatch has not answered (or refused: then there is no job). */
  readonly jobId: string | null;
  /** Absolute paths of the script and of the log pattern (`%A` job id, `%a` task). */
  readonly script: string;
  readonly logPattern: string;
  /** The cell ids each array task runs, by task index. */
  readonly tasks: readonly (readonly string[])[];
  readonly options: SlurmOptions;
  readonly maxArraySize?: number;
}

const FILE = /^submission-(\d+)\.json$/;

/** The path of submission `n`'s record in `outDir`. */
export function submissionFile(outDir: string, n: number): string {
  return path.join(outDir, SLURM_DIR, `submission-${n}.json`);
}

/** The log file of task `task` of a submitted record. */
export function taskLogFile(record: SubmissionRecord, task: number): string | null {
  return record.jobId === null ? null : record.logPattern.replace('%A', record.jobId).replace('%a', String(task));
}

/**
 * Every submission record of `outDir`, oldest first (none when the folder never went to Slurm).
 * @throws {@link CorruptFileError} naming a record that cannot be read.
 */
export function readSubmissions(outDir: string): SubmissionRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(outDir, SLURM_DIR));
  } catch {
    return [];
  }
  return names
    .map((n) => FILE.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map((n) => readSubmission(outDir, n));
}

/** Submission `n` of `outDir`.
 * @throws {@link CorruptFileError} when it is missing or not a submission record. */
export function readSubmission(outDir: string, n: number): SubmissionRecord {
  const file = submissionFile(outDir, n);
  let v: Partial<SubmissionRecord>;
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SubmissionRecord>;
  } catch (e) {
    throw new CorruptFileError(`${file}: cannot be read (${(e as Error).message}); it is written by synapses-ts ablate --executor slurm`, file);
  }
  if (v.format !== 'synapses-ts/slurm-submission' || !Array.isArray(v.tasks) || typeof v.logPattern !== 'string') {
    throw new CorruptFileError(`${file}: not a Slurm submission record of synapses-ts (format, tasks or logPattern missing)`, file);
  }
  return v as SubmissionRecord;
}

/** Writes (or rewrites) a submission record, atomically. */
export function writeSubmission(outDir: string, record: SubmissionRecord): void {
  writeJsonAtomic(submissionFile(outDir, record.submission), record);
}

/**
 * For each cell id, the latest submission that included it and its task index there (later submissions
 * retry what earlier ones left unfinished, so the latest one is the cell's current job).
 */
export function latestTaskOfCells(records: readonly SubmissionRecord[]): Map<string, { record: SubmissionRecord; task: number }> {
  const map = new Map<string, { record: SubmissionRecord; task: number }>();
  for (const record of records) {
    if (record.jobId === null) continue;
    record.tasks.forEach((ids, task) => {
      for (const id of ids) map.set(id, { record, task });
    });
  }
  return map;
}
