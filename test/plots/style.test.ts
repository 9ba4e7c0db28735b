import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { mergeLayout, withLayout, type Figure } from '../../toolkit/src/plots/figure';
import {
  COLUMN_WIDTH_INCHES, figureSize, inchesToPx, noDataFigure, OKABE_ITO, PALETTE, panelDomains, scaleForDpi, seriesColor, styledFigure, withAlpha,
} from '../../toolkit/src/plots/style';

describe('paper style', () => {
  it('uses the eight Okabe-Ito colours, each once, yellow last', () => {
    expect(new Set(PALETTE).size).toBe(8);
    expect([...PALETTE].sort()).toEqual(Object.values(OKABE_ITO).sort());
    expect(PALETTE[7]).toBe(OKABE_ITO.yellow);
    expect(seriesColor(0)).toBe(OKABE_ITO.blue);
    expect(seriesColor(9)).toBe(seriesColor(1));
    expect(withAlpha('#0072B2', 0.25)).toBe('rgba(0,114,178,0.25)');
    expect(() => withAlpha('blue', 0.5)).toThrow(InvalidArgumentError);
  });

  it('sizes single (3.5 in) and double (7.16 in) column figures in CSS pixels', () => {
    expect(COLUMN_WIDTH_INCHES).toEqual({ single: 3.5, double: 7.16 });
    expect(inchesToPx(3.5)).toBe(336);
    expect(inchesToPx(7.16)).toBe(687);
    expect(figureSize({}, 2)).toEqual({ width: 336, height: 168 });
    expect(figureSize({ column: 'double' }, 1.5)).toEqual({ width: 687, height: 458 });
    expect(figureSize({ width: 400, height: 100 }, 2)).toEqual({ width: 400, height: 100 });
    expect(scaleForDpi(300)).toBeCloseTo(3.125, 12);
    expect(() => figureSize({ column: 'triple' as never }, 1)).toThrow(/single.*double/);
    expect(() => figureSize({ width: -5 }, 1)).toThrow(InvalidArgumentError);
  });

  it('deep-merges layout overrides without touching the inputs; arrays and scalars are replaced', () => {
    const base = { width: 300, font: { size: 10, family: 'A' }, xaxis: { title: { text: 'x' }, range: [0, 1] } };
    const merged = mergeLayout(base, { font: { size: 12 }, xaxis: { range: [2, 3] }, height: 50, width: undefined });
    expect(merged).toEqual({ width: 300, height: 50, font: { size: 12, family: 'A' }, xaxis: { title: { text: 'x' }, range: [2, 3] } });
    expect(base.font.size).toBe(10);
    expect(base.xaxis.range).toEqual([0, 1]);
  });

  it('applies the caller layout last, so any builder field can be overridden', () => {
    const fig = styledFigure([], { xaxis: { title: { text: 'epoch' } }, legend: { x: 0.2 } }, { title: 'T', layout: { legend: { x: 0.9 }, font: { size: 12 } } }, 2);
    expect(fig.layout.width).toBe(336);
    expect(fig.layout.legend?.x).toBe(0.9);
    expect(fig.layout.font).toMatchObject({ size: 12, family: expect.stringContaining('Liberation Sans') });
    expect(fig.layout.title?.text).toBe('T');
    const wider: Figure = withLayout(fig, { width: 500, xaxis: { range: [0, 5] } });
    expect(wider.layout.width).toBe(500);
    expect(wider.layout.xaxis).toMatchObject({ title: { text: 'epoch' }, range: [0, 5] });
    expect(fig.layout.width).toBe(336);
  });

  it('lays panels out in rows, top row first, inside [0, 1]', () => {
    const d = panelDomains(3, 2, 0.1, 0.2);
    expect(d[0]!.x[0]).toBe(0);
    expect(d[1]!.x[1]).toBeCloseTo(1, 4);
    expect(d[0]!.y[1]).toBe(1);
    expect(d[2]!.y[0]).toBe(0);
    expect(d[2]!.y[1]).toBeLessThan(d[0]!.y[0]);
  });

  it('makes an explicit "no data" figure rather than a blank one', () => {
    const fig = noDataFigure('no metrics.jsonl in the run folder');
    expect(fig.data).toEqual([]);
    expect(fig.layout.annotations?.[0]?.text).toBe('no data: no metrics.jsonl in the run folder');
    expect(fig.layout.meta).toEqual({ noData: 'no metrics.jsonl in the run folder' });
  });
});
