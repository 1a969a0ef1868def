// Unsplit MUSCL–Hancock for the 2-D Euler equations (Toro, "Riemann Solvers and Numerical Methods for
// Fluid Dynamics", 3rd ed., §14.4 and §16): limited slopes of the primitive variables, a half-step
// predictor from the primitive quasi-linear form in both directions, HLLC fluxes at the faces (§10.4,
// with Einfeldt's wave-speed bounds, which keep the first-order scheme positive), one conservative
// update. Every flux is computed once per face, so with periodic boundaries the totals of mass,
// momentum and energy change only by round-off.
//
// Positivity: a face state that is not positive falls back to its cell average, and a step that
// still leaves a non-positive density or pressure is redone at first order around the offending
// cells, then everywhere; only if that fails too does the solver stop and say where.
#include "core/pch.h"
#include "solvers/euler.h"

#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace latent::solvers {
namespace {

using at::Tensor;
using Components = std::array<Tensor, 4>;

Tensor Limited(const Tensor& dL, const Tensor& dR, SlopeLimiter limiter) {
  if (limiter == SlopeLimiter::None) return at::zeros_like(dL);
  Tensor same = ((dL * dR) > 0).to(dL.scalar_type());
  if (limiter == SlopeLimiter::Minmod) return at::where(dL.abs() < dR.abs(), dL, dR) * same;
  Tensor centred = 0.5 * (dL + dR);
  return centred.sign() * at::minimum(centred.abs(), 2 * at::minimum(dL.abs(), dR.abs())) * same;
}

// Conserved (B, 4, ...) → primitive density, velocity x, velocity y, pressure (B, 4, ...).
Tensor Primitive(const Tensor& U, const Tensor& gamma4) {
  Tensor rho = U.select(1, 0), u = U.select(1, 1) / rho, v = U.select(1, 2) / rho;
  Tensor p = (gamma4.squeeze(1) - 1) * (U.select(1, 3) - 0.5 * rho * (u * u + v * v));
  return at::stack({rho, u, v, p}, 1);
}

// HLLC flux normal to a face from primitive states (density, normal and tangential velocity, pressure).
// Returns mass, normal-momentum, tangential-momentum and energy fluxes.
Components Hllc(const Components& L, const Components& R, const Tensor& gamma) {
  const auto& [rL, uL, vL, pL] = L;
  const auto& [rR, uR, vR, pR] = R;
  Tensor gm1 = gamma - 1;
  Tensor EL = pL / gm1 + 0.5 * rL * (uL * uL + vL * vL);
  Tensor ER = pR / gm1 + 0.5 * rR * (uR * uR + vR * vR);
  Tensor cL = at::sqrt(gamma * pL / rL), cR = at::sqrt(gamma * pR / rR);
  // Roe averages for Einfeldt's bounds.
  Tensor sL = at::sqrt(rL), sR = at::sqrt(rR), w = 1 / (sL + sR);
  Tensor uT = (sL * uL + sR * uR) * w, vT = (sL * vL + sR * vR) * w;
  Tensor hT = (sL * (EL + pL) / rL + sR * (ER + pR) / rR) * w;
  Tensor cT = at::sqrt(at::clamp_min(gm1 * (hT - 0.5 * (uT * uT + vT * vT)), 0));
  Tensor SL = at::minimum(uL - cL, uT - cT), SR = at::maximum(uR + cR, uT + cT);
  Tensor mL = rL * (SL - uL), mR = rR * (SR - uR);  // mass fluxes relative to the outer waves
  Tensor S = (pR - pL + uL * mL - uR * mR) / (mL - mR);
  Components FL{rL * uL, rL * uL * uL + pL, rL * uL * vL, uL * (EL + pL)};
  Components FR{rR * uR, rR * uR * uR + pR, rR * uR * vR, uR * (ER + pR)};
  Components UL{rL, rL * uL, rL * vL, EL}, UR{rR, rR * uR, rR * vR, ER};
  Tensor fL = mL / (SL - S), fR = mR / (SR - S);  // star-region densities
  Components UsL{fL, fL * S, fL * vL, fL * (EL / rL + (S - uL) * (S + pL / mL))};
  Components UsR{fR, fR * S, fR * vR, fR * (ER / rR + (S - uR) * (S + pR / mR))};
  Tensor useL = SL >= 0, useSL = S >= 0, useSR = SR > 0;
  Components F;
  for (int k = 0; k < 4; ++k) {
    Tensor starL = FL[k] + SL * (UsL[k] - UL[k]);
    Tensor starR = FR[k] + SR * (UsR[k] - UR[k]);
    F[k] = at::where(useL, FL[k], at::where(useSL, starL, at::where(useSR, starR, FR[k])));
  }
  return F;
}

Components Split(const Tensor& W) {
  auto c = W.unbind(1);
  return {c[0], c[1], c[2], c[3]};
}

// A face state that is not positive (or not finite) is replaced by the cell average next to it.
Tensor PositiveOr(const Tensor& face, const Tensor& cell) {
  Tensor ok = (face.select(1, 0) > 0) & (face.select(1, 3) > 0) & face.isfinite().all(1);
  return at::where(ok.unsqueeze(1), face, cell);
}

struct Stepper {
  const EulerOptions& o;
  Tensor gamma4;  // (B, 1, 1, 1)
  int64_t nx, ny;

