import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { spyBins, spyPlot } from '../../toolkit/src/plots/spy';
import { histogram, meanStd } from '../../toolkit/src/plots/summary';
import { weightHistograms } from '../../toolkit/src/plots/weights';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';

type Bar = { type: string; x: number[]; y: number[]; width: number; xaxis: string; name: string };
type Heatmap = { type: string; z: number[][]; x: number[]; y: number[]; showscale: boolean };

describe('summaries', () => {
  it('histograms and mean / sample std by hand', () => {
    const h = histogram([0, 0.1, 0.5, 0.99, 1], 2, [0, 1]);
    expect(Array.from(h.edges)).toEqual([0, 0.5, 1]);
    expect(Array.from(h.counts)).toEqual([2, 3]); // the last bin includes 1
    expect(meanStd([2, 4, 6])).toEqual({ mean: 4, std: 2, n: 3 });
    expect(meanStd([5])).toEqual({ mean: 5, std: 0, n: 1 });
    expect(() => meanStd([])).toThrow(InvalidArgumentError);
    expect(() => histogram([1, Infinity], 3)).toThrow(/value 1 is Infinity/);
  });
});

describe('weightHistograms', () => {
  it('bins |w| per layer, one panel each, counts summing to the connections', () => {
    const layer = erdosRenyi(100, 50, 5, rngFor(1, 'w'));
    for (let k = 0; k < layer.nnz; k++) layer.values[k] = (k % 7) - 3;
    const fig = weightHistograms([layer, { label: 'out', values: [-1, 0.5, 2] }], { bins: 4 });
    const t = fig.data as unknown as Bar[];
    expect(t.map((d) => [d.type, d.name, d.xaxis])).toEqual([['bar', 'layer 1', 'x'], ['bar', 'out', 'x2']]);
    expect(t[0]!.y.reduce((a, b) => a + b, 0)).toBe(layer.nnz);
    expect(t[1]!.x).toEqual([0.25, 0.75, 1.25, 1.75]);
    expect(t[1]!.y).toEqual([0, 1, 1, 1]);
    expect(t[1]!.width).toBe(0.5);
    expect(fig.layout.xaxis?.title?.text).toBe('|weight|');
    expect(fig.layout.yaxis?.title?.text).toBe('connections');
    const signed = weightHistograms([{ label: 'out', values: [-1, 0.5, 2] }], { bins: 4, signed: true }).data as unknown as Bar[];
    expect(signed[0]!.x).toEqual([-1.5, -0.5, 0.5, 1.5]);
    expect(signed[0]!.y).toEqual([0, 1, 1, 1]);
  });

  it('marks an empty layer and rejects NaN weights and no layers', () => {
    const fig = weightHistograms([{ label: 'empty', values: [] }]);
    expect(fig.data).toHaveLength(0);
    expect(fig.layout.annotations?.map((a) => a.text)).toContain('no connections');
    expect(() => weightHistograms([{ label: 'bad', values: [1, NaN] }])).toThrow(/bad, weight 1 is NaN/);
    expect(() => weightHistograms([])).toThrow(/no layers given/);
  });
});

describe('spyPlot', () => {
  it('draws a small layer position by position (hand table)', () => {
    const w = CsrMatrix.fromTriplets(2, 3, [0, 1, 1], [1, 0, 2], [1, 1, 1]);
    const fig = spyPlot(w, { label: 'layer 0' });
    const t = fig.data[0] as unknown as Heatmap;
    expect(t.type).toBe('heatmap');
    expect(t.z).toEqual([[0, 1, 0], [1, 0, 1]]);
    expect(t.x).toEqual([0, 1, 2]);
    expect(t.y).toEqual([0, 1]);
    expect(t.showscale).toBe(false);
    expect(fig.layout.xaxis?.title?.text).toBe('input neuron');
    expect(fig.layout.yaxis?.title?.text).toBe('output neuron');
    expect(fig.layout.annotations?.[0]?.text).toBe('layer 0: 3 → 2, 3 connections (50.0%)');
  });

  it('bins a large layer into at most maxBins x maxBins blocks in O(nnz), never densifying', () => {
    const w = erdosRenyi(30_000, 20_000, 2, rngFor(3, 'spy')); // 600 million positions
    const bins = spyBins(w, 100);
    expect([bins.blockRows, bins.blockCols, bins.binRows, bins.binCols]).toEqual([200, 300, 100, 100]);
    expect(bins.counts.reduce((a, b) => a + b, 0)).toBe(w.nnz);
    const fig = spyPlot(w, { maxBins: 100 });
    const t = fig.data[0] as unknown as Heatmap;
    expect(t.z).toHaveLength(100);
    expect(t.z[0]).toHaveLength(100);
    expect(t.z[0]![0]).toBeCloseTo(bins.counts[0]! / (200 * 300), 12);
    expect(String(fig.layout.annotations?.[0]?.text)).toContain('blocks of 200 × 300');
    // Uneven edges: 7 rows in blocks of 3 -> the last block has 1 row, and is still fully dense.
    const edge = spyBins(CsrMatrix.full(7, 2), 3);
    expect([edge.blockRows, edge.binRows, edge.binCols]).toEqual([3, 3, 2]);
    expect(Array.from(edge.counts)).toEqual([3, 3, 3, 3, 1, 1]);
    expect(Array.from(edge.density)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('rejects an empty shape and a bad bin count', () => {
    expect(() => spyPlot(CsrMatrix.fromArrays(0, 3, [0], []))).toThrow(/nothing to draw/);
    expect(() => spyBins(CsrMatrix.full(2, 2), 0)).toThrow(/maxBins/);
  });
});
