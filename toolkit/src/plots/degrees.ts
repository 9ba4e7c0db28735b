/**
 * Degree distributions of hidden neurons on log-log axes, against the binomial distribution of the
 * initial Erdos-Renyi topology, with a fitted discrete power law (exponent and KS distance): the figure
 * behind the SET paper's claim that evolution moves the hidden layers from binomial towards scale-free
 * (Mocanu et al. 2018). Whether the data bear that out is for the fit's KS distance to say.
 *
 * @packageDocumentation
 */
import type { ScatterData } from 'plotly.js-dist';
import { check } from '../core/assert';
import { InvalidArgumentError } from '../core/errors';
import type { CsrMatrix } from '../sparse/csr';
import { inDegrees, outDegrees } from '../sparse/stats';
import type { Figure } from './figure';
import { fitPowerLaw, powerLawCcdf, powerLawPmf, type PowerLawFit, type PowerLawOptions } from './powerlaw';
import { logTicks, OKABE_ITO, paperAxis, seriesColor, styledFigure, type PlotOptions } from './style';

/** Which connections of a hidden neuron count: incoming (fan-in), outgoing (fan-out) or both. */
export type DegreeDirection = 'in' | 'out' | 'total';

function checkHidden(layers: readonly CsrMatrix[], hidden: number): void {
  check(layers.length >= 2, () => `a network with ${layers.length} linear layer(s) has no hidden neurons`);
  check(Number.isInteger(hidden) && hidden >= 0 && hidden <= layers.length - 2,
    () => `hidden layer ${hidden} does not exist; a network of ${layers.length} linear layers has hidden layers 0..${layers.length - 2}`);
  const a = layers[hidden]!, b = layers[hidden + 1]!;
  check(a.rows === b.cols, () => `linear layer ${hidden} has ${a.rows} outputs but layer ${hidden + 1} has ${b.cols} inputs`);
}

/**
 * The degree of every neuron of hidden layer `hidden` (0 = the first hidden layer, the outputs of linear
 * layer 0): its fan-in (connections from the layer below), fan-out (to the layer above) or their sum.
 * @param layers - the weight matrices of the linear layers, in order (CSR, rows = outputs).
 * @throws {@link InvalidArgumentError} when the layer does not exist or the shapes do not chain.
 */
export function hiddenDegrees(layers: readonly CsrMatrix[], hidden: number, direction: DegreeDirection = 'total'): Int32Array {
  checkHidden(layers, hidden);
  const fanIn = outDegrees(layers[hidden]!);
  if (direction === 'in') return fanIn;
  const fanOut = inDegrees(layers[hidden + 1]!);
  if (direction === 'out') return fanOut;
  check(direction === 'total', () => `direction must be "in", "out" or "total", got "${String(direction)}"`);
  for (let i = 0; i < fanIn.length; i++) fanIn[i]! += fanOut[i]!;
  return fanIn;
}

/**
 * The binomial distribution Binomial(n, p) as an array of probabilities indexed by k = 0..n (computed in
 * log space, so large n does not underflow before the bulk).
 * @throws {@link InvalidArgumentError} unless n is a non-negative integer and p is in [0, 1].
 */
export function binomialPmf(n: number, p: number): Float64Array {
  check(Number.isInteger(n) && n >= 0, () => `binomial n must be a non-negative integer, got ${n}`);
  check(p >= 0 && p <= 1, () => `binomial p must be in [0, 1], got ${p}`);
  const out = new Float64Array(n + 1);
  if (p === 0 || p === 1) {
    out[p === 0 ? 0 : n] = 1;
    return out;
  }
  const lq = Math.log1p(-p), odds = Math.log(p) - lq;
  let lp = n * lq;
  for (let k = 0; k <= n; k++) {
    out[k] = Math.exp(lp);
    lp += Math.log((n - k) / (k + 1)) + odds;
  }
  return out;
}

function convolve(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length - 1);
  for (let i = 0; i < a.length; i++) {
    const ai = a[i]!;
    if (ai < 1e-300) continue;
    for (let j = 0; j < b.length; j++) out[i + j]! += ai * b[j]!;
  }
  return out;
}

/**
 * The degree distribution hidden layer `hidden` would have under an Erdos-Renyi topology with the same
 * number of connections per layer: fan-in ~ Binomial(nIn, p) with p the layer's density, fan-out
 * likewise for the next layer, total the convolution of the two. The reference line of
 * {@link degreeDistribution}. (SET keeps connection counts constant, so any snapshot gives the same p.)
 */
export function erdosRenyiDegreePmf(layers: readonly CsrMatrix[], hidden: number, direction: DegreeDirection = 'total'): Float64Array {
  checkHidden(layers, hidden);
  const a = layers[hidden]!, b = layers[hidden + 1]!;
  const fanIn = () => binomialPmf(a.cols, a.density);
  const fanOut = () => binomialPmf(b.rows, b.density);
  if (direction === 'in') return fanIn();
  if (direction === 'out') return fanOut();
  return convolve(fanIn(), fanOut());
}

