/**
 * Ablation grids: a base config, axes (any config keys with lists of values) and seeds, expanded into
 * one run config per cell.
 *
 * Grid JSON: `{ "name"?: string, "base": { "preset"?: NAME, ...config }, "axes": { "<dotted key>": [values] },
 * "seeds": [1, 2, 3] }`. Axis keys are the same dotted keys as `train --set` (e.g. `policy`,
 * `policy.zeta`, `model.sparsity.eps`, `training.epochs`). Each cell's config is the preset, then the base,
 * then the cell's axis values, then its seed; it is validated before anything runs.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { policyFrom } from '../evolution/registry';
import { parseRunConfig, setDotted, type RunConfig } from './config';
import { preset } from './presets';

/** The zod schema of a grid description. */
export const gridSchema = z.strictObject({
  name: z.string().default('ablation'),
  base: z.record(z.string(), z.unknown()).default({}),
  axes: z.record(z.string(), z.array(z.unknown()).min(1)).default({}),
  seeds: z.array(z.number().int().min(0)).min(1).default([0]),
});

/** A grid description with defaults filled in. */
export type Grid = z.output<typeof gridSchema>;

/** One cell of a grid: a complete, validated run config. */
export interface Cell {
  /** Stable identifier: a hash of the cell's full config (so an edited grid gets new ids). */
  readonly id: string;
  /** Position in the expanded grid (axes in order, then seeds). */
  readonly index: number;
  /** The axis values of this cell, by axis key. */
  readonly axes: Readonly<Record<string, unknown>>;
  readonly seed: number;
  readonly config: RunConfig;
}

/**
 * Validates a grid description.
 * @throws {@link ConfigError} naming the bad field.
 */
export function parseGrid(input: unknown): Grid {
  const r = gridSchema.safeParse(input);
  if (!r.success) {
    throw new ConfigError(`invalid ablation grid:\n${r.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n')}`);
  }
  return r.data;
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Expands a grid into its cells (cartesian product of the axes, times the seeds), validating every
 * cell's config and policy before returning.
 * @throws {@link ConfigError} or {@link UnknownNameError} naming the cell and the problem.
 */
export function expandGrid(input: unknown): Cell[] {
  const grid = parseGrid(input);
  const { preset: presetName, ...base } = grid.base as Record<string, unknown> & { preset?: unknown };
  if (presetName !== undefined && typeof presetName !== 'string') throw new ConfigError(`base.preset must be a preset name, got ${JSON.stringify(presetName)}`);
  const start = { ...(presetName ? (preset(presetName) as Record<string, unknown>) : {}), ...base };
  const keys = Object.keys(grid.axes);
  let combos: Record<string, unknown>[] = [{}];
  for (const k of keys) combos = combos.flatMap((c) => grid.axes[k]!.map((v) => ({ ...c, [k]: v })));
  const cells: Cell[] = [];
  for (const combo of combos) {
    for (const seed of grid.seeds) {
      let raw: Record<string, unknown> = start;
      for (const k of keys) raw = setDotted(raw, k, combo[k]);
      raw = { ...raw, seed, name: `${grid.name}/${keys.map((k) => `${k}=${JSON.stringify(combo[k])}`).join(',') || 'base'}/seed=${seed}` };
      let config: RunConfig;
      try {
        config = parseRunConfig(raw);
        policyFrom(config.policy as never);
      } catch (e) {
        throw new ConfigError(`grid cell ${JSON.stringify({ ...combo, seed })}: ${(e as Error).message}`);
      }
      const id = createHash('sha256').update(canonical(config)).digest('hex').slice(0, 12);
      cells.push({ id, index: cells.length, axes: combo, seed, config });
    }
  }
  const ids = new Set(cells.map((c) => c.id));
  if (ids.size !== cells.length) throw new ConfigError('the grid has duplicate cells (an axis repeats a value)');
  return cells;
}
