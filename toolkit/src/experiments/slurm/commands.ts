/**
 * Talking to Slurm through its own command-line tools (`sbatch`, `squeue`, `sacct`, `scontrol`, `sinfo`), as
 * a user does: no library, no REST daemon, so it works on any cluster where those commands work.
 *
 * Their failures become a {@link SlurmError} that says what is wrong in words: the commands are not
 * installed (naming the Debian package), no controller answers, a partition does not exist.
 *
 * @packageDocumentation
 */
import { spawnSync } from 'node:child_process';
import { registerErrorType, SynapsesError } from '../../core/errors';

/** A Slurm command is missing or failed; the message says which, why, and what to do. */
export class SlurmError extends SynapsesError {}
registerErrorType(SlurmError);

/** The Debian packages that bring the client commands, and a whole one-node cluster. */
export const SLURM_CLIENT_PACKAGE = 'slurm-client';
export const SLURM_LOCAL_PACKAGES = 'slurm-wlm munge';

/** What a Slurm command printed. */
export interface SlurmOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly status: number;
}

/** Messages of the Slurm tools that mean: no controller answered. */
const NO_CONTROLLER = /Unable to contact slurm controller|Unable to establish connection|Socket timed out|Connection refused|Zero Bytes were transmitted|Communication connection failure|Could not establish a configuration source/i;
/** Messages that mean: munge (authentication) does not work. */
const NO_AUTH = /munge|authentication|Invalid user id|Protocol authentication error/i;

/**
 * Runs Slurm command `name` with `args` and returns what it printed (any exit status).
 * @throws {@link SlurmError} when the command is not installed (naming the Debian package), or when no
 *   controller answers / authentication fails (with the command's own words).
 */
export function slurm(name: string, args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): SlurmOutput {
  const r = spawnSync(name, args, { encoding: 'utf8', timeout: options.timeoutMs ?? 60_000, env: options.env ?? process.env });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new SlurmError(
        `${name} not found on PATH: the Slurm client commands are not installed. Install them (Debian: ` +
          `apt-get install ${SLURM_CLIENT_PACKAGE}; for a one-node cluster on this machine: apt-get install ${SLURM_LOCAL_PACKAGES}, ` +
          'then scripts/slurm-local.sh start), or run the grid with --executor local',
      );
    }
    throw new SlurmError(`${name} ${args.join(' ')} did not run: ${code ?? r.error.message}`);
  }
  const out: SlurmOutput = { stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status ?? 1 };
  if (out.status !== 0) {
    const said = out.stderr.trim() || out.stdout.trim();
    if (NO_CONTROLLER.test(said)) {
      throw new SlurmError(
        `no Slurm controller reachable (${name}: ${firstLine(said)}); is slurmctld running, and does SLURM_CONF ` +
          `(${process.env.SLURM_CONF ?? 'unset: /etc/slurm/slurm.conf'}) name it? On this machine: scripts/slurm-local.sh start`,
      );
    }
    if (NO_AUTH.test(said)) throw new SlurmError(`Slurm refused ${name} (authentication): ${firstLine(said)}; is munged running with the cluster's key?`);
  }
  return out;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '(no message)';
}

/** The parts of `scontrol show config` the executor uses. */
export interface ClusterConfig {
  /** The largest array index + 1 (`MaxArraySize`; default 1001). */
  readonly maxArraySize: number;
  /** `AccountingStorageType`: `accounting_storage/none` means sacct has nothing to read. */
  readonly accounting: string;
  readonly clusterName: string;
}

/**
 * Reads the cluster's configuration from the controller.
 * @throws {@link SlurmError} as {@link slurm}, or when the controller's answer cannot be read.
 */
export function clusterConfig(): ClusterConfig {
  const r = slurm('scontrol', ['show', 'config']);
  if (r.status !== 0) throw new SlurmError(`scontrol show config failed: ${firstLine(r.stderr || r.stdout)}`);
  const field = (key: string): string | undefined => new RegExp(`^${key}\\s*=\\s*(.*)$`, 'm').exec(r.stdout)?.[1]?.trim();
  const max = Number(field('MaxArraySize') ?? 1001);
  return {
    maxArraySize: Number.isInteger(max) && max > 0 ? max : 1001,
    accounting: field('AccountingStorageType') ?? 'unknown',
    clusterName: field('ClusterName') ?? 'unknown',
  };
}

/** The partitions of the cluster (`sinfo`) and the default one (which sinfo marks with `*`). */
export function partitions(): { names: string[]; defaultName: string | undefined } {
  const r = slurm('sinfo', ['-h', '-o', '%P']);
  const raw = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  return { names: [...new Set(raw.map((p) => p.replace(/\*$/, '')))], defaultName: raw.find((p) => p.endsWith('*'))?.replace(/\*$/, '') };
}

/**
 * Checks that partition `name` exists.
 * @throws {@link SlurmError} naming the partitions that exist.
 */
