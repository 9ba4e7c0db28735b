// Checks of exported image files: SVG well-formed with an <svg> root and the expected trace elements, PNG of
// the requested pixel size and not blank, PDF valid with one page of the requested size.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { PNG } from 'pngjs';
import { expect } from 'vitest';
import { browserAvailable } from '../../toolkit/src/plots/export';

/**
 * Browser tests run when Chromium is installed. With CI=true they must run (and fail if it is missing):
 * set-up installs it, so a missing browser there is a broken machine, not a reason to skip.
 */
export const runBrowserTests = browserAvailable() || process.env.CI === 'true';

/** The kind of trace element plotly draws for a trace type, as it appears in a class attribute. */
export const TRACE_CLASS = { scatter: 'trace scatter', bar: 'trace bars', heatmap: 'hm' } as const;

export function checkSvg(svg: string, size: { width: number; height: number }, traceClass: string, minTraces = 1): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(svg) as Record<string, Record<string, string>>;
  const roots = Object.keys(doc).filter((k) => !k.startsWith('?'));
  expect(roots).toEqual(['svg']);
  expect(Number(doc.svg!.width)).toBe(size.width);
  expect(Number(doc.svg!.height)).toBe(size.height);
  expect(svg.split(`class="${traceClass}`).length - 1).toBeGreaterThanOrEqual(minTraces);
}

/** Reads width and height from the IHDR chunk (bytes 16-23 after the signature and chunk header). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  expect(Buffer.from(bytes.subarray(12, 16)).toString('latin1')).toBe('IHDR');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export function checkPng(bytes: Uint8Array, size: { width: number; height: number }): void {
  expect(pngSize(bytes)).toEqual(size);
  const png = PNG.sync.read(Buffer.from(bytes));
  expect([png.width, png.height]).toEqual([size.width, size.height]);
  // Not blank: many colours, and luminance that varies (a white page has neither).
  const colours = new Set<number>();
  let sum = 0, sumSq = 0;
  const n = png.width * png.height;
  for (let i = 0; i < n; i++) {
    const r = png.data[4 * i]!, g = png.data[4 * i + 1]!, b = png.data[4 * i + 2]!;
    colours.add((r << 16) | (g << 8) | b);
    const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += y;
    sumSq += y * y;
  }
  const variance = sumSq / n - (sum / n) ** 2;
  expect(colours.size).toBeGreaterThan(8);
  expect(variance).toBeGreaterThan(50);
}

/** A valid PDF of one page, `width` x `height` CSS pixels (0.75 pt each), with text kept as vector glyphs. */
export function checkPdf(bytes: Uint8Array, size: { width: number; height: number }, vector: boolean): void {
  const text = Buffer.from(bytes).toString('latin1');
  expect(text.startsWith('%PDF-')).toBe(true);
  expect(text.trimEnd().endsWith('%%EOF')).toBe(true);
  expect(text.match(/\/Type\s*\/Page(?!s)/g)?.length).toBe(1);
  const box = /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(text);
  expect(box).not.toBeNull();
  expect(Math.abs(Number(box![1]) - size.width * 0.75)).toBeLessThan(1.5);
  expect(Math.abs(Number(box![2]) - size.height * 0.75)).toBeLessThan(1.5);
  expect(text).toMatch(/\/Font/);
  // Line figures stay vector: no raster image at all (heatmaps are images by nature).
  if (vector) expect(text).not.toMatch(/\/Subtype\s*\/Image/);
}
