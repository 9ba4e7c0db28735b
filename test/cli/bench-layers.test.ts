/**
 * The bench's layer profile (`bench --sections layers`): one line per layer of 784-W-W-W-10 with its
 * connections and forward/backward time, and parts that add up to the step it reports.
 */
import { expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { layerProfiles } from '../../toolkit/src/cli/bench-scale';

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