/** The degrees of one layer at one moment, e.g. `{ label: 'epoch 100', degrees: hiddenDegrees(...) }`. */
export interface DegreeSnapshot {
  readonly label: string;
  readonly degrees: ArrayLike<number>;
}

/** Options of {@link degreeDistribution}. */
export interface DegreeDistributionOptions extends PlotOptions {
  /** The reference distribution as probabilities indexed by degree (e.g. {@link erdosRenyiDegreePmf}); none by default. */
  readonly reference?: ArrayLike<number>;
  /** Legend name of the reference (default "Erdős–Rényi"). */
  readonly referenceLabel?: string;
  /** Fit a power law to the last snapshot (default), to every snapshot, or to none. */
  readonly fit?: 'last' | 'all' | 'none';
  /** Options of the fit (fixed xmin, minimum tail). */
  readonly powerLaw?: PowerLawOptions;
  /** Plot the probability of each degree (`'pmf'`, default) or the complementary CDF P(K >= k) (`'ccdf'`, smoother). */
  readonly kind?: 'pmf' | 'ccdf';
  /** x axis title (default "degree k"). */
  readonly xTitle?: string;
}

/** A fitted power law of one snapshot, or why none could be fitted. Stored in `fig.layout.meta.fits`. */
export type SnapshotFit = { readonly label: string } & ({ readonly fit: PowerLawFit } | { readonly error: string });

function readDegrees(s: DegreeSnapshot, i: number): Int32Array {
  if (typeof s !== 'object' || s === null || typeof s.label !== 'string') {
    throw new InvalidArgumentError(`degree distribution: snapshot ${i} must be { label, degrees }`);
  }
  const d = s.degrees;
  if (!d || typeof d.length !== 'number' || d.length === 0) throw new InvalidArgumentError(`degree distribution: snapshot "${s.label}" has no degrees`);
  const out = new Int32Array(d.length);
  for (let k = 0; k < d.length; k++) {
    const v = d[k]!;
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(`degree distribution: snapshot "${s.label}", neuron ${k} has degree ${v}; expected a non-negative integer`);
    out[k] = v;
  }
  return out;
}

