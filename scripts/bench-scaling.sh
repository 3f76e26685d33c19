#!/usr/bin/env bash
# Single-node throughput of the genome scan, the measurements docs/scaling.md extrapolates from:
#   A: 5,000 samples x 50,000 variants (1% missing calls, 5 covariates), 1 and 40 quantitative
#      phenotypes, 1 and 2 threads;
#   B: 40,682 samples (UK Biobank imaging size) x 10,000 variants, 1 and 40 phenotypes, 2 threads;
#   the `chunks` plan step on each (it hashes the .bed once for all chunks).
# Prints the median wall time of $RUNS runs, variants/s and peak RSS (GNU time -v).
#   scripts/bench-scaling.sh [WORKDIR]    (BIN=... GEN=... use prebuilt binaries; needs /usr/bin/time)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-${TMPDIR:-/tmp}/bench-scaling}
runs=${RUNS:-3}
mkdir -p "$work"
if [ -z "${BIN:-}" ] || [ -z "${GEN:-}" ]; then
  (cd "$root" && nice -n 10 cargo build -q --release -p biomarker-gwas &&
    nice -n 10 cargo build -q --release -p biomarker-assoc --example scan_data)
fi
bin=${BIN:-$root/target/release/biomarker-gwas}
gen=${GEN:-$root/target/release/examples/scan_data}

dataset() { # NAME SAMPLES VARIANTS
  local bed=$work/$1.bed
  [ -e "$bed" ] && [ "$(stat -c %s "$bed")" = "$((3 + $3 * (($2 + 3) / 4)))" ] ||
    nice -n 10 "$gen" "$work/$1" "$2" "$3" 0.01 40 11
}
dataset a 5000 50000
dataset b 40682 10000

# measure NAME VARIANTS CMD...: median wall seconds, variants/s and peak RSS of $runs runs.
measure() {
  local name=$1 variants=$2
  shift 2
  local times=() rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -v -o "$work/time.txt" nice -n 10 "$@" >/dev/null 2>"$work/stderr.txt" || {
      cat "$work/stderr.txt"
      exit 1
    }
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")")
    local r
    r=$(awk -F': ' '/Maximum resident/{print $2}' "$work/time.txt")
    ((r > rss)) && rss=$r
  done
  local med
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  printf '%-34s %8.2f s %10.0f variants/s %8.1f MiB   (runs: %s)\n' "$name" "$med" \
    "$(echo "$variants/$med" | bc -l)" "$(echo "$rss/1024" | bc -l)" "${times[*]}"
}

q40=$(seq -s, -f 'q%g' 1 40)
echo "commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for t in 1 2; do
  for p in q1 "$q40"; do
    np=$(awk -F, '{print NF}' <<<"$p")
    measure "A 5000x50000 ${np}ph ${t}thr" 50000 "$bin" -q scan --bfile "$work/a" --pheno "$work/a.pheno" \
      --pheno-name "$p" --covar "$work/a.covar" --threads "$t" --out "$work/out-a"
  done
done
for p in q1 "$q40"; do
  np=$(awk -F, '{print NF}' <<<"$p")
  measure "B 40682x10000 ${np}ph 2thr" 10000 "$bin" -q scan --bfile "$work/b" --pheno "$work/b.pheno" \
    --pheno-name "$p" --covar "$work/b.covar" --threads 2 --out "$work/out-b"
done
for d in a b; do
  measure "chunks (hash $(($(stat -c %s "$work/$d.bed") / 1000000)) MB .bed) $d" 0 "$bin" -q chunks --bfile "$work/$d" \
    --n 4 --split-chromosomes --out "$work/plan-$d.json"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
