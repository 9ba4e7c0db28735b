/**
 * `--backend` on the command line as a user runs it: the manifest records the backend and the gpu.js mode
 * that really ran (and any fallback of `auto`), bad names and unavailable modes are clear errors (exit 2),
 * and `bench --backend all` prints milliseconds per op and seconds per epoch for every backend and mode.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { availableGpujsModes, gpujsUnavailableReason, headlessGlSoftwareReason } from '../../toolkit/src/backend/gpujs/index';
import { isWasmAvailable } from '../../toolkit/src/backend/wasm/index';

const exec = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/synapses-ts');

async function cli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(bin, args, { cwd: root, env, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const made: string[] = [];
/** A fresh temporary folder, removed after the file's tests. */
function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const QUICK = ['--preset', 'mnist-quick', '--set', 'training.epochs=1', '--set', 'data.limit=300', '--set', 'data.testSize=200', '--no-progress', '--no-figures'];

function manifestOf(out: string): { backend: Record<string, string>; dependencies: Record<string, string>; status: string } {
  return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
}

describe('synapses-ts train --backend', () => {
  it.each(availableGpujsModes())('gpujs:%s: the manifest records the gpu.js mode that ran', async (mode) => {
    const out = tmp('synapses-gpujs-');
    const r = await cli(['train', ...QUICK, '--backend', `gpujs:${mode}`, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`backend gpujs:${mode}`);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!).backend).toBe(`gpujs:${mode}`);
    const m = manifestOf(out);
    expect(m.status).toBe('finished');
    // Only the GL mode has device memory, where op outputs stay between ops.
    expect(m.backend).toEqual({ name: 'gpujs', mode, threads: 1, resident: mode === 'headlessgl', requested: `gpujs:${mode}`, resolved: `gpujs:${mode}` });
    expect(m.dependencies['gpu.js']).toBe('2.24.1');
  }, 120_000);

  it('auto: the manifest records what ran and, when it fell back, what it skipped and why', async () => {
    const out = tmp('synapses-auto-');
    const r = await cli(['train', ...QUICK, '--backend', 'auto', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(out);
    expect(m.backend.requested).toBe('auto');
    if (isWasmAvailable()) {
      // auto's first choice is the WebAssembly SIMD backend: no fall-back to report.
      expect(m.backend.resolved).toBe('wasm');
      expect(m.backend.fellBack).toBeUndefined();
    } else if (headlessGlSoftwareReason() !== null || gpujsUnavailableReason('headlessgl') !== null) {
      expect(m.backend.fellBack).toMatch(/^auto chose \S+ after skipping wasm \(/);
      expect(r.stderr).toContain(m.backend.fellBack);
    } else {
      expect(m.backend.resolved).toBe('gpujs:headlessgl');
    }
  }, 120_000);

  it('an unknown backend is exit code 2 with the list of known names', async () => {
    const r = await cli(['train', ...QUICK, '--backend', 'gpujs:metal']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown backend "gpujs:metal"; known backends are: auto, gpujs, cpu, wasm, gpujs:headlessgl, gpujs:webasm, gpujs:cpu, gpujs:webgpu/);
  }, 60_000);

  it('gpujs:headlessgl without a display is exit code 2 saying why and what to do', async () => {
    const env = { ...process.env };
    delete env.DISPLAY;
    const r = await cli(['train', ...QUICK, '--backend', 'gpujs:headlessgl'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot run here: (no X display for headless-gl \(DISPLAY is not set\).*xvfb-run -a|the native package "gl")/);
  }, 60_000);
});

describe('synapses-ts bench --backend all', () => {
  it('prints ms per op and s per epoch for every backend and gpu.js mode, and says which cannot run', async () => {
    const out = path.join(tmp('synapses-bench-'), 'bench.json');
    // Two thread counts: the wasm backend is timed at each, the single-threaded backends once.
    const r = await cli(['bench', '--backend', 'all', '--sections', 'epoch', '--threads', '1,2', '--data', 'synthetic', '--limit', '128', '--epochs', '1', '--batch', '64', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const modes = availableGpujsModes();
    const header = r.stderr.split('\n').find((l) => l.startsWith('op '))!;
    expect(header).toContain('cpu:reference b64');
    for (const mode of modes) expect(header).toContain(`gpujs:${mode} b64`);
    for (const op of ['spmmForward', 'spmmInputGrad', 'spmmWeightGrad', 'softmaxCrossEntropy', 'sgdStep']) {
      expect(r.stderr).toMatch(new RegExp(`^${op}\\s+\\d`, 'm'));
    }
    // The sparse backward request is an op of every backend now (the op set is closed).
    expect(r.stderr).toMatch(/^sparseBackward(\s+\d+\.\d+)+\s*$/m);
    expect(r.stderr).toMatch(/^s\/epoch \(128\)\s+\d/m);
    expect(r.stderr).toMatch(/^s\/epoch \(60000, scaled\)\s+\d/m);
    expect(r.stderr).toMatch(/gpujs:webgpu: unavailable: /);
    const rows = JSON.parse(fs.readFileSync(out, 'utf8')).rows as { backend: string; threads?: number; opMs?: Record<string, number> }[];
    expect(rows.filter((x) => x.opMs).map((x) => `${x.backend} x${x.threads}`)).toEqual([
      'cpu:reference x1', 'wasm:wasm-simd x1', 'wasm:wasm-simd x2', ...modes.filter((m) => m !== 'webgpu').map((m) => `gpujs:${m} x1`),
    ]);
    expect(header).toContain('wasm:wasm-simd x2 b64');
  }, 300_000);
});
