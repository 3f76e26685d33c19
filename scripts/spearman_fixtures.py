#!/usr/bin/env python3
"""Reference Spearman correlations and two-sided p-values from scipy.stats.spearmanr for
crates/deep/src/aux_tasks.rs (ties included: scipy ranks ties by their mean rank and takes the
p-value from Student's t with n - 2 degrees of freedom). Writes
crates/deep/tests/fixtures/spearman.json.
Usage: python3 scripts/spearman_fixtures.py   (scipy 1.14)
"""
import json
import pathlib

import numpy as np
from scipy.stats import spearmanr

rng = np.random.default_rng(11)
cases = []
for n, strength, tied in [(12, 1.0, False), (30, 0.3, True), (50, 0.0, False), (8, -2.0, True), (200, 0.15, True)]:
    x = rng.normal(size=n)
    y = strength * x + rng.normal(size=n)
    if tied:
        x = np.round(x)  # few distinct values, like a 0/1/2 dose or an age group
    res = spearmanr(x, y)
    cases.append({"x": x.tolist(), "y": y.tolist(), "rho": float(res.statistic), "p": float(res.pvalue)})
out = pathlib.Path(__file__).resolve().parent.parent / "crates/deep/tests/fixtures/spearman.json"
out.write_text(json.dumps(cases) + "\n")
for c in cases:
    print(len(c["x"]), c["rho"], c["p"])
