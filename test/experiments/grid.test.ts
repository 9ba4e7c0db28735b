import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../toolkit/src/core/errors';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { runNameProblem } from '../../toolkit/src/experiments/config';
import { DEFAULT_MAX_CELLS, expandGrid, gridCellCount, parseGrid } from '../../toolkit/src/experiments/grid';

const small = { hidden: [8], sparsity: { kind: 'erdos-renyi', eps: 2 } };

describe('grid cells merge deeply (preset < base < axis)', () => {
  it('a base that sets training.epochs keeps the preset batch size', () => {
    const [cell] = expandGrid({ base: { preset: 'mnist-quick', training: { epochs: 2 } } });
    expect(cell!.config.training).toMatchObject({ epochs: 2, batchSize: 64 });
    expect(cell!.config.model.hidden).toEqual([300, 300]);
  });

  it('an axis value merges over the base; policy settings over a preset name keep the preset', () => {
    const cells = expandGrid({
      base: { preset: 'fashion-mnist-set', model: { hidden: [8] } },
      axes: { 'policy.zeta': [0.1, 0.2], optimizer: [{ lr: 0.5 }, { name: 'adam' }] },
    });
    expect(cells).toHaveLength(4);
    expect(cells[0]!.config.policy).toEqual({ policy: 'set', zeta: 0.1, layers: 'hidden', init: { name: 'he-uniform' } });
    expect(cells[0]!.config.optimizer).toMatchObject({ name: 'sgd', lr: 0.5, momentum: 0.9 });
    expect(cells[1]!.config.optimizer).toMatchObject({ name: 'adam', lr: 0.001 });
    expect(cells[0]!.config.model).toMatchObject({ hidden: [8], activation: { name: 'all-relu', alpha: 0.6 }, dropout: 0.3 });
  });

  it('an unknown axis key is named as written, with the nearest known key', () => {
    expect(() => expandGrid({ axes: { 'training.epoch': [1] } })).toThrow(/grid cell .*training\.epoch: unknown key; did you mean training\.epochs\?/s);
    expect(() => expandGrid({ axes: { epochs: [1] } })).toThrow(/epochs: unknown key; did you mean training\.epochs\?/);
  });
});

describe('cell names are labels, not paths', () => {
  it('GRID[axis=value,...,seed=S], valid as a run name even with / in a value', () => {
    const cells = expandGrid({ name: 'abl', base: { model: small, data: { name: 'idx', dir: '.' } }, axes: { policy: ['set', 'static'], 'data.dir': ['/data/a'] }, seeds: [1] });
    expect(cells[0]!.config.name).toBe('abl[policy="set",data.dir="%2Fdata%2Fa",seed=1]');
    for (const c of cells) expect(runNameProblem(c.config.name)).toBeNull();
    expect(expandGrid({ seeds: [3] })[0]!.config.name).toBe('ablation[seed=3]');
  });

  it('a grid name that is a path is refused', () => {
    expect(() => parseGrid({ name: '../up' })).toThrow(/grid name "\.\.\/up" contains a path separator/);
  });
});

describe('prototype keys in grids are refused', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it.each(['__proto__.polluted', 'constructor.prototype.polluted', 'model.__proto__.polluted'])('axis key "%s"', (key) => {
    expect(() => expandGrid({ axes: { [key]: [1] } })).toThrow(ConfigError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a base holding a __proto__ key (from JSON.parse)', () => {
    const grid = JSON.parse('{"base": {"model": {"__proto__": {"polluted": 1}}}}');
    expect(() => expandGrid(grid)).toThrow(/ablation grid: the key "base\.model\.__proto__" is not allowed/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('grid size bound', () => {
  const values = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it(`refuses more than ${DEFAULT_MAX_CELLS} cells, counted before expansion, and says how to confirm`, () => {
    // 8,000,000 cells: expanding them would take minutes and gigabytes; the count alone refuses at once.
    const huge = { axes: { 'training.epochs': values(200), 'training.batchSize': values(200), 'model.dropout': values(200).map((i) => i / 1000) }, seeds: [0] };
    expect(gridCellCount(parseGrid(huge))).toBe(8_000_000);
    expect(() => expandGrid(huge)).toThrow(/the grid has 8000000 cells \(200 training\.epochs x 200 training\.batchSize x 200 model\.dropout x 1 seeds\), more than the bound of 1000; .*--max-cells 8000000/);
    expect(() => expandGrid(huge, { maxCells: 7_999_999 })).toThrow(ConfigError);
  });

  it('a grid of exactly the bound runs; one more cell needs maxCells', () => {
    const grid = (n: number) => ({ base: { model: small }, axes: { 'training.epochs': values(n) }, seeds: values(10) });
    expect(expandGrid(grid(100))).toHaveLength(1000);
    expect(() => expandGrid({ ...grid(100), seeds: values(11) })).toThrow(/1100 cells/);
    expect(expandGrid({ ...grid(100), seeds: values(11) }, { maxCells: 1100 })).toHaveLength(1100);
    expect(() => expandGrid(grid(1), { maxCells: 0 })).toThrow(/maxCells must be an integer >= 1/);
  });

  it('runAblation refuses a too-large grid before creating its folder', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-grid-')), 'abl');
    await expect(runAblation({ axes: { 'training.epochs': values(1001) } }, { outDir: out, workers: 0 })).rejects.toThrow(/1001 cells/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
