// Issue 18, figures: human labels everywhere, dot-and-interval accuracy plots on axes fitted to the data, and
// accuracy against connections only across several sparsity levels (never a line between seeds of a setting).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { ablationComparison, accuracyVsConnections } from '../../toolkit/src/plots/ablation';
import { ablationFigures, sparsityLevels } from '../../toolkit/src/plots/ablation-figures';
import type { Figure } from '../../toolkit/src/plots/figure';
import { keyLabel, metricLabel, settingLabel, valueLabel } from '../../toolkit/src/plots/labels';

type Trace = { type?: string; name?: string; x?: unknown[]; y?: number[]; mode?: string; error_y?: { array?: number[]; arrayminus?: number[]; visible?: boolean } };

/** Every text a reader sees in a figure: titles, axis titles, legend title, trace names, category tick labels, annotations. */
function visibleTexts(fig: Figure): string[] {
  const out: string[] = [];
  const layout = fig.layout as Record<string, unknown>;
  const titleOf = (o: unknown) => {
    const t = (o as { title?: { text?: unknown } | string } | undefined)?.title;
    if (typeof t === 'string') out.push(t);
    else if (t && typeof t.text === 'string') out.push(t.text);
  };
  titleOf(layout);
  titleOf(layout.legend);
  for (const [k, v] of Object.entries(layout)) if (/^[xy]axis\d*$/.test(k)) titleOf(v);
  for (const a of (layout.annotations as { text?: string }[] | undefined) ?? []) if (a.text) out.push(a.text);
  for (const t of fig.data as Trace[]) {
    if (t.name) out.push(t.name);
    if (t.type === 'box' || t.type === 'bar' || (t.x ?? []).some((v) => typeof v === 'string')) out.push(...(t.x ?? []).map(String));
  }
  return out;
}

/** A raw config key or metric name: `key=value` or a camelCase word. */
const RAW = /[A-Za-z][\w.]*=|\b[a-z]+[A-Z][A-Za-z]*\b/;

describe('labels', () => {
  it('maps config keys, values and metrics to words, with a readable fallback', () => {
    expect(keyLabel('policy')).toBe('Evolution policy');
    expect(keyLabel('training.epochs')).toBe('Epochs');
    expect(keyLabel('sparsity.epsilon')).toBe('ε (sparsity)');
    expect(keyLabel('model.sparsity.eps')).toBe('ε (sparsity)');
    expect(keyLabel('optimizer.weightDecay')).toBe('Weight decay');
    expect(keyLabel('foo.someNewSetting')).toBe('Some new setting');
    expect(keyLabel('model.lrWarmupHTTPSteps')).toBe('Lr warmup HTTP steps');
    expect(metricLabel('testAccuracy')).toBe('Test accuracy (%)');
    expect(metricLabel('testAccuracy', false)).toBe('Test accuracy');
    expect(metricLabel('trainingFlops')).toBe('Training FLOPs');
    expect(valueLabel('policy', 'set')).toBe('SET');
    expect(valueLabel('policy', 'static')).toBe('Static sparse');
    expect(valueLabel('model.sparsity', '{"kind":"erdos-renyi","eps":20}')).toBe('Erdős–Rényi (ε 20)');
    expect(valueLabel('model.hidden', [1000, 1000])).toBe('1000-1000');
    expect(valueLabel('policy', { policy: 'set', zeta: 0.5 })).toBe('SET (ζ 0.5)');
    expect(valueLabel('optimizer.lr', 0.1 + 0.2)).toBe('0.3');
    expect(settingLabel({ policy: 'set', 'model.sparsity.eps': 20 })).toBe('SET, ε 20');
    expect(settingLabel({ policy: 'rigl' })).toBe('RigL');
    expect(settingLabel({})).toBe('Base configuration');
  });
});

