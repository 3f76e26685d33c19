#!/usr/bin/env python3
"""PyTorch training throughput of the same architecture as biomarker-deep's default model
(feature maps 8, 16, 32, bottleneck 64, 13 classes, heads of width 32, transposed-conv decoder),
BCE + CE + MSE, AdamW, on random masks. GradNorm's extra cost is not modelled (equal weights).

Usage: python3 scripts/torch-bench.py SIZE BATCH STEPS THREADS [DEVICE]
DEVICE is `cpu` (default) or `cuda` (eager mode, cuDNN autotuning off, as shipped). Prints one
line per timed step: `step seconds volumes_per_second` after one warm-up step; on CUDA, each
step is synchronized before the clock stops, and the peak allocated memory goes to stderr.
"""
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

size, batch, steps, threads = (int(a) for a in sys.argv[1:5])
device = torch.device(sys.argv[5] if len(sys.argv) > 5 else "cpu")
torch.set_num_threads(threads)
torch.manual_seed(1)
FM, B, K, H = [8, 16, 32], 64, 13, 32


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [1] + FM
        self.enc = nn.ModuleList(nn.Conv3d(chans[i], chans[i + 1], 3, padding=1) for i in range(len(FM)))
        self.enc_last = nn.Conv3d(FM[-1], FM[-1], 3, padding=1)
        self.deep = size >> len(FM)
        flat = FM[-1] * self.deep ** 3
        self.bottleneck = nn.Linear(flat, B)
        self.dec_fc = nn.Linear(B, flat)
        outs = [FM[0]] + FM[:-1]
        self.up = nn.ModuleList(nn.ConvTranspose3d(FM[i], outs[i], 2, stride=2) for i in reversed(range(len(FM))))
        self.dec_out = nn.Conv3d(FM[0], 1, 3, padding=1)
        self.cls = nn.Sequential(nn.Linear(B, H), nn.ReLU(), nn.Linear(H, K))
        self.vol = nn.Sequential(nn.Linear(B, H), nn.ReLU(), nn.Linear(H, 1))

    def forward(self, x):
        h = x
        for c in self.enc:
            h = F.max_pool3d(F.relu(c(h)), 2)
        z = self.bottleneck(F.relu(self.enc_last(h)).flatten(1))
        d = F.relu(self.dec_fc(z)).reshape(-1, FM[-1], self.deep, self.deep, self.deep)
        for u in self.up:
            d = F.relu(u(d))
        return self.dec_out(d), self.cls(z), self.vol(z).squeeze(1)


net = Net().to(device)
opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=0.0)
x = (torch.rand(batch, 1, size, size, size) < 0.1).float().to(device)
labels = (torch.arange(batch) % K).to(device)
volumes = (torch.rand(batch) * 2 - 1).to(device)


def sync():
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def step():
    opt.zero_grad()
    r, c, v = net(x)
    loss = F.binary_cross_entropy_with_logits(r, x) + F.cross_entropy(c, labels) + F.mse_loss(v, volumes)
    loss.backward()
    opt.step()


step()
sync()
for i in range(1, steps + 1):
    t0 = time.perf_counter()
    step()
    sync()
    s = time.perf_counter() - t0
    print(f"{i} {s:.4f} {batch / s:.3f}", flush=True)
if device.type == "cuda":
    print(f"peak allocated {torch.cuda.max_memory_allocated(device) / 2**20:.0f} MiB", file=sys.stderr)
