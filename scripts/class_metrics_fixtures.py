#!/usr/bin/env python3
"""Reference classifier metrics from scikit-learn for crates/deep/src/class_metrics.rs:
roc_auc_score (binary; multiclass one-vs-rest macro), accuracy_score, recall (sensitivity) and
specificity from the confusion matrix (macro means for several classes). Probabilities are
multiples of 1/8 so that ties occur. Writes crates/deep/tests/fixtures/class_metrics.json.
Usage: python3 scripts/class_metrics_fixtures.py   (scikit-learn 1.5)
"""
import json
import pathlib

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score

rng = np.random.default_rng(7)
cases = []
for k, n in [(2, 40), (3, 45)]:
    labels = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[labels]
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    # Multiples of 1/8 summing to 1 (largest remainder): exact in binary, so ties survive
    # any JSON reader.
    eighths = np.floor(probs * 8).astype(int)
    for row, p in zip(eighths, probs):
        rest = p * 8 - row
        for j in np.argsort(-rest)[: 8 - row.sum()]:
            row[j] += 1
    probs = eighths / 8.0
    # Prediction: the most probable class, the lowest index on ties (as numpy's argmax).
    pred = probs.argmax(1)
    cm = confusion_matrix(labels, pred, labels=list(range(k)))
    recall = np.diag(cm) / cm.sum(1)
    tn = cm.sum() - cm.sum(0) - cm.sum(1) + np.diag(cm)
    spec = tn / (cm.sum() - cm.sum(1))
    if k == 2:
        auc = roc_auc_score(labels, probs[:, 1])
        sens, specificity = recall[1], spec[1]
    else:
        auc = roc_auc_score(labels, probs, multi_class="ovr", average="macro")
        sens, specificity = recall.mean(), spec.mean()
    cases.append(
        {
            "probs": probs.tolist(),
            "labels": labels.tolist(),
            "auc": float(auc),
            "accuracy": float(accuracy_score(labels, pred)),
            "sensitivity": float(sens),
            "specificity": float(specificity),
        }
    )
out = pathlib.Path(__file__).resolve().parent.parent / "crates/deep/tests/fixtures/class_metrics.json"
out.write_text(json.dumps(cases) + "\n")
for c in cases:
    print({k: v for k, v in c.items() if k not in ("probs", "labels")})
