/**
 * The backend test harness: one suite, written once, run against every registered backend with a
 * per-backend tolerance (in the manner of tfjs's `describeWithFlags`). A new backend is tested by
 * registering it in `backend/registry` and, when it is less exact than the reference, by adding a row to
 * {@link TOLERANCES}. A backend that cannot be created here is reported as a skipped suite that says why
 * (a failing one with `CI=true` for the backends set-up provides there, {@link REQUIRED_ON_CI}); it is
 * never silently replaced by another one.
 *
 * A backend that runs its kernels on several threads is tested once per thread count of
 * {@link THREAD_VARIANTS}, with every job split however small (`minParallelWork: 0`), so that each test of
 * the suite is also a test of the thread split.
 */
import { afterAll, describe, it } from 'vitest';
import type { Backend } from '../../toolkit/src/backend/backend';
import { backendNames, getBackend } from '../../toolkit/src/backend/registry';
import { wasmBackend } from '../../toolkit/src/backend/wasm/index';

/** How close a backend must come to the dense Float64 oracle. */
export interface Tolerance {
  /** Largest allowed max-norm relative error, `max|a - e| / max|e|`. */
  readonly rel: number;
  /** Why a backend needs more than {@link DEFAULT_TOLERANCE} (required when it does). */
  readonly why?: string;
}

/** The tolerance every backend gets unless it has its own row below. */
export const DEFAULT_TOLERANCE: Tolerance = { rel: 1e-4 };

/**
 * Per-backend tolerances. The CPU reference computes in float32 with float32 accumulation; a SIMD or GPU
 * backend that reorders sums may need its own (documented) row here, never more than {@link DEFAULT_TOLERANCE}
 * allows without a reason written beside it.
 */
export const TOLERANCES: Readonly<Record<string, Tolerance>> = {
  cpu: { rel: 1e-4 },
  // Same term order as the reference, float32 multiply-add where the reference rounds a double once:
  // measured max-norm relative errors below 1e-6 (test/backend-wasm); element-wise ops are bit-identical.
  wasm: { rel: 1e-4 },
  // gpu.js computes in float32 throughout, hyper-parameters included (the reference rounds some sums and
  // updates from float64), with the mode's own exp/log. Largest errors measured over this suite and
  // test/backend-gpujs, the same in headlessgl, webasm and cpu modes: 1.7e-5 for the SGD velocity of a
  // one-element array where momentum * v nearly cancels the gradient (float32 momentum); every other op
  // 1.7e-6 or less (the CPU reference: 5e-7).
  'gpujs:headlessgl': { rel: 1e-4 },
  'gpujs:webasm': { rel: 1e-4 },
  'gpujs:cpu': { rel: 1e-4 },
  'gpujs:webgpu': { rel: 1e-4 },
};

/**
 * Backends the set-up provides on CI (scripts/setup.sh builds headless-gl, the test run starts a virtual
 * display): with `CI=true` their suites FAIL when they are unavailable, instead of being skipped.
 */
export const REQUIRED_ON_CI: readonly string[] = ['gpujs:headlessgl', 'gpujs:webasm', 'gpujs:cpu'];

/** The tolerance of backend `name`. */
export function toleranceOf(name: string): Tolerance {
  return TOLERANCES[name] ?? DEFAULT_TOLERANCE;
}

/**
 * Declares `suite` once per registered backend, inside `describe("<title> [<backend>]")`.
 * @param suite - receives a fresh backend, its name and its tolerance.
 * @param only - restricts the suite to the backends it accepts (e.g. the gpu.js modes, for their traps).
 */
export function describeBackends(
  title: string, suite: (backend: Backend, tol: Tolerance, name: string) => void, only: (name: string) => boolean = () => true,
): void {
  for (const name of backendNames().filter(only)) {
    let backend: Backend;
    try {
      backend = getBackend(name);
    } catch (e) {
      const why = (e as Error).message;
      if (process.env.CI === 'true' && REQUIRED_ON_CI.includes(name)) {
        describe(`${title} [${name}: required on CI]`, () => {
          it('is available', () => {
            throw new Error(`backend ${name} is unavailable on CI, where set-up provides it: ${why}`);
          });
        });
      } else {
        describe.skip(`${title} [${name}: unavailable: ${why}]`, () => {});
      }
      continue;
    }
    const variants = THREAD_VARIANTS[name];
    if (variants === undefined) {
      describe(`${title} [${name}/${backend.mode}]`, () => suite(hostVisible(backend), toleranceOf(name), name));
      continue;
    }
    for (const threads of variants.threads) {
      describe(`${title} [${name}/${backend.mode}, ${threads} thread${threads === 1 ? '' : 's'}]`, () => {
        const be = variants.create(threads);
        afterAll(() => be.dispose());
        suite(hostVisible(be), toleranceOf(name), name);
      });
    }
  }
}

/** A backend built for one thread count, and how to free its threads. */
type ThreadedBackend = Backend & { dispose(): void };

/**
 * The thread counts each multi-threaded backend is tested with, and how to build it for one: every job is
 * split among the threads however small it is, since the suite's shapes are far below the default threshold.
 */
export const THREAD_VARIANTS: Readonly<Record<string, { readonly threads: readonly number[]; create(threads: number): ThreadedBackend }>> = {
  wasm: { threads: [1, 2], create: (threads) => wasmBackend({ threads, minParallelWork: 0 }) },
};

/**
 * The op suites read every output on the host right after the op, so a backend that keeps outputs on a
 * device (`memory.resident`) is given to them with a `memory.sync()` after every op: each op's result then
 * makes the round trip through the device and back. Chains of ops that stay on the device are tested by
 * test/backend-gpujs/residency.test.ts and by training (test/backend-gpujs/mnist-quick.test.ts).
 */
function hostVisible(backend: Backend): Backend {
  if (!backend.memory.resident) return backend;
  return new Proxy(backend, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        target.memory.sync();
        return r;
      };
    },
  });
}
