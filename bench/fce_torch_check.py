#!/usr/bin/python3
"""Cross-check of a train-fce output against PyTorch: loads ebm.safetensors into the FCE seed's EBM
(strict load_state_dict) and, for MAF runs, flow.safetensors into bench/fce_bench.py's MAF, then
compares log p and log q on the densities.safetensors grid with ours.

Usage: /usr/bin/python3 bench/fce_torch_check.py outputs/fce-2d/fce-maf-8gaussians
"""
import json, struct, sys, numpy as np, torch, torch.nn as nn
def load(path):
    b = open(path, "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8+n]); out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        s, e = v["data_offsets"]; dt = {"F32": np.float32, "U8": np.uint8}[v["dtype"]]
        out[k] = torch.from_numpy(np.frombuffer(b[8+n+s:8+n+e], dtype=dt).reshape(v["shape"]).copy())
    return out, h.get("__metadata__", {})
class EBM(nn.Module):
    def __init__(s):
        super().__init__(); s.c = nn.Parameter(torch.tensor([1.]))
        s.f = nn.Sequential(nn.Linear(2,128), nn.LeakyReLU(0.2), nn.Linear(128,128), nn.LeakyReLU(0.2), nn.Linear(128,1))
    def forward(s, x): return -s.f(x) - s.c
d = sys.argv[1]
sd, _ = load(d + "/ebm.safetensors"); e = EBM(); e.load_state_dict(sd)
g, meta = load(d + "/densities.safetensors"); r = int(meta["resolution"]); m = float(meta["extent"])
xs = np.linspace(-m, m, r); X, Y = np.meshgrid(xs, xs)
pts = torch.tensor(np.stack([X.ravel(), Y.ravel()], 1), dtype=torch.float32)
with torch.no_grad(): lp = e(pts).reshape(-1).numpy()
ours = g["ebm_log_density"].reshape(-1).numpy()
print("max |torch − ours| log p on the grid:", np.abs(lp - ours).max(), "scale", np.abs(ours).max())
if "maf" in d:
    sys.path.insert(0, "bench"); import fce_bench
    fsd, _ = load(d + "/flow.safetensors"); f = fce_bench.Maf()
    missing, unexpected = f.load_state_dict(fsd, strict=False)
    print("maf missing", missing, "unexpected (seed buffers the bench model lacks):", sorted(set(k.split(".")[-1] for k in unexpected)))
    with torch.no_grad(): lq = f.log_prob(pts).reshape(-1).numpy()
    ours_q = g["flow_log_density"].reshape(-1).numpy()
    print("max |torch − ours| log q on the grid:", np.abs(lq - ours_q).max(), "scale", np.abs(ours_q).max())
