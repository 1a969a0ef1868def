// The built-in numerical solvers for JavaScript: `eulerAdvance`, `eulerWellChannels` and the
// `RayleighBenard` class. Options come as plain objects; every computation runs on the compute thread.
#include "core/pch.h"

#include <memory>
#include <mutex>

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "js/args.h"
#include "js/options.h"
#include "js/bindings.h"
#include "solvers/euler.h"
#include "solvers/rayleigh_benard.h"

namespace latent::js {
namespace {

using solvers::EulerOptions;
using solvers::RayleighBenardOptions;

std::vector<double> Numbers(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) throw TypeError(what + " must be an array of numbers");
  auto a = v.As<Napi::Array>();
  std::vector<double> out(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) throw TypeError(what + " must be an array of numbers");
    out[i] = e.As<Napi::Number>().DoubleValue();
  }
  return out;
}

Napi::Array NumberArray(Napi::Env env, const std::vector<double>& values) {
  auto a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a.Set(static_cast<uint32_t>(i), values[i]);
  return a;
}

// eulerAdvance(state (B,4,Nx,Ny) conserved, gamma number[B], options) →
//   { state (float64, on the device), snapshot (B,5,Nx,Ny float32 CPU, The Well's channels), steps[], firstOrderCells }
struct EulerResult {
  solvers::EulerAdvanceResult advance;
  at::Tensor snapshot;
};

Napi::Value EulerAdvance(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor state;
  std::vector<double> gamma;
  EulerOptions o;
  std::string device;
  Guard(env, "eulerAdvance", [&]() -> Napi::Value {
    state = JsTensor::TensorOf(info[0], "state");
    gamma = Numbers(info[1], "gamma");
    OptionReader opts(info.Length() > 2 ? info[2] : info.Env().Undefined(), "options");
    std::string bc = opts.string("boundary", "open");
    if (bc == "open") o.boundary = solvers::EulerBoundary::Open;
    else if (bc == "periodic") o.boundary = solvers::EulerBoundary::Periodic;
    else throw std::invalid_argument("options.boundary must be 'open' or 'periodic', got '" + bc + "'");
    std::string limiter = opts.string("limiter", "mc");
    if (limiter == "mc") o.limiter = solvers::SlopeLimiter::MonotonizedCentral;
    else if (limiter == "minmod") o.limiter = solvers::SlopeLimiter::Minmod;
    else if (limiter == "none") o.limiter = solvers::SlopeLimiter::None;
    else throw std::invalid_argument("options.limiter must be 'mc', 'minmod' or 'none', got '" + limiter + "'");
    o.dx = opts.required("dx");
    o.dy = opts.required("dy");
    o.cfl = opts.number("cfl", 0.4);
    o.t0 = opts.number("t0", 0);
    o.t1 = opts.required("t1");
    o.maxSteps = static_cast<int64_t>(opts.number("maxSteps", 1e7));
    o.ids = opts.integers("ids", {});
    device = opts.string("device", "");
    solvers::ValidateEulerOptions(o, state);
    if (static_cast<int64_t>(gamma.size()) != state.size(0)) throw std::invalid_argument("gamma must have one value per trajectory");
    for (double g : gamma)
      if (!(g > 1)) throw std::invalid_argument("gamma must be > 1, got " + std::to_string(g));
    if (!device.empty()) ParseDevice(device);
    return env.Undefined();
  });
  return RunAsync<EulerResult>(
      env, "eulerAdvance",
      [state, gamma, o, device]() {
        c10::InferenceMode inference;
        at::Tensor s = device.empty() ? state : state.to(ParseDevice(device));
        at::Tensor g = at::tensor(gamma, at::kDouble);
        EulerResult r;
        r.advance = solvers::EulerAdvance(s, g, o);
        r.snapshot = solvers::EulerWellChannels(r.advance.state, g);
        return r;
      },
      [](Napi::Env env, EulerResult& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("state", JsTensor::Wrap(env, r.advance.state));
        out.Set("snapshot", JsTensor::Wrap(env, r.snapshot));
        std::vector<double> steps(r.advance.steps.begin(), r.advance.steps.end());
        out.Set("steps", NumberArray(env, steps));
        out.Set("firstOrderCells", Napi::Number::New(env, static_cast<double>(r.advance.firstOrderCells)));
        return out;
      },
      {info[0]});
}

Napi::Value EulerWellChannels(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor state;
  std::vector<double> gamma;
  Guard(env, "eulerWellChannels", [&]() -> Napi::Value {
    state = JsTensor::TensorOf(info[0], "state");
    gamma = Numbers(info[1], "gamma");
    if (state.dim() != 4 || state.size(1) != 4 || static_cast<int64_t>(gamma.size()) != state.size(0))
      throw std::invalid_argument("state must be (B, 4, Nx, Ny) with one gamma per trajectory");
    return env.Undefined();
  });
  return RunAsync<at::Tensor>(
      env, "eulerWellChannels", [state, gamma]() { return solvers::EulerWellChannels(state.to(at::kDouble), at::tensor(gamma, at::kDouble)); },
      [](Napi::Env env, at::Tensor& t) -> Napi::Value { return JsTensor::Wrap(env, t); }, {info[0]});
}

