/**
 * `synapses-ts train`: run one config (a preset, a file, overrides) with a progress display.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { parseValue, setDotted } from '../experiments/config';
import { preset } from '../experiments/presets';
import { runConfig } from '../experiments/run';
import { writeRunFigures } from '../plots/run-figures';
import { reportFigures } from './plot';
import { progressCallbacks } from './progress';

/** Options of the `train` command as parsed by commander. */
export interface TrainCommandOptions {
  preset?: string;
  config?: string;
  set?: string[];
  seed?: string;
  /** `--backend`: sets `config.backend`. */
  backend?: string;
  /** `--threads`: threads of the wasm backend (not part of the config; results do not depend on it). */
  threads?: string;
  out?: string;
  json?: boolean;
  progress?: boolean;
  /** false with `--no-figures`. */
  figures?: boolean;
}

/** Builds the config a `train` command line describes: preset, then file, then `--set`, then `--seed` and `--backend`. */
export function configFromOptions(o: TrainCommandOptions): Record<string, unknown> {
  let config: Record<string, unknown> = o.preset ? (preset(o.preset) as Record<string, unknown>) : {};
  if (o.config) {
    let text: string;
    try {
      text = fs.readFileSync(o.config, 'utf8');
    } catch (e) {
      throw new ConfigError(`cannot read config file ${o.config}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let file: unknown;
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new ConfigError(`config file ${o.config} is not valid JSON: ${(e as Error).message}`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new ConfigError(`config file ${o.config} must hold a JSON object`);
    config = { ...config, ...(file as Record<string, unknown>) };
  }
  for (const item of o.set ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set expects key=value, got "${item}"`);
    config = setDotted(config, item.slice(0, eq), parseValue(item.slice(eq + 1)));
  }
  if (o.seed !== undefined) {
    const s = Number(o.seed);
    if (!Number.isInteger(s) || s < 0) throw new ConfigError(`--seed must be a non-negative integer, got "${o.seed}"`);
    config = { ...config, seed: s };
  }
  if (o.backend !== undefined) config = { ...config, backend: o.backend };
  return config;
}

/** Runs the `train` command. */
export async function trainCommand(o: TrainCommandOptions): Promise<void> {
  const config = configFromOptions(o);
  const threads = o.threads === undefined ? undefined : Number(o.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new ConfigError(`--threads must be an integer from 1 to 64, got "${o.threads}"`);
  }
  const out = o.out ?? `runs/${String(config.name ?? 'run')}`;
  const result = await runConfig(config, {
    outDir: out,
    ...(threads === undefined ? {} : { threads }),
    callbacks: o.progress === false ? {} : progressCallbacks(),
    onModel: (model, c, chosen) => {
      const t = model.backend.threads ?? 1;
      process.stderr.write(`synapses-ts train: ${c.name} (seed ${c.seed}, backend ${model.backend.name}:${model.backend.mode}${t > 1 ? `, ${t} threads` : ''})\n`);
      if (chosen.fellBack) process.stderr.write(`synapses-ts train: ${chosen.fellBack}\n`);
      process.stderr.write(model.summary() + '\n');
    },
  });
  process.stderr.write(
    `test accuracy ${(100 * result.testAccuracy).toFixed(2)}% (best ${(100 * result.bestTestAccuracy).toFixed(2)}%), ` +
      `${result.connections} connections, ${result.seconds.toFixed(1)} s on ${result.backend}; results in ${out}\n`,
  );
  // The standard figures; a failure here must not cost the run, whose results are already on disk.
  if (o.figures !== false) {
    try {
      const written = await writeRunFigures(out, path.join(out, 'figures'));
      reportFigures(written, (line) => process.stderr.write(`synapses-ts train: ${line}\n`));
    } catch (e) {
      process.stderr.write(`synapses-ts train: warning: figures not written: ${(e as Error).message}\n`);
    }
  }
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
}
