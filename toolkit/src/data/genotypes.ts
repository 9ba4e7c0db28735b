/**
 * Seeded genotype-like data: samples x markers coded 0/1/2 (copies of the minor allele; 0 = major
 * homozygote), with linkage disequilibrium (correlated neighbouring markers) in blocks, a few causal markers
 * (additive ones, and pairs that act only together) and a binary or multi-class phenotype. Stored sparsely
 * ({@link SparseDataset}): only the non-zero genotypes are kept, so 10^5 to 10^6 markers fit in memory.
 *
 * Model:
 * - Minor-allele frequency of marker m: `p_m = minMaf + (0.5 - minMaf) * U^mafShape` with U uniform, i.e.
 *   `(p_m - minMaf) / (0.5 - minMaf)` is Beta(1 / mafShape, 1)-distributed: most markers rare (the default
 *   shape 3 gives a mean MAF of about 0.13), some common.
 * - Markers form consecutive blocks of `blockSize`. Each of a sample's two haplotypes carries a latent
 *   uniform `u` along a block, drawn anew at the block's start and, inside it, at each marker with
 *   probability `1 - ld`; the haplotype has the minor allele at marker m when `u < p_m`. So every marker has
 *   exactly frequency `p_m`, and markers sharing a `u` are correlated (nested carriers, as in a haplotype
 *   block); the correlation decays with distance (`ld^d`) and ends at block boundaries. The genotype is
 *   the sum over the two haplotypes.
 * - Phenotype: a liability `sqrt(h2) * G / sd(G) + sqrt(1 - h2) * e`, with `G` the sum of `nCausal`
 *   additive effects `b_i z_i` (z: the marker's genotype standardised by its expected mean `2p` and sd
 *   `sqrt(2p(1-p))`, b: +-1 with random sign) and `nPairs` interaction terms `b z_a z_b` (the pair's markers
 *   in different blocks: independent, so each has no effect on its own, only jointly), e standard normal.
 *   Classes are the liability's quantiles (`nClasses` equal groups; 2 = binary case/control).
 *   Causal markers are drawn among markers with MAF >= 0.1, one per block at most.
 * - `relevantFeatures`: the causal markers (additive and pair members). Their LD neighbours carry signal
 *   too (as in real data): `causalBlocks` says which blocks hold causal markers, to score by block.
 *
 * Streams: `rngFor(seed, 'genotypes', 'maf' | 'causal' | 'effects' | 'noise')` and
 * `rngFor(seed, 'genotypes', 'sample', s)` per sample (so samples can be generated in any order).
 *
 * @packageDocumentation
 */
import { check, checkFinite, checkInt } from '../core/assert';
import { rngFor } from '../core/rng';
import type { GeneratedData } from './madelon';
import { SparseDataset } from './sparse-dataset';

/** Options of {@link genotypes}. */
export interface GenotypeOptions {
  readonly nSamples: number;
  readonly nMarkers: number;
  /** Markers per LD block (default 20). */
  readonly blockSize?: number;
  /** Probability that a haplotype keeps its latent value from one marker to the next inside a block (default 0.9). */
  readonly ld?: number;
  /** Smallest minor-allele frequency (default 0.01). */
  readonly minMaf?: number;
  /** Shape of the MAF distribution (default 3; 1 = uniform on [minMaf, 0.5]). */
  readonly mafShape?: number;
  /** Additive causal markers (default 10). */
  readonly nCausal?: number;
  /** Interacting pairs of markers (default 2). */
  readonly nPairs?: number;
  /** Share of the liability's variance due to the causal markers (default 0.8). */
  readonly heritability?: number;
  /** Classes (default 2). */
  readonly nClasses?: number;
  readonly seed: number;
  /** Name of the data set (default `"genotypes"`). */
  readonly name?: string;
}

/** Generated genotypes and the markers that cause the phenotype. */
export interface GenotypeData extends GeneratedData<SparseDataset> {
  /** The additive causal markers. */
  readonly causal: Int32Array;
  /** The interacting pairs, `[a0, b0, a1, b1, ...]`. */
  readonly pairs: Int32Array;
  /** The minor-allele frequency of every marker. */
  readonly maf: Float64Array;
  /** Markers per LD block (marker m is in block `floor(m / blockSize)`). */
  readonly blockSize: number;
}

/**
 * Generates genotype-like data (see the module comment).
 * @throws {@link InvalidArgumentError} for invalid options, or too few common markers for the causal ones.
 * @example
 * const { data, relevantFeatures } = genotypes({ nSamples: 1000, nMarkers: 200_000, seed: 0 });
 */
