#!/usr/bin/python3
"""Plain PyTorch PCD baseline for bench/RESULTS.md (a bench tool, not run in CI).

Trains persistent contrastive divergence the textbook way on a 2-D dataset and prints the grid
total variation (TV) to the true density that LearningQualityHarness uses:

  * energy: MLP 2 -> 128 -> 128 -> 1, SiLU (PyTorch's default initialisation)
  * 1,000 persistent chains started uniformly in the data box; each step draws 256 of them at
    random, re-initialises 5% uniformly in the box, runs k = 10 Langevin steps
    x <- x - eta * dE/dx + sqrt(2 eta) * xi with eta = 0.01, and writes them back
  * loss = mean E(x+) - mean E(x-) + alpha * (mean E(x+)^2 + mean E(x-)^2), alpha = 0.1
  * Adam, lr 2e-3 (PyTorch's default betas), batch 256, steps = records / 256 (1,563 for 400k)

The box is the range of 10,000 data samples widened by 10% of its width on each side, as the
StreamEBM uniform restart box. The grid and the true cell masses are read from CSV files exported
by the Java harness (so both sides score against the identical truth):

  OMP_NUM_THREADS=1 java -cp bench/target/benchmarks.jar io.streamebm.bench.quality.LearningQualityHarness \
      --export-truth /tmp/truth
  OMP_NUM_THREADS=1 /usr/bin/python3 bench/pytorch/pcd_baseline.py --truth /tmp/truth [--datasets ...] [--seeds 1,2,3]

The datasets are re-implemented here with numpy using the same formulas as io.streamebm.datasets
(different random streams). Needs Debian's python3-torch (apt-get install -y python3-torch).
"""
import argparse
import math
import time

import numpy as np
import torch
from torch import nn


def sample(name, n, rng):
    if name == "eight-gaussians":
        r = 1 / math.sqrt(2)
        c = np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [r, r], [r, -r], [-r, r], [-r, -r]])
        return 2.0 * c[rng.integers(0, 8, n)] + 0.1 * rng.standard_normal((n, 2))
    if name == "checkerboard":
        i = rng.integers(0, 4, n)
        j = 2 * rng.integers(0, 2, n) + (i % 2)
        return np.stack([-4 + 2 * (i + rng.random(n)), -4 + 2 * (j + rng.random(n))], axis=1)
    if name == "two-moons":
        t = math.pi * rng.random(n)
        upper = rng.integers(0, 2, n) == 0
        x = np.where(upper, np.cos(t), 1 - np.cos(t))
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        return np.stack([x, y], axis=1) + 0.05 * rng.standard_normal((n, 2))
    if name == "pinwheel":
        k = rng.integers(0, 5, n)
        f0 = 1 + 0.3 * rng.standard_normal(n)
        f1 = 0.1 * rng.standard_normal(n)
        a = 2 * math.pi * k / 5 + 0.25 * np.exp(f0)
        return np.stack([f0 * np.cos(a) - f1 * np.sin(a), f0 * np.sin(a) + f1 * np.cos(a)], axis=1)
    raise ValueError(name)


def read_truth(path):
    with open(path) as f:
        header = f.readline()
        fields = dict(kv.split("=") for kv in header.split(";")[0].split()[2:])
        mass = np.loadtxt(f, delimiter=",")
    return (float(fields["xmin"]), float(fields["xmax"]), float(fields["ymin"]), float(fields["ymax"]),
            int(fields["resolution"]), mass)


def grid_tv(model, truth):
    x0, x1, y0, y1, res, mass = truth
    xs = x0 + (np.arange(res) + 0.5) * (x1 - x0) / res
    ys = y0 + (np.arange(res) + 0.5) * (y1 - y0) / res
    gx, gy = np.meshgrid(xs, ys, indexing="ij")  # [i][j] = (x_i, y_j), as GridDensity
    pts = torch.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1), dtype=torch.float32)
    with torch.no_grad():
        logp = -model(pts).squeeze(1).double()
    p = torch.softmax(logp, 0).numpy().reshape(res, res)
    return 0.5 * np.abs(p - mass).sum()


def train(name, truth, records, seed, eta=0.01, lr=2e-3, alpha=0.1, reinit=0.05, k=10, chains=1000, batch=256):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(2, 128), nn.SiLU(), nn.Linear(128, 128), nn.SiLU(), nn.Linear(128, 1))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    probe = sample(name, 10_000, rng)
    lo, hi = probe.min(0), probe.max(0)
    lo, hi = lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)
    lo_t, hi_t = torch.tensor(lo, dtype=torch.float32), torch.tensor(hi, dtype=torch.float32)

    def uniform(n):
        return lo_t + (hi_t - lo_t) * torch.rand(n, 2)

    buffer = uniform(chains)
    steps = (records + batch - 1) // batch
    for _ in range(steps):
        pos = torch.tensor(sample(name, batch, rng), dtype=torch.float32)
        idx = torch.randint(0, chains, (batch,))
        x = buffer[idx].clone()
        fresh = torch.rand(batch) < reinit
        x[fresh] = uniform(int(fresh.sum()))
        for _ in range(k):
            x.requires_grad_(True)
            g, = torch.autograd.grad(model(x).sum(), x)
            x = (x - eta * g + math.sqrt(2 * eta) * torch.randn_like(x)).detach()
        buffer[idx] = x
        e_pos = model(pos).squeeze(1)
        e_neg = model(x).squeeze(1)
        loss = e_pos.mean() - e_neg.mean() + alpha * (e_pos.pow(2).mean() + e_neg.pow(2).mean())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return grid_tv(model, truth)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--truth", required=True, help="directory of <dataset>.csv from --export-truth")
    ap.add_argument("--datasets", default="eight-gaussians,checkerboard,two-moons,pinwheel")
    ap.add_argument("--records", type=int, default=400_000)
    ap.add_argument("--seeds", default="1")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for name in args.datasets.split(","):
        truth = read_truth(f"{args.truth}/{name}.csv")
        for seed in map(int, args.seeds.split(",")):
            t0 = time.time()
            tv = train(name, truth, args.records, seed)
            print(f"{name:16s} pytorch-pcd seed {seed}: TV {tv:.3f} ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
