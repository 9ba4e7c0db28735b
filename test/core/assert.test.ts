import { describe, expect, it } from 'vitest';
import { assert, check, checkFinite, checkInt, checkLength, firstNonFinite } from '../../toolkit/src/core/assert';
import {
  ConfigError, DataError, InternalError, InvalidArgumentError, NumericalError, ShapeError, SynapsesError, UnknownNameError,
} from '../../toolkit/src/core/errors';

describe('errors', () => {
  it('every error is a SynapsesError and an Error, named after its class', () => {
    for (const E of [InvalidArgumentError, ShapeError, ConfigError, DataError, NumericalError, InternalError]) {
      const e = new E('boom');
      expect(e).toBeInstanceOf(SynapsesError);
      expect(e).toBeInstanceOf(Error);
      expect(e.name).toBe(E.name);
      expect(e.message).toBe('boom');
    }
  });

  it('UnknownNameError lists every known name', () => {
    const e = new UnknownNameError('optimizer', 'rmsprop', ['sgd', 'adam']);
    expect(e.message).toBe('unknown optimizer "rmsprop"; known optimizers are: sgd, adam');
    expect([e.kind, e.unknown, e.known]).toEqual(['optimizer', 'rmsprop', ['sgd', 'adam']]);
    expect(e.name).toBe('UnknownNameError');
  });
});

describe('assertions', () => {
  it('assert throws InternalError and builds lazy messages only on failure', () => {
    let built = 0;
    const msg = () => {
      built++;
      return 'bad k=3';
    };
    assert(true, msg);
    expect(built).toBe(0);
    expect(() => assert(false, msg)).toThrow(InternalError);
    expect(() => assert(0, 'plain')).toThrow('plain');
  });

  it('check throws InvalidArgumentError', () => {
    expect(() => check(false, () => 'nope')).toThrow(InvalidArgumentError);
    expect(() => check(1, 'fine')).not.toThrow();
  });

  it('checkLength names both lengths and the detail', () => {
    expect(() => checkLength(3, 4, 'input of layer 2', 'nIn * batch = 2 * 2')).toThrow(
      new ShapeError('input of layer 2 has length 3, expected 4 (nIn * batch = 2 * 2)'),
    );
    expect(() => checkLength(4, 4, 'x')).not.toThrow();
  });

  it('checkFinite and checkInt name the value and the range', () => {
    expect(() => checkFinite(NaN, 'lr')).toThrow(/lr must be a finite number, got NaN/);
    expect(() => checkInt(1.5, 'k', 0, 3)).toThrow(/k must be an integer in \[0, 3\], got 1.5/);
    expect(() => checkInt(4, 'k', 0, 3)).toThrow(InvalidArgumentError);
    expect(() => checkInt(-1, 'k')).toThrow(InvalidArgumentError);
    expect(() => checkInt(3, 'k', 0, 3)).not.toThrow();
  });

  it('firstNonFinite finds NaN and both infinities', () => {
    expect(firstNonFinite([1, 2, 3])).toBe(-1);
    expect(firstNonFinite([])).toBe(-1);
    expect(firstNonFinite(Float32Array.of(0, NaN, Infinity))).toBe(1);
    expect(firstNonFinite([0, 0, -Infinity])).toBe(2);
    expect(firstNonFinite([Infinity])).toBe(0);
  });
});
