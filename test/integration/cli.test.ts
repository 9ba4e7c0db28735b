import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonLines } from '../../toolkit/src/io/files';
import { cli } from './cli-runner';

describe('synapses-ts train (the CLI as a user runs it)', () => {
  it('trains a short mnist-quick run and writes metrics, manifest, model and a JSON result line', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-cli-'));
    const r = await cli(['train', '--preset', 'mnist-quick', '--set', 'training.epochs=3', '--set', 'data.limit=3000', '--seed', '3', '--out', out, '--json']);
    expect(r.stderr).toContain('epoch 3/3');
    expect(r.code).toBe(0);
    const last = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(last.epochs).toBe(3);
    expect(last.testAccuracy).toBeGreaterThan(0.8);
    expect(last.seconds).toBeGreaterThan(0);
    expect(last.connections).toBe(last.connectionsPerLayer.reduce((a: number, b: number) => a + b, 0));
    const metrics = readJsonLines<{ epoch: number; testAccuracy: number; connections: number[] }>(path.join(out, 'metrics.jsonl'));
    expect(metrics.map((m) => m.epoch)).toEqual([0, 1, 2]);
    expect(metrics[2]!.connections).toEqual(last.connectionsPerLayer);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('finished');
    expect(manifest.seed).toBe(3);
    expect(manifest.config.training.epochs).toBe(3);
    expect(manifest.config.policy.prune.name).toBe('signed-magnitude');
    // The default backend is auto: the WebAssembly SIMD backend, which set-up builds.
    expect(manifest.backend.requested).toBe('auto');
    expect(manifest.backend.resolved).toBe('wasm');
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
  }, 120_000);

  it.each([
    [['train', '--preset', 'nope'], /unknown preset "nope"; known presets are: mnist-quick/],
    [['train', '--preset', 'mnist-quick', '--set', 'training.epochz=2'], /training\.epochz: unknown key; did you mean training\.epochs\?/],
    [['train', '--preset', 'mnist-quick', '--set', 'model.dropout=1.5'], /model\.dropout/],
    [['train', '--preset', 'mnist-quick', '--set', 'policy=sett'], /unknown policy "sett"; known policys are: set/],
    [['train', '--preset', 'mnist-quick', '--set', 'policy.zeta=1.2'], /fraction\.zeta must be in \[0, 1\)/],
    [['train', '--config', '/nonexistent/config.json'], /cannot read config file \/nonexistent\/config.json: ENOENT/],
    [['train', '--set', 'data={"name":"idx","dir":"/nonexistent-idx"}'], /nonexistent-idx/],
    [['train', '--seed', '-1'], /--seed must be a non-negative integer/],
    [['train', '--preset', 'mnist-quick', '--set', 'optimizer.weightDecayMode=adamw'], /optimizer\.weightDecayMode.*"l2".*"reference"/],
    [['train', '--preset', 'mnist-quick', '--threads', '0'], /--threads must be an integer from 1 to 64, got "0"/],
  ])('rejects bad input %j with a clear message and exit code 2', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.code).toBe(2);
  }, 60_000);
});
