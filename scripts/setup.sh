#!/usr/bin/env bash
# Brings this machine and checkout to the state `npm start`, `npm test` and `npm run bench` need, doing only
# what is missing or stale, so that it takes well under a second when nothing is:
#   1. Node.js >= 20.11
#   2. the Debian packages listed below (apt-get when root, otherwise print the command and stop)
#   3. npm dependencies (`npm ci` when node_modules is missing or package*.json changed since the last install,
#      package.json's "scripts" aside),
#      and the native gl package of the gpujs backend rebuilt when it does not load
#   4. the toolkit build (tsc, when toolkit/dist is missing or older than its sources) and its WebAssembly
#      kernels (scripts/build-wasm.sh, when toolkit/dist/wasm/kernels.wasm is older than its sources)
#   5. the "synapses-ts" Jupyter kernel (kernels/install.sh, when missing or pointing elsewhere)
# Prints one line per action taken, then "setup: ok". Non-interactive: safe with CI=true and no stdin.
set -euo pipefail

# Debian packages, one place for all of them; each comment names the part of the toolkit that needs it.
DEBIAN_PACKAGES=(
  dataset-fashion-mnist  # data loaders: full Fashion-MNIST IDX files in /usr/share/datasets/fashion-mnist/
  jupyter-notebook       # notebooks/: the classic notebook server, to open the notebooks interactively
  jupyter-nbconvert      # test/notebooks: executes notebooks/*.ipynb headless (/usr/bin/jupyter nbconvert)
  jupyter-client         # kernels/install.sh: `jupyter kernelspec` registers the synapses-ts (tslab) kernel
  python3-nbclient       # test/notebooks: the execution engine behind nbconvert --execute
  python3-ipykernel      # notebooks/: Jupyter's kernel machinery (and the python3 kernel Jupyter expects)
  chromium               # plots/: headless browser that exports figures as SVG, PNG and PDF (playwright-core drives it)
  fonts-liberation       # plots/: Liberation Sans, the figures' font (metric-compatible with Arial) in exported images
  build-essential        # backend/gpujs (headlessgl): node-gyp compiles the native gl package (ANGLE) during npm ci
  libxi-dev              # backend/gpujs (headlessgl): X Input headers the gl build links against
  libglu1-mesa-dev       # backend/gpujs (headlessgl): GLU/Mesa headers the gl build needs
  libglew-dev            # backend/gpujs (headlessgl): GLEW headers the gl build needs
  pkg-config             # backend/gpujs (headlessgl): locates those libraries for node-gyp
  xvfb                   # backend/gpujs (headlessgl): virtual X display; the tests start one, so does bench
  xauth                  # backend/gpujs (headlessgl): `xvfb-run -a` needs it to run the CLI under a virtual display
  libgl1-mesa-dri        # backend/gpujs (headlessgl): Mesa's drivers (llvmpipe renders without a GPU)
  slurm-client           # experiments/slurm: sbatch, squeue, sacct, scontrol for `ablate --executor slurm`
  slurm-wlm              # test/slurm, scripts/slurm-local.sh: slurmctld + slurmd, a one-node Slurm cluster here
  munge                  # test/slurm, scripts/slurm-local.sh: the authentication daemon Slurm needs
  python3-numpy          # test/io/export-scipy: numpy.load reads the exported dense layers and biases (.npy)
  python3-scipy          # test/io/export-scipy: scipy.sparse.load_npz and scipy.io.mmread read `synapses-ts export` files
)
NODE_MIN_MAJOR=20
NODE_MIN_MINOR=11

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

say() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

# --- 1. Node.js ------------------------------------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node not found on PATH; install Node.js >= $NODE_MIN_MAJOR.$NODE_MIN_MINOR"
# "version modules-ABI": the ABI goes into the npm stamp, so a Node upgrade reinstalls native addons (zeromq).
node_info="$(node -p 'process.versions.node + " " + process.versions.modules')"
read -r node_version node_abi <<<"$node_info"
IFS=. read -r node_major node_minor _ <<<"$node_version"
if [ "$node_major" -lt "$NODE_MIN_MAJOR" ] ||
   { [ "$node_major" -eq "$NODE_MIN_MAJOR" ] && [ "$node_minor" -lt "$NODE_MIN_MINOR" ]; }; then
  die "Node.js $node_version found ($(command -v node)), but synapses-ts needs >= $NODE_MIN_MAJOR.$NODE_MIN_MINOR"
