/**
 * Tables in notebooks: a danfojs DataFrame (a History's, an ablation's results or summary) or plain
 * records rendered as an HTML table, every name and value escaped.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../core/errors';
import { escapeHtml, tslabApi } from './tslab';

/** What {@link tableHtml} takes: a danfojs DataFrame (anything with `columns` and row `values`) or records. */
export type TableInput = { readonly columns: readonly string[]; readonly values: readonly unknown[] } | readonly Readonly<Record<string, unknown>>[];

/** Options of {@link tableHtml}. */
export interface TableHtmlOptions {
  /** Significant digits of non-integer numbers (default 4). */
  readonly digits?: number;
  /** Most rows shown (default 200); a last row says how many were left out. */
  readonly maxRows?: number;
  /** A caption above the table. */
  readonly caption?: string;
}

function cell(v: unknown, digits: number): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return '-';
    return Number.isInteger(v) || !Number.isFinite(v) ? String(v) : v.toPrecision(digits);
  }
  if (v === null || v === undefined) return '-';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Columns and rows of a table input. */
function rowsOf(input: TableInput): { columns: string[]; rows: unknown[][] } {
  if (Array.isArray(input)) {
    const records = input as readonly Readonly<Record<string, unknown>>[];
    const columns: string[] = [];
    for (const r of records) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    return { columns, rows: records.map((r) => columns.map((c) => r[c])) };
  }
  const df = input as { readonly columns?: unknown; readonly values?: unknown };
  if (!Array.isArray(df.columns) || !Array.isArray(df.values)) {
    throw new InvalidArgumentError('a table must be a danfojs DataFrame (with columns and values) or an array of records');
  }
  const columns = (df.columns as unknown[]).map(String);
  // A one-column frame's values may be a flat array.
  const rows = (df.values as unknown[]).map((r) => (Array.isArray(r) ? r : [r]));
  return { columns, rows };
}

/**
 * An HTML `<table>` of a DataFrame or records; numbers right-aligned, NaN and missing values as `-`.
 * @example
 * tableHtml(await history.toDataFrame(), { caption: 'training' });
 */
export function tableHtml(input: TableInput, options: TableHtmlOptions = {}): string {
  const digits = options.digits ?? 4;
  const maxRows = options.maxRows ?? 200;
  const { columns, rows } = rowsOf(input);
  const head = `<thead><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr></thead>`;
  const shown = rows.slice(0, maxRows);
  const body = shown.map((r) => `<tr>${columns.map((_, i) => {
    const v = r[i];
    return `<td${typeof v === 'number' ? ' style="text-align:right"' : ''}>${escapeHtml(cell(v, digits))}</td>`;
  }).join('')}</tr>`);
  if (rows.length > shown.length) body.push(`<tr><td colspan="${columns.length}">... ${rows.length - shown.length} more rows</td></tr>`);
  const caption = options.caption === undefined ? '' : `<caption>${escapeHtml(options.caption)}</caption>`;
  return `<table class="synapses-table">${caption}${head}<tbody>${body.join('')}</tbody></table>`;
}

/**
 * Shows a DataFrame or records as an HTML table in a tslab notebook cell.
 * @throws {@link InvalidArgumentError} outside a tslab notebook (there use `df.print()` or {@link tableHtml}).
 * @example
 * showTable(await summarize(readResults('runs/ablation')));
 */
export function showTable(input: TableInput, options: TableHtmlOptions = {}): void {
  const tslab = tslabApi();
  if (!tslab) throw new InvalidArgumentError('showTable() displays tables in a tslab notebook, and this is not one; use df.print() or tableHtml(df) instead');
  tslab.display.html(tableHtml(input, options));
}
