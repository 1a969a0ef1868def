// float32 linear layers for inference, y = x Wᵀ + b, through oneDNN where MKL's sgemm runs below the CPU's width.
//
// Why: libtorch's float32 matmul is MKL's sgemm, and MKL picks its AVX2 kernels on AMD CPUs. On the AMD EPYC
// (Zen, AVX-512) machines this package is benchmarked on, sgemm reached 74–86 GFLOP/s per core where oneDNN's
// float32 inner product (the kernel behind libtorch's own mkldnn::_linear_pointwise, AVX-512) reached 187–204 on
// the ViT's shapes (1280–4096 rows × 128–1024 features, eager PyTorch 2.13, one thread): ×2.2–2.8. On Intel CPUs
// MKL runs its AVX-512 kernels and stays. The two kernels differ by float32 rounding only (5e-5 of outputs of
// size ~30 here); the choice is fixed per machine, not timed, so that runs stay reproducible on it.
//   LATENT_EMULATOR_FP32_LINEAR=onednn | mkl   forces one (default: oneDNN on AMD CPUs, MKL elsewhere).
// Inference only (no autograd through oneDNN's op); training keeps at::linear.
#pragma once

#include <torch/types.h>

namespace latent {

// True when a float32 CPU linear without autograd goes through oneDNN on this machine.
bool oneDnnLinearChosen(const torch::Tensor& x);

// y = x Wᵀ + b over the last axis of x (any leading shape), by oneDNN's inner product. b may be undefined.
torch::Tensor oneDnnLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

}  // namespace latent
