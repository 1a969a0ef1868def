// `gaussianGuidedSample`: MMPS guidance (native/sample/mmps.h) driven by the exact denoiser of a
// Gaussian prior N(mean, diag(var)) with a linear observation y = A x + N(0, var_y I), where the exact
// posterior is known in closed form (tests, and a check of any change to the guidance).
#include "core/pch.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "js/args.h"
#include "js/bindings.h"
#include "js/guidance_binding.h"
#include "models/denoiser.h"
#include "sample/mmps.h"
#include "sample/samplers.h"

namespace latent::js {
namespace {

double Number(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  if (!o.Get(key).IsNumber()) throw TypeError(std::string(key) + " must be a number");
  return o.Get(key).As<Napi::Number>().DoubleValue();
}
std::string Text(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  if (!o.Get(key).IsString()) throw TypeError(std::string(key) + " must be a string");
  return o.Get(key).As<Napi::String>().Utf8Value();
}

// gaussianGuidedSample(mean (E), var (E), A (m, E), y (m), options {var_y, solver, iterations, sampler,
// steps, order, members, seed, sigma_min, sigma_max}) → samples (K, E), float64.
Napi::Value GaussianGuidedSample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor m, v, A, y;
  SamplerOptions so;
  GuidanceOptions go;
  Schedule sched;
  double var_y = 0;
  int64_t members = 1;
  uint64_t seed = 0;
  Guard(env, "gaussianGuidedSample", [&]() -> Napi::Value {
    m = JsTensor::TensorOf(info[0], "mean").to(at::kDouble).flatten();
    v = JsTensor::TensorOf(info[1], "var").to(at::kDouble).flatten();
    A = JsTensor::TensorOf(info[2], "A").to(at::kDouble);
    y = JsTensor::TensorOf(info[3], "y").to(at::kDouble).flatten();
    if (v.sizes() != m.sizes()) throw std::invalid_argument("mean and var must have the same shape");
    if (A.dim() != 2 || A.size(1) != m.size(0) || A.size(0) != y.size(0))
      throw std::invalid_argument("A must be (m, E) = (" + std::to_string(y.size(0)) + ", " + std::to_string(m.size(0)) + "), got " + ShapeText(A.sizes()));
    if (info.Length() < 5 || !info[4].IsObject()) throw TypeError("options must be an object");
    auto o = info[4].As<Napi::Object>();
    so.algorithm = Text(o, "sampler", "ab");
    so.steps = int64_t(Number(o, "steps", 64));
    so.order = int64_t(Number(o, "order", 3));
    so.validate();
    go.solver = Text(o, "solver", "gmres");
    go.iterations = int64_t(Number(o, "iterations", 1));
    go.validate();
    var_y = Number(o, "var_y", 1e-2);
    if (!(var_y > 0)) throw std::invalid_argument("var_y must be positive");
    members = int64_t(Number(o, "members", 1));
    seed = uint64_t(Number(o, "seed", 0));
    sched.sigma_min = Number(o, "sigma_min", 1e-3);
    sched.sigma_max = Number(o, "sigma_max", 1e3);
    return env.Undefined();
  });
  return RunAsync<at::Tensor>(
      env, "gaussianGuidedSample",
      [m, v, A, y, so, go, sched, var_y, members, seed]() {
        torch::NoGradGuard noGrad;  // the sampler's own updates; MMPS turns gradients on inside
        AnalyticGaussianDenoiser exact(m, v, [sched](double t) { return sched.alpha(t); }, [sched](double t) { return sched.sigma(t); });
        MmpsDenoiser guided(exact, [A](const torch::Tensor& x) { return torch::matmul(x.reshape({x.size(0), -1}), A.t()); }, y.expand({members, y.size(0)}),
                            var_y, go);
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
        at::Tensor x1 = initNoise(guided, {members, m.size(0)}, at::TensorOptions().dtype(at::kDouble), gen);
        return sample(guided, x1, so, gen);
      },
      [](Napi::Env env, at::Tensor& r) -> Napi::Value { return JsTensor::Wrap(env, r); }, {info[0], info[1], info[2], info[3]});
}

}  // namespace

std::optional<GuidedRolloutArgs> ReadGuidance(const Napi::Object& options, int64_t batch) {
  if (!options.Has("guidance") || options.Get("guidance").IsUndefined()) return std::nullopt;
  if (!options.Get("guidance").IsObject()) throw TypeError("guidance must be an object");
  auto g = options.Get("guidance").As<Napi::Object>();
  GuidedRolloutArgs args;
  args.decode = DecoderOf(g.Get("decoder"), "guidance.decoder");
  ObservationSpec& spec = args.spec;
  spec.kind = Text(g, "operator", "");
  if (spec.kind != "subsample" && spec.kind != "downscale") throw std::invalid_argument("guidance.operator must be subsample or downscale, got \"" + spec.kind + "\"");
  const double factor = Number(g, "factor", 0);
  if (!(factor >= 1) || factor != std::floor(factor)) throw std::invalid_argument("guidance.factor must be a positive integer");
  spec.factor = int64_t(factor);
  spec.obs_noise = Number(g, "obs_noise", 0.1);
  if (!(spec.obs_noise > 0) || !std::isfinite(spec.obs_noise)) throw std::invalid_argument("guidance.obs_noise must be a positive number");
  spec.solver.solver = Text(g, "solver", "gmres");
  spec.solver.iterations = int64_t(Number(g, "iterations", 1));
  spec.solver.validate();
  spec.observations = JsTensor::TensorOf(g.Get("observations"), "guidance.observations").to(at::kFloat);
  if (spec.observations.dim() < 4 || spec.observations.size(0) != batch)
    throw std::invalid_argument("guidance.observations must be (B, T, C, *observed) with B = " + std::to_string(batch) + ", got " + ShapeText(spec.observations.sizes()));
  std::vector<int64_t> state(spec.observations.sizes().begin() + 2, spec.observations.sizes().end());
  if (g.Has("observed") && !g.Get("observed").IsUndefined()) {
    at::Tensor m = JsTensor::TensorOf(g.Get("observed"), "guidance.observed").to(at::kBool);
    if (m.dim() == int64_t(state.size()) - 1) m = m.unsqueeze(0);
    if (m.dim() != int64_t(state.size()) || !std::equal(state.begin() + 1, state.end(), m.sizes().begin() + 1) || (m.size(0) != 1 && m.size(0) != state[0]))
      throw std::invalid_argument("guidance.observed must be (*observed) or (C, *observed) = " + ShapeText(state) + ", got " + ShapeText(m.sizes()));
    spec.observed = m.expand(state).contiguous();
    if (!spec.observed.any().item<bool>()) throw std::invalid_argument("guidance.observed observes no point");
  }
  at::Tensor finite = torch::isfinite(spec.observations);
  if (spec.observed.defined()) finite = finite | ~spec.observed.unsqueeze(0).unsqueeze(0);
  if (!finite.all().item<bool>()) throw std::invalid_argument("guidance.observations must be finite at the observed points (NaN or infinity found)");
  return args;
}

void RegisterGuidance(Napi::Env env, Napi::Object exports) {
  exports.Set("gaussianGuidedSample", Napi::Function::New(env, GaussianGuidedSample, "gaussianGuidedSample"));
}

}  // namespace latent::js
