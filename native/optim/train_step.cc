#include "core/pch.h"

#include "optim/train_step.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace latent {

AutocastGuard::AutocastGuard(c10::DeviceType device, at::ScalarType dtype, bool enabled)
    : active_(enabled), device_(device) {
  if (!active_) return;
  prev_enabled_ = at::autocast::is_autocast_enabled(device_);
  prev_dtype_ = at::autocast::get_autocast_dtype(device_);
  at::autocast::set_autocast_enabled(device_, true);
  at::autocast::set_autocast_dtype(device_, dtype);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  // Like torch.autocast.__exit__: the outermost exit drops the cached low-precision weight copies.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_, prev_enabled_);
  at::autocast::set_autocast_dtype(device_, prev_dtype_);
}

Trainer::Trainer(std::shared_ptr<torch::nn::Module> module, const TrainerOptions& options)
    : module_(std::move(module)), options_(options) {
  if (!module_) throw std::invalid_argument("Trainer: module is null");
  for (const auto& p : module_->parameters())
    if (p.requires_grad()) params_.push_back(p);
  if (params_.empty()) throw std::invalid_argument("Trainer: the module has no trainable parameters");
  if (!(options_.lr >= 0)) throw std::invalid_argument("Trainer: lr must be >= 0");
  torch::optim::AdamWOptions o(options_.lr);
  o.betas({options_.beta1, options_.beta2}).eps(options_.eps).weight_decay(options_.weight_decay);
  optimizer_ = std::make_unique<torch::optim::AdamW>(params_, o);
}

void Trainer::setLearningRate(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr)) throw std::invalid_argument("Trainer: lr must be finite and >= 0");
  options_.lr = lr;
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

StepResult Trainer::step(const LossFn& lossFn, std::optional<double> lr) {
  if (lr) setLearningRate(*lr);
  module_->train(true);
  optimizer_->zero_grad(/*set_to_none=*/true);

  StepResult r;
  torch::Tensor loss;
  {
    AutocastGuard autocast(params_.front().device().type(), at::kBFloat16, options_.bf16_autocast);
    loss = lossFn();
  }
  if (!loss.defined() || loss.numel() != 1) throw std::invalid_argument("Trainer: the loss must be a scalar tensor");
  r.loss = loss.item<double>();
  if (!std::isfinite(r.loss)) {  // nothing to learn from; skip the backward pass too
    r.grad_norm = std::numeric_limits<double>::quiet_NaN();
    r.skipped = true;
    ++skipped_;
    return r;
  }
  loss.backward();

  std::vector<torch::Tensor> grads;
  grads.reserve(params_.size());
  for (const auto& p : params_)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) {
    r.grad_norm = 0;
  } else {
    // One fused pass for the per-tensor norms, then the global norm: a single host sync.
    std::vector<torch::Tensor> norms = at::_foreach_norm(grads, 2);
    torch::Tensor total = at::linalg_vector_norm(at::stack(norms).to(torch::kFloat32), 2);
    r.grad_norm = total.item<double>();
  }
  if (!std::isfinite(r.grad_norm)) {
    optimizer_->zero_grad(true);
    r.skipped = true;
    ++skipped_;
    return r;
  }
  if (options_.clip > 0 && !grads.empty()) {
    const double coef = options_.clip / (r.grad_norm + 1e-6);  // as torch.nn.utils.clip_grad_norm_
    if (coef < 1) at::_foreach_mul_(grads, coef);
  }
  optimizer_->step();
  ++steps_;
  return r;
}

}  // namespace latent
