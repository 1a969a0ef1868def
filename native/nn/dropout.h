// Dropout whose mask comes from a counter-based generator: y = x · m / (1 − p), m_i = [u_i ≥ p].
//
// Why: libtorch's CPU dropout draws the mask with bernoulli_ (mt19937, one element at a time), then divides it
// and multiplies: 25 ms for the ViT's FFN hidden layer (16 × 320 × 1024) and 13–14 % of a bf16 DCAE or ViT
// train step, on both this package and eager PyTorch. Here u_i is a 16-bit lane of SplitMix64 at counter
// i / 4 from a seed drawn once per call from the default CPU generator, so the mask is one pass, independent
// of the thread count, reproducible from the generator's state (checkpoints and data-parallel steps keep it),
// and the backward recomputes it from the seed instead of saving it. P(keep) = 1 − round(65536 p) / 65536
// (p = 0.05: 0.949997); the scale is 1 / (1 − p) like torch's. On other devices: at::dropout.
#pragma once

#include <cstdint>

#include <torch/nn/cloneable.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace latent {

// Training-mode dropout of x with this seed (autograd-aware; the mask runs over x's memory order).
torch::Tensor counterDropout(const torch::Tensor& x, double p, uint64_t seed);

// The module: identity in eval mode or with p = 0; in training, counterDropout with a seed from the default
// CPU generator (CPU tensors) or at::dropout (elsewhere, or everywhere with LATENT_EMULATOR_DROPOUT=torch).
class CounterDropoutImpl : public torch::nn::Cloneable<CounterDropoutImpl> {
 public:
  explicit CounterDropoutImpl(double p = 0.5);
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x);
  double p;
};
TORCH_MODULE(CounterDropout);

}  // namespace latent
