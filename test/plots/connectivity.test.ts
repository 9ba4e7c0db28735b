import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { inputConnectivity, imageShapeFor } from '../../toolkit/src/plots/connectivity';
import { CsrMatrix } from '../../toolkit/src/sparse/csr';
import { erdosRenyi } from '../../toolkit/src/sparse/topology';

type Heatmap = { type: string; z: number[][]; coloraxis: string; xaxis: string; yaxis: string; name: string };

// 4 inputs (a 2 x 2 image) -> 3 outputs. In-degrees: input 0 feeds 3 outputs, 1 feeds 0, 2 feeds 1, 3 feeds 2.
const w = CsrMatrix.fromTriplets(3, 4, [0, 1, 2, 0, 1, 2], [0, 0, 0, 2, 3, 3], [1, 1, 1, 1, 1, 1]);

describe('inputConnectivity', () => {
  it('draws the in-degree of every input as an image, row-major (hand table)', () => {
    const fig = inputConnectivity(w);
    const t = fig.data as unknown as Heatmap[];
    expect(t).toHaveLength(1);
    expect(t[0]!.type).toBe('heatmap');
    expect(t[0]!.z).toEqual([[3, 0], [1, 2]]);
    expect(fig.layout.yaxis?.autorange).toBe('reversed'); // row 0 at the top, like the image
    expect(fig.layout.coloraxis?.cmin).toBe(0);
    expect(fig.layout.coloraxis?.cmax).toBe(3);
    expect(fig.layout.coloraxis?.colorbar?.title?.text).toBe('in-degree');
  });

  it('puts snapshots side by side on one colour scale, as many panels as snapshots', () => {
    const rng = rngFor(1, 'conn');
    const a = erdosRenyi(784, 100, 5, rng), b = erdosRenyi(784, 100, 5, rngFor(2, 'conn'));
    const fig = inputConnectivity([{ label: 'epoch 0', weights: a }, { label: 'epoch 10', weights: b }, { label: 'by hand', degrees: new Array(784).fill(7) }]);
    const t = fig.data as unknown as Heatmap[];
    expect(t.map((d) => [d.xaxis, d.yaxis, d.coloraxis])).toEqual([['x', 'y', 'coloraxis'], ['x2', 'y2', 'coloraxis'], ['x3', 'y3', 'coloraxis']]);
    expect(t[0]!.z).toHaveLength(28);
    expect(t[0]!.z[0]).toHaveLength(28);
    expect(t[0]!.z.flat().reduce((s, v) => s + v, 0)).toBe(a.nnz);
    expect(t[2]!.z.flat().every((v) => v === 7)).toBe(true);
    expect(fig.layout.annotations?.map((x) => x.text)).toEqual(['epoch 0', 'epoch 10', 'by hand']);
    expect(fig.layout.xaxis3?.scaleanchor).toBe('y3');
    expect(fig.layout.yaxis3?.autorange).toBe('reversed');
    const maxDegree = Math.max(...t.flatMap((d) => d.z.flat()));
    expect(fig.layout.coloraxis?.cmax).toBe(maxDegree);
  });

  it('animates snapshots with a slider and one frame per snapshot', () => {
    const fig = inputConnectivity([{ label: 'epoch 0', weights: w }, { label: 'epoch 5', degrees: [0, 1, 2, 3] }], { mode: 'animation' });
    expect(fig.data).toHaveLength(1);
    expect(fig.frames?.map((f) => f.name)).toEqual(['epoch 0', 'epoch 5']);
    expect((fig.frames?.[1]?.data?.[0] as Heatmap).z).toEqual([[0, 1], [2, 3]]);
    expect(fig.layout.sliders?.[0]?.steps?.map((s) => s.label)).toEqual(['epoch 0', 'epoch 5']);
    expect(fig.layout.updatemenus?.[0]?.buttons?.[0]?.method).toBe('animate');
  });

  it('takes other image shapes and rejects shapes that do not fit', () => {
    expect(imageShapeFor(784)).toEqual([28, 28]);
    expect(imageShapeFor(6, [2, 3])).toEqual([2, 3]);
    expect(() => imageShapeFor(10)).toThrow(/10 inputs do not form a square image; pass imageShape/);
    expect(() => imageShapeFor(10, [3, 3])).toThrow(ShapeError);
    const fig = inputConnectivity([{ label: 'a', degrees: [1, 2, 3, 4, 5, 6] }], { imageShape: [2, 3] });
    expect((fig.data[0] as unknown as Heatmap).z).toEqual([[1, 2, 3], [4, 5, 6]]);
  });

  it('rejects empty input, mismatched snapshots and bad degrees', () => {
    expect(() => inputConnectivity([])).toThrow(/no snapshots given/);
    expect(() => inputConnectivity([{ label: 'a', degrees: [1, 2, 3, 4] }, { label: 'b', degrees: [1] }])).toThrow(/snapshot "b" has 1 inputs, snapshot "a" has 4/);
    expect(() => inputConnectivity([{ label: 'a', degrees: [1, NaN, 3, 4] }])).toThrow(InvalidArgumentError);
    expect(() => inputConnectivity([{ label: 'a', degrees: [1, 2, 3, 4] }], { mode: 'movie' as never })).toThrow(/mode must be/);
  });
});
