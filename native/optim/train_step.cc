#include "core/pch.h"

#include "optim/train_step.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include <ATen/Context.h>

#include "distributed/rank_rows.h"
#include "optim/gradient_sync.h"

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
  for (const auto& p : module_->named_parameters(/*recurse=*/true))
    if (p.value().requires_grad()) {
      params_.push_back(p.value());
      names_.push_back(p.key());
    }
  if (params_.empty()) throw std::invalid_argument("Trainer: the module has no trainable parameters");
  if (!(options_.lr >= 0)) throw std::invalid_argument("Trainer: lr must be >= 0");
  torch::optim::AdamWOptions o(options_.lr);
  o.betas({options_.beta1, options_.beta2}).eps(options_.eps).weight_decay(options_.weight_decay).amsgrad(options_.amsgrad);
  optimizer_ = std::make_unique<torch::optim::AdamW>(params_, o);
  if (options_.optimizer == "soap") {
    if (options_.amsgrad) throw std::invalid_argument("Trainer: amsgrad is an AdamW option (SOAP has none)");
    SoapOptions so;
    so.lr = options_.lr;
    so.beta1 = options_.beta1;
    so.beta2 = options_.beta2;
    so.eps = options_.eps;
    so.weight_decay = options_.weight_decay;
    so.shampoo_beta = options_.shampoo_beta;
    so.precondition_frequency = options_.precondition_frequency;
    so.max_precond_dim = options_.max_precond_dim;
    soap_ = std::make_unique<Soap>(params_, so);
  } else if (options_.optimizer != "adamw") {
    throw std::invalid_argument("Trainer: unknown optimizer \"" + options_.optimizer + "\" (adamw, soap)");
  }
  if (!(options_.ema_decay >= 0 && options_.ema_decay < 1)) throw std::invalid_argument("Trainer: ema_decay must be in [0, 1)");
  if (options_.ema_decay > 0) {
    torch::NoGradGuard no_grad;
    for (const auto& p : params_) ema_.push_back(p.detach().clone());
  }
  if (const GradientSync* sync = CurrentGradientSync()) {
    // Data parallel: every rank starts from rank 0's parameters and buffers (and so its EMA).
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> state;
    for (const auto& p : module_->parameters(/*recurse=*/true)) state.push_back(p.detach());
    for (const auto& b : module_->buffers(/*recurse=*/true)) state.push_back(b.detach());
    sync->broadcastFromRank0(state);
    for (size_t i = 0; i < ema_.size(); ++i) ema_[i].copy_(params_[i].detach());
  }
}

void Trainer::setLearningRate(double lr) {
  if (!(lr >= 0) || !std::isfinite(lr)) throw std::invalid_argument("Trainer: lr must be finite and >= 0");
  options_.lr = lr;
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
  if (soap_) soap_->setLearningRate(lr);
}

StepResult Trainer::step(const LossFn& lossFn, std::optional<double> lr) {
  return step(std::vector<LossFn>{lossFn}, lr);
}

StepResult Trainer::step(const std::vector<LossFn>& losses, std::optional<double> lr) {
  if (losses.empty()) throw std::invalid_argument("Trainer: no loss to step on");
  if (lr) setLearningRate(*lr);
  module_->train(true);
  optimizer_->zero_grad(/*set_to_none=*/true);

  StepResult r;
  const double weight = 1.0 / static_cast<double>(losses.size());
  const bool parallel = CurrentGradientSync() != nullptr;
  DataParallelStepScope scope;  // the losses draw their randomness for the global batch (distributed/rank_rows.h)
  // ...from the shared stream; dropout from this rank's own stream of this step (distributed/rank_rows.h)
  const GradientSync* sync = CurrentGradientSync();
  StepRandomStreams streams(params_.front().device(), steps_ + skipped_, sync ? sync->rank : 0);
  for (const auto& lossFn : losses) {
    torch::Tensor loss;
    {
      AutocastGuard autocast(params_.front().device().type(), at::kBFloat16, options_.bf16_autocast);
      loss = lossFn();
    }
    if (!loss.defined() || loss.numel() != 1) throw std::invalid_argument("Trainer: the loss must be a scalar tensor");
    const double value = loss.item<double>();
    r.loss += value * weight;
    if (!std::isfinite(value) && parallel) {  // the other ranks wait in the all-reduce: skip together there
      r.loss = value;
      return finish(r);
    }
    if (!std::isfinite(value)) {  // nothing to learn from; skip the (remaining) backward passes too
      optimizer_->zero_grad(true);
      r.loss = value;
      r.grad_norm = std::numeric_limits<double>::quiet_NaN();
      r.skipped = true;
      ++skipped_;
      return r;
    }
    (losses.size() == 1 ? loss : loss * weight).backward();
  }
  return finish(r);
}

