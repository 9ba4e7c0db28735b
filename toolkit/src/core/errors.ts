/**
 * Error types of the toolkit. Every error raised because of what a user passed in (a shape, a value, a
 * name, a file) is a {@link SynapsesError} subclass whose message says what was wrong and what was
 * expected, and is raised before any state changes.
 *
 * @packageDocumentation
 */

/** Base class of every error the toolkit raises on purpose. */
export class SynapsesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A value, shape or option passed by the caller is invalid. */
export class InvalidArgumentError extends SynapsesError {}

/** Array shapes (lengths, sizes, batch sizes) do not agree. */
export class ShapeError extends SynapsesError {}

/** A name (preset, policy part, activation, backend ...) is not known; the message lists the known ones. */
export class UnknownNameError extends SynapsesError {
  /**
   * @param kind - what kind of name was looked up, e.g. `"preset"`.
   * @param name - the name that was asked for.
   * @param known - every valid name, listed in the message.
   */
  constructor(
    readonly kind: string,
    readonly unknown: string,
    readonly known: readonly string[],
  ) {
    super(`unknown ${kind} "${unknown}"; known ${kind}s are: ${known.join(', ')}`);
  }
}

/** A configuration object is invalid (unknown key, wrong type, out-of-range value). */
export class ConfigError extends SynapsesError {}

/** A data file is missing or malformed. */
export class DataError extends SynapsesError {}

/** Training produced a non-finite value (NaN or Infinity); the message names the epoch and layer. */
export class NumericalError extends SynapsesError {}

/** An invariant of the library itself was broken: a bug, not a user error. */
export class InternalError extends SynapsesError {}

/**
 * A backend asked for by name cannot run on this machine (a missing native package, no display, no
 * adapter...); the message says why and how to fix it. Only the `auto` backend falls back instead.
 */
export class BackendUnavailableError extends SynapsesError {}

/**
 * A backend can run here but not on this problem: a layer or batch exceeds one of its limits (index
 * precision, texture size). Raised before any work is done; the message names the sizes and the limit.
 */
export class BackendLimitError extends SynapsesError {}

/**
 * A file the toolkit writes for its own bookkeeping (an ablation's `cells.json` or `results.jsonl`, a run's
 * `metrics.jsonl`) cannot be read back: it was cut, edited or written by something else. The message names
 * the file, the line when there is one, and what to do.
 */
export class CorruptFileError extends SynapsesError {
  /**
   * @param message - the whole message (starting with `file` or `file:line`).
   * @param file - the file that cannot be read.
   * @param line - the 1-based line at fault, when the problem is on one line.
   */
  constructor(
    message: string,
    readonly file: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/**
 * An error as plain data: what crosses a worker-thread boundary (structured clone keeps only a built-in
 * error's class, so a piscina task that throws a {@link ConfigError} arrives as a plain `Error`) and what a
 * results file records. {@link deserializeError} turns it back into an instance of the same class.
 */
export interface SerializedError {
  /** The class name: `ConfigError`, `NumericalError`, `TypeError` ... */
  readonly name: string;
  readonly message: string;
  /** The error's own data fields that are JSON values (e.g. {@link UnknownNameError}'s `kind` and `known`). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Where it was raised (in the worker when it came from one). */
  readonly stack?: string;
}

/** A class of error that {@link deserializeError} can rebuild. */
export type ErrorType = abstract new (...args: never[]) => Error;

// By class name. Built-in classes are here so that a bug (a TypeError in a worker) also keeps its class.
const errorTypes = new Map<string, ErrorType>();

/**
 * Lets {@link deserializeError} rebuild errors of class `type` (matched by its `name`). Every error class
 * of this module is registered; an error class defined elsewhere (e.g. io's `ModelFileError`) registers
 * itself next to its definition.
 */
export function registerErrorType(type: ErrorType): void {
  errorTypes.set(type.name, type);
}

for (const type of [
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
  SynapsesError, InvalidArgumentError, ShapeError, UnknownNameError, ConfigError, DataError, NumericalError, InternalError,
  BackendUnavailableError, BackendLimitError, CorruptFileError,
]) registerErrorType(type);

function jsonValue(v: unknown): unknown {
  try {
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
  } catch {
    return undefined; // a cycle or a BigInt: not data we can carry
  }
}

/** Turns anything thrown into a {@link SerializedError} (a non-error value becomes an `Error` named after it). */
export function serializeError(e: unknown): SerializedError {
  if (!(e instanceof Error)) return { name: 'Error', message: `non-error value thrown: ${String(e)}` };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(e)) {
    if (key === 'name' || key === 'message' || key === 'stack') continue;
    const v = jsonValue(value);
    if (v !== undefined) fields[key] = v;
  }
  return {
    name: e.name,
    message: e.message,
    ...(Object.keys(fields).length ? { fields } : {}),
    ...(e.stack !== undefined ? { stack: e.stack } : {}),
  };
}

/**
 * Rebuilds the error a {@link serializeError} described: an instance of the registered class of the same
 * name (so `instanceof ConfigError` and the CLI's clean message for {@link SynapsesError}s still hold),
 * with its message, fields and original stack. An unregistered name gives an `Error` carrying that name.
 */
export function deserializeError(s: SerializedError): Error {
  const type = errorTypes.get(s.name);
  // Reflect.construct makes a genuine Error object with the class's prototype without calling the class's
  // constructor, whose parameters differ from class to class (UnknownNameError builds its own message).
  const e = (type ? Reflect.construct(Error, [s.message], type) : new Error(s.message)) as Error;
  if (e.name !== s.name) e.name = s.name;
  if (s.fields) Object.assign(e, s.fields);
  if (s.stack !== undefined) e.stack = s.stack;
  return e;
}

/**
 * A run or ablation folder cannot be used as asked: another process holds its lock, it already holds a
 * run (and neither resume nor overwrite was asked for), or its checkpoint was written for another config.
 * The message names the folder and the holder, and says what to do.
 */
export class RunFolderError extends SynapsesError {}

/**
 * A file could not be written (a full disk, a read-only folder, a quota). The previous version of the
 * file, if there was one, is kept; the message names the file and the system's error code.
 */
export class FileWriteError extends SynapsesError {
  /**
   * @param message - the whole message.
   * @param file - the file that was being written.
   * @param code - the system error code (`ENOSPC`, `EDQUOT`, `EROFS` ...), when there is one.
   */
  constructor(
    message: string,
    readonly file: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * A run was stopped on request (SIGINT, SIGTERM, or an aborted `AbortSignal`) between two batches: the
 * checkpoint of the last completed epoch is kept and the manifest says `interrupted`.
 */
export class RunInterruptedError extends SynapsesError {
  /**
   * @param message - the whole message.
   * @param signal - the signal that asked for the stop (`SIGINT`, `SIGTERM`), when one did.
   * @param epochsDone - epochs completed (and checkpointed) before the stop.
   */
  constructor(
    message: string,
    readonly signal?: string,
    readonly epochsDone?: number,
  ) {
    super(message);
  }
}

for (const type of [RunFolderError, FileWriteError, RunInterruptedError]) registerErrorType(type);
