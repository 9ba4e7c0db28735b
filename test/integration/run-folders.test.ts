// Run folders are owned, and writes are durable or fail loudly (issue 15), as a user meets them on the
// command line: a second `train` on a folder stops at once; a folder holding a run is refused without
// --resume or --overwrite; without --out a new run gets a fresh folder; SIGINT and SIGTERM stop a run
// cleanly (checkpoint kept, manifest `interrupted`, exit 130 / 143) and --resume continues it; a full
// disk stops `train` with a clear error and the previous checkpoint intact. Uses the built CLI.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonLines } from '../../toolkit/src/io/files';
import { loadCheckpoint } from '../../toolkit/src/io/checkpoint';
import { runAblation } from '../../toolkit/src/experiments/ablation';
import { runConfig } from '../../toolkit/src/experiments/run';
import { RunFolderError, RunInterruptedError } from '../../toolkit/src/core/errors';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const main = path.join(root, 'toolkit/dist/cli/main.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-folders-'));
// mnist-quick cut down to a second or so; `long` runs for many short epochs so that signals land mid-run.
const quick = ['--preset', 'mnist-quick', '--set', 'data.limit=600', '--no-figures', '--no-progress'];
const short = [...quick, '--set', 'training.epochs=1'];
const long = [...quick, '--set', 'training.epochs=150'];

