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
