#!/usr/bin/env python3
"""Reference t-SNE from scikit-learn for crates/deep/src/latent.rs: the joint probabilities of
TSNE(method="exact") (sklearn.manifold._t_sne._joint_probabilities on squared Euclidean
distances) and the embedding and KL divergence it reaches from a given start. Data: three
Gaussian clusters in 5 dimensions, 30 points, perplexity 5. Writes
crates/deep/tests/fixtures/tsne.json.
Usage: python3 scripts/tsne_fixtures.py   (scikit-learn 1.5)
"""
import json
import pathlib

import numpy as np
from scipy.spatial.distance import squareform
from sklearn.manifold import TSNE
from sklearn.manifold._t_sne import _joint_probabilities
from sklearn.metrics import pairwise_distances

rng = np.random.default_rng(3)
centres = rng.normal(0.0, 4.0, size=(3, 5))
labels = np.repeat(np.arange(3), 10)
x = centres[labels] + rng.normal(size=(30, 5))
start = (rng.normal(size=(30, 2)) * 1e-4).astype(np.float32)
perplexity = 5.0
p = squareform(_joint_probabilities(pairwise_distances(x, squared=True), perplexity, 0))
tsne = TSNE(n_components=2, perplexity=perplexity, init=start.copy(), method="exact", random_state=0)
y = tsne.fit_transform(x)
out = pathlib.Path(__file__).resolve().parent.parent / "crates/deep/tests/fixtures/tsne.json"
out.write_text(
    json.dumps(
        {
            "x": x.tolist(),
            "labels": labels.tolist(),
            "start": start.astype(np.float64).tolist(),
            "perplexity": perplexity,
            "p": p.tolist(),
            "embedding": y.astype(np.float64).tolist(),
            "kl": float(tsne.kl_divergence_),
        }
    )
    + "\n"
)
print("kl", tsne.kl_divergence_, "iterations", tsne.n_iter_)
