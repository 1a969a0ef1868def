// The DCAE's channel layer norm on channels-last CPU tensors, in one pass over each pixel's channels.
//
//   y = (x − m) / sqrt(v_u + eps),  m, v_u = the mean and unbiased variance over the channel axis
//
// (the reference's torch.var_mean normalisation, no affine). Why a kernel of our own: with the channels innermost
// each pixel is one short row (32–128 channels in the DCAE), and libtorch's row-wise layer norm spends most of
// its time per row, not per element; in bf16 it was slower than in float32 (4.0 against 3.1 ms per encode of
// 8 × 5 × 64², 11 % of the bf16 encode). Here a row is a few AVX-512 vectors read from L1 three times (sum,
// squared deviations: two passes as var_mean; output), all arithmetic in float32, the output rounded once (bf16:
// to nearest even). The backward recomputes y from the saved input and the per-row mean and 1/σ:
//   dx = (1/σ) · (g − mean_c g − y · Σ_c(g · y)/(C − 1)),  y = (x − m)/σ,  σ = sqrt(v_u + eps)
// (the C − 1 is the unbiased variance's: ∂v_u/∂x_j = 2 (x_j − m)/(C − 1)).
// float32 and bfloat16 on CPUs with AVX-512 only; anything else (other dtypes, devices or CPUs, plain layouts)
// goes through the caller's libtorch path, and LATENT_EMULATOR_CHANNEL_NORM=torch sends everything there (benchmarks compare the two).
#pragma once

#include <torch/types.h>

namespace latent {

// True when channelNorm applies to x: a CPU float32/bfloat16 tensor of 4 or 5 dims with ≥ 2 channels, dense
// channels-last, on a CPU with AVX-512, and the kernel not switched off.
bool channelNormApplies(const torch::Tensor& x);

// The normalisation above (autograd-aware; a backward that builds a graph, create_graph, runs in differentiable
// ATen ops instead of the kernel, so higher derivatives hold). Requires channelNormApplies(x).
torch::Tensor channelNorm(const torch::Tensor& x, double eps);

}  // namespace latent
