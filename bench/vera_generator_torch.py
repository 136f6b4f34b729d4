#!/usr/bin/python3
"""PyTorch counterpart of `bench/vera_toy_diagnostics.ts --mode generator`, written from the VERA seed's
semantics (SPEC §7): the toy generator (Linear no-bias + BatchNorm + ReLU twice, then Linear; noise 2),
σ init 0.01 clamped to [0.01, 0.3] after every step, σ_post init 0.1 on its own Adam (lr 0.02); per
iteration x, h ~ q; the score c from K = 20 self-normalised importance samples around h (σ_post
detached), σ_post's ELBO step, then one Adam step (betas (0, 0.9)) of g and σ on −(mean f(x) + mean Σ c·x)
against a FIXED log-density f (8gaussians' exact mixture or four ring kernels). Prints the same
statistics as the TypeScript diagnostic, so the two implementations' σ / σ_post / score-norm
trajectories and mode coverage can be compared (different random streams: compare distributions).

Usage: /usr/bin/python3 bench/vera_generator_torch.py [--target=8gaussians|rings] [--iters=3000] [--every=500] [--glr=0.003] [--seed=1234]
"""
import math, sys, torch, torch.nn as nn
torch.set_num_threads(1)
a = dict(x.lstrip("-").split("=") for x in sys.argv[1:])
target = a.get("target", "8gaussians"); iters = int(a.get("iters", 3000)); every = int(a.get("every", 500))
glr = float(a.get("glr", 3e-3)); K = 20; B = 200
torch.manual_seed(int(a.get("seed", 1234)))
r2 = 1 / math.sqrt(2)
MEANS = torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1], [r2, r2], [-r2, r2], [r2, -r2], [-r2, -r2]]) * 4 * r2
VAR = 1 / 8; RADII = torch.tensor([0.75, 1.5, 2.25, 3.0]); RSD = 0.08

def logf(x):
    if target == "8gaussians":
        d2 = ((x[:, None, :] - MEANS[None]) ** 2).sum(2)
        return torch.logsumexp(-0.5 * d2 / VAR, 1) - math.log(8 * 2 * math.pi * VAR)
    z = ((x.pow(2).sum(1) + 1e-12).sqrt()[:, None] - RADII[None]) / RSD
    return torch.logsumexp(-0.5 * z ** 2 - torch.log(RADII * 2 * math.pi * 4 * RSD * math.sqrt(2 * math.pi))[None], 1)

g = nn.Sequential(nn.Linear(2, 100, bias=False), nn.BatchNorm1d(100), nn.ReLU(),
                  nn.Linear(100, 100, bias=False), nn.BatchNorm1d(100), nn.ReLU(), nn.Linear(100, 2))
logsigma = nn.Parameter(torch.full((1,), math.log(0.01)))
post_logsigma = nn.Parameter(torch.full((2,), math.log(0.1)))
g_opt = torch.optim.Adam(list(g.parameters()) + [logsigma], lr=glr, betas=(0.0, 0.9))
post_opt = torch.optim.Adam([post_logsigma], lr=0.02)
std_normal = torch.distributions.Normal(0.0, 1.0)

def log_joint(x, h):
    mu = g(h)
    return std_normal.log_prob(h).sum(1) + torch.distributions.Normal(mu, logsigma.exp()).log_prob(x).sum(1), mu

def draw(n):
    h = torch.randn(n, 2); mu = g(h)
    return mu + torch.randn_like(mu) * logsigma.exp(), h

def report(itr, score_norm):
    with torch.no_grad():
        p = torch.cat([draw(B)[0] for _ in range(10)])
        if target == "8gaussians":
            d, k = ((p[:, None, :] - MEANS[None]) ** 2).sum(2).sqrt().min(1); n_c, sd = 8, math.sqrt(VAR)
        else:
            d, k = (p.norm(dim=1)[:, None] - RADII[None]).abs().min(1); n_c, sd = 4, RSD
        counts = "/".join(str((k == i).sum().item()) for i in range(n_c))
        print(f"iteration {itr}: σ {logsigma.exp().item():.4f}, σ_post {post_logsigma.exp().mean().item():.4f}, "
              f"score norm {score_norm:.1f}, E_q f {logf(p).mean().item():.3f}, per {'mode' if n_c == 8 else 'ring'} {counts}, "
              f"within 3 sd {(d < 3 * sd).float().mean().item():.3f}", flush=True)

report(0, 0.0)
for itr in range(iters):
    x, h = draw(B)
    xd, hd, sp = x.detach(), h.detach(), post_logsigma.detach().exp()
    hk = hd[None] + torch.randn(K, B, 2) * sp
    log_proposal = torch.distributions.Normal(hd, sp).log_prob(hk).sum(2)
    lq, mu = log_joint(xd[None].expand(K, B, 2).reshape(K * B, 2), hk.reshape(K * B, 2))
    w = (lq.reshape(K, B) - log_proposal).softmax(0)
    c = (((xd[None] - mu.reshape(K, B, 2)) / logsigma.exp() ** 2) * w[:, :, None]).sum(0).detach()
    post = torch.distributions.Normal(hd, post_logsigma.exp())
    elbo = log_joint(xd, post.rsample())[0] + post.entropy().sum(1)
    post_opt.zero_grad(); (-elbo.mean()).backward(); post_opt.step()
    g_opt.zero_grad(); (-(logf(x).mean() + (c * x).mean(0).sum())).backward(); g_opt.step()
    with torch.no_grad(): logsigma.clamp_(math.log(0.01), math.log(0.3))
    if (itr + 1) % every == 0 or itr + 1 == iters: report(itr + 1, c.norm(dim=1).mean().item())
