/**
 * The memory of the CPU reference: plain JavaScript typed arrays, nothing on a device. Allocation is
 * `new Float32Array(n)`, release and sync do nothing.
 *
 * @packageDocumentation
 */
import { checkInt } from '../../core/assert';
import type { BackendMemory, PendingWork } from '../backend';

/**
 * The CPU's {@link BackendMemory}: zero-filled plain arrays, any array adopted as it is, `release` and
 * `sync` no-ops, `resident: false`.
 */
export const cpuMemory: BackendMemory = {
  resident: false,
  allocFloat32(n: number): Float32Array {
    checkInt(n, 'allocFloat32 length');
    return new Float32Array(n);
  },
  allocUint8(n: number): Uint8Array {
    checkInt(n, 'allocUint8 length');
    return new Uint8Array(n);
  },
  adoptFloat32(a: Float32Array): Float32Array {
    // Plain arrays are the CPU's memory already.
    return a;
  },
  release(): void {
    // Garbage collection frees plain arrays.
  },
  sync(): void {
    // Nothing lives anywhere but on the host.
  },
};

/** Work that was done before it was returned (what a backend without threads gives back). */
export const DONE: PendingWork = { wait(): void {} };
