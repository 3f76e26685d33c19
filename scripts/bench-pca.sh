#!/usr/bin/env bash
# Benchmark: genotype principal components, biomarker-gwas vs plink2 in the same run.
#
#   scripts/bench-pca.sh [SAMPLES [VARIANTS [PCS [REPEATS [THREADS]]]]]
#   defaults: 5000 100000 10 3 $(nproc)
#
# Writes a structured cohort (7 subpopulations, no missing calls) with the test generator,
# then times, REPEATS times each and interleaved:
#   biomarker-gwas pca --genotype-pcs PCS   (randomized subspace iteration, streamed)
#   plink2 --pca PCS                        (exact: full GRM + eigendecomposition)
#   plink2 --pca PCS approx                 (randomized, Galinsky et al. 2016)
# all with the same thread count, and prints medians, ratios and the agreement of the top 5
# PCs (|r|, eigenvalues) with plink2's exact answer.
# Environment: BIOMARKER_GWAS, COHORT (the structured_cohort example), PLINK2, BENCH_DIR;
# EXACT=0 skips the exact plink2 run (its n² x variants GRM takes hours at full size with
# Debian's reference BLAS on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-5000}; M=${2:-100000}; K=${3:-10}; REPEATS=${4:-3}; THREADS=${5:-$(nproc)}
BIN=${BIOMARKER_GWAS:-target/release/biomarker-gwas}
COHORT=${COHORT:-target/release/examples/structured_cohort}
PLINK2=${PLINK2:-plink2}
if [[ ! -x $BIN || ! -x $COHORT ]]; then
    cargo build --release -p biomarker-gwas -p biomarker-reduce --bins --examples
fi
dir=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$dir"
prefix="$dir/cohort_${N}x${M}"
[[ -f $prefix.bed ]] || "$COHORT" "$prefix" "$N" "$M" 0 1
echo "cohort: $N samples x $M variants, $K PCs, $THREADS threads, $REPEATS repeats; $("$PLINK2" --version | head -1)"

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" > "$dir/last.log" 2>&1 || { cat "$dir/last.log"; exit 1; }; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'; }
declare -a ours exact approx
for ((r = 0; r < REPEATS; r++)); do
    ours+=("$(seconds "$BIN" -q pca --bfile "$prefix" --genotype-pcs "$K" --threads "$THREADS" --out "$dir/ours")")
    if [[ ${EXACT:-1} != 0 ]]; then
        exact+=("$(seconds "$PLINK2" --bfile "$prefix" --pca "$K" --threads "$THREADS" --out "$dir/exact")")
    else
        exact+=(nan)
    fi
    approx+=("$(seconds "$PLINK2" --bfile "$prefix" --pca "$K" approx --threads "$THREADS" --out "$dir/approx")")
    echo "repeat $((r + 1)): biomarker-gwas ${ours[r]} s, plink2 --pca ${exact[r]} s, plink2 --pca approx ${approx[r]} s"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mo=$(median "${ours[@]}"); me=$(median "${exact[@]}"); ma=$(median "${approx[@]}")
awk -v o="$mo" -v e="$me" -v a="$ma" -v x="${EXACT:-1}" 'BEGIN {
    exact = (x == "0") ? "skipped" : sprintf("%.2f (%.2fx ours)", e, e / o)
    printf "median seconds: biomarker-gwas %.2f, plink2 --pca %s, plink2 --pca approx %.2f (%.2fx ours)\n", o, exact, a, a / o }'
python3 - "$dir" <<'PY'
import sys
d = sys.argv[1]
def table(path, first):
    rows = [l.split() for l in open(path) if l.strip()]
    return [[float(x) for x in r[first:]] for r in rows[1:]]
ours = table(f"{d}/ours/genotype-pcs.tsv", 2)
import os
for name in ("exact", "approx"):
    if not os.path.exists(f"{d}/{name}.eigenval"):
        continue
    ref = table(f"{d}/{name}.eigenvec", 2)
    ev_o = [float(l) for l in open(f"{d}/ours/genotype-pcs.eigenval")]
    ev_r = [float(l) for l in open(f"{d}/{name}.eigenval")]
    out = []
    for j in range(5):
        a = [r[j] for r in ours]; b = [r[j] for r in ref]
        n = len(a); ma = sum(a) / n; mb = sum(b) / n
        cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
        va = sum((x - ma) ** 2 for x in a); vb = sum((y - mb) ** 2 for y in b)
        out.append(f"PC{j+1} |r|={abs(cov) / (va * vb) ** 0.5:.6f} eig {ev_o[j]:.4f}/{ev_r[j]:.4f}")
    print(f"vs plink2 --pca{' approx' if name == 'approx' else ''}: " + "; ".join(out))
PY
