// show() in a real tslab notebook: executed headless by Jupyter with the synapses-ts kernel, converted with
// `jupyter nbconvert --to html`, and the page opened in Chromium to check that every figure was drawn.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, chromiumPath } from '../../toolkit/src/plots/export';
import { runBrowserTests } from './image-checks';

const root = path.resolve(__dirname, '../..');
const JUPYTER = '/usr/bin/jupyter';
// Under the repository, so the notebook imports the toolkit by package name as a user's notebook does.
const dir = path.join(root, '.cache', `plots-notebook-${process.pid}`);

const cells = [
  'import { learningCurves, inputConnectivity, show, isNotebook, CsrMatrix } from "synapses-ts";\nconsole.log(`notebook: ${isNotebook()}`);',
  'show(learningCurves([{ epoch: 0, loss: 1, accuracy: 0.5, valLoss: 1.1, valAccuracy: 0.45 }, { epoch: 1, loss: 0.5, accuracy: 0.8, valLoss: 0.6, valAccuracy: 0.75 }], { title: "a </script> title" }));',
  'const w = CsrMatrix.fromTriplets(3, 16, [0, 1, 2, 0], [0, 5, 10, 15], [1, 1, 1, 1]);\nshow(inputConnectivity([{ label: "a", weights: w }, { label: "b", degrees: [...Array(16).keys()] }]), { width: 500 });',
];

function jupyter(args: string[]): void {
  const r = spawnSync(JUPYTER, args, { cwd: dir, encoding: 'utf8', timeout: 240_000, env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: '1' } });
  expect(r.status, `jupyter ${args.join(' ')}\n${r.stderr.slice(-3000)}`).toBe(0);
}

// Like the browser, Jupyter is set-up's job: with CI=true its absence fails the test instead of skipping it.
const runNotebook = runBrowserTests && (fs.existsSync(JUPYTER) || process.env.CI === 'true');

describe.skipIf(!runNotebook)('show() in a tslab notebook, through nbconvert to HTML', () => {
  beforeAll(() => {
    fs.mkdirSync(dir, { recursive: true });
    const nb = {
      cells: cells.map((source, i) => ({ cell_type: 'code', id: `cell-${i}`, execution_count: null, metadata: {}, outputs: [], source })),
      metadata: { kernelspec: { display_name: 'synapses-ts (TypeScript)', language: 'typescript', name: 'synapses-ts' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    fs.writeFileSync(path.join(dir, 'show.ipynb'), JSON.stringify(nb));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('sends the plotly bundle once, and every figure renders in the converted HTML', async () => {
    jupyter(['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.kernel_name=synapses-ts', '--ExecutePreprocessor.timeout=120', '--output', 'out.ipynb', 'show.ipynb']);
    const executed = JSON.parse(fs.readFileSync(path.join(dir, 'out.ipynb'), 'utf8')) as { cells: { outputs: { output_type: string; text?: string | string[]; data?: Record<string, string | string[]> }[] }[] };
    const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join('') : (v ?? ''));
    expect(text(executed.cells[0]!.outputs[0]!.text)).toContain('notebook: true');
    const html = [1, 2].map((c) => text(executed.cells[c]!.outputs.find((o) => o.output_type === 'display_data')?.data?.['text/html']));
    expect(html[0]!.split('window.Plotly = Plotly').length - 1).toBe(1);
    expect(html[1]!.split('window.Plotly = Plotly').length - 1).toBe(0);
    expect(html[1]).toContain('class="synapses-figure"');

    jupyter(['nbconvert', '--to', 'html', 'out.ipynb']);
    expect(browserAvailable(), `no Chromium at ${chromiumPath()}; install the Debian package "chromium"`).toBe(true);
    const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.route(/^https?:/, (route) => route.abort()); // the page must not need the network
      await page.goto(`file://${path.join(dir, 'out.html')}`);
      await page.waitForFunction('document.querySelectorAll(".synapses-figure .main-svg").length >= 2', undefined, { timeout: 30_000 });
      const state = await page.evaluate(`(() => {
        const figs = [...document.querySelectorAll('.synapses-figure')];
        return {
          figures: figs.length,
          drawn: figs.map((f) => f.querySelectorAll('.main-svg').length > 0),
          scatter: figs[0] ? figs[0].querySelectorAll('.trace.scatter').length : 0,
          heatmaps: figs[1] ? figs[1].querySelectorAll('.hm').length : 0,
          title: figs[0] ? (figs[0].querySelector('.gtitle') || {}).textContent : null,
          notLoaded: document.body.innerText.includes('plotly.js is not loaded'),
        };
      })()`);
      // Two learning curves (loss, accuracy) of training and validation, and the best validation epoch starred on each: 6 scatter traces.
      expect(state).toEqual({ figures: 2, drawn: [true, true], scatter: 6, heatmaps: 2, title: 'a </script> title', notLoaded: false });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 300_000);
});
