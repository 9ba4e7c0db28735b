/**
 * A small allocator over one shared `WebAssembly.Memory`: first-fit over a sorted free list, blocks aligned
 * to 64 bytes (one cache line), the memory grown on demand. It manages the few dozen long-lived blocks the
 * wasm backend needs (resident CSR/CSC indices, scratch space), not many small objects.
 *
 * The memory is shared (`SharedArrayBuffer`), so growing it never detaches older views: every Float32Array
 * handed out stays valid. {@link Arena.owns} recognises arrays that already live in this memory, which the
 * backend then passes to the kernels without copying. It cannot go by buffer identity: V8 (Node 20) may hand
 * out a new SharedArrayBuffer object for the same memory at any time, so it tests aliasing instead.
 *
 * @packageDocumentation
 */
import { WASM_MAX_PAGES } from './loader';
import { requireWebAssembly, type WasmMemory } from './wasm-api';

const ALIGN = 64;
const PAGE = 65536;

/** A block of the arena: byte offset and byte size. */
export interface Block {
  readonly offset: number;
  readonly size: number;
}

/** First-fit allocator over a shared wasm memory. */
export class Arena {
  readonly memory: WasmMemory;
  private readonly known = new WeakSet<ArrayBufferView>();
  private free: Block[] = [];
  private top: number;
  private f32View!: Float32Array;
  private i32View!: Int32Array;
  private u8View!: Uint8Array;
  /** Current size of the memory in bytes (only this arena grows it; cheaper than `memory.buffer`). */
  private bytes = 0;

  /** @param base - first usable byte (the module's heap base). */
  constructor(base: number, initialBytes = 16 * PAGE) {
    const initial = Math.max(1, Math.ceil(Math.max(initialBytes, base + ALIGN) / PAGE));
    this.memory = new (requireWebAssembly().Memory)({ initial, maximum: WASM_MAX_PAGES, shared: true });
    this.top = alignUp(base);
    this.refresh();
  }

  /** A Float32Array over the whole memory (replaced when the memory grows). */
  get f32(): Float32Array {
    return this.f32View;
  }

  /** An Int32Array over the whole memory (replaced when the memory grows). */
  get i32(): Int32Array {
    return this.i32View;
  }

  /** A Uint8Array over the whole memory (replaced when the memory grows). */
  get u8(): Uint8Array {
    return this.u8View;
  }

  /** Current size of the memory in bytes. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Bytes currently spanned by allocations (the high-water mark of the bump pointer). */
  get usedBytes(): number {
    return this.top;
  }

  /**
   * Whether `a` is a view on this memory (so its `byteOffset` is a wasm address). Views handed out by
   * {@link Arena.view} are known; any other view on a SharedArrayBuffer is tested by writing two probe bytes
   * through it and reading them back through the memory (then restoring the byte).
   */
  owns(a: ArrayBufferView): boolean {
    if (this.known.has(a)) return true;
    const buf = a.buffer;
    if (typeof SharedArrayBuffer !== 'function' || !(buf instanceof SharedArrayBuffer) || a.byteLength === 0) return false;
    if (a.byteOffset + a.byteLength > this.bytes) return false;
    const probe = new Uint8Array(buf, a.byteOffset, 1);
    const old = probe[0]!;
    probe[0] = old ^ 0x5a;
    const first = this.u8View[a.byteOffset] === (old ^ 0x5a);
    probe[0] = old ^ 0xa5;
    const second = this.u8View[a.byteOffset] === (old ^ 0xa5);
    probe[0] = old;
    if (first && second) this.known.add(a);
    return first && second;
  }

  /** A Float32Array of `n` floats over block `b`, recognised by {@link Arena.owns} without a probe. */
  view(b: Block, n: number): Float32Array {
    const a = new Float32Array(this.f32View.buffer, b.offset, n);
    this.known.add(a);
    return a;
  }

  /** A Uint8Array of `n` bytes over block `b`, recognised by {@link Arena.owns} without a probe. */
  viewU8(b: Block, n: number): Uint8Array {
    const a = new Uint8Array(this.u8View.buffer, b.offset, n);
    this.known.add(a);
    return a;
  }

  /** Allocates `bytes` (rounded up to 64), growing the memory when needed. */
  alloc(bytes: number): Block {
    const size = alignUp(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      if (f.size < size) continue;
      if (f.size === size) this.free.splice(i, 1);
      else this.free[i] = { offset: f.offset + size, size: f.size - size };
      return { offset: f.offset, size };
    }
    const offset = this.top;
    const end = offset + size;
    if (end > this.bytes) {
      const pages = Math.ceil((end - this.bytes) / PAGE);
      const have = this.bytes / PAGE;
      // Grow by at least a quarter of the current size, so a growing workload grows the memory rarely.
      const want = Math.min(WASM_MAX_PAGES - have, Math.max(pages, Math.ceil(have / 4)));
      if (want < pages) throw new RangeError(`wasm memory exhausted: need ${end} bytes, the limit is ${WASM_MAX_PAGES * PAGE}`);
      this.memory.grow(want);
      this.refresh();
    }
    this.top = end;
    return { offset, size };
  }

  /** Returns a block to the free list (merging neighbours; the last block lowers the bump pointer). */
  release(b: Block): void {
    let lo = 0, hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.free[mid]!.offset < b.offset) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, { offset: b.offset, size: b.size });
    // merge with the next, then the previous block
    if (lo + 1 < this.free.length && this.free[lo]!.offset + this.free[lo]!.size === this.free[lo + 1]!.offset) {
      this.free[lo] = { offset: this.free[lo]!.offset, size: this.free[lo]!.size + this.free[lo + 1]!.size };
      this.free.splice(lo + 1, 1);
    }
    if (lo > 0 && this.free[lo - 1]!.offset + this.free[lo - 1]!.size === this.free[lo]!.offset) {
      this.free[lo - 1] = { offset: this.free[lo - 1]!.offset, size: this.free[lo - 1]!.size + this.free[lo]!.size };
      this.free.splice(lo, 1);
      lo--;
    }
    const last = this.free[this.free.length - 1];
    if (last !== undefined && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.free.pop();
    }
  }

  private refresh(): void {
    const buf = this.memory.buffer;
    this.bytes = buf.byteLength;
    this.f32View = new Float32Array(buf);
    this.i32View = new Int32Array(buf);
    this.u8View = new Uint8Array(buf);
  }
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}
