/** Runs the `synapses-ts` command as a user runs it (the npm bin, from the repository root, CI=true). */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'node_modules/.bin/synapses-ts');

/** The command's exit code and output; a non-zero exit is returned, not thrown. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(bin, args, { cwd: root, env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 24 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
