import { describe, expect, it } from 'vitest';
import type { AdamHyper, SgdHyper } from '../../toolkit/src/backend/backend';
import { rngFor } from '../../toolkit/src/core/rng';
import { describeBackends } from './describe-backends';
import { expectClose, f64, randomArray } from './oracle';

const SIZES = [1, 7, 1031];

function sgdOracle(w: Float64Array, g: ArrayLike<number>, v: Float64Array, h: SgdHyper): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]! + h.weightDecay * w[i]!;
    v[i] = h.momentum * v[i]! + gi;
    w[i]! -= h.lr * (h.nesterov ? gi + h.momentum * v[i]! : v[i]!);
  }
}

function adamOracle(w: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, h: AdamHyper): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]! + h.weightDecay * w[i]!;
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
    const mHat = m[i]! / (1 - h.beta1 ** h.step);
    const vHat = v[i]! / (1 - h.beta2 ** h.step);
    w[i]! -= (h.lr * mHat) / (Math.sqrt(vHat) + h.epsilon);
  }
}

describeBackends('optimizer steps vs Float64 oracle', (be, tol) => {
  const sgdSettings: SgdHyper[] = [
    { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
    { lr: 0.01, momentum: 0.9, weightDecay: 0.0002, nesterov: false },
    { lr: 0.05, momentum: 0.9, weightDecay: 0, nesterov: true },
    { lr: 0.05, momentum: 0.5, weightDecay: 0.01, nesterov: true },
  ];
  for (const n of SIZES) {
    describe(`${n} parameters`, () => {
      for (const h of sgdSettings) {
        it(`sgdStep ${JSON.stringify(h)}: three steps from a non-zero velocity`, () => {
          const rng = rngFor(51, 'sgd', n, h.lr, h.momentum);
          const w = randomArray(n, rng), v = randomArray(n, rng, 0.1);
          const ew = f64(w), ev = f64(v);
          for (let s = 0; s < 3; s++) {
            const g = randomArray(n, rng);
            be.sgdStep(w, g, v, h);
            sgdOracle(ew, g, ev, h);
            expectClose(w, ew, tol.rel, `sgd weights, step ${s}`);
            expectClose(v, ev, tol.rel, `sgd velocity, step ${s}`);
          }
        });
      }

      for (const weightDecay of [0, 0.01]) {
        it(`adamStep (weight decay ${weightDecay}): steps 1..4 with bias correction`, () => {
          const rng = rngFor(52, 'adam', n, weightDecay);
          const w = randomArray(n, rng), m = new Float32Array(n), v = new Float32Array(n);
          const ew = f64(w), em = new Float64Array(n), ev = new Float64Array(n);
          for (let step = 1; step <= 4; step++) {
            const g = randomArray(n, rng);
            const h: AdamHyper = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay, step };
            be.adamStep(w, g, m, v, h);
            adamOracle(ew, g, em, ev, h);
            expectClose(w, ew, tol.rel, `adam weights, step ${step}`);
            expectClose(m, em, tol.rel, `adam m, step ${step}`);
            expectClose(v, ev, tol.rel, `adam v, step ${step}`);
          }
        });
      }
    });
  }

  it('sgdStep by hand: w = 1, g = 0.5, v = 0.2, lr 0.1, momentum 0.9, wd 0.1', () => {
    // g' = 0.5 + 0.1 * 1 = 0.6; v = 0.9 * 0.2 + 0.6 = 0.78; plain: w = 1 - 0.078; nesterov: w = 1 - 0.1 * (0.6 + 0.702).
    const plain = { w: Float32Array.of(1), v: Float32Array.of(0.2) };
    be.sgdStep(plain.w, Float32Array.of(0.5), plain.v, { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: false });
    expect(plain.v[0]).toBeCloseTo(0.78, 6);
    expect(plain.w[0]).toBeCloseTo(0.922, 6);
    const nest = { w: Float32Array.of(1), v: Float32Array.of(0.2) };
    be.sgdStep(nest.w, Float32Array.of(0.5), nest.v, { lr: 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true });
    expect(nest.v[0]).toBeCloseTo(0.78, 6);
    expect(nest.w[0]).toBeCloseTo(1 - 0.1 * (0.6 + 0.9 * 0.78), 6);
  });

  it('adamStep by hand: the first step moves each weight by about lr against the gradient sign', () => {
    const w = Float32Array.of(1, 1, 1);
    be.adamStep(w, Float32Array.of(3, -0.001, 0), new Float32Array(3), new Float32Array(3), {
      lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, step: 1,
    });
    expect(w[0]).toBeCloseTo(0.99, 6);
    expect(w[1]).toBeCloseTo(1.01, 4);
    expect(w[2]).toBe(1);
  });
});
