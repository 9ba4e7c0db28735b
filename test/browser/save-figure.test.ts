// saveFigure as a script uses it: one shared browser, every format, and the process ends by itself afterwards.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPdf, checkPng, checkSvg, runBrowserTests, TRACE_CLASS } from './image-checks';

const root = path.resolve(__dirname, '../..');

describe.skipIf(!runBrowserTests)('saveFigure with the shared browser', () => {
  it('writes svg, png, pdf and html, then lets the process exit without an explicit close', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-save-'));
    const t = performance.now();
    const r = spawnSync(path.join(root, 'node_modules/.bin/tsx'), [path.join(__dirname, 'fixtures/save-and-exit.ts'), out], {
      cwd: root, encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL',
    });
    const seconds = (performance.now() - t) / 1000;
    expect(r.signal, `killed: the process did not exit by itself\n${r.stderr}`).toBeNull();
    expect(r.status, r.stderr).toBe(0);
    const { times, layout } = JSON.parse(r.stdout.trim().split('\n').pop()!) as { times: Record<string, number>; layout: { width: number; height: number } };
    console.log(`saveFigure in a fresh process: ${JSON.stringify(times)} ms; process ended after ${seconds.toFixed(1)} s`);
    expect(fs.readdirSync(out).sort()).toEqual(['curves.html', 'curves.pdf', 'curves.png', 'curves.svg']);
    checkSvg(fs.readFileSync(path.join(out, 'curves.svg'), 'utf8'), layout, TRACE_CLASS.scatter, 4);
    checkPng(fs.readFileSync(path.join(out, 'curves.png')), { width: 2 * layout.width, height: 2 * layout.height });
    checkPdf(fs.readFileSync(path.join(out, 'curves.pdf')), layout, true);
    const html = fs.readFileSync(path.join(out, 'curves.html'), 'utf8');
    expect(html).toContain('window.Plotly = Plotly');
    expect(html).toContain('Plotly.newPlot(el');
  }, 90_000);
});
