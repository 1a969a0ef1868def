"""Eager-PyTorch baseline of the package's DCAE (native/nn/dcae.cc, native/nn/layers.cc) for `npm run bench`.

Same layers in the same order, written here from the package's structure (pixel_shuffle levels, ResBlock =
channel LayerNorm -> conv -> SiLU -> dropout -> conv + skip, softclip2 saturation, VRMSE loss), so that the
package's times can be put next to eager PyTorch's on the same shapes, threads and machine. Timing only:
weights are not shared with the package (initialisation does not change the cost of a step).

Run by scripts/bench/eager/python.mjs as a child: argv[1] is the config as JSON, then --threads N; it prints
{"ready": {...}}, then answers one JSON line per request line:
  {"op": "time", "what": "train"|"encode"|"decode", "precision": "float32"|"bfloat16", "iters": n,
   "channels_last": false}
    -> {"seconds": s}   (n iterations after the model, optimizer and input exist; the caller warms up)
channels_last: modules and inputs in torch.channels_last first (what a PyTorch user can add in two lines).
"""
import argparse
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ChannelLayerNorm(nn.Module):
    """(x - mean_c) / sqrt(var_c + eps), unbiased variance over dim 1; reduced precision normalised in float32."""

    def __init__(self, eps=1e-5):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        xf = x.float() if x.dtype in (torch.bfloat16, torch.float16) else x
        var, mean = torch.var_mean(xf, dim=1, keepdim=True, correction=1)
        return ((xf - mean) * torch.rsqrt(var + self.eps)).to(x.dtype)


def conv(cin, cout, k):
    return nn.Conv2d(cin, cout, k, padding=k // 2)


class ResBlock(nn.Module):
    def __init__(self, c, k, dropout):
        super().__init__()
        self.norm = ChannelLayerNorm()
        self.ffn = nn.Sequential(conv(c, c, k), nn.SiLU(), nn.Dropout(dropout) if dropout > 0 else nn.Identity(), conv(c, c, k))

    def forward(self, x):
        return x + self.ffn(self.norm(x))


class Encoder(nn.Module):
    def __init__(self, cin, cout, hid, blocks, k, f, dropout):
        super().__init__()
        levels = []
        for i, h in enumerate(hid):
            layers = [conv(cin, h, k)] if i == 0 else [nn.PixelUnshuffle(f), conv(f * f * hid[i - 1], h, k)]
            layers += [ResBlock(h, k, dropout) for _ in range(blocks[i])]
            if i == len(hid) - 1:
                layers.append(conv(h, cout, k))
            levels.append(nn.Sequential(*layers))
        self.descent = nn.Sequential(*levels)

    def forward(self, x):
        z = self.descent(x)
        return z * torch.rsqrt(1 + (z / 5.0).square())  # softclip2, bound 5


class Decoder(nn.Module):
    def __init__(self, cin, cout, hid, blocks, k, f, dropout):
        super().__init__()
        levels = []
        for i in reversed(range(len(hid))):
            layers = [conv(cin, hid[i], k)] if i == len(hid) - 1 else []
            layers += [ResBlock(hid[i], k, dropout) for _ in range(blocks[i])]
            layers += [conv(hid[i], f * f * hid[i - 1], k), nn.PixelShuffle(f)] if i > 0 else [conv(hid[0], cout, k)]
            levels.append(nn.Sequential(*layers))
        self.ascent = nn.Sequential(*levels)

    def forward(self, z):
        return self.ascent(z)


def vrmse(x, y):
    """mean over (B, C) of sqrt(mse over space / (var over space + 1e-2)), as the package's `vrmse` loss."""
    dims = tuple(range(2, x.dim()))
    mse = (x - y).square().mean(dims)
    var = torch.var(x, dims, correction=1)
    return torch.sqrt(mse / (var + 1e-2)).mean()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    c = json.loads(args.config)
    torch.manual_seed(0)
    dims = dict(hid=c["hid_channels"], blocks=c["hid_blocks"], k=c["kernel_size"], f=c["stride"], dropout=c["dropout"])
    encoder = Encoder(c["pix_channels"], c["lat_channels"], **dims)
    decoder = Decoder(c["lat_channels"], c["pix_channels"], **dims)
    params = list(encoder.parameters()) + list(decoder.parameters())
    # The package's Trainer: AdamW (betas 0.9/0.99), global grad-norm clip at 1, skip on a non-finite loss.
    optimizer = torch.optim.AdamW(params, lr=1e-5, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.0)
    shape = c["shape"]
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float32)
    x = (torch.sin(i * 0.01) + 0.1 * torch.cos(i * 0.37)).reshape(shape)
    with torch.inference_mode():
        z = encoder(x).clone()

    def layout(channels_last):
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        encoder.to(memory_format=fmt), decoder.to(memory_format=fmt)
        return x.contiguous(memory_format=fmt), z.contiguous(memory_format=fmt)

    def train(precision, x):
        encoder.train(), decoder.train()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16"):
            loss = vrmse(x, decoder(encoder(x)).float())
        if not math.isfinite(loss.item()):
            return
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()

    def code(what, precision, x, z):
        encoder.eval(), decoder.eval()
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bfloat16"):
            (encoder(x) if what == "encode" else decoder(z)).float()

    print(json.dumps({"ready": {"torch": torch.__version__, "threads": torch.get_num_threads(), "parameters": sum(p.numel() for p in params)}}), flush=True)
    for line in sys.stdin:
        try:
            req = json.loads(line)
            if req.get("op") != "time":
                raise ValueError(f"unknown op {req.get('op')!r} (expected time)")
            what, precision, iters = req["what"], req["precision"], int(req["iters"])
            if precision not in ("float32", "bfloat16"):
                raise ValueError(f"precision must be float32 or bfloat16, got {precision!r}")
            if what not in ("train", "encode", "decode"):
                raise ValueError(f"what must be train, encode or decode, got {what!r}")
            xl, zl = layout(bool(req.get("channels_last", False)))
            start = time.perf_counter()
            for _ in range(iters):
                train(precision, xl) if what == "train" else code(what, precision, xl, zl)
            reply = {"seconds": time.perf_counter() - start}
        except Exception as e:  # reported to the bench, which stops with it
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


if __name__ == "__main__":
    main()
