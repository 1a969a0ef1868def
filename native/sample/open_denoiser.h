// The diffusion denoiser as an open, callable piece (issue 14): one preconditioned evaluation
// E[x | x_t] at given noise levels with its EDM parts, and a sampler run from a given x_1, so that a
// sampler or a guidance term written in TypeScript can be checked against the native ones.
// Tensors use the model layout (B, C, L, *S); the bindings transpose from the data layer's (B, L, C, *S).
#pragma once

#include <cstdint>

#include "models/denoiser.h"
#include "sample/samplers.h"

namespace latent {

// The network as a GaussianDenoiser for one batch: label (B, D) or undefined, and the condition mask
// (B, L) bool fixed; α and σ from the model's schedule at the sampler's scalar t.
class ModelDenoiser : public GaussianDenoiser {
 public:
  ModelDenoiser(DenoiserImpl& model, torch::Tensor label, torch::Tensor mask) : model_(model), label_(std::move(label)), mask_(std::move(mask)) {}
  double alpha(double t) const override { return model_.schedule().alpha(t); }
  double sigma(double t) const override { return model_.schedule().sigma(t); }
  torch::Tensor mean(const torch::Tensor& x_t, double t) override;

 private:
  DenoiserImpl& model_;
  torch::Tensor label_, mask_;
};

// EDM preconditioning (spec §4.3) per batch element, each (B): c_skip = α/(α²+σ²), c_out = σ/√(α²+σ²),
// c_in = 1/√(α²+σ²), c_noise = 10 ln(σ/α); μ = c_skip x_t + c_out F(c_in x_t, c_noise, label, mask).
struct DenoiseResult {
  torch::Tensor mean;  // (B, C, L, *S) float32
  torch::Tensor c_skip, c_out, c_in, c_noise;
};

// One evaluation of the denoiser at noise levels alpha, sigma (B). mask (B, L) bool marks the states
// the network is told are known. With `context` (B, C, L, *S) defined, the clean-context rule the
// samplers use (MaskedDenoiser): x_t[m] ← √(α²+σ²) context[m], and μ[m] = context[m].
DenoiseResult denoise(DenoiserImpl& model, const torch::Tensor& x_t, const torch::Tensor& alpha, const torch::Tensor& sigma, const torch::Tensor& label,
                      const torch::Tensor& mask, const torch::Tensor& context);

// A sample from x1 (B, C, L, *S) at t = 1 down to t = 0 with the given sampler; with `context`
// defined, conditioned on context[mask] exactly as rollouts are (sampleMasked). nfe as in sample().
torch::Tensor sampleFrom(DenoiserImpl& model, const torch::Tensor& x1, const torch::Tensor& label, const torch::Tensor& mask, const torch::Tensor& context,
                         const SamplerOptions& options, at::Generator& gen, int64_t* nfe = nullptr);

}  // namespace latent
