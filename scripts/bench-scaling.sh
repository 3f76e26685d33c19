#!/usr/bin/env bash
# Single-node throughput of the genome scan, the measurements docs/scaling.md extrapolates from:
#   A: 5,000 samples x 50,000 variants (1% missing calls, 5 covariates), 1 and 40 quantitative
#      phenotypes, 1 and 2 threads;
#   B: 40,682 samples (UK Biobank imaging size) x 10,000 variants, 1 and 40 phenotypes, 2 threads;
#   the `chunks` plan step on each (it hashes the .bed once for all chunks);
#   A in 4 chunks (40 phenotypes, 2 threads) and their merge.
# Prints the median wall time and CPU time (user + system) of $RUNS runs, variants per second
# of each, and peak RSS (GNU time -v). On a loaded machine the CPU time is the steadier figure.
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
  local times=() cpus=() rss=0
  for _ in $(seq "$runs"); do
    /usr/bin/time -v -o "$work/time.txt" nice -n 10 "$@" >/dev/null 2>"$work/stderr.txt" || {
      cat "$work/stderr.txt"
      exit 1
    }
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")")
    cpus+=("$(awk -F': ' '/User time|System time/{s+=$2} END{print s}' "$work/time.txt")")
    local r
    r=$(awk -F': ' '/Maximum resident/{print $2}' "$work/time.txt")
    ((r > rss)) && rss=$r
  done
  local med cpu
  med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  printf '%-30s wall %7.2f s %9.0f variants/s | cpu %7.2f s %9.0f variants/cpu-s | %7.1f MiB | walls: %s\n' \
    "$name" "$med" "$(echo "$variants/$med" | bc -l)" "$cpu" "$(echo "$variants/($cpu+0.001)" | bc -l)" \
    "$(echo "$rss/1024" | bc -l)" "${times[*]}"
}

q40=$(seq -s, -f 'q%g' 1 40)
echo "binary $bin; checkout $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
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
# A split in 4 chunks (40 phenotypes, 2 threads): the chunks' total against the unsplit scan,
# and what merge costs (it holds one chunk's table and every -log10 p for lambda GC).
for k in 1 2 3 4; do
  measure "A chunk $k/4 40ph 2thr" 12500 "$bin" -q scan --bfile "$work/a" --pheno "$work/a.pheno" \
    --pheno-name "$q40" --covar "$work/a.covar" --threads 2 --chunks "$work/plan-a.json" --chunk "$k/4" \
    --out "$work/chunk-a-$k"
done
measure "merge A 4 chunks 40ph" 50000 "$bin" -q merge "$work"/chunk-a-{1,2,3,4} --out "$work/merged-a"
echo "gwas.parquet: A 40ph $(stat -c %s "$work/out-a/gwas.parquet") bytes for $((50000 * 40)) records"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
