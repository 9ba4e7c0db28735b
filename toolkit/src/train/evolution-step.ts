/**
 * Applying a policy to a network at an evolution event: consult the trigger per layer, prune the layers
 * that fire, regrow (in place, or redistributed across layers), swap their topology and remap the
 * optimizer state; and neuron importance pruning at epoch ends.
 *
 * @packageDocumentation
 */
import { ConfigError, ShapeError } from '../core/errors';
import { rngFor } from '../core/rng';
import { pruneLayer, regrowLayer, removeEntries, type EvolvedLayer, type PrunedLayer } from '../evolution/evolve';
import { selectsLayer } from '../evolution/registry';
import { emptyPositions } from '../evolution/regrow';
import type { EvolutionState } from '../evolution/state';
import type { EvolutionContext, EvolutionReport, Policy } from '../evolution/types';
import type { DenseGradientSource } from '../nn/dense-gradient';
import type { Sequential } from '../nn/sequential';
import { SparseLinear } from '../nn/sparse-linear';
import type { Optimizer } from '../optim/optimizer';

/** Whether the policy needs the usage history of layers (ITOP). */
export function tracksHistory(policy: Policy): boolean {
  return Boolean(policy.itop || policy.regrow.needsHistory);
}

/** The evolvable sparse layers a policy may touch, with their linear-layer indices. */
export function evolvableLayers(net: Sequential, policy: Policy): { layer: SparseLinear; index: number }[] {
  const linear = net.linearLayers();
  const out: { layer: SparseLinear; index: number }[] = [];
  linear.forEach((layer, l) => {
    if (layer instanceof SparseLinear && layer.evolvable && selectsLayer(policy, l, linear.length)) out.push({ layer, index: l });
  });
  return out;
}

/**
 * Checks that a policy's explicit layer list (`policy.layers: [0, 2]`) names layers that exist and can
 * evolve: a selection that names none of them would leave evolution silently off.
 * @throws {@link ConfigError} listing the network's linear layers (index, name, sizes) and which of them
 *   are evolvable, for an index beyond the network, or one that names a layer that cannot evolve (dense, or
 *   sparse but fully connected).
 */
export function checkPolicyLayers(net: Sequential, policy: Policy): void {
  if (!Array.isArray(policy.layers)) return;
  const linear = net.linearLayers();
  const evolvable = (l: number): boolean => {
    const layer = linear[l];
    return layer instanceof SparseLinear && layer.evolvable;
  };
  const bad = policy.layers.filter((l) => !(l < linear.length) || !evolvable(l));
  if (bad.length === 0) return;
  const describe = linear
    .map((layer, l) => `${l} (${layer.weight.name.replace(/\.weight$/, '')}, ${layer.kind} ${layer.nIn} -> ${layer.nOut}${evolvable(l) ? '' : ', not evolvable'})`)
    .join(', ');
  const which = bad.map((l) => (l < linear.length ? `${l} (cannot evolve: ${linear[l] instanceof SparseLinear ? 'fully connected' : 'dense'})` : `${l} (no such layer)`));
  const valid = linear.map((_, l) => l).filter(evolvable);
  throw new ConfigError(
    `policy.layers names ${which.join(', ')}; the network has ${linear.length} linear layers: ${describe}. ` +
      `Evolvable layer indices: ${valid.length ? valid.join(', ') : 'none'} (or use "all" or "hidden")`,
  );
}

/** Splits `total` in proportion to `weights` (largest remainders), each part capped at `caps[i]`. */
export function allocate(total: number, weights: readonly number[], caps: readonly number[]): number[] {
  const parts = weights.map(() => 0);
  let left = total;
  let open = weights.map((_, i) => i).filter((i) => caps[i]! > 0);
  while (left > 0 && open.length) {
    const sum = open.reduce((a, i) => a + Math.max(weights[i]!, 0), 0);
    const share = open.map((i) => (sum > 0 ? (left * Math.max(weights[i]!, 0)) / sum : left / open.length));
    const floors = share.map(Math.floor);
    let given = 0;
    open.forEach((i, a) => {
      const g = Math.min(floors[a]!, caps[i]! - parts[i]!);
      parts[i]! += g;
      given += g;
    });
    // Hand out the remainder one by one, largest fractional part first (ties to the lower index).
    const order = open.map((i, a) => ({ i, frac: share[a]! - floors[a]! })).sort((x, y) => y.frac - x.frac || x.i - y.i);
    for (const { i } of order) {
      if (given >= left) break;
      if (parts[i]! < caps[i]!) {
        parts[i]!++;
        given++;
      }
    }
    if (given === 0) break;
    left -= given;
    open = open.filter((i) => parts[i]! < caps[i]!);
  }
  return parts;
}

function meanAbs(a: Float32Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k]!);
  return a.length ? s / a.length : 0;
}

/**
 * Evolves every selected, evolvable sparse layer whose trigger fires. Random streams:
 * trigger `rngFor(seed, 'trigger', event, t, layer)`, evolution `rngFor(seed, 'evolve', event, t, layer)`,
 * with `t` the epoch for epoch events and the step for step events, so a run is reproducible whatever
 * else consumed random numbers in between.
 *
 * @param state - usage history, updated in place when the policy tracks it.
 * @param gradients - the dense gradient of the batch that gradient-based regrowth (RigL, SNFS) ranks empty
 *   positions by, as returned by the training step or the gradient probe; needed when such a rule regrows.
 * @returns the reports of the layers that evolved (possibly none).
 * @throws {@link ShapeError} when a gradient rule regrows a layer and `gradients` does not hold that layer
 *   (before anything changes).
 */
