#!/usr/bin/python3
"""PyTorch side of bench/fce_bench.ts: one FCE training step on the EBM and one on the flow
(MAF or Glow as the FCE seed builds them, SPEC §5), batch B data points + B base points, Adam,
median ms after warm-up, printed as JSON. The models restate the seed's modules for timing only.

Usage: /usr/bin/python3 bench/fce_bench.py --flows maf,glow --reps 10 --batch 1000 --threads 1
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Ebm(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Parameter(torch.tensor([1.0]))
        self.f = nn.Sequential(nn.Linear(2, 128), nn.LeakyReLU(0.2), nn.Linear(128, 128), nn.LeakyReLU(0.2), nn.Linear(128, 1))

    def forward(self, x):
        return -self.f(x) - self.c


class Masked(nn.Linear):
    def __init__(self, cin, cout, mask):
        super().__init__(cin, cout)
        self.register_buffer("mask", mask)

    def forward(self, x):
        return F.linear(x, self.weight * self.mask, self.bias)


class Made(nn.Module):
    def __init__(self, degrees, hidden=100):
        super().__init__()
        d = len(degrees)
        hd = torch.arange(hidden) % (d - 1)
        od = degrees % d - 1
        self.degrees = degrees
        self.net_input = Masked(d, hidden, (hd[:, None] >= degrees[None]).float())
        self.net = nn.Sequential(nn.ReLU(), Masked(hidden, hidden, (hd[:, None] >= hd[None]).float()), nn.ReLU(),
                                 Masked(hidden, 2 * d, (od[:, None] >= hd[None]).float().repeat(2, 1)))

    def forward(self, x):
        mu, a = self.net(self.net_input(x)).chunk(2, 1)
        return (x - mu) * torch.exp(-a), -a

    def inverse(self, u):
        x = torch.zeros_like(u)
        for i in torch.argsort(self.degrees):
            mu, a = self.net(self.net_input(x.clone())).chunk(2, 1)
            x[:, i] = mu[:, i] + u[:, i] * torch.exp(a[:, i])
        return x, a


class Maf(nn.Module):
    def __init__(self):
        super().__init__()
        blocks, deg = [], torch.arange(2)
        for _ in range(5):
            blocks.append(Made(deg))
            deg = deg.flip(0)
        self.net = nn.ModuleList(blocks)

    def log_prob(self, x):
        ld = 0
        for m in self.net:
            x, l = m(x)
            ld = ld + l
        return (-0.5 * x ** 2 - 0.5 * torch.log(torch.tensor(2 * torch.pi)) + ld).sum(1, keepdim=True)

    def sample(self, z):
        ld, u = 0, z
        for m in reversed(self.net):
            u, l = m.inverse(u)
            ld = ld + l
        return u, (-0.5 * z ** 2 - 0.5 * torch.log(torch.tensor(2 * torch.pi)) - ld).sum(1, keepdim=True)


class ActNorm(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, d))
        self.bias = nn.Parameter(torch.zeros(1, d))

    def forward(self, x):
        return (x - self.bias) / self.scale, -self.scale.abs().log().sum()

    def inverse(self, z):
        return z * self.scale + self.bias, self.scale.abs().log().sum()


class Inv1x1(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.linalg.qr(torch.randn(2, 2))[0])

    def forward(self, x):
        return x @ self.w.t(), torch.slogdet(self.w)[1]

    def inverse(self, z):
        return z @ self.w.t().inverse(), -torch.slogdet(self.w)[1]


class Coupling(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.fc1, self.an1 = nn.Linear(1, width), ActNorm(width)
        self.fc2, self.an2 = nn.Linear(width, width), ActNorm(width)
        self.fc3 = nn.Linear(width, 2)
        self.log_scale_factor = nn.Parameter(torch.zeros(1, 2))
        self.fc3.weight.data.zero_()
        self.fc3.bias.data.zero_()

    def ts(self, xb):
        h = F.relu(self.an1(self.fc1(xb))[0])
        h = F.relu(self.an2(self.fc2(h))[0])
        h = self.fc3(h) * self.log_scale_factor.exp()
        return h[:, 0::2], torch.sigmoid(h[:, 1::2] + 2.0)

    def forward(self, x):
        xa, xb = x.chunk(2, 1)
        t, s = self.ts(xb)
        return torch.cat([s * xa + t, xb], 1), s.log().sum(1)

    def inverse(self, z):
        za, zb = z.chunk(2, 1)
        t, s = self.ts(zb)
        return torch.cat([(za - t) / s, zb], 1), -s.log().sum(1)


class Glow(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([m for _ in range(10) for m in (ActNorm(2), Inv1x1(), Coupling())])

    def log_prob(self, x):
        ld = 0
        for m in self.layers:
            x, l = m(x)
            ld = ld + l
        return (-0.5 * x ** 2).sum(1) - torch.log(torch.tensor(2 * torch.pi)) + ld

    def sample(self, z):
        ld, x = 0, z
        for m in reversed(self.layers):
            x, l = m.inverse(x)
            ld = ld + l
        return x, (-0.5 * z ** 2).sum(1) - torch.log(torch.tensor(2 * torch.pi)) - ld


def value(ebm, flow, x, z):
    gen, lqg = flow.sample(z)
    lpx, lpg, lqx = ebm(x).reshape(-1), ebm(gen).reshape(-1), flow.log_prob(x).reshape(-1)
    lqg = lqg.reshape(-1)
    return F.logsigmoid(lpx - lqx).mean() + F.logsigmoid(lqg - lpg).mean()


def median_ms(fn, reps, warmup):
    """Median wall and process-CPU milliseconds (CPU time stays meaningful on a loaded machine)."""
    for _ in range(warmup):
        fn()
    wall, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--flows", default="maf,glow")
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rows = []
    for kind in a.flows.split(","):
        ebm, flow = Ebm(), (Maf() if kind == "maf" else Glow())
        oe = torch.optim.Adam(ebm.parameters(), 1e-3)
        of = torch.optim.Adam(flow.parameters(), 7e-4)
        x, z = torch.randn(a.batch, 2) * 2, torch.randn(a.batch, 2)

        def ebm_step():
            with torch.no_grad():
                gen, lqg = flow.sample(z)
                lqx = flow.log_prob(x)
            lpx, lpg = ebm(x).reshape(-1), ebm(gen).reshape(-1)
            v = F.logsigmoid(lpx - lqx.reshape(-1)).mean() + F.logsigmoid(lqg.reshape(-1) - lpg).mean()
            oe.zero_grad()
            (-v).backward()
            oe.step()

        def flow_step():
            with torch.no_grad():
                lpx = ebm(x).reshape(-1)
            gen, lqg = flow.sample(z)
            lpg, lqx = ebm(gen).reshape(-1), flow.log_prob(x).reshape(-1)
            v = F.logsigmoid(lpx - lqx).mean() + F.logsigmoid(lqg.reshape(-1) - lpg).mean()
            of.zero_grad()
            v.backward()
            of.step()

        for op, fn in (("ebm_step", ebm_step), ("flow_step", flow_step)):
            wall, cpu = median_ms(fn, a.reps, 2)
            rows.append({"flow": kind, "op": op, "ms": wall, "cpu_ms": cpu})
    print(json.dumps({"threads": a.threads, "rows": rows}))


if __name__ == "__main__":
    main()
