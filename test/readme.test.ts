/**
 * Every code block of README.md runs, so the README cannot drift from the toolkit:
 * - ```ts blocks are saved as `.ts` files in a scratch folder inside the repository (so that `synapses-ts`
 *   resolves as it does for a user's project; its package.json says `"type": "module"`, so top-level `await`
 *   works), type-checked with the pinned TypeScript (strict) and run with tsx;
 * - ```sh blocks run with bash (`set -e`) in a scratch folder inside the repository;
 * - ```python blocks run with Debian's /usr/bin/python3 (numpy, scipy) in the sh blocks' folder, after them;
 * - ```json blocks are parsed, and a grid (`axes`) is expanded with expandGrid.
 *
 * Conventions, as an HTML comment on the line before a block (invisible on GitHub):
 * - `<!-- readme-test: skip (reason) -->`: not run; the reason says why (a long job, a cluster, ...);
 * - `<!-- readme-test: continues -->`: a ts block that continues the previous ts block (it uses its
 *   variables): both run together as one file.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { expandGrid } from '../toolkit/src/experiments/grid';

const execFileP = promisify(execFile);
const root = path.resolve(__dirname, '..');

/** A fenced code block of the README and the marker before it. */
export interface ReadmeBlock {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly skip?: string;
  readonly continues: boolean;
}

/** The fenced blocks of a Markdown text, with their `readme-test` markers. */
export function readmeBlocks(text: string): ReadmeBlock[] {
  const lines = text.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? /^<!--\s*readme-test:\s*(skip|continues)\s*(?:\((.*)\))?\s*-->\s*$/.exec(lines[before]!.trim()) : null;
    if (marker?.[1] === 'skip' && !marker[2]) throw new Error(`README.md line ${before + 1}: a skip marker needs a reason in parentheses`);
    blocks.push({
      lang: open[1]!,
      code: lines.slice(start + 1, end).join('\n'),
      line: start + 1,
      ...(marker?.[1] === 'skip' ? { skip: marker[2]! } : {}),
      continues: marker?.[1] === 'continues',
    });
    i = end;
  }
  return blocks;
}

const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = readmeBlocks(readme);
const top = fs.mkdtempSync(path.join(root, '.readme-test-'));
// ts blocks: a project of their own ("type": "module", as a user's would be for top-level await); sh blocks:
// a folder without package.json, so that npm (npx) finds the repository's project and its synapses-ts bin.
const scratch = path.join(top, 'ts');
const shDir = path.join(top, 'sh');
fs.mkdirSync(scratch);
fs.mkdirSync(shDir);
fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'readme-test', private: true, type: 'module' }));
fs.writeFileSync(path.join(scratch, 'tsconfig.json'), JSON.stringify({
  compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, skipLibCheck: true, noEmit: true, types: ['node'] },
  include: ['*.ts'],
}));
afterAll(() => fs.rmSync(top, { recursive: true, force: true }));

async function run(cmd: string, args: string[], cwd: string, timeout: number): Promise<{ code: number; out: string }> {
  try {
    const r = await execFileP(cmd, args, { cwd, timeout, maxBuffer: 1 << 26, env: { ...process.env, CI: 'true' } });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number | string; stdout?: string; stderr?: string; message: string };
    return { code: typeof err.code === 'number' ? err.code : 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}${err.message}` };
  }
}

describe('README.md code blocks', () => {
  it('finds the blocks and their markers', () => {
    expect(blocks.length).toBeGreaterThan(3);
    expect(readmeBlocks('x\n<!-- readme-test: skip (slow) -->\n```sh\nnpm start\n```\n```ts\nlet a = 1;\n```\n<!-- readme-test: continues -->\n\n```ts\na++;\n```\n'))
      .toEqual([
        { lang: 'sh', code: 'npm start', line: 3, skip: 'slow', continues: false },
        { lang: 'ts', code: 'let a = 1;', line: 6, continues: false },
        { lang: 'ts', code: 'a++;', line: 11, continues: true },
      ]);
    expect(() => readmeBlocks('<!-- readme-test: skip -->\n```sh\nx\n```\n')).toThrow(/needs a reason/);
  });

  let previousTs = '';
  for (const b of blocks) {
    const title = `${b.lang || 'text'} block at README.md line ${b.line}${b.skip ? ` (skipped: ${b.skip})` : ''}`;
    const code = b.lang === 'ts' && b.continues ? `${previousTs}\n${b.code}` : b.code;
    if (b.lang === 'ts') previousTs = code;
    if (b.skip !== undefined) {
      it.skip(title, () => undefined);
      continue;
    }
    if (b.lang === 'ts' || b.lang === 'typescript') {
      it(title, async () => {
        const file = path.join(scratch, `block-${b.line}.ts`);
        fs.writeFileSync(file, code + '\n');
        try {
          const types = await run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], scratch, 120_000);
          expect(types.code, `tsc on the block at line ${b.line}:\n${types.out}`).toBe(0);
          const ran = await run(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), file], scratch, 300_000);
          expect(ran.code, `tsx on the block at line ${b.line}:\n${ran.out}`).toBe(0);
        } finally {
          fs.rmSync(file); // the next block's type check sees only itself
        }
      }, 420_000);
    } else if (b.lang === 'sh' || b.lang === 'bash') {
      it(title, async () => {
        const ran = await run('bash', ['-e', '-c', code], shDir, 300_000);
        expect(ran.code, `the block at line ${b.line}:\n${ran.out}`).toBe(0);
      }, 320_000);
    } else if (b.lang === 'python') {
      // Debian's Python with numpy and scipy (set-up installs them), in the sh blocks' folder: it reads what they wrote.
      it(title, async () => {
        const ran = await run('/usr/bin/python3', ['-c', code], shDir, 120_000);
        expect(ran.code, `the block at line ${b.line}:\n${ran.out}`).toBe(0);
      }, 130_000);
    } else if (b.lang === 'json') {
      it(title, () => {
        const value = JSON.parse(code) as Record<string, unknown>;
        if ('axes' in value) expect(expandGrid(value).length).toBeGreaterThan(0);
      });
    } else {
      it.skip(`${title}: no runner for this language`, () => undefined);
    }
  }
});
