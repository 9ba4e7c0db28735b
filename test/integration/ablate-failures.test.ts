import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli } from './cli-runner';

const mnist = { name: 'mnist', testSize: 200, limit: 400 };
/**
 * Four cells: mnist at lr 0.01 finishes; mnist at lr 1e30 diverges (NumericalError); both cells on a CSV
 * file that does not exist fail when their data loads (DataError, the user's error, raised at run time).
 */
const grid = {
  name: 'cli-fail',
  base: { preset: 'mnist-quick', data: mnist, model: { hidden: [32] }, training: { epochs: 1, batchSize: 32 } },
  axes: { data: [mnist, { name: 'csv', file: '/nonexistent/synapses-missing.csv', label: 'y' }], 'optimizer.lr': [0.01, 1e30] },
  seeds: [1],
};

function setup(): { dir: string; gridFile: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-cli-ablate-fail-'));
  const gridFile = path.join(dir, 'grid.json');
  fs.writeFileSync(gridFile, JSON.stringify(grid));
  return { dir, gridFile };
}

/** The output from the failure report's first line to the end, with the output folder replaced. */
function failureLines(stderr: string, out: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  const start = lines.findIndex((l) => /^synapses-ts ablate: \d+ of \d+ runs failed/.test(l));
  expect(start).toBeGreaterThanOrEqual(0);
  return lines.slice(start).map((l) => l.split(out).join('<out>'));
}

describe('synapses-ts ablate with failing cells', () => {
  it('runs every cell, writes the tables, lists the failures last and exits 1, alike with 0 and 2 workers; a rerun retries only the failed', async () => {
    const { dir, gridFile } = setup();
    const reports: string[][] = [];
    for (const workers of ['0', '2']) {
      const out = path.join(dir, `out-${workers}`);
      const r = await cli(['ablate', gridFile, '--workers', workers, '--out', out]);
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
      // The finished cell's tables are written.
      const summary = fs.readFileSync(path.join(out, 'summary.csv'), 'utf8');
      expect(summary).toContain('testAccuracy_mean');
      expect(fs.readFileSync(path.join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(2);
      const report = failureLines(r.stderr, out);
      expect(report[0]).toBe('synapses-ts ablate: 3 of 4 runs failed (recorded in <out>/results.jsonl with status "failed"; run the same command again to retry them):');
      const entries = report.slice(1);
      expect(entries).toHaveLength(6); // one error line and one folder line per failed cell
      expect(entries.filter((l) => /^ {2}data=\{"name":"csv".*seed=1: DataError after 0 epoch\(s\): CSV file \/nonexistent\/synapses-missing\.csv does not exist$/.test(l))).toHaveLength(2);
      expect(entries.filter((l) => /^ {2}data=\{"name":"mnist".*optimizer\.lr=1e\+30 seed=1: NumericalError after 0 epoch\(s\): training diverged in epoch 0/.test(l))).toHaveLength(1);
      for (const l of entries.filter((x) => x.startsWith('    folder: '))) {
        expect(fs.existsSync(l.replace('    folder: ', '').replace('<out>', out))).toBe(true);
      }
      reports.push(report);
    }
    // The same failures, classes and messages across the worker-thread boundary.
    expect(reports[1]).toEqual(reports[0]);

    // A rerun skips the finished cell, retries the three failed ones, and reports them again.
    const out = path.join(dir, 'out-2');
    const again = await cli(['ablate', gridFile, '--workers', '2', '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('4 runs (1 already finished, 3 to run, 3 of them failed before and are retried)');
    expect(failureLines(again.stderr, out)).toEqual(reports[0]);
  }, 240_000);

  it('a corrupt results.jsonl (bad middle line) or cells.json is named with its line, exit 2, no stack trace', async () => {
    const { dir, gridFile } = setup();
    const out = path.join(dir, 'out');
    expect((await cli(['ablate', gridFile, '--workers', '0', '--out', out])).code).toBe(1);
    const results = path.join(out, 'results.jsonl');
    const good = fs.readFileSync(results, 'utf8');
    const lines = good.trim().split('\n');
    fs.writeFileSync(results, [lines[0], lines[1]!.slice(0, 30), ...lines.slice(2)].join('\n') + '\n');
    const bad = await cli(['ablate', gridFile, '--workers', '0', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`^synapses-ts: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/results\\.jsonl:2: not valid JSON`, 'm'));
    expect(bad.stderr).not.toMatch(/^\s+at /m);
    expect(bad.stderr).not.toContain('SyntaxError');

    fs.writeFileSync(results, good);
    fs.writeFileSync(path.join(out, 'cells.json'), '[{"id": "x",\n "index": 0,,\n}]');
    const cells = await cli(['ablate', gridFile, '--workers', '0', '--out', out]);
    expect(cells.code).toBe(2);
    expect(cells.stderr).toMatch(/^synapses-ts: .*cells\.json:2: not valid JSON .*delete it and rerun the same grid/m);
    expect(cells.stderr).not.toMatch(/^\s+at /m);
  }, 120_000);

  it('a config error of the whole grid stops it before anything runs: the same exit-2 message with 0 and 2 workers', async () => {
    const { dir } = setup();
    const badGrid = path.join(dir, 'bad.json');
    fs.writeFileSync(badGrid, JSON.stringify({ ...grid, axes: { 'policy.zeta': [0.3, 1.5] } }));
    const out = path.join(dir, 'never');
    const [a, b] = [await cli(['ablate', badGrid, '--workers', '0', '--out', out]), await cli(['ablate', badGrid, '--workers', '2', '--out', out])];
    expect([a.code, b.code]).toEqual([2, 2]);
    expect(a.stderr).toMatch(/^synapses-ts: grid cell .*"policy\.zeta":1\.5.*zeta must be in \[0, 1\)/m);
    expect(b.stderr).toBe(a.stderr);
    expect(fs.existsSync(path.join(out, 'results.jsonl'))).toBe(false);
  }, 60_000);
});
