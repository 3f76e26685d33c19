#!/usr/bin/env bash
# Manhattan plot at 10^6 variants: our layout + thinning + PNG (and SVG) rendering against
# matplotlib drawing the same points into a PNG of the same size, in the same run.
# Prints both medians and their ratio. Usage: scripts/bench-report.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
reps="${1:-7}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q matplotlib==3.9.2 numpy==2.1.3
cargo bench -q -p biomarker-report --bench manhattan -- --reps "$reps" --points "$work/points.tsv" | tee "$work/ours.txt"
"$work/venv/bin/python" scripts/bench_report_peer.py "$work/points.tsv" "$reps" | tee "$work/peer.txt"
ours=$(awk -F'\t' '$1=="median_png_total_s"{print $2}' "$work/ours.txt")
peer=$(awk -F'\t' '$1=="peer_median_png_s"{print $2}' "$work/peer.txt")
awk -v a="$ours" -v b="$peer" 'BEGIN { printf "ratio_peer_over_ours_png\t%.1f\n", b / a }'
