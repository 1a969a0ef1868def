// Rayleigh–Bénard convection on a stretched staggered grid (see rayleigh_benard.h for the method).
// The y operators are small dense matrices (ny × ny), applied along the last axis by one matrix
// product, which keeps the stretched-grid stencils exact and costs little next to the FFTs.
#include "core/pch.h"
#include "solvers/rayleigh_benard.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace latent::solvers {
namespace {

using at::Tensor;
constexpr double kPi = 3.14159265358979323846;
constexpr double kBottom = 1.0, kTop = 0.0;  // wall buoyancy

Tensor Zeros(int64_t r, int64_t c) { return at::zeros({r, c}, at::kDouble); }

}  // namespace

void ValidateRayleighBenardOptions(const RayleighBenardOptions& o) {
  if (!(o.rayleigh > 0) || !std::isfinite(o.rayleigh)) throw std::invalid_argument("rayleigh must be a positive number, got " + std::to_string(o.rayleigh));
  if (!(o.prandtl > 0) || !std::isfinite(o.prandtl)) throw std::invalid_argument("prandtl must be a positive number, got " + std::to_string(o.prandtl));
  if (o.nx < 8 || o.nx % 2 != 0) throw std::invalid_argument("nx must be an even number >= 8, got " + std::to_string(o.nx));
  if (o.ny < 4) throw std::invalid_argument("ny must be >= 4, got " + std::to_string(o.ny));
  if (!(o.lx > 0) || !(o.ly > 0)) throw std::invalid_argument("lx and ly must be positive");
  if (!(o.cfl > 0 && o.cfl <= 1)) throw std::invalid_argument("cfl must be in (0, 1], got " + std::to_string(o.cfl));
  if (!(o.dtMax > 0)) throw std::invalid_argument("dtMax must be positive, got " + std::to_string(o.dtMax));
  if (o.maxLevel < 0 || o.maxLevel > 30) throw std::invalid_argument("maxLevel must be in [0, 30]");
}

RayleighBenardSolver::RayleighBenardSolver(const RayleighBenardOptions& o, at::Device device) : o_(o), device_(device) {
  ValidateRayleighBenardOptions(o);
  c10::InferenceMode inference;
  const int64_t ny = o.ny, nx = o.nx, nk = nx / 2 + 1;
  dx_ = o.lx / static_cast<double>(nx);
  kappa_ = 1 / std::sqrt(o.rayleigh * o.prandtl);
  nu_ = 1 / std::sqrt(o.rayleigh / o.prandtl);

  std::vector<double> yf(ny + 1), yc(ny), hc(ny);
  for (int64_t j = 0; j <= ny; ++j) yf[j] = 0.5 * o.ly * (1 - std::cos(kPi * static_cast<double>(j) / static_cast<double>(ny)));
  yf[0] = 0;
  yf[ny] = o.ly;
  for (int64_t j = 0; j < ny; ++j) {
    yc[j] = 0.5 * o.ly * (1 - std::cos(kPi * (static_cast<double>(j) + 0.5) / static_cast<double>(ny)));
    hc[j] = yf[j + 1] - yf[j];
  }
  // Centre → face derivative; the wall rows of Dc2f0 use a zero wall value, those of Gy are zero (Neumann).
  Tensor Dc2f0 = Zeros(ny + 1, ny), Gy = Zeros(ny + 1, ny), Df2c = Zeros(ny, ny + 1), Ic2f = Zeros(ny + 1, ny), If2c = Zeros(ny, ny + 1);
  auto d = Dc2f0.accessor<double, 2>();
  auto g = Gy.accessor<double, 2>();
  auto df = Df2c.accessor<double, 2>();
  auto ic = Ic2f.accessor<double, 2>();
  auto fi = If2c.accessor<double, 2>();
  for (int64_t j = 1; j < ny; ++j) {
    double h = yc[j] - yc[j - 1];
    d[j][j - 1] = g[j][j - 1] = -1 / h;
    d[j][j] = g[j][j] = 1 / h;
    double w = (yf[j] - yc[j - 1]) / h;
    ic[j][j - 1] = 1 - w;
    ic[j][j] = w;
  }
  d[0][0] = 1 / yc[0];
  d[ny][ny - 1] = -1 / (o.ly - yc[ny - 1]);
  for (int64_t j = 0; j < ny; ++j) {
    df[j][j] = -1 / hc[j];
    df[j][j + 1] = 1 / hc[j];
    double w = (yc[j] - yf[j]) / hc[j];
    fi[j][j] = 1 - w;
    fi[j][j + 1] = w;
  }
  Tensor Lc0 = at::matmul(Df2c, Dc2f0);
  Tensor gB = at::zeros({ny}, at::kDouble);
  gB[0] = kBottom / (yc[0] * hc[0]);
  gB[ny - 1] = kTop / ((o.ly - yc[ny - 1]) * hc[ny - 1]);
  Tensor Lf = at::matmul(Gy, Df2c);
  Tensor Mp = at::matmul(Df2c, Gy);

  Tensor k = at::arange(nk, at::kDouble);
  Tensor lambda = (2 - 2 * at::cos(2 * kPi * k / static_cast<double>(nx))) / (dx_ * dx_);
  // Pressure Poisson per mode; mode 0 is singular (constants), its pseudo-inverse fixes the gauge.
  Tensor eye = at::eye(ny, at::kDouble);
  Tensor P = Mp.unsqueeze(0) - lambda.view({nk, 1, 1}) * eye.unsqueeze(0);
  Tensor Pinv = at::empty_like(P);
  Pinv[0] = at::linalg_pinv(P[0]);
  Pinv.narrow(0, 1, nk - 1).copy_(at::linalg_inv(P.narrow(0, 1, nk - 1)));

  lambda_ = lambda.to(device_);
  hc_ = at::tensor(hc, at::kDouble).to(device_);
  Lc0_ = Lc0.to(device_);
  gB_ = gB.to(device_);
  Lf_ = Lf.to(device_);
  Gy_ = Gy.to(device_);
  Df2c_ = Df2c.to(device_);
  Ic2f_ = Ic2f.to(device_);
  If2c_ = If2c.to(device_);
  Pinv_ = Pinv.to(device_);
}

