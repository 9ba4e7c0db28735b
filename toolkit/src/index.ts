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
  BackendUnavailableError, BackendLimitError, CorruptFileError,
  serializeError, deserializeError, registerErrorType, type SerializedError, type ErrorType,
} from './core/errors';

// sparse
export { CsrMatrix } from './sparse/csr';
export { erdosRenyi, erdosRenyiProbability, bernoulli, uniformDensity, erkDensities, fromRanks, type LayerShape } from './sparse/topology';
export { sampleSortedDistinct } from './sparse/sampling';
export { inDegrees, outDegrees, overlap, layerStats, type LayerStats } from './sparse/stats';
export { SparseBatch } from './sparse/sparse-batch';

// backend
export type { Backend, UnaryOp, SReluParams, SgdHyper, AdamHyper, SparseInputForwardRequest, SparseInputWeightGradRequest } from './backend/backend';
export { cpuBackend } from './backend/cpu/index';
export {
  getBackend, backendNames, registerBackend, resolveBackend, parseBackendName, knownBackendNames, type ResolvedBackend, type BackendRequest,
} from './backend/registry';
export {
  gpujsBackend, availableGpujsModes, bestGpujsMode, gpujsUnavailableReason, GPUJS_MODES, type GpujsBackend, type GpujsMode, type GpujsOptions,
} from './backend/gpujs/index';

// nn
export type { Layer, Param, ForwardContext, LayerSummary, BackwardRequest } from './nn/layer';
export { SparseLinear } from './nn/sparse-linear';
export { DenseLinear } from './nn/dense-linear';
export { UnaryActivation, SRelu, Softmax, activationLayer, ACTIVATIONS, type ActivationName, type ActivationSpec } from './nn/activation';
export { Dropout } from './nn/dropout';
export { Sequential, type NetworkBackwardOptions } from './nn/sequential';
export { planFusion, type Segment, type PlanStep, type PlanOptions } from './nn/fusion';
export { lossFor, type Loss, type LossRequest } from './nn/losses';
export { DenseGradientSource, type LayerGradient } from './nn/dense-gradient';
export { mlpNetwork, type MlpOptions, type SparsitySpec } from './nn/mlp';
export { initWeights, WEIGHT_INITS, type WeightInit } from './nn/init';

// optim
export { createOptimizer, OPTIMIZERS, type Optimizer, type OptimizerSpec, type SgdSpec, type AdamSpec } from './optim/optimizer';
export { lrFactor, checkLrSchedule, LR_SCHEDULES, CONSTANT_LR, type LrScheduleSpec } from './optim/lr-schedule';

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
export {
  Model, mlp, LOSSES, MONITORS, backendReason, type LossName, type CompileOptions, type FitOptions, type Evaluation, type MlpModelOptions, type Monitor,
  type EarlyStoppingSpec, type SelectionState, type SampleInput, type Prediction, type BackendChoice,
} from './train/model';
export {
  History, combineCallbacks, epochRecord, type EpochLogs, type BatchLogs, type Callbacks, type ValidationInfo, type TrainBeginInfo,
} from './train/history';
export { setProgressDisplay, progressDisplay, VERBOSITIES, type Verbosity, type ProgressDisplay } from './train/progress';
export { setModelWriter, type ModelWriter } from './train/model-store';
export { trainingFlopsPerSample, denseGradientFlops, formatFlops, FLOPS_PER_MULTIPLY_ADD } from './train/flops';
export { confusionMatrix, type ConfusionMatrix, type ConfusionOptions } from './train/metrics';
export { evolveNetwork } from './train/evolution-step';

// data
export * from './data/index';

// plots
export * from './plots/index';

// display: progress of training on a terminal or in a notebook, tables in notebooks
export { defaultProgressDisplay } from './display/default';
export { terminalProgress, terminalDefaultVerbosity, epochLine } from './display/terminal';
export { notebookProgress, type NotebookProgressOptions } from './display/notebook';
export { tableHtml, showTable, type TableInput, type TableHtmlOptions } from './display/table';

