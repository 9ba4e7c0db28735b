/**
 * Saving figures for papers: SVG and PNG through plotly's snapshot functions (the steps of `Plotly.toImage`,
 * from one drawing per figure), vector PDF through Chromium's printing,
 * all rendered by a real headless Chromium (Debian's `chromium`, with `fonts-liberation`) driven by
 * `playwright-core`; HTML written directly, with the plotly bundle inlined, no browser needed.
 *
 * A browser takes seconds to start and tens of milliseconds per figure once warm, so a
 * {@link FigureExporter} is one browser for a batch of figures; {@link saveFigure} uses a shared one,
 * started on first use and closed when it has been idle for a moment (so a script ends by itself), by
 * {@link closeSharedExporter}, or when the process exits.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { check } from '../core/assert';
import { InvalidArgumentError, SynapsesError } from '../core/errors';
import { writeFileAtomic } from '../io/files';
import type { Figure } from './figure';
import { checkFigure, figureHtmlDocument, figureJson, plotlyBundlePath } from './html';

/** Output formats of {@link saveFigure}. */
export type FigureFormat = 'svg' | 'png' | 'pdf' | 'html';
/** Every format, and the ones that need a browser. */
export const FIGURE_FORMATS: readonly FigureFormat[] = ['svg', 'png', 'pdf', 'html'];
export const IMAGE_FORMATS: readonly FigureFormat[] = ['svg', 'png', 'pdf'];

/** Where Chromium is looked for: `$SYNAPSES_CHROMIUM`, else Debian's `/usr/bin/chromium`. */
export function chromiumPath(): string {
  return process.env.SYNAPSES_CHROMIUM || '/usr/bin/chromium';
}

/**
 * The flags Chromium runs with: headless, no sandbox (containers run as root), no GPU, and nothing that
 * reaches the network on its own. Each launch gets a fresh profile of its own ({@link browserProfileDir}).
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Prefix of the browser profile folders in the system's temporary folder: `synapses-ts-browser-<pid>-<n>`. */
const PROFILE_PREFIX = 'synapses-ts-browser-';
let profiles = 0;

/**
 * A fresh browser profile folder for this process. Profiles of processes that no longer run (a run killed
 * while exporting figures) are removed first: playwright's own temporary profiles are deleted only on a
 * clean close, and nothing would say whose they were.
 */
