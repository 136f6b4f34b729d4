#!/usr/bin/python3
"""PyTorch side of bench/train_iteration_bench.ts: whole training iterations of the paper's
recipes as the paper's scripts run them (train_toy.py / train_data.py): draw a positive batch,
initialise negatives, L Langevin steps x <- x - grad f(x) + eps*N(0, I) with r_t (the per-image
gradient norm, accumulated as a tensor without a sync per step), then one Adam step on
(mean f(x+) - mean f(x-)) * 2/eps^2 and d_t read out. Prints the median and every iteration's
wall and CPU (process) seconds as JSON. Benchmark only: nothing in the project runs this.

Usage: /usr/bin/python3 bench/train_iteration_bench.py --scale toy --iters 20 --threads 2
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from make_fixtures import ToyNet, VanillaNet  # noqa: E402  (the fixture script's nets)

SCALES = {
    # name: (net, n_c, n_f, batch, steps, epsilon, init)
    "toy": ("toy", 2, 32, 100, 100, 0.01, "gaussian"),
    "fashion-cpu": ("vanilla", 1, 16, 32, 100, 0.01, "uniform"),
    "paper-image": ("vanilla", 3, 32, 100, 150, 0.01, "uniform"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", choices=sorted(SCALES), required=True)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    kind, n_c, n_f, batch, steps, eps, init = SCALES[kind_name := args.scale]
    net = ToyNet(2, n_f) if kind == "toy" else VanillaNet(n_c, n_f)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    shape = (batch, 2) if kind == "toy" else (batch, n_c, 32, 32)
    data = torch.randn(2000, 2) if kind == "toy" else torch.rand(2000, n_c, 32, 32) * 2 - 1

    def iteration():
        idx = torch.randperm(data.shape[0])[:batch]
        pos = data[idx] + (0.03 * torch.randn(shape) if kind != "toy" else 0)
        x = torch.randn(shape) if init == "gaussian" else torch.rand(shape) * 2 - 1
        x.requires_grad_(True)
        r_t = torch.zeros(())
        for _ in range(steps):
            (g,) = torch.autograd.grad(net(x).sum(), [x])
            x.data += -g + eps * torch.randn_like(x)
            r_t += g.view(batch, -1).norm(dim=1).mean()
        r_t = r_t.item() / steps
        opt.zero_grad()
        loss = (net(pos).mean() - net(x.detach()).mean()) * (2 / eps ** 2)
        loss.backward()
        opt.step()
        return loss.item(), r_t

    for _ in range(args.warmup):
        iteration()
    times, cpu = [], []
    for _ in range(args.iters):
        t0, c0 = time.perf_counter(), time.process_time()
        iteration()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "scale": kind_name, "median_s": statistics.median(times), "seconds": times, "cpu_seconds": cpu}))


if __name__ == "__main__":
    main()