  std::string PadMode() const { return o.boundary == EulerBoundary::Periodic ? "circular" : "replicate"; }

  // One step of length dt (B, 1, 1, 1); `firstOrder` (B, 1, nx+2, ny+2) marks cells without slopes.
  Tensor Step(const Tensor& U, const Tensor& dt, const Tensor& firstOrder, SlopeLimiter limiter) const {
    Tensor W = Primitive(U, gamma4);
    // Two ghost cells: zero-gradient extrapolation (open) or periodic copies.
    Tensor Wp = at::pad(W, {2, 2, 2, 2}, PadMode());
    // Slopes and predictor on the cells and one ring of ghosts: (B, 4, nx+2, ny+2).
    Tensor rows = Wp.narrow(3, 1, ny + 2), cols = Wp.narrow(2, 1, nx + 2);
    Tensor Wc = rows.narrow(2, 1, nx + 2);
    Tensor Sx = Limited(rows.narrow(2, 1, nx + 2) - rows.narrow(2, 0, nx + 2), rows.narrow(2, 2, nx + 2) - rows.narrow(2, 1, nx + 2), limiter);
    Tensor Sy = Limited(cols.narrow(3, 1, ny + 2) - cols.narrow(3, 0, ny + 2), cols.narrow(3, 2, ny + 2) - cols.narrow(3, 1, ny + 2), limiter);
    if (firstOrder.defined()) {
      Tensor keep = 1 - firstOrder;
      Sx = Sx * keep;
      Sy = Sy * keep;
    }
    Tensor hx = 0.5 * dt / o.dx, hy = 0.5 * dt / o.dy;  // (B, 1, 1, 1)
    auto [r, u, v, p] = Split(Wc);
    auto [rx, ux, vx, px] = Split(Sx);
    auto [ry, uy, vy, py] = Split(Sy);
    Tensor g = gamma4.squeeze(1), hx3 = hx.squeeze(1), hy3 = hy.squeeze(1);
    Tensor Ws = at::stack({r - hx3 * (u * rx + r * ux) - hy3 * (v * ry + r * vy),
                           u - hx3 * (u * ux + px / r) - hy3 * (v * uy),
                           v - hx3 * (u * vx) - hy3 * (v * vy + py / r),
                           p - hx3 * (u * px + g * p * ux) - hy3 * (v * py + g * p * vy)},
                          1);
    // x faces: nx+1 faces on the ny interior rows.
    Tensor Wsx = Ws.narrow(3, 1, ny), Sxi = Sx.narrow(3, 1, ny), Wcx = Wc.narrow(3, 1, ny);
    Tensor xL = PositiveOr(Wsx.narrow(2, 0, nx + 1) + 0.5 * Sxi.narrow(2, 0, nx + 1), Wcx.narrow(2, 0, nx + 1));
    Tensor xR = PositiveOr(Wsx.narrow(2, 1, nx + 1) - 0.5 * Sxi.narrow(2, 1, nx + 1), Wcx.narrow(2, 1, nx + 1));
    // y faces: ny+1 faces on the nx interior columns.
    Tensor Wsy = Ws.narrow(2, 1, nx), Syi = Sy.narrow(2, 1, nx), Wcy = Wc.narrow(2, 1, nx);
    Tensor yL = PositiveOr(Wsy.narrow(3, 0, ny + 1) + 0.5 * Syi.narrow(3, 0, ny + 1), Wcy.narrow(3, 0, ny + 1));
    Tensor yR = PositiveOr(Wsy.narrow(3, 1, ny + 1) - 0.5 * Syi.narrow(3, 1, ny + 1), Wcy.narrow(3, 1, ny + 1));

    auto [xl0, xl1, xl2, xl3] = Split(xL);
    auto [xr0, xr1, xr2, xr3] = Split(xR);
    Components F = Hllc({xl0, xl1, xl2, xl3}, {xr0, xr1, xr2, xr3}, g);
    auto [yl0, yl1, yl2, yl3] = Split(yL);
    auto [yr0, yr1, yr2, yr3] = Split(yR);
    Components G = Hllc({yl0, yl2, yl1, yl3}, {yr0, yr2, yr1, yr3}, g);  // normal = y
    Tensor Fx = at::stack({F[0], F[1], F[2], F[3]}, 1);
    Tensor Gy = at::stack({G[0], G[2], G[1], G[3]}, 1);
    return U - (dt / o.dx) * (Fx.narrow(2, 1, nx) - Fx.narrow(2, 0, nx)) - (dt / o.dy) * (Gy.narrow(3, 1, ny) - Gy.narrow(3, 0, ny));
  }

