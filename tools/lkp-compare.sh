#!/usr/bin/env bash
# LKP on vs off (docs/pool.md): the same real-training MNIST search with and without
# --modules $MODULE (default lkp; e.g. MODULE=lkp.t80), one fresh store per run (the pool arm
# starts from an empty pool), seeds 1..N.
# Prints one line per run: arm, seed, wall seconds, real samples, best reward.
#   tools/lkp-compare.sh [OUT_DIR] [SEEDS] [BUDGET]
# Data from ../shared/data/mnist (override with DATA=DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-runs/lkp-compare}"
SEEDS="${2:-3}"
BUDGET="${3:-40}"
DATA="${DATA:-../shared/data/mnist}"
MODULE="${MODULE:-lkp}"
FNAS=target/release/fnas
if [ ! -d "$DATA" ]; then
  echo "lkp-compare: $DATA is absent (MNIST IDX files); set DATA=DIR" >&2
  exit 1
fi
cargo build --release --quiet
for seed in $(seq 1 "$SEEDS"); do
  for arm in none "$MODULE"; do
    store="$OUT/$arm-s$seed"
    modules=()
    [ "$arm" != none ] && modules=(--modules "$arm")
    if [ ! -d "$store" ]; then
      start=$(date +%s.%N)
      "$FNAS" search --store "$store" --task "idx:$DATA" --task-name mnist --algo mnas "${modules[@]}" \
        --budget "$BUDGET" --batch 10 --seed "$seed" --max-train 4000 --max-val 1000 --workers 1 -q
      end=$(date +%s.%N)
      echo "$start $end" > "$store.wall"
    fi
    read -r start end < "$store.wall"
    best=$("$FNAS" top --store "$store" -n 1 --json | head -1)
    samples=$("$FNAS" log --store "$store" --kind reward | wc -l)
    echo "$arm seed $seed wall $(awk "BEGIN{printf \"%.0f\", $end - $start}")s rewards $samples top $best"
  done
done
