#!/usr/bin/env python3
"""PyTorch reference for one forward pass and one AdamW step of biomarker-deep's model.

The architecture is written functionally with the parameter names the Rust model uses
(enc.{i}, enc.last, bottleneck, dec.fc, dec.up.{i} (transposed conv k2 s2), dec.out, cls.{0,1},
vol.{0,1}), at a small size: 16³ input, feature maps 4, 8, bottleneck 8, 2 classes, head width 8.
Losses: BCE with logits (reconstruction), cross-entropy (class), MSE (volume), summed with equal
weights; one torch.optim.AdamW step (lr 1e-3, weight decay 0).

Writes crates/deep/tests/fixtures/torch_model.safetensors with `param.<name>` (initial),
`input.x`, `input.labels` (as float), `input.volumes`, `out.z`, `out.recon_logits`,
`out.class_logits`, `out.volume`, `loss.recon|class|volume`, `grad.<name>`, `step.<name>`
(after the AdamW step), all float32 except the losses (float64).

Usage: python3 scripts/torch-model.py [output path]
"""
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(7)
S, FM, B, K, HID, N = 16, [4, 8], 8, 2, 8, 4


def uniform(shape, fan_in):
    bound = 1.0 / fan_in ** 0.5
    return (torch.rand(shape) * 2 - 1) * bound


params = {}
c_in = 1
for i, f in enumerate(FM):
    params[f"enc.{i}.weight"] = uniform((f, c_in, 3, 3, 3), c_in * 27)
    params[f"enc.{i}.bias"] = uniform((f,), c_in * 27)
    c_in = f
last = FM[-1]
deep = S >> len(FM)
flat = last * deep ** 3
params["enc.last.weight"] = uniform((last, last, 3, 3, 3), last * 27)
params["enc.last.bias"] = uniform((last,), last * 27)
params["bottleneck.weight"] = uniform((B, flat), flat)
params["bottleneck.bias"] = uniform((B,), flat)
params["dec.fc.weight"] = uniform((flat, B), B)
params["dec.fc.bias"] = uniform((flat,), B)
for i in reversed(range(len(FM))):
    c_out = FM[0] if i == 0 else FM[i - 1]
    params[f"dec.up.{i}.weight"] = uniform((FM[i], c_out, 2, 2, 2), c_out * 8)
    params[f"dec.up.{i}.bias"] = uniform((c_out,), c_out * 8)
params["dec.out.weight"] = uniform((1, FM[0], 3, 3, 3), FM[0] * 27)
params["dec.out.bias"] = uniform((1,), FM[0] * 27)
for head, out in (("cls", K), ("vol", 1)):
    params[f"{head}.0.weight"] = uniform((HID, B), B)
    params[f"{head}.0.bias"] = uniform((HID,), B)
    params[f"{head}.1.weight"] = uniform((out, HID), HID)
    params[f"{head}.1.bias"] = uniform((out,), HID)

initial = {k: v.clone() for k, v in params.items()}
leaves = {k: v.clone().requires_grad_(True) for k, v in params.items()}
p = leaves


def forward(x):
    h = x
    for i in range(len(FM)):
        h = F.max_pool3d(F.relu(F.conv3d(h, p[f"enc.{i}.weight"], p[f"enc.{i}.bias"], padding=1)), 2)
    h = F.relu(F.conv3d(h, p["enc.last.weight"], p["enc.last.bias"], padding=1)).flatten(1)
    z = F.linear(h, p["bottleneck.weight"], p["bottleneck.bias"])
    d = F.relu(F.linear(z, p["dec.fc.weight"], p["dec.fc.bias"])).reshape(-1, last, deep, deep, deep)
    for i in reversed(range(len(FM))):
        d = F.relu(F.conv_transpose3d(d, p[f"dec.up.{i}.weight"], p[f"dec.up.{i}.bias"], stride=2))
    recon = F.conv3d(d, p["dec.out.weight"], p["dec.out.bias"], padding=1)
    cls = F.linear(F.relu(F.linear(z, p["cls.0.weight"], p["cls.0.bias"])), p["cls.1.weight"], p["cls.1.bias"])
    vol = F.linear(F.relu(F.linear(z, p["vol.0.weight"], p["vol.0.bias"])), p["vol.1.weight"], p["vol.1.bias"]).squeeze(1)
    return z, recon, cls, vol


# Input: random blobs (thresholded smooth noise) as masks.
noise = F.avg_pool3d(torch.rand(N, 1, S + 4, S + 4, S + 4), 5, stride=1)
x = (noise > noise.mean()).float()
labels = torch.tensor([0, 1, 1, 0])
volumes = torch.randn(N)

z, recon, cls, vol = forward(x)
l_recon = F.binary_cross_entropy_with_logits(recon, x)
l_class = F.cross_entropy(cls, labels)
l_vol = F.mse_loss(vol, volumes)
(l_recon + l_class + l_vol).backward()

out = {f"param.{k}": v.contiguous() for k, v in initial.items()}
out.update({f"grad.{k}": v.grad.contiguous() for k, v in leaves.items()})
opt = torch.optim.AdamW(list(leaves.values()), lr=1e-3, weight_decay=0.0)
opt.step()
out.update({f"step.{k}": v.detach().contiguous() for k, v in leaves.items()})
out["input.x"] = x.contiguous()
out["input.labels"] = labels.float()
out["input.volumes"] = volumes
out["out.z"] = z.detach()
out["out.recon_logits"] = recon.detach().contiguous()
out["out.class_logits"] = cls.detach()
out["out.volume"] = vol.detach()
out["loss.recon"] = l_recon.detach().double().reshape(1)
out["loss.class"] = l_class.detach().double().reshape(1)
out["loss.volume"] = l_vol.detach().double().reshape(1)
path = sys.argv[1] if len(sys.argv) > 1 else "crates/deep/tests/fixtures/torch_model.safetensors"
save_file(out, path, metadata={"torch": torch.__version__, "script": "scripts/torch-model.py"})
print(f"wrote {len(out)} tensors to {path}")
