#!/usr/bin/env bash
# Peer of the live genotype-PCA test (crates/reduce/tests/it/genotype.rs): Debian's plink2.
# Idempotent and non-interactive. (Regenerating the scikit-learn fixtures is not part of the
# tests; scripts/make-pca-feature-fixtures.py says which packages it needs.)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v plink2 >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends plink2
fi
