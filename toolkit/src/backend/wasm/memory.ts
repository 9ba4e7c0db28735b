/**
 * The wasm backend's memory and marshalling: the arrays it hands out ({@link WasmIo.memory}, the Backend's
 * `memory` object), and the one sequence every op follows to pass arrays to the kernels:
 *
 * ```ts
 * const c = io.begin('spmmForward');      // throws while a split-phase job is pending
 * const xp = c.in(x, cols * batch, 'x');   // the address of x: in place when the backend owns x, else copied in
 * const yp = c.out(y, rows * batch, 'y');  // where the kernel writes y: in place, or scratch copied back by end()
 * dispatcher.run(...);
 * c.end();                                 // copies every scratch output back to its array
 * ```
 *
 * Arrays from {@link WasmIo.memory} (`allocFloat32`, `allocUint8`) live in the wasm memory and are read and
 * written in place; any other array is copied into per-call scratch space and, for outputs, back at the end.
 * Lengths are checked on the way in because a kernel reading past a short array would silently read other
 * data.
 *
 * @packageDocumentation
 */
import type { BackendMemory } from '../backend';
import { checkInt } from '../../core/assert';
import { ShapeError } from '../../core/errors';
import type { Arena, Block } from './arena';

/** Smallest scratch block (bytes): most calls of a training step then share one block. */
const MIN_SCRATCH = 1 << 20;

/** Memory and marshalling of one wasm backend (one arena). */
export class WasmIo {
  /** The Backend's `memory` object. */
  readonly memory: BackendMemory;
  private readonly allocated = new Map<number, Block>();
  private readonly collector: FinalizationRegistry<Block>;
  private disposed = false;
  /** The split-phase job in progress (its op's name), during which every other op throws. */
  private pendingOp: string | null = null;
  private readonly call: Call;

  constructor(readonly arena: Arena) {
    // Arrays handed out by allocFloat32 / allocUint8 return to the arena when collected (or when released).
    this.collector = new FinalizationRegistry<Block>((b) => {
      if (!this.disposed && this.allocated.get(b.offset) === b) {
        this.allocated.delete(b.offset);
        arena.release(b);
      }
    });
    this.call = new Call(arena);
    this.memory = {
      resident: false,
      allocFloat32: (n) => {
        this.check('memory.allocFloat32');
        checkInt(n, 'allocFloat32 length');
        const b = arena.alloc(n * 4);
        return this.adopt(arena.view(b, n), b);
      },
      allocUint8: (n) => {
        this.check('memory.allocUint8');
        checkInt(n, 'allocUint8 length');
        const b = arena.alloc(n);
        return this.adopt(arena.viewU8(b, n), b);
      },
      // A copy in the arena, even of an array that is there already: the caller owns the copy alone.
      adoptFloat32: (a) => {
        const copy = this.memory.allocFloat32(a.length);
        copy.set(a);
        return copy;
      },
      release: (a) => {
        this.check('memory.release');
        if (arena.owns(a) && this.allocated.has(a.byteOffset)) this.free(a);
      },
      // Nothing lives anywhere but in the host-visible wasm memory.
      sync: () => {},
    };
  }

  /**
   * Returns an array from `memory.allocFloat32` or `allocUint8` to the arena at once; it must not be used
   * afterwards. @throws Error for any other array (or one freed already).
   */
  free(a: Float32Array | Uint8Array): void {
    this.check('freeFloat32');
    const b = this.arena.owns(a) ? this.allocated.get(a.byteOffset) : undefined;
    if (b === undefined) throw new Error('freeFloat32: this array was not allocated by this backend (or was freed already)');
    this.allocated.delete(a.byteOffset);
    this.collector.unregister(a);
    this.arena.release(b);
  }

  /**
   * Throws when a split-phase job is pending: between `sgdSteps` and its `wait()` the worker threads read
   * and write the job's arrays and the calling thread's share is still to run, so no op may start.
   */
  check(op: string): void {
    if (this.pendingOp !== null) {
      throw new Error(`wasm backend: ${op} was called while ${this.pendingOp} is pending; call wait() on the work it returned first`);
    }
  }

  /** Marks a split-phase job as started (`op` names it in the errors of {@link WasmIo.check}). */
  hold(op: string): void {
    this.pendingOp = op;
  }

  /** Marks the split-phase job as finished. */
  unhold(): void {
    this.pendingOp = null;
  }

  /** Starts an op's marshalling (see the module comment); throws while a split-phase job is pending. */
  begin(op: string): Call {
    this.check(op);
    this.call.reset();
    return this.call;
  }

  /** Drops the memory's bookkeeping (the backend is being disposed). */
  dispose(): void {
    this.disposed = true;
  }

  private adopt<T extends Float32Array | Uint8Array>(a: T, b: Block): T {
    a.fill(0);
    this.allocated.set(b.offset, b);
    this.collector.register(a, b, a);
    return a;
  }
}

/**
 * The marshalling of one op call, reused from call to call (no allocation per call): scratch space taken in
 * order, 64-byte aligned, and the outputs to copy back at {@link Call.end}.
 */
