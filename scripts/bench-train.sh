#!/usr/bin/env bash
# Training throughput (volumes/s) of biomarker-deep against PyTorch CPU, same architecture,
# same threads, in the same run; and peak RSS of the Rust trainer at larger sizes.
#
# Usage: scripts/bench-train.sh [SIZE=32] [BATCH=16] [STEPS=5] [THREADS=2]
#        PYTHON=python3 (with torch)  RSS_SIZES="48 64" (peak-RSS runs; empty to skip)
#        REPEATS=3 (ours and PyTorch alternate; each repeat's median over STEPS steps, then the
#        median over repeats)
#        PROFILE=release|dev (dev: dependencies at opt-level 3, the crate at 1; no cold LTO build)
set -euo pipefail
SIZE=${1:-32}; BATCH=${2:-16}; STEPS=${3:-5}; THREADS=${4:-2}
PYTHON=${PYTHON:-python3}
RSS_SIZES=${RSS_SIZES-"48 64"}
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
if [ "$PROFILE" = dev ]; then
  cargo build -q -p biomarker-deep --example bench_train
  BIN=target/debug/examples/bench_train
else
  cargo build --release -q -p biomarker-deep --example bench_train
  BIN=target/release/examples/bench_train
fi
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
REPEATS=${REPEATS:-3}
rust_runs=(); torch_runs=()
for r in $(seq "$REPEATS"); do
  rust_runs+=("$(RAYON_NUM_THREADS=$THREADS $BIN "$SIZE" "$BATCH" "$STEPS" | awk '{print $3}' | median)")
  torch_runs+=("$($PYTHON scripts/torch-bench.py "$SIZE" "$BATCH" "$STEPS" "$THREADS" | awk '{print $3}' | median)")
  echo "repeat $r: candle ${rust_runs[-1]} vol/s, PyTorch ${torch_runs[-1]} vol/s"
done
rust=$(printf '%s\n' "${rust_runs[@]}" | median)
torch=$(printf '%s\n' "${torch_runs[@]}" | median)
echo "size ${SIZE}^3 batch $BATCH threads $THREADS: candle $rust vol/s, PyTorch $torch vol/s, ratio $(awk -v a="$rust" -v b="$torch" 'BEGIN {printf "%.3f", a/b}')"
for s in $RSS_SIZES; do
  rss=$( { /usr/bin/time -f "%M" env RAYON_NUM_THREADS=$THREADS $BIN "$s" "$BATCH" 1 >/dev/null; } 2>&1 | tail -1)
  echo "size ${s}^3 batch $BATCH: peak RSS $((rss / 1024)) MiB"
done
