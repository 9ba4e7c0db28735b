/**
 * Backend registry: resolves a backend by name and says which one is in use.
 *
 * @packageDocumentation
 */
import { UnknownNameError } from '../core/errors';
import type { Backend } from './backend';
import { cpuBackend } from './cpu/index';

const factories: Record<string, () => Backend> = {
  cpu: cpuBackend,
};

/** Names accepted by {@link getBackend}. */
export function backendNames(): string[] {
  return Object.keys(factories);
}

/**
 * The backend called `name` (default `"cpu"`, the reference).
 * @throws {@link UnknownNameError} listing the known backends.
 */
export function getBackend(name = 'cpu'): Backend {
  const f = factories[name];
  if (!f) throw new UnknownNameError('backend', name, backendNames());
  return f();
}

/** Registers a backend factory (used by optional backends that load lazily). */
export function registerBackend(name: string, factory: () => Backend): void {
  factories[name] = factory;
}
