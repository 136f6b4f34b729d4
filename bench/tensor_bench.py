#!/usr/bin/python3
"""PyTorch side of bench/tensor_bench.ts: the same three operations (forward, one Langevin step,
one weight step with Adam) on the paper's nets, median ms after warm-up, printed as JSON.

Usage: /usr/bin/python3 bench/tensor_bench.py --nets toy,vanilla,nonlocal --reps 10 --batch 100 --threads 2
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from make_fixtures import make  # noqa: E402  (the fixture script's nets)


def median_ms(fn, reps, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default="toy,vanilla,nonlocal")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    for name in args.nets.split(","):
        net = make(name, 32)
        shape = (args.batch, 2) if name == "toy" else (args.batch, 3, 32, 32)
        x = torch.rand(shape) * 2 - 1
        x_neg = torch.rand(shape) * 2 - 1
        opt = torch.optim.Adam(net.parameters(), lr=1e-4)
        eps = 0.015

        def forward():
            with torch.no_grad():
                net(x)

        def langevin():
            xs = x_neg.clone().requires_grad_(True)
            (g,) = torch.autograd.grad(net(xs).sum(), [xs])
            _ = xs.detach() - g + eps * torch.randn_like(xs)
            g.view(g.shape[0], -1).norm(dim=1).mean().item()

        def weight():
            opt.zero_grad()
            loss = (net(x).mean() - net(x_neg).mean()) * (2 / eps ** 2)
            loss.backward()
            opt.step()
            loss.item()

        for op, fn in (("forward", forward), ("langevin", langevin), ("weight", weight)):
            rows.append({"net": name, "op": op, "ms": median_ms(fn, args.reps, args.warmup)})
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "rows": rows}))


if __name__ == "__main__":
    main()
