/**
 * Backend registry: resolves a backend by name and says which one is in use.
 *
 * Names: `cpu` (the reference), `wasm` (WebAssembly SIMD kernels for the layer products), `gpujs:MODE` for each gpu.js mode (`headlessgl`, `webasm`, `cpu`,
 * `webgpu`), `gpujs` (the best gpu.js mode that runs here), `auto` (the best backend that runs here), and
 * any name added with {@link registerBackend}. A backend asked for by name that cannot run is an error that
 * says why; only `auto` falls back, and {@link resolveBackend} says that it did.
 *
 * @packageDocumentation
 */
import * as os from 'node:os';
import { BackendUnavailableError, ConfigError, UnknownNameError } from '../core/errors';
import type { Backend } from './backend';
import { cpuBackend } from './cpu/index';
import { bestGpujsMode, GPUJS_MODES, gpujsBackend, headlessGlSoftwareReason } from './gpujs/index';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason } from './wasm/index';

/** How a backend is created; backends ignore what does not apply to them. */
export interface BackendOptions {
  /**
   * Threads that run the kernels of a backend that can use several (the wasm backend); default
   * {@link defaultThreads}. Results are bit-identical for every thread count.
   */
  readonly threads?: number;
}

/** Most threads {@link defaultThreads} picks: beyond this the per-op hand-off of the wasm backend is unmeasured. */
export const MAX_DEFAULT_THREADS = 8;

/**
 * The default thread count: the `SYNAPSES_THREADS` environment variable when set (a positive integer),
 * else every core of the machine (`os.availableParallelism()`, at most {@link MAX_DEFAULT_THREADS}): with the
 * cores free, more threads train faster (docs/bench.md, "Threads"), but each op is a hand-off and a barrier,
 * so processes that already run one job per core set fewer: the test runner sets
 * `SYNAPSES_THREADS=1`, the ablation runner gives each worker its share of the cores. Note that
 * `availableParallelism` counts the CPUs this process may run on, not a container's CPU quota: under a
 * quota, set `SYNAPSES_THREADS`.
 * @throws {@link ConfigError} when `SYNAPSES_THREADS` is set to anything but a positive integer.
 */
export function defaultThreads(): number {
  const env = process.env['SYNAPSES_THREADS'];
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!(Number.isInteger(n) && n >= 1 && n <= 64)) {
      throw new ConfigError(`SYNAPSES_THREADS must be an integer from 1 to 64, got ${JSON.stringify(env)}`);
    }
    return n;
  }
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_THREADS));
}

/** Checks a thread count given by a caller. */
export function checkThreads(threads: number, what = 'threads'): number {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    throw new ConfigError(`${what} must be an integer from 1 to 64, got ${threads}`);
  }
  return threads;
}

/**
 * One wasm backend per thread count for the whole process: its worker threads and its memory are shared by
 * every model that asks for it by name (memory of collected arrays is reused, not grown again), instead of
 * a new set of idle worker threads per model. All those models live in one wasm memory (at most 4 GiB);
 * create separate backends with `wasmBackend()` to give models memories of their own.
 */
const wasmShared = new Map<number, Backend>();

/** The WebAssembly SIMD backend, or an error saying why it cannot run (its kernels are not built). */
function wasmOrError(options: BackendOptions): Backend {
  if (!isWasmAvailable()) throw new BackendUnavailableError(`the wasm backend cannot run: ${wasmUnavailableReason() ?? 'unknown reason'}`);
  const threads = options.threads ?? defaultThreads(); // checked by resolveBackend
  let be = wasmShared.get(threads);
  if (be === undefined) {
    // Disposing a shared instance (WasmBackend.dispose) takes it out of the registry: the next request
    // gets a new one.
    be = wasmBackend({ threads, onDispose: () => wasmShared.delete(threads) });
    wasmShared.set(threads, be);
  }
  return be;
}

const factories: Record<string, (options: BackendOptions) => Backend> = {
  cpu: () => cpuBackend(),
  wasm: wasmOrError,
};
for (const mode of GPUJS_MODES) factories[`gpujs:${mode}`] = () => gpujsBackend(mode);

/** Registered backends `auto` may choose, in order of preference, before the CPU reference. */
const autoCandidates: string[] = ['wasm'];

/** Names of the concrete backends (what {@link getBackend} accepts, aliases `gpujs` and `auto` aside). */
export function backendNames(): string[] {
  return Object.keys(factories);
}

