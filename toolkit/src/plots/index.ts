/**
 * Plotting: pure functions from results to plotly figures, notebook display, and static export.
 *
 * @packageDocumentation
 */
export { type Figure, type FigureLayout, type AxisLayout, mergeLayout, withLayout } from './figure';
export {
  OKABE_ITO, PALETTE, seriesColor, withAlpha, COLUMN_WIDTH_INCHES, PX_PER_INCH, FONT_FAMILY, inchesToPx, scaleForDpi, figureSize,
  paperAxis, paperLayout, styledFigure, noDataFigure, MIN_FONT_PT, printPointsPerPixel, minFontPx, compactNumber, logTicks, type Column, type PlotOptions,
} from './style';
export { meanStd, histogram, type MeanStd, type Histogram } from './summary';
export {
  learningCurves, summariseRuns, bestValidationEpoch, CURVE_SPLITS, type EpochMetrics, type LabeledRun, type CurveGroup, type CurveStats, type CurveMetric,
  type CurveSplit, type CurveMonitor, type LearningCurveOptions,
} from './learning-curves';
export { inputConnectivity, imageShapeFor, type ConnectivitySnapshot, type InputConnectivityOptions } from './connectivity';
export { hurwitzZeta, fitPowerLaw, powerLawPmf, powerLawCcdf, samplePowerLaw, type PowerLawFit, type PowerLawOptions } from './powerlaw';
export {
  degreeDistribution, hiddenDegrees, binomialPmf, erdosRenyiDegreePmf, type DegreeSnapshot, type DegreeDirection, type DegreeDistributionOptions, type SnapshotFit,
} from './degrees';
export { weightHistograms, type WeightLayer, type WeightHistogramOptions } from './weights';
export { evolutionStats, type EvolutionRecord, type ItopPoint, type EvolutionStatsOptions } from './evolution-stats';
export { spyPlot, spyBins, type SpyBins, type SpyOptions } from './spy';
export {
  ablationComparison, groupAblation, accuracyVsConnections, fittedRange, type SpreadKind, type AblationRow, type AblationGroup, type AblationOptions, type AccuracyVsConnectionsOptions,
} from './ablation';
export { figureDiv, figureHtmlDocument, figureJson, plotlyBundle, plotlyBundlePath, plotlyVersion, checkFigure, type TitledFigure, type FigureDivOptions } from './html';
export { show, showHtml, resetShow, isNotebook, type ShowOptions } from './show';
export {
  saveFigure, closeSharedExporter, FigureExporter, BrowserNotFoundError, browserAvailable, chromiumPath, formatFor, CHROMIUM_ARGS, FIGURE_FORMATS, IMAGE_FORMATS,
  type FigureFormat, type ExportOptions,
} from './export';
export { runFigures, writeRunFigures, type RunFigure, type RunFigures, type WrittenRunFigures, type WriteRunFiguresOptions, type FigureProgress } from './run-figures';
export { ablationFigures, isAblationDir, sparsityLevels } from './ablation-figures';
export { keyLabel, metricLabel, valueLabel, settingLabel, shortKeyLabel } from './labels';
export { confusionMatrixFigure, type ConfusionFigureOptions } from './confusion';
export {
  importanceMaps, recoveryCurves, manhattanPlot, type ImportanceMap, type ImportanceScale, type ImportanceMapOptions, type RecoveryPoint, type RecoveryRun,
  type RecoveryCurveOptions, type ManhattanOptions,
} from './importance';
