// SOAP (Vyas et al. 2024, "SOAP: Improving and Stabilizing Shampoo using Adam"): Adam run in the
// eigenbasis of Shampoo's Kronecker-factored preconditioner. A preconditioned optimizer of the kind the
// reference found decisive for autoencoders (it used PSGD-Kron, spec §3.2). Per parameter and per
// dimension d of size 2..max_precond_dim: GG_d ← lerp(GG_d, G_(d) G_(d)ᵀ, 1 − shampoo_beta), its
// eigenbasis Q_d (eigh at the first step, then one QR power iteration every `precondition_frequency`
// steps with Adam's second moment re-ordered); the first step only builds the preconditioner.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/types.h>

#include "io/safetensors.h"

namespace latent {

struct SoapOptions {
  double lr = 3e-3;
  double beta1 = 0.95;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0;
  double shampoo_beta = -1;  // < 0: beta2
  int64_t precondition_frequency = 10;
  int64_t max_precond_dim = 4096;
};

class Soap {
 public:
  Soap(std::vector<torch::Tensor> params, const SoapOptions& options);
  void step();  // uses each parameter's .grad() (undefined grads are skipped)
  void setLearningRate(double lr) { options_.lr = lr; }

  // optimizer.<name>.{step, exp_avg, exp_avg_sq, GG.<d>, Q.<d>} with names parallel to the params.
  NamedTensors exportState(const std::vector<std::string>& names) const;
  // Checks everything first (missing/extra/shape problems appended to `problems`); applies only when
  // `apply` and no problem was found.
  void importState(const std::vector<std::string>& names, const std::function<const torch::Tensor*(const std::string&)>& find,
                   std::vector<std::string>& problems, bool apply);

 private:
  struct State {
    int64_t step = -1;  // -1: not initialised; 0: preconditioner built, no update yet
    torch::Tensor exp_avg, exp_avg_sq;
    std::vector<torch::Tensor> GG, Q;  // per dimension; undefined when not preconditioned
  };
  torch::Tensor project(const torch::Tensor& g, const State& s, bool back) const;
  void updatePreconditioner(const torch::Tensor& g, State& s);
  bool preconditioned(int64_t size) const { return size > 1 && size <= options_.max_precond_dim; }

  std::vector<torch::Tensor> params_;
  std::vector<State> state_;
  SoapOptions options_;
};

}  // namespace latent
