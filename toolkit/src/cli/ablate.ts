/**
 * `synapses-ts ablate GRID.json --workers N --out DIR`: run an ablation grid with an overall progress
 * display, then print and write the results table.
 *
 * A cell whose run fails (divergence, a corrupt checkpoint, a missing data file...) does not stop the
 * others: it is recorded in `results.jsonl` with `status: "failed"`, the tables are written from the
 * finished cells, and the LAST lines of stderr list every failed cell (axes, seed, error, folder). Exit
 * codes: 0 when every cell finished; 1 when some cells failed (rerunning the same command retries them and
 * skips the finished ones); 2, before anything runs, for an invalid grid, options or bookkeeping file.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { ConfigError } from '../core/errors';
import { runAblation, type FailedRow } from '../experiments/ablation';
import { writeResultTables } from '../experiments/table';
import { ablateSlurmCommand, ablateStatusCommand, type SlurmCommandOptions } from './ablate-slurm';

/** Options of the `ablate` command as parsed by commander (the Slurm ones: cli/ablate-slurm). */
export interface AblateCommandOptions extends SlurmCommandOptions {
  /** `--executor local|slurm` (default local). */
  executor?: string;
  /** `--status`: the argument is an ablation folder; print each cell's state. */
  status?: boolean;
  workers?: string;
  out?: string;
  progress?: boolean;
  /** `--max-cells`: confirms a grid of more cells than the default bound (experiments/grid DEFAULT_MAX_CELLS). */
  maxCells?: string;
}

/** Exit code of `ablate` when some cells failed (the others finished and their tables are written). */
export const EXIT_CELLS_FAILED = 1;

const axesLabel = (axes: Record<string, unknown>): string => Object.entries(axes).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');

/** The failures as the last lines of the command's output: one entry per failed cell. */
export function failureReport(out: string, failed: readonly FailedRow[], total: number): string {
  const lines = [`synapses-ts ablate: ${failed.length} of ${total} runs failed (recorded in ${path.join(out, 'results.jsonl')} with status "failed"; run the same command again to retry them):`];
  for (const f of failed) {
    const reached = f.epochsCompleted === null ? '' : ` after ${f.epochsCompleted} epoch(s)`;
    // A multi-line message (a config error listing several problems) stays indented under its cell.
    const message = f.error.message.split('\n').join('\n      ');
    lines.push(`  ${[axesLabel(f.axes), `seed=${f.seed}`].filter(Boolean).join(' ')}: ${f.error.name}${reached}: ${message}`);
    lines.push(`    folder: ${path.join(out, 'runs', f.id)}`);
  }
  return lines.join('\n') + '\n';
}

/** Runs the `ablate` command; sets the exit code to {@link EXIT_CELLS_FAILED} when some cells failed. */
export async function ablateCommand(gridFile: string, o: AblateCommandOptions): Promise<void> {
  if (o.status) return ablateStatusCommand(gridFile);
  const executor = o.executor ?? 'local';
  if (executor !== 'local' && executor !== 'slurm') throw new ConfigError(`--executor must be local or slurm, got "${executor}"`);
  if (executor === 'local') {
    const slurmOnly = (['partition', 'time', 'cpusPerTask', 'mem', 'maxParallel', 'signalBefore', 'dryRun', 'wait'] as const).filter((k) => o[k] !== undefined);
    if (slurmOnly.length || o.sbatchArg?.length) throw new ConfigError(`${[...slurmOnly, ...(o.sbatchArg?.length ? ['sbatchArg'] : [])].map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} only apply with --executor slurm`);
  }
  let grid: unknown;
  try {
    grid = JSON.parse(fs.readFileSync(gridFile, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code ? `cannot read grid file ${gridFile}: ${code}` : `grid file ${gridFile} is not valid JSON: ${(e as Error).message}`);
  }
  if (executor === 'slurm') return ablateSlurmCommand(grid, gridFile, o);
  const workers = o.workers === undefined ? os.availableParallelism() : Number(o.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new ConfigError(`--workers must be an integer >= 0, got "${o.workers}"`);
  const maxCells = o.maxCells === undefined ? undefined : Number(o.maxCells);
  if (maxCells !== undefined && !(Number.isInteger(maxCells) && maxCells >= 1)) throw new ConfigError(`--max-cells must be an integer >= 1, got "${o.maxCells}"`);
  const out = o.out ?? path.join('runs', path.basename(gridFile, '.json'));
  const tty = Boolean(process.stderr.isTTY) && process.env.CI !== 'true' && o.progress !== false;
  let bar: SingleBar | null = null;
  // SIGINT / SIGTERM end the grid at once: each running cell keeps its last completed epoch's checkpoint
  // and the next run of the same command continues it; the folder's lock goes with the process (exit hook).
  const onSignal = (signal: NodeJS.Signals): void => {
    (bar as SingleBar | null)?.stop();
    process.stderr.write(`\nsynapses-ts ablate: ${signal}: stopped; run the same command again to continue (finished cells are kept, the others resume from their last epoch)\n`);
    process.exit(128 + (os.constants.signals[signal] ?? 2));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const summary = await runAblation(grid, {
    outDir: out,
    workers,
    onMessage: (line) => process.stderr.write(`synapses-ts ablate: ${line}\n`),
    ...(maxCells === undefined ? {} : { maxCells }),
    onPlan: ({ total, finished, toRun, failed }) => {
      const retried = failed ? `, ${failed} of them failed before and are retried` : '';
      process.stderr.write(`synapses-ts ablate: ${total} runs (${finished} already finished, ${toRun} to run${retried}) with ${workers} worker(s) into ${out}\n`);
      if (tty && toRun > 0) {
        bar = new SingleBar({ stream: process.stderr, format: 'ablation [{bar}] {value}/{total} runs | eta {eta_formatted} | last: {last}', hideCursor: true, barsize: 30 });
        bar.start(total, finished, { last: '-' });
      }
    },
    onCellEnd: (row, done, total) => {
      const label = `${axesLabel(row.axes)} seed=${row.seed}: ${(100 * row.testAccuracy).toFixed(2)}%`;
      if (bar) (bar as SingleBar).update(done, { last: label });
      else process.stderr.write(`[${done}/${total}] ${label} (${row.seconds.toFixed(1)} s)\n`);
    },
    onCellFailed: (row, done, total) => {
      const label = `${axesLabel(row.axes)} seed=${row.seed}: FAILED (${row.error.name})`;
      if (bar) (bar as SingleBar).update(done, { last: label });
      else process.stderr.write(`[${done}/${total}] ${label}: ${row.error.message.split('\n')[0]}\n`);
    },
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  (bar as SingleBar | null)?.stop();
  const tables = await writeResultTables(out, summary.rows);
  process.stderr.write(`${tables.text}\nresults: ${tables.resultsCsv}\nsummary: ${tables.summaryCsv}\n`);
  const old = summary.rows.filter((r) => r.note !== undefined);
  if (old.length > 0) process.stderr.write(`synapses-ts ablate: note: ${old.length} result row(s) ${old[0]!.note}\n`);
  if (summary.failed.length > 0) {
    process.stderr.write(failureReport(out, summary.failed, summary.cells));
    process.exitCode = EXIT_CELLS_FAILED;
  }
}
