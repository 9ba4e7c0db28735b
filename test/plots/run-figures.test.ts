import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataError, InvalidArgumentError } from '../../toolkit/src/core/errors';
import { BrowserNotFoundError } from '../../toolkit/src/plots/export';
import { runFigures, writeRunFigures } from '../../toolkit/src/plots/run-figures';
import { makeRun } from './run-fixture';

const saved = process.env.SYNAPSES_CHROMIUM;
afterEach(() => {
  if (saved === undefined) delete process.env.SYNAPSES_CHROMIUM;
  else process.env.SYNAPSES_CHROMIUM = saved;
});
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-plots-out-'));

describe('the standard figures of a run folder', () => {
  let run: string;
  beforeAll(async () => {
    run = await makeRun();
  }, 60_000);

  it('builds curves, connectivity (initial rebuilt from the seed, and trained), degrees, weights, spy plots and evolution', () => {
    const { figures, notes } = runFigures(run);
    expect(figures.map((f) => f.name)).toEqual([
      'learning-curves', 'input-connectivity', 'degrees-hidden-1', 'degrees-hidden-2', 'weight-histograms',
      'spy-layer-1', 'spy-layer-2', 'spy-layer-3', 'evolution-stats',
    ]);
    expect(notes).toEqual([]);
    const byName = Object.fromEntries(figures.map((f) => [f.name, f.figure]));
    // Test, validation (the default 10% held out of training) and training curves, and the best epoch's marks.
    expect(byName['learning-curves']!.data.length).toBe(8);
    const conn = byName['input-connectivity']!;
    expect(conn.layout.annotations?.map((a) => a.text)).toEqual(['initial (rebuilt from seed)', 'after epoch 3']);
    const [initial, final] = conn.data as unknown as { z: number[][] }[];
    // SET keeps the number of connections: both images hold every connection of the first layer once.
    const sum = (z: number[][]) => z.flat().reduce((a, b) => a + b, 0);
    expect(sum(initial!.z)).toBe(sum(final!.z));
    expect(initial!.z).not.toEqual(final!.z);
    const degrees = byName['degrees-hidden-1']!.data as unknown as { name: string }[];
    expect(degrees.map((d) => d.name).slice(0, 3)).toEqual(['Erdős–Rényi', 'initial', 'after epoch 3']);
    // mnist-like epochs-end evolution: every hidden sparse layer, every epoch but the last.
    const evo = byName['evolution-stats']!.data as unknown as { x: number[]; yaxis: string }[];
    expect(evo[0]!.x).toEqual([1, 2]);
  });

  it('writes one self-contained figures.html and no images when asked for html only', async () => {
    const out = tmp();
    const w = await writeRunFigures(run, out, ['html']);
    expect(w.formats).toEqual(['html']);
    expect(w.files).toEqual([path.join(out, 'figures.html')]);
    const html = fs.readFileSync(w.files[0]!, 'utf8');
    expect(html.split('class="synapses-figure"').length - 1).toBe(9);
    expect(html.split('window.Plotly = Plotly').length - 1).toBe(1);
    expect(fs.readdirSync(out)).toEqual(['figures.html']);
  });

  it('without a browser: html with a warning by default, an error naming the Debian packages when images are asked for', async () => {
    process.env.SYNAPSES_CHROMIUM = '/nonexistent/chromium';
    const out = tmp();
    const w = await writeRunFigures(run, out);
    expect(w.formats).toEqual(['html']);
    expect(w.warnings[0]).toMatch(/no Chromium at \/nonexistent\/chromium: wrote the HTML figures only/);
    const none = tmp();
    await expect(writeRunFigures(run, none, ['svg', 'png'])).rejects.toThrow(BrowserNotFoundError);
    await expect(writeRunFigures(run, none, ['png'])).rejects.toThrow(/"chromium" and "fonts-liberation"/);
    expect(fs.readdirSync(none)).toEqual([]);
    await expect(writeRunFigures(run, none, ['gif' as never])).rejects.toThrow(/unknown figure format "gif"/);
  });

  it('turns missing sources into explicit "no data" figures, and malformed files into errors naming the file', () => {
    const partial = tmp();
    fs.copyFileSync(path.join(run, 'manifest.json'), path.join(partial, 'manifest.json'));
    fs.writeFileSync(path.join(partial, 'metrics.jsonl'), '');
    const { figures, notes } = runFigures(partial);
    expect(figures.map((f) => [f.name, f.figure.layout.meta])).toEqual([
      ['learning-curves', { noData: 'metrics.jsonl has no epochs yet' }],
      ['input-connectivity', { noData: 'no model.json in the run folder (the run has not finished)' }],
      ['weight-histograms', { noData: 'no model.json in the run folder (the run has not finished)' }],
      ['evolution-stats', { noData: 'no evolution events recorded (evolution.jsonl missing or empty)' }],
    ]);
    expect(notes).toHaveLength(4);
    fs.writeFileSync(path.join(partial, 'metrics.jsonl'), '{"epoch":0,"loss":null,"accuracy":0.5}\n');
    expect(() => runFigures(partial)).toThrow(DataError);
    expect(() => runFigures(partial)).toThrow(/metrics.jsonl: run "plot-fixture" \(#0\), epoch 0: loss is null/);
    fs.writeFileSync(path.join(partial, 'metrics.jsonl'), '{"epoch":0,\n{"epoch":1}\n');
    expect(() => runFigures(partial)).toThrow(/metrics.jsonl:1: not valid JSON/);
    expect(() => runFigures(tmp())).toThrow(InvalidArgumentError);
    expect(() => runFigures(tmp())).toThrow(/is not a run folder/);
  });

  it('draws the learning curves of the three splits from metrics.jsonl and marks result.json\'s best validation epoch', () => {
    type T = { name: string; mode: string; x: number[]; y: number[]; xaxis: string };
    const metrics = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    const result = JSON.parse(fs.readFileSync(path.join(run, 'result.json'), 'utf8')) as { bestEpoch: number };
    const curves = runFigures(run).figures.find((f) => f.name === 'learning-curves')!;
    const t = curves.figure.data as unknown as T[];
    const acc = (name: string) => t.find((d) => d.name === name && d.xaxis === 'x2' && d.mode !== 'markers')!.y;
    expect(acc('test')).toEqual(metrics.map((m) => 100 * m.testAccuracy!));
    expect(acc('validation')).toEqual(metrics.map((m) => 100 * m.valAccuracy!));
    expect(acc('train')).toEqual(metrics.map((m) => 100 * m.accuracy!));
    // Validation and test are different parts of the data.
    expect(acc('validation')).not.toEqual(acc('test'));
    const mark = t.filter((d) => d.mode === 'markers');
    expect(mark.map((d) => d.x)).toEqual([[result.bestEpoch + 1], [result.bestEpoch + 1]]);
    expect(mark[1]!.y).toEqual([100 * metrics[result.bestEpoch]!.valAccuracy!]);
    expect(curves.title).toContain(`the star marks epoch ${result.bestEpoch + 1}, the best on validation`);
  });

  it('takes the best epoch from result.json (null: none), refuses one metrics.jsonl lacks, and notes a version 1 result', () => {
    const copy = tmp();
    fs.cpSync(run, copy, { recursive: true });
    const resultFile = path.join(copy, 'result.json');
    const result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Record<string, unknown>;
    const marksOf = () => (runFigures(copy).figures.find((f) => f.name === 'learning-curves')!.figure.data as unknown as { mode: string; x: number[] }[])
      .filter((d) => d.mode === 'markers').map((d) => d.x[0]);
    // The epoch the run chose (on its monitored metric, maybe the loss), not the one of highest accuracy.
    const other = result.bestEpoch === 0 ? 2 : 0;
    fs.writeFileSync(resultFile, JSON.stringify({ ...result, bestEpoch: other }));
    expect(marksOf()).toEqual([other + 1, other + 1]);
    fs.writeFileSync(resultFile, JSON.stringify({ ...result, bestEpoch: null }));
    expect(marksOf()).toEqual([]);
    fs.writeFileSync(resultFile, JSON.stringify({ ...result, bestEpoch: 7 }));
    expect(() => runFigures(copy)).toThrow(DataError);
    expect(() => runFigures(copy)).toThrow(/result.json: bestEpoch 7 is not one of the epochs of metrics.jsonl/);
    // A version 1 result (bestTestAccuracy, no resultVersion): nothing was chosen on validation.
    const { resultVersion: _v, bestEpoch: _b, ...v1 } = result;
    fs.writeFileSync(resultFile, JSON.stringify({ ...v1, bestTestAccuracy: 0.9 }));
    expect(marksOf()).toEqual([]);
    expect(runFigures(copy).notes.join('\n')).toMatch(/written before validation existed \(result version 1\)/);
  });

  it('draws test and training curves only, with no best epoch, for a run without a validation part', async () => {
    const noVal = await makeRun({ data: { name: 'mnist', testSize: 200, limit: 1000, validation: 0 } }, 2);
    const t = runFigures(noVal).figures.find((f) => f.name === 'learning-curves')!.figure.data as unknown as { name: string; mode: string }[];
    expect(t.map((d) => d.name)).toEqual(['test', 'test', 'train', 'train']);
    expect(t.some((d) => d.mode === 'markers')).toBe(false);
  }, 60_000);

  it('adds the ITOP rate panel when the policy tracks it', async () => {
    const itopRun = await makeRun({ policy: 'set-itop' }, 3);
    const evo = runFigures(itopRun).figures.find((f) => f.name === 'evolution-stats')!.figure;
    expect(evo.layout.yaxis4?.title?.text).toBe('ITOP rate');
    const rates = (evo.data as unknown as { yaxis: string; y: number[] }[]).filter((d) => d.yaxis === 'y4').flatMap((d) => d.y);
    expect(rates.length).toBeGreaterThan(0);
    rates.forEach((r) => expect(r).toBeGreaterThan(0));
  }, 60_000);

  it('says a static run never evolves', async () => {
    const staticRun = await makeRun({ policy: 'static' }, 2);
    const evo = runFigures(staticRun).figures.find((f) => f.name === 'evolution-stats')!;
    expect(evo.figure.layout.meta).toEqual({ noData: 'the policy never evolves (static sparse)' });
  }, 60_000);
});
