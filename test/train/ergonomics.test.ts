/**
 * Researcher ergonomics (issue 18): the default backend, fit's verbose and callback arrays, the terminal
 * and notebook progress displays, model.save / loadModel on folders, predict and evaluate on data sets and
 * arrays, histories as DataFrames, and HTML tables.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
// The toolkit's entry: it registers the progress display and the model writer, as a user's import does.
import {
  ConfigError, defaultProgressDisplay, historyFrame, InvalidArgumentError, loadModel, mlp, ModelFileError, notebookProgress, progressDisplay,
  resolveBackend, setProgressDisplay, ShapeError, showTable, tableHtml, terminalDefaultVerbosity, terminalProgress,
  type Callbacks, type EpochLogs, type ProgressDisplay,
} from '../../toolkit/src/index';
import { syntheticClassification } from '../../toolkit/src/data/synthetic';

const all = syntheticClassification({ nSamples: 300, nFeatures: 8, nClasses: 3, seed: 2 });
const train = all.subset(Int32Array.from({ length: 200 }, (_, i) => i), 'synthetic/train');
const test = all.subset(Int32Array.from({ length: 100 }, (_, i) => 200 + i), 'synthetic/test');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-ergonomics-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function model(backend = 'cpu') {
  return mlp([8, 16, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, seed: 1, backend }).compile({ optimizer: { name: 'sgd', lr: 0.05 } });
}

/** A writable that records what is written, as a terminal (isTTY) or a pipe. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const s = {
    isTTY, columns: 120,
    write(chunk: string | Uint8Array, cb?: unknown) {
      chunks.push(String(chunk));
      if (typeof cb === 'function') (cb as () => void)();
      return true;
    },
    on() { return s; }, once() { return s; }, removeListener() { return s; }, emit() { return true; },
    text: () => chunks.join(''),
  };
  return s as unknown as NodeJS.WriteStream & { text: () => string };
}

describe('fast by default', () => {
  it('mlp() without a backend uses what auto chooses (wasm when its kernels are built), and summary() says so and why', () => {
    const auto = resolveBackend('auto');
    const m = mlp([8, 16, 3], { seed: 1 });
    expect(m.backend.name).toBe(auto.backend.name);
    expect(m.backend.mode).toBe(auto.backend.mode);
    const line = m.summary().split('\n').pop()!;
    expect(line).toMatch(new RegExp(`^backend: ${auto.backend.name}:${auto.backend.mode}, \\d+ threads? \\(`));
    expect(line).toContain(auto.fellBack ?? `auto chose ${auto.resolved}, the fastest backend that runs here`);
    if (auto.resolved === 'wasm') expect(m.backend.name).toBe('wasm');
  });

  it('a backend asked for by name is reported as such', () => {
    const m = mlp([8, 16, 3], { seed: 1, backend: 'cpu' });
    expect(m.backend.name).toBe('cpu');
    expect(m.summary()).toContain('backend: cpu:reference, 1 thread (asked for by name: "cpu")');
  });
});

describe('fit callbacks and verbose', () => {
  it('accepts an array of callback objects, calling each hook in order and awaiting each', async () => {
    const events: string[] = [];
    const slow: Callbacks = {
      onEpochEnd: async (l) => {
        await new Promise((r) => setTimeout(r, 5));
        events.push(`a${l.epoch}`);
      },
      onTrainEnd: () => void events.push('a-end'),
    };
    const fast: Callbacks = { onEpochEnd: (l) => void events.push(`b${l.epoch}`), onTrainBegin: (i) => void events.push(`b-begin ${i.firstEpoch}/${i.totalEpochs}`) };
    await model().fit(train, { epochs: 2, batchSize: 50, verbose: 0, callbacks: [slow, fast] });
    expect(events).toEqual(['b-begin 0/2', 'a0', 'b0', 'a1', 'b1', 'a-end']);
    await expect(model().fit(train, { epochs: 1, callbacks: [fast, null as never] })).rejects.toThrow(/callbacks\[1\] must be an object/);
  });

  it('verbose chooses the registered display, which runs after the user callbacks; 0 shows nothing', async () => {
    const calls: { verbose: number; epochs: number[] }[] = [];
    const order: string[] = [];
    const fake: ProgressDisplay = {
      name: 'fake',
      defaultVerbosity: () => 2,
      callbacks(verbose) {
        const c = { verbose, epochs: [] as number[] };
        calls.push(c);
        return { onEpochEnd: (l: EpochLogs) => void (c.epochs.push(l.epoch), order.push('display')) };
      },
    };
    const before = setProgressDisplay(fake);
    try {
      await model().fit(train, { epochs: 2, batchSize: 50, callbacks: { onEpochEnd: () => void order.push('user') } });
      expect(calls).toEqual([{ verbose: 2, epochs: [0, 1] }]); // the display's default verbosity
      expect(order.slice(0, 2)).toEqual(['user', 'display']);
      await model().fit(train, { epochs: 1, batchSize: 50, verbose: 1 });
      expect(calls[1]!.verbose).toBe(1);
      await model().fit(train, { epochs: 1, batchSize: 50, verbose: 0 });
      expect(calls.length).toBe(2);
      await expect(model().fit(train, { epochs: 1, verbose: 3 as never })).rejects.toThrow(/verbose must be 0 \(silent\), 1 .* or 2/);
      setProgressDisplay(null);
      // Without a display: silent by default, and an explicit verbose is refused before training.
      const m = model();
      await expect(m.fit(train, { epochs: 1, verbose: 2 })).rejects.toThrow(ConfigError);
      expect(m.epochsDone).toBe(0);
      await m.fit(train, { epochs: 1, batchSize: 50 });
    } finally {
      setProgressDisplay(before);
    }
    // The toolkit's entry registered the default display.
    expect(progressDisplay()).toBe(defaultProgressDisplay);
  });

  it('the terminal display draws a bar on a terminal at verbose 1, and one line per epoch at verbose 2, in a pipe or in CI', async () => {
    // The same whether this suite itself runs in CI or on a terminal: the CI variable is set per case.
    vi.stubEnv('CI', 'false');
    try {
      const tty = fakeStream(true);
      await model().fit(train, { epochs: 2, batchSize: 50, verbose: 0, callbacks: terminalProgress(1, tty) });
      expect(tty.text()).toMatch(/epoch 1\/2 \[.*\] \d+% \| batch \d\/4/);
      expect(tty.text()).toMatch(/epoch 2\/2 {2}loss \d\.\d{4} {2}acc/);
      for (const [verbose, isTTY, ci] of [[2, true, 'false'], [1, false, 'false'], [1, true, 'true']] as const) {
        vi.stubEnv('CI', ci);
        const s = fakeStream(isTTY);
        await model().fit(train, { epochs: 2, batchSize: 50, verbose: 0, callbacks: terminalProgress(verbose, s) });
        const lines = s.text().split('\n').filter(Boolean);
        expect(lines.length).toBe(2);
        expect(lines[0]).toMatch(/^epoch 1\/2 {2}loss .* \d+ [kMGT]?FLOP /);
        expect(s.text()).not.toContain('[');
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('shows a bar by default only on a terminal outside CI', () => {
    const ci = process.env.CI;
    try {
      delete process.env.CI;
      expect(terminalDefaultVerbosity(fakeStream(true))).toBe(1);
      expect(terminalDefaultVerbosity(fakeStream(false))).toBe(0);
      process.env.CI = 'true';
      expect(terminalDefaultVerbosity(fakeStream(true))).toBe(0);
    } finally {
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
    }
  });

  it('the notebook display overwrites one display entry: a bar while an epoch runs, then the lines of finished epochs', async () => {
    const html: string[] = [];
    const display = { html: (s: string) => void html.push(s), text: () => undefined };
    // A clock that never advances: only the first and the last batch update the bar.
    await model().fit(train, { epochs: 2, batchSize: 50, verbose: 0, callbacks: notebookProgress(display, 1, { now: () => 0 }) });
    // Per epoch: its start, its last batch, its end.
    expect(html.length).toBe(6);
    expect(html[1]).toContain('<progress value="4" max="4"');
    expect(html[1]).toContain('epoch 1/2');
    expect(html[5]).not.toContain('<progress');
    expect(html[5]).toMatch(/<pre[^>]*>epoch 1\/2 .*\nepoch 2\/2 .*<\/pre>/);
    const lines: string[] = [];
    await model().fit(train, { epochs: 2, batchSize: 50, verbose: 0, callbacks: notebookProgress({ html: (s) => void lines.push(s), text: () => undefined }, 2) });
    expect(lines.length).toBe(2);
  });
});

describe('in a tslab notebook', () => {
  it('fit shows progress in one display entry that each update overwrites, by default; showTable displays HTML', async () => {
    // A tslab kernel executing a cell, as display/tslab finds it: its jupyter module with a live writer.
    const jupyter = createRequire(__filename)('tslab/dist/jupyter.js') as { lastWriteDisplayData: unknown };
    const messages: { data: Record<string, string>; transient: { display_id?: string }; update: boolean }[] = [];
    jupyter.lastWriteDisplayData = (m: { data: Record<string, string>; transient: { display_id?: string } }, update: boolean) => void messages.push({ ...m, update });
    try {
      expect(defaultProgressDisplay.defaultVerbosity()).toBe(1);
      await model().fit(train, { epochs: 2, batchSize: 50 });
      const ids = new Set(messages.map((m) => m.transient.display_id));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^[0-9a-f]{16}$/);
      expect(messages[0]!.update).toBeFalsy(); // the first message creates the entry
      expect(messages.slice(1).every((m) => m.update)).toBe(true);
      expect(messages.at(-1)!.data['text/html']).toMatch(/<pre[^>]*>epoch 1\/2 .*\nepoch 2\/2 /);
      messages.length = 0;
      showTable([{ 'x<y': 1 }]);
      expect(messages).toHaveLength(1);
      expect(messages[0]!.data['text/html']).toContain('<th>x&lt;y</th>');
    } finally {
      jupyter.lastWriteDisplayData = null;
    }
  });
});

describe('save, load, predict and evaluate', () => {
  it('model.save(dir) writes model.json and a manifest; loadModel(dir) and loadModel(file) load it', async () => {
    const m = model();
    await m.fit(train, { epochs: 2, batchSize: 50, verbose: 0 });
    const dir = path.join(tmp, 'saved', 'one');
    m.save(dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'saved-model.json']);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'saved-model.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'synapses-ts/saved-model', sizes: [8, 16, 3], connections: m.connectionCount(), epochsDone: 2, backend: 'cpu:reference' });
    for (const back of [loadModel(dir), loadModel(path.join(dir, 'model.json'))]) {
      expect(back.predict(test).outputs).toEqual(m.predict(test).outputs);
      expect(back.evaluate(test)).toEqual(m.evaluate(test));
    }
  });

  it('refuses a folder whose model file was changed, an empty folder, and saving over a run', () => {
    const m = model();
    const dir = path.join(tmp, 'changed');
    m.save(dir);
    model().save(path.join(tmp, 'other'));
    // Another valid model file, put in its place.
    const other = mlp([8, 16, 3], { seed: 7, backend: 'cpu' }).compile();
    other.save(path.join(tmp, 'other'));
    fs.copyFileSync(path.join(tmp, 'other', 'model.json'), path.join(dir, 'model.json'));
    expect(() => loadModel(dir)).toThrow(ModelFileError);
    expect(() => loadModel(dir)).toThrow(/is not the model file .* was saved with/);
    fs.mkdirSync(path.join(tmp, 'empty'));
    expect(() => loadModel(path.join(tmp, 'empty'))).toThrow(/holds no model.json/);
    const run = path.join(tmp, 'run');
    fs.mkdirSync(run);
    fs.writeFileSync(path.join(run, 'manifest.json'), '{}');
    expect(() => m.save(run)).toThrow(ConfigError);
    expect(fs.existsSync(path.join(run, 'model.json'))).toBe(false);
  });

  it('predict takes a Dataset, a sample-major Float32Array or number[][], in any batch size, with the same results', async () => {
    const m = model();
    await m.fit(train, { epochs: 1, batchSize: 50, verbose: 0 });
    const fromData = m.predict(test);
    const rows: number[][] = [];
    const flat = new Float32Array(test.nSamples * 8);
    for (let s = 0; s < test.nSamples; s++) {
      rows.push(Array.from(test.features.subarray(s * 8, (s + 1) * 8)));
      flat.set(test.features.subarray(s * 8, (s + 1) * 8), s * 8);
    }
    expect(fromData.outputs.length).toBe(test.nSamples * 3);
    expect(m.predict(flat)).toEqual(fromData);
    expect(m.predict(rows)).toEqual(fromData);
    expect(m.predict(test, { batchSize: 7 })).toEqual(fromData);
    // The predicted classes are what evaluate counts as correct.
    let correct = 0;
    for (let s = 0; s < test.nSamples; s++) if (fromData.classes[s] === test.labels[s]) correct++;
    expect(m.evaluate(test).accuracy).toBeCloseTo(correct / test.nSamples, 12);
    expect(() => m.predict([[1, 2, 3]])).toThrow(ShapeError);
    expect(() => m.predict(syntheticClassification({ nSamples: 5, nFeatures: 9, nClasses: 2, seed: 1 }))).toThrow(/has 9 features but the model expects 8/);
  });

  it('evaluate takes samples and labels as arrays as well as a Dataset', async () => {
    const m = model();
    await m.fit(train, { epochs: 1, batchSize: 50, verbose: 0 });
    const rows = Array.from({ length: test.nSamples }, (_, s) => Array.from(test.features.subarray(s * 8, (s + 1) * 8)));
    expect(m.evaluate(rows, Array.from(test.labels))).toEqual(m.evaluate(test));
    expect(m.evaluate(test.features, test.labels, { batchSize: 9 }).accuracy).toBeCloseTo(m.evaluate(test).accuracy, 12);
    expect(() => m.evaluate(rows, [0, 1])).toThrow(/100 samples but 2 labels/);
    expect(() => m.evaluate(rows.slice(0, 1), [5])).toThrow(/label of sample 0 is 5/);
  });
});

describe('tables', () => {
  it('a History becomes a DataFrame with one call, one row per epoch', async () => {
    const h = await model().fit(train, { epochs: 3, batchSize: 50, verbose: 0, validationData: test });
    const df = await h.toDataFrame();
    expect(df.shape).toEqual([3, 11]);
    expect(df.columns).toEqual(['epoch', 'loss', 'accuracy', 'valLoss', 'valAccuracy', 'lr', 'connections', 'flops', 'seconds', 'evolutionSeconds', 'evolutionEvents']);
    expect(df.column('valAccuracy').values).toEqual(h.series('valAccuracy'));
    expect(df.column('flops').values).toEqual(h.series('flops'));
    // From a run's metrics lines: their extra numbers (the test metrics) are kept.
    const lines = h.epochs.map((e) => ({ ...e, testAccuracy: 0.5 }));
    const fromLines = await historyFrame(lines);
    expect(fromLines.column('testAccuracy').values).toEqual([0.5, 0.5, 0.5]);
    expect((await historyFrame(h)).shape).toEqual([3, 11]);
  });

  it('renders HTML tables with every name and value escaped, and refuses to show one outside a notebook', () => {
    const html = tableHtml([{ 'a<b': '<script>alert(1)</script>', n: 0.123456789, missing: NaN }, { n: 3 }], { caption: 'R&D' });
    expect(html).toContain('<th>a&lt;b</th>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<caption>R&amp;D</caption>');
    expect(html).toContain('>0.1235</td>');
    expect(html.match(/<tr>/g)!.length).toBe(3);
    expect(html).toContain('<td>-</td>');
    expect(tableHtml({ columns: ['x'], values: [[1], [2], [3]] }, { maxRows: 2 })).toContain('1 more rows');
    expect(() => showTable([{ a: 1 }])).toThrow(InvalidArgumentError);
  });
});