export class Call {
  /** Scratch block of the calls; replaced by one that holds a whole call when a call needed more. */
  private block: Block | null = null;
  /** Bytes of the block taken by this call. */
  private used = 0;
  /** Bytes of scratch this call took in all (more than `used` when it overflowed into other blocks). */
  private total = 0;
  /** Blocks this call overflowed from; released when the call ends (its slices stay valid until then). */
  private readonly retired: Block[] = [];
  // The outputs to copy back: array, address, count (parallel lists, reused).
  private readonly outArrays: Array<Float32Array | Uint8Array | null> = [];
  private readonly outAddresses: number[] = [];
  private readonly outCounts: number[] = [];
  private outs = 0;

  constructor(private readonly arena: Arena) {}

  /** Address of `a[0 .. n)` in wasm memory: in place when the backend owns `a`, else copied to scratch. */
  in(a: Float32Array, n: number, what: string): number {
    checkLength(a, n, what);
    if (this.arena.owns(a)) return a.byteOffset;
    const p = this.take(n);
    this.arena.f32.set(n === a.length ? a : a.subarray(0, n), p >> 2);
    return p;
  }

  /** Address the kernel writes `a[0 .. n)` to: in place, or scratch copied back by {@link Call.end}. */
  out(a: Float32Array, n: number, what: string): number {
    checkLength(a, n, what);
    if (this.arena.owns(a)) return a.byteOffset;
    const p = this.take(n);
    this.copyBack(a, p, n);
    return p;
  }

  /** Address of `a[0 .. n)`, read and written by the kernel: in place, or copied in and back. */
  inOut(a: Float32Array, n: number, what: string): number {
    checkLength(a, n, what);
    if (this.arena.owns(a)) return a.byteOffset;
    const p = this.take(n);
    this.arena.f32.set(n === a.length ? a : a.subarray(0, n), p >> 2);
    this.copyBack(a, p, n);
    return p;
  }

  /** {@link Call.in} for bytes (dropout masks). */
  bytesIn(a: Uint8Array, n: number, what: string): number {
    checkLength(a, n, what);
    if (this.arena.owns(a)) return a.byteOffset;
    const p = this.takeBytes(n);
    this.arena.u8.set(n === a.length ? a : a.subarray(0, n), p);
    return p;
  }

  /** {@link Call.out} for bytes (dropout masks). */
  bytesOut(a: Uint8Array, n: number, what: string): number {
    checkLength(a, n, what);
    if (this.arena.owns(a)) return a.byteOffset;
    const p = this.takeBytes(n);
    this.copyBack(a, p, n);
    return p;
  }

  /** Address of `n` floats of scratch, for this call only. */
  take(n: number): number {
    return this.takeBytes(n * 4);
  }

  /** Address of `n` bytes of scratch (64-byte aligned), for this call only. */
  takeBytes(n: number): number {
    const size = Math.ceil(n / 64) * 64;
    this.total += size;
    if (this.block !== null && this.used + size <= this.block.size) {
      const p = this.block.offset + this.used;
      this.used += size;
      return p;
    }
    if (this.block !== null) this.retired.push(this.block);
    this.block = this.arena.alloc(Math.max(size, MIN_SCRATCH));
    this.used = size;
    return this.block.offset;
  }

  /** Copies every scratch output back to its array; the call is over. */
  end(): void {
    const f32 = this.arena.f32, u8 = this.arena.u8;
    for (let i = 0; i < this.outs; i++) {
      const a = this.outArrays[i]!, p = this.outAddresses[i]!, n = this.outCounts[i]!;
      if (a instanceof Float32Array) a.set(f32.subarray(p >> 2, (p >> 2) + n));
      else a.set(u8.subarray(p, p + n));
      this.outArrays[i] = null;
    }
    this.outs = 0;
    this.settle();
  }

  /** Forgets the previous call (also one that threw before its end). */
  reset(): void {
    for (let i = 0; i < this.outs; i++) this.outArrays[i] = null;
    this.outs = 0;
    this.settle();
    this.used = 0;
    this.total = 0;
  }

  /** After a call that overflowed its block: one block that holds a whole such call, the others released. */
  private settle(): void {
    if (this.retired.length === 0) return;
    for (const b of this.retired) this.arena.release(b);
    this.retired.length = 0;
    if (this.block !== null && this.block.size < this.total) {
      this.arena.release(this.block);
      this.block = this.arena.alloc(Math.max(this.total, MIN_SCRATCH));
    }
    this.used = 0;
  }

  private copyBack(a: Float32Array | Uint8Array, p: number, n: number): void {
    const i = this.outs++;
    this.outArrays[i] = a;
    this.outAddresses[i] = p;
    this.outCounts[i] = n;
  }
}

function checkLength(a: Float32Array | Uint8Array, n: number, what: string): void {
  if (a.length < n) throw new ShapeError(`${what} has length ${a.length}, expected at least ${n}`);
}
