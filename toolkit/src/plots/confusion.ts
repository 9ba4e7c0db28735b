/**
 * The confusion matrix as a figure: true classes down, predicted classes across, each cell's count (or
 * the fraction of its true class) written in it and shaded.
 *
 * @packageDocumentation
 */
import type { HeatmapData } from 'plotly.js-dist';
import { InvalidArgumentError } from '../core/errors';
import type { ConfusionMatrix } from '../train/metrics';
import type { Figure } from './figure';
import { paperAxis, styledFigure, type PlotOptions } from './style';

/** Options of {@link confusionMatrixFigure}. */
export interface ConfusionFigureOptions extends PlotOptions {
  /** Shade and label each cell by the fraction of its true class (rows sum to 1) instead of the count. Default false. */
  readonly normalize?: boolean;
  /** Write the value in each cell (default: when there are at most 15 classes, where the text still fits). */
  readonly cellText?: boolean;
}

/**
 * A heatmap of a confusion matrix (from `confusionMatrix(model, data)`), with the data set's class names on
 * the axes when it has them, class 0 at the top left.
 * @throws {@link InvalidArgumentError} for a matrix that is not square or has no classes.
 * @example
 * show(confusionMatrixFigure(confusionMatrix(model, test), { normalize: true }));
 */
export function confusionMatrixFigure(cm: ConfusionMatrix, options: ConfusionFigureOptions = {}): Figure {
  const n = cm.counts.length;
  if (n === 0 || cm.counts.some((r) => r.length !== n) || cm.classNames.length !== n) {
    throw new InvalidArgumentError(`confusion matrix figure: expected an n x n matrix with n class names, got ${n} rows and ${cm.classNames.length} names`);
  }
  const normalize = options.normalize ?? false;
  const z = cm.counts.map((row) => {
    const sum = row.reduce((a, b) => a + b, 0);
    return normalize ? row.map((v) => (sum > 0 ? v / sum : 0)) : [...row];
  });
  const zmax = Math.max(1e-12, ...z.flat());
  // Categorical axes need distinct labels: names repeated (or numeric-looking) still get their own cell.
  const labels = uniqueLabels(cm.classNames);
  const cellText = options.cellText ?? n <= 15;
  const trace: Partial<HeatmapData> & { texttemplate?: string; textfont?: { size: number } } = {
    type: 'heatmap',
    z,
    x: labels,
    y: labels,
    zmin: 0,
    zmax,
    colorscale: [[0, '#FFFFFF'], [1, '#0072B2']],
    showscale: false,
    xgap: 1,
    ygap: 1,
    hovertemplate: `true %{y}, predicted %{x}: %{z${normalize ? ':.3f' : ''}}<extra></extra>`,
    ...(cellText ? { texttemplate: normalize ? '%{z:.2f}' : '%{z}', textfont: { size: n <= 10 ? 10 : 9.5 } } : {}),
  };
  const subtitle = `${cm.total.toLocaleString('en-US')} samples, accuracy ${(100 * cm.accuracy).toFixed(2)}%${normalize ? '; fractions of each true class' : ''}`;
  return styledFigure(
    [trace],
    {
      xaxis: paperAxis('predicted class', { type: 'category', showgrid: false, ticks: '', automargin: true, side: 'bottom' }),
      yaxis: paperAxis('true class', { type: 'category', showgrid: false, ticks: '', automargin: true, autorange: 'reversed' }),
      annotations: [{ text: subtitle, xref: 'paper', yref: 'paper', x: 0.5, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false, font: { size: 10 } }],
      margin: { t: options.title ? 46 : 28 },
      meta: { normalize, classes: n },
    },
    options,
    1,
  );
}

/** The labels as given, with repeats made distinct by their index. */
function uniqueLabels(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  for (const s of names) seen.set(s, (seen.get(s) ?? 0) + 1);
  return names.map((s, i) => (seen.get(s)! > 1 ? `${s} (${i})` : s));
}