// experiments
export { parseRunConfig, resolveRunConfig, sameRunConfig, runNameProblem, runConfigSchema, setDotted, parseValue, type RunConfig, type RunConfigInput } from './experiments/config';
export { mergeConfig, dottedObject, assertSafeKeys, FORBIDDEN_KEYS } from './experiments/merge';
export { preset, presetNames } from './experiments/presets';
export { runConfig, RESULT_VERSION, type RunResult, type RunOptions, type MetricsLine } from './experiments/run';
export { upgradeResult, VERSION_1_NOTE } from './experiments/result-version';
export { loadRunData, loadRunDataAsync } from './experiments/data';
export { expandGrid, parseGrid, gridSchema, gridCellCount, DEFAULT_MAX_CELLS, type Grid, type Cell, type ExpandOptions } from './experiments/grid';
export { runAblation, type AblationOptions as AblationRunOptions, type AblationSummary } from './experiments/ablation';
export {
  readResults, readFailures, readResultRows, readCellListing, type ResultRow, type FailedRow, type AnyResultRow, type CellListing,
} from './experiments/ablation-results';
export { summarize, resultsFrame, historyFrame, tableRecords, summaryText, writeResultTables, SUMMARY_METRICS } from './experiments/table';

// io
export {
  saveModel, loadModel, modelToJson, modelFromJson, ModelFileError, MODEL_FORMAT, MODEL_FORMAT_VERSION,
  saveModelDir, readSavedModelManifest, SAVED_MODEL_FORMAT, SAVED_MODEL_FORMAT_VERSION, SAVED_MODEL_MANIFEST, MODEL_FILE, type SavedModelManifest,
} from './io/model-file';
export { saveCheckpoint, loadCheckpoint, checkpointToJson, checkpointFromJson, CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, type LoadedCheckpoint } from './io/checkpoint';
export { EvolutionState } from './evolution/state';

// The public entry plugs the display and the file writer into training, which neither logs nor writes
// files itself (DESIGN.md): `fit({ verbose })` shows progress through this display, `model.save(dir)`
// writes through io/. Code that imports train/ directly gets neither until it registers them.
import { defaultProgressDisplay as entryProgressDisplay } from './display/default';
import { saveModelDir as entryModelWriter } from './io/model-file';
import { setModelWriter as entrySetModelWriter } from './train/model-store';
import { setProgressDisplay as entrySetProgressDisplay } from './train/progress';
entrySetProgressDisplay(entryProgressDisplay);
entrySetModelWriter(entryModelWriter);

// features (issue 19: feature discovery)
export { featureImportance, inputStrength, inputDegree, FeatureRanking, IMPORTANCE_METHODS, type ImportanceMethod, type ImportanceOptions, type FeatureRank } from './features/importance';
export { InputHistory, FEATURE_HISTORY_FILE, type InputHistoryJson } from './features/persistence';
export {
  importanceSnapshot, readSnapshots, snapshotAt, snapshotScores, FEATURE_SNAPSHOTS_FILE, SNAPSHOT_FULL_MAX_FEATURES, SNAPSHOT_TOP_K,
  type ImportanceSnapshot, type SnapshotScores, type SnapshotOptions,
} from './features/snapshots';
export { recoveryAtK, recoveryCurve, selectFeatures, retrainAccuracy, type RecoveryAtK, type RetrainOptions } from './features/evaluation';
export { baselineRanking, anovaScores, chi2Scores, varianceScores, randomScores, BASELINES, type BaselineName } from './features/baselines';
export { quickSelection, type QuickSelectionOptions, type QuickSelectionResult } from './features/quick-selection';
export { centreInputs, featureMeans } from './features/centring';
export {
  recoveryExperiment, recoveryFrame, recoverySummary, recoverySummaryRows, recoverySummaryText, RECOVERY_METHODS, DEFAULT_RECOVERY_METHODS,
  type RecoveryMethod, type RecoveryExperimentOptions, type RecoveryRow, type RecoveryExperiment, type RecoverySummaryRow,
} from './features/recovery-table';
export { madelon, type MadelonOptions, type MadelonData, type GeneratedData } from './data/madelon';
export { genotypes, causalBlocks, type GenotypeOptions, type GenotypeData } from './data/genotypes';
