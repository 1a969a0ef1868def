// Test-only hooks: native entry points that exist to check the C++ numerics against exact answers from
// JavaScript tests, kept apart from the model handles.
#include "core/pch.h"

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "js/args.h"
#include "js/bindings.h"
#include "js/option_sets.h"
#include "models/denoiser.h"
#include "sample/samplers.h"

namespace latent::js {
namespace {

// gaussianSample(mean (E...), var (E...), options {sampler, steps, …, members, seed, schedule, sigma_min,
// sigma_max, init?, observed?, mask?}) → {samples (K, E...), evaluations}: the samplers driven by the exact
// denoiser of N(mean, diag(var)); with observed + mask (bool, like mean) through MaskedDenoiser.
Napi::Value GaussianSample(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor m, v, init, observed, mask;
  SamplerOptions so;
  Schedule sched;
  int64_t members = 1;
  uint64_t seed = 0;
  Guard(env, "gaussianSample", [&]() -> Napi::Value {
    m = JsTensor::TensorOf(info[0], "mean").to(at::kDouble);
    v = JsTensor::TensorOf(info[1], "var").to(at::kDouble);
    if (m.sizes() != v.sizes()) throw std::invalid_argument("mean and var must have the same shape");
    OptionReader o(info.Length() > 2 ? info[2] : env.Undefined(), "options");
    so = ReadSamplerOptions(o);
    members = o.integer("members", 1);
    if (members < 1) throw std::invalid_argument("members must be positive");
    const int64_t s = o.integer("seed", 0);
    if (s < 0) throw std::invalid_argument(o.name("seed") + " must be a non-negative integer");
    seed = uint64_t(s);
    sched.name = o.oneOf("schedule", "log_logit", {"log_logit", "log_linear"});
    sched.sigma_min = o.number("sigma_min", 1e-3);
    sched.sigma_max = o.number("sigma_max", 1e3);
    std::vector<int64_t> shape{members};
    for (auto d : m.sizes()) shape.push_back(d);
    if (o.has("init")) {
      init = JsTensor::TensorOf(o.raw("init"), "options.init").to(at::kDouble);
      if (init.sizes().vec() != shape) throw std::invalid_argument("options.init must have shape " + ShapeText(shape) + ", got " + ShapeText(init.sizes()));
    }
    if (o.has("observed")) {
      observed = JsTensor::TensorOf(o.raw("observed"), "options.observed").to(at::kDouble);
      mask = JsTensor::TensorOf(o.raw("mask"), "options.mask").to(at::kBool);
    }
    return env.Undefined();
  });
  struct Out {
    at::Tensor x;
    int64_t nfe = 0;
  };
  return RunAsync<Out>(
      env, "gaussianSample",
      [m, v, init, observed, mask, so, sched, members, seed]() {
        c10::InferenceMode inference;
        AnalyticGaussianDenoiser exact(m, v, [sched](double t) { return sched.alpha(t); }, [sched](double t) { return sched.sigma(t); });
        at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
        std::vector<int64_t> shape{members};
        for (auto d : m.sizes()) shape.push_back(d);
        Out out;
        if (observed.defined()) {
          out.x = sampleMasked(exact, observed.expand(shape), mask.expand(shape), init, so, gen, &out.nfe);
        } else {
          at::Tensor x1 = init.defined() ? init : initNoise(exact, shape, at::TensorOptions().dtype(at::kDouble), gen);
          out.x = sample(exact, x1, so, gen, &out.nfe);
        }
        return out;
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("samples", JsTensor::Wrap(env, r.x));
        out.Set("evaluations", Napi::Number::New(env, double(r.nfe)));
        return out;
      },
      {info[0], info[1], info[2]});
}

}  // namespace

void RegisterTestHooks(Napi::Env env, Napi::Object exports) {
  exports.Set("gaussianSample", Napi::Function::New(env, GaussianSample, "gaussianSample"));
}

}  // namespace latent::js
