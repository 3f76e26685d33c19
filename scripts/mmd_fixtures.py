#!/usr/bin/env python3
"""Reference values for the MMD two-sample tests (crates/assoc/tests/mmd.rs).

Writes small fixtures to crates/assoc/tests/fixtures/mmd/:
  case_<name>.tsv   group (a/b) and features f0..f{d-1} of each subject
  reference.tsv     case, quantity, value

Peers and what they give:
  hyppo 0.5.2  MMD(compute_kernel="gaussian").test(x, y, reps, auto=False) permutation
               p-values (unbiased and biased), and its statistic on fixed relabellings (its
               statistic is a rescaled distance correlation: only the ratio to MMD² is
               comparable, and that ratio must be constant under relabelling; it is for
               the default bias=False and the unbiased MMD², while hyppo's bias=True
               statistic is not a constant multiple of the biased MMD², so its values
               are stored but not compared);
  numpy/scipy  exact permutation p-values by enumerating every split of a tiny case, and
               textbook Hotelling T² (scipy.stats.f) and DFDA (scipy.stats.chi2) p-values.

Usage: python3 scripts/mmd_fixtures.py   (pip install hyppo==0.5.2; takes about a minute)
"""
import itertools
import os
import sys

import numpy as np
from scipy import stats
from scipy.spatial.distance import cdist

OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "assoc", "tests", "fixtures", "mmd")
HYPPO_REPS = 4000
RELABELLINGS = 5


def cases():
    rng = np.random.default_rng(20240611)
    out = {}
    x = rng.normal(size=(20, 3))
    y = rng.normal(size=(20, 3)) + np.array([0.6, 0.0, 0.0])
    out["shift"] = (x, y)
    out["null_unequal"] = (rng.normal(size=(15, 2)), rng.normal(size=(25, 2)))
    out["scale"] = (rng.normal(size=(18, 4)), 1.8 * rng.normal(size=(18, 4)))
    out["tiny"] = (rng.normal(size=(4, 2)), rng.normal(size=(5, 2)) + 0.8)
    return out


def gaussian_kernel(z):
    d = cdist(z, z)
    n = len(z)
    med = np.median(d[~np.eye(n, dtype=bool)])
    return np.exp(-(d ** 2) / (2 * med ** 2))


def mmd2(k, members, biased):
    n_all = len(k)
    a = np.zeros(n_all, dtype=bool)
    a[list(members)] = True
    b = ~a
    n, m = a.sum(), b.sum()
    kxx, kyy, kxy = k[np.ix_(a, a)], k[np.ix_(b, b)], k[np.ix_(a, b)]
    if biased:
        return kxx.mean() + kyy.mean() - 2 * kxy.mean()
    return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2 * kxy.mean())


def exact_p(k, n, stat):
    """Fraction of all splits whose statistic is >= the observed (relative tolerance 1e-9)."""
    vals = np.array([stat(k, c) for c in itertools.combinations(range(len(k)), n)])
    obs = stat(k, range(n))
    scale = max(abs(obs), np.abs(vals).max())
    return np.mean(vals >= obs - 1e-9 * scale), len(vals)


def hotelling(x, y):
    n, m, d = len(x), len(y), x.shape[1]
    s = ((n - 1) * np.cov(x, rowvar=False) + (m - 1) * np.cov(y, rowvar=False)) / (n + m - 2)
    diff = x.mean(0) - y.mean(0)
    t2 = n * m / (n + m) * diff @ np.linalg.solve(s, diff)
    f = (n + m - d - 1) / (d * (n + m - 2)) * t2
    return t2, stats.f.sf(f, d, n + m - d - 1)


def dfda(x, y):
    n, m = len(x), len(y)
    z = np.vstack([x, y])
    k = min(int(round(np.sqrt((n + m) / 2))), x.shape[1])
    zc = z - z.mean(0)
    _, _, vt = np.linalg.svd(zc, full_matrices=False)
    proj = z @ vt[:k].T
    diff = proj[:n].mean(0) - proj[n:].mean(0)
    cov = np.atleast_2d(np.cov(proj, rowvar=False))
    t = diff @ np.linalg.solve((1 / n + 1 / m) * cov + 1e-8 * np.eye(k), diff)
    return t, stats.chi2.sf(t, k)


def main():
    from hyppo.ksample import MMD  # imported late so --help works without it

    os.makedirs(OUT, exist_ok=True)
    rows = []
    rng = np.random.default_rng(7)
    for name, (x, y) in cases().items():
        z = np.vstack([x, y])
        n = len(x)
        with open(os.path.join(OUT, f"case_{name}.tsv"), "w") as f:
            f.write("group\t" + "\t".join(f"f{j}" for j in range(z.shape[1])) + "\n")
            for i, row in enumerate(z):
                f.write(("a" if i < n else "b") + "\t" + "\t".join(repr(float(v)) for v in row) + "\n")
        k = gaussian_kernel(z)
        relabellings = [np.arange(n)] + [np.sort(rng.permutation(len(z))[:n]) for _ in range(RELABELLINGS - 1)]
        for r, members in enumerate(relabellings):
            rows.append((name, f"relabel{r}_members", " ".join(map(str, members))))
        for biased in (False, True):
            tag = "biased" if biased else "unbiased"
            rows.append((name, f"mmd2_{tag}", mmd2(k, range(n), biased)))
            if name == "tiny":
                p, count = exact_p(k, n, lambda kk, c: mmd2(kk, c, biased))
                rows.append((name, f"exact_p_{tag}", p))
                rows.append((name, "splits", count))
                continue
            test = MMD(compute_kernel="gaussian", bias=biased)
            stat, pval = test.test(x, y, reps=HYPPO_REPS, auto=False)
            rows.append((name, f"hyppo_p_{tag}", pval))
            rows.append((name, f"hyppo_reps_{tag}", HYPPO_REPS))
            # hyppo's statistic on fixed relabellings: group a = the listed rows of z.
            for r, members in enumerate(relabellings):
                mask = np.zeros(len(z), dtype=bool)
                mask[members] = True
                hs = MMD(compute_kernel="gaussian", bias=biased).statistic(z[mask], z[~mask])
                rows.append((name, f"relabel{r}_hyppo_{tag}", hs))
                rows.append((name, f"relabel{r}_mmd2_{tag}", mmd2(k, members, biased)))
        if name == "tiny":
            # The energy distance (V-statistic) enumerated exactly, too.
            dist = cdist(z, z)
            p, _ = exact_p(-dist, n, lambda kk, c: mmd2(kk, c, True))
            rows.append((name, "exact_p_energy", p))
            continue
        t2, p = hotelling(x, y)
        rows += [(name, "hotelling_t2", t2), (name, "hotelling_p", p)]
        t, p = dfda(x, y)
        rows += [(name, "dfda_t", t), (name, "dfda_p", p)]
        print(name, "done", file=sys.stderr)
    with open(os.path.join(OUT, "reference.tsv"), "w") as f:
        f.write("case\tquantity\tvalue\n")
        for case, q, v in rows:
            f.write(f"{case}\t{q}\t{v if isinstance(v, str) else repr(float(v))}\n")


if __name__ == "__main__":
    main()
