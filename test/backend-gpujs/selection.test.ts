/**
 * Choosing a backend: names and their parser, `gpujs` (best mode) and `auto` (may fall back, and says so),
 * clear errors for modes that cannot run, lazy loading of gpu.js, and the guard that refuses a kernel gpu.js
 * silently moved to another mode.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { GpujsContext } from '../../toolkit/src/backend/gpujs/context';
import { isWasmAvailable } from '../../toolkit/src/backend/wasm/index';
import { availableGpujsModes, gpujsUnavailableReason, headlessGlSoftwareReason } from '../../toolkit/src/backend/gpujs/index';
import { backendNames, knownBackendNames, parseBackendName, resolveBackend } from '../../toolkit/src/backend/registry';
import { BackendUnavailableError, ConfigError, UnknownNameError } from '../../toolkit/src/core/errors';
import { parseRunConfig } from '../../toolkit/src/experiments/config';

const run = promisify(execFile);
const registry = path.resolve(__dirname, '../../toolkit/src/backend/registry.ts');

/** Runs `code` (CommonJS, TypeScript sources loadable) in a fresh Node.js with `env`, optionally preloading `preload`. */
async function child(code: string, env: NodeJS.ProcessEnv, preload?: string): Promise<string> {
  const args = ['--import', 'tsx', ...(preload ? ['--require', preload] : []), '-e', code];
  const r = await run(process.execPath, args, { env, cwd: path.resolve(__dirname, '../..') });
  return r.stdout.trim();
}

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A preload script that makes `require(name)` fail as if the package were not installed. */
function hidePackage(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-hide-'));
  made.push(dir);
  const file = path.join(dir, 'hide.cjs');
  fs.writeFileSync(file, `const M = require('node:module'); const orig = M.prototype.require;
M.prototype.require = function (request, ...rest) {
  if (request === ${JSON.stringify(name)}) { const e = new Error("Cannot find module '" + request + "'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return orig.call(this, request, ...rest);
};\n`);
  return file;
}

const withoutDisplay = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.DISPLAY;
  return env;
};

describe('backend names', () => {
  it('cpu, gpujs, gpujs:MODE and auto parse; concrete names include every gpu.js mode', () => {
    expect(parseBackendName('cpu')).toEqual({ kind: 'named', name: 'cpu' });
    expect(parseBackendName('gpujs')).toEqual({ kind: 'gpujs-best' });
    expect(parseBackendName('auto')).toEqual({ kind: 'auto' });
    for (const mode of ['headlessgl', 'webasm', 'cpu', 'webgpu']) {
      expect(parseBackendName(`gpujs:${mode}`)).toEqual({ kind: 'named', name: `gpujs:${mode}` });
      expect(backendNames()).toContain(`gpujs:${mode}`);
    }
    expect(knownBackendNames().slice(0, 3)).toEqual(['auto', 'gpujs', 'cpu']);
  });

  it.each(['gpujs:nope', 'cuda', 'GPUJS', 'gpujs:', ''])('%j is an error listing the known names', (name) => {
    expect(() => parseBackendName(name)).toThrow(UnknownNameError);
    expect(() => resolveBackend(name)).toThrow(/known backends are: auto, gpujs, cpu, wasm, gpujs:headlessgl, gpujs:webasm, gpujs:cpu, gpujs:webgpu/);
  });

  it('a run config with a bad backend name fails validation with the list', () => {
    expect(() => parseRunConfig({ backend: 'gpujs:metal' })).toThrow(ConfigError);
    expect(() => parseRunConfig({ backend: 'gpujs:metal' })).toThrow(/unknown backend "gpujs:metal"; known backends are: auto, gpujs, cpu/);
    expect(parseRunConfig({ backend: 'gpujs:webasm' }).backend).toBe('gpujs:webasm');
  });
});

