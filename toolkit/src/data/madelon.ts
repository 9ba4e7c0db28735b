/**
 * MADELON-style data: the recipe of the NIPS 2003 feature-selection challenge (Guyon et al.), with
 * configurable sizes, seeded. scikit-learn's `make_classification` follows the same recipe.
 *
 * Recipe:
 * 1. `nInformative` informative coordinates. Each class gets `clustersPerClass` clusters; the cluster centres
 *    are distinct vertices of the `nInformative`-dimensional hypercube with side `2 * classSep` (coordinates
 *    `+-classSep`), assigned to classes at random. A sample is its cluster's centre plus `z A_c`, with `z`
 *    standard normal and `A_c` a random `nInformative x nInformative` matrix of U(-1, 1) entries per cluster
 *    (a random covariance per cluster). With 2 classes and 16 clusters each on a 5-cube (the original
 *    MADELON), every class holds half of the vertices: the classes are XOR-like, and no single informative
 *    coordinate separates them, so univariate filters fail.
 * 2. `nRedundant` redundant features, random linear combinations of the informative ones
 *    (`x_inf B`, `B` with U(-1, 1) entries).
 * 3. `nFeatures - nInformative - nRedundant` noise ("probe") features, standard normal, independent of
 *    the class.
 * 4. A fraction `flipY` of the labels is replaced by a random class.
 * 5. Every feature is standardised (zero mean, unit variance over the generated samples), so a feature's
 *    variance says nothing about its relevance (as the challenge's rescaling of the probes intended), and
 *    the columns are shuffled: the relevant features sit at random indices, recorded in `relevantFeatures`.
 *
 * Streams: `rngFor(seed, 'madelon', 'vertices' | 'labels' | 'covariance' | 'redundant' | 'samples' |
 * 'noise' | 'flip' | 'columns')`.
 *
 * @packageDocumentation
 */
import { check, checkFinite, checkInt } from '../core/assert';
import { rngFor } from '../core/rng';
import { DenseDataset } from './dataset';

/** Options of {@link madelon}. Defaults are the original challenge's sizes (2,600 samples of 500 features). */
export interface MadelonOptions {
  /** Samples (default 2600: the challenge's 2,000 training and 600 validation samples). */
  readonly nSamples?: number;
  /** Features in all (default 500). */
  readonly nFeatures?: number;
  /** Informative features: the hypercube's dimension (default 5; at most 30). */
  readonly nInformative?: number;
  /** Redundant features, linear combinations of the informative ones (default 15). */
  readonly nRedundant?: number;
  /** Classes (default 2). */
  readonly nClasses?: number;
  /** Clusters per class (default 16; `nClasses * clustersPerClass <= 2^nInformative`). */
  readonly clustersPerClass?: number;
  /** Half the side of the hypercube (default 1). */
  readonly classSep?: number;
  /**
   * Balance every informative coordinate within each class (default true): the clusters' vertices are drawn
   * until, in every class, each coordinate is `+classSep` in as many clusters as it is `-classSep` (within
   * one). Then no informative or redundant feature differs in mean between classes: they matter only
   * jointly, as the challenge intended. `false` assigns vertices at random (scikit-learn's
   * `make_classification`), which leaves chance class-mean differences that univariate filters pick up.
   */
  readonly balanced?: boolean;
  /** Fraction of labels replaced by a random class (default 0.01). */
  readonly flipY?: number;
  readonly seed: number;
  /** Name of the data set (default `"madelon"`). */
  readonly name?: string;
}

/**
 * The hypercube vertices of the clusters (cluster c belongs to class c % nClasses): the first nClusters of a
 * random order of all 2^nInf, redrawn until balanced when asked (see {@link MadelonOptions.balanced}).
 * @throws {@link InvalidArgumentError} when no balanced choice turns up in 10^6 draws.
 */
function chooseVertices(nInf: number, nClasses: number, cpc: number, balanced: boolean, seed: number): Int32Array {
  const rng = rngFor(seed, 'madelon', 'vertices');
  const nClusters = nClasses * cpc;
  const ones = new Int32Array(nClasses * nInf);
  for (let attempt = 0; attempt < 1_000_000; attempt++) {
    const v = rng.permutation(2 ** nInf).subarray(0, nClusters);
    if (!balanced) return v;
    ones.fill(0);
    for (let c = 0; c < nClusters; c++) for (let d = 0; d < nInf; d++) ones[(c % nClasses) * nInf + d]! += (v[c]! >> d) & 1;
    // Balanced: each class has as many ones as zeros per coordinate (within one when cpc is odd).
    if (ones.every((k) => Math.abs(2 * k - cpc) <= 1)) return v;
  }
  check(false, () => `madelon: no balanced choice of ${nClusters} vertices of a ${nInf}-cube found; set balanced: false or change clustersPerClass`);
  return new Int32Array(0);
}

/** A generated data set and the features that truly carry its signal. */
export interface GeneratedData<T> {
  readonly data: T;
  /** Indices of the relevant features, ascending. */
  readonly relevantFeatures: Int32Array;
}

/** The generated madelon data and where its informative and redundant features went. */
export interface MadelonData extends GeneratedData<DenseDataset> {
  /** Column indices of the informative features (hypercube coordinates), in generation order. */
  readonly informative: Int32Array;
  /** Column indices of the redundant features, in generation order. */
  readonly redundant: Int32Array;
}

