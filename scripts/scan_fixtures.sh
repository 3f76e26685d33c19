#!/usr/bin/env bash
# Regenerates crates/assoc/tests/fixtures/scan_sim: a small simulated PLINK file set (400
# samples x 240 variants, 1% missing calls, edge-case variants first) written with
# biomarker_tables::plink::BedWriter, and what Debian's plink2 (2.00a3.5) and statsmodels
# make of it. Needs: apt-get install plink2; pip install statsmodels==0.14.4 pandas numpy.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/crates/assoc/tests/fixtures/scan_sim"
mkdir -p "$out"
cd "$root"
cargo run -q -p biomarker-assoc --example scan_data -- "$out/sim" 400 240 0.01 3 7
cd "$out"
plink2 --version
# Every phenotype, PLINK 2 defaults (A1 = minor allele, Firth fallback).
plink2 --bfile sim --pheno sim.pheno --covar sim.covar --glm hide-covar cols=+a1freq \
  --out plink2 >/dev/null
# A1 = ALT for every variant (omit-ref).
plink2 --bfile sim --pheno sim.pheno --pheno-name q2 --covar sim.covar \
  --glm hide-covar omit-ref cols=+a1freq --out plink2_omitref >/dev/null
# plink2 a3.5 fits logistic models in single precision; standardising the covariates keeps
# its rounding small (the model, hence the genotype's estimate, is the same).
plink2 --bfile sim --pheno sim.pheno --pheno-name b1 --covar sim.covar --covar-variance-standardize \
  --glm hide-covar cols=+a1freq --out plink2_std >/dev/null
rm -f ./*.log
python3 "$root/scripts/scan_statsmodels.py" "$out"
ls -la "$out"
