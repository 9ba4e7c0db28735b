#!/usr/bin/env bash
# Compiles the WebAssembly SIMD kernels (toolkit/src/backend/wasm/assembly/*.ts, AssemblyScript) into
# toolkit/dist/wasm/kernels.wasm, which the wasm backend loads at run time (it never compiles anything itself).
# Does nothing when kernels.wasm is newer than its sources, this script and the pinned compiler.
# Usage: scripts/build-wasm.sh [--force]      (prints one line when it builds; silent otherwise)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

SRC_DIR=toolkit/src/backend/wasm/assembly
OUT_DIR=toolkit/dist/wasm
OUT="$OUT_DIR/kernels.wasm"
ASC=node_modules/.bin/asc
ASC_PKG=node_modules/assemblyscript/package.json

[ -x "$ASC" ] || { echo "build-wasm: error: $ASC not found; run npm ci (assemblyscript is a dev dependency)" >&2; exit 1; }

if [ "${1:-}" != "--force" ] && [ -f "$OUT" ] &&
   [ -z "$(find "$SRC_DIR" "$ASC_PKG" "${BASH_SOURCE[0]}" -newer "$OUT" -print -quit)" ]; then
  exit 0
fi

echo "build-wasm: compiling $SRC_DIR/index.ts -> $OUT"
mkdir -p "$OUT_DIR"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Shared imported memory (worker threads instantiate the same module over it), no GC runtime: the kernels
# only read and write memory laid out by the TypeScript side. Keep the memory limits in sync with loader.ts.
"$ASC" "$SRC_DIR/index.ts" \
  --outFile "$tmp/kernels.wasm" --textFile "$tmp/kernels.wat" \
  --optimizeLevel 3 --shrinkLevel 0 --noAssert \
  --runtime stub --enable simd --enable threads \
  --importMemory --sharedMemory --initialMemory 1 --maximumMemory 65536
# Move into place only when the compiler succeeded, so a failed build never leaves a stale-but-newer file.
mv "$tmp/kernels.wat" "$OUT_DIR/kernels.wat"
mv "$tmp/kernels.wasm" "$OUT"
