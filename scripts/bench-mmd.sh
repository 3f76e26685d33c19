#!/usr/bin/env bash
# Benchmark of `biomarker-gwas mmd` against its peers, all measured in this run:
#  1. one Gaussian-kernel MMD² permutation test, n = 2,000 per group, d = 64, 1,000
#     permutations: the Rust engine vs a batched numpy implementation (kernel once,
#     permutations as one matrix product; scripts/mmd_peers_bench.py) vs hyppo 0.5.2
#     (`auto=False`, extrapolated from a few permutations because 1,000 take over an hour);
#  2. a family: 20 structures x 3 diagnosis pairs x 1,000 permutations at 5,000 subjects,
#     end to end through the CLI (reading a Parquet FeatureTable, writing TSV + Parquet),
#     on 2 threads.
# Prints medians and ratios. Needs python3 with numpy (and hyppo==0.5.2 unless
# SKIP_HYPPO=1). Usage: scripts/bench-mmd.sh [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
N=${N:-2000}; D=${D:-64}; B=${B:-1000}
SUBJECTS=${SUBJECTS:-5000}; STRUCTURES=${STRUCTURES:-20}
export OPENBLAS_NUM_THREADS=${THREADS:-2} OMP_NUM_THREADS=${THREADS:-2} MKL_NUM_THREADS=${THREADS:-2}
export RAYON_NUM_THREADS=${THREADS:-2}

cargo build --release -q -p biomarker-assoc --example mmd_bench
cargo build --release -q -p biomarker-gwas
BIN=target/release
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "== single test: n = $N per group, d = $D, $B permutations, ${THREADS:-2} threads, $REPEATS repeats"
rust=$("$BIN/examples/mmd_bench" single "$N" "$D" "$B" "$REPEATS" 2>/dev/null)
echo "rust  $rust"
peer_args=(--n "$N" --d "$D" --perms "$B" --repeats "$REPEATS")
[[ "${SKIP_HYPPO:-0}" == 1 ]] && peer_args+=(--skip-hyppo)
python3 scripts/mmd_peers_bench.py "${peer_args[@]}" | tee "$WORK/peers.txt"

echo "== family: $STRUCTURES structures x 3 pairs x $B permutations, $SUBJECTS subjects, ${THREADS:-2} threads"
"$BIN/examples/mmd_bench" features "$WORK/cohort" "$SUBJECTS" "$STRUCTURES" "$D"
family=()
for _ in $(seq "$REPEATS"); do
  t0=$(date +%s.%N)
  "$BIN/biomarker-gwas" -q mmd --features "$WORK/cohort/features.parquet" --pheno "$WORK/cohort/pheno.txt" \
    --group-column DX --tests unbiased --no-gamma --permutations "$B" --threads "${THREADS:-2}" \
    --out "$WORK/out" > /dev/null
  t1=$(date +%s.%N)
  family+=("$(python3 -c "print(f'{$t1 - $t0:.3f}')")")
done
echo "family ${family[*]}"

python3 - "$rust" "$WORK/peers.txt" "${family[*]}" <<'PY'
import statistics, sys
rust = [float(v) for v in sys.argv[1].split()]
peers = {}
for line in open(sys.argv[2]):
    if not line.startswith("#"):
        name, *vals = line.split()
        peers[name] = [float(v) for v in vals]
family = [float(v) for v in sys.argv[3].split()]
r = statistics.median(rust)
print(f"\nmedian seconds: rust {r:.3f}")
for name, vals in peers.items():
    m = statistics.median(vals)
    print(f"median seconds: {name} {m:.3f}  ->  rust is {m / r:.1f}x faster")
print(f"family (20 x 3 x 1,000 at 5,000 subjects): median {statistics.median(family):.2f} s")
PY
