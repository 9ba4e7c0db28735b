/**
 * Per-epoch snapshots of a network's input-layer importance: the strength (`sum |w|`) and the degree
 * (connections kept) of every input feature at the end of each epoch, so that a ranking, or an MNIST pixel
 * map, can be drawn for any epoch of a finished run (`featureImportance(runDir, { epoch })`,
 * `synapses-ts select RUN_DIR --epoch E`), not only for its final model.
 *
 * Epochs count epochs completed: snapshot `E` is the network after its `E`-th epoch, evolution included
 * (metrics.jsonl's 0-based `epoch` + 1, the numbering the CLI prints); snapshot 0 is the network before
 * training. The last snapshot is the network of the run's `model.json`.
 *
 * The run folder keeps them in `feature-snapshots.jsonl`, one JSON line per epoch, appended (and fsynced)
 * after each epoch like `metrics.jsonl`; a line cut by a crash is ignored on reading, and a resumed run drops
 * the lines after its checkpoint before it appends again, so a resumed run's file is the uninterrupted one's.
 *
 * Size, bounded whatever the width. A line stores Float32 arrays as base64:
 * - up to {@link SNAPSHOT_FULL_MAX_FEATURES} (4,096) features, every feature's strength and degree
 *   (`kind: "full"`, 8 bytes per feature: 6.3 KiB for MNIST's 784 pixels, 32 KiB at most);
 * - above it, only the top {@link SNAPSHOT_TOP_K} (1,024) features by each method, as (feature, score) pairs
 *   (`kind: "top"`, 16 KiB whatever the width), plus a summary of all features (connected features, total
 *   strength, connections). Why: a 200,000-marker run would otherwise write 1.6 MB per epoch, and what is
 *   looked at per epoch on such data is the head of the ranking (which markers rise to the top, and when);
 *   the complete final ranking stays available from `model.json`. The top k of a method is exactly the first
 *   k of its full ranking (same scores, ties by the lower index), so rankings read from a `top` snapshot are
 *   exact up to rank k and unknown (NaN, ranked last) below it.
 *
 * @packageDocumentation
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, CorruptFileError, DataError } from '../core/errors';
import { appendJsonLine, readJsonLines, writeFileAtomic } from '../io/files';
import { b64 } from '../io/model-file';
import type { Model } from '../train/model';
import { inputDegree, inputStrength, rankOrder } from './importance';

/** The file of per-epoch input-importance snapshots inside a run folder. */
export const FEATURE_SNAPSHOTS_FILE = 'feature-snapshots.jsonl';
/** The most features a snapshot stores in full; wider layers keep the top {@link SNAPSHOT_TOP_K}. */
export const SNAPSHOT_FULL_MAX_FEATURES = 4096;
/** Features per method kept by a snapshot of a layer wider than {@link SNAPSHOT_FULL_MAX_FEATURES}. */
export const SNAPSHOT_TOP_K = 1024;

/** The methods a snapshot records. */
export const SNAPSHOT_METHODS = ['strength', 'degree'] as const;
/** A method a snapshot records. */
export type SnapshotMethod = (typeof SNAPSHOT_METHODS)[number];

/** The scores of one method in a snapshot: all features, or the top k as (feature, score) pairs. */
export interface SnapshotScores {
  /** The features scored, most important first; absent when every feature is (then `scores[f]` is feature f's). */
  readonly features?: Int32Array;
  readonly scores: Float32Array;
}

/** The input-layer importance of a network at the end of one epoch. */
export interface ImportanceSnapshot {
  /** Epochs completed (0 = before training). */
  readonly epoch: number;
  readonly nFeatures: number;
  /** `'full'`: every feature; `'top'`: the top features of each method only. */
  readonly kind: 'full' | 'top';
  /** Connections of the input layer. */
  readonly connections: number;
  /** Features with at least one connection. */
  readonly connectedFeatures: number;
  /** `sum |w|` over the whole input layer. */
  readonly totalStrength: number;
  readonly strength: SnapshotScores;
  readonly degree: SnapshotScores;
}

/** Options of {@link importanceSnapshot} (the defaults are the run folder's; tests use small ones). */
export interface SnapshotOptions {
  /** Default {@link SNAPSHOT_FULL_MAX_FEATURES}. */
  readonly maxFullFeatures?: number;
  /** Default {@link SNAPSHOT_TOP_K}. */
  readonly topK?: number;
}

