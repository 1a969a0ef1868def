// One optimization step for any module whose loss is computed by a closure: AdamW, global
// gradient-norm clipping, skipping of non-finite steps (the reference's safe_gd_step), optional
// bfloat16 autocast. The learning-rate schedule lives in TypeScript and is passed per step.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/autocast_mode.h>
#include <torch/nn/module.h>
#include <torch/optim/adamw.h>

#include "io/safetensors.h"
#include "optim/soap.h"

namespace latent {

// Enables autocast to `dtype` on `device` for the current thread for the guard's lifetime, and
// restores the previous state afterwards (autocast state is thread-local and steps run on worker
// threads). Clears the cast-weight cache when the outermost guard ends. enabled = false: no-op.
class AutocastGuard {
 public:
  AutocastGuard(c10::DeviceType device, at::ScalarType dtype, bool enabled = true);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_;
  c10::DeviceType device_;
  bool prev_enabled_ = false;
  at::ScalarType prev_dtype_ = at::kBFloat16;
};

struct TrainerOptions {
  double lr = 1e-4;
  double beta1 = 0.9;
  double beta2 = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  bool amsgrad = false;        // AdamW: divide by √max_{s≤t} v_s instead of √v_t (Reddi et al. 2018); not with SOAP
  double clip = 1.0;          // max global grad L2 norm; <= 0 disables clipping
  bool bf16_autocast = false;  // forward (and loss closure) under bfloat16 autocast on the params' device
  double ema_decay = 0;        // exponential moving average of the weights after each step (warm-up: min(decay, (1+n)/(10+n))); 0 disables
  std::string optimizer = "adamw";  // "adamw" | "soap" (then: beta1/beta2/eps/weight_decay and the below)
  int64_t precondition_frequency = 10;  // SOAP: eigenbasis refresh period (steps)
  double shampoo_beta = -1;             // SOAP: preconditioner EMA; < 0 means beta2
  int64_t max_precond_dim = 4096;       // SOAP: larger dimensions are not preconditioned
};

struct StepResult {
  double loss = 0;       // NaN/inf when skipped for a non-finite loss
  double grad_norm = 0;  // global L2 norm before clipping (NaN when the loss was non-finite)
  bool skipped = false;  // non-finite loss or grad norm: parameters and optimizer state untouched
};

class Trainer {
 public:
  using LossFn = std::function<torch::Tensor()>;

  // Optimizes all parameters of `module` that require grad.
  Trainer(std::shared_ptr<torch::nn::Module> module, const TrainerOptions& options);

  // Puts the module in training mode, zeroes grads, runs `loss` (under autocast if enabled),
  // backpropagates, measures and clips the grad norm and steps AdamW unless anything is non-finite.
  // lr, when given, becomes the learning rate from this step on.
  StepResult step(const LossFn& loss, std::optional<double> lr = std::nullopt);

  // Gradient accumulation: one optimizer step over several micro-batch losses, each backpropagated
  // with weight 1/n (the reported loss is their mean). Any non-finite micro-loss skips the whole step.
  StepResult step(const std::vector<LossFn>& losses, std::optional<double> lr = std::nullopt);

  // Optimizer, EMA and counter state as named tensors (CPU copies):
  //   optimizer.<param>.exp_avg / .exp_avg_sq / .step (I64), ema.<param>, trainer.steps, trainer.skipped.
  // <param> are the module's named_parameters() keys. importState() checks names and shapes of
  // everything before changing anything; tensors under other prefixes are ignored.
  NamedTensors exportState() const;
  void importState(const NamedTensors& tensors);

  bool hasEma() const { return !ema_.empty(); }
  // Exchanges the trainable parameters with their EMA (no-op without EMA): call twice around
  // validation or export to use the averaged weights.
  void swapEma();

  void setLearningRate(double lr);
  double learningRate() const { return options_.lr; }
  int64_t steps() const { return steps_; }                 // steps taken (not skipped)
  int64_t skippedSteps() const { return skipped_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }  // AdamW's state stays empty under SOAP
  bool usesSoap() const { return soap_ != nullptr; }
  const TrainerOptions& options() const { return options_; }

 private:
  StepResult finish(StepResult r);
  void updateEma();

  std::shared_ptr<torch::nn::Module> module_;
  std::vector<torch::Tensor> params_;
  std::vector<std::string> names_;  // named_parameters() keys of params_
  std::vector<torch::Tensor> ema_;  // EMA shadows of params_ (empty: disabled)
  std::unique_ptr<torch::optim::AdamW> optimizer_;  // also zeroes grads when SOAP steps
  std::unique_ptr<Soap> soap_;
  TrainerOptions options_;
  int64_t steps_ = 0;
  int64_t skipped_ = 0;
};

// libtorch's default generator state for a device (CPU: dropout, randn; CUDA when that is the device),
// as named tensors `rng.cpu` / `rng.cuda` (U8), and back. Needed for bit-identical resumption.
NamedTensors rngState(const c10::Device& device);
void setRngState(const NamedTensors& tensors);

}  // namespace latent
