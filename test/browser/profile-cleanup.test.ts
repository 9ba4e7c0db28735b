// Browser profiles of figure export: each launch has its own, removed on close, and one left by a process that
// was killed while exporting is removed by the next launch (issue "Results a researcher can trust").
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserProfileDir, FigureExporter } from '../../toolkit/src/plots/export';
import { runBrowserTests } from './image-checks';

const profilesOf = (pid: number) => fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(`synapses-ts-browser-${pid}-`));

describe('browser profiles', () => {
  it('a profile of a process that no longer runs is removed by the next one; live ones are kept', () => {
    // The pid of a process that has ended.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    const stale = path.join(os.tmpdir(), `synapses-ts-browser-${dead}-0`);
    fs.mkdirSync(path.join(stale, 'Default'), { recursive: true });
    fs.writeFileSync(path.join(stale, 'Default', 'Cookies'), 'x');
    const mine = browserProfileDir();
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.existsSync(mine)).toBe(true);
    const next = browserProfileDir();
    expect(fs.existsSync(mine)).toBe(true);
    expect(next).not.toBe(mine);
    fs.rmSync(mine, { recursive: true });
    fs.rmSync(next, { recursive: true });
  });

  it.skipIf(!runBrowserTests)('a real launch uses its own profile and removes it on close', async () => {
    const before = profilesOf(process.pid).length;
    const exporter = await FigureExporter.launch();
    expect(profilesOf(process.pid).length).toBe(before + 1);
    await exporter.close();
    expect(profilesOf(process.pid).length).toBe(before);
  });
});
