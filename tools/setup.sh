#!/usr/bin/env bash
# One-time (idempotent) setup of a checkout: libtorch in the machine-wide cache, linked here
# as .libtorch so that .cargo/config.toml points the build at it. Seconds when already done.
#   tools/setup.sh [--cuda]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "setup: cargo not found (install Rust with rustup)" >&2; exit 1; }
LIBTORCH_DIR="$(tools/setup-libtorch.sh "$@" | tail -n 1)"
ln -sfn "$(dirname "$LIBTORCH_DIR")" .libtorch
echo "setup: .libtorch -> $(readlink .libtorch)" >&2
