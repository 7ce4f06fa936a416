#!/usr/bin/env bash
# Reproduces the tabular study of docs/bench: the cold comparison on the three shared tables,
# the warm transfer NAS-Bench-201 CIFAR-10 -> CIFAR-100 through a knowledge package, and the
# ablation rows of the default strategy. Re-running skips finished runs (bench resumes).
#   tools/bench-study.sh [OUT_DIR] [cold|warm|ablation|all]
# Tables come from ../shared/benchmarks (override with SHARED=DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-bench}"
PART="${2:-all}"
SHARED="${SHARED:-../shared/benchmarks}"
SEEDS="${SEEDS:-10}"
FNAS=target/release/fnas
if [ ! -d "$SHARED" ]; then
  echo "bench-study: $SHARED is absent (the shared benchmark tables); set SHARED=DIR" >&2
  exit 1
fi
cargo build --release --quiet
TABLES="nas_bench_macro_cifar10:nb-macro nb201_cifar10:nb201 nb201_cifar100:nb201"

if [ "$PART" = cold ] || [ "$PART" = all ]; then
  for t in $TABLES; do
    f=${t%%:*}; sp=${t##*:}
    "$FNAS" bench --store "$OUT/$f" --table "$SHARED/$f.csv" --space "$sp" \
      --algos rs,re,mnas,fnas --seeds "$SEEDS" --budget 300
  done
fi

if [ "$PART" = warm ] || [ "$PART" = all ]; then
  # One finished default search on CIFAR-10 (a seed none of the target runs use), exported
  # as a package (critic + history) and imported into the store of the CIFAR-100 runs.
  package="$OUT/nb201_cifar10.fnas"
  if [ ! -f "$package" ]; then
    rm -rf "$OUT/warm-source"
    "$FNAS" search --store "$OUT/warm-source" --task "table:$SHARED/nb201_cifar10.csv" \
      --space nb201 --budget 300 --seed 1000 -q
    "$FNAS" export --store "$OUT/warm-source" --task nb201_cifar10 --what critic,history \
      --out "$package"
  fi
  "$FNAS" import --store "$OUT/warm-nb201_cifar100" "$package"
  "$FNAS" bench --store "$OUT/warm-nb201_cifar100" --table "$SHARED/nb201_cifar100.csv" \
    --space nb201 --algos fnas --seeds "$SEEDS" --budget 300 --init-from nb201_cifar10
fi

if [ "$PART" = ablation ] || [ "$PART" = all ]; then
  # Every row at batch 10 (fnas's batch), so each row differs from the default in one thing.
  full=uac.sel64.f200.ens.n3.p20
  for t in $TABLES; do
    f=${t%%:*}; sp=${t##*:}
    "$FNAS" bench --store "$OUT/ablation-$f" --table "$SHARED/$f.csv" --space "$sp" --batch 10 \
      --algos "mnas,mnas+uac.sel64+aeb,mnas+uac.sel64.ens.n3.p20+aeb,mnas+uac.sel64.f200.n3.p20+aeb,mnas+uac.sel64.f200.ens.p20+aeb,mnas+$full,mnas+$full+aeb" \
      --seeds "$SEEDS" --budget 300
  done
fi