fi

# --- 2. Debian packages ----------------------------------------------------------------------------------
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [ "$status" = installed ] || missing+=("$pkg")
  done
else
  say "warning: dpkg-query not found (not Debian?); make sure these are installed: ${DEBIAN_PACKAGES[*]}" >&2
fi
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them as root, then run this again:" >&2
    echo "  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  apt_log="$(mktemp)"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
       </dev/null >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    rm -f "$apt_log"
    die "apt-get failed installing: ${missing[*]}"
  fi
  rm -f "$apt_log"
fi

# --- 3. npm dependencies ---------------------------------------------------------------------------------
STAMP=node_modules/.synapses-setup-stamp
want_stamp="$(
  # package.json without its "scripts": editing a script does not change what npm ci installs.
  { echo "node-abi $node_abi"; sha256sum package-lock.json toolkit/package.json;
    node -p 'const p = require("./package.json"); delete p.scripts; JSON.stringify(p)'; } | sha256sum | cut -d' ' -f1
)"
if [ ! -d node_modules ] || [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want_stamp" ]; then
  if [ -d node_modules ]; then say "npm dependencies changed: npm ci"; else say "installing npm dependencies: npm ci"; fi
  npm ci --no-audit --no-fund </dev/null
  echo "$want_stamp" > "$STAMP"
fi
# headless-gl (npm gl, optional dependency of gpu.js, compiled from source): npm drops it silently when its
# build fails, e.g. when node_modules was installed before the Debian build packages above. Build it again
# then (2 to 4 minutes), once per install: a machine where it cannot build is not retried on every run.
GL_STAMP=node_modules/.synapses-gl-stamp
if ! node -e "require('gl')" >/dev/null 2>&1 && [ "$(cat "$GL_STAMP" 2>/dev/null)" != "$want_stamp" ]; then
  if [ -d node_modules/gl ]; then
    say "the native gl package (gpujs:headlessgl) does not load: npm rebuild gl (compiles ANGLE, a few minutes)"
    npm rebuild gl --no-audit --no-fund </dev/null >/dev/null 2>&1 || true
  else
    say "the native gl package (gpujs:headlessgl) is missing (its build failed earlier): npm ci (compiles ANGLE, a few minutes)"
    npm ci --no-audit --no-fund </dev/null
    echo "$want_stamp" > "$STAMP"
  fi
  echo "$want_stamp" > "$GL_STAMP"
  node -e "require('gl')" >/dev/null 2>&1 || say "warning: the gl package still does not load; gpujs:headlessgl stays unavailable" >&2
fi

# --- 4. toolkit build ------------------------------------------------------------------------------------
BUILD_INFO=toolkit/dist/.tsbuildinfo
# index.js is checked too: `tsc --noEmit -p toolkit/tsconfig.json` writes .tsbuildinfo without emitting.
if [ ! -f "$BUILD_INFO" ] || [ ! -f toolkit/dist/index.js ] ||
   [ -n "$(find toolkit/src toolkit/tsconfig.json tsconfig.base.json -newer "$BUILD_INFO" -print -quit)" ]; then
  say "building the toolkit: tsc -p toolkit/tsconfig.json"
  # The pinned compiler (package.json's "typescript"), by path: node_modules/.bin/tsc may be another
  # package's bundled copy (tslab ships TypeScript 5.0.4 and npm may link its bin instead).
  node node_modules/typescript/bin/tsc -p toolkit/tsconfig.json
  # tsc --incremental leaves .tsbuildinfo alone when no output changed (e.g. a file was only touched).
  touch "$BUILD_INFO"
fi

# The WebAssembly SIMD kernels of the fast CPU backend (AssemblyScript, pinned): silent when up to date.
bash scripts/build-wasm.sh

# --- 5. Jupyter kernel -----------------------------------------------------------------------------------
if ! bash kernels/install.sh --check; then
  say "registering the synapses-ts Jupyter kernel (--user)"
  bash kernels/install.sh --user --quiet
fi

say ok
