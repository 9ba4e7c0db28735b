/**
 * Running one config end to end: load data, build and compile the model, train, evaluate, and (when an
 * output folder is given) write the manifest, the per-epoch metrics as they happen, and the final model.
 *
 * Files in the output folder:
 * - `manifest.json`: config with defaults, seed, versions, machine, backend, start/end time, status;
 * - `metrics.jsonl`: one JSON line per epoch (epoch, loss, accuracy, valLoss, valAccuracy (the validation
 *   part), testLoss, testAccuracy (measured on the same network, before the epoch's evolution), connections,
 *   seconds, lr, ...), appended as each epoch ends;
 * - `best-model.json`: the model of the best epoch by the validation metric, saved before that epoch's
 *   evolution (so it reloads with exactly the logged metrics); absent without validation;
 * - `evolution.jsonl`: one line per layer evolution (counts and magnitudes, not positions);
 * - `model.json`: the trained model (io/model-file);
 * - `result.json`: the summary returned by {@link runConfig}.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveBackend, type defaultThreads, type ResolvedBackend } from '../backend/registry';
import { RunFolderError } from '../core/errors';
import { policyToJson } from '../evolution/registry';
import { checkCheckpointArchitecture, loadCheckpoint, mlpArchitecture, saveCheckpoint } from '../io/checkpoint';
import { appendJsonLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from '../io/files';
import { createManifest } from '../io/manifest';
import { saveModel } from '../io/model-file';
import { SparseLinear } from '../nn/sparse-linear';
import type { Callbacks, EpochLogs } from '../train/history';
import { backendReason, mlp, type Evaluation, type Model } from '../train/model';
import { parseRunConfig, sameRunConfig, type RunConfig } from './config';
import { checkTrainingClasses, loadRunDataAsync, type AnyRunData } from './data';
import { planRunMemory, type MemoryPlan } from './estimate';
import { centreInputs } from '../features/centring';
import { FEATURE_NAMES_FILE } from '../features/importance';
import { FEATURE_HISTORY_FILE, InputHistory } from '../features/persistence';
import { appendSnapshot, startSnapshots } from '../features/snapshots';
import { configDifference, prepareRunFolder, stoppable, throwIfStopped, type RunFolder } from './run-folder';

/** One line of `metrics.jsonl`: the epoch's logs plus the test metrics of the same (pre-evolution) network. */
export type MetricsLine = EpochLogs & { readonly testLoss: number; readonly testAccuracy: number };

/** The version of {@link RunResult} this toolkit writes (results without one are version 1). */
export const RESULT_VERSION = 2;

/**
 * The summary of a finished run (version 2). The best epoch is chosen on the validation part only; the test
 * part is reported for the final model and for the model of the best epoch, never used to choose.
 */
export interface RunResult {
  /** {@link RESULT_VERSION} when written now; 1 for a row of an older toolkit read back (see experiments/result-version). */
  readonly resultVersion: number;
  /** Set on rows converted from an older result format: what they lack and why. */
  readonly note?: string;
  readonly status: 'finished';
  readonly name: string;
  readonly seed: number;
  /** Test accuracy and loss of the final model. */
  readonly testAccuracy: number;
  readonly testLoss: number;
  /** The epoch (0-based) with the best monitored validation metric; null without validation data. */
  readonly bestEpoch: number | null;
  /** The monitored metric (`training.monitor`). */
  readonly monitor: string;
  /** Validation accuracy and loss at the best epoch. */
  readonly bestValAccuracy: number | null;
  readonly bestValLoss: number | null;
  /** Test accuracy and loss of the model of the best epoch (saved as `best-model.json`, before it evolved). */
  readonly testAccuracyAtBest: number | null;
  readonly testLossAtBest: number | null;
  /** Validation accuracy and loss of the final model. */
  readonly valAccuracy: number | null;
  readonly valLoss: number | null;
  /** True when early stopping ended the run before `training.epochs`. */
  readonly stoppedEarly: boolean;
  readonly epochs: number;
  /** Seconds of training and evaluation, over every session of a resumed run (earlier sessions: their epochs). */
  readonly seconds: number;
  /** Total connections and per linear layer. */
  readonly connections: number;
  readonly connectionsPerLayer: readonly number[];
  readonly trainSamples: number;
  /** Samples held out for validation (0 without validation). */
  readonly validationSamples: number;
  readonly testSamples: number;
  readonly backend: string;
  /** Set when `auto` did not get its first choice of backend: what it skipped and why. */
  readonly backendFellBack?: string;
  readonly outDir?: string;
  /**
   * Training FLOPs of the whole run (every session of a resumed one): the sum of the epochs' `flops` (see
   * train/flops for what is counted). Absent in results written before FLOPs were counted, and null for a
   * run resumed from epochs that did not count them.
   */
  readonly trainingFlops?: number | null;
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
  /**
   * The most memory the run may plan to use, in bytes (`--max-memory`); default 90% of this machine's.
   * A run whose estimate exceeds it is refused before the model is built (experiments/estimate).
   */
  readonly maxMemoryBytes?: number;
  /** Called with the loaded data (every part, before any check), e.g. to say what was loaded. */
  readonly onData?: (data: AnyRunData, config: RunConfig) => void;
  /** Called with the memory estimate and its limit once the data is loaded, before the model is built. */
  readonly onMemory?: (plan: MemoryPlan) => void;
  /**
   * Replace the run `outDir` holds (its run files are removed first). Without this or `resume`, a folder
   * that holds a run is refused with a {@link RunFolderError}, so no run is overwritten by accident.
   */
  readonly overwrite?: boolean;
  /**
   * Stops the run when aborted: after the batch in progress, or once the epoch that just ended is
   * checkpointed. The run then throws a {@link RunInterruptedError} (its `signal` is the abort's reason
   * when that is a string such as `"SIGINT"`), the manifest says `interrupted`, and `resume` continues it.
   */
  readonly signal?: AbortSignal;
  /** Told about what happens to the folder: a stale lock taken over, leftovers removed, an overwrite. */
  readonly onMessage?: (message: string) => void;
  /**
   * Extra fields recorded in `manifest.json` (JSON values), e.g. the ablation executor that ran this
   * session: `{ executor: { name: "slurm", jobId, node, ... } }`. They describe where the run ran, never
   * what it computes.
   */
  readonly manifestFields?: Readonly<Record<string, unknown>>;
}

