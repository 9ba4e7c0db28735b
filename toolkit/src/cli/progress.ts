/**
 * The terminal progress display of training: a cli-progress bar per epoch on a terminal, one plain line
 * per epoch otherwise (logs, CI). Writes to stderr so stdout stays machine-readable.
 *
 * @packageDocumentation
 */
import type { Callbacks } from '../train/history';
import { terminalProgress } from '../display/terminal';

export { epochLine } from '../display/terminal';

/**
 * Callbacks that draw the progress display on `stream` (default stderr): a bar per epoch on a terminal, a
 * line per epoch. The display itself lives in display/terminal, which `fit({ verbose })` uses too.
 */
export function progressCallbacks(stream: NodeJS.WriteStream = process.stderr): Callbacks {
  return terminalProgress(1, stream);
}
