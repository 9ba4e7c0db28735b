/**
 * The confusion matrix (issue 18): counts from labels and predictions or from a model on a data set, and
 * its figure with the data's class names on the axes.
 */
import { describe, expect, it } from 'vitest';
import { DataError, InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { DenseDataset } from '../../toolkit/src/data/dataset';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';
import { confusionMatrixFigure } from '../../toolkit/src/plots/confusion';
import { confusionMatrix } from '../../toolkit/src/train/metrics';
import { mlp } from '../../toolkit/src/train/model';

describe('confusionMatrix', () => {
  it('counts (true, predicted) pairs by hand', () => {
    const cm = confusionMatrix([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 1, 2, 0, 2]);
    expect(cm.counts).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 2],
    ]);
    expect(cm.classNames).toEqual(['0', '1', '2']);
    expect(cm.total).toBe(7);
    expect(cm.accuracy).toBeCloseTo(5 / 7, 15);
    // Classes that never occur still get their row and column when nClasses says so.
    expect(confusionMatrix([0], [0], { nClasses: 3 }).counts).toEqual([[1, 0, 0], [0, 0, 0], [0, 0, 0]]);
  });

  it('refuses lengths that differ and classes out of range', () => {
    expect(() => confusionMatrix([0, 1], [0])).toThrow(ShapeError);
    expect(() => confusionMatrix([0, 3], [0, 1], { nClasses: 3 })).toThrow(/label 1 is 3, expected an integer class in \[0, 3\)/);
    expect(() => confusionMatrix([0, 1], [0, 1.5])).toThrow(DataError);
    expect(() => confusionMatrix([0], [0], { classNames: ['a', 'b'], nClasses: 3 })).toThrow(/2 class names for 3 classes/);
  });

  it('of a model on a data set: its predictions against the labels, with the data set\'s class names', async () => {
    const base = syntheticClassification({ nSamples: 240, nFeatures: 6, nClasses: 3, seed: 4 });
    const data = new DenseDataset('named', base.features, base.labels, 6, 3, undefined, { classNames: ['cat', 'dog', 'bird'] });
    const model = mlp([6, 12, 3], { seed: 1, backend: 'cpu' }).compile({ optimizer: { name: 'sgd', lr: 0.1 } });
    await model.fit(data, { epochs: 3, batchSize: 40, verbose: 0 });
    const cm = confusionMatrix(model, data);
    const { classes } = model.predict(data);
    expect(cm.counts).toEqual(confusionMatrix(data.labels, classes, { nClasses: 3 }).counts);
    expect(cm.classNames).toEqual(['cat', 'dog', 'bird']);
    expect(cm.accuracy).toBeCloseTo(model.evaluate(data).accuracy, 12);
    expect(cm.counts.map((r) => r.reduce((a, b) => a + b, 0))).toEqual([0, 1, 2].map((c) => data.labels.filter((l) => l === c).length));
  });
});

describe('confusionMatrixFigure', () => {
  const cm = { counts: [[8, 2], [1, 9]], classNames: ['no', 'yes'], total: 20, accuracy: 0.85 };

  it('draws the counts with the class names on both axes, true classes down from the top', () => {
    const fig = confusionMatrixFigure(cm);
    const trace = fig.data[0] as { type: string; z: number[][]; x: string[]; y: string[]; texttemplate?: string };
    expect(trace.type).toBe('heatmap');
    expect(trace.z).toEqual([[8, 2], [1, 9]]);
    expect(trace.x).toEqual(['no', 'yes']);
    expect(trace.y).toEqual(['no', 'yes']);
    expect(trace.texttemplate).toBe('%{z}');
    expect(fig.layout.xaxis?.title).toMatchObject({ text: 'predicted class' });
    expect(fig.layout.yaxis?.title).toMatchObject({ text: 'true class' });
    expect(fig.layout.yaxis?.autorange).toBe('reversed');
    expect(JSON.stringify(fig.layout.annotations)).toContain('20 samples, accuracy 85.00%');
  });

  it('normalises each true class to fractions when asked', () => {
    const trace = confusionMatrixFigure(cm, { normalize: true }).data[0] as { z: number[][] };
    expect(trace.z).toEqual([[0.8, 0.2], [0.1, 0.9]]);
    for (const row of trace.z) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('keeps repeated class names apart and refuses a matrix that is not square', () => {
    const trace = confusionMatrixFigure({ ...cm, classNames: ['x', 'x'] }).data[0] as { x: string[] };
    expect(trace.x).toEqual(['x (0)', 'x (1)']);
    expect(() => confusionMatrixFigure({ ...cm, counts: [[1, 2]] })).toThrow(InvalidArgumentError);
  });
});
