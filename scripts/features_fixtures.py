#!/usr/bin/env python3
"""Reference values for crates/assoc's feature association (src/features): statsmodels OLS and
Logit model summaries, compare_lr_test of nested models, and scikit-learn's roc_auc_score, on
a small seeded data set; written to crates/assoc/tests/fixtures/features/ as `key<TAB>value`.

    pip install statsmodels==0.14.4 scikit-learn==1.5.2 numpy scipy
    python3 scripts/features_fixtures.py
"""
import os

import numpy as np
from statsmodels.discrete.discrete_model import Logit
from statsmodels.regression.linear_model import OLS
from sklearn.metrics import roc_auc_score

out = os.path.join(os.path.dirname(__file__), "..", "crates", "assoc", "tests", "fixtures", "features")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(4242)
n = 150
age = rng.normal(70, 7, n)
sex = rng.integers(1, 3, n).astype(float)
vol = 4000 - 25 * (age - 70) + rng.normal(0, 300, n)
deep = 0.03 * (age - 70) + rng.normal(0, 1, n)
# Ties in the score for the AUC check: rounded volume.
score = np.round(vol / 200)
b = (rng.uniform(size=n) < 1 / (1 + np.exp(-(-0.5 + 0.8 * deep - 0.001 * (vol - 4000))))).astype(float)
cols = {"age": age, "sex": sex, "vol": vol, "deep": deep, "score": score, "b": b}
with open(os.path.join(out, "data.tsv"), "w") as fh:
    fh.write("\t".join(cols) + "\n")
    for i in range(n):
        fh.write("\t".join(repr(float(cols[c][i])) for c in cols) + "\n")

ref = {}
def put(prefix, name, values):
    for i, v in enumerate(np.atleast_1d(np.asarray(values, dtype=float)).ravel()):
        ref[f"{prefix}.{name}.{i}"] = float(v)

def design(*names):
    return np.column_stack([np.ones(n)] + [cols[c] for c in names])

# OLS: the deep feature on age with sex as covariate; age on volume (+ deep) for the LR test.
for key, y, names in [("ols", deep, ("age", "sex")), ("ols_vol", age, ("vol", "sex")),
                      ("ols_both", age, ("vol", "deep", "sex"))]:
    r = OLS(y, design(*names)).fit()
    for name in ["params", "bse", "tvalues", "pvalues"]:
        put(key, name, getattr(r, name))
    put(key, "conf_int", r.conf_int())  # rows (low, high) flattened
    for name in ["rsquared", "rsquared_adj", "fvalue", "f_pvalue", "llf", "aic"]:
        put(key, name, getattr(r, name))
lr = OLS(age, design("vol", "deep", "sex")).fit().compare_lr_test(OLS(age, design("vol", "sex")).fit())
put("lr_ols", "stat", lr[0]); put("lr_ols", "p", lr[1]); put("lr_ols", "df", lr[2])

for key, names in [("logit", ("deep", "age", "sex")), ("logit_vol", ("vol", "age", "sex"))]:
    r = Logit(b, design(*names)).fit(disp=0, method="newton", tol=1e-14, maxiter=100)
    for name in ["params", "bse", "tvalues", "pvalues"]:
        put(key, name, getattr(r, name))
    put(key, "conf_int", r.conf_int())
    put(key, "llf", r.llf); put(key, "deviance", -2 * r.llf); put(key, "aic", r.aic)
    put(key, "auc", roc_auc_score(b, r.predict()))
full = Logit(b, design("vol", "deep", "age", "sex")).fit(disp=0, method="newton", tol=1e-14, maxiter=100)
red = Logit(b, design("vol", "age", "sex")).fit(disp=0, method="newton", tol=1e-14, maxiter=100)
# compare_lr_test exists only for OLS results; for Logit it is the same formula by hand.
stat = 2 * (full.llf - red.llf)
from scipy import stats
put("lr_logit", "stat", stat); put("lr_logit", "p", stats.chi2.sf(stat, 1))
put("auc_ties", "auc", roc_auc_score(b, score))
with open(os.path.join(out, "reference.tsv"), "w") as fh:
    for k, v in ref.items():
        fh.write(f"{k}\t{v!r}\n")
