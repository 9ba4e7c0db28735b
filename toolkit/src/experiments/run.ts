/**
 * Running one config end to end: load data, build and compile the model, train, evaluate, and (when an
 * output folder is given) write the manifest, the per-epoch metrics as they happen, and the final model.
 *
 * Files in the output folder:
 * - `manifest.json`: config with defaults, seed, versions, machine, backend, start/end time, status;
 * - `metrics.jsonl`: one JSON line per epoch (epoch, loss, accuracy, valLoss, valAccuracy, connections,
 *   seconds, ...), appended as each epoch ends;
 * - `evolution.jsonl`: one line per layer evolution (counts and magnitudes, not positions);
 * - `model.json`: the trained model (io/model-file);
 * - `result.json`: the summary returned by {@link runConfig}.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { resolveBackend, type defaultThreads, type ResolvedBackend } from '../backend/registry';
import { policyToJson } from '../evolution/registry';
import { appendJsonLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from '../io/files';
import { createManifest } from '../io/manifest';
import { saveModel } from '../io/model-file';
import { loadCheckpoint, saveCheckpoint } from '../io/checkpoint';
import * as fs from 'node:fs';
import type { Callbacks, EpochLogs } from '../train/history';
import { mlp, type Model } from '../train/model';
import { parseRunConfig, type RunConfig } from './config';
import { loadRunDataAsync } from './data';

/** The summary of a finished run. */
export interface RunResult {
  readonly name: string;
  readonly seed: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  /** Best validation (test) accuracy over epochs, as the SET paper reports. */
  readonly bestTestAccuracy: number;
  readonly epochs: number;
  readonly seconds: number;
  /** Total connections and per linear layer. */
  readonly connections: number;
  readonly connectionsPerLayer: readonly number[];
  readonly trainSamples: number;
  readonly testSamples: number;
  readonly backend: string;
  /** Set when `auto` did not get its first choice of backend: what it skipped and why. */
  readonly backendFellBack?: string;
  readonly outDir?: string;
}

/** Options of {@link runConfig}. */
export interface RunOptions {
  /** Output folder; nothing is written when absent. */
  readonly outDir?: string;
  /**
   * Continue from `outDir/checkpoint.json` when it exists and holds the same config (written after every
   * epoch), instead of starting over. The result is bit-identical to an uninterrupted run on the CPU backend.
   */
  readonly resume?: boolean;
  /** Extra callbacks (progress displays). */
  readonly callbacks?: Callbacks;
  /**
   * Threads of a backend that can use several (the wasm backend); default {@link defaultThreads} (every
   * core, or `SYNAPSES_THREADS`). Not part of the config: results are bit-identical for any thread count,
   * so a run may resume with another.
   */
  readonly threads?: number;
  /** Called once the model is built, before training (e.g. to print its summary). */
  readonly onModel?: (model: Model, config: RunConfig, backend: ResolvedBackend) => void;
}

/** The model of `outDir/checkpoint.json` when it exists and was written for the same config. */
function resumeFrom(out: string, config: RunConfig): Model | null {
  const file = path.join(out, 'checkpoint.json');
  if (!fs.existsSync(file)) return null;
  // Loaded onto the reference, then moved to the run's backend by the caller.
  const { model, extra } = loadCheckpoint(file, 'cpu');
  const saved = (extra as { config?: unknown } | null)?.config;
  if (JSON.stringify(saved) !== JSON.stringify(config)) return null;
  return model;
}

/**
 * Runs a config (validated first, defaults filled).
 * @throws {@link ConfigError} for an invalid config, data errors from the loaders, {@link NumericalError}
 *   if training diverges (the manifest then records `status: "failed"` and the error).
 */
