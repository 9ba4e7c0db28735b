import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { ConfigError, UnknownNameError } from '../../toolkit/src/core/errors';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { Model } from '../../toolkit/src/train/model';
import { featureImportance, FeatureRanking, rankOrder } from '../../toolkit/src/features/importance';
import { InputHistory } from '../../toolkit/src/features/persistence';
import { recoveryAtK } from '../../toolkit/src/features/evaluation';
import { saveModel } from '../../toolkit/src/io/model-file';
import { selectCommand } from '../../toolkit/src/cli/select';

// A 4-input, 2-hidden, 2-output network. Input layer (rows = hidden neurons):
//   row 0: inputs 0, 2 with weights 0.5, -1
//   row 1: input 2 with weight 2, input 3 with weight -0.25
// strength: [0.5, 0, 3, 0.25]; degree: [1, 0, 2, 1].
function tinyNet(): { model: Model; first: SparseLinear } {
  const w = new CsrMatrix(2, 4, Int32Array.from([0, 2, 4]), Int32Array.from([0, 2, 2, 3]), Float32Array.from([0.5, -1, 2, -0.25]));
  const first = new SparseLinear(w, 'layers.0');
  const out = new SparseLinear(new CsrMatrix(2, 2, Int32Array.from([0, 2, 4]), Int32Array.from([0, 1, 0, 1]), Float32Array.from([1, 1, 1, 1])), 'layers.1');
  const model = new Model(new Sequential([first, out], cpuBackend()), 0);
  model.compile({ policy: 'static' });
  return { model, first };
}

describe('featureImportance on a hand-made network (issue 19, point 1)', () => {
  it('strength is the sum of |w| of each input, ranked with ties by index', () => {
    const r = featureImportance(tinyNet().model, { method: 'strength' });
    expect(Array.from(r.scores)).toEqual([0.5, 0, 3, 0.25]);
    expect(Array.from(r.order)).toEqual([2, 0, 3, 1]);
    expect(r.rows(2)).toEqual([{ rank: 1, feature: 2, score: 3 }, { rank: 2, feature: 0, score: 0.5 }]);
    expect(Array.from(r.ranks())).toEqual([2, 4, 1, 3]);
  });

  it('degree counts the connections of each input; ties keep the lower index first', () => {
    const r = featureImportance(tinyNet().model, { method: 'degree' });
    expect(Array.from(r.scores)).toEqual([1, 0, 2, 1]);
    expect(Array.from(r.order)).toEqual([2, 0, 3, 1]);
  });

  it('persistence counts the connection-epochs that survive each epoch', () => {
    const { model, first } = tinyNet();
    const h = new InputHistory(4);
    h.start(model.network);
    // Epoch 0 evolution: row 0 drops input 2 and grows input 1; row 1 keeps inputs 2 and 3.
    first.setWeights(new CsrMatrix(2, 4, Int32Array.from([0, 2, 4]), Int32Array.from([0, 1, 2, 3]), Float32Array.from([0.5, 0.1, 2, -0.25])));
    h.observe(model.network); // survived: input 0 (row 0), input 2 (row 1), input 3 (row 1)
    h.observe(model.network); // unchanged: every connection survives: 0, 1, 2, 3 once each
    expect(Array.from(h.survived)).toEqual([2, 1, 2, 2]);
    expect(h.epochs).toBe(2);
    const r = featureImportance(model, { method: 'persistence', history: h });
    expect(Array.from(r.order)).toEqual([0, 2, 3, 1]);
    // The JSON form round-trips.
    expect(Array.from(InputHistory.fromJson(JSON.parse(JSON.stringify(h.toJson()))).survived)).toEqual([2, 1, 2, 2]);
  });

  it('a dense first layer: strength over the column, degree = non-zero weights, persistence = nOut per epoch', () => {
    // 2 x 3 row-major: [[1, 0, -2], [0.5, 0, 1]]
    const layer = new DenseLinear(3, 2, Float32Array.from([1, 0, -2, 0.5, 0, 1]), 'layers.0');
    const model = new Model(new Sequential([layer], cpuBackend()), 0);
    expect(Array.from(featureImportance(model, { method: 'strength' }).scores)).toEqual([1.5, 0, 3]);
    expect(Array.from(featureImportance(model, { method: 'degree' }).scores)).toEqual([2, 0, 2]);
    const h = new InputHistory(3);
    h.start(model.network);
    h.observe(model.network);
    expect(Array.from(h.survived)).toEqual([2, 2, 2]);
  });

  it('refuses an unknown method and persistence without a history', () => {
    expect(() => featureImportance(tinyNet().model, { method: 'gain' as never })).toThrow(UnknownNameError);
    expect(() => featureImportance(tinyNet().model, { method: 'persistence' })).toThrow(ConfigError);
  });

  it('rankOrder puts NaN last and breaks ties by index; CSV quotes names', () => {
    expect(Array.from(rankOrder([1, NaN, 1, 5]))).toEqual([3, 0, 2, 1]);
    const r = new FeatureRanking('strength', Float64Array.from([1, 2]), ['a,b', 'c']);
    expect(r.toCsv()).toBe('rank,feature,name,score\n1,1,c,2\n2,0,"a,b",1\n');
  });

  it('precision and recall at k against a relevant set', () => {
    expect(recoveryAtK([2, 0, 3, 1], [0, 1], 2)).toEqual({ k: 2, precision: 0.5, recall: 0.5, hits: 1 });
    expect(recoveryAtK([2, 0, 3, 1], [0, 1], 4).recall).toBe(1);
  });

  it('ranks a run folder: model.json, feature-history.json, names, and the select command writes CSV', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'select-'));
    const { model } = tinyNet();
    saveModel(model, path.join(dir, 'model.json'));
    const h = new InputHistory(4);
    h.start(model.network);
    h.observe(model.network);
    fs.writeFileSync(path.join(dir, 'feature-history.json'), JSON.stringify(h.toJson()));
    fs.writeFileSync(path.join(dir, 'feature-names.json'), JSON.stringify(['m0', 'm1', 'm2', 'm3']));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ facts: { relevantFeatures: [2, 3] } }));
    const r = featureImportance(dir, { method: 'persistence' });
    expect(Array.from(r.scores)).toEqual([1, 0, 2, 1]);
    expect(r.rows(1)).toEqual([{ rank: 1, feature: 2, name: 'm2', score: 2 }]);
    const lines: string[] = [];
    selectCommand(dir, { method: 'strength', top: '2', out: path.join(dir, 'top.csv') }, (l) => lines.push(l));
    expect(fs.readFileSync(path.join(dir, 'top.csv'), 'utf8')).toBe('rank,feature,name,score\n1,2,m2,3\n2,0,m0,0.5\n');
    expect(lines.join('\n')).toContain('precision@2 0.500, recall@2 0.500');
    expect(() => selectCommand(dir, { method: 'strength', top: '0' })).toThrow(ConfigError);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
