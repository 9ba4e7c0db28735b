/**
 * `sgdSteps` on every backend: each array's step the same bits as `sgdStep`, whichever way the backend runs
 * the job (at once, or on its threads until `wait`); bad shapes refused before any step.
 */
import { expect, it } from 'vitest';
import type { SgdHyper, SgdTask } from '../../toolkit/src/backend/backend';
import { ShapeError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { describeBackends } from './describe-backends';
import { randomArray } from './oracle';

function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}

const SETTINGS: readonly SgdHyper[] = [
  { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
  { lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false },
  { lr: 0.05, momentum: 0.5, weightDecay: 0.01, nesterov: true },
];

describeBackends('sgdSteps vs sgdStep, bit for bit', (be) => {
  it('several arrays (empty, one value, odd and large lengths), each with its own hyper-parameters, three steps', () => {
    const rng = rngFor(61, 'sgd-steps');
    const sizes = [0, 1, 7, 33, 5003];
    const tasks = sizes.map((n, i) => ({ param: randomArray(n, rng), velocity: randomArray(n, rng, 0.1), h: SETTINGS[i % SETTINGS.length]! }));
    const copies = tasks.map((t) => ({ param: t.param.slice(), velocity: t.velocity.slice(), h: t.h }));
    for (let step = 0; step < 3; step++) {
      const grads = sizes.map((n) => randomArray(n, rng));
      for (let i = 0; i < tasks.length; i++) be.sgdStep(copies[i]!.param, grads[i]!, copies[i]!.velocity, copies[i]!.h);
      const work = be.sgdSteps(tasks.map((t, i): SgdTask => ({ ...t, grad: grads[i]! })));
      work.wait();
      work.wait(); // idempotent
      be.memory.sync();
      for (let i = 0; i < tasks.length; i++) {
        expect(bits(tasks[i]!.param), `param ${i}, step ${step}`).toEqual(bits(copies[i]!.param));
        expect(bits(tasks[i]!.velocity), `velocity ${i}, step ${step}`).toEqual(bits(copies[i]!.velocity));
      }
    }
  });

  it('no steps at all is done work', () => {
    be.sgdSteps([]).wait();
  });

  it('a short gradient or velocity in any task is a ShapeError naming it, before any step', () => {
    const rng = rngFor(62, 'sgd-steps-bad');
    const h = SETTINGS[1]!;
    const first = { param: randomArray(4, rng), grad: randomArray(4, rng), velocity: randomArray(4, rng), h };
    const before = first.param.slice();
    const p = randomArray(5, rng);
    expect(() => be.sgdSteps([first, { param: p, grad: new Float32Array(4), velocity: new Float32Array(5), h }])).toThrow(ShapeError);
    expect(() => be.sgdSteps([first, { param: p, grad: new Float32Array(4), velocity: new Float32Array(5), h }])).toThrow(
      /sgdSteps: steps\[1\]\.grad has length 4, expected at least 5 \(one per parameter: steps\[1\]\.param has 5\)/,
    );
    expect(() => be.sgdSteps([first, { param: p, grad: new Float32Array(5), velocity: new Float32Array(3), h }])).toThrow(
      /sgdSteps: steps\[1\]\.velocity has length 3, expected at least 5/,
    );
    be.memory.sync();
    expect(bits(first.param)).toEqual(bits(before));
  });
});
