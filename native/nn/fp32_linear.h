// float32 linear layers for inference, y = x Wᵀ + b, through oneDNN where MKL's sgemm runs below the CPU's width.
//
// Why: libtorch's float32 matmul is MKL's sgemm, and MKL picks its AVX2 kernels on AMD CPUs. On the AMD EPYC
// (Zen, AVX-512) machines this package is benchmarked on, sgemm reached 74–86 GFLOP/s per core where oneDNN's
// float32 inner product (the kernel behind libtorch's own mkldnn::_linear_pointwise, AVX-512) reached 187–204 on
// the ViT's shapes (1280–4096 rows × 128–1024 features, eager PyTorch 2.13, one thread): ×2.2–2.8. On Intel CPUs
// MKL runs its AVX-512 kernels and stays. The two kernels differ by float32 rounding only (5e-5 of outputs of
// size ~30 here); the choice is fixed per machine, not timed, so that runs stay reproducible on it.
//   LATENT_EMULATOR_FP32_LINEAR=onednn | mkl   forces one (default: oneDNN on AMD CPUs, MKL elsewhere).
// Training too: the backward's two products are inner products as well, dx = g W (weight Wᵀ, copied once) and
// dW = gᵀ x (input gᵀ, weight xᵀ, both copied: ~1.6× faster than MKL's transposed sgemm even so, measured on the
// ViT's 5120-token shapes), db = Σ g. Under autocast the layer's own forward runs (autocast picks the precision).
#pragma once

#include <torch/types.h>

namespace latent {

// True when a linear of x goes through oneDNN on this machine: x float32 on CPU, autocast off, oneDNN chosen.
bool oneDnnLinearChosen(const torch::Tensor& x);

// y = x Wᵀ + b over the last axis of x (any leading shape), by oneDNN's inner product; autograd-aware when x, W
// or b requires grad (a backward that builds a graph, create_graph, uses libtorch's differentiable matmuls, so
// higher derivatives hold). b may be undefined.
torch::Tensor oneDnnLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace latent
