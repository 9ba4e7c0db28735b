/**
 * `synapses-ts ablate GRID.json --workers N --out DIR`: run an ablation grid with an overall progress
 * display, then print and write the results table.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { ConfigError } from '../core/errors';
import { runAblation } from '../experiments/ablation';
import { writeResultTables } from '../experiments/table';

/** Options of the `ablate` command as parsed by commander. */
export interface AblateCommandOptions {
  workers?: string;
  out?: string;
  progress?: boolean;
}

/** Runs the `ablate` command. */
export async function ablateCommand(gridFile: string, o: AblateCommandOptions): Promise<void> {
  let grid: unknown;
  try {
    grid = JSON.parse(fs.readFileSync(gridFile, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code ? `cannot read grid file ${gridFile}: ${code}` : `grid file ${gridFile} is not valid JSON: ${(e as Error).message}`);
  }
  const workers = o.workers === undefined ? os.availableParallelism() : Number(o.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new ConfigError(`--workers must be an integer >= 0, got "${o.workers}"`);
  const out = o.out ?? path.join('runs', path.basename(gridFile, '.json'));
  const tty = Boolean(process.stderr.isTTY) && process.env.CI !== 'true' && o.progress !== false;
  let bar: SingleBar | null = null;
  const summary = await runAblation(grid, {
    outDir: out,
    workers,
    onPlan: ({ total, finished, toRun }) => {
      process.stderr.write(`synapses-ts ablate: ${total} runs (${finished} already finished, ${toRun} to run) with ${workers} worker(s) into ${out}\n`);
      if (tty && toRun > 0) {
        bar = new SingleBar({ stream: process.stderr, format: 'ablation [{bar}] {value}/{total} runs | eta {eta_formatted} | last: {last}', hideCursor: true, barsize: 30 });
        bar.start(total, finished, { last: '-' });
      }
    },
    onCellEnd: (row, done, total) => {
      const label = `${Object.entries(row.axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')} seed=${row.seed}: ${(100 * row.testAccuracy).toFixed(2)}%`;
      if (bar) (bar as SingleBar).update(done, { last: label });
      else process.stderr.write(`[${done}/${total}] ${label} (${row.seconds.toFixed(1)} s)\n`);
    },
  });
  (bar as SingleBar | null)?.stop();
  const tables = await writeResultTables(out, summary.rows);
  process.stderr.write(`${tables.text}\nresults: ${tables.resultsCsv}\nsummary: ${tables.summaryCsv}\n`);
}
