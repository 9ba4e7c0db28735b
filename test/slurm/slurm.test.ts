/**
 * The Slurm executor on a real one-node Slurm cluster (scripts/slurm-local.sh: munged, slurmctld and slurmd
 * in a scratch folder of this test run, on ports of their own), started before the tests and stopped after
 * them whatever happens. Runs the BUILT CLI (toolkit/dist), as the array tasks do.
 *
 * Skipped (with the reason) only when not root and CI is not "true"; with CI=true or as root, missing
 * Slurm packages FAIL the suite.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFailures, readResults, runAblation } from '../../toolkit/src/experiments/ablation';
import { expandGrid } from '../../toolkit/src/experiments/grid';
import { runConfig } from '../../toolkit/src/experiments/run';
import { ablationStatus } from '../../toolkit/src/experiments/slurm/status';
import { readJsonLines } from '../../toolkit/src/io/files';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'toolkit/dist/cli/main.js');
const script = path.join(root, 'scripts/slurm-local.sh');
const run = promisify(execFile);

const isRoot = process.getuid?.() === 0;
const ci = process.env.CI === 'true';
const skipReason = !isRoot && !ci ? 'the local Slurm cluster needs root here (slurmd runs jobs as root); run as root or with CI=true' : null;
if (skipReason) console.warn(`test/slurm skipped: ${skipReason}`);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'synapses-slurm-test-'));
fs.chmodSync(scratch, 0o755); // munged runs as the munge user and must reach its socket in here
const clusterEnv: NodeJS.ProcessEnv = {
  ...process.env,
  SYNAPSES_SLURM_DIR: path.join(scratch, 'cluster'),
  SYNAPSES_SLURM_PORT: String(20000 + 2 * Math.floor(Math.random() * 4000)),
  // Four one-CPU tasks at once on two cores: the time-limit task runs beside the others.
  SYNAPSES_SLURM_CPUS: '4',
  SLURM_CONF: path.join(scratch, 'cluster', 'slurm.conf'),
  SYNAPSES_SLURM_POLL_MS: '300',
  CI: 'true',
};

const tmp = (name: string) => fs.mkdtempSync(path.join(scratch, `${name}-`));
/** Runs the CLI; resolves with its output and exit status (never rejects for a non-zero status). */
async function synapses(args: string[], env: NodeJS.ProcessEnv = clusterEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [cli, ...args], { env, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, stdout: x.stdout ?? '', stderr: x.stderr ?? '' };
  }
}
const slurmCmd = (name: string, args: string[]) => spawnSync(name, args, { env: clusterEnv, encoding: 'utf8' });

const tinyBase = {
  preset: 'mnist-quick',
  data: { name: 'mnist', testSize: 300, limit: 600 },
  model: { hidden: [48, 32], sparsity: { kind: 'erdos-renyi', eps: 4 }, dropout: 0.1 },
  training: { epochs: 2, batchSize: 32 },
};
/**
 * Epochs of the time-limit cell (3000 samples each): long enough that its first session gets the signal. The
 * signal comes up to 35 s into a session; 600 epochs once finished before it inside a full `npm test`.
 */
const TIME_LIMIT_EPOCHS = 3000;
const grid2x2 = { name: 'tiny', base: tinyBase, axes: { policy: ['set', 'static'] }, seeds: [1, 2] };
/** One cell that trains long enough to be interrupted (about 3 s of 60 epochs here). */
const longGrid = (name: string, epochs: number, limit: number) => ({
  name, base: { ...tinyBase, data: { name: 'mnist', testSize: 300, limit }, training: { epochs, batchSize: 32 } }, axes: {}, seeds: [3],
});
const writeGrid = (dir: string, grid: unknown) => {
  const file = path.join(dir, 'grid.json.in');
  fs.writeFileSync(file, JSON.stringify(grid));
  return file;
};