std::vector<double> RayleighBenardSolver::X() const {
  std::vector<double> x(o_.nx);
  for (int64_t i = 0; i < o_.nx; ++i) x[i] = static_cast<double>(i) * dx_;
  return x;
}

std::vector<double> RayleighBenardSolver::Y() const {
  std::vector<double> y(o_.ny);
  for (int64_t j = 0; j < o_.ny; ++j) y[j] = 0.5 * o_.ly * (1 - std::cos(kPi * (static_cast<double>(j) + 0.5) / static_cast<double>(o_.ny)));
  return y;
}

const RayleighBenardSolver::Inverses& RayleighBenardSolver::InversesAt(int level) {
  auto found = inverses_.find(level);
  if (found != inverses_.end()) return found->second;
  const int64_t ny = o_.ny, nk = o_.nx / 2 + 1;
  const double dt = DtAt(level);
  auto cpu = [](const Tensor& t) { return t.to(at::kCPU); };
  Tensor lam = cpu(lambda_).view({nk, 1, 1});
  auto crank = [&](const Tensor& L, double diffusivity) {
    int64_t n = L.size(0);
    Tensor eye = at::eye(n, at::kDouble).unsqueeze(0);
    Tensor A = eye - 0.5 * dt * diffusivity * (L.unsqueeze(0) - lam * eye);
    return at::linalg_inv(A).to(device_);
  };
  Tensor Lc0 = cpu(Lc0_), Lfi = cpu(Lf_).narrow(0, 1, ny - 1).narrow(1, 1, ny - 1);
  Inverses inv{crank(Lc0, nu_), crank(Lfi, nu_), crank(Lc0, kappa_)};
  return inverses_.emplace(level, std::move(inv)).first->second;
}

Tensor RayleighBenardSolver::Y(const Tensor& field, const Tensor& op) const { return at::matmul(field, op.t()); }

Tensor RayleighBenardSolver::Lx(const Tensor& f) const { return (at::roll(f, {-1}, {1}) - 2 * f + at::roll(f, {1}, {1})) / (dx_ * dx_); }

// Applies a per-mode inverse (nk, n, n) to a real field (B, nx, n).
Tensor RayleighBenardSolver::Solve(const Tensor& field, const Tensor& inverse) const {
  Tensor modes = at::view_as_real(at::fft_rfft(field, c10::nullopt, 1));  // (B, nk, n, 2)
  Tensor solved = at::matmul(inverse, modes).contiguous();
  return at::fft_irfft(at::view_as_complex(solved), o_.nx, 1);
}

