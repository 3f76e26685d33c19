#!/usr/bin/env python3
"""PyTorch reference for one cross-stitch unit of biomarker-deep (Misra et al. 2016).

The unit mixes two encoders' activations x_A, x_B ([N, C, D, H, W]) per channel c:
    x_A' = a_AA[c] x_A + a_AB[c] x_B,   x_B' = a_BA[c] x_A + a_BB[c] x_B,
with alpha of shape [2, 2, C] (alpha[i, j, c] = a_ij of channel c), as a plain torch module.

Writes crates/deep/tests/fixtures/torch_cross_stitch.safetensors (float64): the inputs `xa`,
`xb`, `alpha`, the probes `pa`, `pb`, the outputs `ya`, `yb` and the gradients of
sum(ya * pa) + sum(yb * pb) with respect to each input (`gxa`, `gxb`, `galpha`).

Usage: python3 scripts/torch-cross-stitch.py [output path]   (needs torch, safetensors; CPU)
"""
import sys

import torch
from safetensors.torch import save_file

torch.manual_seed(20261123)
torch.set_default_dtype(torch.float64)


class CrossStitch(torch.nn.Module):
    def __init__(self, channels, off_diagonal=0.1):
        super().__init__()
        init = torch.tensor([[1 - off_diagonal, off_diagonal], [off_diagonal, 1 - off_diagonal]])
        self.alpha = torch.nn.Parameter(init[:, :, None].repeat(1, 1, channels))

    def forward(self, xa, xb):
        w = self.alpha[:, :, None, :, None, None, None]  # [2, 2, 1, C, 1, 1, 1]
        ya = w[0, 0] * xa + w[0, 1] * xb
        yb = w[1, 0] * xa + w[1, 1] * xb
        return ya, yb


unit = CrossStitch(3)
with torch.no_grad():
    # Away from the initialisation, so every weight matters.
    unit.alpha.add_(0.2 * torch.randn_like(unit.alpha))
xa = torch.randn(2, 3, 4, 3, 2, requires_grad=True)
xb = torch.randn(2, 3, 4, 3, 2, requires_grad=True)
ya, yb = unit(xa, xb)
pa, pb = torch.randn_like(ya), torch.randn_like(yb)
((ya * pa).sum() + (yb * pb).sum()).backward()
out = {
    "xa": xa.detach(), "xb": xb.detach(), "alpha": unit.alpha.detach(),
    "pa": pa, "pb": pb, "ya": ya.detach(), "yb": yb.detach(),
    "gxa": xa.grad, "gxb": xb.grad, "galpha": unit.alpha.grad,
}
out = {k: v.contiguous() for k, v in out.items()}
path = sys.argv[1] if len(sys.argv) > 1 else "crates/deep/tests/fixtures/torch_cross_stitch.safetensors"
save_file(out, path, metadata={"torch": torch.__version__, "script": "scripts/torch-cross-stitch.py"})
print(f"wrote {len(out)} tensors to {path}")