/** Every name {@link resolveBackend} accepts: `auto`, `gpujs` and the concrete backends. */
export function knownBackendNames(): string[] {
  return ['auto', 'gpujs', ...backendNames()];
}

/** What a backend name asks for. */
export type BackendRequest =
  | { readonly kind: 'named'; readonly name: string }
  | { readonly kind: 'gpujs-best' }
  | { readonly kind: 'auto' };

/**
 * Parses a backend name without creating anything.
 * @throws {@link UnknownNameError} listing the known names.
 */
export function parseBackendName(name: string): BackendRequest {
  if (name === 'auto') return { kind: 'auto' };
  if (name === 'gpujs') return { kind: 'gpujs-best' };
  if (Object.hasOwn(factories, name)) return { kind: 'named', name };
  throw new UnknownNameError('backend', name, knownBackendNames());
}

/** A backend with the facts of how it was chosen. */
export interface ResolvedBackend {
  readonly backend: Backend;
  /** The name asked for. */
  readonly requested: string;
  /** The concrete backend that runs, e.g. `gpujs:webasm`. */
  readonly resolved: string;
  /** Only for `auto` when it did not get its first choice: what it skipped and why. */
  readonly fellBack?: string;
  /** For `gpujs`: the better gpu.js modes that cannot run here, and why. */
  readonly skipped?: readonly string[];
}

function create(name: string, options: BackendOptions): Backend {
  const f = factories[name];
  if (!f) throw new UnknownNameError('backend', name, knownBackendNames());
  return f(options);
}

/**
 * The backend a name asks for (default `"cpu"`), and how it was chosen.
 * @throws {@link UnknownNameError} listing the known names; {@link BackendUnavailableError} saying why when a
 *   backend asked for by name (including `gpujs`, when no gpu.js mode runs) cannot run here.
 */
export function resolveBackend(name = 'cpu', options: BackendOptions = {}): ResolvedBackend {
  const req = parseBackendName(name);
  if (options.threads !== undefined) checkThreads(options.threads);
  if (req.kind === 'named') return { backend: create(req.name, options), requested: name, resolved: req.name };
  if (req.kind === 'gpujs-best') {
    const best = bestGpujsMode();
    if (best.mode === null) throw new BackendUnavailableError(`no gpu.js mode can run here: ${best.skipped.join('; ')}`);
    const resolved = `gpujs:${best.mode}`;
    return { backend: create(resolved, options), requested: name, resolved, ...(best.skipped.length ? { skipped: best.skipped } : {}) };
  }
  // auto: the accelerated CPU backends (wasm SIMD) first: on this toolkit's sparse layers they beat gpu.js,
  // which reads every op's output back; then a gpu.js GL backend on a real GPU; then the reference.
  const skipped: string[] = [];
  const software = headlessGlSoftwareReason();
  const candidates = software === null ? [...autoCandidates, 'gpujs:headlessgl'] : [...autoCandidates];
  for (const candidate of [...candidates, 'cpu']) {
    try {
      const backend = create(candidate, options);
      // headless-gl without a GPU only matters when auto ends at the reference.
      if (candidate === 'cpu' && software !== null) skipped.push(`gpujs:headlessgl (${software})`);
      return {
        backend, requested: name, resolved: candidate,
        ...(skipped.length ? { fellBack: `auto chose ${candidate} after skipping ${skipped.join('; ')}` } : {}),
      };
    } catch (e) {
      if (!(e instanceof BackendUnavailableError) || candidate === 'cpu') throw e;
      skipped.push(`${candidate} (${e.message})`);
    }
  }
  throw new BackendUnavailableError('no backend can run here'); // unreachable: cpu always runs
}

/**
 * The backend called `name` (default `"cpu"`, the reference); `gpujs` and `auto` are resolved as in
 * {@link resolveBackend}. The wasm backend is shared per thread count (see {@link BackendOptions}).
 * @throws {@link UnknownNameError} listing the known backends; {@link BackendUnavailableError} when it cannot run.
 */
export function getBackend(name = 'cpu', options: BackendOptions = {}): Backend {
  return resolveBackend(name, options).backend;
}

/**
 * Registers a backend factory (used by optional backends that load lazily).
 * @param options.auto - let `auto` choose it (before the CPU reference, after earlier registrations).
 */
export function registerBackend(name: string, factory: (options: BackendOptions) => Backend, options: { readonly auto?: boolean } = {}): void {
  factories[name] = factory;
  if (options.auto && !autoCandidates.includes(name)) autoCandidates.push(name);
}
