/**
 * Owning a run folder: the lock, the refusal to overwrite a run by accident, the removal of temporary
 * files left by a killed write, the manifest's time segments across resumed sessions, and the stop on
 * request. Used by {@link runConfig} (experiments/run) around its work, and by the CLI to choose a fresh
 * folder.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RunFolderError, RunInterruptedError } from '../core/errors';
import { isTempFileName, writeJsonAtomic } from '../io/files';
import { lockFolder, LOCK_FILE, type FolderLock } from '../io/lock';
import type { Callbacks } from '../train/history';

/** The files (and the one folder) a run writes into its folder; `--overwrite` removes exactly these. */
export const RUN_FILES: readonly string[] = [
  'manifest.json', 'metrics.jsonl', 'evolution.jsonl', 'checkpoint.json', 'best-checkpoint.json', 'model.json', 'best-model.json', 'result.json', 'figures',
  // The input layer's history and the feature names (features/persistence, features/importance).
  'feature-history.json', 'feature-names.json',
  // Per-epoch snapshots of the input layer's importance (features/snapshots).
  'feature-snapshots.jsonl',
];

/** Whether `dir` holds (part of) a run: any of {@link RUN_FILES}. */
export function holdsRun(dir: string): boolean {
  return RUN_FILES.some((f) => fs.existsSync(path.join(dir, f)));
}

/** One session of a run: a start, and an end unless the process died without writing one. */
export interface RunSession {
  readonly startedAt: string;
  endedAt?: string;
  /** Set when `endedAt` was not written by the session (killed) but taken from its last checkpoint's time. */
  endedAtEstimated?: boolean;
  /** The epoch the session started from (0 for the first). */
  readonly fromEpoch: number;
  status?: string;
}

/** The manifest fields that span every session of a run (see {@link RunFolder.manifestFields}). */
export interface SessionFields {
  /** When the FIRST session started (kept on resume). */
  readonly startedAt: string;
  readonly sessions: RunSession[];
  /** The epoch this session resumed from (absent for a run started from scratch). */
  readonly resumedFromEpoch?: number;
}

/** A prepared, locked run folder. */
export interface RunFolder {
  readonly dir: string;
  readonly lock: FolderLock;
  /** Whether the folder held a run when it was prepared (resumed or overwritten). */
  readonly hadRun: boolean;
  /** Manifest fields to start this session's manifest with: the first start time and the earlier sessions. */
  manifestFields(fromEpoch: number): SessionFields;
  /**
   * Completes `manifest.json` once the run has ended (however it ended): ends this session, totals the
   * time of all sessions (`seconds`), and sets `status: "interrupted"` when `error` is an interruption.
   * Never throws (the run's own outcome must not be masked): a failure is returned as a message.
   */
  finish(error?: unknown): string | undefined;
  /** Releases the lock. */
  release(): void;
}

/** Options of {@link prepareRunFolder}. */
export interface PrepareOptions {
  /** Continue the run the folder holds (the caller loads its checkpoint). */
  readonly resume?: boolean;
  /** Remove the run the folder holds ({@link RUN_FILES}) before starting. */
  readonly overwrite?: boolean;
  /** Told about stale locks taken over and leftovers removed. */
  readonly onMessage?: (message: string) => void;
}

type Rec = Record<string, unknown>;

function readManifest(dir: string): Rec | null {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : null;
  } catch {
    return null;
  }
}

function mtimeIso(file: string): string | undefined {
  try {
    return fs.statSync(file).mtime.toISOString();
  } catch {
    return undefined;
  }
}

