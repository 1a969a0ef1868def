#include "core/pch.h"

#include "models/surrogate.h"

#include "distributed/rank_rows.h"

namespace latent {

SurrogateImpl::SurrogateImpl(const EmulatorConfig& config) : config_(config) {
  config_.validate();
  backbone = register_module("backbone", ViT(config_.vitOptions()));
  const int64_t F = config_.emb_features;
  if (config_.label_features > 0)
    label_embedding = register_module("label_embedding", Chain(torch::nn::Linear(config_.label_features, F), torch::nn::SiLU(), torch::nn::Linear(F, F)));
}

torch::Tensor SurrogateImpl::forward(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& mask) {
  const auto type = at::promote_types(x.scalar_type(), torch::kFloat32);
  torch::Tensor cond = maskChannels(mask, x.sizes(), type);
  torch::Tensor mod = label_embedding ? label_embedding->forward(label.to(type)) : torch::Tensor();
  return backbone->forward(x.to(type) * cond, cond, mod).to(type);
}

torch::Tensor SurrogateImpl::loss(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& given_mask) {
  torch::Tensor mask = given_mask.defined() ? given_mask.to(x.device())
                                            : RankRows(x.size(0), [&](int64_t n) { return randomContextMask(n, x.size(2), config_.context_rate, config_.forward_probability, x.device()); });
  const auto type = at::promote_types(x.scalar_type(), torch::kFloat32);
  return (x.to(type) - forward(x, label, mask)).square().mean();
}

int64_t SurrogateImpl::parameterCount() const {
  int64_t n = 0;
  for (const auto& p : parameters()) n += p.numel();
  return n;
}

}  // namespace latent
