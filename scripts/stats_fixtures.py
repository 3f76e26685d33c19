#!/usr/bin/env python3
"""Reference values for crates/stats, written to crates/stats/tests/fixtures/scipy_reference.tsv.

scipy (pinned below) gives every value inside the double range. Log tails beyond it (p below
1e-300, down to ln p ~ -2300) come from mpmath at 60 digits, scipy's own arbitrary-precision
companion, because scipy's log survival functions for t, chi2 and F fall back to log(sf) and
return -inf there. The `source` column says which one produced each row.

    pip install scipy==1.14.1 mpmath==1.3.0
    python3 scripts/stats_fixtures.py
"""
import math
import os

import mpmath as mp
import numpy as np
from scipy import special, stats

mp.mp.dps = 60
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "stats", "tests", "fixtures",
                   "scipy_reference.tsv")
rows = []


def add(func, args, value, source="scipy"):
    args = list(args) + ["NA"] * (3 - len(args))
    rows.append((func, *[a if a == "NA" else repr(float(a)) for a in args], repr(float(value)), source))


def mp_ln_t_two_sided(t, df):
    x = mp.mpf(df) / (df + mp.mpf(t) ** 2)
    return mp.log(mp.betainc(mp.mpf(df) / 2, mp.mpf(1) / 2, 0, x, regularized=True))


def mp_ln_chi2_sf(x, df):
    return mp.log(mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True))


def mp_ln_f_sf(f, d1, d2):
    x = mp.mpf(d2) / (d2 + mp.mpf(d1) * f)
    return mp.log(mp.betainc(mp.mpf(d2) / 2, mp.mpf(d1) / 2, 0, x, regularized=True))


def mp_ln_norm_sf(z):
    return mp.log(mp.erfc(mp.mpf(z) / mp.sqrt(2)) / 2)


# Normal tails; z = 67.8 is ln p ~ -2300.
for z in [-30, -8, -3, -1, -0.1, 0, 1e-8, 0.5, 1, 1.96, 3, 5, 8, 10, 20, 37, 38.5, 40, 50, 67.8]:
    add("ln_norm_sf", [z], stats.norm.logsf(z))
    add("ln_norm_two_sided", [z], math.log(2) + stats.norm.logsf(abs(z)) if z != 0 else 0.0)
for p in [1e-300, 1e-100, 1e-20, 1e-10, 1e-3, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999999, 1 - 1e-12]:
    add("norm_quantile", [p], stats.norm.ppf(p))
for lp in [-2300, -1000, -700, -50, -5, -1, -0.7, -0.3, -1e-3, -1e-10]:
    add("norm_isf_ln", [lp], -special.ndtri_exp(lp))

# Student t, two-sided.
for t, df in [(0.1, 10), (1, 1), (2, 3), (2, 100), (-2.5, 30), (5, 5), (10, 2), (30, 4998),
              (60, 4994), (1e10, 1), (1e100, 3), (80, 2000), (200, 40000), (1e-5, 50), (3, 1e6)]:
    v = stats.t.logsf(abs(t), df) + math.log(2)
    if np.isfinite(v) and v > -690:
        add("ln_t_two_sided", [t, df], v)
    else:
        add("ln_t_two_sided", [t, df], mp_ln_t_two_sided(t, df), "mpmath")
# Near p = 1 and around the branch point of the continued fraction (|t| of 1.2 to 1.8 at
# large df), where the front factor of the tail must keep its digits: mpmath.
for df in [3.5, 100, 4970, 1e6]:
    for t in [1e-3, 0.0056, 0.126, 0.63, 1.2, 1.259, 1.62, 1.75, 2.2]:
        add("ln_t_two_sided", [t, df], mp_ln_t_two_sided(t, df), "mpmath")
# scipy's t.ppf breaks down in the far tail (it returns -1e100 for p = 1e-300, df = 1):
# mpmath there, where df = 1 is the Cauchy quantile -cot(pi p).
add("t_quantile", [1e-300, 1], -mp.cot(mp.pi * mp.mpf("1e-300")), "mpmath")
for p, df in [(1e-300, 5), (1e-200, 40)]:
    lt = mp.findroot(lambda u: mp_ln_t_two_sided(mp.exp(u), df) - mp.log(2 * mp.mpf(p)), 50)
    add("t_quantile", [p, df], -mp.exp(lt), "mpmath")
