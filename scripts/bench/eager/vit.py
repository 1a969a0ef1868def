"""Eager-PyTorch twin of the package's diffusion rollout, for timing only (scripts/bench/rollout.mjs).

It mirrors native/models/denoiser.cc, native/nn/vit.cc, native/sample/{samplers,rollout}.cc op for op, written
the way a PyTorch user would write them: the ViT denoiser (patchify, input projection of state + mask channels,
sine positional embedding, blocks with AdaLN-zero modulation by the time + label embedding, learned-angle RoPE,
q/k RMS norm, SDPA, gated skip, FFN), EDM preconditioning, the clean-context MaskedDenoiser, the Adams-Bashforth
sampler (float64 Vandermonde solve) and the windowed rollout (window, context 1, overlap 1), all K members in one
batch. Random weights: the shapes, dtypes and op counts are the package's, the numbers are not. It is written as a
PyTorch user would (F.scaled_dot_product_attention, the pairwise rotary rotation), i.e. as the package ran before
its lean CPU path (native/nn/vit.cc; the old path is the test hook setViTReferencePath).

Run by scripts/bench/eager/python.mjs as a child: the config as JSON and --threads N; it builds the
model, warms up, prints {"ready": {...}}, then answers each request line {"op": "rollout" | "train"} with one JSON
line {"seconds": ..., "evaluations": ...}; end of input ends it.
"""

