// The latent emulators (spec §4.2–4.4): their shared configuration, the noise schedules, the diffusion
// denoiser (time + label embedding around the ViT, EDM preconditioning with c_noise = 10·ln σ, masked
// clean context, DenoiserLoss with a time prior) and the random context mask. The deterministic twin
// (surrogate) lives in models/surrogate.h. Tensors here use the reference layout (B, C, L, *space);
// the JS bindings take the data layer's (B, L, C, *space) and transpose.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "nn/vit.h"

namespace latent {

// Keys follow configs/{denoiser,surrogate}/*.yaml. Data-dependent fields (channels, label_features,
// spatial, spatial_shape) come from the dataset or latent cache.
struct EmulatorConfig {
  std::string kind = "denoiser";        // denoiser | surrogate
  int64_t channels = 0;                 // state (latent) channels C
  int64_t label_features = 0;           // D of the label θ (0: no label embedding)
  int spatial = 2;                      // physical axes (1..3); the ViT adds time as one more
  std::vector<int64_t> spatial_shape;   // (h, w[, d]) the model is for; empty: any size
  int64_t window = 5;                   // states per window (n + 1)
  // ViT backbone (§4.1)
  int64_t hid_channels = 1024;
  int64_t hid_blocks = 16;
  int64_t attention_heads = 8;
  int64_t ffn_factor = 4;
  int64_t emb_features = 256;
  std::vector<int64_t> patch_size;      // spatial + 1 entries (time first); empty: all 1
  std::vector<int64_t> window_size;     // local attention, spatial + 1 odd entries (time first); empty: full (ViTOptions)
  double dropout = 0.05;
  bool qk_norm = true;
  bool rope = true;
  // diffusion (§4.3), denoiser only
  std::string schedule = "log_logit";   // log_logit | log_linear
  double sigma_min = 1e-3;
  double sigma_max = 1e3;
  double schedule_scale = 1.0;          // log_logit a
  double schedule_shift = 0.0;          // log_logit b
  std::string time_prior = "uniform";   // uniform | beta | kumaraswamy
  double prior_a = 1.0;
  double prior_b = 0.5;
  // random context mask (§4.2)
  double context_rate = 1.0;            // Poisson λ
  double forward_probability = 0.66;

  void validate() const;  // std::invalid_argument naming the field
  ViTOptions vitOptions() const;
};

// α(t), σ(t) of the VE-form schedules (α ≡ 1): log_logit σ = exp(a·logit(u) + b), u = t_min + t(t_max − t_min);
// log_linear σ = exp((1−t) ln σ_min + t ln σ_max).
struct Schedule {
  std::string name = "log_logit";
  double sigma_min = 1e-3, sigma_max = 1e3, scale = 1.0, shift = 0.0;
  double alpha(double t) const { return 1.0; }
  double sigma(double t) const;
  torch::Tensor alpha(const torch::Tensor& t) const { return torch::ones_like(t); }
  torch::Tensor sigma(const torch::Tensor& t) const;
  static Schedule of(const EmulatorConfig& c);
};

// Random context mask (B, L), bool: c = (Pois(λ) mod (L−1)) + 1 known states, at the start with
// probability forward_probability, else at the end.
torch::Tensor randomContextMask(int64_t batch, int64_t length, double rate, double forward_probability, const torch::Device& device);

// Per-sample values (B) viewed as (B, 1, …, 1), broadcastable against x (B, …).
torch::Tensor perSample(const torch::Tensor& v, const torch::Tensor& x);

// (B, L) bool → (B, C, L, *space) float condition channels.
torch::Tensor maskChannels(const torch::Tensor& mask, torch::IntArrayRef shape, torch::ScalarType type);

// The ViT with its time and label embeddings: keys backbone.*, time_embedding.*, label_embedding.*.
class DenoiserBackboneImpl : public torch::nn::Module {
 public:
  explicit DenoiserBackboneImpl(const EmulatorConfig& config);
  // x (B, C, L, *S), c_noise (B), label (B, D) or undefined, cond (B, C, L, *S) → F.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c_noise, const torch::Tensor& label, const torch::Tensor& cond);
  ViT backbone{nullptr};
  Chain time_embedding{nullptr};   // SineEncoding(F), Linear(F, F), SiLU, Linear(F, F)
  Chain label_embedding{nullptr};  // Linear(D, F), SiLU, Linear(F, F)
};
TORCH_MODULE(DenoiserBackbone);

class DenoiserImpl : public torch::nn::Module {
 public:
  explicit DenoiserImpl(const EmulatorConfig& config);
  // E[x | x_t] with EDM preconditioning: μ = c_skip x_t + c_out F(c_in x_t, 10 ln(σ/α), label, mask).
  // x_t (B, C, L, *S); alpha, sigma (B); mask (B, L) bool; label (B, D) or undefined. Float32 out.
  torch::Tensor mean(const torch::Tensor& x_t, const torch::Tensor& alpha, const torch::Tensor& sigma, const torch::Tensor& label,
                     const torch::Tensor& mask);
  // DenoiserLoss (§4.3): t from the time prior, clean context x_t[m] = sqrt(α²+σ²) x[m], mean((μ − x)² / var).
  // mask undefined: a random context mask per sample.
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& mask = {});
  torch::Tensor sampleTime(int64_t batch, const torch::Device& device) const;
  int64_t parameterCount() const;
  const EmulatorConfig& config() const { return config_; }
  const Schedule& schedule() const { return schedule_; }

  DenoiserBackbone backbone{nullptr};

 private:
  EmulatorConfig config_;
  Schedule schedule_;
};
TORCH_MODULE(Denoiser);

}  // namespace latent
