/**
 * The bench's layer profile (`bench --sections layers`): one line per layer of 784-W-W-W-10 with its
 * connections and forward/backward time, and parts that add up to the step it reports; and the cost table
 * (`bench --sections cost`), whose figures are the medians of its rounds.
 */
import { expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { costTable, layerProfiles } from '../../toolkit/src/cli/bench-scale';

it('splits a training step by layer and phase, and the parts add up to the step', async () => {
  const lines: string[] = [];
  const [p] = await layerProfiles(getBackend('cpu'), [[5, 40]], 128, 32, (s) => lines.push(s), 3);
  expect(p!.layers.map((l) => l.kind)).toEqual([
    'sparse-linear', 'relu', 'dropout', 'sparse-linear', 'relu', 'dropout', 'sparse-linear', 'relu', 'dropout', 'sparse-linear',
  ]);
  const linear = p!.layers.filter((l) => l.kind === 'sparse-linear');
  expect(linear.reduce((a, l) => a + l.connections!, 0)).toBe(p!.connections);
  for (const l of p!.layers) expect(l.forwardMs).toBeGreaterThanOrEqual(0);
  const parts = p!.layers.reduce((a, l) => a + l.forwardMs + l.backwardMs, 0) + p!.lossMs + p!.optimizerMs + p!.gatherMs;
  expect(parts).toBeCloseTo(p!.stepMs, 9);
  expect(p!.nsPerConnectionSample).toBeCloseTo((p!.stepMs * 1e6) / (p!.connections * 32), 9);
  expect(lines.some((l) => l.startsWith('eps 5, width 40:'))).toBe(true);
});

it('the cost table: one row per cell, each round one fit call of the epochs a timed epoch asked for, the median per round', async () => {
  const lines: string[] = [];
  const rows = await costTable(getBackend('cpu'), [5, 10], [40], 128, 32, (s) => lines.push(s), 3, 0.01);
  expect(rows.map((r) => [r.eps, r.width])).toEqual([[5, 40], [10, 40]]);
  for (const r of rows) {
    expect(r.roundSeconds).toHaveLength(3);
    expect(Number.isInteger(r.epochsPerRound) && r.epochsPerRound >= 1).toBe(true);
    const median = [...r.roundSeconds].sort((a, b) => a - b)[1]!;
    expect(r.epochSeconds).toBeCloseTo((median * 60000) / 128, 9);
    expect(r.nsPerConnectionSample).toBeCloseTo((median * 1e9) / (r.connections * 128), 9);
    expect(r.nsPerConnectionSampleBest).toBeCloseTo((Math.min(...r.roundSeconds) * 1e9) / (r.connections * 128), 9);
  }
  expect(rows[1]!.connections).toBeGreaterThan(rows[0]!.connections);
  expect(lines.at(-2)).toMatch(/^time per connection per sample: min [\d.]+ ns, max [\d.]+ ns \(ratio [\d.]+\)$/);
  expect(lines.at(-1)).toMatch(/^ {2}from each cell's fastest round: min [\d.]+ ns, max [\d.]+ ns \(ratio [\d.]+\)$/);
});