import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SineEncoding(nn.Module):
    def __init__(self, features, omega=1e3):
        super().__init__()
        self.register_buffer("freqs", omega ** (-torch.linspace(0, 1, features // 2)))

    def forward(self, x):
        p = x.unsqueeze(-1) * self.freqs
        return torch.cat([p.sin(), p.cos()], -1)


def rms_norm(x):
    return x * torch.rsqrt(x.square().mean(-1, keepdim=True) + 1e-5)


def rotate(x, cos, sin):
    xp = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    re, im = xp[..., 0], xp[..., 1]
    return torch.stack([re * cos - im * sin, re * sin + im * cos], -1).reshape(x.shape)


class Attention(nn.Module):
    def __init__(self, channels, heads):
        super().__init__()
        self.heads = heads
        self.qkv_proj = nn.Linear(channels, 3 * channels, bias=False)
        self.y_proj = nn.Linear(channels, channels)

    def forward(self, x, cos, sin):
        B, N, C = x.shape
        qkv = self.qkv_proj(x).view(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        q, k = rms_norm(q), rms_norm(k)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        q, k = q.to(v.dtype), k.to(v.dtype)
        y = F.scaled_dot_product_attention(q, k, v)
        return self.y_proj(y.transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    def __init__(self, channels, mod_features, heads, ffn_factor, spatial):
        super().__init__()
        self.channels, self.heads = channels, heads
        self.theta = nn.Parameter(torch.randn(spatial, channels // 2) * 0.1)
        self.ada_zero = nn.Sequential(nn.Linear(mod_features, mod_features), nn.SiLU(), nn.Linear(mod_features, 4 * channels))
        self.msa = Attention(channels, heads)
        self.ffn = nn.Sequential(nn.Linear(channels, ffn_factor * channels), nn.SiLU(), nn.Dropout(0.05), nn.Linear(ffn_factor * channels, channels))

    def forward(self, x, mod, coo, skip):
        C = self.channels
        a, b, c, d = self.ada_zero(mod).view(mod.shape[0], 4, 1, C).unbind(1)
        y = (1 + a) * F.layer_norm(x, (C,), eps=1e-5) + b
        angles = (coo @ self.theta).view(coo.shape[0], self.heads, C // (2 * self.heads)).transpose(0, 1)
        y = y + self.msa(y, angles.cos(), angles.sin())
        y = self.ffn(y)
        y = (x + c * y) * torch.rsqrt(1 + c.square())
        return (y + d * skip) * torch.rsqrt(1 + d.square())


class ViT(nn.Module):
    def __init__(self, channels, hid_channels, hid_blocks, heads, ffn_factor, emb_features, spatial):
        super().__init__()
        self.spatial = spatial
        self.in_proj = nn.Linear(2 * channels, hid_channels)
        self.out_proj = nn.Linear(hid_channels, channels)
        self.positional_embedding = nn.Sequential(SineEncoding(hid_channels), nn.Flatten(-2), nn.Linear(spatial * hid_channels, hid_channels))
        self.blocks = nn.ModuleList([Block(hid_channels, emb_features, heads, ffn_factor, spatial) for _ in range(hid_blocks)])

    def forward(self, x, cond, mod):  # patch size 1
        x = torch.cat([x, cond], 1)
        B, Cx, *grid = x.shape
        tokens = x.flatten(2).transpose(1, 2)  # (B, N, Cx)
        coo = torch.stack(torch.meshgrid(*[torch.arange(g, dtype=torch.float32) for g in grid], indexing="ij"), -1).reshape(-1, len(grid))
        h = self.in_proj(tokens)
        skip = h
        h = h + self.positional_embedding(coo)
        for block in self.blocks:
            h = block(h, mod, coo, skip)
        y = self.out_proj(h)
        return y.transpose(1, 2).reshape(B, -1, *grid)


class Denoiser(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        Fe = cfg["emb_features"]
        self.backbone = ViT(cfg["channels"], cfg["hid_channels"], cfg["hid_blocks"], cfg["attention_heads"], cfg["ffn_factor"], Fe, cfg["spatial"] + 1)
        self.time_embedding = nn.Sequential(SineEncoding(Fe), nn.Linear(Fe, Fe), nn.SiLU(), nn.Linear(Fe, Fe))
        self.label_embedding = nn.Sequential(nn.Linear(cfg["label_features"], Fe), nn.SiLU(), nn.Linear(Fe, Fe))
        self.sigma_min, self.sigma_max = 1e-3, 1e3

    def sigma(self, t):  # log_logit, scale 1, shift 0
        t_min, t_max = self.sigma_min / (1 + self.sigma_min), self.sigma_max / (1 + self.sigma_max)
        u = t_min + t * (t_max - t_min)
        return math.exp(math.log(u / (1 - u)))

    def mean(self, x_t, alpha, sigma, label, mask):
        view = (-1,) + (1,) * (x_t.dim() - 1)
        a, s = alpha.view(view), sigma.view(view)
        norm2 = a.square() + s.square()
        c_in, c_skip = torch.rsqrt(norm2), a / norm2
        c_out = s * c_in
        c_noise = 10 * torch.log(sigma / alpha)
        cond = mask.float().view(mask.shape[0], 1, mask.shape[1], *([1] * (x_t.dim() - 3))).expand(x_t.shape)
        mod = self.time_embedding(c_noise) + self.label_embedding(label)
        f = self.backbone(c_in * x_t, cond, mod).float()
        return c_skip * x_t + c_out * f


def solve(V, b):
    """V c = b by Gaussian elimination with partial pivoting (k <= 3), as samplers.cc."""
    k = len(b)
    V = [row[:] for row in V]
    b = b[:]
    for col in range(k):
        piv = max(range(col, k), key=lambda r: abs(V[r][col]))
        V[col], V[piv] = V[piv], V[col]
        b[col], b[piv] = b[piv], b[col]
        for r in range(col + 1, k):
            f = V[r][col] / V[col][col]
            for c in range(col, k):
                V[r][c] -= f * V[col][c]
            b[r] -= f * b[col]
    x = [0.0] * k
    for i in reversed(range(k)):
        x[i] = (b[i] - sum(V[i][c] * x[c] for c in range(i + 1, k))) / V[i][i]
    return x


def sample_masked(model, y, mask, label, steps, order, gen, counter):
    """Adams-Bashforth (order) from x_1 = sqrt(1 + sigma_1^2) eps to t = 0 with the clean context y[mask]."""
    t = [1 - i / steps for i in range(steps + 1)]
    sigma = [model.sigma(ti) for ti in t]
    alpha = [1.0] * (steps + 1)
    rho = [s / a for s, a in zip(sigma, alpha)]
    m = mask.view(mask.shape[0], 1, mask.shape[1], *([1] * (y.dim() - 3))).expand(y.shape)
    x = math.sqrt(alpha[0] ** 2 + sigma[0] ** 2) * torch.randn(y.shape, generator=gen)
    B = y.shape[0]
    buf = []
    for i in range(steps):
        # MaskedDenoiser around the network
        xi = torch.where(m, math.sqrt(alpha[i] ** 2 + sigma[i] ** 2) * y, x)
        mu = model.mean(xi, torch.full((B,), alpha[i]), torch.full((B,), sigma[i]), label, mask)
        mu = torch.where(m, y, mu)
        counter[0] += 1
        buf.append((x - alpha[i] * mu) / sigma[i])
        if len(buf) > order:
            buf.pop(0)
        k, n = len(buf), i + 1
        lo, hi = rho[n - 1], rho[n]
        V = [[rho[n - k + j] ** q for j in range(k)] for q in range(k)]
        b = [(hi ** (q + 1) - lo ** (q + 1)) / (q + 1) for q in range(k)]
        c = solve(V, b)
        update = c[0] * buf[0]
        for j in range(1, k):
            update = update + c[j] * buf[j]
        x = (alpha[i + 1] / alpha[i]) * x + alpha[i + 1] * update
    return torch.where(m, y, x)


def rollout(model, context, label, cfg, gen, counter):
    """rollout.cc: windows of `window` states, each conditioned on the last `overlap` of the previous one."""
    N, L, overlap, length = context.shape[0], cfg["window"], 1, cfg["length"]
    shape = list(context.shape)
    shape[2] = L
    obs, traj, have = context, [], 0
    pos = torch.arange(L).unsqueeze(0)
    while have < length:
        known = obs.shape[2]
        y = torch.zeros(shape)
        y[:, :, :known] = obs
        mask = (pos < known).expand(N, L)
        x = sample_masked(model, y, mask, label, cfg["steps"], cfg["order"], gen, counter)
        fresh = x if not traj else x[:, :, overlap:]
        traj.append(fresh)
        have += fresh.shape[2]
        obs = x[:, :, L - overlap:]
    return torch.cat(traj, 2)[:, :, :length].contiguous()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")  # JSON: the shape (scripts/bench/rollout.mjs SHAPE) and precision
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    cfg = json.loads(args.config)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Denoiser(cfg).eval()
    bf16 = cfg.get("precision") == "bfloat16"
    K, C, space = cfg["members"], cfg["channels"], cfg["space"]
    context = torch.randn(K, C, 1, *space)  # the members of one trajectory, repeated as the package does
    label = torch.randn(K, cfg["label_features"])
    batch = torch.randn(cfg.get("train_batch", 16), C, cfg["window"], *space)
    train_label = torch.randn(batch.shape[0], cfg["label_features"])
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.0)

    def one_rollout():
        counter = [0]
        gen = torch.Generator().manual_seed(1)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            rollout(model, context, label, cfg, gen, counter)
        return counter[0]

    def one_train_step():
        # The denoiser loss with the first state known: the network's forward, backward, the global grad norm
        # clipped to 1 and an AdamW step (the package's train step with its defaults).
        model.train()
        B = batch.shape[0]
        mask = (torch.arange(cfg["window"]) < 1).unsqueeze(0).expand(B, -1)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            t = torch.rand(B)
            sigma = torch.tensor([model.sigma(float(ti)) for ti in t])
            alpha = torch.ones(B)
            s = sigma.view(-1, 1, 1, 1, 1)
            x_t = batch + s * torch.randn_like(batch)
            m = mask.view(B, 1, -1, 1, 1).expand(batch.shape)
            x_t = torch.where(m, torch.sqrt(1 + s.square()) * batch, x_t)
            mu = model.mean(x_t, alpha, sigma, train_label, mask)
            loss = ((mu - batch).square() / (s.square() / (1 + s.square()))).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        model.eval()
        return 1

    actions = {"rollout": one_rollout, "train": one_train_step}
    one_rollout()  # warm-up
    print(json.dumps({"ready": {"torch": torch.__version__, "threads": torch.get_num_threads()}}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        op = json.loads(line).get("op")
        if op not in actions:
            print(json.dumps({"error": f"unknown op {op!r} (rollout, train)"}), flush=True)
            continue
        start = time.perf_counter()
        evaluations = actions[op]()
        print(json.dumps({"seconds": time.perf_counter() - start, "evaluations": evaluations}), flush=True)


if __name__ == "__main__":
    main()
