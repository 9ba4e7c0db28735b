// Every standard figure of a real (small) run exported to SVG, PNG and PDF through the real headless Chromium,
// one browser for the whole file, and the files checked.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FigureExporter } from '../../toolkit/src/plots/export';
import type { Figure } from '../../toolkit/src/plots/figure';
import { learningCurves } from '../../toolkit/src/plots/learning-curves';
import { runFigures, writeRunFigures, type WrittenRunFigures } from '../../toolkit/src/plots/run-figures';
import { makeRun } from '../plots/run-fixture';
import { checkPdf, checkPng, checkSvg, runBrowserTests, TRACE_CLASS } from './image-checks';

// The standard figures, the trace element each must contain, and whether it is drawn without raster images.
const STANDARD: [name: string, traceClass: string, vector: boolean][] = [
  ['learning-curves', TRACE_CLASS.scatter, true],
  ['input-connectivity', TRACE_CLASS.heatmap, false],
  ['degrees-hidden-1', TRACE_CLASS.scatter, true],
  ['degrees-hidden-2', TRACE_CLASS.scatter, true],
  ['weight-histograms', TRACE_CLASS.bar, true],
  ['spy-layer-1', TRACE_CLASS.heatmap, false],
  ['spy-layer-2', TRACE_CLASS.heatmap, false],
  ['spy-layer-3', TRACE_CLASS.heatmap, false],
  ['evolution-stats', TRACE_CLASS.scatter, true],
];
const SCALE = 2;

describe.skipIf(!runBrowserTests)('figures exported through a real headless Chromium', () => {
  let exporter: FigureExporter;
  let written: WrittenRunFigures;
  let figures: Map<string, Figure>;
  let launchSeconds = 0, exportSeconds = 0;

  beforeAll(async () => {
    const run = await makeRun();
    figures = new Map(runFigures(run).figures.map((f) => [f.name, f.figure]));
    let t = performance.now();
    exporter = await FigureExporter.launch();
    launchSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-browser-'));
    written = await writeRunFigures(run, out, ['svg', 'png', 'pdf'], { exporter, scale: SCALE });
    exportSeconds = (performance.now() - t) / 1000;
  }, 120_000);

  afterAll(async () => {
    await exporter?.close();
    // Measured, not asserted (tests never assert on wall time); shows up in the test log.
    console.log(`chromium launch + plotly load ${launchSeconds.toFixed(2)} s; ${written?.files.length ?? 0} files in ${exportSeconds.toFixed(2)} s`);
  });

  it('writes every standard figure in every format, plus figures.html', () => {
    expect(written.figures.map((f) => f.name)).toEqual(STANDARD.map((s) => s[0]));
    expect(written.formats).toEqual(['html', 'svg', 'png', 'pdf']);
    expect(written.files).toHaveLength(1 + 3 * STANDARD.length);
  });

  it.each(STANDARD)('%s: SVG parses with its traces, PNG has the asked size and content, PDF has one page', (name, traceClass, vector) => {
    const fig = figures.get(name)!;
    const size = { width: fig.layout.width!, height: fig.layout.height! };
    const files = written.figures.find((f) => f.name === name)!.files;
    expect(files.map((f) => path.extname(f))).toEqual(['.svg', '.png', '.pdf']);
    checkSvg(fs.readFileSync(files[0]!, 'utf8'), size, traceClass);
    checkPng(fs.readFileSync(files[1]!), { width: size.width * SCALE, height: size.height * SCALE });
    checkPdf(fs.readFileSync(files[2]!), size, vector);
  });

  it('renders at an explicit size and scale, keeping text as text in SVG', async () => {
    const fig = learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5 }, { epoch: 1, loss: 0.5, accuracy: 0.7 }], { title: 'Learning <curves> & more' });
    const svg = await exporter.render(fig, { format: 'svg', width: 500, height: 300 });
    checkSvg(svg, { width: 500, height: 300 }, TRACE_CLASS.scatter, 2);
    expect(svg).toMatch(/>Learning (&lt;|&#60;)curves(&gt;|&#62;) &amp; more</); // escaped text, not markup
    expect(svg).toContain('Liberation Sans');
    checkPng(await exporter.render(fig, { format: 'png', width: 400, height: 250, scale: 3.125 }), { width: 1250, height: 781 });
    checkPdf(await exporter.render(fig, { format: 'pdf', width: 480, height: 320 }), { width: 480, height: 320 }, true);
  });

  it('rejects bad sizes and formats before rendering, and stays usable', async () => {
    await expect(exporter.render({ data: [{ type: 'scatter', x: [1], y: [1] }], layout: {} }, { format: 'png', width: 5 })).rejects.toThrow(/width must be at least 10/);
    await expect(exporter.render({ data: [], layout: {} }, { format: 'gif' as never })).rejects.toThrow(/svg", "png" or "pdf"/);
    const svg = await exporter.render({ data: [{ type: 'bar', x: ['a', 'b'], y: [1, 2] }], layout: {} }, { format: 'svg' });
    checkSvg(svg, { width: 700, height: 450 }, TRACE_CLASS.bar);
  });
});
