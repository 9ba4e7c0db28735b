/**
 * The few parts of the JavaScript WebAssembly API this backend uses, typed locally: the project compiles
 * against the ES2022 library without DOM types, which is where TypeScript declares `WebAssembly`.
 *
 * @packageDocumentation
 */

/** A compiled module (opaque; can be sent to worker threads). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** A linear memory; this backend always uses a shared one. */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}

/** An instance: only its exports are used. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: { new (bytes: Uint8Array): WasmModule; exports(module: WasmModule): { name: string; kind: string }[] };
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** The engine's `WebAssembly` object, or undefined when there is none. */
export function webAssembly(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The engine's `WebAssembly` object. @throws Error when the engine has none. */
export function requireWebAssembly(): WasmApi {
  const w = webAssembly();
  if (w === undefined) throw new Error('this JavaScript engine has no WebAssembly');
  return w;
}