for p, df in [(1e-50, 5), (1e-8, 3), (0.001, 10), (0.025, 1000), (0.3, 2.5),
              (0.5, 7), (0.6, 30), (0.975, 4), (0.999, 100), (0.4999, 3), (0.9, 0.5)]:
    add("t_quantile", [p, df], stats.t.ppf(p, df))

# Chi-square.
for x, df in [(0.001, 1), (0.5, 1), (3.84, 1), (30, 1), (1400, 1), (1600, 1), (4600, 1),
              (2, 2), (20, 5), (100, 10), (0.3, 0.5), (5000, 4000), (300, 3), (2000, 50)]:
    v = stats.chi2.logsf(x, df)
    if np.isfinite(v) and v > -690:
        add("ln_chi2_sf", [x, df], v)
    else:
        add("ln_chi2_sf", [x, df], mp_ln_chi2_sf(x, df), "mpmath")
for lp in [-2300, -1000, -300, -20, -3, -0.7, -0.1, -1e-6]:
    add("chi2_isf_ln", [lp, 1], special.ndtri_exp(lp - math.log(2)) ** 2)
for lp, df in [(-20, 2), (-3, 5), (-0.1, 10), (-100, 3), (-1e-4, 4), (-1, 0.7)]:
    add("chi2_isf_ln", [lp, df], stats.chi2.isf(math.exp(lp), df))
for lp, df in [(-1000, 4), (-2300, 10)]:
    x = mp.findroot(lambda x: mp_ln_chi2_sf(x, df) - lp, 2 * -lp)
    add("chi2_isf_ln", [lp, df], x, "mpmath")

# F.
for f, d1, d2 in [(0.5, 1, 10), (1, 3, 20), (4, 2, 100), (10, 5, 4990), (100, 1, 50),
                  (1e4, 2, 3000), (0.01, 4, 4)]:
    v = stats.f.logsf(f, d1, d2)
    if np.isfinite(v) and v > -690:
        add("ln_f_sf", [f, d1, d2], v)
    else:
        add("ln_f_sf", [f, d1, d2], mp_ln_f_sf(f, d1, d2), "mpmath")

# Gamma (shape, scale).
for x, k, s in [(0.5, 0.5, 1), (2, 2, 1.5), (10, 3, 2), (0.01, 0.1, 3), (100, 50, 1.8),
                (3, 7, 0.2), (1e-4, 2, 1)]:
    add("gamma_cdf", [x, k, s], stats.gamma.cdf(x, k, scale=s))
    v = stats.gamma.logsf(x, k, scale=s)
    add("ln_gamma_sf", [x, k, s], v)
add("ln_gamma_sf", [3000, 2, 1], mp.log(mp.gammainc(2, 3000, mp.inf, regularized=True)), "mpmath")

# Beta quantiles.
for p, a, b in [(0.5, 1, 1), (0.1, 2, 3), (0.9, 2, 3), (1e-10, 5, 0.5), (0.3, 0.5, 0.5),
                (0.99, 0.2, 4), (1e-200, 2, 2), (0.5, 2500, 0.5), (0.01, 300, 400),
                (0.999999, 3, 1.5), (0.2, 0.05, 0.05), (1e-100, 0.5, 0.5), (1e-250, 30, 2)]:
    add("beta_quantile", [p, a, b], stats.beta.ppf(p, a, b))

# lambda GC and BH on fixed vectors, one row per input (index in first arg).
rng = np.random.default_rng(20261123)
p_gc = rng.uniform(size=201) ** 1.1
lam = np.median(stats.chi2.isf(p_gc, 1)) / 0.4549364
for i, p in enumerate(p_gc):
    add("lambda_gc_input", [i, p], lam)
p_bh = rng.uniform(size=50) ** 3
q_bh = stats.false_discovery_control(p_bh, method="bh")
for i, (p, q) in enumerate(zip(p_bh, q_bh)):
    add("benjamini_hochberg", [i, p], q)

with open(OUT, "w") as fh:
    fh.write("func\targ1\targ2\targ3\texpected\tsource\n")
    for r in rows:
        fh.write("\t".join(r) + "\n")
print(f"wrote {len(rows)} rows to {OUT}")
