#!/usr/bin/env bash
# Genome-scan benchmark against plink2 in the same run: 5,000 samples x 100,000 variants,
# 5 covariates, 2 threads; linear with 1% missing calls and with none, 40 phenotypes in one
# pass vs 1, and logistic (Firth fallback). Reports the median wall time of 3 runs, the
# throughput ratio (plink2 time / ours) and peak RSS (GNU time -v).
#   scripts/bench-scan.sh [WORKDIR]   (needs plink2 and /usr/bin/time: scripts/install/scan.sh)
# CASES picks the cases (default "q1 40 b1": one quantitative phenotype, 40 at once, the
# case/control one; q1 also runs without missing calls), e.g. CASES=b1 for logistic only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-${TMPDIR:-/tmp}/bench-scan}
samples=${SAMPLES:-5000}
variants=${VARIANTS:-100000}
runs=${RUNS:-3}
# plink2 with 40 phenotypes and missing calls is very slow (off its fast path): PEER40=0 skips it.
peer40=${PEER40:-1}
cases=${CASES:-q1 40 b1}
threads=2
mkdir -p "$work"
cd "$root"
cargo build -q --release -p biomarker-gwas
cargo build -q --release -p biomarker-assoc --example scan_data
ours="$root/target/release/biomarker-gwas"
gen="$root/target/release/examples/scan_data"
[ -e "$work/miss.bed" ] && [ "$(stat -c %s "$work/miss.bed")" = "$((3 + variants * ((samples + 3) / 4)))" ] || "$gen" "$work/miss" "$samples" "$variants" 0.01 40 11
if [[ " $cases " == *" q1 "* ]]; then
  [ -e "$work/full.bed" ] && [ "$(stat -c %s "$work/full.bed")" = "$((3 + variants * ((samples + 3) / 4)))" ] || "$gen" "$work/full" "$samples" "$variants" 0 40 11
fi
plink2 --version

# measure NAME OUTPUTS CMD...: runs CMD $runs times, prints "NAME median_seconds peak_rss_mib".
# Every run starts without the previous run's OUTPUTS (a glob), removed and synced untimed:
# replacing hundreds of megabytes of old results would otherwise be timed from the second run on.
measure() {
  local name=$1 outputs=$2; shift 2
  local times=() rss=0
  for _ in $(seq "$runs"); do
    # shellcheck disable=SC2086 # the glob is meant to expand
    rm -rf $outputs
    sync
    /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null 2>"$work/stderr.txt" || { cat "$work/stderr.txt"; exit 1; }
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt")")
    local r; r=$(awk -F': ' '/Maximum resident/{print $2}' "$work/time.txt")
    (( r > rss )) && rss=$r
  done
  local med; med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  printf '%-28s %8.2f s %8.1f MiB\n' "$name" "$med" "$(echo "$rss/1024" | bc -l)"
  echo "$name $med $rss" >> "$work/results.txt"
}

: > "$work/results.txt"
for data in miss full; do
  for case in $cases; do
    [ "$data" = full ] && [ "$case" != q1 ] && continue
    if [ "$case" = 40 ]; then names=$(seq -s, -f 'q%g' 1 40); else names=$case; fi
    if [ "$case" != 40 ] || [ "$peer40" = 1 ]; then
    measure "plink2 $data $case" "$work/p2_${data}_$case.*" plink2 --bfile "$work/$data" --pheno "$work/$data.pheno" --pheno-name "$names" \
      --covar "$work/$data.covar" --glm hide-covar cols=+a1freq --threads $threads --out "$work/p2_${data}_$case"
    fi
    measure "ours $data $case" "$work/ours_${data}_$case" "$ours" -q scan --bfile "$work/$data" --pheno "$work/$data.pheno" --pheno-name "$names" \
      --covar "$work/$data.covar" --threads $threads --out "$work/ours_${data}_$case"
  done
done
echo
echo "throughput ratio (plink2 time / ours; > 1 means faster than plink2):"
awk '{t[$1" "$2" "$3]=$4} END{
  split("miss q1,full q1,miss 40,miss b1", cases, ",");
  for (i in cases) { c=cases[i]; if ((("ours " c) in t) && (("plink2 " c) in t)) printf "  %-10s %.2fx\n", c, t["plink2 " c]/t["ours " c] }
  if (("ours miss 40") in t && ("ours miss q1") in t) printf "  40 phenotypes / 1 phenotype (ours): %.2fx the time\n", t["ours miss 40"]/t["ours miss q1"]
}' "$work/results.txt"
