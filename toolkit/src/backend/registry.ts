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
import { BackendUnavailableError, UnknownNameError } from '../core/errors';
import type { Backend } from './backend';
import { cpuBackend } from './cpu/index';
import { bestGpujsMode, GPUJS_MODES, gpujsBackend, headlessGlSoftwareReason } from './gpujs/index';
import { isWasmAvailable, wasmBackend, wasmUnavailableReason } from './wasm/index';

/** The WebAssembly SIMD backend, or an error saying why it cannot run (its kernels are not built). */
function wasmOrError(): Backend {
  if (!isWasmAvailable()) throw new BackendUnavailableError(`the wasm backend cannot run: ${wasmUnavailableReason() ?? 'unknown reason'}`);
  return wasmBackend();
}

const factories: Record<string, () => Backend> = {
  cpu: cpuBackend,
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

function create(name: string): Backend {
  const f = factories[name];
  if (!f) throw new UnknownNameError('backend', name, knownBackendNames());
  return f();
}

/**
 * The backend a name asks for (default `"cpu"`), and how it was chosen.
 * @throws {@link UnknownNameError} listing the known names; {@link BackendUnavailableError} saying why when a
 *   backend asked for by name (including `gpujs`, when no gpu.js mode runs) cannot run here.
 */
export function resolveBackend(name = 'cpu'): ResolvedBackend {
  const req = parseBackendName(name);
  if (req.kind === 'named') return { backend: create(req.name), requested: name, resolved: req.name };
  if (req.kind === 'gpujs-best') {
    const best = bestGpujsMode();
    if (best.mode === null) throw new BackendUnavailableError(`no gpu.js mode can run here: ${best.skipped.join('; ')}`);
    const resolved = `gpujs:${best.mode}`;
    return { backend: create(resolved), requested: name, resolved, ...(best.skipped.length ? { skipped: best.skipped } : {}) };
  }
  // auto: the accelerated CPU backends (wasm SIMD) first: on this toolkit's sparse layers they beat gpu.js,
  // which reads every op's output back; then a gpu.js GL backend on a real GPU; then the reference.
  const skipped: string[] = [];
  const software = headlessGlSoftwareReason();
  const candidates = software === null ? [...autoCandidates, 'gpujs:headlessgl'] : [...autoCandidates];
  for (const candidate of [...candidates, 'cpu']) {
    try {
      const backend = create(candidate);
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
 * {@link resolveBackend}.
 * @throws {@link UnknownNameError} listing the known backends; {@link BackendUnavailableError} when it cannot run.
 */
export function getBackend(name = 'cpu'): Backend {
  return resolveBackend(name).backend;
}

/**
 * Registers a backend factory (used by optional backends that load lazily).
 * @param options.auto - let `auto` choose it (before the CPU reference, after earlier registrations).
 */
export function registerBackend(name: string, factory: () => Backend, options: { readonly auto?: boolean } = {}): void {
  factories[name] = factory;
  if (options.auto && !autoCandidates.includes(name)) autoCandidates.push(name);
}
