// `synapses-ts plot` and the figures `synapses-ts train` writes, run as a user runs them (the built CLI).
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFigures } from '../../toolkit/src/plots/run-figures';
import { makeRun } from '../plots/run-fixture';
import { checkPdf, checkPng, checkSvg, runBrowserTests, TRACE_CLASS } from './image-checks';

const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/synapses-ts');

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(bin, args, { cwd: root, env: { ...process.env, CI: 'true', ...env }, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('synapses-ts plot', () => {
  let run: string;
  beforeAll(async () => {
    run = await makeRun();
  }, 60_000);

  it('without a browser writes figures.html with a warning line, and fails only for an explicit image format', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-plot-cli-'));
    const noBrowser = { SYNAPSES_CHROMIUM: '/nonexistent/chromium' };
    const r = await cli(['plot', run, '--out', out], noBrowser);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/synapses-ts plot: warning: no Chromium at \/nonexistent\/chromium: wrote the HTML figures only/);
    expect(r.stderr).toContain(`synapses-ts plot: figures: ${path.join(out, 'figures.html')}`);
    expect(fs.readdirSync(out)).toEqual(['figures.html']);
    const strict = await cli(['plot', run, '--out', path.join(out, 'strict'), '--format', 'png'], noBrowser);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/cannot write png figures: no Chromium at \/nonexistent\/chromium\. Install the Debian packages "chromium" and "fonts-liberation"/);
    expect(fs.existsSync(path.join(out, 'strict'))).toBe(false);
    const bad = await cli(['plot', run, '--format', 'gif']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown format "gif"; known formats are: svg, png, pdf, html/);
    const notRun = await cli(['plot', out]);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toMatch(/is not a run folder/);
  }, 60_000);

  it.skipIf(!runBrowserTests)('writes the standard figures as svg, png and pdf through Chromium', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-plot-cli-'));
    const r = await cli(['plot', run, '--out', out, '--format', 'svg,png,pdf', '--scale', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`figures: ${path.join(out, 'figures.html')} and 27 files (svg, png, pdf) in ${out}`);
    const files = fs.readdirSync(out);
    expect(files).toHaveLength(28);
    const size = (name: string) => {
      const layout = runFigures(run).figures.find((f) => f.name === name)!.figure.layout;
      return { width: layout.width!, height: layout.height! };
    };
    checkSvg(fs.readFileSync(path.join(out, 'learning-curves.svg'), 'utf8'), size('learning-curves'), TRACE_CLASS.scatter, 4);
    checkPng(fs.readFileSync(path.join(out, 'input-connectivity.png')), size('input-connectivity'));
    checkPdf(fs.readFileSync(path.join(out, 'weight-histograms.pdf')), size('weight-histograms'), true);
  }, 60_000);
});

describe('synapses-ts train writes the figures after training', () => {
  // Without a browser (so this file starts only one): the HTML figures, and the warning line. The image path
  // is the one `plot` takes above.
  it('puts them in <out>/figures and says where; --no-figures skips them', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-train-figs-'));
    const noBrowser = { SYNAPSES_CHROMIUM: '/nonexistent/chromium' };
    const r = await cli(['train', '--preset', 'mnist-quick', '--set', 'training.epochs=2', '--set', 'data.limit=600', '--set', 'model.hidden=[32]', '--out', out, '--no-progress'], noBrowser);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('synapses-ts train: warning: no Chromium at /nonexistent/chromium: wrote the HTML figures only');
    expect(r.stderr).toContain(`synapses-ts train: figures: ${path.join(out, 'figures', 'figures.html')}`);
    expect(fs.readdirSync(path.join(out, 'figures'))).toEqual(['figures.html']);
    const quiet = await cli(['train', '--preset', 'mnist-quick', '--set', 'training.epochs=1', '--set', 'data.limit=300', '--set', 'model.hidden=[8]', '--out', path.join(out, 'q'), '--no-progress', '--no-figures']);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(fs.existsSync(path.join(out, 'q', 'figures'))).toBe(false);
  }, 120_000);
});