/**
 * The strength and degree of every input feature of `model` now, in full or as the top k of each (see the
 * module comment). O(connections + nFeatures) time, plus a sort of the features for a `top` snapshot.
 * @param epoch - epochs completed (0 = before training).
 * @example
 * const s = importanceSnapshot(model, model.epochsDone);
 */
export function importanceSnapshot(model: Model, epoch: number, options: SnapshotOptions = {}): ImportanceSnapshot {
  if (!Number.isInteger(epoch) || epoch < 0) throw new ConfigError(`a snapshot's epoch must be an integer >= 0 (epochs completed), got ${epoch}`);
  const maxFull = options.maxFullFeatures ?? SNAPSHOT_FULL_MAX_FEATURES, k = options.topK ?? SNAPSHOT_TOP_K;
  const strength = inputStrength(model), degree = inputDegree(model);
  let connections = 0, connected = 0, total = 0;
  for (let f = 0; f < degree.length; f++) {
    connections += degree[f]!;
    if (degree[f]! > 0) connected++;
    total += strength[f]!;
  }
  const full = strength.length <= maxFull;
  // The top k by the Float32 scores that are stored, so that the stored order is the order a reader computes.
  const keep = (s: Float64Array): SnapshotScores => {
    const scores = Float32Array.from(s);
    if (full) return { scores };
    const features = rankOrder(scores).slice(0, Math.min(k, scores.length));
    return { features, scores: Float32Array.from(features, (f) => scores[f]!) };
  };
  return {
    epoch, nFeatures: strength.length, kind: full ? 'full' : 'top', connections, connectedFeatures: connected, totalStrength: total,
    strength: keep(strength), degree: keep(degree),
  };
}

/** The JSON line of a snapshot (typed arrays as base64 of their little-endian bytes). */
export function snapshotToJson(s: ImportanceSnapshot): Record<string, unknown> {
  const part = (p: SnapshotScores) => ({ ...(p.features ? { features: b64(p.features) } : {}), scores: b64(p.scores) });
  return {
    epoch: s.epoch, nFeatures: s.nFeatures, kind: s.kind, connections: s.connections, connectedFeatures: s.connectedFeatures,
    totalStrength: s.totalStrength, strength: part(s.strength), degree: part(s.degree),
  };
}

