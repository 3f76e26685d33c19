#!/usr/bin/env bash
# Builds the CUDA release binary of biomarker-gwas on a machine without a GPU or a CUDA install.
#
# 1. Installs the CUDA 13.0 compiler, headers and libraries from NVIDIA's PyPI wheels (pinned)
#    into .cuda/ (gitignored). CUDA 13 is the first release whose PyPI wheels carry the full
#    `nvcc` (cudafe++, cicc, ptxas, fatbinary); the `-cu12` nvcc wheels hold only ptxas.
# 2. Makes that folder look like a toolkit to cudarc, cudaforge and the linker: `nvvm/bin/cicc`,
#    unversioned `lib*.so` links, and a link-time stub `libcuda.so` (the driver library comes
#    with the GPU driver, not with any wheel; the stub only satisfies the linker, and the binary
#    records `libcuda.so.1`, which the driver provides at run time).
# 3. Builds `cargo build --release -p biomarker-gwas --features cuda` with CUDA_COMPUTE_CAP=90
#    (H100/H200: kernels compiled for sm_90a, PTX for the rest).
# 4. Packs: strips the binary into target/release/cuda-dist/ and checks it is at most 64 MiB.
#
# Usage: scripts/build-cuda.sh [--cudnn] [--tests] [--jobs N]
#   --cudnn   also enable the `cudnn` feature (cuDNN 3D convolutions)
#   --tests   also build and pack biomarker-deep's integration tests with the same features
#             (run them on the GPU machine: scripts/bench-train-gpu.sh with TESTS=...)
#   --jobs N  parallel cargo and nvcc jobs (default 2)
# Environment: CUDA_DIR (default <repo>/.cuda), CUDA_COMPUTE_CAP (default 90).
# The binary needs at run time: an NVIDIA driver for CUDA >= 13.0 (R580+) and the CUDA 13
# libraries libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10,
# libnvrtc.so.13 (+ libcudnn.so.9 with --cudnn) on LD_LIBRARY_PATH; see docs/gpu.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FEATURES="cuda"
JOBS=2
TESTS=0
while [ $# -gt 0 ]; do
    case "$1" in
        --cudnn) FEATURES="cuda,cudnn" ;;
        --tests) TESTS=1 ;;
        --jobs) JOBS="$2"; shift ;;
        *) echo "usage: $0 [--cudnn] [--tests] [--jobs N]" >&2; exit 2 ;;
    esac
    shift
done

CUDA_DIR="${CUDA_DIR:-$ROOT/.cuda}"
PY="$CUDA_DIR/py"
CU="$PY/nvidia/cu13"
CUDNN="$PY/nvidia/cudnn"
MAX_BYTES=$((64 * 1024 * 1024))

# One pinned set: the CUDA 13.0.0 toolkit components (the set PyTorch's cu130 wheels use).
WHEELS=(
    nvidia-cuda-nvcc==13.0.48
    nvidia-cuda-crt==13.0.48
    nvidia-nvvm==13.0.48
    nvidia-cuda-cccl==13.0.50
    nvidia-cuda-runtime==13.0.48
    nvidia-cuda-nvrtc==13.0.48
    nvidia-cublas==13.0.0.19
    nvidia-curand==10.4.0.35
    nvidia-cudnn-cu13==9.13.0.50
)

log() { printf '[build-cuda] %s\n' "$*" >&2; }

# --- 1. wheels ----------------------------------------------------------------------------
stamp="$CUDA_DIR/.wheels"
if [ ! -x "$CU/bin/nvcc" ] || [ "$(cat "$stamp" 2>/dev/null)" != "${WHEELS[*]}" ]; then
    log "installing CUDA wheels into $PY"
    rm -rf "$PY"
    mkdir -p "$CUDA_DIR"
    python3 -m pip install --quiet --no-deps --no-cache-dir --disable-pip-version-check \
        --target "$PY" "${WHEELS[@]}"
    printf '%s' "${WHEELS[*]}" > "$stamp"
