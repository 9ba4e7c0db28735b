/**
 * The standard figures of a run folder (as written by `synapses-ts train` / `runConfig`):
 * - `learning-curves` from `metrics.jsonl`: training, validation and test, with the best epoch of
 *   `result.json` (chosen on validation only) marked;
 * - `input-connectivity`, `degrees-hidden-<h>` (one per hidden layer), `weight-histograms` and
 *   `spy-layer-<l>` (one per sparse layer) from `model.json`. Layers are numbered from 1 in file names,
 *   titles and labels alike (`degrees-hidden-1` is "hidden layer 1", `spy-layer-1` the first weight
 *   layer). The initial topology is rebuilt from the seed and config in `manifest.json` (the toolkit's
 *   topologies are a function of them), so connectivity and degrees show the start of training beside its
 *   end;
 * - `evolution-stats` from `evolution.jsonl`.
 * A figure whose source is missing (a static run has no evolution events; a crashed run has no model)
 * becomes an explicit "no data" figure.
 *
 * {@link writeRunFigures} writes them all into one self-contained `figures.html`, and as SVG / PNG / PDF
 * files when a browser is available.
 *
 * @packageDocumentation
 */
import { ablationFigures, isAblationDir } from './ablation-figures';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError, InvalidArgumentError, ShapeError } from '../core/errors';
import { upgradeResult } from '../experiments/result-version';
import type { RunResult } from '../experiments/run';
import { readJsonLines, writeFileAtomic } from '../io/files';
import { loadModel } from '../io/model-file';
import { DenseLinear } from '../nn/dense-linear';
import { mlpNetwork, type MlpOptions } from '../nn/mlp';
import { SparseLinear } from '../nn/sparse-linear';
import type { CsrMatrix } from '../sparse/csr';
import { inputConnectivity, type ConnectivitySnapshot } from './connectivity';
import { degreeDistribution, erdosRenyiDegreePmf, hiddenDegrees, type DegreeSnapshot } from './degrees';
import { evolutionStats, type EvolutionRecord } from './evolution-stats';
import { BrowserNotFoundError, browserAvailable, chromiumPath, FigureExporter, IMAGE_FORMATS, type FigureFormat } from './export';
import type { Figure } from './figure';
import { figureHtmlDocument } from './html';
import { learningCurves, type CurveMonitor, type EpochMetrics } from './learning-curves';
import { spyPlot } from './spy';
import { noDataFigure } from './style';
import { weightHistograms, type WeightLayer } from './weights';

/** One standard figure of a run. */
export interface RunFigure {
  /** File name stem, e.g. `"learning-curves"`. */
  readonly name: string;
  /** A one-line description, the heading in `figures.html`. */
  readonly title: string;
  readonly figure: Figure;
}

/** The standard figures of a run and what could not be drawn. */
export interface RunFigures {
  readonly figures: RunFigure[];
  /** Why a figure is a "no data" figure or lacks the initial snapshot. */
  readonly notes: string[];
}

interface ManifestLike {
  name?: string;
  seed?: number;
  config?: { seed?: number; model?: Record<string, unknown>; policy?: unknown; training?: { monitor?: unknown } };
  facts?: { sizes?: number[] };
}

/**
 * How the learning curves mark the best epoch: `result.json`'s `bestEpoch` when the run finished (null: it
 * had no validation part), else the best so far by the manifest's monitored metric.
 */
function bestEpochOptions(
  result: (RunResult & { note?: string }) | undefined,
  manifest: ManifestLike | undefined,
  metrics: readonly EpochMetrics[],
  resultFile: string,
  notes: string[],
): { bestEpoch?: number | null; monitor?: CurveMonitor } {
  // upgradeResult marks a version-1 result (no resultVersion) as such, with every selection field null.
  if (result && (result.resultVersion as number) === 1) {
    notes.push(`learning-curves: result.json was written before validation existed (result version 1): no epoch was chosen on validation, and its metrics.jsonl's val* columns are the test set (drawn as test). ${result.note ?? ''}`.trim());
    return { bestEpoch: null };
  }
  if (result) {
    const best = result.bestEpoch;
    if (best !== null && !metrics.some((m) => m.epoch === best)) {
      throw new DataError(`${resultFile}: bestEpoch ${String(best)} is not one of the epochs of metrics.jsonl`);
    }
    return { bestEpoch: best };
  }
  const monitor = manifest?.config?.training?.monitor;
  return monitor === 'valLoss' || monitor === 'valAccuracy' ? { monitor } : {};
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DataError(`${file} is not valid JSON (${(e as Error).message})`);
  }
}

