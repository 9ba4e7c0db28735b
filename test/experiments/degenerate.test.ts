/**
 * Degenerate runs are errors, never silent: training data with a single class, an evolution policy whose
 * `layers` name no evolvable layer, a LIBSVM feature index far beyond the rest, and a checkpoint of another
 * network resumed under a config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DataError } from '../../toolkit/src/core/errors';
import { loadLibsvm, loadLibsvmRun } from '../../toolkit/src/data/libsvm';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { checkTrainingClasses } from '../../toolkit/src/experiments/data';
import { runConfig } from '../../toolkit/src/experiments/run';
import { checkCheckpointArchitecture, loadCheckpoint, mlpArchitecture, networkArchitecture, saveCheckpoint } from '../../toolkit/src/io/checkpoint';
import { mlp } from '../../toolkit/src/train/model';
import { tempDir, wideSparseLibsvm, write } from '../data/wide-fixtures';

const dir = tempDir('degenerate');
const quick = { training: { epochs: 1, batchSize: 16 }, backend: 'cpu', model: { hidden: [8] } };

describe('training data with a single class', () => {
  it('is refused by runConfig, naming the data set and the class', async () => {
    const file = write(dir, 'one-class.svm', Array.from({ length: 30 }, (_, s) => `7 ${1 + (s % 5)}:1 ${6 + (s % 3)}:0.5`).join('\n') + '\n');
    const error = await runConfig({ ...quick, data: { name: 'libsvm', file } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    // The name of the part it trains on (the training part of the file, less any validation part).
    expect((error as Error).message).toMatch(/^training data "[^"]*one-class\.svm\/train[^"]*" has a single class: all \d+ samples are class 0 \("7"\)/);
    expect((error as Error).message).toContain('class 0 ("7")');
  });

  it('checkTrainingClasses passes data with two classes or more', () => {
    const data = syntheticClassification({ nSamples: 20, nFeatures: 4, nClasses: 2, seed: 1 });
    expect(() => checkTrainingClasses(data)).not.toThrow();
  });
});

describe('policy.layers naming layers that cannot evolve', () => {
  // 16 -> 24 -> 20 -> 3 at eps 3: linear layers 0 and 1 are sparse, 2 is fully connected (p >= 1).
  const model = () => mlp([16, 24, 20, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 1 });

  it('compile refuses an index beyond the network, listing the layers and the evolvable indices', () => {
    const error = (() => {
      try {
        model().compile({ policy: { policy: 'set', layers: [0, 5] } });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('policy.layers names 5 (no such layer)');
    expect(message).toContain('0 (layers.0, sparse-linear 16 -> 24)');
    expect(message).toContain('2 (layers.2, sparse-linear 20 -> 3, not evolvable)');
    expect(message).toContain('Evolvable layer indices: 0, 1');
  });

  it('compile refuses a layer that exists but cannot evolve; accepts evolvable ones, "all" and "hidden"', () => {
    expect(() => model().compile({ policy: { policy: 'set', layers: [2] } })).toThrow(/names 2 \(cannot evolve: fully connected\)/);
    expect(() => model().compile({ policy: { policy: 'set', layers: [0, 1] } })).not.toThrow();
    expect(() => model().compile({ policy: { policy: 'set', layers: 'hidden' } })).not.toThrow();
    expect(() => model().compile({ policy: 'set' })).not.toThrow();
  });

  it('runConfig stops before training', async () => {
    const data = { name: 'synthetic', nSamples: 100, nFeatures: 8, nClasses: 2 };
    await expect(runConfig({ ...quick, data, policy: { policy: 'set', layers: [3] } })).rejects.toThrow(/policy\.layers names 3 \(no such layer\)/);
  });
});

describe('a LIBSVM feature index far beyond the rest', () => {
  const lines = Array.from({ length: 40 }, (_, s) => `${s % 2} ${1 + (s % 7)}:1 ${100 + (s % 900)}:0.25`);
  const stray = [...lines.slice(0, 12), '1 3:1 1000000000:2', ...lines.slice(12)];

  it('is refused, naming the file, the line and the index, and how to accept it', () => {
    const file = write(dir, 'stray.svm', stray.join('\n') + '\n');
    expect(() => loadLibsvm(file)).toThrow(DataError);
    expect(() => loadLibsvm(file)).toThrow(`${file}, line 13: feature index 1000000000 is far beyond the others`);
    expect(() => loadLibsvm(file)).toThrow(/--set data\.nFeatures=1000000000/);
    // In a train/test pair the stray index may sit in either file.
    const train = write(dir, 'clean-train.svm', lines.join('\n') + '\n');
    expect(() => loadLibsvmRun({ train, test: file })).toThrow(`${file}, line 13: feature index 1000000000`);
  });

  it('data.nFeatures bounds it: an index beyond is an error naming the line; a width that covers it accepts it', () => {
    const file = write(dir, 'stray2.svm', stray.join('\n') + '\n');
    expect(() => loadLibsvm(file, { nFeatures: 1000 })).toThrow(`${file}, line 13, column 7 (token 3 '1000000000:2'): feature index 1000000000 is beyond nFeatures = 1000`);
    expect(loadLibsvm(file, { nFeatures: 1_000_000_000 }).nFeatures).toBe(1_000_000_000);
  });

  it('leaves ordinary wide data and small widths alone', () => {
    expect(loadLibsvm(write(dir, 'wide.svm', wideSparseLibsvm(200_000, 30, 2))).nFeatures).toBeGreaterThan(100_000);
    // Below 100,000 features a stray index costs little: accepted.
    expect(loadLibsvm(write(dir, 'narrow.svm', [...lines, '1 50000:1'].join('\n') + '\n')).nFeatures).toBe(50000);
  });
});

describe('resuming from a checkpoint of another network', () => {
  it('checkCheckpointArchitecture names both architectures', () => {
    const m = mlp([6, 5, 3], { sparsity: { kind: 'erdos-renyi', eps: 2 }, seed: 1 }).compile();
    const file = path.join(dir, 'arch-checkpoint.json');
    saveCheckpoint(m, file);
    const loaded = loadCheckpoint(file).model;
    expect(networkArchitecture(loaded.network)).toEqual(['sparse-linear 6->5', 'relu', 'sparse-linear 5->3']);
    const model = { sparsity: { kind: 'erdos-renyi' }, activation: 'relu', dropout: 0 };
    expect(() => checkCheckpointArchitecture(file, loaded, mlpArchitecture([6, 5, 3], model))).not.toThrow();
    expect(() => checkCheckpointArchitecture(file, loaded, mlpArchitecture([6, 9, 3], model))).toThrow(
      `cannot resume from ${file}: it holds the network [sparse-linear 6->5, relu, sparse-linear 5->3] but the config asks for [sparse-linear 6->9, relu, sparse-linear 9->3]`,
    );
    expect(() => checkCheckpointArchitecture(file, loaded, mlpArchitecture([6, 5, 3], { ...model, activation: 'tanh' }))).toThrow(ConfigError);
    expect(() => checkCheckpointArchitecture(file, loaded, mlpArchitecture([6, 5, 3], { ...model, sparsity: { kind: 'dense' } }))).toThrow(ConfigError);
  });

  it('runConfig with resume refuses a config whose layer sizes differ from the checkpoint, naming both', async () => {
    const out = fs.mkdtempSync(path.join(dir, 'resume-'));
    const data = { name: 'synthetic', nSamples: 100, nFeatures: 8, nClasses: 2 };
    // Interrupted after its first epoch, so the folder holds a checkpoint to resume.
    const stop = new AbortController();
    await runConfig({ ...quick, data, training: { epochs: 3, batchSize: 16 } }, {
      outDir: out, signal: stop.signal, callbacks: { onEpochEnd: () => stop.abort('test') },
    }).catch(() => undefined);
    expect(fs.existsSync(path.join(out, 'checkpoint.json'))).toBe(true);
    const error = await runConfig({ ...quick, data, model: { hidden: [12] }, training: { epochs: 3, batchSize: 16 } }, { outDir: out, resume: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('[sparse-linear 8->8, relu, sparse-linear 8->2]');
    expect((error as Error).message).toContain('[sparse-linear 8->12, relu, sparse-linear 12->2]');
  });
});
