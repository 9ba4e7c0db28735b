/**
 * The progress display `fit({ verbose })` uses by default: in a tslab notebook an updating display entry,
 * elsewhere the terminal bar or lines on stderr. The toolkit's entry (`index.ts`) registers it with
 * `setProgressDisplay`.
 *
 * Default verbosity (when `fit` is given none): 1 in a tslab notebook, 1 when stderr is a terminal (and the
 * `CI` environment variable is not `true`), else 0, so scripts piped to a file, CI logs, worker threads
 * and tests print nothing unless asked.
 *
 * @packageDocumentation
 */
import type { ProgressDisplay } from '../train/progress';
import { notebookProgress } from './notebook';
import { terminalDefaultVerbosity, terminalProgress } from './terminal';
import { tslabApi } from './tslab';

/** The default progress display (see the module description). */
export const defaultProgressDisplay: ProgressDisplay = {
  name: 'notebook or terminal',
  defaultVerbosity() {
    return tslabApi() ? 1 : terminalDefaultVerbosity(process.stderr);
  },
  callbacks(verbose) {
    const tslab = tslabApi();
    return tslab ? notebookProgress(tslab.newDisplay(), verbose) : terminalProgress(verbose, process.stderr);
  },
};
