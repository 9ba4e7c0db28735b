#!/usr/bin/env bash
# Registers the "synapses-ts" Jupyter kernel: tslab, from THIS project's node_modules, started by the node
# that runs this script. The template kernels/synapses-ts/kernel.json holds two placeholders, @NODE@ and
# @TSLAB@, replaced here by absolute paths, so the kernel works whatever PATH Jupyter was started with.
#
# Usage: bash kernels/install.sh [--user | --prefix DIR] [--check] [--quiet]
#   --user        install into the per-user Jupyter data dir (the default)
#   --prefix DIR  install into DIR/share/jupyter/kernels/synapses-ts (use JUPYTER_PATH=DIR/share/jupyter)
#   --check       install nothing; exit 0 when the installed kernel.json is current, 1 otherwise
#   --quiet       print nothing on success
set -euo pipefail

KERNEL_NAME=synapses-ts
JUPYTER=/usr/bin/jupyter   # Debian's Jupyter; a different python3/jupyter may come first on PATH

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
TEMPLATE="$ROOT/kernels/$KERNEL_NAME/kernel.json"
TSLAB="$ROOT/node_modules/.bin/tslab"

usage() {
  local text
  text="$(sed -n '/^# Usage:/,/^#   --quiet/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//')"
  if [ "${1:-2}" = 0 ]; then echo "$text"; else echo "$text" >&2; fi
  exit "${1:-2}"
}

mode=user prefix="" check=0 quiet=0
while [ $# -gt 0 ]; do
  case "$1" in
    --user) mode=user; shift ;;
    --prefix) [ $# -ge 2 ] || usage; mode=prefix; prefix="$2"; shift 2 ;;
    --prefix=*) mode=prefix; prefix="${1#--prefix=}"; shift ;;
    --check) check=1; shift ;;
    --quiet) quiet=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "kernels/install.sh: unknown argument: $1" >&2; usage ;;
  esac
done

if [ "$mode" = prefix ]; then
  [ -n "$prefix" ] || usage
  mkdir -p "$prefix"
  prefix="$(cd "$prefix" && pwd -P)"
  kernels_dir="$prefix/share/jupyter/kernels"
else
  # Same rule as jupyter_core.paths.jupyter_data_dir() on Linux, without paying for a Python start-up.
  if [ -n "${JUPYTER_DATA_DIR:-}" ]; then
    kernels_dir="$JUPYTER_DATA_DIR/kernels"
  else
    kernels_dir="${XDG_DATA_HOME:-$HOME/.local/share}/jupyter/kernels"
  fi
fi
installed="$kernels_dir/$KERNEL_NAME/kernel.json"

if [ ! -e "$TSLAB" ]; then
  [ "$check" = 1 ] && exit 1
  echo "kernels/install.sh: $TSLAB is missing; run 'npm ci' (or 'npm run setup') first" >&2
  exit 1
fi

# Render the template with node itself (JSON-safe escaping of the paths; node is the kernel's interpreter).
render() {
  node -e '
    const fs = require("fs");
    const [template, tslab] = process.argv.slice(1);
    const spec = JSON.parse(fs.readFileSync(template, "utf8"));
    const fill = (s) => s.replace("@NODE@", process.execPath).replace("@TSLAB@", tslab);
    spec.argv = spec.argv.map(fill);
    process.stdout.write(JSON.stringify(spec, null, 2) + "\n");
  ' "$TEMPLATE" "$TSLAB"
}

if [ "$check" = 1 ]; then
  [ -f "$installed" ] || exit 1
  [ "$(render)" = "$(cat "$installed")" ] || exit 1
  exit 0
fi

if [ ! -x "$JUPYTER" ]; then
  echo "kernels/install.sh: $JUPYTER not found; install Debian's jupyter-client and python3-ipykernel (npm run setup does)" >&2
  exit 1
fi

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/$KERNEL_NAME"
render > "$staging/$KERNEL_NAME/kernel.json"
chmod 755 "$staging/$KERNEL_NAME"

export PYDEVD_DISABLE_FILE_VALIDATION=1   # silences a debugpy warning printed by Debian's Python 3.11
if [ "$mode" = prefix ]; then
  # Searched first by Jupyter (and silences kernelspec's "not in the search path" warning).
  export JUPYTER_PATH="$prefix/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
  "$JUPYTER" kernelspec install --log-level=WARN --replace --name "$KERNEL_NAME" --prefix "$prefix" "$staging/$KERNEL_NAME" >/dev/null
else
  "$JUPYTER" kernelspec install --log-level=WARN --replace --name "$KERNEL_NAME" --user "$staging/$KERNEL_NAME" >/dev/null
fi

# Verify: Jupyter itself must now resolve the kernel name to the directory just written.
found="$("$JUPYTER" kernelspec list --json | /usr/bin/python3 -c '
import json, sys
spec = json.load(sys.stdin)["kernelspecs"].get(sys.argv[1])
print(spec["resource_dir"] if spec else "")
' "$KERNEL_NAME")"
if [ "$(cd "$found" 2>/dev/null && pwd -P)" != "$(cd "$kernels_dir/$KERNEL_NAME" && pwd -P)" ]; then
  echo "kernels/install.sh: installed into $kernels_dir/$KERNEL_NAME but Jupyter resolves '$KERNEL_NAME' to '${found:-nothing}'" >&2
  exit 1
fi
[ "$quiet" = 1 ] || echo "kernels/install.sh: kernel '$KERNEL_NAME' installed in $kernels_dir/$KERNEL_NAME (tslab: $TSLAB)"
