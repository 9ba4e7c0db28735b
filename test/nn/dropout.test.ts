import { describe, expect, it } from 'vitest';
import { getBackend } from '../../toolkit/src/backend/registry';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { counterBits16, streamKey } from '../../toolkit/src/core/counter-rng';
import { rngFor } from '../../toolkit/src/core/rng';
import { Dropout } from '../../toolkit/src/nn/dropout';
import type { ForwardContext } from '../../toolkit/src/nn/layer';
import { randomArray } from '../backend/oracle';

function layer(n: number, rate: number, index: number): Dropout {
  const d = new Dropout(n, rate, index);
  d.setBackend(getBackend('cpu'));
  return d;
}

function maskOf(n: number, batch: number, rate: number, index: number, ctx: ForwardContext): number[] {
  return Array.from(layer(n, rate, index).forward(new Float32Array(n * batch).fill(1), batch, ctx), (v) => (v === 0 ? 0 : 1));
}

const TRAIN: ForwardContext = { training: true, seed: 3, step: 10 };

describe('Dropout', () => {
  it('keeps a unit with probability 1 - rate and scales kept units by 1 / (1 - rate)', () => {
    const n = 200, batch = 50, rate = 0.3;
    const x = randomArray(n * batch, rngFor(1), 2);
    const d = layer(n, rate, 0);
    const y = d.forward(x, batch, TRAIN);
    let kept = 0;
    for (let i = 0; i < x.length; i++) {
      if (y[i] !== 0) {
        kept++;
        expect(y[i]).toBeCloseTo(x[i]! / (1 - rate), 5);
      }
    }
    const total = n * batch;
    expect(Math.abs(kept - total * (1 - rate))).toBeLessThanOrEqual(5 * Math.sqrt(total * rate * (1 - rate)));
  });

  it('backward applies the same mask and scale as the forward pass', () => {
    const n = 30, batch = 7, rate = 0.5;
    const d = layer(n, rate, 2);
    const x = randomArray(n * batch, rngFor(2), 1);
    const y = d.forward(x, batch, TRAIN);
    const dy = randomArray(n * batch, rngFor(3), 1);
    const dx = d.backward({ dy, batch, needInput: true });
    for (let i = 0; i < dy.length; i++) expect(dx[i]).toBeCloseTo(y[i] === 0 ? 0 : dy[i]! * 2, 5);
  });

  it('the mask is a function of (seed, step, layer index) only', () => {
    const base = maskOf(40, 8, 0.4, 1, TRAIN);
    expect(maskOf(40, 8, 0.4, 1, TRAIN)).toEqual(base);
    expect(maskOf(40, 8, 0.4, 1, { ...TRAIN, step: 11 })).not.toEqual(base);
    expect(maskOf(40, 8, 0.4, 1, { ...TRAIN, seed: 4 })).not.toEqual(base);
    expect(maskOf(40, 8, 0.4, 2, TRAIN)).not.toEqual(base);
    // Whatever ran before in the same layer object does not matter.
    const d = layer(40, 0.4, 1);
    d.forward(new Float32Array(40 * 8).fill(1), 8, { ...TRAIN, step: 99 });
    expect(Array.from(d.forward(new Float32Array(40 * 8).fill(1), 8, TRAIN), (v) => (v === 0 ? 0 : 1))).toEqual(base);
  });

  it('keeps element i exactly when counterBits16(streamKey(seed, "dropout", step, index), i) >= floor(rate * 2^16)', () => {
    const n = 40, batch = 8, rate = 0.4;
    const key = streamKey(TRAIN.seed, 'dropout', TRAIN.step, 1);
    const expected = Array.from({ length: n * batch }, (_, i) => (counterBits16(key[0], key[1], i) >= Math.floor(rate * 2 ** 16) ? 1 : 0));
    expect(maskOf(n, batch, rate, 1, TRAIN)).toEqual(expected);
  });

  it('is the identity at inference and at rate 0 (the same array, gradient passed through)', () => {
    const x = randomArray(12, rngFor(4));
    const d = layer(4, 0.5, 0);
    expect(d.forward(x, 3, { ...TRAIN, training: false })).toBe(x);
    const dy = randomArray(12, rngFor(5));
    expect(d.backward({ dy, batch: 3, needInput: true })).toBe(dy);
    expect(layer(4, 0, 0).forward(x, 3, TRAIN)).toBe(x);
    expect(d.params()).toEqual([]);
  });

  it('rejects a rate outside [0, 1)', () => {
    expect(() => new Dropout(3, 1, 0)).toThrow(InvalidArgumentError);
    expect(() => new Dropout(3, -0.1, 0)).toThrow(/dropout rate must be in \[0, 1\)/);
    expect(() => new Dropout(3, NaN, 0)).toThrow(InvalidArgumentError);
  });
});
