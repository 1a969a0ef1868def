#!/usr/bin/env python3
"""Convert a reference (PolymathicAI/lola) PyTorch checkpoint to safetensors for latent-emulator.

    python3 scripts/convert_pth.py runs/ae/<run>/state.pth weights.safetensors

The reference saves `model.state_dict()` directly as state.pth; a checkpoint that wraps it under a
key (e.g. {"model": ..., "optimizer": ...}) is unwrapped with --key (default: auto-detect "model",
"state_dict", "state" or "ema"). Keys and shapes are kept unchanged; a "module." / "_orig_mod."
prefix (DDP / torch.compile) is stripped. Requires: torch, safetensors.
"""
import argparse

import torch
from safetensors.torch import save_file


def main():
    ap = argparse.ArgumentParser(description="reference .pth state dict -> .safetensors")
    ap.add_argument("pth")
    ap.add_argument("out")
    ap.add_argument("--key", help="entry holding the state dict, if the file wraps it")
    args = ap.parse_args()

    sd = torch.load(args.pth, map_location="cpu", weights_only=True)
    if args.key:
        sd = sd[args.key]
    elif not all(isinstance(v, torch.Tensor) for v in sd.values()):
        sd = next(sd[k] for k in ("model", "state_dict", "state", "ema") if isinstance(sd.get(k), dict))
    for prefix in ("module.", "_orig_mod."):
        if sd and all(k.startswith(prefix) for k in sd):
            sd = {k[len(prefix):]: v for k, v in sd.items()}
    # The one line that matters: contiguous CPU tensors under the reference names.
    save_file({k: v.contiguous() for k, v in sd.items()}, args.out, metadata={"format": "pt", "source": args.pth})
    print(f"{args.out}: {len(sd)} tensors, {sum(v.numel() for v in sd.values())} values")


if __name__ == "__main__":
    main()