export function evolveNetwork(
  net: Sequential, optimizer: Optimizer, policy: Policy, ctx: EvolutionContext, seed: number, state?: EvolutionState, gradients?: DenseGradientSource,
): EvolutionReport[] {
  const t = ctx.event === 'epoch-end' ? ctx.epoch : ctx.step;
  const candidates = evolvableLayers(net, policy);
  ctx = { ...ctx, sparseLayers: candidates.length };
  // Usage history starts from each layer's topology before its first change (by evolution or importance
  // pruning, which runs after this at epoch ends), so every position ever connected is counted.
  if (state && tracksHistory(policy)) for (const { layer, index } of candidates) state.track(index, layer.weights);
  // A trigger that cannot fire at this kind of event is not asked (no per-layer stream at every step).
  if (policy.trigger.events && !policy.trigger.events.includes(ctx.event)) return [];
  const firing = candidates.filter(({ index }) => policy.trigger.fires(ctx, index, rngFor(seed, 'trigger', ctx.event, t, index)));
  if (firing.length === 0) return [];
  if (policy.regrow.needsGradient) {
    const missing = firing.find(({ layer }) => !gradients?.has(layer));
    if (missing) {
      throw new ShapeError(`gradient regrowth needs the dense gradient of a backward pass, and none was given for layer ${missing.index} (${missing.layer.weight.name})`);
    }
  }
  // Evolution reads weights, gradients and optimizer state on the host, and replaces them.
  net.backend.memory.sync();
  const rngs = firing.map(({ index }) => rngFor(seed, 'evolve', ctx.event, t, index));
  const pruned: PrunedLayer[] = firing.map(({ layer }, a) => pruneLayer(layer.weights, policy, ctx, rngs[a]!));
  let counts = pruned.map((p) => p.droppedPositions.length);
  if (policy.redistribution === 'momentum' && firing.length > 1) {
    const total = counts.reduce((a, b) => a + b, 0);
    const weights = firing.map(({ layer }) => meanAbs(optimizer.stateOf(layer.weight)[0]!));
    counts = allocate(total, weights, pruned.map((p) => emptyPositions(p.pruned)));
  }
  const reports: EvolutionReport[] = [];
  firing.forEach(({ layer, index }, a) => {
    const evolved: EvolvedLayer = regrowLayer(layer.weights, pruned[a]!, counts[a]!, policy, ctx, index, rngs[a]!, {
      ...(state?.everUsed.has(index) ? { everUsed: state.everUsed.get(index)! } : {}),
      ...(policy.regrow.needsGradient ? { denseGradientRow: (j: number, out: Float32Array) => gradients!.row(layer, j, out) } : {}),
    });
    layer.setWeights(evolved.weights);
    optimizer.remap(layer.weight, evolved.map);
    state?.recordGrown(index, evolved.report.grownPositions);
    const rate = state?.itopRate(index);
    reports.push(rate === undefined ? evolved.report : { ...evolved.report, itopRate: rate });
  });
  return reports;
}

/**
 * Neuron importance pruning (Curci et al. 2021) at the end of epoch `epoch` when the policy asks for it
 * (never after the last epoch): in every selected hidden sparse layer (not the output layer), the output
 * neurons that still have inputs and whose summed |incoming weight| is in the bottom `percentile` of
 * those lose all incoming connections.
 * @returns one report per layer that lost connections.
 */
export function importancePrune(net: Sequential, optimizer: Optimizer, policy: Policy, ctx: EvolutionContext): EvolutionReport[] {
  const imp = policy.importance;
  // Like SET's evolution, never after the last epoch: the final network is the trained one.
  if (!imp || ctx.event !== 'epoch-end' || ctx.epoch >= ctx.epochs - 1 || ctx.epoch < imp.start || (ctx.epoch - imp.start) % imp.every !== 0) return [];
  const lastLinear = net.linearLayers().length - 1;
  const reports: EvolutionReport[] = [];
  net.backend.memory.sync();
  for (const { layer, index } of evolvableLayers(net, policy)) {
    if (index === lastLinear) continue;
    const w = layer.weights;
    const sums = new Float64Array(w.rows);
    for (let j = 0; j < w.rows; j++) for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) sums[j]! += Math.abs(w.values[k]!);
    // Rank only neurons that still have inputs: already pruned ones (sum 0) would otherwise fill the
    // bottom percentile at every later event.
    const alive = Array.from({ length: w.rows }, (_, j) => j).filter((j) => w.rowPtr[j + 1]! > w.rowPtr[j]!);
    const cut = Math.floor(imp.percentile * alive.length);
    if (cut === 0) continue;
    // The `cut` neurons with the smallest sums (ties to the lower index).
    const order = alive.sort((a, b) => sums[a]! - sums[b]! || a - b).slice(0, cut);
    const removed: number[] = [];
    for (const j of order.sort((a, b) => a - b)) for (let k = w.rowPtr[j]!; k < w.rowPtr[j + 1]!; k++) removed.push(k);
    if (removed.length === 0) continue;
    const p = removeEntries(w, Int32Array.from(removed), imp.percentile);
    layer.setWeights(p.pruned);
    optimizer.remap(layer.weight, p.keptFrom);
    reports.push({
      layer: index, event: 'epoch-end', epoch: ctx.epoch, step: ctx.step, fraction: imp.percentile, connections: p.pruned.nnz,
      dropped: removed.length, grown: 0, droppedMeanMagnitude: p.droppedMagnitude / removed.length,
      grownPositions: new Float64Array(0), droppedPositions: p.droppedPositions,
    });
  }
  return reports;
}
