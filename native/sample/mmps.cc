#include "core/pch.h"

#include "sample/mmps.h"

#include <limits>
#include <stdexcept>
#include <vector>

namespace latent {

void GuidanceOptions::validate() const {
  if (solver != "gmres" && solver != "cg") throw std::invalid_argument("guidance solver must be gmres or cg, got \"" + solver + "\"");
  if (iterations < 1 || iterations > 64) throw std::invalid_argument("guidance iterations must be 1..64, got " + std::to_string(iterations));
}

namespace {
constexpr double kTiny = std::numeric_limits<double>::min();  // float64 smallest normal, as azula's epsilon
torch::Tensor rowDot(const torch::Tensor& a, const torch::Tensor& b) { return (a * b).sum(-1, true); }
}  // namespace

// Arnoldi on the Krylov space of b with Givens rotations keeping the Hessenberg matrix triangular, then back
// substitution (the textbook GMRES, as azula's): min ‖b − M u‖ over u ∈ span{b, M b, …}. Batched: every
// scalar is a (B, 1) tensor.
torch::Tensor gmresSolve(const std::function<torch::Tensor(const torch::Tensor&)>& M, const torch::Tensor& b, int64_t k) {
  const torch::Tensor r = b.to(torch::kDouble);
  const torch::Tensor beta = r.norm(2, -1, true);
  std::vector<torch::Tensor> V{r / beta.clamp_min(kTiny)};
  const size_t n = static_cast<size_t>(k);
  std::vector<std::vector<torch::Tensor>> H(n, std::vector<torch::Tensor>(n));  // H[i][j], i ≤ j (after rotation)
  std::vector<torch::Tensor> cs(n), sn(n), g{beta};
  for (int64_t j = 0; j < k; ++j) {
    torch::Tensor w = M(V[size_t(j)].to(b.scalar_type())).to(torch::kDouble);
    std::vector<torch::Tensor> h(size_t(j + 2));
    for (int64_t i = 0; i <= j; ++i) {
      h[size_t(i)] = rowDot(w, V[size_t(i)]);
      w = w - h[size_t(i)] * V[size_t(i)];
    }
    h[size_t(j + 1)] = w.norm(2, -1, true);
    V.push_back(w / h[size_t(j + 1)].clamp_min(kTiny));
    for (int64_t i = 0; i < j; ++i) {  // earlier rotations on the new column
      const torch::Tensor a = h[size_t(i)], c = h[size_t(i + 1)];
      h[size_t(i)] = cs[size_t(i)] * a + sn[size_t(i)] * c;
      h[size_t(i + 1)] = -sn[size_t(i)] * a + cs[size_t(i)] * c;
    }
    const torch::Tensor rho = torch::sqrt(h[size_t(j)].square() + h[size_t(j + 1)].square()).clamp_min(kTiny);
    cs[size_t(j)] = h[size_t(j)] / rho;
    sn[size_t(j)] = h[size_t(j + 1)] / rho;
    h[size_t(j)] = rho;
    g.push_back(-sn[size_t(j)] * g[size_t(j)]);
    g[size_t(j)] = cs[size_t(j)] * g[size_t(j)];
    for (int64_t i = 0; i <= j; ++i) H[size_t(i)][size_t(j)] = h[size_t(i)];
  }
  std::vector<torch::Tensor> c(n);
  for (int64_t i = k - 1; i >= 0; --i) {  // R c = g
    torch::Tensor sum = g[size_t(i)];
    for (int64_t l = i + 1; l < k; ++l) sum = sum - H[size_t(i)][size_t(l)] * c[size_t(l)];
    c[size_t(i)] = sum / H[size_t(i)][size_t(i)];
  }
  torch::Tensor x = torch::zeros_like(r);
  for (int64_t j = 0; j < k; ++j) x = x + c[size_t(j)] * V[size_t(j)];
  return x.to(b.scalar_type());
}

torch::Tensor cgSolve(const std::function<torch::Tensor(const torch::Tensor&)>& M, const torch::Tensor& b, int64_t k) {
  torch::Tensor r = b.to(torch::kDouble);
  torch::Tensor x = torch::zeros_like(r), p = r, rr = rowDot(r, r);
  for (int64_t i = 0; i < k; ++i) {
    torch::Tensor Mp = M(p.to(b.scalar_type())).to(torch::kDouble);
    torch::Tensor step = rr / rowDot(p, Mp).clamp_min(kTiny);
    x = x + step * p;
    r = r - step * Mp;
    torch::Tensor rr2 = rowDot(r, r);
    p = r + (rr2 / rr.clamp_min(kTiny)) * p;
    rr = rr2;
  }
  return x.to(b.scalar_type());
}

torch::Tensor MmpsDenoiser::mean(const torch::Tensor& x_t, double t) {
  const double gamma = sigma(t) * sigma(t) / alpha(t);
  torch::AutoGradMode grad(true);
  // A fresh leaf (a clone, so not an inference tensor) that the denoiser's graph starts from.
  torch::Tensor x = x_t.detach().clone().requires_grad_(true);
  torch::Tensor x_hat = inner_.mean(x, t);
  torch::Tensor y_hat = A_(x_hat);
  y_hat = y_hat.reshape({y_hat.size(0), -1});
  if (y_hat.sizes() != y_.sizes())
    throw std::invalid_argument("MMPS: the observation operator gives " + std::to_string(y_hat.size(1)) + " values per sample, the observations have shape " +
                                std::to_string(y_.size(0)) + "×" + std::to_string(y_.size(1)));
  // Aᵀ v = (∂ŷ/∂x̂)ᵀ v; A w as the derivative of ⟨Aᵀ u, w⟩ in u (Aᵀ u built with a graph): exact for any A.
  auto At = [&](const torch::Tensor& v) { return torch::autograd::grad({y_hat}, {x_hat}, {v}, true)[0]; };
  auto cov_x = [&](const torch::Tensor& v) { return gamma * torch::autograd::grad({x_hat}, {x}, {v}, true)[0]; };
  torch::Tensor u = torch::zeros_like(y_hat).requires_grad_(true);
  torch::Tensor At_u = torch::autograd::grad({y_hat}, {x_hat}, {u}, true, true)[0];
  auto A_jvp = [&](const torch::Tensor& w) { return torch::autograd::grad({At_u}, {u}, {w}, true)[0]; };
  auto cov_y = [&](const torch::Tensor& v) {
    const torch::Tensor w = v.to(y_hat.scalar_type());
    return var_y_ * w + A_jvp(cov_x(At(w)));
  };
  const torch::Tensor residual = y_.to(y_hat.scalar_type()) - y_hat.detach();
  const torch::Tensor solution = options_.solver == "cg" ? cgSolve(cov_y, residual, options_.iterations) : gmresSolve(cov_y, residual, options_.iterations);
  torch::Tensor g = torch::autograd::grad({y_hat}, {x}, {solution.to(y_hat.scalar_type())})[0];
  return (x_hat.detach() + gamma * g).detach();
}

}  // namespace latent
