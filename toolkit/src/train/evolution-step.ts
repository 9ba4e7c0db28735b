/**
 * Applying a policy to a network at an evolution event: consult the trigger per layer, evolve the layers
 * that fire, swap their topology and remap the optimizer state.
 *
 * @packageDocumentation
 */
import { rngFor } from '../core/rng';
import { evolveLayer } from '../evolution/evolve';
import { selectsLayer } from '../evolution/registry';
import type { EvolutionContext, EvolutionReport, Policy } from '../evolution/types';
import type { Sequential } from '../nn/sequential';
import { SparseLinear } from '../nn/sparse-linear';
import type { Optimizer } from '../optim/optimizer';

/**
 * Evolves every selected, evolvable sparse layer whose trigger fires. Random streams:
 * trigger `rngFor(seed, 'trigger', event, t, layer)`, evolution `rngFor(seed, 'evolve', event, t, layer)`,
 * with `t` the epoch for epoch events and the step for step events, so a run is reproducible whatever
 * else consumed random numbers in between.
 *
 * @returns the reports of the layers that evolved (possibly none).
 */
export function evolveNetwork(
  net: Sequential, optimizer: Optimizer, policy: Policy, ctx: EvolutionContext, seed: number,
): EvolutionReport[] {
  const reports: EvolutionReport[] = [];
  const linear = net.linearLayers();
  const t = ctx.event === 'epoch-end' ? ctx.epoch : ctx.step;
  linear.forEach((layer, l) => {
    if (!(layer instanceof SparseLinear) || !layer.evolvable || !selectsLayer(policy, l, linear.length)) return;
    if (!policy.trigger.fires(ctx, l, rngFor(seed, 'trigger', ctx.event, t, l))) return;
    const result = evolveLayer(layer.weights, policy, ctx, l, rngFor(seed, 'evolve', ctx.event, t, l));
    layer.setWeights(result.weights);
    optimizer.remap(layer.weight, result.map);
    reports.push(result.report);
  });
  return reports;
}
