#!/usr/bin/env python3
"""Fixtures for the deep-feature PCA of biomarker-reduce, made with scikit-learn.

Writes into crates/reduce/tests/fixtures/features/:
  features.tsv        FeatureTable input: 2 structures x 60 subjects x 8 features
                      (correlated Gaussian features with distinct variances).
  sklearn-<mode>.tsv  for mode in (raw, scaled): per structure and component, the
                      component loadings, explained variance, ratio, and the scores of every
                      subject, from sklearn.decomposition.PCA(n_components=4, svd_solver="full")
                      fitted on the first 40 subjects of each structure (scores of subjects
                      41-60 come from .transform, i.e. apply without refitting). "scaled"
                      first applies sklearn.preprocessing.StandardScaler fitted on the same 40.

Usage: python3 scripts/make-pca-feature-fixtures.py
Needs: pip install scikit-learn==1.5.2 numpy==2.1.3 scipy==1.14.1 (the versions that made the
stored fixtures).
"""
import pathlib

import numpy as np
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

OUT = pathlib.Path(__file__).resolve().parent.parent / "crates/reduce/tests/fixtures/features"
N, D, K, N_FIT = 60, 8, 4, 40
STRUCTURES = ["hippocampus_left", "thalamus_right"]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20260523)
    data = {}
    for s, structure in enumerate(STRUCTURES):
        # Distinct variances along a random rotation, plus a feature-specific offset and unit.
        basis, _ = np.linalg.qr(rng.standard_normal((D, D)))
        sd = np.array([5.0, 3.0, 2.0, 1.2, 0.8, 0.5, 0.3, 0.1]) * (1 + s)
        latent = rng.standard_normal((N, D)) * sd
        x = latent @ basis.T * np.linspace(1, 3, D) + np.arange(D) * 10.0
        data[structure] = x
    names = [f"z_{j}" for j in range(D)]
    with open(OUT / "features.tsv", "w") as f:
        f.write("## checkpoint_sha256=fixture\n")
        f.write("IID\tstructure\t" + "\t".join(names) + "\n")
        for structure in STRUCTURES:
            for i in range(N):
                f.write(f"s{i:03d}\t{structure}\t" + "\t".join(repr(float(v)) for v in data[structure][i]) + "\n")
    for mode in ("raw", "scaled"):
        with open(OUT / f"sklearn-{mode}.tsv", "w") as f:
            f.write("structure\tcomponent\tkind\tindex\tvalue\n")
            for structure in STRUCTURES:
                x = data[structure]
                fit_x = x[:N_FIT]
                if mode == "scaled":
                    scaler = StandardScaler().fit(fit_x)
                    fit_x, all_x = scaler.transform(fit_x), scaler.transform(x)
                else:
                    all_x = x
                pca = PCA(n_components=K, svd_solver="full").fit(fit_x)
                scores = pca.transform(all_x)
                for c in range(K):
                    f.write(f"{structure}\t{c + 1}\texplained_variance\t0\t{float(pca.explained_variance_[c])!r}\n")
                    f.write(f"{structure}\t{c + 1}\texplained_variance_ratio\t0\t{float(pca.explained_variance_ratio_[c])!r}\n")
                    for j in range(D):
                        f.write(f"{structure}\t{c + 1}\tloading\t{j}\t{float(pca.components_[c, j])!r}\n")
                    for i in range(N):
                        f.write(f"{structure}\t{c + 1}\tscore\t{i}\t{float(scores[i, c])!r}\n")


if __name__ == "__main__":
    main()
