#!/usr/bin/env bash
# Sets up (idempotent) and runs the whole test suite. Tests that need ../shared skip with a
# printed reason when it is absent; the core tests use the built-in digits task.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
cargo test --release -- --test-threads 2 "$@"
