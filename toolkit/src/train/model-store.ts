/**
 * How `Model.save` writes. Training code never touches the file system (io/ does), and io/ builds on
 * train/, so the writer is plugged in here by the toolkit's public entry (`index.ts`) with io/model-file's
 * `saveModelDir`, instead of train/ importing io/.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../core/errors';
import type { Model } from './model';

/** What `model.save(dir)` calls. */
export type ModelWriter = (model: Model, dir: string) => void;

let writer: ModelWriter | null = null;

/** Sets the writer of `model.save` (the toolkit's entry registers io/model-file's `saveModelDir`). */
export function setModelWriter(w: ModelWriter | null): void {
  writer = w;
}

/**
 * The registered writer.
 * @throws {@link ConfigError} when none is registered (the model was imported without the toolkit's entry).
 */
export function modelWriter(): ModelWriter {
  if (!writer) {
    throw new ConfigError('model.save needs the toolkit\'s model writer: import from "synapses-ts" (its entry registers it), or call saveModelDir(model, dir) from io/model-file');
  }
  return writer;
}
