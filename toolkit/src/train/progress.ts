/**
 * Where `Model.fit` shows its progress. Training code never logs (it reports through callbacks), so the
 * display itself lives outside train/ (toolkit/src/display: a terminal bar or line, a tslab notebook
 * display) and is plugged in here by the toolkit's public entry (`index.ts`), which is what a user imports.
 * `fit({ verbose })` then asks the registered display for its callbacks and runs them after the user's.
 *
 * @packageDocumentation
 */
import type { Callbacks } from './history';

/** The verbosity levels of `fit`: 0 nothing, 1 a progress bar per epoch (an updating display in a notebook), 2 one line per epoch. */
export const VERBOSITIES = [0, 1, 2] as const;
/** A verbosity level of `fit` (see {@link VERBOSITIES}). */
export type Verbosity = (typeof VERBOSITIES)[number];

/** A progress display that `fit` can use. */
export interface ProgressDisplay {
  /** A short name for messages, e.g. `"terminal"` or `"notebook"`. */
  readonly name: string;
  /** The verbosity `fit` uses when given none (for example 1 on a terminal or in a notebook, 0 in logs and tests). */
  defaultVerbosity(): Verbosity;
  /** Fresh callbacks that show one `fit` at verbosity 1 or 2. */
  callbacks(verbose: 1 | 2): Callbacks;
}

let registered: ProgressDisplay | null = null;

/**
 * Sets the display `fit` uses for `verbose` 1 and 2 (`null`: none, so `fit` shows nothing by default and
 * refuses an explicit `verbose` above 0). The toolkit's entry registers `defaultProgressDisplay`.
 * @returns the display registered before, so a caller can put it back.
 */
export function setProgressDisplay(display: ProgressDisplay | null): ProgressDisplay | null {
  const before = registered;
  registered = display;
  return before;
}

/** The display `fit` uses, if any (see {@link setProgressDisplay}). */
export function progressDisplay(): ProgressDisplay | null {
  return registered;
}
