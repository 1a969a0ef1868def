#include "core/pch.h"
#include "models/grad_check.h"

namespace latent {

GradCheck directionalGradCheck(torch::nn::Module& module, const std::function<torch::Tensor()>& loss, double eps, uint64_t seed) {
  auto params = module.parameters();
  auto generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  std::vector<torch::Tensor> directions;
  for (auto& p : params) {
    directions.push_back(at::randn(p.sizes(), generator, at::TensorOptions().dtype(p.scalar_type())).to(p.device()));
    p.mutable_grad() = torch::Tensor();
  }
  GradCheck out;
  loss().backward();
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].grad().defined()) out.analytic += (params[i].grad() * directions[i]).sum().item<double>();
    params[i].mutable_grad() = torch::Tensor();
  }
  torch::NoGradGuard noGrad;
  auto shift = [&](double by) {
    for (size_t i = 0; i < params.size(); ++i) params[i].add_(directions[i], by);
  };
  shift(eps);
  double plus = loss().item<double>();
  shift(-2 * eps);
  double minus = loss().item<double>();
  shift(eps);
  out.numeric = (plus - minus) / (2 * eps);
  return out;
}

}  // namespace latent
