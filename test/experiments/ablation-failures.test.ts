import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError, CorruptFileError, DataError, deserializeError, NumericalError, serializeError, SynapsesError, UnknownNameError,
} from '../../toolkit/src/core/errors';
import { readCellListing, readFailures, readResultRows, readResults, type FailedRow } from '../../toolkit/src/experiments/ablation-results';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { expandGrid } from '../../toolkit/src/experiments/grid';
import { readJsonLines } from '../../toolkit/src/io/files';
import { ModelFileError } from '../../toolkit/src/io/model-file';
import { ablationFigures } from '../../toolkit/src/plots/ablation-figures';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-ablate-fail-'));

const mnist = { name: 'mnist', testSize: 200, limit: 400 };
const missingCsv = { name: 'csv', file: '/nonexistent/synapses-missing.csv', label: 'y' };
const base = {
  preset: 'mnist-quick',
  data: mnist,
  model: { hidden: [32] },
  training: { epochs: 1, batchSize: 32 },
};
/** Two cells: one that trains, one that diverges (a NumericalError in its first epoch). */
const divergingGrid = { name: 'diverge', base, axes: { 'optimizer.lr': [0.01, 1e30] }, seeds: [1] };
/**
 * Eight cells failing in three ways: a missing data file (DataError, all 4 csv cells), divergence
 * (NumericalError, mnist at lr 1e30), and a corrupt checkpoint planted in the folder of the mnist/0.01/seed 2
 * cell (ModelFileError). Only mnist/0.01/seed 1 finishes.
 */
const mixedGrid = { name: 'mixed', base, axes: { data: [mnist, missingCsv], 'optimizer.lr': [0.01, 1e30] }, seeds: [1, 2] };

/** Plants an unreadable checkpoint in the run folder of `grid`'s cell that matches `pick`. */
function plantCorruptCheckpoint(out: string, grid: unknown, pick: (axes: Record<string, unknown>, seed: number) => boolean): string {
  const cell = expandGrid(grid).find((c) => pick(c.axes, c.seed))!;
  fs.mkdirSync(path.join(out, 'runs', cell.id), { recursive: true });
  fs.writeFileSync(path.join(out, 'runs', cell.id, 'checkpoint.json'), '{"format": "synapses-ts/checkpoint", "layers": [');
  return cell.id;
}

const isMnist = (axes: Record<string, unknown>) => (axes.data as { name: string }).name === 'mnist';
/** A failed row without what depends on the folder or the clock. */
const comparableFailure = (out: string) => (f: FailedRow) => ({
  id: f.id, seed: f.seed, axes: f.axes, name: f.error.name, message: f.error.message.split(out).join('<out>'), epochsCompleted: f.epochsCompleted,
});

describe('errors cross the worker-thread boundary as data', () => {
  it('serializeError/deserializeError rebuild the same class, message and fields', () => {
    const cases: Error[] = [
      new ConfigError('optimizer.lr must be positive'),
      new NumericalError('training diverged in epoch 0'),
      new UnknownNameError('preset', 'nope', ['a', 'b']),
      new ModelFileError('x.json failed its checksum'),
      new CorruptFileError('r.jsonl:2: bad', 'r.jsonl', 2),
      new TypeError('x is not a function'),
    ];
    for (const e of cases) {
      // Through structured clone, as piscina sends a task's return value.
      const back = deserializeError(structuredClone(serializeError(e)));
      expect(back.constructor).toBe(e.constructor);
      expect(back.name).toBe(e.name);
      expect(back.message).toBe(e.message);
      expect(back.stack).toBe(e.stack);
      expect(back instanceof SynapsesError).toBe(e instanceof SynapsesError);
    }
    const unknown = deserializeError(serializeError(new UnknownNameError('preset', 'nope', ['a', 'b']))) as UnknownNameError;
    expect([unknown.kind, unknown.unknown, unknown.known]).toEqual(['preset', 'nope', ['a', 'b']]);
    const file = deserializeError(serializeError(new CorruptFileError('m', 'r.jsonl', 2))) as CorruptFileError;
    expect([file.file, file.line]).toEqual(['r.jsonl', 2]);
    // A class nobody registered keeps its name and message on a plain Error.
    class PrivateError extends Error {}
    const p = new PrivateError('private');
    p.name = 'PrivateError';
    const q = deserializeError(serializeError(p));
    expect([q.constructor, q.name, q.message]).toEqual([Error, 'PrivateError', 'private']);
    expect(serializeError('a string')).toEqual({ name: 'Error', message: 'non-error value thrown: a string' });
  });
});