describe('accuracy per setting as dots with the seeds\' spread', () => {
  const rows = [
    { policy: 'set', 'model.sparsity.eps': 20, seed: 1, testAccuracy: 0.905, connections: 1000 },
    { policy: 'set', 'model.sparsity.eps': 20, seed: 2, testAccuracy: 0.911, connections: 1010 },
    { policy: 'static', 'model.sparsity.eps': 20, seed: 1, testAccuracy: 0.9, connections: 1000 },
    { policy: 'static', 'model.sparsity.eps': 20, seed: 2, testAccuracy: 0.902, connections: 1010 },
  ];

  it('draws no bars for accuracy, min-max whiskers when there are several seeds, and an axis that leaves out 0', () => {
    const fig = ablationComparison(rows, { groupBy: ['model.sparsity.eps', 'policy'] });
    const t = fig.data as Trace[];
    expect(t.some((d) => d.type === 'bar')).toBe(false);
    expect(t.map((d) => [d.type, d.mode, d.name])).toEqual([['scatter', 'markers', 'SET'], ['scatter', 'markers', 'Static sparse']]);
    expect(t[0]!.y![0]).toBeCloseTo(90.8, 10);
    // min-max: 90.5 .. 91.1 around the mean 90.8
    expect(t[0]!.error_y!.visible).toBe(true);
    expect(t[0]!.error_y!.array![0]).toBeCloseTo(0.3, 10);
    expect(t[0]!.error_y!.arrayminus![0]).toBeCloseTo(0.3, 10);
    const range = fig.layout.yaxis!.range as [number, number];
    expect(range[0]).toBeGreaterThan(80);
    expect(range[0]).toBeLessThan(90);
    expect(range[1]).toBeGreaterThan(91.1);
    expect(range[1]).toBeLessThanOrEqual(100);
    expect(fig.layout.yaxis!.title!.text).toBe('Test accuracy (%)<br>dot: mean, whiskers: min–max over seeds');
    expect(fig.layout.xaxis!.title!.text).toBe('ε (sparsity)');
    expect(fig.layout.legend!.title!.text).toBe('Evolution policy:');
    for (const s of visibleTexts(fig)) expect(s).not.toMatch(RAW);
    const std = ablationComparison(rows, { groupBy: ['policy'], spread: 'std' });
    expect(std.layout.yaxis!.title!.text).toContain('±1 std over seeds');
    const one = ablationComparison(rows.filter((r) => r.seed === 1), { groupBy: ['policy'] });
    expect((one.data as Trace[])[0]!.error_y!.visible).toBe(false);
    expect(one.layout.yaxis!.title!.text).toBe('Test accuracy (%)<br>dot: mean');
  });

  it('puts each setting at one point, at its seeds\' mean connections, instead of a point per seed', () => {
    const withPoint = rows.map((r) => ({ ...r, setting: `${r.policy}` }));
    const byX = accuracyVsConnections(withPoint, { seriesBy: 'policy' });
    expect((byX.data as Trace[])[0]!.x).toEqual([1000, 1010]); // the old grouping: two "levels" that are seeds
    const fig = accuracyVsConnections(withPoint, { seriesBy: 'policy', pointBy: 'setting' });
    const t = fig.data as Trace[];
    expect(t.map((d) => d.name)).toEqual(['SET', 'Static sparse']);
    expect(t[0]!.x).toEqual([1005]);
    expect(fig.layout.xaxis!.title!.text).toBe('Connections');
    for (const s of visibleTexts(fig)) expect(s).not.toMatch(RAW);
  });

  it('tells sparsity levels apart by the connection counts per seed, not by seed noise', () => {
    const s = (pairs: [number, number][]) => ({ connections: new Map(pairs) });
    expect(sparsityLevels([s([[1, 1000], [2, 1010]]), s([[1, 1000], [2, 1010]]), s([[1, 4000], [2, 3990]])])).toEqual([0, 0, 1]);
    expect(sparsityLevels([s([[1, 1000]]), s([[2, 1005]]), s([[3, 1500]])])).toEqual([0, 0, 1]);
  });
});

describe('the figures of an ablation folder', () => {
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-fig-labels-'));
    await runAblation({
      base: { preset: 'mnist-quick', data: { name: 'mnist', testSize: 100, limit: 300 }, model: { hidden: [16] }, training: { epochs: 1, batchSize: 50 } },
      axes: { policy: ['set', 'static'], 'model.sparsity.eps': [2, 6] },
      seeds: [1, 2],
    }, { outDir: dir, workers: 0 });
  }, 180_000);

  it('labels every title, axis, legend and tick in words, never key=value or camelCase', () => {
    const { figures } = ablationFigures(dir);
    expect(figures.map((f) => f.name)).toEqual(['ablation-accuracy', 'ablation-accuracy-at-best', 'ablation-accuracy-vs-connections', 'ablation-accuracy-vs-flops', 'ablation-learning-curves']);
    for (const f of figures) {
      expect(f.title).not.toMatch(RAW);
      const texts = visibleTexts(f.figure);
      expect(texts.length).toBeGreaterThan(2);
      for (const s of texts) expect(s, `${f.name}: "${s}"`).not.toMatch(RAW);
      for (const t of f.figure.data as Trace[]) expect(t.type, f.name).not.toBe('bar');
    }
    const curves = JSON.stringify(figures[4]!.figure.data);
    expect(curves).toContain('SET, ε 2');
    expect(curves).toContain('Static sparse, ε 6 (validation)');
  });

  it('draws accuracy against connections across the sparsity levels, one point per setting and a line per policy', () => {
    const fig = ablationFigures(dir).figures.find((f) => f.name === 'ablation-accuracy-vs-connections')!.figure;
    const t = fig.data as Trace[];
    expect(t.map((d) => d.name)).toEqual(['SET', 'Static sparse']);
    for (const d of t) expect(d.x).toHaveLength(2); // ε 2 and ε 6, each the mean of two seeds
    const flops = ablationFigures(dir).figures.find((f) => f.name === 'ablation-accuracy-vs-flops')!.figure;
    expect(flops.layout.xaxis!.title!.text).toBe('Training FLOPs');
    expect((flops.data as Trace[]).map((d) => d.mode)).toEqual(['markers', 'markers', 'markers', 'markers']);
  });

  it('leaves accuracy against connections out when every setting has the same sparsity (policies at one ε, two seeds)', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-fig-labels-'));
    fs.cpSync(dir, copy, { recursive: true });
    for (const name of ['results.jsonl']) {
      const file = path.join(copy, name);
      const rows = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { axes: Record<string, unknown> });
      fs.writeFileSync(file, rows.filter((r) => r.axes['model.sparsity.eps'] === 2).map((r) => JSON.stringify(r) + '\n').join(''));
    }
    const { figures } = ablationFigures(copy);
    expect(figures.map((f) => f.name)).not.toContain('ablation-accuracy-vs-connections');
    expect(figures.map((f) => f.name)).toContain('ablation-accuracy');
  });
});
