#!/usr/bin/env python3
"""Peers for scripts/bench-mmd.sh: the Gaussian-kernel unbiased MMD² permutation test at
n subjects per group, d features, B permutations,

  numpy   a batched implementation: the kernel matrix built once (median heuristic, sigma
          convention), permutations evaluated B_block at a time as one matrix product
          K0 @ S (K0 = kernel without its diagonal, S = 0/1 indicators of group a), float64;
  hyppo   hyppo 0.5.2 MMD().test(x, y, reps, auto=False): too slow to run 1,000 permutations
          (about 80 minutes at n = 2,000), so it runs with two small rep counts and the time
          of 1,000 is extrapolated linearly (setup + 1000 * per-permutation time).

Prints one line per measurement: `<name> <seconds...>`.
"""
import argparse
import time

import numpy as np


def data(n, d, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(n, d))
    y[:, 0] += 0.1
    return x, y


def numpy_batched(x, y, perms, block=256, seed=7):
    z = np.vstack([x, y])
    big_n, n = len(z), len(x)
    m = big_n - n
    sq = np.einsum("ij,ij->i", z, z)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (z @ z.T)
    np.maximum(d2, 0.0, out=d2)
    np.fill_diagonal(d2, 0.0)
    med = np.median(np.sqrt(d2[np.triu_indices(big_n, 1)]))
    k0 = np.exp(-d2 / (2.0 * med * med))
    np.fill_diagonal(k0, 0.0)
    r0 = k0.sum(axis=1)
    t0 = r0.sum()

    def unbiased(s):
        xx = np.einsum("ij,ij->j", s, k0 @ s)
        sr = r0 @ s
        xy = sr - xx
        yy = t0 - 2.0 * sr + xx
        return xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (n * m)

    obs_s = np.zeros((big_n, 1))
    obs_s[:n] = 1.0
    obs = unbiased(obs_s)[0]
    rng = np.random.default_rng(seed)
    null = []
    for start in range(0, perms, block):
        cols = min(block, perms - start)
        s = np.zeros((big_n, cols))
        for c in range(cols):
            s[rng.permutation(big_n)[:n], c] = 1.0
        null.append(unbiased(s))
    null = np.concatenate(null)
    return obs, (1 + np.sum(null >= obs)) / (1 + perms)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--perms", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hyppo-reps", default="1,3", help="two small rep counts for the extrapolation")
    ap.add_argument("--skip-hyppo", action="store_true")
    a = ap.parse_args()
    x, y = data(a.n, a.d)
    times = []
    for _ in range(a.repeats):
        t = time.perf_counter()
        obs, p = numpy_batched(x, y, a.perms)
        times.append(time.perf_counter() - t)
        print(f"# numpy: MMD2_u = {obs:.6e}, p = {p:.4f}", flush=True)
    print("numpy", " ".join(f"{t:.4f}" for t in times), flush=True)
    if a.skip_hyppo:
        return
    from hyppo.ksample import MMD

    MMD().test(*data(30, 3), reps=5, auto=False)  # numba compilation outside the timing
    r1, r2 = (int(v) for v in a.hyppo_reps.split(","))
    measured = []
    for reps in (r1, r2):
        t = time.perf_counter()
        stat, p = MMD().test(x, y, reps=reps, auto=False)
        measured.append(time.perf_counter() - t)
        print(f"# hyppo reps={reps}: {measured[-1]:.2f} s (stat {stat:.4e}, p {p:.3f})", flush=True)
    per = (measured[1] - measured[0]) / (r2 - r1)
    setup = measured[0] - r1 * per
    print(f"# hyppo: setup {setup:.2f} s, {per:.3f} s per permutation", flush=True)
    print("hyppo_extrapolated", f"{setup + a.perms * per:.2f}", flush=True)


if __name__ == "__main__":
    main()
