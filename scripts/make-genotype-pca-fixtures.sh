#!/usr/bin/env bash
# Fixtures for the genotype PCA of biomarker-reduce: plink2's PCA of the structured test
# cohort (600 samples x 4,000 variants, 7 subpopulations, 1% missing calls), which the tests
# regenerate bit for bit from the same generator (crates/reduce/tests/it/cohort.rs).
#
# Writes crates/reduce/tests/fixtures/genotype/{plink2.eigenvec,plink2.eigenval,cohort.bed.sha256}.
# Needs plink2 (scripts/install/pca.sh installs Debian's). Usage: scripts/make-genotype-pca-fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=crates/reduce/tests/fixtures/genotype
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo run -q -p biomarker-reduce --example structured_cohort -- "$tmp/cohort" 600 4000 0.01 7
# Missing calls are mean-imputed, as biomarker-gwas does ('meanimpute'); the exact
# (non-approx) eigendecomposition is the reference.
plink2 --bfile "$tmp/cohort" --pca 5 meanimpute --threads 2 --out "$tmp/plink2" > "$tmp/log.txt"
mkdir -p "$out"
cp "$tmp/plink2.eigenvec" "$tmp/plink2.eigenval" "$out/"
(cd "$tmp" && sha256sum cohort.bed | cut -d' ' -f1) > "$out/cohort.bed.sha256"
plink2 --version | head -1 > "$out/plink2.version"
echo "wrote $out:"; ls -l "$out"
