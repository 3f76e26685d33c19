#!/usr/bin/env python3
"""Reference fits for crates/assoc's regression solvers: statsmodels OLS and Logit on a small
seeded data set, written to crates/assoc/tests/fixtures/regress/.

    pip install statsmodels==0.14.4 numpy scipy pandas
    python3 scripts/regress_fixtures.py
"""
import os

import numpy as np
from scipy import stats
from statsmodels.discrete.discrete_model import Logit
from statsmodels.regression.linear_model import OLS

out = os.path.join(os.path.dirname(__file__), "..", "crates", "assoc", "tests", "fixtures", "regress")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261123)
n = 80
x = np.column_stack([np.ones(n), rng.normal(size=n), rng.normal(50, 10, size=n), rng.integers(0, 3, size=n)])
y = x @ np.array([1.0, 0.5, 0.02, -0.3]) + rng.normal(size=n)
b = (rng.uniform(size=n) < 1 / (1 + np.exp(-(x @ np.array([-2.0, 0.8, 0.03, 0.5]))))).astype(float)
with open(os.path.join(out, "data.tsv"), "w") as fh:
    fh.write("x0\tx1\tx2\tx3\ty\tb\n")
    for i in range(n):
        fh.write("\t".join(repr(float(v)) for v in [*x[i], y[i], b[i]]) + "\n")

def write(name, params, bse, stat, log_p):
    with open(os.path.join(out, name), "w") as fh:
        fh.write("coef\tse\tstat\tln_p\n")
        for row in zip(params, bse, stat, log_p):
            fh.write("\t".join(repr(float(v)) for v in row) + "\n")

r = OLS(y, x).fit()
write("ols.tsv", r.params, r.bse, r.tvalues, np.log(2) + stats.t.logsf(np.abs(r.tvalues), r.df_resid))
r = Logit(b, x).fit(disp=0, method="newton", tol=1e-14, maxiter=100)
write("logit.tsv", r.params, r.bse, r.tvalues, np.log(2) + stats.norm.logsf(np.abs(r.tvalues)))
