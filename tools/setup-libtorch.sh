#!/usr/bin/env bash
# Installs libtorch for tch 0.26 (PyTorch 2.13.0) from the PyPI wheels, CPU-only subset by default.
#
# Where: $FNAS_LIBTORCH if set, else ${XDG_CACHE_HOME:-~/.cache}/fnas/libtorch-2.13.0-<flavour>.
# Every clone and CI run on the machine reuses the same directory. Idempotent: when the
# directory is complete (marker file present) the script only prints its path.
#
#   tools/setup-libtorch.sh            # CPU-only subset (~487 MiB, ~15 s)
#   tools/setup-libtorch.sh --cuda     # full CUDA wheel and its nvidia libraries (GPU machines)
#
# Prints the libtorch directory (the one to give as LIBTORCH=) on its last line.
set -euo pipefail

TORCH_VERSION=2.13.0
CUDART_VERSION=13.0.96
CUPTI_VERSION=13.0.85
FLAVOUR=cpu
if [ "${1:-}" = "--cuda" ]; then FLAVOUR=cuda; elif [ -n "${1:-}" ]; then
  echo "setup-libtorch: unknown flag '$1' (expected nothing or --cuda)" >&2; exit 2
fi

ROOT="${FNAS_LIBTORCH:-${XDG_CACHE_HOME:-$HOME/.cache}/fnas/libtorch-$TORCH_VERSION-$FLAVOUR}"
LIBTORCH="$ROOT/torch"
MARKER="$ROOT/.complete"

if [ -f "$MARKER" ]; then
  echo "$LIBTORCH"
  exit 0
fi

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || { echo "setup-libtorch: python3 with pip is needed to download wheels" >&2; exit 1; }

mkdir -p "$(dirname "$ROOT")"
WORK="$(mktemp -d "$(dirname "$ROOT")/.libtorch-tmp.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

echo "setup-libtorch: downloading torch $TORCH_VERSION wheels ($FLAVOUR) into $WORK" >&2
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_25_x86_64 --platform manylinux_2_17_x86_64)
if [ "$FLAVOUR" = cpu ]; then
  "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 "${PLATFORMS[@]}" \
    -d "$WORK/wheels" "torch==$TORCH_VERSION" "nvidia-cuda-runtime==$CUDART_VERSION" "nvidia-cuda-cupti==$CUPTI_VERSION"
  "$PYTHON" - "$WORK/wheels" "$WORK/out" <<'PY'
import sys, zipfile, glob, os
wheels, out = sys.argv[1], sys.argv[2]
keep_lib = {"libtorch_cpu.so", "libtorch.so", "libc10.so", "libgomp.so.1"}
keep_nv = {"libcudart.so.13", "libcupti.so.13"}
for w in glob.glob(os.path.join(wheels, "*.whl")):
    with zipfile.ZipFile(w) as z:
        for name in z.namelist():
            base = os.path.basename(name)
            take = (name.startswith("torch/include/") or name.startswith("torch/share/")
                    or (name.startswith("torch/lib/") and base in keep_lib)
                    or (name.startswith("nvidia/") and base in keep_nv))
            if take:
                z.extract(name, out)
PY
else
  "$PYTHON" -m pip install --quiet --target "$WORK/out" "torch==$TORCH_VERSION"
fi
[ -f "$WORK/out/torch/lib/libtorch_cpu.so" ] || { echo "setup-libtorch: torch/lib/libtorch_cpu.so missing after unpack" >&2; exit 1; }
echo "$TORCH_VERSION" > "$WORK/out/torch/build-version"
touch "$WORK/out/.complete"
rm -rf "$ROOT"
mv "$WORK/out" "$ROOT"
echo "setup-libtorch: installed $(du -sh "$ROOT" | cut -f1) at $ROOT" >&2
echo "$LIBTORCH"
