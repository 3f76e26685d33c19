#!/usr/bin/env python3
"""Reference values of the segmentation losses of crates/deep/src/seg_loss.rs.

The generalised Dice loss follows MONAI's GeneralizedDiceLoss(sigmoid-probabilities, two
one-hot channels background/foreground, w_type="square", smooth_nr = smooth_dr = 1e-5,
batch=False) step by step, including its replacement of infinite weights by the largest
finite weight of the same volume; Dice + TPR is (1 - soft Dice) + (1 - soft sensitivity) with
+1 smoothing. Writes crates/deep/tests/fixtures/seg_loss.json.
Usage: python3 scripts/seg_loss_fixtures.py
"""
import json
import pathlib

import numpy as np

rng = np.random.default_rng(20261123)
n, s = 3, 4
logits = rng.normal(0.0, 2.0, size=(n, 1, s, s, s))
target = (rng.random(size=(n, 1, s, s, s)) < 0.3).astype(np.float64)
target[1] = 0.0  # an empty mask: its foreground weight is infinite before replacement
target[2, 0, :2] = 1.0

p = 1.0 / (1.0 + np.exp(-logits))
# MONAI: input and one-hot target with channels (background, foreground).
inp = np.concatenate([1.0 - p, p], axis=1)
tgt = np.concatenate([1.0 - target, target], axis=1)
axes = tuple(range(2, inp.ndim))
intersection = (tgt * inp).sum(axis=axes)
ground_o = tgt.sum(axis=axes)
pred_o = inp.sum(axis=axes)
denominator = ground_o + pred_o
with np.errstate(divide="ignore"):
    w = 1.0 / (ground_o * ground_o)
infs = np.isinf(w)
w[infs] = 0.0
w = w + infs * w.max(axis=1, keepdims=True)
numer = 2.0 * (intersection * w).sum(axis=1) + 1e-5
denom = (denominator * w).sum(axis=1) + 1e-5
gdice = float(np.mean(1.0 - numer / denom))

pf = p.reshape(n, -1)
yf = target.reshape(n, -1)
inter = (pf * yf).sum(1)
dice = (2 * inter + 1) / (pf.sum(1) + yf.sum(1) + 1)
tpr = (inter + 1) / (yf.sum(1) + 1)
dice_tpr = float(np.mean((1 - dice) + (1 - tpr)))

out = pathlib.Path(__file__).resolve().parent.parent / "crates/deep/tests/fixtures/seg_loss.json"
out.write_text(
    json.dumps(
        {
            "shape": list(logits.shape),
            "logits": logits.ravel().tolist(),
            "target": target.ravel().tolist(),
            "generalized_dice": gdice,
            "dice_tpr": dice_tpr,
        }
    )
    + "\n"
)
print(f"generalized dice {gdice:.12f}  dice+tpr {dice_tpr:.12f}")
