import { describe, expect, it } from 'vitest';
import { checkSlurmOptions, parseSlurmTime, sbatchScript } from '../../toolkit/src/experiments/slurm/script';
import { chunkCells } from '../../toolkit/src/experiments/slurm/submit';

describe('Slurm script pieces (no cluster needed)', () => {
  it('parses every form of Slurm time limit and refuses others', () => {
    expect(parseSlurmTime('90')).toBe(5400);
    expect(parseSlurmTime('01:30')).toBe(90);
    expect(parseSlurmTime('02:00:00')).toBe(7200);
    expect(parseSlurmTime('1-02')).toBe(93600);
    expect(parseSlurmTime('1-00:00:30')).toBe(86430);
    expect(() => parseSlurmTime('2h')).toThrow(/not a Slurm time/);
    expect(() => parseSlurmTime('00:00:00')).toThrow(/longer than 0/);
  });
  it('signals 120 s before the limit, at most half of it; refuses options the executor owns', () => {
    expect(checkSlurmOptions({}).signalBefore).toBe(120);
    expect(checkSlurmOptions({ time: '00:01:00' }).signalBefore).toBe(30);
    expect(() => checkSlurmOptions({ time: '00:01:00', signalBefore: 60 })).toThrow(/must come after the start/);
    expect(() => checkSlurmOptions({ sbatchArgs: ['--array=0-3'] })).toThrow(/sets this option itself/);
    expect(() => checkSlurmOptions({ sbatchArgs: ['qos=x'] })).toThrow(/starting with "-"/);
    expect(() => checkSlurmOptions({ mem: '4GB' })).toThrow(/memory size/);
    expect(() => checkSlurmOptions({ cpusPerTask: 0 })).toThrow(/--cpus-per-task must be an integer >= 1/);
  });
  it('splits more cells than MaxArraySize into contiguous chunks, one per array task', () => {
    const ids = Array.from({ length: 7 }, (_, i) => `c${i}`);
    expect(chunkCells(ids, 3)).toEqual([['c0', 'c1', 'c2'], ['c3', 'c4'], ['c5', 'c6']]);
    expect(chunkCells(ids, 7).every((c) => c.length === 1)).toBe(true);
    const s = sbatchScript({ outDir: '/d', gridName: 'g', submission: 2, tasks: 3, cells: 7, node: '/usr/bin/node', cli: '/t/main.js', logPattern: '/d/slurm/logs/%A_%a.log', maxArraySize: 3, options: {} });
    expect(s).toContain('#SBATCH --array=0-2\n');
    expect(s).toContain("chunks of up to 3 cells per task (more cells than the cluster's MaxArraySize of 3)");
    expect(s).toContain('exec /usr/bin/node /t/main.js ablate-task /d --submission 2\n');
  });
});
