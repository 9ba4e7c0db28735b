// Issue 18, figures: a standard figure's title names the same layer as its file name (both numbered from 1),
// and the degree figure draws a fitted power law only where one fits.
import { beforeAll, describe, expect, it } from 'vitest';
import { rngFor } from '../../toolkit/src/core/rng';
import { degreeDistribution, type SnapshotFit } from '../../toolkit/src/plots/degrees';
import { fitPowerLaw, samplePowerLaw } from '../../toolkit/src/plots/powerlaw';
import { runFigures } from '../../toolkit/src/plots/run-figures';
import { makeRun } from './run-fixture';

type Trace = { name?: string; mode?: string };

describe('titles match file names', () => {
  let run: string;
  beforeAll(async () => {
    run = await makeRun();
  }, 60_000);

  it('numbers layers from 1 in file names, titles and labels alike', () => {
    const { figures } = runFigures(run);
    const numbered = figures.filter((f) => /-\d+$/.test(f.name));
    expect(numbered.map((f) => f.name)).toEqual(['degrees-hidden-1', 'degrees-hidden-2', 'spy-layer-1', 'spy-layer-2', 'spy-layer-3']);
    for (const f of numbered) {
      const n = /-(\d+)$/.exec(f.name)![1]!;
      const kind = f.name.startsWith('degrees-hidden') ? 'hidden layer' : 'layer';
      expect(f.title, f.name).toMatch(new RegExp(`\\b${kind} ${n}\\b`));
      // ...and no other layer number in the title.
      expect([...f.title.matchAll(/\blayer (\d+)/g)].map((m) => m[1]), f.name).toEqual([n]);
    }
    const spy = figures.find((f) => f.name === 'spy-layer-1')!.figure;
    expect(JSON.stringify(spy.layout)).toContain('layer 1');
    const weights = figures.find((f) => f.name === 'weight-histograms')!.figure.data as Trace[];
    expect(weights.map((t) => t.name)).toEqual(['layer 1', 'layer 2', 'layer 3']);
  });
});

describe('the degree figure\'s fitted power law', () => {
  const fitLine = (fig: ReturnType<typeof degreeDistribution>) => (fig.data as Trace[]).filter((t) => /power-law fit/.test(t.name ?? ''));
  // Binomial degrees (an Erdős–Rényi layer): the fit's exponent runs to its search bound.
  const rng = rngFor(2, 'binomial');
  const binomial = Int32Array.from({ length: 300 }, () => {
    let k = 0;
    for (let j = 0; j < 1084; j++) if (rng.float() < 0.04) k++;
    return k;
  });

  it('draws no line where no power law fits, and says so', () => {
    expect(fitPowerLaw(binomial).atBound).toBe(true);
    const fig = degreeDistribution([{ label: 'after epoch 10', degrees: binomial }]);
    expect(fitLine(fig)).toEqual([]);
    const fits = (fig.layout.meta as { fits: SnapshotFit[] }).fits;
    expect(fits).toHaveLength(1);
    expect(String(fig.layout.annotations?.[0]?.text)).toMatch(/after epoch 10: no power law fits/);
  });

  it('draws the fitted law where one fits', () => {
    const degrees = samplePowerLaw(2000, 2.5, 3, rngFor(1, 'power-law'));
    expect(fitPowerLaw(degrees).atBound).toBe(false);
    const fig = degreeDistribution([{ label: 'scale-free', degrees }]);
    expect(fitLine(fig)).toHaveLength(1);
    expect(fitLine(fig)[0]!.mode).toBe('lines');
    expect(String(fig.layout.annotations?.[0]?.text)).toMatch(/power law α = 2\.\d\d/);
  });
});
