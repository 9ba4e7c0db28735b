// Executes every notebooks/*.ipynb headless through real Jupyter (nbconvert + the synapses-ts tslab kernel),
// the way a user's notebook server would run it, with SYNAPSES_QUICK=1 so training stays short.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const NOTEBOOK_DIR = join(ROOT, 'notebooks');
// Debian's Jupyter, named explicitly: another python3/jupyter may come first on PATH.
const JUPYTER = '/usr/bin/jupyter';
const KERNEL_NAME = 'synapses-ts';
const TEST_TIMEOUT_MS = 300_000;
// nbconvert is killed a little before the test times out, so the failure shows its stderr, not a bare timeout.
const NBCONVERT_TIMEOUT_MS = TEST_TIMEOUT_MS - 15_000;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }) {
  return new Promise<RunResult>((resolvePromise, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

// nbconvert's stderr on a failed cell is mostly a Python traceback; its useful part starts at the exception.
function nbconvertError(stderr: string): string {
  const at = stderr.lastIndexOf('CellExecutionError:');
  return at >= 0 ? tail(stderr.slice(at)) : tail(stderr);
}

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
interface Cell {
  cell_type: string;
  source: string | string[];
  execution_count?: number | null;
  metadata?: { execution?: Record<string, string> };
  outputs?: Output[];
}

const joinText = (t: string | string[] | undefined) => (Array.isArray(t) ? t.join('') : (t ?? ''));

const readCodeCells = (file: string) =>
  (JSON.parse(readFileSync(file, 'utf8')) as { cells: Cell[] }).cells.filter(
    (c) => c.cell_type === 'code' && joinText(c.source).trim() !== '',
  );

// tslab reports a failing cell (exception or type error) as a stderr stream plus an "error" execute_reply
// with an empty ename/evalue, so nbconvert's own message names the cell but not the error. To say what went
// wrong, a failed notebook is executed once more with --allow-errors and its cells' stderr is collected.
function stderrOfCells(file: string): string {
  return readCodeCells(file)
    .map((cell, i) => {
      const err = (cell.outputs ?? [])
        .filter((o) => (o.output_type === 'stream' && o.name === 'stderr') || o.output_type === 'error')
        .map((o) => (o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : tail(joinText(o.text), 15)))
        .join('\n');
      return err ? `--- code cell ${i + 1} stderr:\n${err}` : '';
    })
    .filter(Boolean)
    .join('\n');
}

const notebooks = existsSync(NOTEBOOK_DIR)
  ? readdirSync(NOTEBOOK_DIR).filter((f) => f.endsWith('.ipynb') && !f.endsWith('.out.ipynb')).sort()
  : [];

describe('notebooks (headless, real Jupyter)', () => {
  let tmp = '';
  let env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    if (!existsSync(JUPYTER)) {
      // Not skipped: the notebooks are part of the deliverable, and `npm run setup` installs Jupyter.
      throw new Error(
        `${JUPYTER} not found${process.env.CI === 'true' ? ' on CI' : ''}: ` +
          'run `npm run setup` (as root it installs the Debian Jupyter packages) and try again',
      );
    }
    tmp = mkdtempSync(join(tmpdir(), 'synapses-notebooks-'));
    const prefix = join(tmp, 'prefix');
    env = {
      ...process.env,
      JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
      // Keep Jupyter's runtime files (connection files) out of the user's home.
      JUPYTER_RUNTIME_DIR: join(tmp, 'runtime'),
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
      SYNAPSES_QUICK: '1',
    };
    const install = await run('bash', [join(ROOT, 'kernels', 'install.sh'), '--prefix', prefix, '--quiet'], {
      cwd: ROOT,
      env,
      timeoutMs: 60_000,
    });
    if (install.code !== 0) {
      throw new Error(`kernels/install.sh --prefix failed (exit ${install.code}):\n${tail(install.stderr)}`);
    }
  }, 90_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('finds notebooks to run', () => {
    expect(notebooks.length).toBeGreaterThan(0);
  });

  it.each(notebooks)(
    '%s executes without errors',
    async (name) => {
      const out = join(tmp, name.replace(/\.ipynb$/, '.executed.ipynb'));
      const nbconvert = (output: string, extra: string[] = []) =>
        run(
          JUPYTER,
          [
            'nbconvert',
            '--to',
            'notebook',
            '--execute',
            ...extra,
            `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
            '--ExecutePreprocessor.timeout=600',
            '--output',
            output,
            name,
          ],
          { cwd: NOTEBOOK_DIR, env, timeoutMs: NBCONVERT_TIMEOUT_MS },
        );
      const started = Date.now();
      const result = await nbconvert(out);
      if (result.code !== 0) {
        const how = result.signal
          ? `killed by ${result.signal} after ${NBCONVERT_TIMEOUT_MS / 1000} s`
          : `exit ${result.code}`;
        let detail = '';
        const timeLeft = TEST_TIMEOUT_MS - (Date.now() - started) - 20_000;
        if (!result.signal && timeLeft > 2 * (Date.now() - started)) {
          const again = join(tmp, name.replace(/\.ipynb$/, '.allow-errors.ipynb'));
          const rerun = await nbconvert(again, ['--allow-errors']);
          if (rerun.code === 0 && existsSync(again)) detail = `\nkernel stderr (re-run with --allow-errors):\n${stderrOfCells(again)}`;
        }
        throw new Error(`nbconvert --execute ${name} failed (${how}); nbconvert stderr tail:\n${nbconvertError(result.stderr)}${detail}`);
      }

      const code = readCodeCells(out);
      expect(code.length, 'code cells').toBeGreaterThan(0);
      const problems: string[] = [];
      code.forEach((cell, i) => {
        // tslab leaves execution_count null; nbclient's timing record of the kernel's reply proves the cell ran.
        const replied = typeof cell.execution_count === 'number' || !!cell.metadata?.execution?.['shell.execute_reply'];
        if (!replied) problems.push(`code cell ${i + 1} did not run`);
        for (const o of cell.outputs ?? []) {
          if (o.output_type === 'error') {
            problems.push(`code cell ${i + 1}: ${o.ename}: ${o.evalue}\n${(o.traceback ?? []).join('\n')}`);
          }
        }
      });
      expect(problems, problems.join('\n\n')).toEqual([]);

      const printed = code
        .flatMap((c) => c.outputs ?? [])
        .filter((o) => o.output_type === 'stream' && o.name === 'stdout')
        .map((o) => joinText(o.text))
        .join('');
      if (printed.trim()) console.log(`[${name}]\n${tail(printed, 10)}`);
    },
    TEST_TIMEOUT_MS,
  );
});