/** Log-axis ticks labelled at full size (see {@link logTicks}) over the positive values the traces plot on axis `xy`. */
function ticksOf(data: readonly Partial<ScatterData>[], xy: 'x' | 'y'): ReturnType<typeof logTicks> {
  let min = Infinity, max = -Infinity;
  for (const t of data) {
    const vs = (t[xy] ?? []) as ArrayLike<unknown>;
    for (let i = 0; i < vs.length; i++) {
      const v = vs[i];
      if (typeof v === 'number' && v > 0 && Number.isFinite(v)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  return min <= max ? logTicks(min, max) : {};
}

/** Log-spaced integers from a to b (inclusive), at most `count` of them. */
function logIntegers(a: number, b: number, count = 60): number[] {
  if (b <= a) return [a];
  const out = new Set<number>();
  for (let i = 0; i < count; i++) out.add(Math.round(a * Math.pow(b / a, i / (count - 1))));
  return [...out].sort((x, y) => x - y);
}

/**
 * Degree distributions (one marker series per snapshot) on log-log axes, with an optional reference
 * distribution (dashed) and power-law fits (solid lines, exponent, xmin and KS distance in a note). A fit
 * whose exponent runs to the end of its search interval (`atBound`: no power law describes the tail) is
 * reported in the note and drawn as no line.
 * Neurons of degree 0 cannot appear on a log axis; their number is noted on the figure.
 *
 * @throws {@link InvalidArgumentError} for no snapshots, an empty snapshot or a degree that is not a
 *   non-negative integer. A fit that is not possible is reported on the figure, not thrown.
 * @example
 * const ws = model.network.layers.filter((l) => l instanceof SparseLinear).map((l) => l.weights);
 * degreeDistribution([{ label: 'epoch 10', degrees: hiddenDegrees(ws, 0) }], { reference: erdosRenyiDegreePmf(ws, 0) });
 */
export function degreeDistribution(snapshots: readonly DegreeSnapshot[], options: DegreeDistributionOptions = {}): Figure {
  if (!Array.isArray(snapshots) || snapshots.length === 0) throw new InvalidArgumentError('degree distribution: no snapshots given; expected [{ label, degrees }, ...]');
  const kind = options.kind ?? 'pmf';
  check(kind === 'pmf' || kind === 'ccdf', () => `kind must be "pmf" or "ccdf", got "${String(kind)}"`);
  const fitWhich = options.fit ?? 'last';
  check(['last', 'all', 'none'].includes(fitWhich), () => `fit must be "last", "all" or "none", got "${String(fitWhich)}"`);
  const all = snapshots.map(readDegrees);
  const data: Partial<ScatterData>[] = [];
  const notes: string[] = [];
  const fits: SnapshotFit[] = [];
  const neurons = Math.max(...all.map((d) => d.length));

  if (options.reference) {
    const ref = options.reference;
    const ks: number[] = [], ys: number[] = [];
    let tail = 0;
    const ccdf = new Float64Array(ref.length + 1);
    for (let k = ref.length - 1; k >= 0; k--) {
      const v = ref[k]!;
      if (!(v >= 0 && Number.isFinite(v))) throw new InvalidArgumentError(`degree distribution: reference probability at degree ${k} is ${v}`);
      tail += v;
      ccdf[k] = tail;
    }
    for (let k = 1; k < ref.length; k++) {
      const y = kind === 'pmf' ? ref[k]! : ccdf[k]!;
      // The smallest fraction a snapshot can show is 1 / neurons; the reference's far tails add nothing.
      if (y >= 0.2 / neurons) {
        ks.push(k);
        ys.push(y);
      }
    }
    if (ks.length > 0) {
      data.push({ type: 'scatter', mode: 'lines', x: ks, y: ys, name: options.referenceLabel ?? 'Erdős–Rényi', line: { color: OKABE_ITO.black, width: 1.2, dash: 'dash' } });
    }
  }

  all.forEach((d, si) => {
    const label = snapshots[si]!.label;
    const color = seriesColor(si);
    let max = 0, zeros = 0;
    for (const v of d) {
      if (v > max) max = v;
      if (v === 0) zeros++;
    }
    const counts = new Float64Array(max + 1);
    for (const v of d) counts[v]!++;
    const ks: number[] = [], ys: number[] = [];
    let above = d.length - zeros;
    for (let k = 1; k <= max; k++) {
      if (counts[k]! > 0) {
        ks.push(k);
        ys.push(kind === 'pmf' ? counts[k]! / d.length : above / d.length);
      }
      above -= counts[k]!;
    }
    if (zeros > 0) notes.push(`${label}: ${zeros} of ${d.length} neurons have degree 0 (not shown)`);
    data.push({
      type: 'scatter',
      mode: 'markers',
      x: ks,
      y: ys,
      name: label,
      legendgroup: label,
      marker: { color, size: 4, opacity: 0.85, symbol: si === 0 ? 'circle' : si === 1 ? 'square' : 'diamond' },
      hovertemplate: `${label}<br>k = %{x}<br>${kind === 'pmf' ? 'P(K = k)' : 'P(K ≥ k)'} = %{y:.3g}<extra></extra>`,
    });
    if (fitWhich === 'all' || (fitWhich === 'last' && si === all.length - 1)) {
      try {
        const fit = fitPowerLaw(d, options.powerLaw);
        fits.push({ label, fit });
        if (fit.atBound) {
          // The likelihood wants an exponent beyond the search interval: the tail falls off faster (or
          // slower) than any power law allowed, so no law is drawn, only said not to fit.
          notes.push(`${label}: no power law fits<br>(its exponent runs to the search bound, α = ${fit.alpha.toFixed(1)})`);
          return;
        }
        const xs = logIntegers(fit.xmin, Math.max(fit.xmin, max));
        const ys2 = kind === 'pmf' ? powerLawPmf(fit, xs) : powerLawCcdf(fit, xs);
        const text = `${label}: power law α = ${fit.alpha.toFixed(2)} ± ${fit.sigma.toFixed(2)}<br>for k ≥ ${fit.xmin} (${fit.nTail} of ${fit.n} neurons), KS D = ${fit.ks.toFixed(3)}`;
        notes.push(text);
        data.push({
          type: 'scatter',
          mode: 'lines',
          x: xs,
          y: Array.from(ys2),
          name: fitWhich === 'all' ? `power-law fit, ${label}` : 'power-law fit',
          legendgroup: label,
          line: { color, width: 1.2 },
          hovertemplate: `${text}<extra></extra>`,
        });
      } catch (e) {
        const reason = (e as Error).message;
        fits.push({ label, error: reason });
        notes.push(`${label}: ${reason.replace(/^power-law fit: /, 'no power-law fit: ')}`);
      }
    }
  });

  return styledFigure(
    data,
    {
      xaxis: paperAxis(options.xTitle ?? 'degree k', { type: 'log', ...ticksOf(data, 'x') }),
      yaxis: paperAxis(kind === 'pmf' ? 'fraction of neurons' : 'P(K ≥ k)', { type: 'log', ...ticksOf(data, 'y') }),
      legend: { orientation: 'h', x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom', itemwidth: 30 },
      margin: { t: options.title ? 52 : 34 },
      // Fit results and notes sit in the bottom-left corner, empty for binomial and power-law shapes alike.
      annotations: notes.length === 0 ? [] : [{
        text: notes.join('<br>'), xref: 'paper', yref: 'paper', x: 0.01, y: 0.01, xanchor: 'left', yanchor: 'bottom', showarrow: false,
        font: { size: 9.5, color: '#333333' }, align: 'left', bgcolor: 'rgba(255,255,255,0.7)',
      }],
      meta: { fits },
    },
    options,
    1.25,
  );
}
