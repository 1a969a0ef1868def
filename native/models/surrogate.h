// The deterministic emulator ("neural solver", spec §4.4): the same ViT with the context mask as condition
// channels and the label embedding as modulation, trained with MSE on masked windows. Keys backbone.*
// (the ViT) and label_embedding.*, as in the reference. Layout (B, C, L, *space).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include "models/denoiser.h"

namespace latent {

class SurrogateImpl : public torch::nn::Module {
 public:
  explicit SurrogateImpl(const EmulatorConfig& config);
  // F(x ⊙ m, cond = m, mod = MLP_θ(label)); mask (B, L) bool; float32 out.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& mask);
  // mean((x − F(x ⊙ m))²) over all elements; mask undefined: random context mask per sample.
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& mask = {});
  int64_t parameterCount() const;
  const EmulatorConfig& config() const { return config_; }

  ViT backbone{nullptr};
  Chain label_embedding{nullptr};

 private:
  EmulatorConfig config_;
};
TORCH_MODULE(Surrogate);

}  // namespace latent