describe('choosing and refusing', () => {
  it('gpujs:webgpu is refused with the reasons (no adapter here; asynchronous kernels)', () => {
    expect(() => resolveBackend('gpujs:webgpu')).toThrow(BackendUnavailableError);
    expect(() => resolveBackend('gpujs:webgpu')).toThrow(/asynchronous \(every call returns a Promise\)/);
  });

  it('gpujs picks the best mode that runs, and names the better ones it could not use', () => {
    const modes = availableGpujsModes();
    expect(modes.length).toBeGreaterThan(0);
    const r = resolveBackend('gpujs');
    expect(r.resolved).toBe(`gpujs:${modes[0]}`);
    expect(r.backend.mode).toBe(modes[0]);
    expect(r.fellBack).toBeUndefined();
    if (modes[0] !== 'headlessgl') expect(r.skipped?.join(' ')).toContain('gpujs:headlessgl');
  });

  it('auto takes the wasm backend when its kernels are built, without a fall-back note', () => {
    const r = resolveBackend('auto');
    expect(r.requested).toBe('auto');
    expect(r.resolved).toBe(isWasmAvailable() ? 'wasm' : r.resolved);
    if (isWasmAvailable()) expect(r.fellBack).toBeUndefined();
  });

  it('auto without the wasm kernels falls back, and says what it skipped and why', async () => {
    const code = `const r = require(${JSON.stringify(registry)});
const x = r.resolveBackend('auto');
console.log(x.resolved);
console.log(x.fellBack);`;
    const out = (await child(code, { ...process.env, SYNAPSES_WASM: '/nonexistent/kernels.wasm' })).split('\n');
    expect(out[0]).not.toBe('wasm');
    expect(out[1]).toMatch(/^auto chose \S+ after skipping wasm \(the wasm backend cannot run: /);
    if (headlessGlSoftwareReason() !== null) expect(out[1]).toMatch(/gpujs:headlessgl \(/);
  }, 60_000);

  it('a kernels.wasm built from older sources is reported out of date, naming what it lacks; auto falls back', async () => {
    const stale = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-stale-')), 'kernels.wasm');
    fs.writeFileSync(stale, Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)); // a valid, empty module
    const code = `const r = require(${JSON.stringify(registry)});
try { r.resolveBackend('wasm'); console.log('ran'); } catch (e) { console.log(e.name + ': ' + e.message); }
console.log(r.resolveBackend('auto').resolved);`;
    const out = (await child(code, { ...process.env, SYNAPSES_WASM: stale })).split('\n');
    expect(out[0]).toMatch(/^BackendUnavailableError: the wasm backend cannot run: .*kernels\.wasm is out of date \(it lacks gatherRows, .*scatterRows.*\); rebuild it with scripts\/build-wasm\.sh --force/);
    expect(out[1]).not.toBe('wasm');
  }, 60_000);

  it('headlessgl without a display is an error that says so; auto falls back instead', async () => {
    const code = `const r = require(${JSON.stringify(registry)});
try { r.resolveBackend('gpujs:headlessgl'); console.log('ran'); } catch (e) { console.log(e.name + ': ' + e.message); }
console.log('auto=' + r.resolveBackend('auto').resolved);`;
    const out = await child(code, withoutDisplay());
    expect(out).toMatch(/BackendUnavailableError: gpu.js mode headlessgl cannot run here: no X display for headless-gl \(DISPLAY is not set\).*xvfb-run -a/);
    expect(out).toMatch(/auto=cpu|auto=(?!gpujs:headlessgl)/);
  }, 60_000);

  it('a missing native gl package is an error naming the Debian packages its build needs', async () => {
    const code = `const r = require(${JSON.stringify(registry)});
try { r.resolveBackend('gpujs:headlessgl'); console.log('ran'); } catch (e) { console.log(e.name + ': ' + e.message); }`;
    const out = await child(code, process.env, hidePackage('gl'));
    expect(out).toMatch(/BackendUnavailableError: .*native package "gl".*missing.*build-essential libxi-dev libglu1-mesa-dev libglew-dev pkg-config/);
  }, 60_000);
});

describe('gpu.js loads lazily', () => {
  it('importing the toolkit\'s registry and using the CPU backend never loads gpu.js', async () => {
    const code = `const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/gpu.js/'));
const r = require(${JSON.stringify(registry)});
const be = r.getBackend('cpu');
be.unaryForward('relu', Float32Array.of(-1, 1), 0, new Float32Array(2));
console.log(loaded());
r.getBackend('gpujs:cpu');
console.log(loaded());`;
    expect((await child(code, process.env)).split('\n')).toEqual(['false', 'true']);
  }, 60_000);

  it('without gpu.js installed the CPU backend works and gpu.js backends say why they cannot', async () => {
    const code = `const r = require(${JSON.stringify(registry)});
console.log(Array.from(r.getBackend('cpu').unaryForward('relu', Float32Array.of(-1, 1), 0, new Float32Array(2))).join(','));
try { r.getBackend('gpujs:cpu'); } catch (e) { console.log(e.name + ': ' + e.message); }
console.log('auto=' + r.resolveBackend('auto').resolved);`;
    const out = (await child(code, process.env, hidePackage('gpu.js'))).split('\n');
    expect(out[0]).toBe('0,1');
    expect(out[1]).toMatch(/BackendUnavailableError: gpu.js mode cpu cannot run here: the npm package gpu.js cannot be loaded/);
    // auto prefers the WebAssembly SIMD backend, which needs no gpu.js.
    expect(out[2]).toBe('auto=wasm');
  }, 60_000);
});

describe.skipIf(gpujsUnavailableReason('webasm') !== null || gpujsUnavailableReason('headlessgl') !== null)(
  'a kernel gpu.js moves to another mode is refused, never run silently',
  () => {
    it('webasm given a GL texture degrades to gpu.js cpu: the context throws instead', () => {
      const gl = new GpujsContext('headlessgl');
      const wasm = new GpujsContext('webasm');
      try {
        const texture = gl.resident([1, 2, 3]);
        expect(() => wasm.run({ name: 'texture-argument', source: 'function (v) { return v[this.thread.x]; }' }, 1, [3], texture)).toThrow(
          /gpu.js ran kernel texture-argument with CPUKernel instead of WebAssemblyKernel \(mode webasm\): argument "v" of type ArrayTexture/,
        );
      } finally {
        gl.destroy();
        wasm.destroy();
      }
    });
  },
);