function readLines<T>(file: string): T[] {
  try {
    return readJsonLines<T>(file);
  } catch (e) {
    throw new DataError((e as Error).message);
  }
}

/** Builds a figure, turning a builder's complaint about the file's content into a DataError naming the file. */
function build(file: string, make: () => Figure): Figure {
  try {
    return make();
  } catch (e) {
    if (e instanceof InvalidArgumentError || e instanceof ShapeError) throw new DataError(`${file}: ${(e as Error).message}`);
    throw e;
  }
}

/** The weight matrices of the linear layers at the start of the run, rebuilt from the manifest, or why not. */
function initialTopology(manifest: ManifestLike | undefined, final: readonly (CsrMatrix | undefined)[]): CsrMatrix[] | string {
  const sizes = manifest?.facts?.sizes;
  const model = manifest?.config?.model;
  const seed = manifest?.seed ?? manifest?.config?.seed;
  if (!Array.isArray(sizes) || !model || typeof seed !== 'number') return 'the manifest lacks the sizes, model config or seed needed to rebuild the initial topology';
  let net;
  try {
    net = mlpNetwork(sizes, { ...(model as MlpOptions), seed });
  } catch (e) {
    return `the initial topology could not be rebuilt (${(e as Error).message})`;
  }
  const linear = net.layers.filter((l) => l instanceof SparseLinear || l instanceof DenseLinear);
  const out: CsrMatrix[] = [];
  for (let i = 0; i < final.length; i++) {
    const f = final[i], l = linear[i];
    if (!f) continue;
    if (!(l instanceof SparseLinear) || l.weights.rows !== f.rows || l.weights.cols !== f.cols || l.weights.nnz !== f.nnz) {
      return `the rebuilt initial topology does not match the saved model at layer ${i}`;
    }
    out.push(l.weights);
  }
  return out;
}

/**
 * Reads a run folder and builds its standard figures (no files written).
 * @throws {@link InvalidArgumentError} when `runDir` holds none of manifest.json, metrics.jsonl, model.json;
 *   {@link DataError} for a file that is not valid JSON or holds impossible values (naming the file).
 */
