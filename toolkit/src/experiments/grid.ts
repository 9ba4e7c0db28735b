/**
 * Ablation grids: a base config, axes (any config keys with lists of values) and seeds, expanded into
 * one run config per cell.
 *
 * Grid JSON: `{ "name"?: string, "base": { "preset"?: NAME, ...config }, "axes": { "<dotted key>": [values] },
 * "seeds": [1, 2, 3] }`. Axis keys are the same dotted keys as `train --set` (e.g. `policy`,
 * `policy.zeta`, `model.sparsity.eps`, `training.epochs`). Each cell's config is the preset, then the base,
 * then the cell's axis values, merged deeply by the rule of experiments/merge, then its seed; it is
 * validated before anything runs. A cell's `name` is a label, `GRID[axis=value,...,seed=S]`; cells run in
 * folders named by their id, never by their name.
 *
 * A grid of more than {@link DEFAULT_MAX_CELLS} cells is refused unless confirmed with a larger `maxCells`
 * (`ablate --max-cells N`): the count is the product of the axes' lengths and the number of seeds, checked
 * before any cell is built, so a grid of millions of cells fails at once instead of filling the memory.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import { policyFrom } from '../evolution/registry';
import { parseRunConfig, runNameProblem, type RunConfig } from './config';
import { assertSafeKeys, dottedObject, FORBIDDEN_KEYS, mergeConfig } from './merge';
import { preset } from './presets';

/** The most cells a grid may have unless the caller confirms a larger bound (`maxCells`, `ablate --max-cells`). */
export const DEFAULT_MAX_CELLS = 1000;

/** The zod schema of a grid description. */
export const gridSchema = z.strictObject({
  name: z
    .string()
    .default('ablation')
    .superRefine((name, ctx) => {
      const problem = runNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: `the grid name ${JSON.stringify(name)} ${problem}` });
    }),
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
  assertSafeKeys(input, 'ablation grid');
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

/** Options of {@link expandGrid}. */
export interface ExpandOptions {
  /** The most cells allowed (default {@link DEFAULT_MAX_CELLS}); a larger grid is refused before expansion. */
  readonly maxCells?: number;
}

/** The number of cells of a grid: the product of its axes' lengths, times its seeds. */
export function gridCellCount(grid: Grid): number {
  return Object.values(grid.axes).reduce((n, values) => n * values.length, grid.seeds.length);
}

/**
 * The label of a cell: `GRID[axis=value,...,seed=S]`. Path separators and control characters in the values
 * are percent-encoded, so the label is a valid run name (see {@link runNameProblem}).
 */
function cellName(grid: string, keys: readonly string[], combo: Record<string, unknown>, seed: number): string {
  const parts = [...keys.map((k) => `${k}=${JSON.stringify(combo[k])}`), `seed=${seed}`];
  return `${grid}[${parts.join(',')}]`.replace(/[/\\\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * Expands a grid into its cells (cartesian product of the axes, times the seeds), validating every
 * cell's config and policy before returning. Each cell's config is the preset, then `base`, then the
 * cell's axis values, merged deeply ({@link mergeConfig}).
 * @throws {@link ConfigError} or {@link UnknownNameError} naming the cell and the problem; {@link ConfigError}
 *   before anything is built when the grid has more than `maxCells` cells.
 */
export function expandGrid(input: unknown, options: ExpandOptions = {}): Cell[] {
  const grid = parseGrid(input);
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  if (!(Number.isInteger(maxCells) && maxCells >= 1)) throw new ConfigError(`maxCells must be an integer >= 1, got ${maxCells}`);
  const count = gridCellCount(grid);
  if (count > maxCells) {
    const shape = [...Object.entries(grid.axes).map(([k, v]) => `${v.length} ${k}`), `${grid.seeds.length} seeds`].join(' x ');
    throw new ConfigError(
      `the grid has ${count} cells (${shape}), more than the bound of ${maxCells}; ` +
        `if you mean it, confirm with --max-cells ${count} (or the maxCells option)`,
    );
  }
  for (const k of Object.keys(grid.axes)) {
    const bad = k.split('.').find((p) => FORBIDDEN_KEYS.includes(p));
    if (bad !== undefined) throw new ConfigError(`grid axis "${k}": "${bad}" is not allowed in a key (${FORBIDDEN_KEYS.join(', ')} are never config keys)`);
  }
  const { preset: presetName, ...base } = grid.base as Record<string, unknown> & { preset?: unknown };
  if (presetName !== undefined && typeof presetName !== 'string') throw new ConfigError(`base.preset must be a preset name, got ${JSON.stringify(presetName)}`);
  const start = mergeConfig(presetName ? (preset(presetName) as Record<string, unknown>) : {}, base, 'the grid base');
  const keys = Object.keys(grid.axes);
  let combos: Record<string, unknown>[] = [{}];
  for (const k of keys) combos = combos.flatMap((c) => grid.axes[k]!.map((v) => ({ ...c, [k]: v })));
  const cells: Cell[] = [];
  for (const combo of combos) {
    for (const seed of grid.seeds) {
      let config: RunConfig;
      try {
        let raw: Record<string, unknown> = start;
        for (const k of keys) raw = mergeConfig(raw, dottedObject(k, combo[k]), `grid axis "${k}"`);
        raw = { ...raw, seed, name: cellName(grid.name, keys, combo, seed) };
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
