#!/usr/bin/env node
/**
 * The `synapses-ts` command line.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import { SynapsesError } from '../core/errors';
import { presetNames } from '../experiments/presets';
import { version } from '../version';
import { benchCommand } from './bench';
import { trainCommand } from './train';

const program = new Command();
program.name('synapses-ts').description('Truly sparse neural networks with Sparse Evolutionary Training').version(version);

const collect = (value: string, previous: string[]): string[] => [...previous, value];

program
  .command('train')
  .description('train a network from a preset and/or a JSON config, writing metrics, manifest and model to --out')
  .option('-p, --preset <name>', `a run preset (${presetNames().join(', ')})`)
  .option('-c, --config <file>', 'a JSON run config (merged over the preset)')
  .option('-s, --set <key=value>', 'override a config key, e.g. training.epochs=3 or policy.zeta=0.5 (repeatable)', collect, [])
  .option('--seed <n>', 'the run seed')
  .option('-o, --out <dir>', 'output folder (default runs/<name>)')
  .option('--json', 'print the result as one JSON object on the last line of stdout')
  .option('--no-progress', 'no progress display')
  .action(trainCommand);

program
  .command('bench')
  .description('measure seconds per epoch and per evolution step, and kernel GFLOP/s, on the fashion-mnist-set network')
  .option('--epochs <n>', 'timed epochs (median reported)', '3')
  .option('--batch <list>', 'batch sizes, comma-separated', '128')
  .option('--limit <n>', 'training samples per epoch (default: all 60,000)')
  .option('--backend <name>', 'backend', 'cpu')
  .option('--data <name>', 'fashion-mnist or synthetic', 'fashion-mnist')
  .option('--out <file>', 'also write the results as JSON', 'bench-results/bench.json')
  .action(benchCommand);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof SynapsesError) {
    process.stderr.write(`synapses-ts: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
});
