#include "core/pch.h"

#include "sample/samplers.h"

#include <cmath>
#include <deque>
#include <stdexcept>
#include <vector>

namespace latent {

torch::Tensor AnalyticGaussianDenoiser::mean(const torch::Tensor& x_t, double t) {
  const double a = alpha_(t), s = sigma_(t);
  torch::Tensor m = m_.to(x_t.options()), v = v_.to(x_t.options());
  return m + a * v / (a * a * v + s * s) * (x_t - a * m);
}

torch::Tensor MaskedDenoiser::mean(const torch::Tensor& x_t, double t) {
  const double a = alpha(t), s = sigma(t);
  torch::Tensor y = y_.to(x_t.scalar_type());
  torch::Tensor x = torch::where(mask_, std::sqrt(a * a + s * s) * y, x_t);
  return torch::where(mask_, y, inner_.mean(x, t).to(x_t.scalar_type()));
}

void SamplerOptions::validate() const {
  static const char* known[] = {"euler", "heun", "ddpm", "ddim", "ab", "eab", "pc"};
  bool ok = false;
  for (auto k : known) ok = ok || algorithm == k;
  if (!ok) throw std::invalid_argument("unknown sampler \"" + algorithm + "\" (expected euler, heun, ddpm, ddim, ab, eab or pc)");
  if (steps <= 0) throw std::invalid_argument("steps must be a positive integer, got " + std::to_string(steps));
  if ((algorithm == "ab" || algorithm == "eab") && (order < 1 || order > 3))
    throw std::invalid_argument("order must be 1, 2 or 3, got " + std::to_string(order));
  if (algorithm == "ddim" && !(eta >= 0)) throw std::invalid_argument("eta must be >= 0");
  if (algorithm == "pc" && (corrections < 0 || !(delta > 0))) throw std::invalid_argument("pc needs corrections >= 0 and delta > 0");
}

int64_t SamplerOptions::evaluations() const {
  if (algorithm == "heun") return 2 * steps;
  if (algorithm == "pc") return (corrections + 1) * steps;
  return steps;
}

torch::Tensor noiseLike(const torch::Tensor& x, at::Generator& gen) {
  if (gen.device() == x.device()) return at::randn(x.sizes(), gen, x.options());
  return at::randn(x.sizes(), gen, x.options().device(gen.device())).to(x.device());
}

torch::Tensor initNoise(const GaussianDenoiser& d, torch::IntArrayRef shape, const torch::TensorOptions& options, at::Generator& gen) {
  const double a = d.alpha(1.0), s = d.sigma(1.0);
  torch::Tensor e = gen.device() == options.device() ? at::randn(shape, gen, options) : at::randn(shape, gen, options.device(gen.device())).to(options.device());
  return std::sqrt(a * a + s * s) * e;
}

namespace {

// Solves V c = b (k ≤ 3) in float64 by Gaussian elimination with partial pivoting.
std::vector<double> solve(std::vector<std::vector<double>> V, std::vector<double> b) {
  const size_t k = b.size();
  for (size_t col = 0; col < k; ++col) {
    size_t piv = col;
    for (size_t r = col + 1; r < k; ++r)
      if (std::abs(V[r][col]) > std::abs(V[piv][col])) piv = r;
    std::swap(V[col], V[piv]);
    std::swap(b[col], b[piv]);
    for (size_t r = col + 1; r < k; ++r) {
      const double f = V[r][col] / V[col][col];
      for (size_t c = col; c < k; ++c) V[r][c] -= f * V[col][c];
      b[r] -= f * b[col];
    }
  }
  std::vector<double> x(k);
  for (size_t i = k; i-- > 0;) {
    double s = b[i];
    for (size_t c = i + 1; c < k; ++c) s -= V[i][c] * x[c];
    x[i] = s / V[i][i];
  }
  return x;
}

// ∫_lo^hi e^u u^q du via the antiderivative e^u Σ_{j≤q} (−1)^{q−j} q!/j! u^j.
double expMoment(int q, double lo, double hi) {
  auto F = [q](double u) {
    double sum = 0, fact_q = 1;
    for (int i = 2; i <= q; ++i) fact_q *= i;
    double fact_j = 1;
    for (int j = 0; j <= q; ++j) {
      if (j > 0) fact_j *= j;
      sum += ((q - j) % 2 ? -1.0 : 1.0) * fact_q / fact_j * std::pow(u, j);
    }
    return std::exp(u) * sum;
  };
  return F(hi) - F(lo);
}

}  // namespace

torch::Tensor sample(GaussianDenoiser& d, const torch::Tensor& x1, const SamplerOptions& o, at::Generator& gen, int64_t* nfe) {
  o.validate();
  const int64_t S = o.steps;
  std::vector<double> t(size_t(S + 1)), alpha(size_t(S + 1)), sigma(size_t(S + 1)), rho(size_t(S + 1));
  for (int64_t i = 0; i <= S; ++i) {
    t[size_t(i)] = 1.0 - double(i) / double(S);
    alpha[size_t(i)] = d.alpha(t[size_t(i)]);
    sigma[size_t(i)] = d.sigma(t[size_t(i)]);
    rho[size_t(i)] = sigma[size_t(i)] / alpha[size_t(i)];
  }
  auto mu = [&](const torch::Tensor& x, size_t i) {
    if (nfe) ++*nfe;
    return d.mean(x, t[i]);
  };
  auto eps = [&](const torch::Tensor& x, const torch::Tensor& m, size_t i) { return (x - alpha[i] * m) / sigma[i]; };

  torch::Tensor x = x1;
  const std::string& algo = o.algorithm;
  if (algo == "ab" || algo == "eab") {
    const bool exponential = algo == "eab";
    std::deque<torch::Tensor> buf;
    std::vector<double> nodes_all(size_t(S + 1));
    for (size_t i = 0; i <= size_t(S); ++i) nodes_all[i] = exponential ? std::log(rho[i]) : rho[i];
    for (size_t i = 0; i < size_t(S); ++i) {
      buf.push_back(eps(x, mu(x, i), i));
      if (int64_t(buf.size()) > o.order) buf.pop_front();
      const size_t k = buf.size(), m = i + 1;
      std::vector<std::vector<double>> V(k, std::vector<double>(k));
      std::vector<double> b(k);
      const double lo = nodes_all[m - 1], hi = nodes_all[m];
      for (size_t q = 0; q < k; ++q) {
        for (size_t j = 0; j < k; ++j) V[q][j] = std::pow(nodes_all[m - k + j], double(q));
        b[q] = exponential ? expMoment(int(q), lo, hi) : (std::pow(hi, double(q + 1)) - std::pow(lo, double(q + 1))) / double(q + 1);
      }
      std::vector<double> c = solve(V, b);
      torch::Tensor update = c[0] * buf[0];
      for (size_t j = 1; j < k; ++j) update = update + c[j] * buf[j];
      x = (alpha[i + 1] / alpha[i]) * x + alpha[i + 1] * update;
    }
    return x;
  }
  for (size_t i = 0; i < size_t(S); ++i) {
    const size_t s = i + 1;
    const double at = alpha[i], st = sigma[i], as = alpha[s], ss = sigma[s];
    if (algo == "euler" || algo == "heun") {
      torch::Tensor e = eps(x, mu(x, i), i);
      torch::Tensor xs = (as / at) * x + as * (rho[s] - rho[i]) * e;
      if (algo == "heun") {
        torch::Tensor e2 = eps(xs, mu(xs, s), s);
        xs = (as / at) * x + as * (rho[s] - rho[i]) * 0.5 * (e + e2);
      }
      x = xs;
    } else if (algo == "ddpm" || algo == "ddim") {
      torch::Tensor m = mu(x, i);
      double tau = 1 - std::pow(at / as * ss / st, 2);
      if (algo == "ddim") tau = std::min(std::max(o.eta * tau, 0.0), 1.0);
      x = as * m + ss * std::sqrt(1 - tau) * (x - at * m) / st;
      if (tau > 0) x = x + ss * std::sqrt(tau) * noiseLike(x, gen);
    } else {  // pc
      for (int64_t c = 0; c < o.corrections; ++c) {
        torch::Tensor m = mu(x, i);
        x = x + o.delta * (at * m - x) + std::sqrt(2 * o.delta) * st * noiseLike(x, gen);
      }
      torch::Tensor m = mu(x, i);
      x = as * m + (ss / st) * (x - at * m);
    }
  }
  return x;
}

torch::Tensor sampleMasked(GaussianDenoiser& d, const torch::Tensor& y, const torch::Tensor& mask, torch::Tensor x1, const SamplerOptions& options,
                           at::Generator& gen, int64_t* nfe) {
  MaskedDenoiser masked(d, y, mask);
  if (!x1.defined()) x1 = initNoise(masked, y.sizes(), y.options(), gen);
  torch::Tensor x = sample(masked, x1, options, gen, nfe);
  return torch::where(mask, y.to(x.scalar_type()), x);
}

}  // namespace latent
