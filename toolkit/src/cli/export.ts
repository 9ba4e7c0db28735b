/**
 * `synapses-ts export RUN_DIR --format npz|mtx --out DIR [--model final|best]`: a trained run's weights as
 * files SciPy reads (`scipy.sparse.load_npz`, `numpy.load`, `scipy.io.mmread`); see io/export-scipy.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { EXPORT_FORMATS, exportModelWeights, type ExportFormat } from '../io/export-scipy';
import { loadRunModel, MODEL_FILES, parseModelChoice } from './run-inputs';

/** Options of the `export` command as parsed by commander. */
export interface ExportCommandOptions {
  format: string;
  out: string;
  model?: string;
}

/** Runs the `export` command. */
export async function exportCommand(runDir: string, o: ExportCommandOptions): Promise<void> {
  const format = o.format.toLowerCase();
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new ConfigError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${o.format}"`);
  const which = parseModelChoice(o.model);
  // The reference backend: nothing is computed, and the weights are read exactly as the file holds them.
  const model = loadRunModel(runDir, which, 'cpu');
  const layers = exportModelWeights(model, o.out, format as ExportFormat);
  for (const l of layers) {
    process.stdout.write(`${path.join(o.out, l.weights)}  ${l.kind} ${l.shape[0]} x ${l.shape[1]}, ${l.connections} connections; bias ${l.bias}\n`);
  }
  process.stderr.write(`synapses-ts export: ${layers.length} layers of ${path.join(runDir, MODEL_FILES[which])} written to ${o.out} (${format}; layers.json lists them)\n`);
}