Tensor RayleighBenardSolver::Divergence(const Tensor& u, const Tensor& v) const {
  return (u - at::roll(u, {1}, {1})) / dx_ + Y(v, Df2c_);
}

// Advection in flux form and buoyancy: the explicit right-hand sides of u, v and b.
void RayleighBenardSolver::Nonlinear(Tensor& nu, Tensor& nv, Tensor& nb) const {
  const Tensor &u = u_, &v = v_, &b = b_;
  Tensor vx = 0.5 * (v + at::roll(v, {-1}, {1}));  // v at (x_{i+1/2}, faces)
  Tensor uf = Y(u, Ic2f_);                          // u at (x_{i+1/2}, faces), zero on the walls
  Tensor uvFace = vx * uf;                          // shared by the u and v equations
  Tensor bx = u * 0.5 * (b + at::roll(b, {-1}, {1}));
  nb = -((bx - at::roll(bx, {1}, {1})) / dx_ + Y(v * Y(b, Ic2f_), Df2c_));
  Tensor uc = 0.5 * (u + at::roll(u, {1}, {1}));
  Tensor uu = uc * uc;
  nu = -((at::roll(uu, {-1}, {1}) - uu) / dx_ + Y(uvFace, Df2c_));
  Tensor vc = Y(v, If2c_);
  nv = -((uvFace - at::roll(uvFace, {1}, {1})) / dx_ + Y(vc * vc, Gy_)) + Y(b, Ic2f_);
}

void RayleighBenardSolver::Fail(const std::string& what) const {
  std::ostringstream s;
  s << what << " at t=" << time();
  throw std::runtime_error(s.str());
}

void RayleighBenardSolver::Step(int level) {
  const double dt = DtAt(level);
  const Inverses& inv = InversesAt(level);
  Tensor nu, nv, nb;
  Nonlinear(nu, nv, nb);
  Tensor eu = nu, ev = nv, eb = nb;
  if (nuPrev_.defined()) {  // Adams–Bashforth 2 with variable steps
    double w = dt / dtPrev_;
    eu = (1 + 0.5 * w) * nu - 0.5 * w * nuPrev_;
    ev = (1 + 0.5 * w) * nv - 0.5 * w * nvPrev_;
    eb = (1 + 0.5 * w) * nb - 0.5 * w * nbPrev_;
  }
  nuPrev_ = nu;
  nvPrev_ = nv;
  nbPrev_ = nb;
  dtPrev_ = dt;
  const int64_t ny = o_.ny;
  Tensor gxp = (at::roll(p_, {-1}, {1}) - p_) / dx_;
  Tensor ru = u_ + dt * (eu - gxp) + 0.5 * dt * nu_ * (Lx(u_) + Y(u_, Lc0_));
  Tensor rv = v_ + dt * (ev - Y(p_, Gy_)) + 0.5 * dt * nu_ * (Lx(v_) + Y(v_, Lf_));
  Tensor rb = b_ + dt * eb + 0.5 * dt * kappa_ * (Lx(b_) + Y(b_, Lc0_)) + dt * kappa_ * gB_;
  Tensor us = Solve(ru, inv.u);
  Tensor vs = at::zeros_like(v_);
  vs.narrow(2, 1, ny - 1).copy_(Solve(rv.narrow(2, 1, ny - 1).contiguous(), inv.v));
  b_ = Solve(rb, inv.b);
  Tensor phi = Solve(Divergence(us, vs) / dt, Pinv_);
  u_ = us - dt * (at::roll(phi, {-1}, {1}) - phi) / dx_;
  v_ = vs - dt * Y(phi, Gy_);
  p_ = p_ + phi;
}

