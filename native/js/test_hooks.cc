// Test-only hooks: native entry points that exist to check the C++ numerics against exact answers from
// JavaScript tests, kept apart from the model handles.
#include "core/pch.h"

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "js/args.h"
#include "js/bindings.h"
#include "js/option_sets.h"
#include "models/denoiser.h"
#include "nn/channel_norm.h"
#include "nn/dropout.h"
#include "nn/layers.h"
#include "nn/vit.h"
#include "sample/mmps.h"
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
    seed = o.seed();
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

// gaussianGuidedSample(mean (E), var (E), A (m, E), y (m), options {var_y, solver, iterations, sampler, steps,
// order, members, seed, sigma_min, sigma_max}) → samples (K, E), float64: MMPS guidance (sample/mmps.h) driven
// by the exact denoiser of the Gaussian prior N(mean, diag(var)) with a linear observation y = A x + N(0, var_y I),
// whose exact posterior is known in closed form (tests, and a check of any change to the guidance).
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
    OptionReader o = OptionsArg(info, 4, "options");
    o.onlyKeys({"var_y", "solver", "iterations", "sampler", "steps", "order", "eta", "corrections", "delta", "members", "seed", "sigma_min", "sigma_max"});
    so = ReadSamplerOptions(o);
    if (!o.has("steps")) so.steps = 64;  // the Gaussian checks need a finer grid than rollouts' default
    go = ReadGuidanceOptions(o);
    var_y = o.number("var_y", 1e-2);
    if (!(var_y > 0)) throw std::invalid_argument("var_y must be positive");
    members = o.integer("members", 1);
    if (members < 1) throw std::invalid_argument("members must be positive");
    seed = o.seed();
    sched.sigma_min = o.number("sigma_min", 1e-3);
    sched.sigma_max = o.number("sigma_max", 1e3);
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

// tensorUseCount(t): how many C++ references the tensor behind a JS Tensor has (the JS object's own is 1).
// A result that also stays referenced elsewhere (e.g. by the External that carried it into its JS object)
// keeps its memory until garbage collection, whatever dispose() does.
Napi::Value TensorUseCount(const Napi::CallbackInfo& info) {
  at::Tensor t;
  try {
    t = JsTensor::TensorOf(info[0], "tensorUseCount: t");
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
  return Napi::Number::New(info.Env(), static_cast<double>(t.use_count() - 1));  // less the local copy
}

// setViTReferencePath(on): the ViT's pre-lean-path kernels (nn/vit.h SetViTReferencePath), process-wide,
// so that tests compare the lean rollout with the old one. Takes effect from the next queued forward.
Napi::Value SetViTReferencePathHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBoolean()) {
    Napi::TypeError::New(env, "setViTReferencePath(on): on must be a boolean").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  SetViTReferencePath(info[0].As<Napi::Boolean>().Value());
  return env.Undefined();
}

// counterDropout(x, grad, p, seed, channelsLast) → {y, dx}: nn/dropout.h's training-mode dropout of x (made
// channels-last first when asked; 4-D x) and the gradient of sum(y · grad) with respect to x, both returned plain.
Napi::Value CounterDropoutHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor x, g;
  double p = 0;
  uint64_t seed = 0;
  bool channelsLast = false;
  Guard(env, "counterDropout", [&]() -> Napi::Value {
    x = JsTensor::TensorOf(info[0], "x");
    g = JsTensor::TensorOf(info[1], "grad");
    if (x.sizes() != g.sizes()) throw std::invalid_argument("x and grad must have the same shape, got " + ShapeText(x.sizes()) + " and " + ShapeText(g.sizes()));
    if (!info[2].IsNumber() || !info[3].IsNumber()) throw std::invalid_argument("counterDropout(x, grad, p, seed, channelsLast): p and seed must be numbers");
    p = info[2].As<Napi::Number>().DoubleValue();
    if (!(p >= 0 && p < 1)) throw std::invalid_argument("p must be in [0, 1), got " + std::to_string(p));
    seed = static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value());
    channelsLast = info.Length() > 4 && info[4].IsBoolean() && info[4].As<Napi::Boolean>().Value();
    if (channelsLast && x.dim() != 4) throw std::invalid_argument("channelsLast needs a 4-D x, got " + ShapeText(x.sizes()));
    return env.Undefined();
  });
  struct Out {
    at::Tensor y, dx;
  };
  return RunAsync<Out>(
      env, "counterDropout",
      [x, g, p, seed, channelsLast]() {
        at::Tensor input = (channelsLast ? x.contiguous(at::MemoryFormat::ChannelsLast) : x.clone()).detach().requires_grad_(true);
        at::Tensor y = counterDropout(input, p, seed);
        at::Tensor dx = torch::autograd::grad({y}, {input}, {g})[0];
        return Out{y.detach().contiguous(), dx.contiguous()};
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("y", JsTensor::Wrap(env, r.y));
        out.Set("dx", JsTensor::Wrap(env, r.dx));
        return out;
      },
      {info[0], info[1]});
}

