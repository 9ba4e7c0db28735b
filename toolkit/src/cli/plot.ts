/**
 * `synapses-ts plot RUN_OR_ABLATION_DIR`: the standard figures of a run folder or of an ablation folder (written
 * by `synapses-ts ablate`), as one interactive `figures.html`
 * and, when Chromium is available, SVG, PNG and PDF files.
 *
 * @packageDocumentation
 */
import * as path from 'node:path';
import { ConfigError } from '../core/errors';
import { SingleBar } from 'cli-progress';
import { canDrawBar } from '../display/terminal';
import { IMAGE_FORMATS, type FigureFormat } from '../plots/export';
import { writeRunFigures, type FigureProgress, type WrittenRunFigures } from '../plots/run-figures';

/** Options of the `plot` command as parsed by commander. */
export interface PlotCommandOptions {
  out?: string;
  format?: string;
  scale?: string;
}

/** Parses `--format svg,png,pdf` (html is always written). */
export function parseFormats(list: string): FigureFormat[] {
  const formats = list.split(',').map((f) => f.trim().toLowerCase()).filter((f) => f !== '');
  if (formats.length === 0) throw new ConfigError('--format needs at least one of svg, png, pdf, html');
  for (const f of formats) {
    if (![...IMAGE_FORMATS, 'html'].includes(f as FigureFormat)) throw new ConfigError(`--format: unknown format "${f}"; known formats are: svg, png, pdf, html`);
  }
  return formats as FigureFormat[];
}

/** Prints where the figures went: one line per file kind, and the warnings. */
export function reportFigures(written: WrittenRunFigures, write: (line: string) => void): void {
  for (const w of written.warnings) write(`warning: ${w}`);
  const images = written.files.length - 1;
  write(`figures: ${path.join(written.outDir, 'figures.html')}` + (images > 0 ? ` and ${images} files (${written.formats.filter((f) => f !== 'html').join(', ')}) in ${written.outDir}` : ''));
}

/**
 * The progress display of figure writing on `stream` (default stderr): a bar on a terminal, else one line per
 * figure, `<prefix>: figures 3/9: degrees-hidden-1 (svg, png, pdf)`, so that logs show where the time goes.
 */
export function figureProgress(prefix: string, stream: NodeJS.WriteStream = process.stderr): (p: FigureProgress) => void {
  let bar: SingleBar | null = null;
  return (p) => {
    if (p.done === 0) {
      stream.write(`${prefix}: writing ${p.total} figures into ${p.outDir}\n`);
      if (canDrawBar(stream)) {
        bar = new SingleBar({ stream, format: `${prefix}: figures [{bar}] {value}/{total} {name}`, hideCursor: true, clearOnComplete: true, barsize: 30 });
        bar.start(p.total, 0, { name: '' });
      }
      return;
    }
    const formats = p.files.map((f) => path.extname(f).slice(1)).join(', ');
    if (bar) {
      bar.update(p.done, { name: p.name });
      if (p.done === p.total) {
        bar.stop();
        bar = null;
      }
    } else stream.write(`${prefix}: figures ${p.done}/${p.total}: ${p.name} (${formats})\n`);
  };
}

/** Runs the `plot` command. */
export async function plotCommand(runDir: string, o: PlotCommandOptions): Promise<void> {
  const out = o.out ?? path.join(runDir, 'figures');
  const formats = o.format !== undefined ? parseFormats(o.format) : 'auto';
  let scale: number | undefined;
  if (o.scale !== undefined) {
    scale = Number(o.scale);
    if (!(Number.isFinite(scale) && scale > 0 && scale <= 20)) throw new ConfigError(`--scale must be a number in (0, 20], got "${o.scale}"`);
  }
  const written = await writeRunFigures(runDir, out, formats, { ...(scale !== undefined ? { scale } : {}), onProgress: figureProgress('synapses-ts plot') });
  reportFigures(written, (line) => process.stderr.write(`synapses-ts plot: ${line}\n`));
}