void RayleighBenardSolver::SetState(const at::Tensor& buoyancy, double t0) {
  c10::InferenceMode inference;
  if (buoyancy.dim() != 3 || buoyancy.size(1) != o_.nx || buoyancy.size(2) != o_.ny)
    throw std::invalid_argument("buoyancy must have shape (B, " + std::to_string(o_.nx) + ", " + std::to_string(o_.ny) + ")");
  if (!buoyancy.isfinite().all().item<bool>()) throw std::invalid_argument("buoyancy must be finite");
  b_ = buoyancy.to(device_, at::kDouble).contiguous();
  u_ = at::zeros_like(b_);
  p_ = at::zeros_like(b_);
  v_ = at::zeros({b_.size(0), o_.nx, o_.ny + 1}, b_.options());
  nuPrev_ = nvPrev_ = nbPrev_ = Tensor();
  t0_ = t0;
  ticks_ = 0;
  level_ = 0;
  sinceChange_ = 0;
}

int64_t RayleighBenardSolver::AdvanceTo(double t1) {
  if (!b_.defined()) throw std::logic_error("no state: call setState first");
  c10::InferenceMode inference;
  const double tick = DtAt(o_.maxLevel);
  const double target = (t1 - t0_) / tick;
  const int64_t targetTicks = std::llround(target);
  if (std::abs(target - static_cast<double>(targetTicks)) > 1e-6 || targetTicks < ticks_)
    throw std::invalid_argument("t1 must be >= the current time and a multiple of dtMax/2^maxLevel from t0");
  int64_t steps = 0;
  while (ticks_ < targetTicks) {
    // CFL number of the current field at the current level.
    Tensor vc = Y(v_, If2c_);
    Tensor speed = (u_.abs() / dx_ + vc.abs() / hc_).amax({1, 2}).to(at::kCPU);
    double s = speed.max().item<double>();
    if (!std::isfinite(s)) {
      Tensor bad = (~speed.isfinite()).nonzero();
      int64_t b = bad[0][0].item<int64_t>();
      Fail("rayleigh_benard: trajectory " + std::to_string(b < static_cast<int64_t>(o_.ids.size()) ? o_.ids[b] : b) + " blew up (non-finite velocity)");
    }
    auto stepTicks = [&](int level) { return int64_t{1} << (o_.maxLevel - level); };
    int level = level_;
    while (level < o_.maxLevel && s * DtAt(level) > o_.cfl) ++level;
    if (s * DtAt(level) > o_.cfl) Fail("rayleigh_benard: the CFL condition needs a step below dtMax/2^maxLevel (velocity " + std::to_string(s) + ")");
    if (level == level_ && level > 0 && sinceChange_ >= 10 && s * DtAt(level - 1) < 0.4 * o_.cfl && ticks_ % stepTicks(level - 1) == 0) --level;
    while (level < o_.maxLevel && ticks_ + stepTicks(level) > targetTicks) ++level;  // land exactly on t1
    while (level < o_.maxLevel && ticks_ % stepTicks(level) != 0) ++level;
    sinceChange_ = level == level_ ? sinceChange_ + 1 : 0;
    level_ = level;
    Step(level);
    ticks_ += stepTicks(level);
    ++steps;
  }
  return steps;
}

at::Tensor RayleighBenardSolver::WellChannels() const {
  c10::InferenceMode inference;
  Tensor uc = 0.5 * (u_ + at::roll(u_, {1}, {1}));
  Tensor vc = Y(v_, If2c_);
  return at::stack({b_, p_, uc, vc}, 1).to(at::kCPU, at::kFloat).contiguous();
}

RayleighBenardDiagnostics RayleighBenardSolver::Diagnose() const {
  c10::InferenceMode inference;
  RayleighBenardDiagnostics d;
  Tensor w = hc_ / o_.ly;  // quadrature weights in y
  Tensor uc = 0.5 * (u_ + at::roll(u_, {1}, {1}));
  Tensor vc = Y(v_, If2c_);
  auto average = [&](const Tensor& f) { return (f.mean(1) * w).sum(1).to(at::kCPU); };
  Tensor nus = 1 + average(vc * b_) * (o_.ly / (kappa_ * (kBottom - kTop)));
  Tensor ke = average(0.5 * (uc * uc + vc * vc));
  d.nusselt.assign(nus.data_ptr<double>(), nus.data_ptr<double>() + nus.numel());
  d.kinetic.assign(ke.data_ptr<double>(), ke.data_ptr<double>() + ke.numel());
  d.maxDivergence = Divergence(u_, v_).abs().max().item<double>();
  d.maxSpeed = (u_.abs().max() + v_.abs().max()).item<double>();
  return d;
}

}  // namespace latent::solvers