export function checkPartition(name: string): void {
  const r = slurm('scontrol', ['show', 'partition', name]);
  if (r.status === 0 && r.stdout.includes(`PartitionName=${name}`)) return;
  const { names, defaultName } = partitions();
  throw new SlurmError(
    `partition "${name}" does not exist on this cluster; its partitions are: ${names.join(', ') || '(none)'}` +
      `${defaultName ? ` (default: ${defaultName}, used when --partition is left out)` : ''}`,
  );
}

/**
 * Submits a batch script; returns the job id (of the array).
 * @throws {@link SlurmError} with sbatch's own message when it refuses the script.
 */
export function sbatch(scriptFile: string): string {
  const r = slurm('sbatch', ['--parsable', scriptFile]);
  if (r.status !== 0) {
    const said = (r.stderr || r.stdout).trim();
    if (/invalid partition/i.test(said)) throw new SlurmError(`sbatch: ${firstLine(said)}; the cluster's partitions are: ${partitions().names.join(', ')}`);
    throw new SlurmError(`sbatch refused ${scriptFile}: ${said || `exit status ${r.status}`}`);
  }
  // --parsable prints "jobid" or "jobid;cluster".
  const id = r.stdout.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new SlurmError(`sbatch printed no job id for ${scriptFile}: ${JSON.stringify(r.stdout.trim())}`);
  return id;
}

/** One array task as squeue or sacct sees it. */
export interface TaskState {
  /** The array's job id (`%A`). */
  readonly arrayJobId: string;
  /** The task's index in the array. */
  readonly taskId: number;
  /** The task's own job id (each array task is a job). */
  readonly jobId: string;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, TIMEOUT, CANCELLED, REQUEUED, PREEMPTED, ... */
  readonly state: string;
  /** The node it runs or ran on (empty while pending). */
  readonly node: string;
  /** Why it is pending (`BeginTime`, `Resources`, ...), or `None`. */
  readonly reason: string;
  /** The exit code as sacct reports it (`0:0`, `1:0`); only from accounting. */
  readonly exitCode?: string;
}

/** States in which a task will still run, or runs: the task is not over. */
export const ACTIVE_STATES = new Set(['PENDING', 'RUNNING', 'CONFIGURING', 'COMPLETING', 'REQUEUED', 'REQUEUE_FED', 'REQUEUE_HOLD', 'RESIZING', 'SUSPENDED', 'STAGE_OUT', 'SIGNALING']);

/**
 * The tasks of the given arrays that the controller still knows (pending and running ones, and ended
 * ones for `MinJobAge` seconds), keyed `"<array job id>_<task id>"`. One squeue call for the user's jobs
 * (filtered here: squeue fails as a whole when one of several `-j` ids has been forgotten).
 */
export function queueStates(arrayJobIds: readonly string[]): Map<string, TaskState> {
  const found = new Map<string, TaskState>();
  if (arrayJobIds.length === 0) return found;
  const wanted = new Set(arrayJobIds);
  // %F the array's job id, %K the task's index, %A the task's own job id (with -r: one line per task).
  const r = slurm('squeue', ['--me', '-h', '-r', '-t', 'all', '-o', '%F|%K|%A|%T|%N|%r']);
  if (r.status !== 0) throw new SlurmError(`squeue failed: ${firstLine(r.stderr || r.stdout)}`);
  for (const line of r.stdout.split('\n')) {
    const [array, task, jobId, state, node, reason] = line.trim().split('|');
    if (!array || !wanted.has(array) || task === undefined || !/^\d+$/.test(task)) continue;
    found.set(`${array}_${task}`, { arrayJobId: array, taskId: Number(task), jobId: jobId ?? '', state: state ?? '?', node: node ?? '', reason: reason ?? '' });
  }
  return found;
}

/**
 * The tasks of the given arrays as Slurm's accounting recorded them (`sacct`), or null when the cluster
 * keeps no accounting (`accounting_storage/none`: sacct then only says so) or sacct fails.
 */
export function accountingStates(arrayJobIds: readonly string[]): Map<string, TaskState> | null {
  if (arrayJobIds.length === 0) return new Map();
  let r: SlurmOutput;
  try {
    r = slurm('sacct', ['-n', '-P', '-X', '-j', arrayJobIds.join(','), '--format=JobID,JobIDRaw,State,NodeList,Reason,ExitCode']);
  } catch (e) {
    if (e instanceof SlurmError && /not found on PATH/.test(e.message)) return null;
    throw e;
  }
  if (r.status !== 0 || /accounting storage is disabled/i.test(r.stdout + r.stderr)) return null;
  const found = new Map<string, TaskState>();
  for (const line of r.stdout.split('\n')) {
    const [id, raw, state, node, reason, exitCode] = line.trim().split('|');
    const m = /^(\d+)_(\d+)$/.exec(id ?? '');
    if (!m) continue;
    // sacct writes "CANCELLED by 0": the first word is the state.
    found.set(id!, { arrayJobId: m[1]!, taskId: Number(m[2]), jobId: raw ?? '', state: (state ?? '?').split(' ')[0]!, node: node ?? '', reason: reason ?? '', ...(exitCode ? { exitCode } : {}) });
  }
  return found;
}