StepResult Trainer::finish(StepResult r) {
  if (const GradientSync* sync = CurrentGradientSync()) {
    // Data parallel: every gradient becomes its mean over the ranks (zeros stand in for a parameter
    // this rank's loss did not reach, so every rank sends the same layout), together with the mean loss
    // and the count of ranks whose loss was non-finite. Then norm, clipping and the optimizer step see
    // the same numbers on every rank.
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> all;
    all.reserve(params_.size() + 1);
    for (auto& p : params_) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      all.push_back(p.grad());
    }
    const bool bad = !std::isfinite(r.loss);
    all.push_back(torch::tensor({bad ? 0.0 : r.loss, bad ? 1.0 : 0.0}, torch::kFloat64));
    sync->allReduceMean(all);
    const double meanLoss = all.back()[0].item<double>(), badRanks = all.back()[1].item<double>();
    if (badRanks > 0) {
      optimizer_->zero_grad(true);
      r.loss = bad ? r.loss : std::numeric_limits<double>::quiet_NaN();
      r.grad_norm = std::numeric_limits<double>::quiet_NaN();
      r.skipped = true;
      ++skipped_;
      return r;
    }
    r.loss = meanLoss;
  }
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
  if (soap_) soap_->step();
  else optimizer_->step();
  ++steps_;
  updateEma();
  return r;
}

void Trainer::updateEma() {
  if (ema_.empty()) return;
  torch::NoGradGuard no_grad;
  // ema ← d·ema + (1 − d)·θ with the usual warm-up d = min(decay, (1 + n)/(10 + n)), n the steps before this
  // one (TensorFlow's ExponentialMovingAverage with num_updates, diffusers' EMAModel): without it the
  // initial weights keep a share decay^steps of the average (5 % after 3000 steps at 0.999, 55 % after 600),
  // which measurably hurt the emulators (README, "The demo's numbers").
  const double n = static_cast<double>(steps_ - 1);
  const double d = std::min(options_.ema_decay, (1 + n) / (10 + n));
  at::_foreach_mul_(ema_, d);
  at::_foreach_add_(ema_, params_, 1.0 - d);
}

void Trainer::swapEma() {
  if (ema_.empty()) return;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor tmp = params_[i].detach().clone();
    params_[i].detach().copy_(ema_[i]);
    ema_[i].copy_(tmp);
  }
}

namespace {
torch::Tensor scalarI64(int64_t v) { return torch::full({}, v, torch::TensorOptions().dtype(torch::kInt64)); }
torch::Tensor cpuCopy(const torch::Tensor& t) { return t.detach().to(torch::kCPU).clone(); }
}  // namespace

NamedTensors Trainer::exportState() const {
  NamedTensors out;
  if (soap_) out = soap_->exportState(names_);
  auto& state = const_cast<torch::optim::AdamW&>(*optimizer_).state();
  for (size_t i = 0; i < params_.size() && !soap_; ++i) {
    auto it = state.find(params_[i].unsafeGetTensorImpl());
    if (it == state.end()) continue;  // no step taken on this parameter yet
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
    const std::string prefix = "optimizer." + names_[i] + ".";
    out.emplace_back(prefix + "exp_avg", cpuCopy(s.exp_avg()));
    out.emplace_back(prefix + "exp_avg_sq", cpuCopy(s.exp_avg_sq()));
    out.emplace_back(prefix + "step", scalarI64(s.step()));
    if (options_.amsgrad) out.emplace_back(prefix + "max_exp_avg_sq", cpuCopy(s.max_exp_avg_sq()));
  }
  for (size_t i = 0; i < ema_.size(); ++i) out.emplace_back("ema." + names_[i], cpuCopy(ema_[i]));
  out.emplace_back("trainer.steps", scalarI64(steps_));
  out.emplace_back("trainer.skipped", scalarI64(skipped_));
  return out;
}