describe('a failing cell does not stop the grid', () => {
  it('records a diverging cell as failed (error, epoch, config), finishes the other, and retries only the failed one', async () => {
    const out = tmp();
    const first = await runAblation(divergingGrid, { outDir: out, workers: 0 });
    expect(first.ran).toBe(2);
    expect(first.rows.map((r) => r.axes)).toEqual([{ 'optimizer.lr': 0.01 }]);
    expect(first.rows[0]!.status).toBe('finished');
    expect(first.failed).toHaveLength(1);
    const f = first.failed[0]!;
    expect(f.status).toBe('failed');
    expect(f.axes).toEqual({ 'optimizer.lr': 1e30 });
    expect(f.seed).toBe(1);
    expect(f.error.name).toBe('NumericalError');
    expect(f.error.message).toMatch(/^training diverged in epoch 0/);
    expect(f.error.stack).toBeUndefined(); // the toolkit's own error: its message says it all
    expect(f.epochsCompleted).toBe(0);
    expect(f.config.optimizer.lr).toBe(1e30);
    expect(f.config.seed).toBe(1);
    // On disk: one finished and one failed row; the readers split them.
    const lines = readJsonLines<{ status: string }>(path.join(out, 'results.jsonl'));
    expect(lines.map((l) => l.status).sort()).toEqual(['failed', 'finished']);
    expect(readResults(out).map((r) => r.id)).toEqual(first.rows.map((r) => r.id));
    expect(readFailures(out)).toEqual(first.failed);
    // The figures show the finished cell only, and say that the other failed.
    const { figures, notes } = ablationFigures(out);
    expect(notes).toEqual(['1 of 2 cells are not finished (1 failed: see results.jsonl); the figures show the finished ones']);
    expect(JSON.stringify(figures[0]!.figure.data)).not.toContain('1e+30');

    // A rerun skips the finished cell and retries the failed one (which fails again, deterministically).
    const plans: unknown[] = [];
    const again = await runAblation(divergingGrid, { outDir: out, workers: 0, onPlan: (p) => plans.push(p) });
    expect(plans).toEqual([{ total: 2, finished: 1, toRun: 1, failed: 1 }]);
    expect([again.skipped, again.ran]).toEqual([1, 1]);
    expect(again.failed.map((r) => r.id)).toEqual([f.id]);
    expect(readJsonLines(path.join(out, 'results.jsonl'))).toHaveLength(3);
    // Latest row per cell: still one failure, one finished result.
    expect(readFailures(out)).toHaveLength(1);
    expect(readResults(out)).toHaveLength(1);
  }, 120_000);

  it('a failed cell that succeeds on a retry gets a finished row, and readers take the latest row', async () => {
    const out = tmp();
    const grid = { name: 'ckpt', base, axes: { 'optimizer.lr': [0.01, 0.02] }, seeds: [1] };
    const bad = plantCorruptCheckpoint(out, grid, (axes) => axes['optimizer.lr'] === 0.02);
    const first = await runAblation(grid, { outDir: out, workers: 0 });
    expect(first.rows).toHaveLength(1);
    expect(first.failed.map((r) => [r.id, r.error.name])).toEqual([[bad, 'ModelFileError']]);
    expect(first.failed[0]!.error.message).toContain(path.join(out, 'runs', bad, 'checkpoint.json'));
    // The user removes the corrupt checkpoint; the rerun runs only that cell, which now finishes.
    fs.rmSync(path.join(out, 'runs', bad, 'checkpoint.json'));
    const second = await runAblation(grid, { outDir: out, workers: 0 });
    expect([second.skipped, second.ran, second.failed.length]).toEqual([1, 1, 0]);
    expect(second.rows).toHaveLength(2);
    const lines = readJsonLines<{ id: string; status: string }>(path.join(out, 'results.jsonl'));
    expect(lines.filter((l) => l.id === bad).map((l) => l.status)).toEqual(['failed', 'finished']);
    expect(readFailures(out)).toEqual([]);
    expect(readResults(out).map((r) => r.id).sort()).toEqual(second.rows.map((r) => r.id).sort());
    // A third run has nothing to do.
    const third = await runAblation(grid, { outDir: out, workers: 0 });
    expect([third.skipped, third.ran]).toEqual([2, 0]);
  }, 120_000);

  it('records the same failures (class, message, epoch) in this thread and with 2 worker threads', async () => {
    const a = tmp(), b = tmp();
    const pickCkpt = (axes: Record<string, unknown>, seed: number) => isMnist(axes) && axes['optimizer.lr'] === 0.01 && seed === 2;
    plantCorruptCheckpoint(a, mixedGrid, pickCkpt);
    plantCorruptCheckpoint(b, mixedGrid, pickCkpt);
    const inThread = await runAblation(mixedGrid, { outDir: a, workers: 0 });
    const inWorkers = await runAblation(mixedGrid, { outDir: b, workers: 2 });
    expect(inThread.rows).toHaveLength(1);
    expect(inThread.failed).toHaveLength(7);
    const names = inThread.failed.map((f) => f.error.name);
    expect(names.filter((n) => n === 'DataError')).toHaveLength(4);
    expect(names.filter((n) => n === 'NumericalError')).toHaveLength(2);
    expect(names.filter((n) => n === 'ModelFileError')).toHaveLength(1);
    expect(inThread.failed.find((f) => f.error.name === 'DataError')!.error.message).toContain('/nonexistent/synapses-missing.csv');
    // Across the thread boundary nothing is lost: same classes, same messages (up to the folder), same epochs.
    expect(inWorkers.failed.map(comparableFailure(b))).toEqual(inThread.failed.map(comparableFailure(a)));
    expect(readFailures(b).map(comparableFailure(b)).sort((x, y) => x.id.localeCompare(y.id)))
      .toEqual(readFailures(a).map(comparableFailure(a)).sort((x, y) => x.id.localeCompare(y.id)));
    // And each recorded error rebuilds into its class on this thread.
    const rebuilt = deserializeError(inWorkers.failed.find((f) => f.error.name === 'DataError')!.error);
    expect(rebuilt).toBeInstanceOf(DataError);
    expect(deserializeError(inWorkers.failed.find((f) => f.error.name === 'ModelFileError')!.error)).toBeInstanceOf(ModelFileError);
  }, 180_000);
});