/**
 * Generates MADELON-style data (see the module comment).
 * @throws {@link InvalidArgumentError} on an invalid option (sizes that do not fit, too many clusters).
 * @example
 * const { data, relevantFeatures } = madelon({ seed: 0 }); // 2600 x 500, 20 relevant
 */
export function madelon(options: MadelonOptions): MadelonData {
  const nSamples = options.nSamples ?? 2600, nFeatures = options.nFeatures ?? 500;
  const nInf = options.nInformative ?? 5, nRed = options.nRedundant ?? 15;
  const nClasses = options.nClasses ?? 2, cpc = options.clustersPerClass ?? 16;
  const sep = options.classSep ?? 1, flipY = options.flipY ?? 0.01, seed = options.seed;
  checkInt(nSamples, 'madelon nSamples', 1, 0x7fffffff);
  checkInt(nInf, 'madelon nInformative', 1, 30);
  checkInt(nRed, 'madelon nRedundant', 0);
  checkInt(nFeatures, `madelon nFeatures (nInformative + nRedundant = ${nInf + nRed})`, nInf + nRed, 0x7fffffff);
  checkInt(nClasses, 'madelon nClasses', 2);
  checkInt(cpc, 'madelon clustersPerClass', 1);
  check(nClasses * cpc <= 2 ** nInf, () => `madelon: nClasses * clustersPerClass = ${nClasses * cpc} clusters need distinct hypercube vertices, but a ${nInf}-cube has ${2 ** nInf}`);
  check(Number.isFinite(sep) && sep > 0, () => `madelon classSep must be a finite number > 0, got ${sep}`);
  check(Number.isFinite(flipY) && flipY >= 0 && flipY <= 1, () => `madelon flipY must be in [0, 1], got ${flipY}`);
  checkFinite(seed, 'madelon seed');
  check(nSamples * nFeatures <= 2 ** 31, () => `madelon data of ${nSamples} x ${nFeatures} values is too large`);

  const nClusters = nClasses * cpc;
  // Distinct vertices: the first nClusters of a random order of all 2^nInf (cluster c belongs to class c % nClasses).
  const vertices = chooseVertices(nInf, nClasses, cpc, options.balanced ?? true, seed);
  const covRng = rngFor(seed, 'madelon', 'covariance');
  const A = Float64Array.from({ length: nClusters * nInf * nInf }, () => 2 * covRng.float() - 1);
  const redRng = rngFor(seed, 'madelon', 'redundant');
  const B = Float64Array.from({ length: nInf * nRed }, () => 2 * redRng.float() - 1);
  // Balanced clusters: sample s is in cluster perm[s] % nClusters.
  const clusterOf = rngFor(seed, 'madelon', 'labels').permutation(nSamples);
  // Columns: generated feature g goes to column cols[g] (informative first, then redundant, then noise).
  const cols = rngFor(seed, 'madelon', 'columns').permutation(nFeatures);

  const raw = new Float64Array(nSamples * nFeatures);
  const labels = new Int32Array(nSamples);
  const sRng = rngFor(seed, 'madelon', 'samples'), nRng = rngFor(seed, 'madelon', 'noise'), fRng = rngFor(seed, 'madelon', 'flip');
  const z = new Float64Array(nInf), xi = new Float64Array(nInf);
  for (let s = 0; s < nSamples; s++) {
    const c = clusterOf[s]! % nClusters;
    labels[s] = c % nClasses;
    const v = vertices[c]!;
    for (let d = 0; d < nInf; d++) z[d] = sRng.normal();
    for (let d = 0; d < nInf; d++) {
      let t = ((v >> d) & 1) === 1 ? sep : -sep;
      for (let e = 0; e < nInf; e++) t += z[e]! * A[(c * nInf + e) * nInf + d]!;
      xi[d] = t;
    }
    const row = s * nFeatures;
    for (let d = 0; d < nInf; d++) raw[row + cols[d]!] = xi[d]!;
    for (let r = 0; r < nRed; r++) {
      let t = 0;
      for (let d = 0; d < nInf; d++) t += xi[d]! * B[d * nRed + r]!;
      raw[row + cols[nInf + r]!] = t;
    }
    for (let g = nInf + nRed; g < nFeatures; g++) raw[row + cols[g]!] = nRng.normal();
    if (flipY > 0 && fRng.float() < flipY) labels[s] = fRng.int(nClasses);
  }

  const features = new Float32Array(nSamples * nFeatures);
  for (let f = 0; f < nFeatures; f++) {
    let m = 0;
    for (let s = 0; s < nSamples; s++) m += raw[s * nFeatures + f]!;
    m /= nSamples;
    let v = 0;
    for (let s = 0; s < nSamples; s++) v += (raw[s * nFeatures + f]! - m) ** 2;
    const sd = Math.sqrt(v / nSamples) || 1;
    for (let s = 0; s < nSamples; s++) features[s * nFeatures + f] = (raw[s * nFeatures + f]! - m) / sd;
  }
  const informative = cols.slice(0, nInf), redundant = cols.slice(nInf, nInf + nRed);
  const relevantFeatures = cols.slice(0, nInf + nRed).sort();
  const data = new DenseDataset(options.name ?? 'madelon', features, labels, nFeatures, nClasses);
  return { data, relevantFeatures, informative, redundant };
}