export function runFigures(runDir: string): RunFigures {
  const file = (name: string) => path.join(runDir, name);
  const has = (name: string) => fs.existsSync(file(name));
  if (!['manifest.json', 'metrics.jsonl', 'model.json'].some(has)) {
    throw new InvalidArgumentError(`${runDir} is not a run folder: it has no manifest.json, metrics.jsonl or model.json`);
  }
  const manifest = has('manifest.json') ? (readJson(file('manifest.json')) as ManifestLike) : undefined;
  const runName = manifest?.name ?? path.basename(path.resolve(runDir));
  const figures: RunFigure[] = [];
  const notes: string[] = [];
  const noData = (name: string, title: string, why: string) => {
    notes.push(`${name}: ${why}`);
    figures.push({ name, title, figure: noDataFigure(why, { title }) });
  };

  // Learning curves.
  const curvesTitle = `${runName}: loss and accuracy per epoch`;
  const metrics = has('metrics.jsonl') ? readLines<EpochMetrics>(file('metrics.jsonl')) : [];
  if (metrics.length > 0) {
    const result = has('result.json') ? upgradeResult<RunResult>(readJson(file('result.json')), file('result.json')) : undefined;
    const best = bestEpochOptions(result, manifest, metrics, file('result.json'), notes);
    const title = typeof best.bestEpoch === 'number'
      ? `${curvesTitle} (test solid, validation dashed, training dotted; the star marks epoch ${best.bestEpoch + 1}, the best on validation)`
      : curvesTitle;
    figures.push({ name: 'learning-curves', title, figure: build(file('metrics.jsonl'), () => learningCurves(metrics, { label: runName, column: 'double', ...best })) });
  } else noData('learning-curves', curvesTitle, has('metrics.jsonl') ? 'metrics.jsonl has no epochs yet' : 'no metrics.jsonl in the run folder');

  // Figures of the trained model.
  if (has('model.json')) {
    const model = loadModel(file('model.json'));
    const linear = model.network.layers.filter((l) => l instanceof SparseLinear || l instanceof DenseLinear);
    const sparse = linear.map((l) => (l instanceof SparseLinear ? l.weights : undefined));
    const epochs = metrics.length;
    const finalLabel = epochs > 0 ? `after epoch ${metrics[epochs - 1]!.epoch + 1}` : 'trained';
    const initial = sparse.some((w) => w) ? initialTopology(manifest, sparse) : 'the network is dense';
    if (typeof initial === 'string' && sparse.some((w) => w)) notes.push(`initial topology: ${initial}; showing the trained network only`);

    const first = sparse[0];
    const connTitle = `${runName}: connections of each input feature (in-degree)`;
    if (first) {
      const snaps: ConnectivitySnapshot[] = [
        ...(typeof initial !== 'string' ? [{ label: 'initial (rebuilt from seed)', weights: initial[0]! }] : []),
        { label: finalLabel, weights: first },
      ];
      const side = Math.round(Math.sqrt(first.cols));
      const imageShape: [number, number] = side * side === first.cols ? [side, side] : [1, first.cols];
      figures.push({ name: 'input-connectivity', title: connTitle, figure: inputConnectivity(snaps, { imageShape }) });
    } else noData('input-connectivity', connTitle, 'the first layer is dense');

    const allSparse = sparse.every((w) => w);
    if (allSparse && sparse.length >= 2) {
      const ws = sparse as CsrMatrix[];
      for (let h = 0; h < ws.length - 1; h++) {
        const snaps: DegreeSnapshot[] = [
          ...(typeof initial !== 'string' ? [{ label: 'initial', degrees: hiddenDegrees(initial, h) }] : []),
          { label: finalLabel, degrees: hiddenDegrees(ws, h) },
        ];
        figures.push({
          // File names and titles number layers from 1, as papers do: degrees-hidden-1 is hidden layer 1.
          name: `degrees-hidden-${h + 1}`,
          title: `${runName}: degrees (fan-in + fan-out) of hidden layer ${h + 1} (${ws[h]!.rows} neurons)`,
          figure: degreeDistribution(snaps, { reference: erdosRenyiDegreePmf(ws, h), xTitle: 'degree k (fan-in + fan-out)' }),
        });
      }
    } else noData('degrees-hidden-1', `${runName}: degrees of hidden neurons`, sparse.length < 2 ? 'the network has no hidden layer' : 'some layers are dense');

    const weightLayers: WeightLayer[] = linear.map((l, i) => ({
      label: `layer ${i + 1}`,
      values: l instanceof SparseLinear ? l.weights.values : (l as DenseLinear).weight.values,
    }));
    figures.push({ name: 'weight-histograms', title: `${runName}: weight magnitudes per layer`, figure: weightHistograms(weightLayers, { column: 'double', columns: Math.min(4, weightLayers.length) }) });

    sparse.forEach((w, i) => {
      if (w) figures.push({ name: `spy-layer-${i + 1}`, title: `${runName}: connectivity pattern of layer ${i + 1}`, figure: spyPlot(w, { label: `layer ${i + 1}` }) });
    });
  } else {
    const why = 'no model.json in the run folder (the run has not finished)';
    for (const [name, title] of [['input-connectivity', 'connections of each input feature'], ['weight-histograms', 'weight magnitudes per layer']] as const) {
      noData(name, `${runName}: ${title}`, why);
    }
  }

  // Evolution.
  const evoTitle = `${runName}: what evolution removed and grew`;
  const events = has('evolution.jsonl') ? readLines<EvolutionRecord>(file('evolution.jsonl')) : [];
  if (events.length > 0) figures.push({ name: 'evolution-stats', title: evoTitle, figure: build(file('evolution.jsonl'), () => evolutionStats(events, { column: 'double' })) });
  else {
    const policy = manifest?.config?.policy as { trigger?: { name?: string } } | undefined;
    noData('evolution-stats', evoTitle, policy?.trigger?.name === 'never' ? 'the policy never evolves (static sparse)' : 'no evolution events recorded (evolution.jsonl missing or empty)');
  }
  return { figures, notes };
}

/** What {@link writeRunFigures} wrote. */
export interface WrittenRunFigures {
  readonly outDir: string;
  /** The formats written (html always). */
  readonly formats: readonly FigureFormat[];
  /** Every file written: `figures.html` first. */
  readonly files: string[];
  readonly figures: readonly { name: string; title: string; files: string[] }[];
  /** Notes on figures without data, and a warning when images were skipped for want of a browser. */
  readonly warnings: string[];
}

/**
 * Where {@link writeRunFigures} is: figure `done` of `total` was written, as `files`; `done` 0 (no files)
 * once `figures.html` is written and the image files are about to start.
 */
export interface FigureProgress {
  readonly outDir: string;
  readonly done: number;
  readonly total: number;
  readonly name: string;
  readonly files: readonly string[];
}

