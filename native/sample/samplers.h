// Diffusion samplers (spec §5, azula 0.3.1 semantics) over one denoiser interface: Euler, Heun, DDPM,
// DDIM(η), Adams–Bashforth of order 1–3 (float64 Vandermonde solve), exponential AB and
// predictor–corrector. Time runs on timesteps = linspace(1, 0, steps + 1); the sampler stops at t = 0
// (σ = σ_min) without a final denoise. ε̂ = (x_t − α_t μ)/σ_t; with ρ = σ/α the probability-flow ODE is
// d(x/α) = ε̂ dρ.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <ATen/core/Generator.h>

namespace latent {

// What every sampler drives: the posterior mean E[x | x_t] at a scalar time t for a whole batch.
class GaussianDenoiser {
 public:
  virtual ~GaussianDenoiser() = default;
  virtual double alpha(double t) const = 0;
  virtual double sigma(double t) const = 0;
  virtual torch::Tensor mean(const torch::Tensor& x_t, double t) = 0;
};

// Exact denoiser of x ~ N(m, diag(v)) under x_t = α x + σ ε (any schedule given as functions):
// μ = m + α v / (α² v + σ²) (x_t − α m). For tests: every sampler should reproduce N(m, v).
class AnalyticGaussianDenoiser : public GaussianDenoiser {
 public:
  AnalyticGaussianDenoiser(torch::Tensor m, torch::Tensor v, std::function<double(double)> alpha, std::function<double(double)> sigma)
      : m_(std::move(m)), v_(std::move(v)), alpha_(std::move(alpha)), sigma_(std::move(sigma)) {}
  double alpha(double t) const override { return alpha_(t); }
  double sigma(double t) const override { return sigma_(t); }
  torch::Tensor mean(const torch::Tensor& x_t, double t) override;

 private:
  torch::Tensor m_, v_;
  std::function<double(double)> alpha_, sigma_;
};

// Clean context (spec §5 MaskedDenoiser): x_t[m] ← sqrt(α²+σ²) y[m]; μ = where(m, y, D(x_t).μ).
// mask is bool, broadcastable to x_t.
class MaskedDenoiser : public GaussianDenoiser {
 public:
  MaskedDenoiser(GaussianDenoiser& inner, torch::Tensor y, torch::Tensor mask) : inner_(inner), y_(std::move(y)), mask_(std::move(mask)) {}
  double alpha(double t) const override { return inner_.alpha(t); }
  double sigma(double t) const override { return inner_.sigma(t); }
  torch::Tensor mean(const torch::Tensor& x_t, double t) override;

 private:
  GaussianDenoiser& inner_;
  torch::Tensor y_, mask_;
};

struct SamplerOptions {
  std::string algorithm = "ab";  // euler | heun | ddpm | ddim | ab | eab | pc
  int64_t steps = 16;
  int64_t order = 3;             // ab, eab: 1..3
  double eta = 0.0;              // ddim
  int64_t corrections = 1;       // pc
  double delta = 0.01;           // pc

  void validate() const;         // std::invalid_argument before any compute
  int64_t evaluations() const;   // network evaluations per sample call
};

// x_1 = sqrt(α_1² + σ_1²) ε.
torch::Tensor initNoise(const GaussianDenoiser& d, torch::IntArrayRef shape, const torch::TensorOptions& options, at::Generator& gen);

// Integrates from x1 (at t = 1) to t = 0. `gen` drives the stochastic samplers (ddpm, ddim η>0, pc).
// nfe (optional) is incremented once per denoiser evaluation.
torch::Tensor sample(GaussianDenoiser& d, const torch::Tensor& x1, const SamplerOptions& options, at::Generator& gen, int64_t* nfe = nullptr);

// A sample conditioned on y[mask] through MaskedDenoiser, from x1 (undefined: initNoise); the known
// elements of the result are y itself (the sampler's x_0 there is y up to σ_min-sized noise).
torch::Tensor sampleMasked(GaussianDenoiser& d, const torch::Tensor& y, const torch::Tensor& mask, torch::Tensor x1, const SamplerOptions& options,
                           at::Generator& gen, int64_t* nfe = nullptr);

// Standard normal noise like x from `gen` (CPU generators on any device: drawn on the CPU, then moved).
torch::Tensor noiseLike(const torch::Tensor& x, at::Generator& gen);

}  // namespace latent