/** What must match between executors: metrics, and a hash of each cell's final topology. */
function comparable(dir: string) {
  return readResults(dir)
    .map(({ id, testAccuracy, testLoss, testAccuracyAtBest, bestEpoch, bestValAccuracy, connections, connectionsPerLayer, epochs }) => ({
      id, testAccuracy, testLoss, testAccuracyAtBest, bestEpoch, bestValAccuracy, connections, connectionsPerLayer, epochs, topology: topologyHash(path.join(dir, 'runs', id)),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}
function topologyHash(runDir: string): string {
  const model = JSON.parse(fs.readFileSync(path.join(runDir, 'model.json'), 'utf8')) as { layers: { colIdx?: unknown; rowPtr?: unknown }[] };
  return createHash('sha256').update(JSON.stringify(model.layers.map((l) => [l.rowPtr ?? null, l.colIdx ?? null]))).digest('hex').slice(0, 16);
}
const metricsOf = (runDir: string) => readJsonLines<Record<string, unknown>>(path.join(runDir, 'metrics.jsonl')).map(({ seconds: _s, evolutionSeconds: _e, ...m }) => m);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Slurm holds a requeued job back for about two minutes (its BeginTime). The tests do not wait for that:
 * a poller lets requeued tasks start (`scontrol update StartTime=now`), as an admin could, once they have
 * waited 5 s: released at once, slurmd may still be ending the killed session and refuses the launch
 * ("already killed, do not launch batch job"), which is why Slurm waits at all.
 */
let releaser: NodeJS.Timeout | undefined;
const pendingSince = new Map<string, number>();
function startReleaser(): void {
  releaser = setInterval(() => {
    const r = slurmCmd('squeue', ['--me', '-h', '-r', '-t', 'PENDING', '-o', '%i|%r']);
    for (const line of (r.stdout ?? '').split('\n')) {
      const [id, reason] = line.trim().split('|');
      if (!id || reason !== 'BeginTime') continue;
      const since = pendingSince.get(id) ?? Date.now();
      pendingSince.set(id, since);
      if (Date.now() - since < 5000) continue;
      slurmCmd('scontrol', ['update', `JobId=${id}`, 'StartTime=now']);
      pendingSince.delete(id);
    }
  }, 500);
}

function stopCluster(): void {
  if (releaser) clearInterval(releaser);
  releaser = undefined;
  try {
    execFileSync('bash', [script, 'stop'], { env: clusterEnv, stdio: 'ignore', timeout: 60_000 });
  } catch {
    // Reported by the status check of afterAll.
  }
}

describe.skipIf(skipReason !== null)('Slurm executor on a real one-node cluster', () => {
  // Submitted first and checked last: it needs about a minute of its own (see its test).
  let timeLimitDir = '';
  let timeLimitSubmit: Promise<{ code: number; stdout: string; stderr: string }> | undefined;

  beforeAll(async () => {
    const missing = ['sbatch', 'squeue', 'scontrol', 'slurmctld', 'slurmd', 'munged'].filter((c) => spawnSync('bash', ['-c', `command -v ${c} || test -x /usr/sbin/${c}`]).status !== 0);
    if (missing.length) throw new Error(`Slurm is not installed (missing ${missing.join(', ')}): apt-get install slurm-wlm slurm-client munge (scripts/setup.sh installs them)`);
    process.on('exit', stopCluster); // a crashed run still stops the daemons
    const started = await run('bash', [script, 'start'], { env: clusterEnv });
    expect(started.stdout).toMatch(/slurm-local: up/);
    process.env.SLURM_CONF = clusterEnv.SLURM_CONF; // for the in-process status calls
    startReleaser();
    timeLimitDir = tmp('timelimit');
    // The time limit test: 1 minute per session (Slurm's smallest), USR1 55 s before the limit. Slurm checks
    // limits every 30 s, so the signal comes 5 to 35 s into a session; the cell needs well over 35 s in all
    // (600 epochs, 20-50 s here, once finished first; 3000 take about 100 s), so its first session is stopped, and each
    // session trains at least 5 s.
    timeLimitSubmit = synapses(['ablate', writeGrid(timeLimitDir, longGrid('timelimit', TIME_LIMIT_EPOCHS, 3000)), '--executor', 'slurm', '--out', timeLimitDir,
      '--time', '00:01:00', '--signal-before', '55', '--wait']);
  }, 120_000);

  afterAll(() => {
    stopCluster();
    const left = spawnSync('bash', [script, 'status'], { env: clusterEnv, encoding: 'utf8' });
    expect(left.stdout).not.toMatch(/running \(pid/);
    fs.rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  it('--dry-run prints a commented sbatch script and submits and writes nothing', async () => {
    const dir = path.join(tmp('dry'), 'out');
    const r = await synapses(['ablate', writeGrid(scratch, grid2x2), '--executor', 'slurm', '--out', dir, '--dry-run', '--partition', 'debug',
      '--time', '00:10:00', '--cpus-per-task', '2', '--mem', '500M', '--max-parallel', '2', '--sbatch-arg=--comment=synapses-test']);
    expect(r.code).toBe(0);
    const s = r.stdout;
    expect(s.startsWith('#!/bin/bash\n# synapses-ts ablation "tiny"')).toBe(true);
    expect(s).toContain('#SBATCH --array=0-3%2\n');
    expect(s).toContain(`#SBATCH --output=${dir}/slurm/logs/%A_%a.log\n`);
    expect(s).toContain('#SBATCH --cpus-per-task=2\n#');
    expect(s).toContain('#SBATCH --time=00:10:00\n#SBATCH --partition=debug\n#SBATCH --mem=500M\n');
    expect(s).toContain('#SBATCH --requeue\n#SBATCH --signal=B:USR1@120\n');
    expect(s).toContain('#SBATCH --comment=synapses-test\n');
    expect(s).toContain(`exec ${process.execPath} ${cli} ablate-task ${dir} --submission 1\n`);
    expect(s.split('\n').filter((l) => l.startsWith('# ')).length).toBeGreaterThan(8); // commented
    expect(r.stderr).toMatch(/4 would be submitted; nothing was written or submitted/);
    expect(fs.existsSync(dir)).toBe(false);
    expect(slurmCmd('squeue', ['-h', '-n', 'synapses-tiny']).stdout.trim()).toBe('');
  });

  it('says clearly: sbatch not installed (Debian package), no controller, unknown partition, bad options', async () => {
    const grid = writeGrid(tmp('err'), grid2x2);
    const out = path.join(scratch, 'never');
    const noSlurm = await synapses(['ablate', grid, '--executor', 'slurm', '--out', out], { ...clusterEnv, PATH: tmp('empty-path') });
    expect(noSlurm.code).toBe(2);
    expect(noSlurm.stderr).toMatch(/not found on PATH.*apt-get install slurm-client/);
    const badConf = path.join(scratch, 'nowhere.conf');
    fs.writeFileSync(badConf, fs.readFileSync(clusterEnv.SLURM_CONF!, 'utf8').replace(/^SlurmctldPort=\d+$/m, 'SlurmctldPort=9'));
    const noController = await synapses(['ablate', grid, '--executor', 'slurm', '--out', out], { ...clusterEnv, SLURM_CONF: badConf });
    expect(noController.code).toBe(2);
    expect(noController.stderr).toMatch(/no Slurm controller reachable/);
    const partition = await synapses(['ablate', grid, '--executor', 'slurm', '--out', out, '--partition', 'gpu-nope']);
    expect(partition.code).toBe(2);
    expect(partition.stderr).toMatch(/partition "gpu-nope" does not exist on this cluster; its partitions are: debug/);
    const time = await synapses(['ablate', grid, '--executor', 'slurm', '--out', out, '--time', '2h']);
    expect(time.stderr).toMatch(/--time "2h" is not a Slurm time/);
    const local = await synapses(['ablate', grid, '--out', out, '--wait']);
    expect(local.stderr).toMatch(/--wait only apply with --executor slurm/);
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a 2 x 2 grid on Slurm gives the rows and topologies of a local run; --status follows it while it runs', async () => {
    const dir = path.join(tmp('grid'), 'out');
    const gridFile = writeGrid(scratch, grid2x2);
    // One task at a time, so that --status sees pending and running tasks.
    const submitted = await synapses(['ablate', gridFile, '--executor', 'slurm', '--out', dir, '--max-parallel', '1']);
    expect(submitted.code).toBe(0);
    const jobId = /submitted job array (\d+) with 4 task\(s\) for 4 run\(s\)/.exec(submitted.stderr)?.[1];
    expect(jobId).toBeDefined();
    const first = await synapses(['ablate', dir, '--status']);
    expect(first.stdout).toMatch(new RegExp(`pending +${jobId}_3 .*policy="static" seed=2 +${dir}/slurm/logs/${jobId}_3\\.log`));
    // Polled in-process while the array runs: a running task is seen with its node, others pending.
    const seen = new Set<string>();
    await until('the array to end', () => {
      const s = ablationStatus(dir);
      for (const c of s.cells) seen.add(c.state);
      const running = s.cells.find((c) => c.state === 'running');
      if (running) expect(running.node).toBe(os.hostname().split('.')[0]);
      return s.active === 0;
    }, 120_000);
    expect([...seen]).toEqual(expect.arrayContaining(['pending', 'running', 'finished']));
    // --wait on a finished array submits nothing and writes the tables as a local run does.
    const waited = await synapses(['ablate', gridFile, '--executor', 'slurm', '--out', dir, '--wait']);
    expect(waited.code).toBe(0);
    expect(waited.stderr).toMatch(/4 runs \(4 finished, 0 still queued\): nothing to submit/);
    expect(fs.existsSync(path.join(dir, 'summary.csv'))).toBe(true);
    const local = tmp('local');
    await runAblation(grid2x2, { outDir: local, workers: 0 });
    expect(comparable(dir)).toHaveLength(4);
    expect(comparable(dir)).toEqual(comparable(local));
    for (const { id } of comparable(dir)) expect(metricsOf(path.join(dir, 'runs', id))).toEqual(metricsOf(path.join(local, 'runs', id)));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'runs', comparable(dir)[0]!.id, 'manifest.json'), 'utf8'));
    expect(manifest.executor).toMatchObject({ name: 'slurm', arrayJobId: jobId, node: os.hostname().split('.')[0], cpusPerTask: 1 });
    expect(manifest.executor.jobId).toMatch(/^\d+$/);
    const status = await synapses(['ablate', dir, '--status']);
    expect(status.stdout).toMatch(/4 cells: 4 finished/);
  }, 180_000);

  it('a failing cell is recorded and reported, the others finish; a task that dies before writing anything is named with its log', async () => {
    const dir = path.join(tmp('fail'), 'out');
    const grid = { name: 'diverge', base: tinyBase, axes: { 'optimizer.lr': [0.01, 1e30] }, seeds: [1] };
    const r = await synapses(['ablate', writeGrid(scratch, grid), '--executor', 'slurm', '--out', dir, '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/1 of 2 runs failed .*\n.*optimizer\.lr=1e\+30 seed=1: NumericalError/);
    expect(readResults(dir)).toHaveLength(1);
    expect(readFailures(dir).map((f) => f.error.name)).toEqual(['NumericalError']);
    const status = await synapses(['ablate', dir, '--status']);
    expect(status.stdout).toMatch(/failed .*NumericalError/);
    // A task whose node cannot even start (a broken environment) writes nothing: the log is named.
    const broken = path.join(tmp('broken'), 'out');
    const b = await synapses(['ablate', writeGrid(scratch, grid2x2), '--executor', 'slurm', '--out', broken, '--wait',
      '--sbatch-arg=--export=ALL,NODE_OPTIONS=--require=/nonexistent/synapses-preload.js']);
    expect(b.code).not.toBe(0);
    const job = /its task ended \((FAILED|COMPLETED)\) before the cell wrote anything: see its log (\S+\.log)/.exec(b.stderr);
    expect(job).not.toBeNull();
    expect(fs.readFileSync(job![2]!, 'utf8')).toMatch(/nonexistent\/synapses-preload/);
  }, 180_000);

  it('a task stopped with scancel --signal=TERM mid-run is requeued and finishes bit-identical to an uninterrupted run', async () => {
    const dir = path.join(tmp('term'), 'out');
    const grid = longGrid('term', 60, 600);
    const s = await synapses(['ablate', writeGrid(scratch, grid), '--executor', 'slurm', '--out', dir]);
    const jobId = /submitted job array (\d+)/.exec(s.stderr)![1]!;
    const cell = expandGrid(grid)[0]!;
    const metrics = path.join(dir, 'runs', cell.id, 'metrics.jsonl');
    await until('3 epochs', () => fs.existsSync(metrics) && fs.readFileSync(metrics, 'utf8').split('\n').length > 3);
    expect(ablationStatus(dir).cells[0]).toMatchObject({ state: 'running', job: `${jobId}_0` });
    // --batch: the signal goes to the batch step (the node process); plain scancel --signal spares it.
    expect(slurmCmd('scancel', ['--batch', '--signal=TERM', `${jobId}_0`]).status).toBe(0);
    const r = await synapses(['ablate', writeGrid(scratch, grid), '--executor', 'slurm', '--out', dir, '--wait']);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'runs', cell.id, 'manifest.json'), 'utf8'));
    expect(manifest.executor.restartCount).toBeGreaterThanOrEqual(1);
    expect(manifest.sessions.length).toBeGreaterThanOrEqual(2);
    expect(manifest.sessions[0].status).toBe('interrupted');
    const log = fs.readFileSync(path.join(dir, 'slurm', 'logs', `${jobId}_0.log`), 'utf8');
    expect(log).toMatch(/SIGTERM[^]*requeued/);
    // The same cell, never interrupted.
    const alone = tmp('alone');
    await runConfig(cell.config, { outDir: alone });
    expect(metricsOf(path.join(dir, 'runs', cell.id))).toEqual(metricsOf(alone));
    expect(topologyHash(path.join(dir, 'runs', cell.id))).toBe(topologyHash(alone));
    expect(readResults(dir)[0]!.testAccuracy).toBe(JSON.parse(fs.readFileSync(path.join(alone, 'result.json'), 'utf8')).testAccuracy);
  }, 180_000);

  it('a task that reaches its time limit gets USR1, checkpoints, is requeued and finishes', async () => {
    const r = await timeLimitSubmit!;
    expect(r.code).toBe(0);
    const cell = expandGrid(longGrid('timelimit', TIME_LIMIT_EPOCHS, 3000))[0]!;
    const manifest = JSON.parse(fs.readFileSync(path.join(timeLimitDir, 'runs', cell.id, 'manifest.json'), 'utf8'));
    expect(manifest.status).toBe('finished');
    expect(manifest.executor.restartCount).toBeGreaterThanOrEqual(1);
    expect(manifest.sessions[0].status).toBe('interrupted');
    // Every epoch once, in order, across the sessions.
    expect(metricsOf(path.join(timeLimitDir, 'runs', cell.id)).map((m) => m.epoch)).toEqual([...Array(TIME_LIMIT_EPOCHS).keys()]);
    const logs = fs.readdirSync(path.join(timeLimitDir, 'slurm', 'logs'));
    const log = fs.readFileSync(path.join(timeLimitDir, 'slurm', 'logs', logs[0]!), 'utf8');
    expect(log).toMatch(/SIGUSR1[^]*requeued/);
  }, 480_000);
});