export function browserProfileDir(): string {
  const tmp = os.tmpdir();
  for (const name of fs.readdirSync(tmp)) {
    const m = name.startsWith(PROFILE_PREFIX) ? /^(\d+)-/.exec(name.slice(PROFILE_PREFIX.length)) : null;
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(tmp, name), { recursive: true, force: true });
  }
  const dir = path.join(tmp, `${PROFILE_PREFIX}${process.pid}-${profiles++}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Static export needs Chromium and it is missing (or cannot start); the message says how to install it. */
export class BrowserNotFoundError extends SynapsesError {}

/** Whether a Chromium binary exists where {@link chromiumPath} says. */
export function browserAvailable(executablePath = chromiumPath()): boolean {
  try {
    fs.accessSync(executablePath, fs.constants.X_OK);
    return fs.statSync(executablePath).isFile();
  } catch {
    return false;
  }
}

function missingBrowser(executablePath: string, detail?: string): BrowserNotFoundError {
  return new BrowserNotFoundError(
    `exporting figures as SVG, PNG or PDF needs a headless Chromium, ${detail ?? `and none was found at ${executablePath}`}. ` +
      'Install the Debian packages "chromium" and "fonts-liberation" (as root: apt-get install chromium fonts-liberation; ' +
      '`npm run setup` does it), or set SYNAPSES_CHROMIUM to a Chromium binary. HTML export needs no browser.',
  );
}

/** Options of one export. */
export interface ExportOptions {
  /** The format (default: from the file extension in {@link saveFigure}; required for {@link FigureExporter.render}). */
  readonly format?: FigureFormat;
  /** Size in CSS pixels (default: the figure's layout width and height, else 700 x 450). */
  readonly width?: number;
  readonly height?: number;
  /** PNG pixel density: the PNG is `width * scale` x `height * scale` pixels (default 1; 3.125 = 300 dpi). SVG and PDF are vector. */
  readonly scale?: number;
}

function sizeOf(fig: Figure, options: ExportOptions): { width: number; height: number; scale: number } {
  const width = options.width ?? (typeof fig.layout.width === 'number' ? fig.layout.width : 700);
  const height = options.height ?? (typeof fig.layout.height === 'number' ? fig.layout.height : 450);
  const scale = options.scale ?? 1;
  check(Number.isFinite(width) && width >= 10, () => `width must be at least 10 pixels, got ${width}`);
  check(Number.isFinite(height) && height >= 10, () => `height must be at least 10 pixels, got ${height}`);
  check(Number.isFinite(scale) && scale > 0 && scale <= 20, () => `scale must be in (0, 20], got ${scale}`);
  return { width: Math.round(width), height: Math.round(height), scale };
}

/** The format named by `options.format` or by the extension of `file`, checked to agree. */
export function formatFor(file: string, format?: FigureFormat): FigureFormat {
  const ext = path.extname(file).slice(1).toLowerCase() as FigureFormat;
  const chosen = format ?? ext;
  if (!FIGURE_FORMATS.includes(chosen)) {
    throw new InvalidArgumentError(`cannot tell the format of "${file}": use a .svg, .png, .pdf or .html file name, or pass format`);
  }
  if (format !== undefined && FIGURE_FORMATS.includes(ext) && ext !== format) {
    throw new InvalidArgumentError(`file "${file}" has extension .${ext} but format "${format}" was asked for`);
  }
  return chosen;
}

// The page-side helpers, installed once per page: `__synapsesDraw` draws a figure at a fixed size as
// `Plotly.toImage` draws its copy (static, for export) and leaves it on the page, where printing to PDF finds
// it; `__synapsesImage` turns the drawn figure into an SVG document or a PNG data URL with plotly's own
// snapshot functions, the steps of `toImage` without its drawing of a fresh copy per call. So a figure is
// drawn once for all the formats asked for.
const PAGE_HELPER = `
window.__synapsesDraw = async function (json, width, height) {
  var fig = JSON.parse(json);
  var old = document.getElementById('figure');
  if (old) { window.Plotly.purge(old); old.remove(); }
  var el = document.createElement('div');
  el.id = 'figure';
  el.style.width = width + 'px';
  el.style.height = height + 'px';
  el.style.overflow = 'hidden';
  document.body.appendChild(el);
  var layout = Object.assign({}, fig.layout, { width: width, height: height });
  await window.Plotly.newPlot(el, { data: fig.data, layout: layout, frames: fig.frames || [], config: { staticPlot: true, displayModeBar: false, _exportedPlot: true } });
};
window.__synapsesImage = async function (format, width, height, scale) {
  var el = document.getElementById('figure');
  var snap = window.Plotly.Snapshot;
  if (format === 'svg') return snap.toSVG(el, 'svg', 1);
  var svg = snap.toSVG(el, format, scale);
  return await snap.svgToImg({ format: format, width: width, height: height, scale: scale, canvas: document.createElement('canvas'), svg: svg, promise: true });
};
`;

// The page is a file in the browser's own profile folder that loads plotly.js from node_modules by URL:
// Chromium reads and compiles the 10 MB bundle as it streams in, in about half the time it takes when the
// bundle is injected as a string or passed through the DevTools protocol.
const PAGE_FILE = 'synapses-figure-page.html';

function pageHtml(): string {
  return '<!DOCTYPE html><html><head><meta charset="utf-8"><style>@page{margin:0}html,body{margin:0;padding:0;background:#fff;overflow:hidden}</style>' +
    `<script src="${pathToFileURL(plotlyBundlePath()).href}"></script></head><body></body></html>`;
}

/**
 * One headless Chromium with the plotly bundle loaded, for exporting many figures. Close it when done.
 * @example
 * const exporter = await FigureExporter.launch();
 * try {
 *   await exporter.save(fig, 'figures/curves.pdf');
 *   await exporter.save(fig, 'figures/curves.png', { scale: 3.125 });
 * } finally {
 *   await exporter.close();
 * }
 */
export class FigureExporter {
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly pageErrors: string[] = [];

  private constructor(
    private readonly context: BrowserContext,
    private readonly page: Page,
    private readonly profile: string,
  ) {
    page.on('pageerror', (e) => this.pageErrors.push(e.message));
  }

  /**
   * Starts Chromium and loads plotly.js into a blank page (a few seconds).
   * @param options.executablePath - the Chromium binary (default {@link chromiumPath}).
   * @throws {@link BrowserNotFoundError} when Chromium is missing or does not start.
   */
  static async launch(options: { executablePath?: string; timeoutMs?: number } = {}): Promise<FigureExporter> {
    const executablePath = options.executablePath ?? chromiumPath();
    if (!browserAvailable(executablePath)) throw missingBrowser(executablePath);
    const timeout = options.timeoutMs ?? 60_000;
    const { chromium } = await import('playwright-core');
    const profile = browserProfileDir();
    let context: BrowserContext;
    try {
      context = await chromium.launchPersistentContext(profile, {
        executablePath, headless: true, args: [...CHROMIUM_ARGS], timeout, deviceScaleFactor: 1, javaScriptEnabled: true,
      });
    } catch (e) {
      fs.rmSync(profile, { recursive: true, force: true });
      throw missingBrowser(executablePath, `and the one at ${executablePath} did not start (${(e as Error).message.split('\n')[0]})`);
    }
    try {
      // Figures never need the network: the page and plotly are local files, every other request is
      // refused, so nothing can leak or hang.
      const pageFile = path.join(profile, PAGE_FILE);
      fs.writeFileSync(pageFile, pageHtml());
      const allowed = new Set([pathToFileURL(pageFile).href, pathToFileURL(plotlyBundlePath()).href]);
      await context.route('**/*', (route) => (allowed.has(route.request().url()) ? route.continue() : route.abort()));
      // A persistent context opens with a blank page: use it (a second page would start another renderer).
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(timeout);
      await page.goto(pathToFileURL(pageFile).href);
      await page.addScriptTag({ content: PAGE_HELPER });
      return new FigureExporter(context, page, profile);
    } catch (e) {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
      throw e;
    }
  }

  /** Whether {@link FigureExporter.close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Renders `fig`: an SVG document as a string, or PNG / PDF bytes. Calls are serialised (one page).
   * @throws {@link InvalidArgumentError} for a bad figure, size or format; an Error naming plotly's
   *   message when plotly cannot draw the figure.
   */
  render(fig: Figure, options: ExportOptions & { format: 'svg' }): Promise<string>;
  render(fig: Figure, options: ExportOptions & { format: 'png' | 'pdf' }): Promise<Uint8Array>;
  render(fig: Figure, options: ExportOptions & { format: FigureFormat }): Promise<string | Uint8Array>;
  async render(fig: Figure, options: ExportOptions & { format: FigureFormat }): Promise<string | Uint8Array> {
    const format = options.format;
    if (!IMAGE_FORMATS.includes(format)) throw new InvalidArgumentError(`render needs "svg", "png" or "pdf", got "${String(format)}"`);
    const [out] = await this.renderFormats(fig, [format], options);
    return out!;
  }

  /**
   * Renders `fig` in several formats from one drawing (faster than one {@link FigureExporter.render} per
   * format): SVG documents as strings, PNG and PDF as bytes, in the order of `formats`.
   * @throws see {@link FigureExporter.render}.
   */
  async renderFormats(fig: Figure, formats: readonly FigureFormat[], options: ExportOptions = {}): Promise<(string | Uint8Array)[]> {
    checkFigure(fig);
    for (const format of formats) {
      if (!IMAGE_FORMATS.includes(format)) throw new InvalidArgumentError(`render needs "svg", "png" or "pdf", got "${String(format)}"`);
    }
    const size = sizeOf(fig, options);
    const json = figureJson(fig);
    const job = this.queue.then(() => this.renderNow(json, formats, size));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async renderNow(json: string, formats: readonly FigureFormat[], { width, height, scale }: { width: number; height: number; scale: number }): Promise<(string | Uint8Array)[]> {
    if (this.closed) throw new InvalidArgumentError('this FigureExporter is closed');
    this.pageErrors.length = 0;
    const plotlyFailed = (e: unknown) => {
      const extra = this.pageErrors.length ? ` (page errors: ${this.pageErrors.join('; ')})` : '';
      return new Error(`plotly could not draw the figure: ${(e as Error).message.split('\n')[0]}${extra}`);
    };
    type PageFns = { __synapsesDraw: (...a: unknown[]) => Promise<void>; __synapsesImage: (...a: unknown[]) => Promise<string> };
    try {
      await this.page.evaluate(([j, w, h]) => (globalThis as unknown as PageFns).__synapsesDraw(j, w, h), [json, width, height] as const);
    } catch (e) {
      throw plotlyFailed(e);
    }
    const out: (string | Uint8Array)[] = [];
    for (const format of formats) {
      if (format === 'pdf') {
        const pdf = await this.page.pdf({ width: `${width}px`, height: `${height}px`, printBackground: true, pageRanges: '1', margin: { top: '0', right: '0', bottom: '0', left: '0' } });
        out.push(new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength));
        continue;
      }
      let url: string;
      try {
        url = await this.page.evaluate(([f, w, h, s]) => (globalThis as unknown as PageFns).__synapsesImage(f, w, h, s), [format, width, height, format === 'png' ? scale : 1] as const);
      } catch (e) {
        throw plotlyFailed(e);
      }
      if (format === 'svg') {
        out.push(url);
        continue;
      }
      const png = Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
      out.push(new Uint8Array(png.buffer, png.byteOffset, png.byteLength));
    }
    return out;
  }

  /**
   * Renders `fig` and writes it to `file` atomically (creating folders); HTML is written without the browser.
   * @returns the path written.
   */
  async save(fig: Figure, file: string, options: ExportOptions = {}): Promise<string> {
    const format = formatFor(file, options.format);
    if (format === 'html') {
      writeFileAtomic(file, figureHtmlDocument(fig, path.basename(file, '.html')));
      return file;
    }
    const out = await this.render(fig, { ...options, format });
    writeFileAtomic(file, out);
    return file;
  }

  /** Closes the browser (and deletes its temporary profile). Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    // Closing a persistent context closes its browser.
    await this.context.close().catch(() => undefined);
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

// The shared exporter of saveFigure: started on first use, closed after SHARED_IDLE_MS without exports.
const SHARED_IDLE_MS = 1500;
let shared: Promise<FigureExporter> | undefined;
let inFlight = 0;
let idleTimer: NodeJS.Timeout | undefined;
let exitHookInstalled = false;

function sharedExporter(): Promise<FigureExporter> {
  if (!shared) {
    const started = FigureExporter.launch();
    shared = started;
    started.catch(() => {
      if (shared === started) shared = undefined;
    });
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // playwright kills the browsers it started when the process exits; this also closes ours politely
      // when the event loop drains with an export pending the idle timer.
      process.once('beforeExit', () => void closeSharedExporter());
    }
  }
  return shared;
}

/**
 * Saves a figure to `file`. The format comes from the extension (`.svg`, `.png`, `.pdf`, `.html`) or
 * `options.format`. Image formats use a shared headless Chromium, started on first use and closed after
 * a short idle time or by {@link closeSharedExporter}; for large batches a {@link FigureExporter} of your
 * own avoids any restart.
 *
 * @returns the path written.
 * @throws {@link BrowserNotFoundError} for svg/png/pdf without Chromium (the message names the Debian packages).
 * @example
 * await saveFigure(learningCurves(history.epochs), 'figures/curves.pdf');
 * await saveFigure(fig, 'figures/curves.png', { scale: 3.125 }); // 300 dpi
 */
export async function saveFigure(fig: Figure, file: string, options: ExportOptions = {}): Promise<string> {
  const format = formatFor(file, options.format);
  checkFigure(fig);
  if (format === 'html') {
    writeFileAtomic(file, figureHtmlDocument(fig, path.basename(file, '.html')));
    return file;
  }
  if (idleTimer) clearTimeout(idleTimer);
  inFlight++;
  try {
    const exporter = await sharedExporter();
    return await exporter.save(fig, file, { ...options, format });
  } finally {
    inFlight--;
    if (inFlight === 0 && shared) idleTimer = setTimeout(() => void closeSharedExporter(), SHARED_IDLE_MS);
  }
}

/** Closes the browser {@link saveFigure} started, if any. */
export async function closeSharedExporter(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  const s = shared;
  shared = undefined;
  if (!s) return;
  const exporter = await s.catch(() => undefined);
  await exporter?.close();
}