  // Cells (B, nx, ny) whose density or pressure is not positive, or any value not finite.
  Tensor Bad(const Tensor& U) const {
    Tensor W = Primitive(U, gamma4);
    return (W.select(1, 0) <= 0) | (W.select(1, 3) <= 0) | ~W.isfinite().all(1);
  }

  // Bad cells and their neighbours, on the (nx+2, ny+2) region of the slopes.
  Tensor Neighbourhood(const Tensor& bad) const {
    Tensor m = at::pad(bad.unsqueeze(1).to(gamma4.scalar_type()), {2, 2, 2, 2}, PadMode());
    return at::max_pool2d(m, {3, 3}, {1, 1}).narrow(2, 0, nx + 2).narrow(3, 0, ny + 2);
  }
};

std::string Where(const Tensor& U, const Tensor& gamma4, const Tensor& bad, const std::vector<double>& t, const EulerOptions& o) {
  Tensor first = bad.nonzero().to(at::kCPU);
  if (first.size(0) == 0) return "";
  int64_t b = first[0][0].item<int64_t>(), i = first[0][1].item<int64_t>(), j = first[0][2].item<int64_t>();
  Tensor W = Primitive(U.narrow(0, b, 1), gamma4.narrow(0, b, 1)).to(at::kCPU);
  std::ostringstream s;
  s << "trajectory " << (b < static_cast<int64_t>(o.ids.size()) ? o.ids[b] : b) << " at t=" << t[b] << " in cell (i=" << i << ", j=" << j
    << "; x=" << (i + 0.5) * o.dx << ", y=" << (j + 0.5) * o.dy << "): density=" << W[0][0][i][j].item<double>()
    << ", pressure=" << W[0][3][i][j].item<double>();
  return s.str();
}

}  // namespace

void ValidateEulerOptions(const EulerOptions& o, const at::Tensor& state) {
  if (state.dim() != 4 || state.size(1) != 4)
    throw std::invalid_argument("state must have shape (B, 4, Nx, Ny) (density, momentum x, momentum y, energy), got " + std::to_string(state.dim()) + " dims");
  if (state.size(2) < 4 || state.size(3) < 4)
    throw std::invalid_argument("resolution must be at least 4 cells along each axis for the MUSCL-Hancock stencil, got " +
                                std::to_string(state.size(2)) + "x" + std::to_string(state.size(3)));
  if (!(o.cfl > 0 && o.cfl < 1)) throw std::invalid_argument("cfl must be in (0, 1), got " + std::to_string(o.cfl));
  if (!(o.dx > 0) || !(o.dy > 0)) throw std::invalid_argument("dx and dy must be positive");
  if (!(o.t1 >= o.t0)) throw std::invalid_argument("t1 must be >= t0");
  if (o.maxSteps < 1) throw std::invalid_argument("maxSteps must be >= 1");
}

