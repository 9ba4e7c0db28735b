// Issue 18, figures: writing the standard figures shows its progress, one line per figure (a bar on a
// terminal), in `synapses-ts plot` and after `synapses-ts train`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRunFigures, type FigureProgress } from '../../toolkit/src/plots/run-figures';
import { runBrowserTests } from '../browser/image-checks';
import { makeRun } from '../plots/run-fixture';
import { cli } from './cli-runner';

const names = ['learning-curves', 'input-connectivity', 'degrees-hidden-1', 'degrees-hidden-2', 'weight-histograms', 'spy-layer-1', 'spy-layer-2', 'spy-layer-3', 'evolution-stats'];

describe.skipIf(!runBrowserTests)('progress of figure writing', () => {
  let run: string;
  beforeAll(async () => {
    run = await makeRun();
  }, 60_000);

  it('reports the start and each figure with its files to onProgress', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-fig-progress-'));
    const seen: FigureProgress[] = [];
    await writeRunFigures(run, out, ['svg', 'png'], { onProgress: (p) => seen.push(p) });
    expect(seen.map((p) => [p.done, p.total, p.name])).toEqual([[0, 9, ''], ...names.map((n, i) => [i + 1, 9, n])]);
    expect(seen[4]!.files).toEqual([path.join(out, 'degrees-hidden-2.svg'), path.join(out, 'degrees-hidden-2.png')]);
    for (const p of seen.slice(1)) for (const f of p.files) expect(fs.existsSync(f), f).toBe(true);
  }, 60_000);

  it('prints a line per figure in synapses-ts plot and after synapses-ts train', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-fig-progress-'));
    const r = await cli(['plot', run, '--out', out, '--format', 'svg,pdf']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('synapses-ts plot: figures '));
    expect(lines.slice(0, names.length)).toEqual(names.map((n, i) => `synapses-ts plot: figures ${i + 1}/9: ${n} (svg, pdf)`));
    expect(r.stderr).toContain(`synapses-ts plot: writing 9 figures into ${out}`);

    const trained = path.join(out, 'trained');
    const t = await cli(['train', '--preset', 'mnist-quick', '--set', 'training.epochs=1', '--set', 'data.limit=300', '--set', 'model.hidden=[8]', '--out', trained]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/synapses-ts train: writing \d+ figures into /);
    expect(t.stderr).toMatch(/synapses-ts train: figures 1\/\d+: learning-curves \(svg, png, pdf\)\n/);
    const quiet = await cli(['train', '--preset', 'mnist-quick', '--set', 'training.epochs=1', '--set', 'data.limit=300', '--set', 'model.hidden=[8]', '--out', path.join(out, 'quiet'), '--no-progress']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).not.toMatch(/figures 1\//);
  }, 120_000);
});
