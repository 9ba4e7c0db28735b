/**
 * Turning zod's validation issues into messages a user can act on: a union names the values it allows
 * (not zod's "Invalid input"), and an unknown key names the nearest known one, searched over every dotted
 * path of the schema, so `epochs` at the top level suggests `training.epochs`.
 *
 * @packageDocumentation
 */
import type { z } from 'zod';

/** The parts of a zod 4 schema definition that the walk below reads. */
interface Def {
  readonly type: string;
  readonly shape?: Record<string, unknown>;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly options?: readonly unknown[];
}
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Every dotted key path of an object schema (`training.epochs`, `data.testSize`, ...), union variants included. */
export function schemaPaths(schema: unknown, prefix = ''): string[] {
  const out = new Set<string>();
  const walk = (s: unknown, at: string): void => {
    const d = defOf(s);
    if (d.type === 'object') {
      for (const [k, v] of Object.entries(d.shape ?? {})) {
        const p = at ? `${at}.${k}` : k;
        out.add(p);
        walk(v, p);
      }
    } else if (d.type === 'union') for (const o of d.options ?? []) walk(o, at);
    else if (d.innerType !== undefined) walk(d.innerType, at);
    else if (d.type === 'pipe' && d.in !== undefined) walk(d.in, at);
  };
  walk(schema, prefix);
  return [...out];
}

/** Levenshtein distance (insertions, deletions and substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

const last = (p: string): string => p.slice(p.lastIndexOf('.') + 1);
/** A dotted path without its list indices: `model.sparsity.1.eps` -> `model.sparsity.eps`. */
const withoutIndices = (p: string): string => p.replace(/\.\d+(?=\.|$)/g, '');
const parent = (p: string): string => (p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '');

/**
 * The known dotted path nearest to the unknown `path`, or null when none is close. A path is near when the
 * whole path is a small edit away (`training.epoch` -> `training.epochs`) or when its last key is, one level
 * moved (`epochs` -> `training.epochs`, `lr` -> `optimizer.lr`). Case is ignored.
 */
export function nearestPath(path: string, known: readonly string[]): string | null {
  const key = last(path).toLowerCase();
  const full = path.toLowerCase();
  const limit = 1 + Math.floor(key.length / 4);
  let best: string | null = null;
  let bestScore = Infinity;
  for (const c of known) {
    if (c === path) continue;
    const lc = c.toLowerCase();
    const moved = parent(c) === parent(path) ? 0 : 1;
    const score = Math.min(editDistance(full, lc), editDistance(key, last(lc)) + moved);
    // Ties: the shorter path (the less nested key is the likelier meaning).
    if (score < bestScore || (score === bestScore && best !== null && c.length < best.length)) {
      best = c;
      bestScore = score;
    }
  }
  return bestScore <= limit ? best : null;
}

/** The nearest of `names` to `name` (a misspelt value), or null when none is close. */
export function nearestName(name: string, names: readonly string[]): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  for (const n of names) {
    const d = editDistance(name.toLowerCase(), n.toLowerCase());
    if (d < bestD) [best, bestD] = [n, d];
  }
  return bestD <= 1 + Math.floor(name.length / 4) ? best : null;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));
const quoted = (xs: readonly unknown[]): string => xs.map((x) => JSON.stringify(x)).join(', ');

/** How to describe what a union branch wanted, from the issue it raised at its own root. */
function wanted(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_value') return `one of ${quoted(issue.values)}`;
  if (issue.code === 'invalid_type') return issue.expected === 'object' || issue.expected === 'record' ? 'an object' : `a ${issue.expected}`;
  return issue.message;
}

/** Options of {@link formatIssues}. */
export interface FormatOptions {
  /** Every known dotted path (for suggestions). */
  readonly known: readonly string[];
  /** A fuller description of what a union path accepts, used when the value fits none of its branches. */
  readonly unionHints?: Readonly<Record<string, string>>;
}

/**
 * One line per problem, `path: what is wrong; what is expected`, for the issues of a failed parse of `input`.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, options: FormatOptions, base: readonly PropertyKey[] = []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    const at = [...base, ...issue.path];
    const p = at.map(String).join('.');
    const where = p || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) {
        const full = p ? `${p}.${k}` : k;
        // Known paths have no list indices (`model.sparsity.eps` stands for `model.sparsity.1.eps` too).
        const generic = withoutIndices(full);
        const nearGeneric = nearestPath(generic, options.known);
        const near = nearGeneric !== null && parent(nearGeneric) === parent(generic) && generic !== full ? `${p}.${last(nearGeneric)}` : nearGeneric;
        const owner = valueAt(input, at) as Record<string, unknown> | undefined;
        const tag = owner?.name ?? owner?.kind;
        const hint = options.known.includes(generic)
          ? `${p}${tag === undefined ? '' : ` ${JSON.stringify(tag)}`} has no such key (other kinds of ${p} do)`
          : near
            ? `did you mean ${near}?`
            : `known keys here: ${options.known.filter((c) => parent(c) === withoutIndices(p)).map(last).join(', ')}`;
        lines.push(`${full}: unknown key; ${hint}`);
      }
    } else if (issue.code === 'invalid_union' && (issue as { discriminator?: string }).discriminator !== undefined) {
      // A tagged union (data.name, optimizer.name, model.sparsity.kind...) given an unknown tag.
      const allowed = (issue as { options?: unknown[] }).options ?? [];
      const got = valueAt(input, at);
      const near = typeof got === 'string' ? nearestName(got, allowed.map(String)) : null;
      lines.push(`${where}: ${got === undefined ? 'missing' : `${show(got)} is not allowed`}; expected one of ${quoted(allowed)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`);
    } else if (issue.code === 'invalid_union') {
      // A plain union (activation name or object, policy name or object): if the value has the type of one
      // branch, that branch's own problems are the useful ones; otherwise say what each branch accepts.
      const rootFailure = (b: readonly z.core.$ZodIssue[]) => b.every((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value'));
      const inner = issue.errors.find((b) => b.length > 0 && !rootFailure(b));
      if (inner) lines.push(...formatIssues(inner, input, options, at));
      else {
        const hint = options.unionHints?.[withoutIndices(p)];
        const alternatives = issue.errors.map((b) => (b[0] ? wanted(b[0]) : '')).filter(Boolean);
        lines.push(`${where}: ${show(valueAt(input, at))} is not allowed; expected ${hint ?? alternatives.join(' or ')}`);
      }
    } else if (issue.code === 'invalid_value') {
      const got = valueAt(input, at);
      const near = typeof got === 'string' ? nearestName(got, issue.values.map(String)) : null;
      lines.push(`${where}: ${show(got)} is not allowed; expected one of ${quoted(issue.values)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}`);
    } else {
      lines.push(`${where}: ${issue.message}`);
    }
  }
  return lines;
}