interface Outcome { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

async function cli(args: string[], cwd = root): Promise<Outcome> {
  try {
    const r = await run(process.execPath, [main, ...args], { cwd, env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 24 });
    return { code: 0, signal: null, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; signal: NodeJS.Signals | null; stdout: string; stderr: string };
    return { code: err.code, signal: err.signal, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Starts `train` in the background; `done` resolves when it exits. */
function start(args: string[]): { child: ChildProcess; done: Promise<Outcome> } {
  const child = spawn(process.execPath, [main, 'train', ...args], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Outcome>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** Waits (polling, no time assertion) until `metrics.jsonl` in `dir` has at least `n` lines. */
async function untilEpochs(dir: string, n: number, child: ChildProcess): Promise<void> {
  const file = path.join(dir, 'metrics.jsonl');
  for (;;) {
    if (child.exitCode !== null) throw new Error(`train ended (code ${child.exitCode}) before ${n} epochs`);
    if (fs.existsSync(file) && readJsonLines(file).length >= n) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const manifestOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown> & { sessions: { startedAt: string; endedAt?: string; fromEpoch: number; status: string }[] };

describe('train on a run folder (CLI)', () => {
  it('a second train on a folder in use stops at once naming the holder; SIGINT then stops the first cleanly (exit 130, interrupted, checkpoint kept); --resume continues it', async () => {
    const out = path.join(tmp(), 'run');
    const first = start([...long, '--out', out]);
    await untilEpochs(out, 2, first.child);

    const second = await cli(['train', ...long, '--out', out]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`run folder ${out} is in use by process ${first.child.pid} on ${os.hostname()}`));

    first.child.kill('SIGINT');
    const r = await first.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(/SIGINT: stopping after the current batch/);
    expect(r.stderr).toMatch(/run stopped by SIGINT after \d+ completed epoch\(s\)/);
    expect(r.stderr).toContain(`--out ${out} --resume`);
    const manifest = manifestOf(out);
    expect(manifest.status).toBe('interrupted');
    const { model } = loadCheckpoint(path.join(out, 'checkpoint.json'));
    expect(model.epochsDone).toBeGreaterThanOrEqual(2);
    expect(model.epochsDone).toBeLessThan(150);
    expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);

    // Refused without --resume / --overwrite, and nothing changes.
    const refused = await cli(['train', ...long, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds a run that was stopped|already holds a run \(status: interrupted\)/);
    expect(refused.stderr).toMatch(/--resume.*--overwrite/);
    expect(manifestOf(out)).toEqual(manifest);

    // A write cut by a kill leaves NAME.tmp-PID behind: the next run of the folder removes it.
    fs.writeFileSync(path.join(out, 'checkpoint.json.tmp-999999'), 'half a checkpoint');
    const resumed = await cli(['train', ...long, '--out', out, '--resume', '--json']);
    expect(resumed.stderr).toMatch(/removed 1 temporary file/);
    expect(resumed.code).toBe(0);
    expect(fs.existsSync(path.join(out, 'checkpoint.json.tmp-999999'))).toBe(false);
    const after = manifestOf(out);
    expect(after.status).toBe('finished');
    expect(after.resumedFromEpoch).toBe(model.epochsDone);
    // Times cover the whole run: the first start is kept, and both sessions are listed and counted.
    expect(after.startedAt).toBe(manifest.startedAt);
    expect(after.sessions.map((s) => [s.fromEpoch, s.status])).toEqual([[0, 'interrupted'], [model.epochsDone, 'finished']]);
    const spans = after.sessions.reduce((t, s) => t + (Date.parse(s.endedAt!) - Date.parse(s.startedAt)) / 1000, 0);
    expect(after.seconds).toBeCloseTo(spans, 3);
    expect(readJsonLines<{ epoch: number }>(path.join(out, 'metrics.jsonl')).map((m) => m.epoch)).toEqual([...Array(150).keys()]);
  }, 300_000);

  it('SIGTERM stops a run the same way, with exit code 143', async () => {
    const out = path.join(tmp(), 'run');
    const job = start([...long, '--out', out]);
    await untilEpochs(out, 1, job.child);
    job.child.kill('SIGTERM');
    const r = await job.done;
    expect(r.code).toBe(143);
    expect(manifestOf(out).status).toBe('interrupted');
    expect(loadCheckpoint(path.join(out, 'checkpoint.json')).model.epochsDone).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
  }, 300_000);

  it('--overwrite replaces a finished run; --resume with another config is refused, not restarted', async () => {
    const out = path.join(tmp(), 'run');
    expect((await cli(['train', ...short, '--out', out])).code).toBe(0);
    const refused = await cli(['train', ...short, '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds a finished run of "mnist-quick"; nothing was changed\. Use --resume .* --overwrite/);
    const other = await cli(['train', ...short, '--seed', '9', '--out', out, '--resume']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/cannot resume .*checkpoint was written for another config \(seed: 1 in the checkpoint, 9 now\)/);
    const before = manifestOf(out);
    const over = await cli(['train', ...short, '--seed', '9', '--out', out, '--overwrite']);
    expect(over.code).toBe(0);
    const after = manifestOf(out);
    expect(after.seed).toBe(9);
    expect(after.startedAt).not.toBe(before.startedAt);
    expect(after.sessions).toHaveLength(1);
    expect((await cli(['train', ...short, '--out', out, '--resume', '--overwrite'])).stderr).toMatch(/--resume and --overwrite exclude each other/);
  }, 300_000);

  it('without --out, a second run of the same preset goes to a fresh folder instead of overwriting the first', async () => {
    const cwd = tmp();
    const a = await cli(['train', ...short, '--json'], cwd);
    expect(a.code).toBe(0);
    const b = await cli(['train', ...short, '--json'], cwd);
    expect(b.code).toBe(0);
    expect(b.stderr).toContain(`runs/mnist-quick holds an earlier run; writing to runs/mnist-quick-2`);
    expect(JSON.parse(a.stdout.trim().split('\n').pop()!).outDir).toBe('runs/mnist-quick');
    expect(JSON.parse(b.stdout.trim().split('\n').pop()!).outDir).toBe('runs/mnist-quick-2');
    expect(manifestOf(path.join(cwd, 'runs/mnist-quick')).status).toBe('finished');
  }, 300_000);
});

describe('runConfig on a run folder (library)', () => {
  const config = { name: 'lib', seed: 2, data: { name: 'mnist', testSize: 200, limit: 600 }, model: { hidden: [16] }, training: { epochs: 3, batchSize: 50 } };

  it('two runs on one folder in one process: the second is refused at once, the first finishes', async () => {
    const out = tmp();
    const first = runConfig(config, { outDir: out });
    await expect(runConfig(config, { outDir: out })).rejects.toThrow(RunFolderError);
    await first;
    expect(manifestOf(out).status).toBe('finished');
  }, 120_000);

  it('an aborted signal stops the run after a batch with RunInterruptedError and manifest "interrupted"; resume finishes it', async () => {
    const out = tmp();
    const stop = new AbortController();
    const err = await runConfig(config, { outDir: out, signal: stop.signal, callbacks: { onEpochEnd: (l) => { if (l.epoch === 0) stop.abort('SIGINT'); } } }).catch((e) => e);
    expect(err).toBeInstanceOf(RunInterruptedError);
    expect((err as RunInterruptedError).signal).toBe('SIGINT');
    expect((err as RunInterruptedError).epochsDone).toBe(1);
    expect(manifestOf(out).status).toBe('interrupted');
    expect(loadCheckpoint(path.join(out, 'checkpoint.json')).model.epochsDone).toBe(1);
    await expect(runConfig(config, { outDir: out })).rejects.toThrow(/already holds a run \(status: interrupted\)/);
    const r = await runConfig(config, { outDir: out, resume: true });
    expect(r.epochs).toBe(3);
    expect(manifestOf(out).resumedFromEpoch).toBe(1);
    // Stopped by a signal and resumed, the run ends exactly where an uninterrupted one does.
    const whole = tmp();
    const w = await runConfig(config, { outDir: whole });
    expect([r.testAccuracy, r.testLoss]).toEqual([w.testAccuracy, w.testLoss]);
    const metrics = (dir: string) => readJsonLines<Record<string, unknown>>(path.join(dir, 'metrics.jsonl')).map(({ seconds: _s, evolutionSeconds: _e, ...m }) => m);
    expect(metrics(out)).toEqual(metrics(whole));
  }, 120_000);
});

const grid = (epochs: number) => ({
  base: { preset: 'mnist-quick', data: { name: 'mnist', testSize: 200, limit: 600 }, model: { hidden: [32] }, training: { epochs, batchSize: 50 } },
  axes: { policy: ['set', 'static'] },
  seeds: [1, 2],
});

describe('ablate on a grid folder', () => {
  it('library: a second runAblation on a folder in use is refused at once; cells (worker threads) lock their own folders without tripping on the grid lock', async () => {
    const out = tmp();
    const first = runAblation(grid(2), { outDir: out, workers: 2 });
    await expect(runAblation(grid(2), { outDir: out, workers: 0 })).rejects.toThrow(/ablation folder .* is in use by this process/);
    const summary = await first;
    expect(summary.rows).toHaveLength(4);
    expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
    for (const id of fs.readdirSync(path.join(out, 'runs'))) expect(fs.existsSync(path.join(out, 'runs', id, '.lock'))).toBe(false);
  }, 300_000);

  it('CLI: a second ablate on the same folder stops at once naming the first (it would run every cell twice); SIGINT ends the first with 130 and frees the folder', async () => {
    const dir = tmp();
    const gridFile = path.join(dir, 'grid.json');
    fs.writeFileSync(gridFile, JSON.stringify(grid(200)));
    const out = path.join(dir, 'out');
    const child = spawn(process.execPath, [main, 'ablate', gridFile, '--workers', '1', '--out', out], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Wait until a cell has written an epoch (the grid lock is taken before any cell starts).
    for (;;) {
      if (child.exitCode !== null) throw new Error(`ablate ended early: ${stderr}`);
      const runs = path.join(out, 'runs');
      if (fs.existsSync(runs) && fs.readdirSync(runs).some((id) => fs.existsSync(path.join(runs, id, 'metrics.jsonl')))) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const second = await cli(['ablate', gridFile, '--workers', '0', '--out', out]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(new RegExp(`ablation folder ${out} is in use by process ${child.pid}`));
    child.kill('SIGINT');
    expect(await done).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopped; run the same command again to continue/);
    expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
  }, 300_000);
});

// A full disk: a tmpfs just big enough for the first epoch's files plus half a checkpoint, so that the
// second epoch's checkpoint cannot be written. Mounting needs root; elsewhere this is skipped.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
describe.skipIf(!isRoot)(isRoot ? 'train on a full disk' : 'train on a full disk [skipped: not root, cannot mount a small tmpfs]', () => {
  const mounts: string[] = [];
  afterAll(() => {
    for (const m of mounts) {
      execFileSync('umount', [m]);
      fs.rmdirSync(m);
    }
  });

  it('exits non-zero with a clear ENOSPC message, and the previous checkpoint stays intact and loadable', async () => {
    // The sizes of one epoch's files, measured on a normal disk with the same config.
    const probe = path.join(tmp(), 'probe');
    expect((await cli(['train', ...short, '--out', probe])).code).toBe(0);
    const page = 4096;
    const pages = (f: string) => Math.ceil(fs.statSync(path.join(probe, f)).size / page) * page;
    const checkpoint = pages('checkpoint.json');
    // Everything the first epoch writes (the end-of-run model.json and result.json are not written yet).
    const firstEpoch = fs.readdirSync(probe).filter((f) => f !== 'model.json' && f !== 'result.json').map(pages).reduce((a, b) => a + b, 0);
    const size = firstEpoch + 2 * page + Math.floor(checkpoint / 2 / page) * page;
    const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount]);
    mounts.push(mount);

    const out = path.join(mount, 'run');
    const r = await cli(['train', ...quick, '--set', 'training.epochs=3', '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.code).toBe(2);
    // The first file of epoch 2 that does not fit: the checkpoint, or the best model when it is saved first.
    expect(r.stderr).toMatch(/synapses-ts: cannot write .*(checkpoint|best-model)\.json: ENOSPC \(no space left on device\); the previous version of the file, if any, is kept/);
    const { model } = loadCheckpoint(path.join(out, 'checkpoint.json'));
    expect(model.epochsDone).toBe(1);
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.existsSync(path.join(out, '.lock'))).toBe(false);
  }, 300_000);
});
