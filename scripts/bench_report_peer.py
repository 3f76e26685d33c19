#!/usr/bin/env python3
"""The peer of the Manhattan benchmark: matplotlib (Agg) drawing the same 10^6 points as a
Manhattan plot the usual way (every point, alternating chromosome colours, the two threshold
lines, 1400x480 px) into a PNG, timed over repeated runs. Prints the median in the same
key/value form as the Rust benchmark.

    pip install matplotlib==3.9.2 numpy==2.1.3
    python3 scripts/bench_report_peer.py POINTS.tsv [REPS]
"""
import io
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

path = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
data = np.loadtxt(path, delimiter="\t", skiprows=1)
x, y, chrom = data[:, 0], data[:, 1], data[:, 2].astype(int)
colours = np.where(chrom % 2 == 0, "#1f4e79", "#6fa8dc")

times = []
size = 0
for _ in range(reps):
    t0 = time.perf_counter()
    fig, ax = plt.subplots(figsize=(14, 4.8), dpi=100)
    ax.scatter(x, y, c=colours, s=4, linewidths=0)
    ax.axhline(-np.log10(5e-8), color="#c81e1e", lw=1)
    ax.axhline(5, color="#7878c8", lw=1)
    ax.set_xlabel("Chromosome")
    ax.set_ylabel("-log10 p")
    ax.set_title("bench")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    times.append(time.perf_counter() - t0)
    size = buf.tell()
print(f"peer\tmatplotlib {matplotlib.__version__}")
print(f"peer_median_png_s\t{statistics.median(times):.4f}")
print(f"peer_png_bytes\t{size}")