/**
 * The model of `outDir/checkpoint.json` when it exists (null when it does not).
 * @throws {@link ConfigError} when it holds another network (layer kinds or sizes); {@link RunFolderError}
 *   when it was written for another config.
 */
function resumeFrom(out: string, config: RunConfig, sizes: readonly number[]): Model | null {
  const file = path.join(out, 'checkpoint.json');
  if (!fs.existsSync(file)) return null;
  // Loaded onto the reference, then moved to the run's backend by the caller.
  const { model, extra } = loadCheckpoint(file, 'cpu');
  // Another network first, by name: the layer sizes say more than a config difference (io/checkpoint).
  checkCheckpointArchitecture(file, model, mlpArchitecture(sizes, config.model));
  const saved = (extra as { config?: unknown } | null)?.config;
  // Restarting here would silently replace the folder's run: refuse, and say what differs.
  // Compared after parsing the saved config again: one written before a key had a default still matches.
  if (!sameRunConfig(saved, config)) throw new RunFolderError(`cannot resume ${out}: its checkpoint was written for another config (${configDifference(saved, config)}); use --overwrite to replace the run, or another --out folder`);
  // The centre is not recomputed on resume (the checkpoint's is the run's); a checkpoint without one cannot
  // continue a centred run as it began.
  const first = model.network.layers[0];
  if (config.model.centreInputs && !(first instanceof SparseLinear && first.inputCentre !== null)) {
    throw new RunFolderError(`cannot resume ${out}: the config centres the inputs (model.centreInputs) but its checkpoint's first layer has no input centre; use --overwrite to start the run over, or another --out folder`);
  }
  return model;
}

/**
 * Runs a config (validated first, defaults filled).
 * @throws {@link ConfigError} for an invalid config, data errors from the loaders, {@link NumericalError}
 *   if training diverges (the manifest then records `status: "failed"` and the error).
 */
export async function runConfig(input: unknown, options: RunOptions = {}): Promise<RunResult> {
  const config = parseRunConfig(input);
  if (!options.outDir) return runIn(config, { ...options, callbacks: stoppable(options.callbacks, options.signal) }, null);
  // The folder is locked and checked before anything else (a second run on it stops at once, before
  // loading its data) and released however the run ends.
  const folder = prepareRunFolder(options.outDir, {
    ...(options.resume ? { resume: true } : {}),
    ...(options.overwrite ? { overwrite: true } : {}),
    ...(options.onMessage ? { onMessage: options.onMessage } : {}),
  });
  let failure: unknown;
  try {
    throwIfStopped(options.signal);
    return await runIn(config, { ...options, callbacks: stoppable(options.callbacks, options.signal) }, folder);
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    const problem = folder.finish(failure);
    if (problem) options.onMessage?.(problem);
    folder.release();
  }
}

