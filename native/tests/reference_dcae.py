#!/usr/bin/env python3
"""Independent functional re-implementation of the DCAE autoencoder (lola-method.md §3.1), written
from the spec text, to produce fixtures that the C++ model must reproduce.

It builds random weights under the reference state-dict keys (state-dict-keys.md naming), runs
encode/decode in float64 from the float32 weights, and writes one safetensors file per fixture:

  tensors   <reference keys>   float32 model weights (+ the 0-d `...norm.eps` buffers)
            __input__          float32 (B, C_pix, *S) input
            __latent__         float32 encoder output (saturated)
            __output__         float32 decoder(latent)
  metadata  config             AutoencoderConfig JSON (the C++ field names)
            description        what the file is

Usage: python3 native/tests/reference_dcae.py [--out native/tests/fixtures]
Acceptance: C++ latent/output within 1e-4 of the largest magnitude of the stored tensor.
"""
import argparse
import json
import os

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

BOUND = 5.0  # saturation bound B


def conv(x, p, key, periodic, stride=1):
    w, b = p[key + ".weight"], p[key + ".bias"]
    d = x.dim() - 2
    pad = w.shape[-1] // 2
    if periodic:
        x = F.pad(x, [pad] * (2 * d), mode="circular")
        pad = 0
    return (F.conv2d if d == 2 else F.conv3d)(x, w, b, stride=stride, padding=pad)


