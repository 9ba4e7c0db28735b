/**
 * `synapses-ts train`: run one config (a preset, a file, overrides) with a progress display.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, RunInterruptedError } from '../core/errors';
import { parseRunConfig, parseValue, resolveRunConfig, setDotted } from '../experiments/config';
import { describeMemory, parseMemorySize } from '../experiments/estimate';
import { mergeConfig } from '../experiments/merge';
import { freshRunFolder } from '../experiments/run-folder';
import { preset } from '../experiments/presets';
import { runConfig, type RunResult } from '../experiments/run';
import { writeRunFigures } from '../plots/run-figures';
import { describeRunData } from './describe-data';
import { figureProgress, reportFigures } from './plot';
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
  /** `--resume`: continue the run in the output folder from its last checkpoint. */
  resume?: boolean;
  /** `--overwrite`: replace the run in the output folder. */
  overwrite?: boolean;
  /** `--print-config`: print the fully resolved config as JSON and exit (no data loaded, nothing written). */
  printConfig?: boolean;
  /** `--max-memory SIZE` (e.g. `8G`): refuse a run whose memory estimate exceeds it (experiments/estimate). */
  maxMemory?: string;
}

/**
 * Builds the config a `train` command line describes: preset, then file, then `--set`, then `--seed` and
 * `--backend`, each merged deeply over the ones before (experiments/merge).
 */
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
    config = mergeConfig(config, file as Record<string, unknown>, `config file ${o.config}`);
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

/**
 * The output folder: `--out` as given; else a fresh folder for the config's name (`runs/<name>`, or
 * `runs/<name>-2`, `-3` ... when earlier runs hold those), announced on stderr, so that running the same
 * command twice never overwrites the first run. With `--resume` or `--overwrite` and no `--out`, the run
 * in `runs/<name>` itself is meant.
 */
function outputFolder(o: TrainCommandOptions, config: Record<string, unknown>): { out: string; created: boolean } {
  if (o.out !== undefined) return { out: o.out, created: false };
  // Validated first, so that a bad config creates no folder.
  const name = parseRunConfig(config).name;
  if (o.resume || o.overwrite) return { out: path.join('runs', name), created: false };
  const out = freshRunFolder('runs', name);
  if (out !== path.join('runs', name)) process.stderr.write(`synapses-ts train: ${path.join('runs', name)} holds an earlier run; writing to ${out} (--out chooses the folder)\n`);
  return { out, created: true };
}

/** The arguments that continue an interrupted `train` (the same config, the same folder, `--resume`). */
function resumeArgs(o: TrainCommandOptions, out: string): string {
  const q = (v: string) => (/^[\w./:=,@+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const args = [
    ...(o.preset ? ['--preset', o.preset] : []),
    ...(o.config ? ['--config', o.config] : []),
    ...(o.set ?? []).flatMap((s) => ['--set', s]),
    ...(o.seed !== undefined ? ['--seed', o.seed] : []),
    ...(o.backend !== undefined ? ['--backend', o.backend] : []),
    '--out', out, '--resume',
  ];
  return args.map(q).join(' ');
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty (the run wrote something worth keeping) or already gone
  }
}

/** Runs the `train` command. */
export async function trainCommand(o: TrainCommandOptions): Promise<void> {
  const config = configFromOptions(o);
  if (o.printConfig) {
    // The config exactly as the run would use it and its manifest records: every default, the policy expanded.
    process.stdout.write(JSON.stringify(resolveRunConfig(config), null, 2) + '\n');
    return;
  }
  const threads = o.threads === undefined ? undefined : Number(o.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new ConfigError(`--threads must be an integer from 1 to 64, got "${o.threads}"`);
  }
  if (o.resume && o.overwrite) throw new ConfigError('--resume and --overwrite exclude each other: choose one');
  const maxMemoryBytes = o.maxMemory === undefined ? undefined : parseMemorySize(o.maxMemory);
  const { out, created } = outputFolder(o, config);
  const say = (line: string) => process.stderr.write(`synapses-ts train: ${line}\n`);
  // SIGINT / SIGTERM stop the run after the batch in progress (its last epoch's checkpoint is kept);
  // a second one stops at once (the lock is still released, by the lock's exit hook).
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      say(`${signal} again: stopping now; the checkpoint of the last completed epoch is kept`);
      process.exit(128 + (os.constants.signals[signal] ?? 2));
    }
    process.stderr.write('\n');
    say(`${signal}: stopping after the current batch (send it again to stop at once)`);
    stop.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: RunResult;
  try {
    result = await runConfig(config, {
      outDir: out,
      ...(o.resume ? { resume: true } : {}),
      ...(o.overwrite ? { overwrite: true } : {}),
      signal: stop.signal,
      onMessage: say,
      ...(threads === undefined ? {} : { threads }),
      ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
      onData: (data, c) => say(describeRunData(data, c)),
      onMemory: (plan) => say(describeMemory(plan.estimate, plan.limit)),
      callbacks: o.progress === false ? {} : progressCallbacks(),
      onModel: (model, c, chosen) => {
        const t = model.backend.threads;
        process.stderr.write(`synapses-ts train: ${c.name} (seed ${c.seed}, backend ${model.backend.name}:${model.backend.mode}${t > 1 ? `, ${t} threads` : ''})\n`);
        if (chosen.fellBack) process.stderr.write(`synapses-ts train: ${chosen.fellBack}\n`);
        process.stderr.write(model.summary() + '\n');
      },
    });
  } catch (e) {
    if (e instanceof RunInterruptedError) say(`run in ${out} interrupted; continue it with: synapses-ts train ${resumeArgs(o, out)}`);
    // A folder this command made for a run that never wrote anything is not left behind, empty.
    if (created) removeIfEmpty(out);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.stderr.write(
    `test accuracy ${(100 * result.testAccuracy).toFixed(2)}% (final model)` +
      (result.bestEpoch === null
        ? ' (no validation part: data.validation is 0)'
        : `, ${(100 * result.testAccuracyAtBest!).toFixed(2)}% (model of epoch ${result.bestEpoch + 1}, best validation accuracy ${(100 * result.bestValAccuracy!).toFixed(2)}%)`) +
      `${result.stoppedEarly ? `, stopped early after ${result.epochs} epochs` : ''}, ` +
      `${result.connections} connections, ${result.seconds.toFixed(1)} s on ${result.backend}; results in ${out}\n`,
  );
  // The standard figures; a failure here must not cost the run, whose results are already on disk.
  if (o.figures !== false) {
    try {
      const written = await writeRunFigures(out, path.join(out, 'figures'), 'auto', o.progress === false ? {} : { onProgress: figureProgress('synapses-ts train') });
      reportFigures(written, (line) => process.stderr.write(`synapses-ts train: ${line}\n`));
    } catch (e) {
      process.stderr.write(`synapses-ts train: warning: figures not written: ${(e as Error).message}\n`);
    }
  }
  if (o.json) process.stdout.write(JSON.stringify(result) + '\n');
}
