#!/usr/bin/env python3
"""Reference values for crates/report's QQ computations, from numpy/scipy.

Writes crates/report/tests/fixtures/qq_pvalues.tsv (the input: 2,001 p-values as -log10 p,
inflated by a factor 1.1 on the chi-square scale, plus three far below the double range)
and crates/report/tests/fixtures/qq_reference.tsv (lambda GC as
median(chi2.isf(p, 1)) / 0.4549364, and the 95% band of the i-th smallest of n uniform
p-values as -log10 of scipy.stats.beta.ppf(0.975 / 0.025, i, n - i + 1)).

    pip install numpy==2.1.3 scipy==1.14.1
    python3 scripts/report_fixtures.py
"""
import math
import os

import numpy as np
from scipy import stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "crates", "report", "tests", "fixtures")
os.makedirs(OUT, exist_ok=True)

rng = np.random.default_rng(20261123)
u = rng.uniform(size=1998)
chi = stats.chi2.isf(u, 1) * 1.1
log10p = [float(v) for v in -stats.chi2.logsf(chi, 1) / math.log(10)]
# far past the double range: -log10 p given directly, as LOG10P columns carry them
log10p += [400.0, 559.73, 1000.0]

with open(os.path.join(OUT, "qq_pvalues.tsv"), "w") as f:
    f.write("LOG10P\n")
    for v in log10p:
        f.write(f"{v!r}\n")

# lambda from log p: chi2.isf of p = 10^-l; the three huge ones are only ranks above the median
lp = np.array(log10p)
p = 10.0 ** (-lp)
lam = float(np.median(stats.chi2.isf(p, 1)) / 0.4549364)

rows = [("lambda_gc", "NA", "NA", repr(lam), "NA")]
for n in (2001, 1_000_000):
    for i in (1, 2, 10, 100, 1000, 2001, 500_000, 1_000_000):
        if i > n:
            continue
        lower = -math.log10(stats.beta.ppf(0.975, i, n - i + 1))
        upper = -math.log10(stats.beta.ppf(0.025, i, n - i + 1))
        rows.append(("band", str(n), str(i), repr(lower), repr(upper)))

with open(os.path.join(OUT, "qq_reference.tsv"), "w") as f:
    f.write("quantity\tn\ti\tvalue_or_lower\tupper\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print(f"lambda = {lam}")