/** The sessions an earlier manifest describes, the last one ended (estimated from the checkpoint when killed). */
function earlierSessions(dir: string, previous: Rec | null): RunSession[] {
  if (!previous || typeof previous.startedAt !== 'string') return [];
  const listed = Array.isArray(previous.sessions)
    ? (previous.sessions as RunSession[]).map((s) => ({ ...s }))
    : [{ startedAt: previous.startedAt, fromEpoch: 0, ...(typeof previous.endedAt === 'string' ? { endedAt: previous.endedAt } : {}) } as RunSession];
  const last = listed[listed.length - 1];
  if (last && last.endedAt === undefined) {
    // Killed without a word: its last sign of life is its last checkpoint (or manifest) write.
    const at = mtimeIso(path.join(dir, 'checkpoint.json')) ?? mtimeIso(path.join(dir, 'manifest.json'));
    if (at) {
      last.endedAt = at;
      last.endedAtEstimated = true;
    }
    last.status ??= 'killed';
  } else if (last && last.status === undefined && typeof previous.status === 'string') {
    last.status = previous.status;
  }
  return listed;
}

/** Total seconds of the sessions that have both ends. */
export function sessionSeconds(sessions: readonly RunSession[]): number {
  let total = 0;
  for (const s of sessions) if (s.endedAt) total += Math.max(0, Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000;
  return total;
}

/** Removes `NAME.tmp-PID` files (writes cut by a kill) from `dir` and `dir/figures`; returns what it removed. */
export function removeTempFiles(dir: string): string[] {
  const removed: string[] = [];
  for (const d of [dir, path.join(dir, 'figures')]) {
    let names: string[];
    try {
      names = fs.readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!isTempFileName(name)) continue;
      fs.rmSync(path.join(d, name), { force: true, recursive: true });
      removed.push(path.join(d, name));
    }
  }
  return removed;
}

/**
 * Takes the lock of a run folder and makes it ready: removes temporary files left by killed writes,
 * then refuses a folder that holds a run unless `resume` or `overwrite` says what to do with it (with
 * `overwrite`, the run's files are removed now). Call before any other write to the folder.
 * @throws {@link RunFolderError} when the folder is locked by a live process, holds a run and neither
 *   option was given, or both were.
 */
