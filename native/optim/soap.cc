#include "core/pch.h"

#include "optim/soap.h"

#include <cmath>
#include <stdexcept>

namespace latent {

Soap::Soap(std::vector<torch::Tensor> params, const SoapOptions& options) : params_(std::move(params)), options_(options) {
  if (options_.precondition_frequency < 1) throw std::invalid_argument("SOAP: precondition_frequency must be ≥ 1");
  state_.resize(params_.size());
}

torch::Tensor Soap::project(const torch::Tensor& g, const State& s, bool back) const {
  // Rotates every preconditioned dimension in turn; tensordot moves the contracted dimension to the end,
  // so after all dimensions the original order is back.
  torch::Tensor x = g;
  for (size_t d = 0; d < s.Q.size(); ++d) {
    if (s.Q[d].defined()) x = at::tensordot(x, s.Q[d], {0}, {back ? 1 : 0});
    else x = x.movedim(0, -1);
  }
  return x;
}

void Soap::updatePreconditioner(const torch::Tensor& g, State& s) {
  const double lerp = 1.0 - (options_.shampoo_beta < 0 ? options_.beta2 : options_.shampoo_beta);
  for (int64_t d = 0; d < g.dim(); ++d) {
    if (!s.GG[d].defined()) continue;
    torch::Tensor m = g.movedim(d, 0).reshape({g.size(d), -1});
    s.GG[d].lerp_(m.mm(m.t()), lerp);
  }
  if (s.step < 0) {  // first call: exact eigenbases, largest eigenvalue first
    for (size_t d = 0; d < s.GG.size(); ++d) {
      if (!s.GG[d].defined()) continue;
      const auto n = s.GG[d].size(0);
      torch::Tensor vectors = std::get<1>(at::linalg_eigh(s.GG[d] + 1e-30 * torch::eye(n, s.GG[d].options())));
      s.Q[d] = vectors.flip({1}).contiguous();
    }
    return;
  }
  if (s.step > 0 && s.step % options_.precondition_frequency == 0) {
    torch::Tensor eas = s.exp_avg_sq;
    for (size_t d = 0; d < s.GG.size(); ++d) {
      if (!s.Q[d].defined()) continue;
      torch::Tensor estimate = s.Q[d].t().mm(s.GG[d]).mm(s.Q[d]).diagonal();
      torch::Tensor order = at::argsort(estimate, /*stable=*/true, /*dim=*/0, /*descending=*/true);
      eas = eas.index_select(static_cast<int64_t>(d), order);
      torch::Tensor q = s.Q[d].index_select(1, order);
      s.Q[d] = std::get<0>(at::linalg_qr(s.GG[d].mm(q))).contiguous();
    }
    s.exp_avg_sq = eas.contiguous();
  }
}

void Soap::step() {
  torch::NoGradGuard no_grad;
  const auto& o = options_;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor p = params_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor g = p.grad().detach();
    if (g.dim() == 0) g = g.reshape({1});
    State& s = state_[i];
    if (s.step < 0) {
      s.GG.assign(g.dim(), torch::Tensor());
      s.Q.assign(g.dim(), torch::Tensor());
      for (int64_t d = 0; d < g.dim(); ++d)
        if (preconditioned(g.size(d))) s.GG[d] = torch::zeros({g.size(d), g.size(d)}, g.options());
      s.exp_avg = torch::zeros_like(g);
      s.exp_avg_sq = torch::zeros_like(g);
      updatePreconditioner(g, s);
      s.step = 0;
      continue;  // the first gradient only builds the preconditioner
    }
    torch::Tensor gp = project(g, s, false);
    s.step++;
    s.exp_avg.mul_(o.beta1).add_(gp, 1 - o.beta1);
    s.exp_avg_sq.mul_(o.beta2).addcmul_(gp, gp, 1 - o.beta2);
    torch::Tensor denom = s.exp_avg_sq.sqrt().add_(o.eps);
    const double bc1 = 1 - std::pow(o.beta1, static_cast<double>(s.step));
    const double bc2 = 1 - std::pow(o.beta2, static_cast<double>(s.step));
    const double stepSize = o.lr * std::sqrt(bc2) / bc1;
    torch::Tensor update = project(s.exp_avg / denom, s, true).reshape(p.sizes());
    p.add_(update, -stepSize);
    if (o.weight_decay > 0) p.add_(p, -o.lr * o.weight_decay);
    updatePreconditioner(g, s);
  }
}

NamedTensors Soap::exportState(const std::vector<std::string>& names) const {
  NamedTensors out;
  for (size_t i = 0; i < params_.size(); ++i) {
    const State& s = state_[i];
    if (s.step < 0) continue;
    const std::string prefix = "optimizer." + names[i] + ".";
    out.emplace_back(prefix + "step", torch::full({}, s.step, torch::TensorOptions().dtype(torch::kInt64)));
    out.emplace_back(prefix + "exp_avg", s.exp_avg.detach().to(torch::kCPU).clone());
    out.emplace_back(prefix + "exp_avg_sq", s.exp_avg_sq.detach().to(torch::kCPU).clone());
    for (size_t d = 0; d < s.GG.size(); ++d) {
      if (!s.GG[d].defined()) continue;
      out.emplace_back(prefix + "GG." + std::to_string(d), s.GG[d].to(torch::kCPU).clone());
      out.emplace_back(prefix + "Q." + std::to_string(d), s.Q[d].to(torch::kCPU).clone());
    }
  }
  return out;
}

void Soap::importState(const std::vector<std::string>& names, const std::function<const torch::Tensor*(const std::string&)>& find,
                       std::vector<std::string>& problems, bool apply) {
  std::vector<State> loaded(params_.size());
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string prefix = "optimizer." + names[i] + ".";
    const torch::Tensor* step = find(prefix + "step");
    if (!step) continue;
    const torch::Tensor& p = params_[i];
    auto shape = p.dim() == 0 ? std::vector<int64_t>{1} : p.sizes().vec();
    const torch::Tensor* m = find(prefix + "exp_avg");
    const torch::Tensor* v = find(prefix + "exp_avg_sq");
    if (!m || !v || m->sizes().vec() != shape || v->sizes().vec() != shape) {
      problems.push_back(prefix + "exp_avg/exp_avg_sq: missing or shape mismatch (is this a SOAP checkpoint?)");
      continue;
    }
    State& s = loaded[i];
    s.step = step->item<int64_t>();
    s.exp_avg = m->to(p.options()).clone();
    s.exp_avg_sq = v->to(p.options()).clone();
    s.GG.assign(shape.size(), torch::Tensor());
    s.Q.assign(shape.size(), torch::Tensor());
    for (size_t d = 0; d < shape.size(); ++d) {
      if (!preconditioned(shape[d])) continue;
      const torch::Tensor* gg = find(prefix + "GG." + std::to_string(d));
      const torch::Tensor* q = find(prefix + "Q." + std::to_string(d));
      if (!gg || !q || gg->sizes().vec() != std::vector<int64_t>{shape[d], shape[d]} || q->sizes().vec() != gg->sizes().vec()) {
        problems.push_back(prefix + "GG/Q." + std::to_string(d) + ": missing or shape mismatch");
        continue;
      }
      s.GG[d] = gg->to(p.options()).clone();
      s.Q[d] = q->to(p.options()).clone();
    }
  }
  if (apply && problems.empty()) state_ = std::move(loaded);
}

}  // namespace latent
