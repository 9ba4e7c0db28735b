/**
 * Run manifests: everything needed to know what ran, where, and with what.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { version } from '../version';

/** The facts recorded for every run. */
export interface Manifest {
  readonly format: 'synapses-ts/manifest';
  readonly formatVersion: 1;
  readonly name: string;
  /** The full config, defaults filled in. */
  readonly config: unknown;
  readonly seed: number;
  readonly toolkitVersion: string;
  readonly dependencies: Record<string, string>;
  readonly node: string;
  readonly machine: { platform: string; arch: string; cpus: number; cpuModel: string; memoryGiB: number; hostname: string };
  /**
   * The backend that ran: its name and real mode (e.g. `gpujs` / `webasm`), the name asked for, the
   * concrete backend it resolved to, and, when `auto` did not get its first choice, what it skipped and why.
   */
  readonly backend: ManifestBackend;
  readonly startedAt: string;
  endedAt?: string;
  status: 'running' | 'finished' | 'failed';
  error?: string;
  /** Extra facts (connection counts, data sizes...). */
  readonly facts: Record<string, unknown>;
}

/** The backend facts of a manifest. */
export interface ManifestBackend {
  readonly name: string;
  readonly mode: string;
  /** Threads that ran the kernels (1 for single-threaded backends). */
  readonly threads?: number;
  /** Whether op outputs stayed on a device between ops (gpu.js GL modes with residency on). */
  readonly resident?: boolean;
  readonly requested?: string;
  readonly resolved?: string;
  readonly fellBack?: string;
}

/**
 * Installed version of an npm package, or "missing". Packages whose `exports` hide `package.json` are found
 * from their entry point, walking up to the folder whose `package.json` names them.
 */
export function packageVersion(name: string): string {
  const read = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
  try {
    return read(require.resolve(`${name}/package.json`)).version ?? 'unknown';
  } catch {
    try {
      let dir = path.dirname(require.resolve(name));
      for (;;) {
        const file = path.join(dir, 'package.json');
        if (fs.existsSync(file) && read(file).name === name) return read(file).version ?? 'unknown';
        const up = path.dirname(dir);
        if (up === dir) return 'missing';
        dir = up;
      }
    } catch {
      return 'missing';
    }
  }
}

/** Describes this machine. */
export function machineInfo(): Manifest['machine'] {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    hostname: os.hostname(),
  };
}

/** A new manifest for a run that starts now. */
export function createManifest(
  name: string, config: unknown, seed: number, backend: ManifestBackend, facts: Record<string, unknown> = {},
): Manifest {
  return {
    format: 'synapses-ts/manifest',
    formatVersion: 1,
    name,
    config,
    seed,
    toolkitVersion: version,
    dependencies: Object.fromEntries(
      ['mnist', 'zod', 'commander', 'cli-progress', 'piscina', 'danfojs-node', 'plotly.js-dist', 'playwright-core', ...(backend.name === 'gpujs' ? ['gpu.js', 'gl'] : [])]
        .map((d) => [d, packageVersion(d)]),
    ),
    node: process.version,
    machine: machineInfo(),
    backend,
    startedAt: new Date().toISOString(),
    status: 'running',
    facts,
  };
}
