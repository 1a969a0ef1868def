// Checks autograd against finite differences: the derivative of a scalar loss along one random direction
// in parameter space, analytic (backward) and numeric (central difference), computed in float64.
#pragma once
#include <functional>

namespace latent {

struct GradCheck {
  double analytic = 0;
  double numeric = 0;
};

// `loss` must compute in float64 for the check to be meaningful (the caller converts module and input).
GradCheck directionalGradCheck(torch::nn::Module& module, const std::function<torch::Tensor()>& loss, double eps, uint64_t seed);

}  // namespace latent
