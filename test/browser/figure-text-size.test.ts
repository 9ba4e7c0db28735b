// Issue 18, figures: every text plotly really draws (tick labels included, which plotly may shrink on log
// axes or set as superscripts) is at least 7 pt at print size, checked in the SVG files Chromium renders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { ablationFigures } from '../../toolkit/src/plots/ablation-figures';
import { FigureExporter } from '../../toolkit/src/plots/export';
import type { RunFigure } from '../../toolkit/src/plots/run-figures';
import { runFigures } from '../../toolkit/src/plots/run-figures';
import { MIN_FONT_PT, printPointsPerPixel } from '../../toolkit/src/plots/style';
import { makeRun } from '../plots/run-fixture';
import { runBrowserTests } from './image-checks';

/** The font sizes of an SVG's text: `font-size: 10px` in styles and attributes, and relative sizes (`70%`, `0.8em`). */
function svgFontSizes(svg: string): { px: number[]; relative: string[] } {
  const px: number[] = [], relative: string[] = [];
  for (const m of svg.matchAll(/font-size\s*[:=]\s*"?\s*([\d.]+)(px|%|em)?/g)) {
    if (m[2] === '%' || m[2] === 'em') relative.push(`${m[1]}${m[2]}`);
    else px.push(Number(m[1]));
  }
  return { px, relative };
}

describe.skipIf(!runBrowserTests)('text of the exported standard figures', () => {
  let exporter: FigureExporter;
  let figures: RunFigure[];
  beforeAll(async () => {
    const run = await makeRun();
    const ablation = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-text-size-'));
    await runAblation({
      base: { preset: 'mnist-quick', data: { name: 'mnist', testSize: 100, limit: 300 }, model: { hidden: [16] }, training: { epochs: 1, batchSize: 50 } },
      axes: { 'model.sparsity.eps': [2, 6], policy: ['set', 'static'] },
      seeds: [1, 2],
    }, { outDir: ablation, workers: 0 });
    figures = [...runFigures(run).figures, ...ablationFigures(ablation).figures];
    exporter = await FigureExporter.launch();
  }, 180_000);
  afterAll(async () => {
    await exporter?.close();
  });

  it('is at least 7 pt at print size everywhere, with no shrunken or superscript labels', async () => {
    expect(figures.length).toBeGreaterThanOrEqual(14);
    for (const f of figures) {
      const svg = await exporter.render(f.figure, { format: 'svg' });
      const { px, relative } = svgFontSizes(svg);
      expect(px.length, f.name).toBeGreaterThan(3);
      expect(relative, `${f.name}: relative font sizes`).toEqual([]);
      const ptPerPx = printPointsPerPixel(f.figure.layout.width!);
      const smallest = Math.min(...px);
      expect(smallest * ptPerPx, `${f.name}: smallest text ${smallest} px`).toBeGreaterThanOrEqual(MIN_FONT_PT);
    }
  }, 120_000);
});