struct RbState {
  RayleighBenardOptions options;
  at::Device device{at::kCPU};
  std::unique_ptr<solvers::RayleighBenardSolver> solver;
  std::mutex mutex;
  solvers::RayleighBenardSolver& Solver() {
    if (!solver) solver = std::make_unique<solvers::RayleighBenardSolver>(options, device);
    return *solver;
  }
};

struct RbAdvance {
  int64_t steps = 0;
  double time = 0, dt = 0;
  at::Tensor snapshot;
  solvers::RayleighBenardDiagnostics diagnostics;
};

class JsRayleighBenard : public Napi::ObjectWrap<JsRayleighBenard> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("RayleighBenard", DefineClass(env, "RayleighBenard",
                                              {InstanceMethod<&JsRayleighBenard::SetState>("setState"),
                                               InstanceMethod<&JsRayleighBenard::Advance>("advance"),
                                               InstanceMethod<&JsRayleighBenard::Coordinates>("coordinates")}));
  }

  explicit JsRayleighBenard(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsRayleighBenard>(info) {
    Guard(info.Env(), "new RayleighBenard", [&]() -> Napi::Value {
      OptionReader opts(info.Length() > 0 ? info[0] : info.Env().Undefined(), "options");
      state_ = std::make_shared<RbState>();
      RayleighBenardOptions& o = state_->options;
      o.nx = static_cast<int64_t>(opts.required("nx"));
      o.ny = static_cast<int64_t>(opts.required("ny"));
      o.lx = opts.number("lx", 4);
      o.ly = opts.number("ly", 1);
      o.rayleigh = opts.required("rayleigh");
      o.prandtl = opts.required("prandtl");
      o.dtMax = opts.number("dtMax", 0.0625);
      o.cfl = opts.number("cfl", 0.5);
      o.maxLevel = static_cast<int>(opts.number("maxLevel", 12));
      o.ids = opts.integers("ids", {});
      solvers::ValidateRayleighBenardOptions(o);
      state_->device = ParseDevice(opts.string("device", "cpu"));
      return info.Env().Undefined();
    });
  }

 private:
  Napi::Value SetState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor b;
    double t0 = 0;
    Guard(env, "RayleighBenard.setState", [&]() -> Napi::Value {
      b = JsTensor::TensorOf(info[0], "buoyancy");
      if (info.Length() > 1 && !info[1].IsUndefined()) t0 = NumberArg(info, 1, "t0");
      return env.Undefined();
    });
    auto s = state_;
    return RunAsync<bool>(
        env, "RayleighBenard.setState",
        [s, b, t0]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          s->Solver().SetState(b, t0);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); }, {info[0]});
  }

  // advance(t1) → { steps, time, dt, snapshot (B,4,nx,ny) float32, nusselt[], kinetic[], maxDivergence, maxSpeed }
  Napi::Value Advance(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    double t1 = 0;
    Guard(env, "RayleighBenard.advance", [&]() -> Napi::Value {
      t1 = NumberArg(info, 0, "t1");
      return env.Undefined();
    });
    auto s = state_;
    return RunAsync<RbAdvance>(
        env, "RayleighBenard.advance",
        [s, t1]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          auto& solver = s->Solver();
          RbAdvance r;
          r.steps = solver.AdvanceTo(t1);
          r.time = solver.time();
          r.dt = solver.lastDt();
          r.snapshot = solver.WellChannels();
          r.diagnostics = solver.Diagnose();
          return r;
        },
        [](Napi::Env env, RbAdvance& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("steps", Napi::Number::New(env, static_cast<double>(r.steps)));
          out.Set("time", r.time);
          out.Set("dt", r.dt);
          out.Set("snapshot", JsTensor::Wrap(env, r.snapshot));
          out.Set("nusselt", NumberArray(env, r.diagnostics.nusselt));
          out.Set("kinetic", NumberArray(env, r.diagnostics.kinetic));
          out.Set("maxDivergence", r.diagnostics.maxDivergence);
          out.Set("maxSpeed", r.diagnostics.maxSpeed);
          return out;
        });
  }

  // The centre coordinates (x uniform from 0, y at the Chebyshev–Gauss nodes); computed without libtorch.
  Napi::Value Coordinates(const Napi::CallbackInfo& info) {
    const RayleighBenardOptions& o = state_->options;
    std::vector<double> x(o.nx), y(o.ny);
    for (int64_t i = 0; i < o.nx; ++i) x[i] = static_cast<double>(i) * o.lx / static_cast<double>(o.nx);
    for (int64_t j = 0; j < o.ny; ++j) y[j] = 0.5 * o.ly * (1 - std::cos(3.14159265358979323846 * (static_cast<double>(j) + 0.5) / static_cast<double>(o.ny)));
    auto out = Napi::Object::New(info.Env());
    out.Set("x", NumberArray(info.Env(), x));
    out.Set("y", NumberArray(info.Env(), y));
    return out;
  }

  std::shared_ptr<RbState> state_;
};

}  // namespace

void RegisterSolvers(Napi::Env env, Napi::Object exports) {
  exports.Set("eulerAdvance", Napi::Function::New(env, EulerAdvance, "eulerAdvance"));
  exports.Set("eulerWellChannels", Napi::Function::New(env, EulerWellChannels, "eulerWellChannels"));
  JsRayleighBenard::Register(env, exports);
}

}  // namespace latent::js
