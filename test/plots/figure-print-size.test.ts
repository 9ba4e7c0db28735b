// Issue 18, figures: every text of every standard figure (of a run and of an ablation folder) prints at 7 pt or
// more at the figure's print size (its own size at 96 px per inch, up to the double-column width).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { ablationFigures } from '../../toolkit/src/plots/ablation-figures';
import { confusionMatrixFigure } from '../../toolkit/src/plots/confusion';
import type { Figure } from '../../toolkit/src/plots/figure';
import { runFigures } from '../../toolkit/src/plots/run-figures';
import { MIN_FONT_PT, minFontPx, noDataFigure, printPointsPerPixel } from '../../toolkit/src/plots/style';
import { makeRun } from './run-fixture';

/** Every font size set in a figure (layout and traces), with where it is; the layout's base font first. */
function fontSizes(fig: Figure): { where: string; size: number }[] {
  const out: { where: string; size: number }[] = [];
  const walk = (v: unknown, where: string) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => typeof x === 'object' && x !== null && walk(x, `${where}[${i}]`));
      return;
    }
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k === 'hoverlabel') continue; // on screen only
      if (/font$/.test(k) && typeof (x as { size?: unknown })?.size === 'number') out.push({ where: `${where}.${k}`, size: (x as { size: number }).size });
      walk(x, `${where}.${k}`);
    }
  };
  walk(fig.layout, 'layout');
  walk(fig.data, 'data');
  return out;
}

function expectPrintable(name: string, fig: Figure): void {
  const width = fig.layout.width!;
  const ptPerPx = printPointsPerPixel(width);
  const sizes = fontSizes(fig);
  // The base font exists (so every inherited size is known), and nothing is smaller than 7 pt.
  expect(sizes.some((s) => s.where === 'layout.font'), name).toBe(true);
  for (const s of sizes) expect(s.size * ptPerPx, `${name}: ${s.where} is ${s.size} px = ${(s.size * ptPerPx).toFixed(2)} pt`).toBeGreaterThanOrEqual(MIN_FONT_PT);
}

describe('text at least 7 pt at print size', () => {
  it('computes the print scale: 0.75 pt per px up to the double column, shrinking wider figures', () => {
    expect(printPointsPerPixel(336)).toBeCloseTo(0.75, 10);
    expect(printPointsPerPixel(687)).toBeCloseTo(0.75, 10);
    expect(printPointsPerPixel(1374)).toBeCloseTo(0.375, 10);
    expect(minFontPx(336)).toBe(9.5);
    expect(minFontPx(1374)).toBe(19);
  });

  let run: string, ablation: string;
  beforeAll(async () => {
    run = await makeRun();
    ablation = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-print-size-'));
    await runAblation({
      base: { preset: 'mnist-quick', data: { name: 'mnist', testSize: 100, limit: 300 }, model: { hidden: [16] }, training: { epochs: 1, batchSize: 50 } },
      axes: { 'model.sparsity.eps': [2, 6], policy: ['set', 'static'] },
      seeds: [1, 2],
    }, { outDir: ablation, workers: 0 });
  }, 180_000);

  it('holds for every standard figure of a run', () => {
    const { figures } = runFigures(run);
    expect(figures.length).toBeGreaterThanOrEqual(9);
    for (const f of figures) expectPrintable(f.name, f.figure);
  });

  it('holds for every standard figure of an ablation folder', () => {
    const { figures } = ablationFigures(ablation);
    expect(figures.length).toBeGreaterThanOrEqual(5);
    for (const f of figures) expectPrintable(f.name, f.figure);
  });

  it('holds for small text a builder or a caller asks for, and scales with a figure wider than the double column', () => {
    const tiny = noDataFigure('x', { fontSize: 6, layout: { annotations: [{ text: 'small', font: { size: 5 } }] } });
    expectPrintable('no data, tiny fonts', tiny);
    const wide = confusionMatrixFigure({ counts: [[5, 1], [2, 7]], classNames: ['a', 'b'], total: 15, accuracy: 0.8 }, { width: 1400 });
    expectPrintable('wide confusion matrix', wide);
    expect(wide.layout.font!.size!).toBeGreaterThanOrEqual(19);
  });
});
