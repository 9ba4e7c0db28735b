/**
 * The wasm backend's allocator: random alloc/release sequences never hand out overlapping blocks, and a
 * fully released arena shrinks back to its base.
 */
import { describe, expect, it } from 'vitest';
import { Arena, type Block } from '../../toolkit/src/backend/wasm/arena';
import { rngFor } from '../../toolkit/src/core/rng';

describe('wasm arena', () => {
  it('never overlaps live blocks and returns to its base when everything is released', () => {
    const rng = rngFor(3, 'arena');
    const arena = new Arena(1024, 65536);
    const live: Block[] = [];
    for (let step = 0; step < 3000; step++) {
      if (live.length > 0 && rng.float() < 0.45) {
        const i = rng.int(live.length);
        arena.release(live[i]!);
        live.splice(i, 1);
      } else {
        const b = arena.alloc(1 + rng.int(rng.float() < 0.1 ? 300000 : 5000));
        expect(b.offset % 64).toBe(0);
        expect(b.offset).toBeGreaterThanOrEqual(1024);
        expect(b.offset + b.size).toBeLessThanOrEqual(arena.memory.buffer.byteLength);
        for (const o of live) {
          const disjoint = b.offset + b.size <= o.offset || o.offset + o.size <= b.offset;
          if (!disjoint) throw new Error(`step ${step}: [${b.offset}, +${b.size}) overlaps [${o.offset}, +${o.size})`);
        }
        live.push(b);
      }
    }
    for (const b of live.splice(0)) arena.release(b);
    expect(arena.usedBytes).toBe(1024);
  });

  it('recognises views on its memory, also after the memory grew', () => {
    const arena = new Arena(1024, 65536);
    const a = new Float32Array(arena.memory.buffer, arena.alloc(64).offset, 16);
    arena.alloc(1 << 22); // forces growth
    const b = new Float32Array(arena.memory.buffer, arena.alloc(64).offset, 16);
    expect(arena.owns(a)).toBe(true);
    expect(arena.owns(b)).toBe(true);
    expect(arena.owns(new Float32Array(16))).toBe(false);
  });
});