export async function runConfig(input: unknown, options: RunOptions = {}): Promise<RunResult> {
  const config = parseRunConfig(input);
  const { train, test } = await loadRunDataAsync(config.data, config.seed);
  const sizes = [train.nFeatures, ...config.model.hidden, Math.max(train.nClasses, test.nClasses)];
  const out = options.outDir;
  // Resolved once, so that the manifest records the backend and gpu.js mode that really run (and any fallback).
  const chosen = resolveBackend(config.backend, options.threads === undefined ? {} : { threads: options.threads });
  const resumed = out && options.resume ? resumeFrom(out, config) : null;
  resumed?.network.setBackend(chosen.backend);
  const model = resumed ?? mlp(sizes, {
    sparsity: config.model.sparsity,
    activation: config.model.activation,
    dropout: config.model.dropout,
    init: config.model.init,
    fanIn: config.model.fanIn,
    seed: config.seed,
    backend: chosen.backend,
  });
  if (!resumed) model.compile({ optimizer: config.optimizer, loss: config.loss, policy: config.policy as never });
  options.onModel?.(model, config, chosen);

  const manifest = createManifest(config.name, { ...config, policy: policyToJson(model.policy) }, config.seed,
    {
      name: model.backend.name, mode: model.backend.mode, threads: model.backend.threads ?? 1, requested: chosen.requested, resolved: chosen.resolved,
      ...(model.backend.resident !== undefined ? { resident: model.backend.resident } : {}),
      ...(chosen.fellBack ? { fellBack: chosen.fellBack } : {}),
    },
    { sizes, connectionsPerLayer: model.connectionsPerLayer(), connections: model.connectionCount(), trainSamples: train.nSamples, testSamples: test.nSamples });
  const epochs: EpochLogs[] = [];
  if (out) {
    if (resumed) {
      // Keep the metrics of the epochs the checkpoint covers; drop any written after it.
      const kept = readJsonLines<EpochLogs>(path.join(out, 'metrics.jsonl')).filter((m) => m.epoch < resumed.epochsDone);
      writeFileAtomic(path.join(out, 'metrics.jsonl'), kept.map((m) => JSON.stringify(m) + '\n').join(''));
      const evo = path.join(out, 'evolution.jsonl');
      const keptEvo = fs.existsSync(evo) ? readJsonLines<{ epoch: number }>(evo).filter((r) => r.epoch < resumed.epochsDone) : [];
      writeFileAtomic(evo, keptEvo.map((r) => JSON.stringify(r) + '\n').join(''));
      epochs.push(...kept);
    } else {
      fs.rmSync(path.join(out, 'metrics.jsonl'), { force: true });
      fs.rmSync(path.join(out, 'evolution.jsonl'), { force: true });
    }
    writeJsonAtomic(path.join(out, 'manifest.json'), resumed ? { ...manifest, resumedFromEpoch: resumed.epochsDone } : manifest);
  }

  const user = options.callbacks ?? {};
  const t0 = performance.now();
  try {
    if (model.epochsDone < config.training.epochs) await model.fit(train, {
      epochs: config.training.epochs - model.epochsDone,
      totalEpochs: config.training.epochs,
      batchSize: config.training.batchSize,
      validationData: test,
      callbacks: {
        ...user,
        onEpochEnd: async (logs) => {
          epochs.push(logs);
          if (out) {
            appendJsonLine(path.join(out, 'metrics.jsonl'), { ...logs, testLoss: logs.valLoss, testAccuracy: logs.valAccuracy });
            saveCheckpoint(model, path.join(out, 'checkpoint.json'), { config });
          }
          await user.onEpochEnd?.(logs);
        },
        onEvolve: async (r) => {
          if (out) {
            const { grownPositions: _g, droppedPositions: _d, ...counts } = r;
            appendJsonLine(path.join(out, 'evolution.jsonl'), counts);
          }
          await user.onEvolve?.(r);
        },
      },
    });
  } catch (e) {
    if (out) writeJsonAtomic(path.join(out, 'manifest.json'), { ...manifest, status: 'failed', error: String((e as Error).message), endedAt: new Date().toISOString() });
    throw e;
  }
  const final = model.evaluate(test);
  const result: RunResult = {
    name: config.name,
    seed: config.seed,
    testAccuracy: final.accuracy,
    testLoss: final.loss,
    bestTestAccuracy: Math.max(...epochs.map((e) => e.valAccuracy ?? 0)),
    epochs: epochs.length,
    seconds: (performance.now() - t0) / 1000,
    connections: model.connectionCount(),
    connectionsPerLayer: model.connectionsPerLayer(),
    trainSamples: train.nSamples,
    testSamples: test.nSamples,
    backend: `${model.backend.name}:${model.backend.mode}`,
    ...(chosen.fellBack ? { backendFellBack: chosen.fellBack } : {}),
    ...(out ? { outDir: out } : {}),
  };
  if (out) {
    saveModel(model, path.join(out, 'model.json'));
    writeJsonAtomic(path.join(out, 'result.json'), result);
    writeJsonAtomic(path.join(out, 'manifest.json'), { ...manifest, status: 'finished', endedAt: new Date().toISOString() });
  }
  return result;
}
