// 2-D compressible Euler equations of an ideal gas on a uniform grid: a conservative, second-order
// finite-volume scheme (unsplit MUSCL–Hancock with HLLC fluxes), vectorised over a batch of
// trajectories, written with tensor ops so that it runs unchanged on CPU and CUDA.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace latent::solvers {

enum class EulerBoundary { Open, Periodic };
enum class SlopeLimiter { MonotonizedCentral, Minmod, None };

struct EulerOptions {
  EulerBoundary boundary = EulerBoundary::Open;
  SlopeLimiter limiter = SlopeLimiter::MonotonizedCentral;
  double dx = 0, dy = 0;  // cell sizes along x (tensor dim 2) and y (dim 3)
  double cfl = 0.4;       // Courant number of the unsplit scheme: dt·max((|u|+c)/dx + (|v|+c)/dy)
  double t0 = 0, t1 = 0;  // advance every trajectory from t0 to exactly t1
  int64_t maxSteps = 10'000'000;
  std::vector<int64_t> ids;  // trajectory names for error messages (default: batch index)
};

struct EulerAdvanceResult {
  at::Tensor state;            // conserved (B, 4, Nx, Ny): density, momentum x, momentum y, energy; float64
  std::vector<int64_t> steps;  // time steps taken per trajectory
  int64_t firstOrderCells = 0; // cell-steps where the positivity fallback dropped to first order
};

// Checks the options (the messages name the parameter and its valid range).
void ValidateEulerOptions(const EulerOptions& o, const at::Tensor& state);

// Advances conserved states U (B, 4, Nx, Ny) with heat-capacity ratios gamma (B) from t0 to t1.
// Each trajectory takes its own CFL-limited steps, so its result does not depend on the batch.
// Throws std::runtime_error naming trajectory, time and cell if positivity or finiteness is lost.
EulerAdvanceResult EulerAdvance(const at::Tensor& state, const at::Tensor& gamma, const EulerOptions& o);

// The Well's channels of a state: energy, density, pressure, momentum_x, momentum_y; (B, 5, Nx, Ny).
at::Tensor EulerWellChannels(const at::Tensor& state, const at::Tensor& gamma);

}  // namespace latent::solvers
