#!/usr/bin/env node
/**
 * The `synapses-ts` command line.
 *
 * @packageDocumentation
 */
import { Command } from 'commander';
import * as os from 'node:os';
import { RunInterruptedError, SynapsesError } from '../core/errors';
import { DEFAULT_MAX_CELLS } from '../experiments/grid';
import { presetNames } from '../experiments/presets';
import { version } from '../version';
import { ablateCommand } from './ablate';
import { ablateTaskCommand } from './ablate-slurm';
import { benchCommand } from './bench';
import { plotCommand } from './plot';
import { addResultCommands, TRAIN_DATA_HELP } from './result-commands';
import { selectCommand, type SelectCommandOptions } from './select';
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
  .option('-b, --backend <name>', 'compute backend: cpu (the reference), gpujs (the best gpu.js mode here), gpujs:MODE (headlessgl, webasm, cpu, webgpu) or auto')
  .option('-t, --threads <n>', 'threads of the wasm backend (default: every core, or SYNAPSES_THREADS); results do not depend on it')
  .option('-o, --out <dir>', 'output folder (default: runs/<name>, or runs/<name>-2, -3 ... when an earlier run holds it); locked while the run goes on')
  .option('--resume', 'continue the run in the output folder from its last checkpoint (same config; the result is as if never interrupted)')
  .option('--overwrite', 'replace the run in the output folder (a folder holding a run is refused without --resume or --overwrite)')
  .option('--max-memory <size>', "refuse a run whose memory estimate exceeds SIZE, e.g. 8G or 512M (default: 90% of this machine's memory)")
  .option('--json', 'print the result as one JSON object on the last line of stdout')
  .option('--no-progress', 'no progress display')
  .option('--no-figures', 'do not write the standard figures into <out>/figures')
  .option('--print-config', 'print the fully resolved config (every default filled in, the policy expanded) as JSON and exit without training')
  .addHelpText('after', TRAIN_DATA_HELP)
  .action(trainCommand);

program
  .command('ablate')
  .description('run an ablation grid (base config x axes x seeds) in parallel workers; resumable; writes results.jsonl and tables. A failing run is recorded and listed last, the others go on; exit code 1 when some runs failed (rerun to retry them), 2 for an invalid grid')
  .argument('<grid>', 'grid JSON: { base: { preset?, ...config }, axes: { "dotted.key": [values] }, seeds: [..] }')
  .option('-w, --workers <n>', 'worker threads (default: the number of cores; 0 runs in this thread)')
  .option('--max-cells <n>', `run a grid of more than ${DEFAULT_MAX_CELLS} cells (axes x seeds): the largest number of cells you mean to run`)
  .option('-o, --out <dir>', 'output folder (default runs/<grid file name>)')
  .option('--no-progress', 'no progress bar')
  // --- Slurm (cli/ablate-slurm): one job array per grid, requeued before time limits. ---
  .option('--executor <name>', 'local (worker threads, the default) or slurm (one job array of the unfinished runs; see --status)')
  .option('--partition <name>', 'slurm: the partition (default: the cluster\'s default)')
  .option('--time <limit>', 'slurm: time limit of each task, e.g. 02:00:00 (a task near its limit checkpoints and is requeued)')
  .option('--cpus-per-task <n>', 'slurm: CPUs of each task, used as its backend\'s threads (default 1)')
  .option('--mem <size>', 'slurm: memory of each task, e.g. 4G')
  .option('--max-parallel <k>', 'slurm: at most K tasks of the array at once')
  .option('--sbatch-arg <arg>', 'slurm: one more sbatch option, e.g. --sbatch-arg=--qos=short (repeatable)', collect, [])
  .option('--signal-before <seconds>', 'slurm: seconds before the time limit at which a task checkpoints and requeues (default 120, at most half of --time)')
  .option('--dry-run', 'slurm: print the sbatch script without writing or submitting anything')
  .option('--wait', 'slurm: wait until the array ends, then write the tables as a local run does')
  .option('--status', 'the argument is an ablation folder: show each run\'s state (finished, failed, running, pending), Slurm job and task, node and log')
  .action(ablateCommand);

