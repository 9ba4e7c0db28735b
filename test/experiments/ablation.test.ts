import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readResults, runAblation } from '../../toolkit/src/experiments/ablation';
import { expandGrid } from '../../toolkit/src/experiments/grid';
import { runConfig } from '../../toolkit/src/experiments/run';
import { readJsonLines } from '../../toolkit/src/io/files';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/synapses-ts');
const run = promisify(execFile);

const grid = (epochs: number) => ({
  name: 'tiny',
  base: {
    preset: 'mnist-quick',
    data: { name: 'mnist', testSize: 300, limit: 600 },
    model: { hidden: [48, 32], sparsity: { kind: 'erdos-renyi', eps: 4 }, dropout: 0.1 },
    training: { epochs, batchSize: 32 },
  },
  axes: { policy: ['set', 'static'], 'model.sparsity.eps': [4, 8] },
  seeds: [1, 2],
});

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-ablate-'));
const comparable = (dir: string) =>
  readResults(dir)
    .map(({ id, testAccuracy, testLoss, testAccuracyAtBest, bestEpoch, bestValAccuracy, connections, connectionsPerLayer, epochs }) => ({ id, testAccuracy, testLoss, testAccuracyAtBest, bestEpoch, bestValAccuracy, connections, connectionsPerLayer, epochs }))
    .sort((a, b) => a.id.localeCompare(b.id));
const metricsOf = (dir: string, id: string) =>
  readJsonLines<Record<string, unknown>>(path.join(dir, 'runs', id, 'metrics.jsonl')).map(({ seconds: _s, evolutionSeconds: _e, ...m }) => m);

describe('grid expansion', () => {
  it('expands base x axes x seeds into validated cells with stable ids', () => {
    const cells = expandGrid(grid(2));
    expect(cells).toHaveLength(8);
    expect(cells[0]!.config.model.hidden).toEqual([48, 32]);
    expect(cells.map((c) => c.config.seed)).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(cells.find((c) => c.axes.policy === 'static' && c.axes['model.sparsity.eps'] === 8)!.config.model.sparsity).toEqual({ kind: 'erdos-renyi', eps: 8 });
    expect(expandGrid(grid(2)).map((c) => c.id)).toEqual(cells.map((c) => c.id));
    expect(new Set(cells.map((c) => c.id)).size).toBe(8);
  });
  it('rejects a bad grid before running anything, naming the cell and the field', () => {
    expect(() => expandGrid({ ...grid(2), axes: { 'policy.zeta': [0.3, 1.5] } })).toThrow(/grid cell .*"policy.zeta":1.5.*zeta must be in \[0, 1\)/);
    expect(() => expandGrid({ ...grid(2), axes: { 'training.epochz': [1] } })).toThrow(/epochz/);
    expect(() => expandGrid({ ...grid(2), seeds: [] })).toThrow(/seeds/);
    expect(() => expandGrid({ ...grid(2), base: { preset: 'nope' } })).toThrow(/unknown preset "nope"/);
  });
});

describe('ablation runner', () => {
  it('gives bit-identical results in this thread, with 1 worker and with 2 workers', async () => {
    const a = tmp(), b = tmp(), c = tmp();
    await runAblation(grid(2), { outDir: a, workers: 0 });
    await runAblation(grid(2), { outDir: b, workers: 1 });
    await runAblation(grid(2), { outDir: c, workers: 2 });
    expect(comparable(a)).toHaveLength(8);
    expect(comparable(b)).toEqual(comparable(a));
    expect(comparable(c)).toEqual(comparable(a));
    for (const { id } of comparable(a)) expect(metricsOf(c, id)).toEqual(metricsOf(a, id));
    // The same config run alone, outside any grid, gives the same metrics and topology as its grid cell.
    const cell = expandGrid(grid(2))[3]!;
    const aloneDir = tmp();
    const alone = await runConfig(cell.config, { outDir: aloneDir });
    const inGrid = comparable(a).find((r) => r.id === cell.id)!;
    expect({ testAccuracy: alone.testAccuracy, testLoss: alone.testLoss, connectionsPerLayer: alone.connectionsPerLayer })
      .toEqual({ testAccuracy: inGrid.testAccuracy, testLoss: inGrid.testLoss, connectionsPerLayer: inGrid.connectionsPerLayer });
    const strip = (m: Record<string, unknown>[]) => m.map(({ seconds: _s, evolutionSeconds: _e, ...x }) => x);
    expect(strip(readJsonLines(path.join(aloneDir, 'metrics.jsonl')))).toEqual(metricsOf(a, cell.id));
    const topology = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')).layers.map((l: { colIdx?: string }) => l.colIdx);
    expect(topology(aloneDir)).toEqual(topology(path.join(a, 'runs', cell.id)));
    // A second invocation finds everything finished and runs nothing.
    const again = await runAblation(grid(2), { outDir: c, workers: 2 });
    expect(again.ran).toBe(0);
    expect(again.skipped).toBe(8);
  }, 240_000);

  it('refuses to mix two different grids in one folder', async () => {
    const d = tmp();
    await runAblation({ ...grid(1), axes: { policy: ['set'] }, seeds: [1] }, { outDir: d, workers: 0 });
    await expect(runAblation({ ...grid(1), axes: { policy: ['static'] }, seeds: [1] }, { outDir: d, workers: 0 })).rejects.toThrow(/holds a different grid/);
  }, 60_000);

  it('survives SIGKILL: rerunning finishes every cell exactly once, with the results of an uninterrupted run', async () => {
    const dir = tmp();
    const gridFile = path.join(dir, 'grid.json');
    fs.writeFileSync(gridFile, JSON.stringify(grid(4)));
    const out = path.join(dir, 'out');
    const child = spawn(bin, ['ablate', gridFile, '--workers', '2', '--out', out], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: 'ignore' });
    // Kill it after the first finished cell, while others are mid-training (checkpoints half way).
    const results = path.join(out, 'results.jsonl');
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && !(fs.existsSync(results) && fs.readFileSync(results, 'utf8').split('\n').length >= 2)) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const before = readResults(out).length;
    expect(before).toBeGreaterThanOrEqual(1);
    expect(before).toBeLessThan(8);

    const r = await run(bin, ['ablate', gridFile, '--workers', '2', '--out', out], { cwd: root, env: { ...process.env, CI: 'true' } });
    expect(r.stderr).toContain(`${before} already finished`);
    const rows = readResults(out);
    expect(rows).toHaveLength(8);
    expect(new Set(rows.map((x) => x.id)).size).toBe(8);
    expect(fs.readFileSync(path.join(out, 'summary.csv'), 'utf8')).toContain('testAccuracy_mean');

    const clean = tmp();
    await runAblation(grid(4), { outDir: clean, workers: 2 });
    expect(comparable(out)).toEqual(comparable(clean));
    for (const { id } of comparable(clean)) expect(metricsOf(out, id)).toEqual(metricsOf(clean, id));
  }, 300_000);
});