/** The body of {@link runConfig}: `folder` is the locked, prepared output folder (null without `outDir`). */
async function runIn(config: RunConfig, options: RunOptions, folder: RunFolder | null): Promise<RunResult> {
  const { train, validation, test, relevantFeatures } = await loadRunDataAsync(config.data, config.seed);
  options.onData?.({ train, test, ...(validation ? { validation } : {}) }, config);
  // An autoencoder's output is as wide as its input.
  const sizes = [train.nFeatures, ...config.model.hidden, config.loss === 'reconstruction' ? train.nFeatures : Math.max(train.nClasses, test.nClasses)];
  // --- Refused before anything large is allocated: degenerate data, and work beyond the memory limit. ---
  checkTrainingClasses(train);
  const memory = planRunMemory(config, { train, validation, test }, options.maxMemoryBytes);
  options.onMemory?.(memory);
  const out = options.outDir;
  // Resolved once, so that the manifest records the backend and gpu.js mode that really run (and any fallback).
  const chosen = resolveBackend(config.backend, options.threads === undefined ? {} : { threads: options.threads });
  const resumed = out && options.resume ? resumeFrom(out, config, sizes) : null;
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
  // Centred inputs: the means of the training part only (after the validation split), so that nothing of the
  // validation or test data shapes the model. A resumed run keeps the centre its checkpoint stores (model
  // files record it), the same values: the training part is the same seeded split.
  if (!resumed && config.model.centreInputs) centreInputs(model, train);
  if (!resumed) model.compile({ optimizer: config.optimizer, loss: config.loss, policy: config.policy as never, inputNoise: config.model.inputNoise });
  // A checkpoint does not record the input noise: the config says it.
  else model.inputNoise = config.model.inputNoise;
  // So that model.summary() (printed by the CLI) says how the run's backend was chosen.
  model.backendChoice = { backend: chosen.backend, reason: backendReason(chosen) };
  options.onModel?.(model, config, chosen);

  const manifest = createManifest(config.name, { ...config, policy: policyToJson(model.policy) }, config.seed,
    {
      name: model.backend.name, mode: model.backend.mode, threads: model.backend.threads, requested: chosen.requested, resolved: chosen.resolved,
      resident: model.backend.memory.resident,
      ...(chosen.fellBack ? { fellBack: chosen.fellBack } : {}),
    },
    { sizes, connectionsPerLayer: model.connectionsPerLayer(), connections: model.connectionCount(), trainSamples: train.nSamples, validationSamples: validation?.nSamples ?? 0, testSamples: test.nSamples,
      memoryEstimate: { bytes: memory.estimate.bytes, limitBytes: memory.limit.bytes, breakdown: memory.estimate.breakdown },
      // Generated data with known answers (madelon, genotypes): the features that truly carry the signal.
      ...(relevantFeatures ? { relevantFeatures: Array.from(relevantFeatures) } : {}) });
  // Times that span every session of a resumed run: the first start, and the earlier sessions (run-folder).
  if (folder) Object.assign(manifest, folder.manifestFields(model.epochsDone));
  if (options.manifestFields) Object.assign(manifest, options.manifestFields);
  const epochs: MetricsLine[] = [];
  if (out) {
    if (resumed) {
      // Keep the metrics of the epochs the checkpoint covers; drop any written after it.
      const kept = readJsonLines<MetricsLine>(path.join(out, 'metrics.jsonl')).filter((m) => m.epoch < resumed.epochsDone);
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

  // The input layer's history for the persistence ranking (features/persistence), kept in feature-history.json.
  const inputHistory = out ? startInputHistory(out, model, resumed !== null, train.featureNames) : null;
  // Per-epoch snapshots of the input layer's importance (features/snapshots), kept in feature-snapshots.jsonl.
  if (out) startSnapshots(out, model, resumed ? resumed.epochsDone : null);
  const user = options.callbacks ?? {};
  const t0 = performance.now();
  // Seconds of the epochs earlier sessions of a resumed run trained, so that the result's time covers the run.
  const earlierSeconds = epochs.reduce((a, e) => a + e.seconds, 0);
  // Test metrics of each epoch, measured on the same network as its validation metrics (before evolution).
  const testOf = new Map<number, Evaluation>();
  const fitting = model.epochsDone < config.training.epochs && !model.selection?.stopped;
  try {
    if (fitting) await model.fit(train, {
      epochs: config.training.epochs - model.epochsDone,
      totalEpochs: config.training.epochs,
      batchSize: config.training.batchSize,
      ...(validation ? { validationData: validation } : {}),
      monitor: config.training.monitor,
      ...(config.training.earlyStopping ? { earlyStopping: config.training.earlyStopping } : {}),
      lrSchedule: config.training.lrSchedule,
      // Progress is the caller's (options.callbacks): the CLI draws its own, ablation workers show none.
      verbose: 0,
      callbacks: {
        ...user,
        onValidationEnd: async (info) => {
          testOf.set(info.epoch, model.evaluate(test, { batchSize: Math.max(config.training.batchSize, 256) }));
          // The best model is saved now, before this epoch's evolution changes it: reloading it gives exactly
          // the metrics logged for this epoch.
          if (out && info.improved) saveModel(model, path.join(out, 'best-model.json'));
          await user.onValidationEnd?.(info);
        },
        onEpochEnd: async (logs) => {
          if (out && inputHistory) {
            inputHistory.observe(model.network);
            writeJsonAtomic(path.join(out, FEATURE_HISTORY_FILE), inputHistory.toJson());
          }
          // After this epoch's evolution, as the history above: snapshot E is the network after E epochs.
          if (out) appendSnapshot(out, model, logs.epoch + 1);
          const t = testOf.get(logs.epoch) ?? model.evaluate(test, { batchSize: Math.max(config.training.batchSize, 256) });
          const line: MetricsLine = { ...logs, testLoss: t.loss, testAccuracy: t.accuracy };
          epochs.push(line);
          if (out) {
            appendJsonLine(path.join(out, 'metrics.jsonl'), line);
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
    if (out) {
      // A failure to record the failure (a full disk) must not hide the error that ended the run.
      try {
        writeJsonAtomic(path.join(out, 'manifest.json'), { ...manifest, status: 'failed', error: String((e as Error).message), endedAt: new Date().toISOString() });
      } catch {
        // The run's own error follows.
      }
    }
    throw e;
  }
  const final = model.evaluate(test);
  const finalVal = validation ? model.evaluate(validation) : null;
  const bestEpoch = validation ? model.selection?.bestEpoch ?? null : null;
  const best = bestEpoch === null ? undefined : epochs.find((e) => e.epoch === bestEpoch);
  const result: RunResult = {
    resultVersion: RESULT_VERSION,
    status: 'finished',
    name: config.name,
    seed: config.seed,
    testAccuracy: final.accuracy,
    testLoss: final.loss,
    bestEpoch,
    monitor: config.training.monitor,
    bestValAccuracy: best?.valAccuracy ?? null,
    bestValLoss: best?.valLoss ?? null,
    testAccuracyAtBest: best?.testAccuracy ?? null,
    testLossAtBest: best?.testLoss ?? null,
    valAccuracy: finalVal?.accuracy ?? null,
    valLoss: finalVal?.loss ?? null,
    stoppedEarly: model.selection?.stopped ?? false,
    epochs: epochs.length,
    seconds: earlierSeconds + (performance.now() - t0) / 1000,
    connections: model.connectionCount(),
    connectionsPerLayer: model.connectionsPerLayer(),
    trainSamples: train.nSamples,
    validationSamples: validation?.nSamples ?? 0,
    testSamples: test.nSamples,
    backend: `${model.backend.name}:${model.backend.mode}`,
    ...(chosen.fellBack ? { backendFellBack: chosen.fellBack } : {}),
    // null when an epoch of an earlier session did not count its FLOPs (a toolkit before they were counted).
    trainingFlops: epochs.every((e) => typeof e.flops === 'number') ? epochs.reduce((a, e) => a + e.flops!, 0) : null,
    ...(out ? { outDir: out } : {}),
  };
  if (out) {
    saveModel(model, path.join(out, 'model.json'));
    writeJsonAtomic(path.join(out, 'result.json'), result);
    writeJsonAtomic(path.join(out, 'manifest.json'), { ...manifest, status: 'finished', endedAt: new Date().toISOString() });
  }
  return result;
}

/**
 * The input-layer history of a run in `out`: restored from its `feature-history.json` when resuming (compared
 * from the checkpoint's topology on), else started from the initial topology; the data's feature names are
 * written to `feature-names.json` once, for rankings (features/importance).
 */
function startInputHistory(out: string, model: Model, resumed: boolean, names: readonly string[] | undefined): InputHistory {
  if (names && !resumed) writeJsonAtomic(path.join(out, FEATURE_NAMES_FILE), names);
  const file = path.join(out, FEATURE_HISTORY_FILE);
  if (resumed && fs.existsSync(file)) {
    const h = InputHistory.fromJson(JSON.parse(fs.readFileSync(file, 'utf8')), model.network, file);
    // Epochs observed after the checkpoint (a crash between the two writes) are not in the checkpoint's run.
    if (h.epochs === model.epochsDone) return h;
  }
  const h = new InputHistory(model.network.nIn);
  h.start(model.network);
  if (!resumed) fs.rmSync(file, { force: true });
  return h;
}