def space_to_depth(x, f):
    # einops "B C (H h) (W w) -> B (C h w) H W", written with plain reshape/permute
    b, c, *s = x.shape
    d = len(s)
    x = x.reshape(b, c, *[v for n in s for v in (n // f, f)])
    perm = [0, 1] + [3 + 2 * i for i in range(d)] + [2 + 2 * i for i in range(d)]
    return x.permute(perm).reshape(b, c * f**d, *[n // f for n in s])


def depth_to_space(x, f):
    # "B (C h w) H W -> B C (H h) (W w)"
    b, cf, *s = x.shape
    d = len(s)
    c = cf // f**d
    x = x.reshape(b, c, *([f] * d), *s)
    perm = [0, 1] + [v for i in range(d) for v in (2 + d + i, 2 + i)]
    return x.permute(perm).reshape(b, c, *[n * f for n in s])


def layer_norm(x, eps):
    var, mean = torch.var_mean(x, dim=1, keepdim=True, correction=1)  # unbiased, over channels
    return (x - mean) / torch.sqrt(var + eps)


def res_block(x, p, key, periodic):
    y = layer_norm(x, p[key + ".norm.eps"])
    y = conv(y, p, key + ".ffn.0", periodic)
    y = F.silu(y)  # ffn.2 (dropout) is the identity in eval
    y = conv(y, p, key + ".ffn.3", periodic)
    return x + y


def saturate(z, kind):
    if kind == "softclip2":
        return z / torch.sqrt(1 + (z / BOUND) ** 2)
    if kind == "softclip":
        return z / (1 + z.abs() / BOUND)
    if kind == "tanh":
        return BOUND * torch.tanh(z / BOUND)
    if kind == "arcsinh":
        return torch.asinh(z)
    if kind == "rmsnorm":
        return z / torch.sqrt((z**2).mean(dim=1, keepdim=True) + 1e-5)
    return z


def encode(x, p, cfg):
    f, per, levels = cfg["stride"], cfg["periodic"], len(cfg["hid_channels"])
    for i in range(levels):
        if i == 0:
            x = conv(x, p, f"encoder.descent.0.0", per)
        else:
            x = conv(space_to_depth(x, f), p, f"encoder.descent.{i}.0.1", per)
        for j in range(cfg["hid_blocks"][i]):
            x = res_block(x, p, f"encoder.descent.{i}.{j + 1}", per)
    x = conv(x, p, f"encoder.descent.{levels - 1}.{cfg['hid_blocks'][-1] + 1}", per)
    return saturate(x, cfg["saturation"])


def decode(z, p, cfg):
    f, per, levels = cfg["stride"], cfg["periodic"], len(cfg["hid_channels"])
    x = z
    for j in range(levels):
        i = levels - 1 - j
        k = 0
        if j == 0:
            x = conv(x, p, "decoder.ascent.0.0", per)
            k = 1
        for _ in range(cfg["hid_blocks"][i]):
            x = res_block(x, p, f"decoder.ascent.{j}.{k}", per)
            k += 1
        if i > 0:
            x = depth_to_space(conv(x, p, f"decoder.ascent.{j}.{k}.0", per), f)
        else:
            x = conv(x, p, f"decoder.ascent.{j}.{k}", per)
    return x


def make_weights(cfg, gen):
    """Reference keys in state-dict order, random weights (std 1/sqrt(fan_in), some larger so the
    saturation is exercised), eps buffers 1e-5."""
    d, f = cfg["spatial"], cfg["stride"]
    k = [cfg["kernel_size"]] * d
    hid, blocks = cfg["hid_channels"], cfg["hid_blocks"]
    p = {}

    def add_conv(key, cin, cout, gain=1.0):
        fan_in = cin * cfg["kernel_size"] ** d
        p[key + ".weight"] = torch.randn(cout, cin, *k, generator=gen) * gain / fan_in**0.5
        p[key + ".bias"] = torch.randn(cout, generator=gen) * 0.1

    def add_block(key, c):
        p[key + ".norm.eps"] = torch.tensor(1e-5)
        add_conv(key + ".ffn.0", c, c)
        add_conv(key + ".ffn.3", c, c, 0.5)

    levels = len(hid)
    for i in range(levels):
        if i == 0:
            add_conv("encoder.descent.0.0", cfg["pix_channels"], hid[0])
        else:
            add_conv(f"encoder.descent.{i}.0.1", f**d * hid[i - 1], hid[i])
        for j in range(blocks[i]):
            add_block(f"encoder.descent.{i}.{j + 1}", hid[i])
    add_conv(f"encoder.descent.{levels - 1}.{blocks[-1] + 1}", hid[-1], cfg["lat_channels"], 4.0)
    for j in range(levels):
        i = levels - 1 - j
        kk = 0
        if j == 0:
            add_conv("decoder.ascent.0.0", cfg["lat_channels"], hid[-1])
            kk = 1
        for _ in range(blocks[i]):
            add_block(f"decoder.ascent.{j}.{kk}", hid[i])
            kk += 1
        if i > 0:
            add_conv(f"decoder.ascent.{j}.{kk}.0", hid[i], f**d * hid[i - 1])
        else:
            add_conv(f"decoder.ascent.{j}.{kk}", hid[0], cfg["pix_channels"])
    return {key: v.float().contiguous() for key, v in p.items()}


FIXTURES = {
    "dcae2d_small": dict(
        config=dict(pix_channels=3, lat_channels=4, hid_channels=[8, 8, 16], hid_blocks=[1, 2, 1], kernel_size=3,
                    stride=2, pixel_shuffle=True, identity_init=True, dropout=0.05, attention_heads={},
                    periodic=False, spatial=2, saturation="softclip2", noise=0.01, loss="vrmse",
                    similarity_weight=0.1),
        input_shape=(2, 3, 16, 12),
    ),
    "dcae3d_small": dict(
        config=dict(pix_channels=2, lat_channels=2, hid_channels=[4, 8], hid_blocks=[1, 1], kernel_size=3,
                    stride=2, pixel_shuffle=True, identity_init=True, dropout=0.0, attention_heads={},
                    periodic=True, spatial=3, saturation="tanh", noise=0.01, loss="vrmse",
                    similarity_weight=0.1),
        input_shape=(1, 2, 8, 8, 4),
    ),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for seed, (name, fx) in enumerate(FIXTURES.items()):
        gen = torch.Generator().manual_seed(1234 + seed)
        cfg = fx["config"]
        p = make_weights(cfg, gen)
        x = torch.randn(*fx["input_shape"], generator=gen).float()
        p64 = {k: v.double() for k, v in p.items()}
        z = encode(x.double(), p64, cfg)
        y = decode(z, p64, cfg)
        tensors = dict(p)
        tensors.update(__input__=x, __latent__=z.float().contiguous(), __output__=y.float().contiguous())
        meta = {
            "config": json.dumps(cfg, separators=(",", ":")),
            "description": "reference_dcae.py fixture: weights under reference keys; __input__ -> "
            "__latent__ = encode(__input__) -> __output__ = decode(__latent__), float64 math",
        }
        path = os.path.join(args.out, name + ".safetensors")
        save_file(tensors, path, metadata=meta)
        print(f"{path}: {os.path.getsize(path)} bytes, {sum(v.numel() for k, v in p.items())} weights, "
              f"latent {tuple(z.shape)} max|z| {z.abs().max():.3f}, output max {y.abs().max():.3f}")


if __name__ == "__main__":
    main()
