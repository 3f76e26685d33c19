#!/usr/bin/env bash
# Peers of the PCA tests and fixture scripts: Debian's plink2 (genotype PCs) and
# scikit-learn (deep-feature PCA fixtures). Idempotent and non-interactive.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v plink2 >/dev/null 2>&1; then
    apt-get update
    apt-get install -y --no-install-recommends plink2
fi
python3 -m pip install --quiet "scikit-learn==1.5.2" "numpy==2.1.3" "scipy==1.14.1"
