#!/usr/bin/env python3
"""PyTorch reference outputs and gradients for the 3D layers of biomarker-deep.

Writes crates/deep/tests/fixtures/torch_layers.safetensors: for each case `<name>`, the inputs
(`<name>.x`, `<name>.w`, `<name>.b`), a probe tensor `<name>.probe`, the output `<name>.y` and
the gradients of sum(y * probe) with respect to each input (`<name>.gx`, `<name>.gw`,
`<name>.gb`), all float64. Case geometry is in the tensor `<name>.geom` =
[stride, padding, output_padding].

Usage: python3 scripts/torch-layers.py [output path]   (needs torch, safetensors; CPU only)
"""
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(20261123)
torch.set_default_dtype(torch.float64)
out = {}


def record(name, fn, geom, **inputs):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    y = fn(**leaves)
    probe = torch.randn_like(y)
    (y * probe).sum().backward()
    for k, v in leaves.items():
        out[f"{name}.{k}"] = v.detach().contiguous()
        out[f"{name}.g{k}"] = v.grad.contiguous()
    out[f"{name}.probe"] = probe.contiguous()
    out[f"{name}.y"] = y.detach().contiguous()
    out[f"{name}.geom"] = torch.tensor(geom, dtype=torch.float64)


r = torch.randn
record("conv_k3_p1_s1", lambda x, w, b: F.conv3d(x, w, b, stride=1, padding=1), [1, 1, 0],
       x=r(2, 3, 6, 6, 6), w=r(4, 3, 3, 3, 3), b=r(4))
record("conv_k3_p1_s2", lambda x, w, b: F.conv3d(x, w, b, stride=2, padding=1), [2, 1, 0],
       x=r(1, 2, 8, 8, 8), w=r(3, 2, 3, 3, 3), b=r(3))
record("conv_k1_p0_s1", lambda x, w, b: F.conv3d(x, w, b, stride=1, padding=0), [1, 0, 0],
       x=r(1, 4, 4, 4, 4), w=r(2, 4, 1, 1, 1), b=r(2))
record("maxpool", lambda x: F.max_pool3d(x, 2), [2, 0, 0], x=r(2, 3, 4, 6, 4))
record("upsample", lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), [2, 0, 0],
       x=r(1, 2, 3, 2, 3))
record("convt_k2_s2", lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2), [2, 0, 0],
       x=r(2, 3, 3, 3, 3), w=r(3, 2, 2, 2, 2), b=r(2))
record("convt_k3_s2_p1_op1",
       lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1),
       [2, 1, 1], x=r(1, 2, 3, 3, 3), w=r(2, 3, 3, 3, 3), b=r(3))

path = sys.argv[1] if len(sys.argv) > 1 else "crates/deep/tests/fixtures/torch_layers.safetensors"
save_file(out, path, metadata={"torch": torch.__version__, "script": "scripts/torch-layers.py"})
print(f"wrote {len(out)} tensors to {path}")
