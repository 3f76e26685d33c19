#!/usr/bin/env python3
"""Double-precision logistic fits of the scan fixture's case/control phenotype (b1) with
statsmodels Logit, one per variant that plink2 fitted without Firth: the reference for the
logistic scan where plink2 a3.5's single-precision arithmetic shows in the 4th digit.

    python3 scripts/scan_statsmodels.py crates/assoc/tests/fixtures/scan_sim
"""
import sys

import numpy as np
import pandas as pd
from statsmodels.discrete.discrete_model import Logit

d = sys.argv[1]
fam = pd.read_csv(f"{d}/sim.fam", sep=r"\s+", header=None)
bim = pd.read_csv(f"{d}/sim.bim", sep=r"\s+", header=None)
n, m = len(fam), len(bim)
raw = np.fromfile(f"{d}/sim.bed", dtype=np.uint8)[3:].reshape(m, -1)
ph = pd.read_csv(f"{d}/sim.pheno", sep="\t")
cv = pd.read_csv(f"{d}/sim.covar", sep="\t")
ref = pd.read_csv(f"{d}/plink2.b1.glm.logistic.hybrid", sep="\t")
covs = cv[["age", "sex", "pc1", "pc2", "pc3"]].to_numpy(float)
y = ph["b1"].to_numpy(float) - 1
with open(f"{d}/statsmodels.b1.tsv", "w") as fh:
    fh.write("ID\tA1\tOBS_CT\tBETA\tSE\tZ\tLOG10P\n")
    for j in range(m):
        row = ref.iloc[j]
        if row["ERRCODE"] != "." or row["FIRTH?"] == "Y":
            continue
        codes = np.stack([(raw[j] >> (2 * k)) & 3 for k in range(4)], 1).reshape(-1)[:n]
        alt = np.array([2.0, np.nan, 1.0, 0.0])[codes]
        g = alt if row["A1"] == bim.iloc[j, 4] else 2 - alt
        X = np.column_stack([np.ones(n), covs, g])
        ok = ~np.isnan(X).any(axis=1)
        r = Logit(y[ok], X[ok]).fit(disp=0, method="newton", tol=1e-12, maxiter=100)
        from scipy.stats import norm
        log10p = -(np.log(2) + norm.logsf(abs(r.tvalues[-1]))) / np.log(10)
        fh.write(f"{row['ID']}\t{row['A1']}\t{ok.sum()}\t{float(r.params[-1])!r}\t{float(r.bse[-1])!r}\t{float(r.tvalues[-1])!r}\t{float(log10p)!r}\n")