/** Options of {@link writeRunFigures}. */
export interface WriteRunFiguresOptions {
  /** An exporter to reuse (otherwise one is started and closed). */
  readonly exporter?: FigureExporter;
  /** PNG scale (default 2). */
  readonly scale?: number;
  /** Called when the image files start (`done` 0) and after each figure's image files are written. */
  readonly onProgress?: (progress: FigureProgress) => void;
}

/**
 * Writes the standard figures of `runDir` into `outDir`: `figures.html` (every figure, interactive,
 * self-contained) and, per figure, `<name>.svg|png|pdf` for the image formats asked for, each figure drawn
 * once for all its formats in one browser page; `options.onProgress` hears of each figure as it is done.
 *
 * @param formats - `'auto'` (default): html, plus svg, png and pdf when Chromium is available (a warning
 *   otherwise); or an explicit list, where an image format without Chromium is an error.
 * @throws {@link BrowserNotFoundError} when image formats are asked for explicitly and Chromium is
 *   missing (nothing is written then); the errors of {@link runFigures}.
 * @example const written = await writeRunFigures('runs/mnist-quick', 'runs/mnist-quick/figures');
 */
export async function writeRunFigures(
  runDir: string,
  outDir: string,
  formats: readonly FigureFormat[] | 'auto' = 'auto',
  options: WriteRunFiguresOptions = {},
): Promise<WrittenRunFigures> {
  const warnings: string[] = [];
  let images: FigureFormat[];
  if (formats === 'auto') {
    images = [...IMAGE_FORMATS];
    if (!options.exporter && !browserAvailable()) {
      warnings.push(`no Chromium at ${chromiumPath()}: wrote the HTML figures only (install the Debian packages "chromium" and "fonts-liberation" for SVG, PNG and PDF)`);
      images = [];
    }
  } else {
    if (!Array.isArray(formats)) throw new InvalidArgumentError(`formats must be "auto" or a list of svg, png, pdf, html`);
    for (const f of formats) {
      if (!['svg', 'png', 'pdf', 'html'].includes(f)) throw new InvalidArgumentError(`unknown figure format "${String(f)}"; known formats are: svg, png, pdf, html`);
    }
    images = IMAGE_FORMATS.filter((f) => formats.includes(f));
    if (images.length > 0 && !options.exporter && !browserAvailable()) {
      throw new BrowserNotFoundError(
        `cannot write ${images.join(', ')} figures: no Chromium at ${chromiumPath()}. Install the Debian packages "chromium" and "fonts-liberation" ` +
          '(as root: apt-get install chromium fonts-liberation; `npm run setup` does it), or ask for html only.',
      );
    }
  }
  // Chromium starts (a second or two, most of it loading plotly) while the figures are built and figures.html
  // is written; a failure to build closes it again.
  // (Not for a folder that is neither a run nor an ablation: building its figures fails at once.)
  const isRun = isAblationDir(runDir) || ['manifest.json', 'metrics.jsonl', 'model.json'].some((f) => fs.existsSync(path.join(runDir, f)));
  const launching = images.length > 0 && !options.exporter && isRun ? FigureExporter.launch() : undefined;
  launching?.catch(() => undefined);
  let exporter: FigureExporter | undefined = options.exporter;
  try {
    const { figures, notes } = isAblationDir(runDir) ? ablationFigures(runDir) : runFigures(runDir);
    warnings.push(...notes);
    const files: string[] = [];
    const html = path.join(outDir, 'figures.html');
    writeFileAtomic(html, figureHtmlDocument(figures.map((f) => ({ title: f.title, figure: f.figure })), `figures of ${runDir}`));
    files.push(html);
    const written = figures.map((f) => ({ name: f.name, title: f.title, files: [] as string[] }));
    if (images.length > 0) {
      options.onProgress?.({ outDir, done: 0, total: figures.length, name: '', files: [] });
      exporter ??= await launching!;
      for (const [i, f] of figures.entries()) {
        // One drawing per figure for all its formats.
        const rendered = await exporter.renderFormats(f.figure, images, { scale: options.scale ?? 2 });
        images.forEach((format, k) => {
          const out = path.join(outDir, `${f.name}.${format}`);
          writeFileAtomic(out, rendered[k]!);
          written[i]!.files.push(out);
          files.push(out);
        });
        options.onProgress?.({ outDir, done: i + 1, total: figures.length, name: f.name, files: written[i]!.files });
      }
    }
    return { outDir, formats: ['html', ...images], files, figures: written, warnings };
  } finally {
    if (!options.exporter) await (exporter ?? (await launching?.catch(() => undefined)))?.close();
  }
}
