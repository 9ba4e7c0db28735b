/**
 * synapses-ts: truly sparse neural networks trained with Sparse Evolutionary Training (SET).
 *
 * The public API, re-exported by name.
 *
 * @packageDocumentation
 */
export { version } from './version';

// core
export { rngFor, Rng, type RngKey, type RngState } from './core/rng';
export {
  SynapsesError, InvalidArgumentError, ShapeError, UnknownNameError, ConfigError, DataError, NumericalError, InternalError,
  BackendUnavailableError, BackendLimitError,
} from './core/errors';

// sparse
export { CsrMatrix } from './sparse/csr';
export { erdosRenyi, erdosRenyiProbability, bernoulli, uniformDensity, erkDensities, fromRanks, type LayerShape } from './sparse/topology';
export { sampleSortedDistinct } from './sparse/sampling';
export { inDegrees, outDegrees, overlap, layerStats, type LayerStats } from './sparse/stats';

// backend
export type { Backend, UnaryOp, SReluParams, SgdHyper, AdamHyper } from './backend/backend';
export { cpuBackend } from './backend/cpu/index';
export {
  getBackend, backendNames, registerBackend, resolveBackend, parseBackendName, knownBackendNames, type ResolvedBackend, type BackendRequest,
} from './backend/registry';
export {
  gpujsBackend, availableGpujsModes, bestGpujsMode, gpujsUnavailableReason, GPUJS_MODES, type GpujsBackend, type GpujsMode, type GpujsOptions,
} from './backend/gpujs/index';

// nn
export type { Layer, Param, ForwardContext, LayerSummary } from './nn/layer';
export { SparseLinear } from './nn/sparse-linear';
export { DenseLinear } from './nn/dense-linear';
export { UnaryActivation, SRelu, Softmax, activationLayer, ACTIVATIONS, type ActivationName, type ActivationSpec } from './nn/activation';
export { Dropout } from './nn/dropout';
export { Sequential } from './nn/sequential';
export { mlpNetwork, type MlpOptions, type SparsitySpec } from './nn/mlp';
export { initWeights, WEIGHT_INITS, type WeightInit } from './nn/init';

// optim
export { createOptimizer, OPTIMIZERS, type Optimizer, type OptimizerSpec, type SgdSpec, type AdamSpec } from './optim/optimizer';

// evolution
export type {
  Policy, Trigger, Fraction, Prune, Regrow, GrowInit, EvolutionContext, EvolutionReport, EvolutionEvent, LayerSelection, Part,
} from './evolution/types';
export { everyEpochs, everySteps, probabilistic, never, synapsesDefaultProbability } from './evolution/triggers';
export { constant, cosineDecay, linearDecay } from './evolution/fractions';
export { signedMagnitude, magnitude, randomPrune } from './evolution/prune';
export { uniformRandom, neverUsedFirst, gradientRegrow, momentumRegrow, emptyRankToPosition, emptyPositions, NotEnoughRoomError } from './evolution/regrow';
export { zeroInit, normalInit, heNormalInit, heUniformInit } from './evolution/grow-init';
export { evolveLayer, type EvolvedLayer } from './evolution/evolve';
export { policyFrom, expandPolicy, policyToJson, policyPresetNames, selectsLayer, type PolicyDescription } from './evolution/registry';

// train
export { Model, mlp, LOSSES, type LossName, type CompileOptions, type FitOptions, type Evaluation, type MlpModelOptions } from './train/model';
export { History, type EpochLogs, type BatchLogs, type Callbacks } from './train/history';
export { evolveNetwork } from './train/evolution-step';

// data
export * from './data/index';

// plots
export * from './plots/index';

// experiments
export { parseRunConfig, runConfigSchema, setDotted, parseValue, type RunConfig, type RunConfigInput } from './experiments/config';
export { preset, presetNames } from './experiments/presets';
export { runConfig, type RunResult, type RunOptions } from './experiments/run';
export { loadRunData, loadRunDataAsync } from './experiments/data';
export { expandGrid, parseGrid, gridSchema, type Grid, type Cell } from './experiments/grid';
export { runAblation, readResults, type AblationOptions as AblationRunOptions, type AblationSummary, type ResultRow } from './experiments/ablation';
export { summarize, resultsFrame, tableRecords, summaryText, writeResultTables, SUMMARY_METRICS } from './experiments/table';

// io
export { saveModel, loadModel, modelToJson, modelFromJson, ModelFileError, MODEL_FORMAT, MODEL_FORMAT_VERSION } from './io/model-file';
export { saveCheckpoint, loadCheckpoint, checkpointToJson, checkpointFromJson, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, type LoadedCheckpoint } from './io/checkpoint';
export { EvolutionState } from './evolution/state';
