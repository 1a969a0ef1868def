// MMPS guidance (moment-matching posterior sampling; spec §5 "MMPS guidance", azula 0.3.1
// guidance/mmps.py and linalg/solve.py): a denoiser conditioned on observations y = A(x) + N(0, Σ_y),
//   γ_t = σ_t²/α_t,  x̂ = μ(x_t),  ŷ = A(x̂)
//   Σ_x v = γ_t (∂x̂/∂x_t)ᵀ v                           (Tweedie covariance, a VJP of the denoiser)
//   solve (Σ_y + A Σ_x Aᵀ) u = y − ŷ                    (GMRES or CG, a few iterations, float64 inside;
//                                                         Aᵀ by a VJP of A at x̂, A by a JVP)
//   mean = x̂ + γ_t (∂ŷ/∂x_t)ᵀ u.
// A may be non-linear (the decoder followed by an observation operator): its JVP is taken through
// autograd (the VJP of the VJP), so every product is exact. Works on any device; needs autograd, so the
// calling code must not be inside c10::InferenceMode.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sample/samplers.h"

namespace latent {

// x (B, ...) → y (B, m), differentiable torch ops.
using ObservationOperator = std::function<torch::Tensor(const torch::Tensor& x)>;

struct GuidanceOptions {
  std::string solver = "gmres";  // gmres | cg
  int64_t iterations = 1;
  void validate() const;         // std::invalid_argument
};

// Batched Krylov solves of M u = b for b (B, m), x_0 = 0, all `iterations` done; float64 inside, b's dtype out.
torch::Tensor gmresSolve(const std::function<torch::Tensor(const torch::Tensor&)>& M, const torch::Tensor& b, int64_t iterations);
torch::Tensor cgSolve(const std::function<torch::Tensor(const torch::Tensor&)>& M, const torch::Tensor& b, int64_t iterations);

class MmpsDenoiser : public GaussianDenoiser {
 public:
  // y (B, m) observations; var_y: Σ_y = var_y·I.
  MmpsDenoiser(GaussianDenoiser& inner, ObservationOperator A, torch::Tensor y, double var_y, GuidanceOptions options)
      : inner_(inner), A_(std::move(A)), y_(std::move(y)), var_y_(var_y), options_(std::move(options)) {}
  double alpha(double t) const override { return inner_.alpha(t); }
  double sigma(double t) const override { return inner_.sigma(t); }
  torch::Tensor mean(const torch::Tensor& x_t, double t) override;

 private:
  GaussianDenoiser& inner_;
  ObservationOperator A_;
  torch::Tensor y_;
  double var_y_;
  GuidanceOptions options_;
};

}  // namespace latent
