#!/usr/bin/env bash
# Training throughput on a CUDA GPU: biomarker-gwas (the binary from scripts/build-cuda.sh)
# against PyTorch eager (scripts/torch-bench.py, same architecture), in the same run, at each
# size in SIZES, batch BATCH; GPU memory from nvidia-smi (peak memory.used while each run is
# going, which includes each process's CUDA context) and PyTorch's own peak allocation.
#
# Usage: scripts/bench-train-gpu.sh [BIN]
#   BIN      default target/release/cuda-dist/biomarker-gwas-cuda
#   SIZES="64 96" BATCH=16 STEPS=10 GPU=0 PYTHON=python3 (with torch, CUDA build)
#   TESTS=path/to/deep-test-binary: also run the CUDA test suite first (build-cuda.sh --tests)
# The CUDA 13 runtime libraries are taken from PyTorch's nvidia-* wheels when they are not
# on LD_LIBRARY_PATH already (docs/gpu.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-target/release/cuda-dist/biomarker-gwas-cuda}
SIZES=${SIZES:-"64 96"}
BATCH=${BATCH:-16}
STEPS=${STEPS:-10}
GPU=${GPU:-0}
PYTHON=${PYTHON:-python3}

libs=$($PYTHON - <<'EOF'
import glob, os, site
roots = site.getsitepackages() + [site.getusersitepackages()]
dirs = [d for r in roots for d in sorted(glob.glob(os.path.join(r, "nvidia", "*", "lib")))]
print(":".join(dict.fromkeys(dirs)))
EOF
)
export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader -i "$GPU"
$PYTHON -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda, "cuDNN", torch.backends.cudnn.version())'
if ldd "$BIN" | grep -q "not found"; then
    echo "missing runtime libraries for $BIN:" >&2
    ldd "$BIN" | grep "not found" >&2
    exit 1
fi

if [ -n "${TESTS:-}" ]; then
    echo "== CUDA test suite: $TESTS"
    BIOMARKER_DEEP_DIR="$PWD/crates/deep" BIOMARKER_TEST_CUDA="$GPU" "$TESTS" --test-threads 1
fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Runs "$@" while sampling the GPU's memory.used every 100 ms; stdout to $out, peak MiB to $mem.
sampled() {
    local smi=$1; shift
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -i "$GPU" -lms 100 > "$smi" &
    local pid=$!
    "$@"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in $SIZES; do
    for balance in equal gradnorm; do
        sampled "$tmp/ours.smi" "$BIN" bench-train --size "$size" --batch "$BATCH" --steps "$STEPS" \
            --device "cuda:$GPU" --balance "$balance" > "$tmp/ours.$balance"
        ours[${#ours[@]}]=$(awk '{print $3}' "$tmp/ours.$balance" | median)
        mem_ours[${#mem_ours[@]}]=$(sort -n "$tmp/ours.smi" | tail -1)
    done
    CUDA_VISIBLE_DEVICES=$GPU sampled "$tmp/torch.smi" $PYTHON scripts/torch-bench.py "$size" "$BATCH" "$STEPS" 4 cuda \
        > "$tmp/torch" 2> "$tmp/torch.err"
    torch=$(awk '{print $3}' "$tmp/torch" | median)
    mem_torch=$(sort -n "$tmp/torch.smi" | tail -1)
    eq=${ours[-2]}; gn=${ours[-1]}
    echo "size ${size}^3 batch $BATCH: ours (equal weights) $eq vol/s, ours (GradNorm) $gn vol/s, PyTorch eager $torch vol/s;" \
        "ratio equal/PyTorch $(awk -v a="$eq" -v b="$torch" 'BEGIN {printf "%.3f", a/b}')," \
        "GradNorm/PyTorch $(awk -v a="$gn" -v b="$torch" 'BEGIN {printf "%.3f", a/b}');" \
        "GPU memory.used peak: ours ${mem_ours[-2]}/${mem_ours[-1]} MiB, PyTorch $mem_torch MiB ($(cat "$tmp/torch.err" | tail -1))"
done