EulerAdvanceResult EulerAdvance(const at::Tensor& state, const at::Tensor& gammaIn, const EulerOptions& o) {
  ValidateEulerOptions(o, state);
  c10::InferenceMode inference;
  const int64_t B = state.size(0);
  if (gammaIn.numel() != B) throw std::invalid_argument("gamma must have one value per trajectory");
  Tensor U = state.to(at::kDouble).contiguous();
  Tensor gamma4 = gammaIn.to(U.device(), at::kDouble).reshape({B, 1, 1, 1});
  if (!(gamma4 > 1).all().item<bool>()) throw std::invalid_argument("gamma must be > 1 (an ideal gas)");
  Stepper stepper{o, gamma4, U.size(2), U.size(3)};
  auto cpu = at::TensorOptions().dtype(at::kDouble);

  EulerAdvanceResult out;
  out.steps.assign(B, 0);
  std::vector<double> t(B, o.t0);
  std::vector<bool> done(B, false);
  {
    Tensor bad = stepper.Bad(U);
    if (bad.any().item<bool>()) throw std::runtime_error("initial state is not physical: " + Where(U, gamma4, bad, t, o));
  }
  for (;;) {
    Tensor W = Primitive(U, gamma4);
    Tensor c = at::sqrt(gamma4.squeeze(1) * W.select(1, 3) / W.select(1, 0));
    Tensor speed = ((W.select(1, 1).abs() + c) / o.dx + (W.select(1, 2).abs() + c) / o.dy).amax({1, 2}).to(at::kCPU);
    auto s = speed.accessor<double, 1>();
    std::vector<double> dt(B, 0.0);
    bool any = false;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      double remaining = o.t1 - t[b];
      if (remaining <= 1e-12 * std::max(1.0, std::abs(o.t1))) {
        done[b] = true;
        t[b] = o.t1;
        continue;
      }
      if (!std::isfinite(s[b]) || !(s[b] > 0)) {
        std::ostringstream m;
        m << "trajectory " << (b < static_cast<int64_t>(o.ids.size()) ? o.ids[b] : b) << " blew up at t=" << t[b] << " (wave speed " << s[b] << ")";
        throw std::runtime_error(m.str());
      }
      if (out.steps[b] >= o.maxSteps) {
        std::ostringstream m;
        m << "trajectory " << (b < static_cast<int64_t>(o.ids.size()) ? o.ids[b] : b) << " did not reach t=" << o.t1 << " within maxSteps="
          << o.maxSteps << " (stopped at t=" << t[b] << ")";
        throw std::runtime_error(m.str());
      }
      double step = o.cfl / s[b];
      if (step >= remaining * (1 - 1e-10)) step = remaining;
      else if (step > 0.5 * remaining) step = 0.5 * remaining;  // no sliver of a last step
      dt[b] = step;
      any = true;
    }
    if (!any) break;
    Tensor dtT = at::from_blob(dt.data(), {B, 1, 1, 1}, cpu).clone().to(U.device());
    Tensor next = stepper.Step(U, dtT, Tensor(), o.limiter);
    Tensor bad = stepper.Bad(next);
    if (bad.any().item<bool>()) {
      // Redo the step at first order around the bad cells, then everywhere.
      Tensor region = stepper.Neighbourhood(bad);
      out.firstOrderCells += region.sum().item<int64_t>();
      next = stepper.Step(U, dtT, region, o.limiter);
      bad = stepper.Bad(next);
      if (bad.any().item<bool>()) {
        // First order for the whole of each failing trajectory; the others keep their result.
        Tensor failing = bad.flatten(1).any(1).to(gamma4.scalar_type()).view({B, 1, 1, 1});
        next = stepper.Step(U, dtT, at::maximum(region, failing.expand_as(region)), o.limiter);
        bad = stepper.Bad(next);
        if (bad.any().item<bool>()) throw std::runtime_error("lost positivity even at first order: " + Where(next, gamma4, bad, t, o));
      }
    }
    U = next;
    for (int64_t b = 0; b < B; ++b) {
      if (dt[b] <= 0) continue;
      out.steps[b] += 1;
      t[b] = (dt[b] == o.t1 - t[b]) ? o.t1 : t[b] + dt[b];
    }
  }
  out.state = U;
  return out;
}

at::Tensor EulerWellChannels(const at::Tensor& state, const at::Tensor& gamma) {
  c10::InferenceMode inference;
  const int64_t B = state.size(0);
  Tensor g = gamma.to(state.device(), at::kDouble).reshape({B, 1, 1});
  Tensor rho = state.select(1, 0), mx = state.select(1, 1), my = state.select(1, 2), E = state.select(1, 3);
  Tensor p = (g - 1) * (E - 0.5 * (mx * mx + my * my) / rho);
  return at::stack({E, rho, p, mx, my}, 1).to(at::kCPU, at::kFloat).contiguous();
}

}  // namespace latent::solvers