fi

# --- 2. toolkit layout --------------------------------------------------------------------
# nvcc.profile looks for cicc in nvvm/bin; the wheel puts it in bin.
mkdir -p "$CU/nvvm/bin"
ln -sfn ../../bin/cicc "$CU/nvvm/bin/cicc"
# `-lcublas` needs libcublas.so; the wheels ship only the versioned names.
for dir in "$CU/lib" "$CUDNN/lib"; do
    for lib in "$dir"/lib*.so.*; do
        base="$(basename "$lib")"
        ln -sfn "$base" "$dir/${base%%.so.*}.so"
    done
done
# Link-time stub of the driver library: every `cu*` entry point cudarc binds, as empty
# functions, under the soname libcuda.so.1 so the real driver library is loaded at run time.
mkdir -p "$CU/lib/stubs"
if [ ! -f "$CU/lib/stubs/libcuda.so" ]; then
    cudarc_dir="$(cd "$ROOT" && cargo metadata --format-version 1 --locked --all-features 2>/dev/null |
        python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="cudarc"))')"
    log "generating libcuda.so stub from $cudarc_dir"
    grep -oE 'pub unsafe fn cu[A-Za-z0-9_]+' "$cudarc_dir/src/driver/sys/mod.rs" |
        awk '{print $4}' | sort -u | sed 's/.*/void &(void) {}/' > "$CU/lib/stubs/cuda_stub.c"
    cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$CU/lib/stubs/libcuda.so" "$CU/lib/stubs/cuda_stub.c"
fi

# --- 3. build -----------------------------------------------------------------------------
export CUDA_HOME="$CU"
export CUDA_PATH="$CU"
export CUDNN_LIB="$CUDNN"
export PATH="$CU/bin:$PATH"
export CUDA_COMPUTE_CAP="${CUDA_COMPUTE_CAP:-90}"
export CUDAFORGE_THREADS="$JOBS"
export LIBRARY_PATH="$CU/lib:$CU/lib/stubs:$CUDNN/lib${LIBRARY_PATH:+:$LIBRARY_PATH}"
log "nvcc: $(nvcc --version | tail -1); compute cap $CUDA_COMPUTE_CAP; features $FEATURES"

start=$(date +%s)
(cd "$ROOT" && cargo build --release --locked -j "$JOBS" -p biomarker-gwas --features "$FEATURES")
end=$(date +%s)
log "build took $((end - start)) s"

# --- 4. pack ------------------------------------------------------------------------------
bin="$ROOT/target/release/biomarker-gwas"
dist="$ROOT/target/release/cuda-dist"
mkdir -p "$dist"
out="$dist/biomarker-gwas-cuda"
[ "$FEATURES" = "cuda,cudnn" ] && out="$dist/biomarker-gwas-cudnn"
strip -o "$out" "$bin"
size=$(stat -c %s "$out")
log "unstripped $(stat -c %s "$bin") bytes; stripped $size bytes ($((size / 1024 / 1024)) MiB): $out"
log "needs at run time: $(readelf -d "$out" | awk '/NEEDED/ {gsub(/[\[\]]/, "", $5); printf "%s ", $5}')"
if [ "$size" -gt "$MAX_BYTES" ]; then
    log "FAIL: $size bytes is over the 64 MiB limit"
    exit 1
fi
echo "$out"

if [ "$TESTS" = 1 ]; then
    # The same release profile and features: only the test crate itself is compiled anew.
    tests=$(cd "$ROOT" && cargo test --release --locked -j "$JOBS" -p biomarker-deep \
        --features "$FEATURES" --no-run --message-format=json |
        python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "it" and m.get("executable"):
        print(m["executable"])')
    strip -o "$dist/biomarker-deep-tests-${FEATURES/,/-}" "$tests"
    log "tests: $dist/biomarker-deep-tests-${FEATURES/,/-} ($(stat -c %s "$dist/biomarker-deep-tests-${FEATURES/,/-}") bytes)"
fi
