import { describe, expect, it } from 'vitest';
import type { Backend } from '../../toolkit/src/backend/backend';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { ShapeError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { SRelu, UnaryActivation } from '../../toolkit/src/nn/activation';
import { DenseLinear } from '../../toolkit/src/nn/dense-linear';
import { Dropout } from '../../toolkit/src/nn/dropout';
import { planFusion } from '../../toolkit/src/nn/fusion';
import type { Layer } from '../../toolkit/src/nn/layer';
import { mlpNetwork } from '../../toolkit/src/nn/mlp';
import { Sequential } from '../../toolkit/src/nn/sequential';
import { SparseLinear } from '../../toolkit/src/nn/sparse-linear';
import { uniformDensity } from '../../toolkit/src/sparse/topology';

const W = 6;
let names = 0;
const sparse = (nIn = W, nOut = W): SparseLinear => new SparseLinear(uniformDensity(nIn, nOut, 0.5, rngFor(names, 'w')), `l${names++}`);
const relu = (): UnaryActivation => new UnaryActivation(W, 'relu');
const allRelu = (): UnaryActivation => new UnaryActivation(W, 'leaky-relu', -0.6, 'all-relu');
const drop = (): Dropout => new Dropout(W, 0.3, names++);
const kinds = (layers: readonly Layer[], fuses: boolean, sparseInput = false): string[] =>
  planFusion(layers, fuses, { sparseInput }).map((s) => s.segment.kind);

describe('planFusion (nn/fusion.ts): which layer sequences fuse', () => {
  it('fuses sparse + ReLU or All-ReLU (+ dropout) blocks followed by a sparse layer, and says where each segment starts', () => {
    const layers = [sparse(), relu(), drop(), sparse(), allRelu(), sparse()];
    const plan = planFusion(layers, true);
    expect(plan).toEqual([
      { segment: { first: 0, count: 3, kind: 'sparse-linear+relu+dropout' }, fused: true },
      { segment: { first: 3, count: 2, kind: 'sparse-linear+all-relu' }, fused: true },
      { segment: { first: 5, count: 1, kind: 'sparse-linear' }, fused: false },
    ]);
  });

  it('does not fuse other rectifiers, other orders, or a block that no sparse layer follows', () => {
    // tanh and SReLU are not rectifiers the fused requests implement.
    expect(kinds([sparse(), new UnaryActivation(W, 'tanh'), sparse()], true)).toEqual(['sparse-linear', 'tanh', 'sparse-linear']);
    expect(kinds([sparse(), new SRelu(W, rngFor(1), 's'), sparse()], true)).toEqual(['sparse-linear', 'srelu', 'sparse-linear']);
    // Dropout before the rectifier: the block is sparse + dropout, not a fused one.
    expect(kinds([sparse(), drop(), relu(), sparse()], true)).toEqual(['sparse-linear', 'dropout', 'relu', 'sparse-linear']);
    // The layer after the block takes its gradient back: a dense layer, or none (the output), cannot.
    expect(kinds([sparse(), relu(), new DenseLinear(W, 2, new Float32Array(2 * W), 'd')], true)).toEqual(['sparse-linear', 'relu', 'dense-linear']);
    expect(kinds([sparse(), relu(), drop()], true)).toEqual(['sparse-linear', 'relu', 'dropout']);
    // A dense layer with a rectifier is not a sparse product.
    expect(kinds([new DenseLinear(W, W, new Float32Array(W * W), 'd'), relu(), sparse()], true)).toEqual(['dense-linear', 'relu', 'sparse-linear']);
  });

  it('the sparse-input plan never fuses the first layer, and fuses the later blocks as usual', () => {
    const layers = [sparse(), relu(), drop(), sparse(), relu(), sparse()];
    expect(kinds(layers, true, true)).toEqual(['sparse-linear', 'relu', 'dropout', 'sparse-linear+relu', 'sparse-linear']);
    expect(kinds(layers, true, false)).toEqual(['sparse-linear+relu+dropout', 'sparse-linear+relu', 'sparse-linear']);
  });

  it('nothing fuses when the backend does not fuse rectifiers: one step per layer', () => {
    const layers = [sparse(), relu(), drop(), sparse(), allRelu(), sparse()];
    const plan = planFusion(layers, false);
    expect(plan.map((s) => s.fused)).toEqual(layers.map(() => false));
    expect(plan.map((s) => s.segment)).toEqual(layers.map((l, i) => ({ first: i, count: 1, kind: l.kind })));
  });

  it('is a function of the layers and the fact alone: layers without a backend, the same plan every time', () => {
    const layers = [sparse(), relu(), sparse()];
    const a = planFusion(layers, true);
    expect(a.map((s) => s.fused)).toEqual([true, false]);
    expect(planFusion(layers, true)).toEqual(a);
  });
});

describe('Sequential follows the plan', () => {
  /** The CPU reference, claiming to fuse: it accepts every fused field and composes its unfused ops. */
  const fusingCpu = (): Backend => ({ ...cpuBackend(), fusesRectifiers: true });
  const build = (backend: Backend): Sequential =>
    mlpNetwork([8, 10, 10, 3], { sparsity: { kind: 'erdos-renyi', eps: 3 }, activation: 'relu', dropout: 0.25, seed: 4, backend });

  it('its segments are the plan of its layers for its backend; switching backend re-plans', () => {
    const net = build(fusingCpu());
    expect(net.segments()).toEqual(planFusion(net.layers, true).map((s) => s.segment));
    expect(net.segments().map((s) => s.kind)).toEqual(['sparse-linear+relu+dropout', 'sparse-linear+relu+dropout', 'sparse-linear']);
    net.setBackend(cpuBackend());
    expect(net.segments()).toEqual(net.layers.map((l, i) => ({ first: i, count: 1, kind: l.kind })));
  });

  it('a fused plan gives the same outputs and gradients to the bit as layer by layer (the CPU composes its fused requests)', () => {
    const rng = rngFor(9, 'data');
    const batch = 5;
    const x = Float32Array.from({ length: 8 * batch }, () => rng.normal());
    const dy = Float32Array.from({ length: 3 * batch }, () => rng.normal());
    const run = (backend: Backend, overwriteActivations: boolean) => {
      const net = build(backend);
      const out = net.forward(x, batch, { training: true, seed: 2, step: 7 }).slice();
      net.backward(dy, batch, { overwriteActivations });
      return { out, grads: net.params().map((p) => Array.from(p.grad)) };
    };
    const plain = run(cpuBackend(), false);
    for (const overwrite of [false, true]) {
      const fused = run(fusingCpu(), overwrite);
      expect(fused.out).toEqual(plain.out);
      expect(fused.grads).toEqual(plain.grads);
    }
  });

  it('layers other than a sparse layer refuse the fused fields of a backward request', () => {
    const act = relu();
    act.setBackend(cpuBackend());
    act.forward(new Float32Array(W * 2), 2, { training: true, seed: 0, step: 0 });
    expect(() => act.backward({ dy: new Float32Array(W * 2), batch: 2, needInput: true, biasDone: true })).toThrow(ShapeError);
    expect(() => act.backward({ dy: new Float32Array(W * 2), batch: 2, needInput: true, overwriteInput: true })).toThrow(/relu layer has no fused backward pass/);
    expect(act.backward({ dy: new Float32Array(W * 2), batch: 2, needInput: true })).toHaveLength(W * 2);
  });
});