describe('corrupt bookkeeping files are reported by name and line', () => {
  it('readJsonLines names file:line of a bad middle line and still forgives a cut last line', () => {
    const dir = tmp();
    const file = path.join(dir, 'log.jsonl');
    fs.writeFileSync(file, '{"a":1}\n{"a":2}\n{"a":');
    expect(readJsonLines(file)).toEqual([{ a: 1 }, { a: 2 }]);
    fs.writeFileSync(file, '{"a":1}\n{"a":2 oops\n{"a":3}\n');
    const err = (() => {
      try {
        readJsonLines(file);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(CorruptFileError);
    expect((err as CorruptFileError).message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: not valid JSON`));
    expect([(err as CorruptFileError).file, (err as CorruptFileError).line]).toEqual([file, 2]);
  });

  it('a bad line in the middle of results.jsonl stops the grid before anything runs, naming results.jsonl:line', async () => {
    const out = tmp();
    await runAblation(divergingGrid, { outDir: out, workers: 0 });
    const results = path.join(out, 'results.jsonl');
    const [one, two] = fs.readFileSync(results, 'utf8').trim().split('\n');
    fs.writeFileSync(results, `${one}\n${two!.slice(0, 20)}\n${one}\n`);
    const ran: string[] = [];
    await expect(runAblation(divergingGrid, { outDir: out, workers: 0, onCellStart: (c) => ran.push(c.id) })).rejects.toThrow(
      new RegExp(`results\\.jsonl:2: not valid JSON .*restore it, or remove that line`),
    );
    await expect(runAblation(divergingGrid, { outDir: out, workers: 0 })).rejects.toBeInstanceOf(CorruptFileError);
    expect(ran).toEqual([]);
    // A line that is JSON but not a row is named too.
    fs.writeFileSync(results, `${one}\n[1, 2]\n`);
    expect(() => readResultRows(out)).toThrow(/results\.jsonl:2: not a result row/);
  }, 60_000);

  it('a cells.json that is not JSON, or not a cell listing, is a CorruptFileError naming the file and what to do', async () => {
    const out = tmp();
    await runAblation(divergingGrid, { outDir: out, workers: 0 });
    const cells = path.join(out, 'cells.json');
    const good = fs.readFileSync(cells, 'utf8');
    expect(readCellListing(out)!.map((c) => c.id)).toEqual(expandGrid(divergingGrid).map((c) => c.id));
    fs.writeFileSync(cells, good.replace('"axes"', '"axes" "'));
    const err = await runAblation(divergingGrid, { outDir: out, workers: 0 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptFileError);
    expect((err as Error).message).toMatch(/cells\.json:\d+: not valid JSON .*delete it and rerun the same grid/);
    expect((err as CorruptFileError).line).toBe(good.slice(0, good.indexOf('"axes"')).split('\n').length);
    fs.writeFileSync(cells, JSON.stringify([{ index: 0 }]));
    await expect(runAblation(divergingGrid, { outDir: out, workers: 0 })).rejects.toThrow(/cells\.json: not a cell listing \(0\.id: /);
    fs.writeFileSync(cells, JSON.stringify({ cells: [] }));
    await expect(runAblation(divergingGrid, { outDir: out, workers: 0 })).rejects.toThrow(/cells\.json: not a cell listing \(\(top level\): /);
    // Deleting it, as the message says, rebuilds it and keeps the finished cells.
    fs.rmSync(cells);
    const again = await runAblation(divergingGrid, { outDir: out, workers: 0 });
    expect(again.skipped).toBe(1);
    expect(JSON.parse(fs.readFileSync(cells, 'utf8'))).toEqual(JSON.parse(good));
  }, 60_000);
});
