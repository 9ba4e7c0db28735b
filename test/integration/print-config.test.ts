import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/synapses-ts');

async function cli(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(bin, args, { cwd, env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-print-'));

describe('synapses-ts train --print-config', () => {
  it('prints the resolved config (deep-merged, every default filled) and exits 0 without loading data', async () => {
    const dir = tmp();
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ training: { epochs: 2 }, data: { name: 'idx', dir: '/nonexistent-idx' } }));
    const r = await cli(['train', '--preset', 'mnist-quick', '--config', file, '--set', 'policy.zeta=0.5', '--print-config'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout);
    expect(c.training).toMatchObject({ epochs: 2, batchSize: 64 });
    expect(c.optimizer).toEqual({ name: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 0.0002, nesterov: false, weightDecayMode: 'l2' });
    expect(c.data).toMatchObject({ name: 'idx', dir: '/nonexistent-idx', standardize: false });
    expect(c.policy).toMatchObject({ name: 'set', fraction: { name: 'constant', zeta: 0.5 }, prune: { name: 'signed-magnitude' } });
    expect(fs.readdirSync(dir)).toEqual(['c.json']); // nothing written, no runs/ folder
  }, 60_000);

  it('prints exactly the config the manifest of the same run records', async () => {
    const out = path.join(tmp(), 'run');
    const args = ['train', '--set', 'data={"name":"synthetic","nSamples":120,"nFeatures":6,"nClasses":2}', '--set', 'model.hidden=[6]',
      '--set', 'model.sparsity.eps=2', '--set', 'training.epochs=1', '--backend', 'cpu'];
    const printed = await cli([...args, '--print-config']);
    expect(printed.code).toBe(0);
    const r = await cli([...args, '--out', out, '--no-progress', '--no-figures']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.config).toEqual(JSON.parse(printed.stdout));
  }, 120_000);

  it.each([
    [['--set', 'name=../escape'], /name: the run name "\.\.\/escape" contains a path separator/],
    [['--set', 'name=..'], /name: the run name "\.\." starts with "\."/],
    [['--set', '__proto__.polluted=1'], /"__proto__" is not allowed/],
    [['--set', 'epochs=2'], /epochs: unknown key; did you mean training\.epochs\?/],
    [['--set', 'model.activation=relu6'], /model\.activation: "relu6" is not allowed; expected an activation name \(one of "relu"/],
  ])('refuses %j with exit code 2, writing nothing', async (args, message) => {
    const dir = tmp();
    const r = await cli(['train', '--preset', 'mnist-quick', ...(args as string[])], dir);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.code).toBe(2);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(fs.existsSync(path.join(path.dirname(dir), 'escape'))).toBe(false);
  }, 60_000);
});

describe('synapses-ts ablate --max-cells', () => {
  it('refuses a grid over the bound with exit 2 and a hint, before creating the folder', async () => {
    const dir = tmp();
    const grid = path.join(dir, 'big.json');
    fs.writeFileSync(grid, JSON.stringify({ axes: { 'training.epochs': Array.from({ length: 1001 }, (_, i) => i + 1) } }));
    const r = await cli(['ablate', grid, '--workers', '0', '--out', path.join(dir, 'out')]);
    expect(r.stderr).toMatch(/the grid has 1001 cells .*more than the bound of 1000; if you mean it, confirm with --max-cells 1001/);
    expect(r.code).toBe(2);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
    const bad = await cli(['ablate', grid, '--max-cells', 'lots', '--out', path.join(dir, 'out')]);
    expect(bad.stderr).toMatch(/--max-cells must be an integer >= 1, got "lots"/);
    expect(bad.code).toBe(2);
  }, 60_000);
});
