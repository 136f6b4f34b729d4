"""PyTorch reference timings for bench/native_kernels.ts (same nets, same steps, 2 threads).

Prints one JSON line: {"<net>": {"forward": [median, min], "langevin": [...], "weight": [...]}} in ms.
Usage: /usr/bin/python3 bench/native_kernels.py NETS BATCH REPS THREADS [N_F] [wall|cpu]
("cpu" times process CPU time, all threads, instead of wall time.)
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures"))
from make_fixtures import make  # noqa: E402  (the project's PyTorch ports of the nets)


CLOCK = time.perf_counter


def median_ms(fn, reps):
    for _ in range(2):
        fn()
    times = []
    for _ in range(reps):
        start = CLOCK()
        fn()
        times.append((CLOCK() - start) * 1000)
    times.sort()
    return [times[len(times) // 2], times[0]]


def bench(net_type, batch, reps, n_f):
    torch.manual_seed(0)
    net = make(net_type, n_f)
    shape = [batch, 2] if net_type == "toy" else [batch, 3, 32, 32]
    x = torch.rand(shape) * 2 - 1
    x_pos = torch.rand(shape) * 2 - 1
    opt = torch.optim.SGD(net.parameters(), lr=1e-4)
    eps = 0.01

    def forward():
        with torch.no_grad():
            net(x).sum().item()

    def langevin():
        xs = x.clone().requires_grad_(True)
        grad = torch.autograd.grad(net(xs).sum(), [xs])[0]
        nxt = xs.detach() - grad + eps * torch.randn_like(xs)
        (grad.view(batch, -1).norm(dim=1).mean().item(), nxt)

    def weight():
        opt.zero_grad()
        loss = net(x_pos).mean() - net(x).mean()
        loss.backward()
        opt.step()
        loss.item()

    out = {"forward": median_ms(forward, reps), "langevin": median_ms(langevin, reps)}
    if net_type != "toy":
        out["weight"] = median_ms(weight, reps)
    return out


if __name__ == "__main__":
    nets, batch, reps, threads = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    n_f = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    if len(sys.argv) > 6 and sys.argv[6] == "cpu":
        CLOCK = time.process_time
    torch.set_num_threads(threads)
    print(json.dumps({n: bench(n, batch, reps, n_f) for n in nets}))
