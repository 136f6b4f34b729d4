"""PyTorch reference for bench/hybrid_bench.ts: one training iteration of the seed's joint
classifier-EBM (MLP 784-512-512-512-10 ELU, batch 64, eta Langevin steps from U(-1, 1) with
E = -logsumexp, clamp at the end, CE + contrastive loss, Adam step). Prints JSON medians in ms."""
import argparse, json, statistics, time
import torch
from torch import nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--reps", type=int, default=5)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--steps", type=int, default=50)
p.add_argument("--threads", type=int, default=2)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)

layers, w = [], 784
for h in [512, 512, 512]:
    layers += [nn.Linear(w, h), nn.ELU()]
    w = h
layers.append(nn.Linear(w, 10))
net = nn.Sequential(*layers)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
x_real = torch.rand(a.batch, 784) * 2 - 1
y = torch.arange(a.batch) % 10
energy = lambda x: -net(x).logsumexp(1)

lang, weight = [], []
for rep in range(a.reps + 1):
    t0 = time.perf_counter()
    x = torch.rand(a.batch, 784) * 2 - 1
    for _ in range(a.steps):
        x = x.detach().requires_grad_(True)
        g = torch.autograd.grad(energy(x).sum(), x)[0]
        x = x - 0.5 * g + 0.05 * torch.randn_like(x)
    x = x.detach().clamp(-1, 1)
    t1 = time.perf_counter()
    s = net(x_real)
    loss = F.cross_entropy(s, y) + (-s.logsumexp(1)).mean() - energy(x).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    t2 = time.perf_counter()
    if rep > 0:
        lang.append((t1 - t0) * 1000)
        weight.append((t2 - t1) * 1000)
import re
blas = re.search(r"BLAS_INFO=([^,]+)", torch.__config__.show())
print(json.dumps({"langevin_ms": statistics.median(lang), "weight_ms": statistics.median(weight),
                  "iteration_ms": statistics.median([l + w for l, w in zip(lang, weight)]),
                  "torch": torch.__version__, "blas": blas.group(1) if blas else "unknown"}))