export function genotypes(options: GenotypeOptions): GenotypeData {
  const { nSamples, nMarkers, seed } = options;
  const blockSize = options.blockSize ?? 20, ld = options.ld ?? 0.9, minMaf = options.minMaf ?? 0.01, shape = options.mafShape ?? 3;
  const nCausal = options.nCausal ?? 10, nPairs = options.nPairs ?? 2, h2 = options.heritability ?? 0.8, nClasses = options.nClasses ?? 2;
  checkInt(nSamples, 'genotypes nSamples', 2, 0x7fffffff);
  checkInt(nMarkers, 'genotypes nMarkers', 1, 0x7fffffff);
  checkInt(blockSize, 'genotypes blockSize', 1);
  check(Number.isFinite(ld) && ld >= 0 && ld < 1, () => `genotypes ld must be in [0, 1), got ${ld}`);
  check(Number.isFinite(minMaf) && minMaf > 0 && minMaf < 0.5, () => `genotypes minMaf must be in (0, 0.5), got ${minMaf}`);
  check(Number.isFinite(shape) && shape > 0, () => `genotypes mafShape must be a finite number > 0, got ${shape}`);
  checkInt(nCausal, 'genotypes nCausal', 0);
  checkInt(nPairs, 'genotypes nPairs', 0);
  check(nCausal + nPairs > 0, 'genotypes needs at least one causal marker or pair (nCausal + nPairs > 0)');
  check(Number.isFinite(h2) && h2 >= 0 && h2 <= 1, () => `genotypes heritability must be in [0, 1], got ${h2}`);
  checkInt(nClasses, 'genotypes nClasses', 2);
  checkFinite(seed, 'genotypes seed');

  const mafRng = rngFor(seed, 'genotypes', 'maf');
  const maf = Float64Array.from({ length: nMarkers }, () => minMaf + (0.5 - minMaf) * mafRng.float() ** shape);

  // Causal markers: common ones (MAF >= 0.1), at most one per block, in random order of the blocks.
  const nBlocks = Math.ceil(nMarkers / blockSize);
  const need = nCausal + 2 * nPairs;
  const chosen: number[] = [];
  const cRng = rngFor(seed, 'genotypes', 'causal');
  for (const b of cRng.permutation(nBlocks)) {
    if (chosen.length === need) break;
    const lo = b * blockSize, hi = Math.min(nMarkers, lo + blockSize);
    const common: number[] = [];
    for (let m = lo; m < hi; m++) if (maf[m]! >= 0.1) common.push(m);
    if (common.length) chosen.push(common[cRng.int(common.length)]!);
  }
  check(chosen.length === need, () => `genotypes: ${need} causal markers need as many blocks holding a marker with MAF >= 0.1; found ${chosen.length} (more markers or a smaller mafShape)`);
  const causal = Int32Array.from(chosen.slice(0, nCausal));
  const pairs = Int32Array.from(chosen.slice(nCausal));
  const eRng = rngFor(seed, 'genotypes', 'effects');
  const effect = Float64Array.from({ length: nCausal + nPairs }, () => (eRng.float() < 0.5 ? -1 : 1));

  // Genotypes, one sample at a time into growing CSR arrays (sized from the expected non-zeros).
  let expected = 0;
  for (let m = 0; m < nMarkers; m++) expected += 2 * maf[m]! - maf[m]! ** 2;
  let cap = Math.max(16, Math.ceil(expected * nSamples * 1.02) + 1024);
  let idx = new Int32Array(cap), val = new Float32Array(cap);
  const rowPtr = new Int32Array(nSamples + 1);
  const g = new Uint8Array(nMarkers);
  const liability = new Float64Array(nSamples);
  const logLd = Math.log(ld);
  let nnz = 0;
  for (let s = 0; s < nSamples; s++) {
    const rng = rngFor(seed, 'genotypes', 'sample', s);
    g.fill(0);
    for (let h = 0; h < 2; h++) {
      let u = 0, next = 0;
      for (let m = 0; m < nMarkers; m++) {
        if (m === next || m % blockSize === 0) {
          u = rng.float();
          // The next redraw: a geometric gap with success probability 1 - ld (ld 0: at every marker).
          next = m + (ld === 0 ? 1 : 1 + Math.floor(Math.log(1 - rng.float()) / logLd));
        }
        if (u < maf[m]!) g[m]!++;
      }
    }
    let count = 0;
    for (let m = 0; m < nMarkers; m++) if (g[m] !== 0) count++;
    if (nnz + count > cap) {
      cap = Math.max(nnz + count, Math.ceil(cap * 1.25));
      const i2 = new Int32Array(cap), v2 = new Float32Array(cap);
      i2.set(idx.subarray(0, nnz));
      v2.set(val.subarray(0, nnz));
      idx = i2;
      val = v2;
    }
    for (let m = 0; m < nMarkers; m++) {
      if (g[m] !== 0) {
        idx[nnz] = m;
        val[nnz] = g[m]!;
        nnz++;
      }
    }
    rowPtr[s + 1] = nnz;
    const z = (m: number) => (g[m]! - 2 * maf[m]!) / Math.sqrt(2 * maf[m]! * (1 - maf[m]!));
    let G = 0;
    for (let k = 0; k < nCausal; k++) G += effect[k]! * z(causal[k]!);
    for (let k = 0; k < nPairs; k++) G += effect[nCausal + k]! * z(pairs[2 * k]!) * z(pairs[2 * k + 1]!);
    liability[s] = G;
  }
  // Each term has unit variance (independent markers: causal ones sit in different blocks).
  const sdG = Math.sqrt(nCausal + nPairs);
  const nRng = rngFor(seed, 'genotypes', 'noise');
  for (let s = 0; s < nSamples; s++) liability[s] = Math.sqrt(h2) * (liability[s]! / sdG) + Math.sqrt(1 - h2) * nRng.normal();
  // Classes by quantiles of the liability: equal groups.
  const order = Int32Array.from({ length: nSamples }, (_, i) => i).sort((a, b) => liability[a]! - liability[b]! || a - b);
  const labels = new Int32Array(nSamples);
  order.forEach((s, at) => (labels[s] = Math.min(nClasses - 1, Math.floor((at * nClasses) / nSamples))));

  const data = new SparseDataset(options.name ?? 'genotypes', rowPtr, idx.slice(0, nnz), val.slice(0, nnz), labels, nMarkers, nClasses);
  const relevantFeatures = Int32Array.from([...causal, ...pairs]).sort();
  return { data, relevantFeatures, causal, pairs, maf, blockSize };
}

/** The LD blocks (indices) that hold a relevant marker of `d`, ascending. */
export function causalBlocks(d: GenotypeData): Int32Array {
  return Int32Array.from(new Set(Array.from(d.relevantFeatures, (m) => Math.floor(m / d.blockSize)))).sort();
}
