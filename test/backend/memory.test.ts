/**
 * Every backend's `memory` object: zero-filled arrays of the length asked for that its ops read and write
 * in place; `release` of its own or a foreign array; `sync` with and without arrays. On the CPU reference
 * everything is plain host memory: `sync` and `release` change nothing.
 */
import { describe, expect, it } from 'vitest';
import { cpuBackend } from '../../toolkit/src/backend/cpu/index';
import { InvalidArgumentError } from '../../toolkit/src/core/errors';
import { rngFor } from '../../toolkit/src/core/rng';
import { describeBackends } from './describe-backends';
import { expectClose, matmul, randomArray, randomSparse } from './oracle';

describeBackends('backend memory', (be, tol) => {
  it('allocates zero-filled arrays of the length asked for', () => {
    for (const n of [0, 1, 7, 4099]) {
      const f = be.memory.allocFloat32(n);
      expect(f).toBeInstanceOf(Float32Array);
      expect(f.length).toBe(n);
      expect(f.every((v) => Object.is(v, 0))).toBe(true);
      const u = be.memory.allocUint8(n);
      expect(u).toBeInstanceOf(Uint8Array);
      expect(u.length).toBe(n);
      expect(u.every((v) => v === 0)).toBe(true);
    }
  });

  it('a bad length is an InvalidArgumentError naming it', () => {
    expect(() => be.memory.allocFloat32(-1)).toThrow(InvalidArgumentError);
    expect(() => be.memory.allocFloat32(2.5)).toThrow(/allocFloat32 length must be an integer/);
    expect(() => be.memory.allocUint8(-3)).toThrow(/allocUint8 length must be an integer/);
  });

  it('adoptFloat32 keeps the values, in an array its ops use in place', () => {
    const a = Float32Array.from([1.5, -2, 0, 3.25]);
    const adopted = be.memory.adoptFloat32(a);
    expect(Array.from(adopted)).toEqual([1.5, -2, 0, 3.25]);
    const y = be.unaryForward('relu', adopted, 0, be.memory.allocFloat32(4));
    be.memory.sync();
    expect(Array.from(y)).toEqual([1.5, 0, 0, 3.25]);
  });

  it("its ops read and write its own arrays; after sync the host sees the outputs", () => {
    const { csr, dense } = randomSparse(6, 9, 0.5, rngFor(71, 'mem'));
    const batch = 4;
    const x = be.memory.allocFloat32(9 * batch);
    x.set(randomArray(9 * batch, rngFor(72, 'mem')));
    const y = be.memory.allocFloat32(6 * batch);
    expect(be.spmmForward(csr, x, batch, null, y)).toBe(y);
    be.memory.sync([y]);
    expectClose(y, matmul(dense, 6, 9, x, batch, null), tol.rel, 'spmmForward into memory.allocFloat32');
    be.memory.sync();
    be.memory.release(y);
    be.memory.release(x);
    be.memory.release(new Float32Array(3)); // not its own: nothing happens
    be.memory.release(be.memory.allocUint8(5));
  });
});

describe('the CPU reference memory', () => {
  it('is host memory: not resident, sync and release change nothing', () => {
    const be = cpuBackend();
    expect(be.memory.resident).toBe(false);
    expect(be.threads).toBe(1);
    expect(be.fusesRectifiers).toBe(false);
    const a = be.memory.allocFloat32(3);
    a.set([1, 2, 3]);
    be.memory.sync();
    be.memory.sync([a]);
    be.memory.release(a);
    expect(Array.from(a)).toEqual([1, 2, 3]);
    expect(be.memory.adoptFloat32(a)).toBe(a);
  });
});