// channelNorm(x, grad, eps, bfloat16) → {y, dx, kernel, dxGraph, second, secondReference}: nn/channel_norm.h's
// normalisation of x made channels-last (4-D or 5-D; in bfloat16 when asked), the gradient of sum(y · grad) with
// respect to x, both returned plain float32, and whether the kernel ran (false: libtorch's layer norm over the
// permuted view, the module's other path). Also, in float32: the same gradient from a backward that builds a graph
// (create_graph), the second derivative d/dx sum(dxGraph · grad) through it, and that second derivative through
// ChannelLayerNorm on the plain layout (var_mean in ATen ops, an independent formulation).
Napi::Value ChannelNormHook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  at::Tensor x, g;
  double eps = 0;
  bool bf16 = false;
  Guard(env, "channelNorm", [&]() -> Napi::Value {
    x = JsTensor::TensorOf(info[0], "x");
    g = JsTensor::TensorOf(info[1], "grad");
    if (x.sizes() != g.sizes()) throw std::invalid_argument("x and grad must have the same shape, got " + ShapeText(x.sizes()) + " and " + ShapeText(g.sizes()));
    if (x.dim() != 4 && x.dim() != 5) throw std::invalid_argument("channelNorm needs a 4-D or 5-D x, got " + ShapeText(x.sizes()));
    if (!info[2].IsNumber()) throw std::invalid_argument("channelNorm(x, grad, eps, bfloat16): eps must be a number");
    eps = info[2].As<Napi::Number>().DoubleValue();
    bf16 = info.Length() > 3 && info[3].IsBoolean() && info[3].As<Napi::Boolean>().Value();
    return env.Undefined();
  });
  struct Out {
    at::Tensor y, dx, dxGraph, second, secondReference;
    bool kernel;
  };
  return RunAsync<Out>(
      env, "channelNorm",
      [x, g, eps, bf16]() {
        const auto cl = x.dim() == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::ChannelsLast3d;
        const auto dtype = bf16 ? at::kBFloat16 : at::kFloat;
        ChannelLayerNorm norm(eps);
        auto run = [&](const at::Tensor& from) { return channelNormApplies(from) ? channelNorm(from, eps) : norm->forward(from); };
        at::Tensor input = x.to(dtype).contiguous(cl).detach().requires_grad_(true);
        const bool kernel = channelNormApplies(input);
        const at::Tensor gi = g.to(dtype).contiguous(cl);
        at::Tensor y = run(input);
        at::Tensor dx = torch::autograd::grad({y}, {input}, {gi})[0];
        Out out{y.detach().to(at::kFloat).contiguous(), dx.to(at::kFloat).contiguous(), {}, {}, {}, kernel};
        if (!bf16) {
          auto secondOrder = [&](const at::Tensor& from, at::Tensor* first) {
            at::Tensor d = torch::autograd::grad({run(from)}, {from}, {gi}, /*retain_graph=*/true, /*create_graph=*/true)[0];
            if (first) *first = d.detach().contiguous();
            return torch::autograd::grad({(d * gi).sum()}, {from})[0].contiguous();
          };
          out.second = secondOrder(input, &out.dxGraph);
          out.secondReference = secondOrder(x.to(at::kFloat).contiguous().detach().requires_grad_(true), nullptr);
        }
        return out;
      },
      [](Napi::Env env, Out& r) -> Napi::Value {
        auto out = Napi::Object::New(env);
        out.Set("y", JsTensor::Wrap(env, r.y));
        out.Set("dx", JsTensor::Wrap(env, r.dx));
        out.Set("kernel", Napi::Boolean::New(env, r.kernel));
        if (r.second.defined()) {
          out.Set("dxGraph", JsTensor::Wrap(env, r.dxGraph));
          out.Set("second", JsTensor::Wrap(env, r.second));
          out.Set("secondReference", JsTensor::Wrap(env, r.secondReference));
        }
        return out;
      },
      {info[0], info[1]});
}

}  // namespace

void RegisterTestHooks(Napi::Env env, Napi::Object exports) {
  exports.Set("tensorUseCount", Napi::Function::New(env, TensorUseCount, "tensorUseCount"));
  exports.Set("gaussianSample", Napi::Function::New(env, GaussianSample, "gaussianSample"));
  exports.Set("gaussianGuidedSample", Napi::Function::New(env, GaussianGuidedSample, "gaussianGuidedSample"));
  exports.Set("counterDropout", Napi::Function::New(env, CounterDropoutHook, "counterDropout"));
  exports.Set("channelNorm", Napi::Function::New(env, ChannelNormHook, "channelNorm"));
  exports.Set("setViTReferencePath", Napi::Function::New(env, SetViTReferencePathHook, "setViTReferencePath"));
}

}  // namespace latent::js
