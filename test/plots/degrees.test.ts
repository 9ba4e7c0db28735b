import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { binomialPmf, degreeDistribution, erdosRenyiDegreePmf, hiddenDegrees, type SnapshotFit } from '../../toolkit/src/plots/degrees';
import { samplePowerLaw } from '../../toolkit/src/plots/powerlaw';

type Trace = { type: string; mode: string; name: string; x: number[]; y: number[] };

// Layer 0: 3 inputs -> 2 hidden; layer 1: 2 hidden -> 2 outputs.
const w0 = CsrMatrix.fromTriplets(2, 3, [0, 0, 1], [0, 2, 1], [1, 1, 1]); // fan-in of hidden: [2, 1]
const w1 = CsrMatrix.fromTriplets(2, 2, [0, 1, 1], [1, 0, 1], [1, 1, 1]); // fan-out of hidden: [1, 2]

describe('hidden neuron degrees', () => {
  it('counts fan-in, fan-out and their sum from the CSR layers (hand table)', () => {
    expect(Array.from(hiddenDegrees([w0, w1], 0, 'in'))).toEqual([2, 1]);
    expect(Array.from(hiddenDegrees([w0, w1], 0, 'out'))).toEqual([1, 2]);
    expect(Array.from(hiddenDegrees([w0, w1], 0))).toEqual([3, 3]);
    expect(() => hiddenDegrees([w0, w1], 1)).toThrow(/hidden layer 1 does not exist/);
    expect(() => hiddenDegrees([w0, w0], 0)).toThrow(/2 outputs but layer 1 has 3 inputs/);
  });

  it('gives binomial references: probabilities summing to 1 with mean n p, the total as a convolution', () => {
    const pmf = binomialPmf(1000, 0.04);
    const sum = pmf.reduce((a, b) => a + b, 0);
    const mean = pmf.reduce((a, p, k) => a + p * k, 0);
    expect(sum).toBeCloseTo(1, 12);
    expect(mean).toBeCloseTo(40, 9);
    expect(Array.from(binomialPmf(2, 0.5))).toEqual([0.25, 0.5, 0.25]);
    expect(Array.from(binomialPmf(3, 1))).toEqual([0, 0, 0, 1]);
    // p of layer 0 = 3/6, of layer 1 = 3/4: fan-in ~ B(3, 1/2), fan-out ~ B(2, 3/4).
    const total = erdosRenyiDegreePmf([w0, w1], 0);
    expect(total).toHaveLength(6);
    expect(total.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(total.reduce((a, p, k) => a + p * k, 0)).toBeCloseTo(1.5 + 1.5, 14);
    expect(total[0]).toBeCloseTo(0.125 * 0.0625, 15);
  });
});

describe('degreeDistribution', () => {
  it('plots the fraction of neurons per degree on log-log axes against the reference', () => {
    const fig = degreeDistribution([{ label: 'epoch 1', degrees: [1, 1, 2, 4, 0] }], { reference: [0.1, 0.4, 0.3, 0.2], fit: 'none' });
    const t = fig.data as unknown as Trace[];
    expect(t.map((d) => [d.type, d.mode, d.name])).toEqual([['scatter', 'lines', 'Erdős–Rényi'], ['scatter', 'markers', 'epoch 1']]);
    expect(t[0]!.x).toEqual([1, 2, 3]);
    expect(t[0]!.y).toEqual([0.4, 0.3, 0.2]);
    expect(t[1]!.x).toEqual([1, 2, 4]);
    expect(t[1]!.y).toEqual([0.4, 0.2, 0.2]);
    expect(fig.layout.xaxis?.type).toBe('log');
    expect(fig.layout.yaxis?.type).toBe('log');
    expect(fig.layout.xaxis?.title?.text).toBe('degree k');
    expect(fig.layout.yaxis?.title?.text).toBe('fraction of neurons');
    expect(String(fig.layout.annotations?.[0]?.text)).toContain('epoch 1: 1 of 5 neurons have degree 0 (not shown)');
    const ccdf = degreeDistribution([{ label: 'a', degrees: [1, 1, 2, 4, 0] }], { kind: 'ccdf', fit: 'none' }).data as unknown as Trace[];
    expect(ccdf[0]!.y).toEqual([0.8, 0.4, 0.2]);
  });

  it('fits a power law to the last snapshot and draws it with exponent, xmin and KS distance', () => {
    const degrees = samplePowerLaw(3000, 2.4, 2, rngFor(11, 'degrees'));
    const fig = degreeDistribution([{ label: 'start', degrees: new Array(3000).fill(5) }, { label: 'end', degrees }]);
    const fits = (fig.layout.meta as { fits: SnapshotFit[] }).fits;
    expect(fits).toHaveLength(1);
    const fit = (fits[0] as { fit: { alpha: number; xmin: number } }).fit;
    expect(Math.abs(fit.alpha - 2.4)).toBeLessThan(0.15);
    const line = (fig.data as unknown as Trace[]).find((d) => d.name === 'power-law fit')!;
    expect(line.x[0]).toBe(fit.xmin);
    expect(String(fig.layout.annotations?.[0]?.text)).toMatch(/end: power law α = 2\.\d\d ± 0\.\d\d<br>for k ≥ \d+ \(\d+ of 3000 neurons\), KS D = 0\.\d{3}/);
  });

  it('reports an impossible fit on the figure instead of failing it', () => {
    const fig = degreeDistribution([{ label: 'flat', degrees: new Array(100).fill(7) }], { fit: 'all' });
    const fits = (fig.layout.meta as { fits: SnapshotFit[] }).fits;
    expect('error' in fits[0]!).toBe(true);
    expect(String(fig.layout.annotations?.[0]?.text)).toMatch(/flat: no power-law fit/);
  });

  it('rejects no snapshots, empty snapshots and degrees that are not non-negative integers', () => {
    expect(() => degreeDistribution([])).toThrow(/no snapshots given/);
    expect(() => degreeDistribution([{ label: 'a', degrees: [] }])).toThrow(/snapshot "a" has no degrees/);
    expect(() => degreeDistribution([{ label: 'a', degrees: [1, NaN] }])).toThrow(InvalidArgumentError);
    expect(() => degreeDistribution([{ label: 'a', degrees: [1, -2] }])).toThrow(/neuron 1 has degree -2/);
    expect(() => degreeDistribution([{ label: 'a', degrees: [1, 2] }], { reference: [0.5, NaN] })).toThrow(/reference probability at degree 1/);
  });
});
