// Issue 19, point 1: `synapses-ts select` as a user runs it (the built CLI, toolkit/dist).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runConfig } from '../../toolkit/src/experiments/run';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../toolkit/dist/cli/main.js');

describe('synapses-ts select', () => {
  it('writes the top K features of a run as CSV and scores them against the manifest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'select-cli-'));
    await runConfig({ data: { name: 'madelon', nSamples: 300, nFeatures: 60 }, model: { hidden: [20] }, training: { epochs: 2 }, backend: 'cpu', seed: 1 }, { outDir: dir });
    const out = path.join(dir, 'top.csv');
    const { stdout } = await run(process.execPath, [CLI, 'select', dir, '--method', 'persistence', '--top', '7', '--out', out]);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('rank,feature,score');
    expect(lines).toHaveLength(8);
    expect(stdout).toMatch(/relevant features \(manifest\): 20; precision@7 [0-9.]+, recall@7/);
    await expect(run(process.execPath, [CLI, 'select', dir, '--method', 'gain'])).rejects.toMatchObject({ code: 2 });
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