void Trainer::importState(const NamedTensors& tensors) {
  std::unordered_map<std::string, const torch::Tensor*> given;
  for (const auto& [name, t] : tensors) given.emplace(name, &t);
  auto find = [&](const std::string& name) -> const torch::Tensor* {
    auto it = given.find(name);
    return it == given.end() ? nullptr : it->second;
  };
  std::vector<std::string> problems;
  auto checkShape = [&](const std::string& name, const torch::Tensor* t, const torch::Tensor& like) {
    if (t && !t->sizes().equals(like.sizes())) problems.push_back(name + ": shape mismatch");
  };
  std::unordered_map<std::string, bool> known;
  std::unordered_map<std::string, bool> knownPrefix;
  if (soap_) soap_->importState(names_, find, problems, /*apply=*/false);
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = "optimizer." + names_[i] + ".";
    knownPrefix[prefix] = true;
    const torch::Tensor* m = find(prefix + "exp_avg");
    const torch::Tensor* v = find(prefix + "exp_avg_sq");
    const torch::Tensor* k = find(prefix + "step");
    if (!soap_ && ((m != nullptr) != (v != nullptr) || (m != nullptr) != (k != nullptr))) problems.push_back(prefix + "*: incomplete optimizer state");
    checkShape(prefix + "exp_avg", m, params_[i]);
    checkShape(prefix + "exp_avg_sq", v, params_[i]);
    known[prefix + "exp_avg"] = known[prefix + "exp_avg_sq"] = known[prefix + "step"] = true;
    if (options_.amsgrad && !soap_) {  // AMSGrad's running maximum of exp_avg_sq comes with every AdamW state
      const torch::Tensor* vmax = find(prefix + "max_exp_avg_sq");
      if (m && !vmax) problems.push_back(prefix + "max_exp_avg_sq: missing (amsgrad is on; was the checkpoint written without it?)");
      checkShape(prefix + "max_exp_avg_sq", vmax, params_[i]);
      known[prefix + "max_exp_avg_sq"] = true;
    }
    const torch::Tensor* e = find("ema." + names_[i]);
    known["ema." + names_[i]] = true;
    if (!ema_.empty() && !e) problems.push_back("ema." + names_[i] + ": missing (EMA is enabled)");
    checkShape("ema." + names_[i], e, params_[i]);
  }
  for (const auto& [name, t] : tensors) {
    (void)t;
    bool ok = known.count(name) > 0;
    if (!ok && soap_ && name.rfind("optimizer.", 0) == 0)
      for (const auto& [prefix, _] : knownPrefix)
        if (name.rfind(prefix, 0) == 0 && name.find('.', prefix.size()) != std::string::npos) ok = true;
    if ((name.rfind("optimizer.", 0) == 0 || name.rfind("ema.", 0) == 0) && !ok) problems.push_back(name + ": unexpected (not a parameter of this model)");
  }
  if (!problems.empty()) {
    std::string text = "Trainer: cannot import the optimizer state: ";
    for (size_t i = 0; i < problems.size(); ++i) text += (i ? "; " : "") + problems[i];
    throw std::invalid_argument(text);
  }
  torch::NoGradGuard no_grad;
  if (soap_) soap_->importState(names_, find, problems, /*apply=*/true);
  auto& state = optimizer_->state();
  state.clear();
  for (size_t i = 0; i < params_.size() && !soap_; ++i) {
    const std::string prefix = "optimizer." + names_[i] + ".";
    const torch::Tensor* m = find(prefix + "exp_avg");
    if (!m) continue;
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    const auto opts = params_[i].options();
    s->exp_avg(m->to(opts).clone());
    s->exp_avg_sq(find(prefix + "exp_avg_sq")->to(opts).clone());
    s->step(find(prefix + "step")->item<int64_t>());
    if (options_.amsgrad) s->max_exp_avg_sq(find(prefix + "max_exp_avg_sq")->to(opts).clone());
    state[params_[i].unsafeGetTensorImpl()] = std::move(s);
  }
  for (size_t i = 0; i < ema_.size(); ++i) ema_[i].copy_(*find("ema." + names_[i]));
  if (const torch::Tensor* t = find("trainer.steps")) steps_ = t->item<int64_t>();
  if (const torch::Tensor* t = find("trainer.skipped")) skipped_ = t->item<int64_t>();
}

NamedTensors rngState(const c10::Device& device) {
  NamedTensors out;
  {
    auto gen = at::globalContext().defaultGenerator(c10::DeviceType::CPU);
    std::lock_guard<std::mutex> lock(gen.mutex());
    out.emplace_back("rng.cpu", gen.get_state());
  }
  if (device.is_cuda()) {
    auto gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    out.emplace_back("rng.cuda", gen.get_state());
  }
  return out;
}

void setRngState(const NamedTensors& tensors) {
  for (const auto& [name, t] : tensors) {
    if (name == "rng.cpu") {
      auto gen = at::globalContext().defaultGenerator(c10::DeviceType::CPU);
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(t.to(torch::kUInt8).contiguous());
    } else if (name == "rng.cuda" && at::globalContext().hasCUDA()) {
      auto gen = at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, 0));
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_state(t.to(torch::kUInt8).contiguous());
    }
  }
}

}  // namespace latent