export function prepareRunFolder(dir: string, options: PrepareOptions = {}): RunFolder {
  if (options.resume && options.overwrite) throw new RunFolderError(`resume and overwrite exclude each other (folder ${dir}): choose one`);
  const lock = lockFolder(dir, { what: 'run folder', ...(options.onMessage ? { onMessage: options.onMessage } : {}) });
  try {
    const removed = removeTempFiles(dir);
    if (removed.length) options.onMessage?.(`removed ${removed.length} temporary file(s) of writes cut short in ${dir}: ${removed.map((f) => path.basename(f)).join(', ')}`);
    const hadRun = holdsRun(dir);
    const previous = hadRun ? readManifest(dir) : null;
    if (hadRun && !options.resume && !options.overwrite) {
      const status = typeof previous?.status === 'string' ? previous.status : 'unknown';
      const what = status === 'finished' ? 'a finished run' : status === 'running' ? 'a run that was stopped before it ended' : `a run (status: ${status})`;
      throw new RunFolderError(
        `${dir} already holds ${what}${previous?.name ? ` of "${String(previous.name)}"` : ''}; nothing was changed. ` +
          'Use --resume to continue it from its last checkpoint, --overwrite to replace it, or another --out folder ' +
          '(library: runConfig options resume / overwrite)',
      );
    }
    if (hadRun && options.overwrite) {
      for (const f of RUN_FILES) fs.rmSync(path.join(dir, f), { force: true, recursive: true });
      options.onMessage?.(`overwriting the run in ${dir}`);
    }
    const before = options.resume ? earlierSessions(dir, previous) : [];
    let session: RunSession | undefined;
    return {
      dir,
      lock,
      hadRun,
      manifestFields(fromEpoch: number): SessionFields {
        session = { startedAt: new Date().toISOString(), fromEpoch };
        return {
          startedAt: before[0]?.startedAt ?? session.startedAt,
          sessions: [...before, session],
          ...(options.resume && fromEpoch > 0 ? { resumedFromEpoch: fromEpoch } : {}),
        };
      },
      finish(error?: unknown): string | undefined {
        const manifest = readManifest(dir);
        if (!manifest || !session) return undefined;
        try {
          const endedAt = typeof manifest.endedAt === 'string' ? manifest.endedAt : new Date().toISOString();
          const interrupted = error instanceof RunInterruptedError;
          const status = interrupted ? 'interrupted' : error === undefined ? manifest.status : (manifest.status === 'running' ? 'failed' : manifest.status);
          const sessions = [...before, { ...session, endedAt, status: String(status) }];
          writeJsonAtomic(path.join(dir, 'manifest.json'), {
            ...manifest,
            status,
            ...(interrupted ? { error: (error as Error).message } : {}),
            ...(error !== undefined && manifest.status === 'running' && !interrupted ? { error: String((error as Error)?.message ?? error) } : {}),
            startedAt: before[0]?.startedAt ?? session.startedAt,
            endedAt,
            sessions,
            seconds: sessionSeconds(sessions),
          });
          return undefined;
        } catch (e) {
          return `the manifest of ${dir} could not be completed: ${(e as Error).message}`;
        }
      },
      release: () => lock.release(),
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/**
 * A new folder for a run named `name` under `root`: `root/name` when it does not exist yet, else
 * `root/name-2`, `root/name-3` ... The folder is created here (an exclusive `mkdir`), so two runs started
 * at once never get the same one.
 */
export function freshRunFolder(root: string, name: string): string {
  fs.mkdirSync(root, { recursive: true });
  for (let k = 1; ; k++) {
    const dir = path.join(root, k === 1 ? name : `${name}-${k}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** The lock file's path in `dir` (for messages and tests). */
export function lockFileOf(dir: string): string {
  return path.join(dir, LOCK_FILE);
}

/**
 * Wraps `callbacks` so that a run stops once `signal` is aborted: after the batch in progress
 * (`onBatchEnd`), or after an epoch's checkpoint is written (`onEpochEnd`, which the runner calls after
 * saving), by throwing a {@link RunInterruptedError}. The abort's `reason` names the signal (`"SIGINT"`).
 */
export function stoppable(callbacks: Callbacks | undefined, signal: AbortSignal | undefined): Callbacks | undefined {
  if (!signal) return callbacks;
  // Epochs completed so far, as the callbacks see them (unknown until the first epoch begins).
  let done: number | undefined;
  const stop = (): void => throwIfStopped(signal, done);
  const user = callbacks ?? {};
  return {
    ...user,
    onTrainBegin: async (info) => {
      stop();
      await user.onTrainBegin?.(info);
    },
    onEpochBegin: async (epoch) => {
      done = epoch;
      await user.onEpochBegin?.(epoch);
    },
    onBatchEnd: async (logs) => {
      await user.onBatchEnd?.(logs);
      stop();
    },
    onEpochEnd: async (logs) => {
      done = logs.epoch + 1;
      await user.onEpochEnd?.(logs);
      stop();
    },
  };
}

/**
 * Throws the {@link RunInterruptedError} of an aborted `signal` (no-op when not aborted).
 * @param done - epochs completed so far, when known (for the message).
 */
export function throwIfStopped(signal: AbortSignal | undefined, done?: number): void {
  if (!signal?.aborted) return;
  const reason = typeof signal.reason === 'string' ? signal.reason : undefined;
  throw new RunInterruptedError(
    `run stopped${reason ? ` by ${reason}` : ''} ${done === undefined ? 'before its first epoch' : `after ${done} completed epoch(s); the checkpoint of the last completed epoch is kept`}`,
    reason,
    done,
  );
}

/** The first dotted key at which two configs differ, with both values (for messages), e.g. `training.epochs: 3 vs 5`. */
export function configDifference(a: unknown, b: unknown, at = ''): string {
  const isObj = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return configDifference(a[k], b[k], at ? `${at}.${k}` : k);
    }
    return 'key order only';
  }
  const show = (v: unknown) => (v === undefined ? 'absent' : JSON.stringify(v)).slice(0, 80);
  return `${at || 'the config'}: ${show(a)} in the checkpoint, ${show(b)} now`;
}
