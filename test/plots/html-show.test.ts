import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BrowserNotFoundError, browserAvailable, FigureExporter, formatFor, saveFigure } from '../../toolkit/src/plots/export';
import type { Figure } from '../../toolkit/src/plots/figure';
import { figureDiv, figureHtmlDocument, figureJson, plotlyBundle, plotlyVersion } from '../../toolkit/src/plots/html';
import { isNotebook, resetShow, show, showHtml } from '../../toolkit/src/plots/show';

const fig: Figure = { data: [{ type: 'scatter', x: [1, 2], y: [3, NaN], name: '</script><b>x</b>' }], layout: { width: 300, height: 200 } };
const count = (s: string, needle: string) => s.split(needle).length - 1;

describe('figures as HTML', () => {
  it('reads the plotly bundle as text (the package cannot be required in Node)', () => {
    expect(() => require('plotly.js-dist')).toThrow();
    const bundle = plotlyBundle();
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(bundle).toContain('window.Plotly = Plotly');
    expect(bundle).not.toMatch(/<\/script/i);
    expect(plotlyVersion()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('embeds figure JSON safely: "<" escaped, typed arrays as arrays, NaN as a gap', () => {
    const json = figureJson({ data: [{ type: 'scatter', x: Float64Array.of(1, 2), y: [1, NaN], name: '</script>' }], layout: {} });
    expect(json).not.toContain('<');
    expect(JSON.parse(json)).toEqual({ data: [{ type: 'scatter', x: [1, 2], y: [1, null], name: '</script>' }], layout: {} });
    const div = figureDiv(fig, { id: 'f1' });
    expect(div).toContain('<div id="f1" class="synapses-figure" style="width:300px;min-height:200px;"></div>');
    expect(count(div, '</script>')).toBe(1);
    expect(div).toContain('Plotly.newPlot(el');
    expect(div).toContain('plotly.js is not loaded in this page');
    expect(() => figureDiv(fig, { id: '1 bad' })).toThrow(InvalidArgumentError);
    expect(() => figureJson({ data: 'x', layout: {} } as never)).toThrow(/figure.data must be an array/);
  });

  it('writes self-contained documents with the bundle once and a div per figure', () => {
    const doc = figureHtmlDocument([{ title: 'A <b>', figure: fig }, { title: 'B', figure: fig }], 'two');
    expect(doc.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(count(doc, 'window.Plotly = Plotly')).toBe(1);
    expect(count(doc, 'class="synapses-figure"')).toBe(2);
    expect(doc).toContain('<h2>A &lt;b&gt;</h2>');
    expect(() => figureHtmlDocument([])).toThrow(/no figures/);
  });
});

describe('show (notebook display)', () => {
  it('is not a notebook here, and says to use saveFigure instead of failing silently', () => {
    expect(isNotebook()).toBe(false);
    expect(() => show(fig)).toThrow(/tslab notebook.*saveFigure/);
  });

  it('includes the plotly bundle with the first figure only, until resetShow', () => {
    resetShow();
    const first = showHtml(fig);
    const second = showHtml(fig, { width: 600 });
    expect(count(first, 'window.Plotly = Plotly')).toBe(1);
    expect(count(second, 'window.Plotly = Plotly')).toBe(0);
    expect(second).toContain('width:600px');
    expect(count(showHtml(fig, { includePlotly: true }), 'window.Plotly = Plotly')).toBe(1);
    resetShow();
    expect(count(showHtml(fig), 'window.Plotly = Plotly')).toBe(1);
  });
});

describe('formatFor', () => {
  it('takes the format from the extension or the option, and refuses a contradiction', () => {
    expect(formatFor('a/b.SVG')).toBe('svg');
    expect(formatFor('fig', 'png')).toBe('png');
    expect(() => formatFor('fig.jpg')).toThrow(/cannot tell the format/);
    expect(() => formatFor('fig.svg', 'pdf')).toThrow(/extension .svg but format "pdf"/);
  });
});

describe('export without a browser', () => {
  it('names the Debian packages when Chromium is missing, and still writes HTML', async () => {
    const saved = process.env.SYNAPSES_CHROMIUM;
    process.env.SYNAPSES_CHROMIUM = '/nonexistent/chromium';
    try {
      expect(browserAvailable()).toBe(false);
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-nobrowser-'));
      await expect(saveFigure(fig, path.join(out, 'a.png'))).rejects.toThrow(BrowserNotFoundError);
      await expect(saveFigure(fig, path.join(out, 'a.pdf'))).rejects.toThrow(
        /needs a headless Chromium, and none was found at \/nonexistent\/chromium\. Install the Debian packages "chromium" and "fonts-liberation"/,
      );
      await expect(FigureExporter.launch()).rejects.toThrow(BrowserNotFoundError);
      expect(await saveFigure(fig, path.join(out, 'a.html'))).toBe(path.join(out, 'a.html'));
      expect(fs.readdirSync(out)).toEqual(['a.html']);
      await expect(saveFigure({ data: {}, layout: {} } as never, path.join(out, 'b.html'))).rejects.toThrow(/figure.data must be an array/);
    } finally {
      if (saved === undefined) delete process.env.SYNAPSES_CHROMIUM;
      else process.env.SYNAPSES_CHROMIUM = saved;
    }
  });
});
