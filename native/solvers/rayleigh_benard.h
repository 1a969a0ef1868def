// 2-D Rayleigh–Bénard convection (Boussinesq), as in The Well's `rayleigh_benard`: domain lx × ly
// (4 × 1), periodic in x, no-slip walls at fixed buoyancy (1 below, 0 above) in y, with
// κ = (Ra·Pr)^(-1/2) and ν = (Ra/Pr)^(-1/2) (free-fall units).
//
// Discretisation: a staggered (MAC) finite-difference grid, uniform in x and stretched in y so that
// the cell centres are exactly the Chebyshev–Gauss nodes y_j = ly/2·(1 − cos(π(j+½)/ny)) on which
// The Well's Dedalus runs store their fields, and the cell faces are the Chebyshev–Gauss–Lobatto
// points (the walls are faces). Buoyancy and pressure live at centres (x_i = i·dx, y_j), horizontal
// velocity at (x_i + dx/2, y_j), vertical velocity at (x_i, face_j). Advection in flux form (second
// order, central), diffusion Crank–Nicolson, advection and buoyancy Adams–Bashforth 2, incremental
// pressure projection. Every implicit operator is diagonal in the x Fourier modes, so each solve is
// an FFT, a batched matrix product per mode and an inverse FFT: the projected velocity is
// divergence-free to round-off.
#pragma once
#include <cstdint>
#include <map>
#include <vector>

namespace latent::solvers {

struct RayleighBenardOptions {
  int64_t nx = 0, ny = 0;
  double lx = 4, ly = 1;
  double rayleigh = 0, prandtl = 0;
  double dtMax = 0.0625;  // largest time step; steps are dtMax / 2^level, level chosen by CFL
  double cfl = 0.5;       // on max(|u|/dx + |v|/dy_local)·dt
  int maxLevel = 12;
  std::vector<int64_t> ids;  // trajectory names for error messages
};

struct RayleighBenardDiagnostics {
  std::vector<double> nusselt;  // 1 + <v b>·ly/(κ ΔB), volume average, per trajectory
  std::vector<double> kinetic;  // <(u² + v²)/2>, per trajectory
  double maxDivergence = 0;     // max |∇·u| of the staggered field
  double maxSpeed = 0;          // max |u| + |v|, to scale the divergence
};

// Checks the options (the messages name the parameter and its valid range).
void ValidateRayleighBenardOptions(const RayleighBenardOptions& o);

class RayleighBenardSolver {
 public:
  RayleighBenardSolver(const RayleighBenardOptions& o, at::Device device);

  // Buoyancy (B, nx, ny) at the centres; velocity and pressure start at zero, time at t0.
  void SetState(const at::Tensor& buoyancy, double t0);
  // Advances every trajectory to t1 (t1 − t must be a multiple of dtMax/2^maxLevel); returns the steps taken.
  int64_t AdvanceTo(double t1);
  // The Well's channels at the centres: buoyancy, pressure, velocity_x, velocity_y; (B, 4, nx, ny) float32 on CPU.
  at::Tensor WellChannels() const;
  RayleighBenardDiagnostics Diagnose() const;
  double time() const { return t0_ + static_cast<double>(ticks_) * DtAt(o_.maxLevel); }
  double lastDt() const { return DtAt(level_); }
  std::vector<double> X() const;
  std::vector<double> Y() const;
  const RayleighBenardOptions& options() const { return o_; }

 private:
  struct Inverses {
    at::Tensor u, v, b;  // (nk, n, n) per x Fourier mode
  };
  double DtAt(int level) const { return o_.dtMax / static_cast<double>(int64_t{1} << level); }
  const Inverses& InversesAt(int level);
  at::Tensor Solve(const at::Tensor& field, const at::Tensor& inverse) const;
  at::Tensor Y(const at::Tensor& field, const at::Tensor& op) const;
  at::Tensor Lx(const at::Tensor& f) const;
  void Nonlinear(at::Tensor& nu, at::Tensor& nv, at::Tensor& nb) const;
  at::Tensor Divergence(const at::Tensor& u, const at::Tensor& v) const;
  void Step(int level);
  void Fail(const std::string& what) const;

  RayleighBenardOptions o_;
  at::Device device_;
  double dx_, nu_, kappa_;
  at::Tensor lambda_;  // (nk) eigenvalues of −(second difference in x)
  at::Tensor hc_;      // (ny) cell heights
  at::Tensor Lc0_, gB_, Lf_, Gy_, Df2c_, Ic2f_, If2c_, Pinv_;
  std::map<int, Inverses> inverses_;
  at::Tensor u_, v_, b_, p_, nuPrev_, nvPrev_, nbPrev_;
  double dtPrev_ = 0;
  double t0_ = 0;
  int64_t ticks_ = 0;  // time since t0 in units of dtMax / 2^maxLevel
  int level_ = 0;
  int64_t sinceChange_ = 0;
};

}  // namespace latent::solvers