/** What is wrong with a parsed snapshot line, or undefined when it is one (see {@link snapshotFromJson}). */
function snapshotProblem(v: unknown): string | undefined {
  try {
    snapshotFromJson(v);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * A snapshot from its JSON line, checked: a non-negative integer epoch, scores of the right lengths, feature
 * indices in range.
 * @throws {@link DataError} naming what is wrong.
 */
export function snapshotFromJson(v: unknown): ImportanceSnapshot {
  const r = v as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null) throw new DataError('a snapshot must be a JSON object');
  const int = (key: string) => {
    const x = r[key];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new DataError(`snapshot ${key} must be an integer >= 0, got ${JSON.stringify(x)}`);
    return x;
  };
  const epoch = int('epoch'), nFeatures = int('nFeatures'), connections = int('connections'), connectedFeatures = int('connectedFeatures');
  if (r.kind !== 'full' && r.kind !== 'top') throw new DataError(`snapshot kind must be "full" or "top", got ${JSON.stringify(r.kind)}`);
  const kind = r.kind;
  if (typeof r.totalStrength !== 'number') throw new DataError('snapshot totalStrength must be a number');
  const part = (method: SnapshotMethod): SnapshotScores => {
    const p = r[method] as Record<string, unknown> | undefined;
    if (typeof p !== 'object' || p === null) throw new DataError(`snapshot of epoch ${epoch} has no ${method}`);
    const scores = new Float32Array(bytesOf(p.scores, `${method}.scores`).buffer);
    if (kind === 'full') {
      if (scores.length !== nFeatures) throw new DataError(`snapshot of epoch ${epoch}: ${method} has ${scores.length} scores, expected one per feature (${nFeatures})`);
      return { scores };
    }
    const features = new Int32Array(bytesOf(p.features, `${method}.features`).buffer);
    if (features.length !== scores.length) throw new DataError(`snapshot of epoch ${epoch}: ${method} has ${features.length} features but ${scores.length} scores`);
    features.forEach((f) => {
      if (f < 0 || f >= nFeatures) throw new DataError(`snapshot of epoch ${epoch}: ${method} names feature ${f}, outside 0..${nFeatures - 1}`);
    });
    return { features, scores };
  };
  return { epoch, nFeatures, kind, connections, connectedFeatures, totalStrength: r.totalStrength, strength: part('strength'), degree: part('degree') };
}

/** Base64 to a fresh, aligned copy of its bytes (a multiple of 4). */
function bytesOf(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string') throw new DataError(`snapshot ${what} is missing or not a base64 string`);
  const raw = Buffer.from(s, 'base64');
  if (raw.byteLength % 4 !== 0) throw new DataError(`snapshot ${what} has ${raw.byteLength} bytes, not a multiple of 4`);
  return new Uint8Array(raw);
}

/**
 * One score per feature from a snapshot: every feature's for a `full` snapshot; for a `top` one, the top
 * features' and NaN for the others (which {@link FeatureRanking} ranks last).
 * @returns the scores and how many leading ranks are exact.
 */
export function snapshotScores(s: ImportanceSnapshot, method: SnapshotMethod): { scores: Float64Array; known: number } {
  const p = s[method];
  if (!p.features) return { scores: Float64Array.from(p.scores), known: s.nFeatures };
  const scores = new Float64Array(s.nFeatures).fill(NaN);
  p.features.forEach((f, i) => (scores[f] = p.scores[i]!));
  return { scores, known: p.features.length };
}

/**
 * The snapshots of a run folder, in file order (ascending epochs).
 * @throws {@link DataError} when the folder has no snapshot file (a run of an older toolkit);
 *   {@link CorruptFileError} for a broken line before the last.
 */
export function readSnapshots(dir: string): ImportanceSnapshot[] {
  const file = path.join(dir, FEATURE_SNAPSHOTS_FILE);
  if (!fs.existsSync(file)) {
    throw new DataError(`${dir} has no ${FEATURE_SNAPSHOTS_FILE}: rankings at an epoch need a run trained by a toolkit that records per-epoch snapshots; without --epoch the final model is ranked`);
  }
  return readJsonLines(file, { check: snapshotProblem }).map(snapshotFromJson);
}

/** `[0, 1, 2, 5, 6]` -> `"0-2, 5-6"`. */
export function describeEpochs(epochs: readonly number[]): string {
  if (epochs.length === 0) return 'none';
  const parts: string[] = [];
  let start = epochs[0]!, prev = start;
  for (const e of [...epochs.slice(1), NaN]) {
    if (e === prev + 1) {
      prev = e;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}-${prev}`);
    start = prev = e;
  }
  return parts.join(', ');
}

/**
 * The snapshot of `epoch` in a run folder.
 * @throws {@link ConfigError} for an epoch the run did not record, listing those it did; the errors of
 *   {@link readSnapshots}.
 */
export function snapshotAt(dir: string, epoch: number): ImportanceSnapshot {
  const all = readSnapshots(dir);
  // The last line of an epoch wins (there is one per epoch unless the file was edited).
  const found = all.filter((s) => s.epoch === epoch).at(-1);
  if (!found) {
    const epochs = [...new Set(all.map((s) => s.epoch))].sort((a, b) => a - b);
    throw new ConfigError(`${dir} has no importance snapshot of epoch ${epoch}; recorded epochs (epochs completed, 0 = before training): ${describeEpochs(epochs)}`);
  }
  return found;
}

/**
 * Prepares a run folder's snapshot file when a run starts: a fresh run gets a new file holding the snapshot
 * of epoch 0 (the network before training); a run resumed at `resumedEpochs` keeps only the snapshots of the
 * epochs its checkpoint covers (a crash between the append and the checkpoint leaves one more).
 * Written by experiments/run; {@link appendSnapshot} then adds one line per epoch.
 */
export function startSnapshots(dir: string, model: Model, resumedEpochs: number | null): void {
  const file = path.join(dir, FEATURE_SNAPSHOTS_FILE);
  if (resumedEpochs === null) {
    writeFileAtomic(file, JSON.stringify(snapshotToJson(importanceSnapshot(model, 0))) + '\n');
    return;
  }
  if (!fs.existsSync(file)) return;
  const kept = readJsonLines<{ epoch: number }>(file, { check: snapshotProblem }).filter((s) => s.epoch <= resumedEpochs);
  writeFileAtomic(file, kept.map((s) => JSON.stringify(s) + '\n').join(''));
}

/** Appends the snapshot of `model` after `epoch` epochs to the run folder `dir` (fsynced, see io/files). */
export function appendSnapshot(dir: string, model: Model, epoch: number): void {
  appendJsonLine(path.join(dir, FEATURE_SNAPSHOTS_FILE), snapshotToJson(importanceSnapshot(model, epoch)));
}
