/**
 * The backend test harness: one suite, written once, run against every registered backend with a
 * per-backend tolerance (in the manner of tfjs's `describeWithFlags`). A new backend is tested by
 * registering it in `backend/registry` and, when it is less exact than the reference, by adding a row to
 * {@link TOLERANCES}. A backend that cannot be created here is reported as a skipped suite that says why;
 * it is never silently replaced by another one.
 */
import { describe } from 'vitest';
import type { Backend } from '../../toolkit/src/backend/backend';
import { backendNames, getBackend } from '../../toolkit/src/backend/registry';

/** How close a backend must come to the dense Float64 oracle. */
export interface Tolerance {
  /** Largest allowed max-norm relative error, `max|a - e| / max|e|`. */
  readonly rel: number;
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
};

/** The tolerance of backend `name`. */
export function toleranceOf(name: string): Tolerance {
  return TOLERANCES[name] ?? DEFAULT_TOLERANCE;
}

/**
 * Declares `suite` once per registered backend, inside `describe("<title> [<backend>]")`.
 * @param suite - receives a fresh backend, its name and its tolerance.
 */
export function describeBackends(title: string, suite: (backend: Backend, tol: Tolerance, name: string) => void): void {
  for (const name of backendNames()) {
    let backend: Backend;
    try {
      backend = getBackend(name);
    } catch (e) {
      describe.skip(`${title} [${name}: unavailable: ${(e as Error).message}]`, () => {});
      continue;
    }
    describe(`${title} [${name}/${backend.mode}]`, () => suite(backend, toleranceOf(name), name));
  }
}