program
  .command('ablate-task', { hidden: true })
  .description('internal: run the cells of one Slurm array task (what the sbatch script of ablate --executor slurm runs)')
  .argument('<dir>', 'the ablation folder')
  .requiredOption('--submission <n>', 'the submission number (DIR/slurm/submission-N.json)')
  .action(ablateTaskCommand);

program
  .command('bench')
  .description(
    'measure the fashion-mnist-set network (s per epoch, evolution, samples/s, GFLOP/s per kernel, ms per op, peak memory), ' +
      'a dense TensorFlow.js baseline, cost against eps and width, and the SET scaling experiment',
  )
  .option('--epochs <n>', 'timed epochs (median reported)', '3')
  .option('--batch <list>', 'batch sizes, comma-separated', '128,40')
  .option('--sections <list>', 'epoch, dense, cost, layers (where a step of the costliest and cheapest cost cells goes), scale, wide (10^5 and 10^6 sparse input features; minutes, not in the default) (comma-separated)', 'epoch,dense,cost,layers,scale')
  .option('--scale-ns <list>', 'hidden sizes N of the scaling experiment (3 hidden layers each)', '3000,30000,300000,350000')
  .option('--threads <list>', 'thread counts of the wasm backend to time, comma-separated (default: 1 and every core); cost and scale use the largest')
  .option('--cost-samples <n>', 'samples timed per cell of the eps x width table', '2048')
  .option('--scale-point <n>', 'internal: run one scaling point and print it as JSON')
  .option('--wide-features <list>', 'input widths of the wide section (sparse inputs; not in the default sections: add --sections wide)', '100000,1000000')
  .option('--wide-dense <list>', 'widths of the wide section also timed with dense input batches, for comparison ("none" for none)', '100000,1000000')
  .option('--wide-nnz <n>', 'non-zeros per sample of the wide section\'s synthetic data', '1000')
  .option('--wide-point <spec>', 'internal: run one wide point (FEATURES:sparse|dense) and print it as JSON')
  .option('--limit <n>', 'training samples per timed epoch (default: all 60,000; 2048 with --backend all, scaled to 60,000)')
  .option('--backend <name>', 'backend: cpu, gpujs, gpujs:MODE, auto, a registered backend, or all (every backend and gpu.js mode that runs here)', 'auto')
  .option('--data <name>', 'fashion-mnist or synthetic', 'fashion-mnist')
  .option('--out <file>', 'also write the results as JSON', 'bench-results/bench.json')
  .action(benchCommand);

program
  .command('plot')
  .description('write the standard figures of a run or ablation folder: figures.html, plus SVG/PNG/PDF when Chromium is installed')
  .argument('<dir>', 'a run folder written by train, or an ablation folder written by ablate (cells.json, results.jsonl)')
  .option('-o, --out <dir>', 'output folder (default <run-dir>/figures)')
  .option('-f, --format <list>', 'image formats, comma-separated: svg,png,pdf (html is always written; default: all when Chromium is installed)')
  .option('--scale <n>', 'PNG pixels per CSS pixel (default 2; 3.125 = 300 dpi)')
  .action(plotCommand);

program
  .command('select')
  .description('rank the input features of a trained run by its input layer (strength: sum |w|; degree: connections kept; persistence: connection-epochs survived) and write the top K as CSV')
  .argument('<run-dir>', 'a run folder written by train (model.json; feature-history.json for persistence)')
  .option('-m, --method <name>', 'strength, degree or persistence', 'strength')
  .option('-k, --top <k>', 'keep the K best features (default: all)')
  .option('-o, --out <file>', 'CSV file to write (default: print to stdout)')
  .option('-e, --epoch <n>', 'rank the input layer as it was after N epochs (0 = before training; strength or degree), from the run\'s feature-snapshots.jsonl')
  // Only the folder and the options: commander's third argument is its Command, not selectCommand's writer.
  .action((dir: string, o: SelectCommandOptions) => selectCommand(dir, o));

addResultCommands(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof RunInterruptedError) {
    // The conventional exit status of a process ended by a signal: 128 + its number (130 SIGINT, 143 SIGTERM).
    process.stderr.write(`synapses-ts: ${e.message}\n`);
    process.exit(128 + ((e.signal && os.constants.signals[e.signal as NodeJS.Signals]) || 2));
  }
  if (e instanceof SynapsesError) {
    process.stderr.write(`synapses-ts: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
});
