/**
 * The toolchain the scripts use: every script that compiles calls the TypeScript pinned in package.json
 * (node_modules/typescript), never `node_modules/.bin/tsc`, which npm may link to another package's bundled
 * compiler (tslab ships TypeScript 5.0.4).
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  devDependencies: Record<string, string>;
};
const PINNED = pkg.devDependencies.typescript!;
const COMPILER = 'node node_modules/typescript/bin/tsc';

/** The version a compiler command prints, run from the repository root as npm runs scripts. */
function versionOf(command: string): string {
  return execSync(`${command} --version`, { cwd: root, encoding: 'utf8' }).trim();
}

/** Every shell command in `text` that runs tsc (comments and `say "..."` messages left out). */
function tscCommands(text: string): string[] {
  return text
    .split(/\n|&&/)
    .map((l) => l.trim())
    .filter((l) => !l.startsWith('#') && !/^(say|echo)\b/.test(l) && /(^|[\s/])tsc(\s|$)/.test(l));
}

describe('the pinned TypeScript compiler', () => {
  it('package.json pins an exact TypeScript version', () => {
    expect(PINNED).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('the build and typecheck scripts call node_modules/typescript by path, and it is the pinned version', () => {
    for (const name of ['build', 'typecheck']) {
      const script = pkg.scripts[name]!;
      const commands = tscCommands(script);
      expect(commands.length, `${name}: ${script}`).toBeGreaterThan(0);
      for (const c of commands) {
        expect(c.startsWith(`${COMPILER} `), `${name} runs "${c}"`).toBe(true);
        // The exact command of the script, with its arguments replaced by --version.
        expect(versionOf(c.slice(0, COMPILER.length))).toBe(`Version ${PINNED}`);
      }
    }
  });

  it('no script of the repository calls node_modules/.bin/tsc or a bare tsc', () => {
    const files = ['scripts', 'kernels', '.ci']
      .flatMap((dir) => fs.readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && (/\.(sh|js|cjs|mjs|ts)$/.test(e.name) || !e.name.includes('.')))
        .map((e) => path.join(e.parentPath, e.name)));
    expect(files.some((f) => f.endsWith(path.join('scripts', 'setup.sh')))).toBe(true);
    for (const file of files) {
      for (const c of tscCommands(fs.readFileSync(file, 'utf8'))) {
        expect(c.startsWith(COMPILER), `${path.relative(root, file)} runs "${c}"`).toBe(true);
      }
    }
    for (const [name, script] of Object.entries(pkg.scripts)) {
      for (const c of tscCommands(script)) expect(c.startsWith(COMPILER), `script ${name} runs "${c}"`).toBe(true);
    }
  });

  it('the compiler setup.sh builds with reports the pinned version', () => {
    const [c] = tscCommands(fs.readFileSync(path.join(root, 'scripts/setup.sh'), 'utf8'));
    expect(c).toBeDefined();
    expect(versionOf(c!.replace(/\s+-p\s.*$/, ''))).toBe(`Version ${PINNED}`);
  });
});
