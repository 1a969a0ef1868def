// The JavaScript `Emulator`: a latent emulator (diffusion denoiser or deterministic surrogate, by the
// config's `kind`) with its trainer, weights and rollouts. States cross the boundary in the data layer's
// layout (B, T, C, *space); the models use the reference's (B, C, T, *space) inside. Every call that
// computes runs on the compute thread, serialized per model by its mutex; shapes, labels and options are
// checked on the JS thread before anything is queued. Also `gaussianSample`: the samplers driven by the
// exact denoiser of a Gaussian (tests).
#include "core/pch.h"

#include <chrono>
#include <mutex>
#include <optional>

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "io/safetensors.h"
#include "js/args.h"
#include "js/bindings.h"
#include "js/guidance_binding.h"
#include "models/denoiser.h"
#include "models/grad_check.h"
#include "models/state_dict.h"
#include "models/surrogate.h"
#include "optim/checkpoint.h"
#include "optim/train_step.h"
#include "sample/open_denoiser.h"
#include "sample/rollout.h"
#include "sample/samplers.h"

namespace latent::js {
namespace {

struct EmulatorState {
  EmulatorConfig config;
  Denoiser denoiser{nullptr};
  Surrogate surrogate{nullptr};
  std::shared_ptr<torch::nn::Module> module;
  std::unique_ptr<Trainer> trainer;
  TrainerOptions trainerOptions;
  at::Device device{at::kCPU};
  bool bf16 = false;
  std::mutex mutex;

  bool diffusion() const { return static_cast<bool>(denoiser); }
  Trainer& trainerOrNew() {
    if (!trainer) trainer = std::make_unique<Trainer>(module, trainerOptions);
    return *trainer;
  }
  // x in model layout (B, C, L, *S).
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& label, const torch::Tensor& mask = {}) {
    return diffusion() ? denoiser->loss(x, label, mask) : surrogate->loss(x, label, mask);
  }
};

using StatePtr = std::shared_ptr<EmulatorState>;

// Network denoiser for one window batch: label (N, D) and the window mask (N, L) fixed.
class NetworkDenoiser : public GaussianDenoiser {
 public:
  NetworkDenoiser(DenoiserImpl& model, torch::Tensor label, torch::Tensor mask) : model_(model), label_(std::move(label)), mask_(std::move(mask)) {}
  double alpha(double t) const override { return model_.schedule().alpha(t); }
  double sigma(double t) const override { return model_.schedule().sigma(t); }
  torch::Tensor mean(const torch::Tensor& x_t, double t) override {
    auto opts = x_t.options().dtype(torch::kFloat32);
    return model_.mean(x_t, torch::full({x_t.size(0)}, alpha(t), opts), torch::full({x_t.size(0)}, sigma(t), opts), label_, mask_);
  }

 private:
  DenoiserImpl& model_;
  torch::Tensor label_, mask_;
};

// ---- option readers (plain JS objects) ----
double Num(const Napi::Object& o, const char* key, double fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw TypeError(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t Int(const Napi::Object& o, const char* key, int64_t fallback) {
  double v = Num(o, key, double(fallback));
  if (v != std::floor(v)) throw std::invalid_argument(std::string(key) + " must be an integer, got " + std::to_string(v));
  return int64_t(v);
}

std::string Str(const Napi::Object& o, const char* key, const std::string& fallback) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return fallback;
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw TypeError(std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

SamplerOptions ReadSampler(const Napi::Object& o) {
  SamplerOptions s;
  s.algorithm = Str(o, "sampler", s.algorithm);
  s.steps = Int(o, "steps", s.steps);
  s.order = Int(o, "order", s.order);
  s.eta = Num(o, "eta", s.eta);
  s.corrections = Int(o, "corrections", s.corrections);
  s.delta = Num(o, "delta", s.delta);
  s.validate();
  return s;
}

std::string Shape(at::IntArrayRef s) { return ShapeText(s); }

// States in the public layout (B, T, C, *space): rank, channels and (when the config fixes it) spatial size.
void CheckStates(const at::Tensor& x, const EmulatorConfig& c, const std::string& what) {
  const int64_t rank = 3 + c.spatial;
  if (x.dim() != rank)
    throw std::invalid_argument(what + " must be " + std::to_string(rank) + "-D (B, T, C, " + (c.spatial == 1 ? "H" : c.spatial == 2 ? "H, W" : "H, W, D") +
                                "), got shape " + Shape(x.sizes()));
  if (!at::isFloatingType(x.scalar_type())) throw std::invalid_argument(what + " must be floating point, got " + DtypeName(x.scalar_type()));
  if (x.size(2) != c.channels)
    throw std::invalid_argument(what + " has " + std::to_string(x.size(2)) + " channels, the model expects " + std::to_string(c.channels) + " (shape " + Shape(x.sizes()) + ")");
  if (!c.spatial_shape.empty()) {
    std::vector<int64_t> got(x.sizes().begin() + 3, x.sizes().end());
    if (got != c.spatial_shape)
      throw std::invalid_argument(what + " has spatial size " + Shape(got) + ", the model was built for " + Shape(c.spatial_shape));
  }
  for (size_t i = 0; i < c.patch_size.size(); ++i) {
    const int64_t size = x.size(i == 0 ? 1 : int64_t(i) + 2);
    if (i > 0 && size % c.patch_size[i] != 0)
      throw std::invalid_argument(what + ": axis of size " + std::to_string(size) + " is not divisible by the patch size " + std::to_string(c.patch_size[i]));
  }
}

// (D,) or (B, D) with D == label_features; returns (B, D) float or undefined when the model has no label.
at::Tensor CheckLabel(const Napi::Value& v, const EmulatorConfig& c, int64_t batch) {
  if (c.label_features == 0) {
    if (!v.IsUndefined() && !v.IsNull()) {
      at::Tensor l = JsTensor::TensorOf(v, "label");
      if (l.numel() != 0) throw std::invalid_argument("this model takes no label (label_features = 0), got a label of shape " + Shape(l.sizes()));
    }
    return at::Tensor();
  }
  if (v.IsUndefined() || v.IsNull()) throw std::invalid_argument("label is required: the model expects " + std::to_string(c.label_features) + " label features");
  at::Tensor l = JsTensor::TensorOf(v, "label");
  if (l.dim() == 1) l = l.unsqueeze(0).expand({batch, l.size(0)});
  if (l.dim() != 2 || l.size(1) != c.label_features)
    throw std::invalid_argument("label must have " + std::to_string(c.label_features) + " features, as (D) or (B, D), got shape " + Shape(l.sizes()));
  if (l.size(0) != batch) throw std::invalid_argument("label batch " + std::to_string(l.size(0)) + " does not match the states' batch " + std::to_string(batch));
  return l;
}

// Public (B, T, C, *S) → model (B, C, T, *S) float32 on the device.
at::Tensor ToModel(const at::Tensor& x, const at::Device& device) { return x.to(device, at::kFloat).transpose(1, 2).contiguous(); }

struct RolloutResult {
  at::Tensor states;
  double seconds = 0;
  int64_t evaluations = 0;
};

class JsEmulator : public Napi::ObjectWrap<JsEmulator> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    exports.Set("Emulator", DefineClass(env, "Emulator",
                                        {InstanceMethod<&JsEmulator::Loss>("loss"),
                                         InstanceMethod<&JsEmulator::TrainStep>("trainStep"),
                                         InstanceMethod<&JsEmulator::Rollout>("rollout"),
                                         InstanceMethod<&JsEmulator::Denoise>("denoise"),
                                         InstanceMethod<&JsEmulator::SampleFrom>("sampleFrom"),
                                         InstanceMethod<&JsEmulator::ConfigureOptimizer>("configureOptimizer"),
                                         InstanceMethod<&JsEmulator::SetTraining>("setTraining"),
                                         InstanceAccessor<&JsEmulator::Training>("training"),
                                         InstanceAccessor<&JsEmulator::Config>("config"),
                                         InstanceMethod<&JsEmulator::ParameterCount>("parameterCount"),
                                         InstanceMethod<&JsEmulator::ForwardFlops>("forwardFlops"),
                                         InstanceMethod<&JsEmulator::StateDictShapes>("stateDictShapes"),
                                         InstanceMethod<&JsEmulator::SaveWeights>("saveWeights"),
                                         InstanceMethod<&JsEmulator::LoadWeights>("loadWeights"),
                                         InstanceMethod<&JsEmulator::SaveCheckpoint>("saveCheckpoint"),
                                         InstanceMethod<&JsEmulator::LoadCheckpoint>("loadCheckpoint"),
                                         InstanceMethod<&JsEmulator::ToDevice>("toDevice"),
                                         InstanceAccessor<&JsEmulator::DeviceName>("device"),
                                         InstanceMethod<&JsEmulator::SetAutocast>("setAutocast"),
                                         InstanceMethod<&JsEmulator::GradCheck>("gradCheck")}));
  }

  explicit JsEmulator(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsEmulator>(info) {
    Guard(info.Env(), "new Emulator", [&]() -> Napi::Value {
      auto config = EmulatorConfig::fromJson(StringArg(info, 0, "config (JSON)"));
      at::Device device = ParseDevice(info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu");
      state_ = std::make_shared<EmulatorState>();
      state_->config = config;
      if (config.kind == "denoiser") {
        state_->denoiser = Denoiser(config);
        state_->module = state_->denoiser.ptr();
      } else {
        state_->surrogate = Surrogate(config);
        state_->module = state_->surrogate.ptr();
      }
      state_->module->to(device);
      state_->device = device;
      return info.Env().Undefined();
    });
  }

 private:
  std::string Name(const char* method) const { return std::string(state_->diffusion() ? "Denoiser." : "Surrogate.") + method; }

  // Reads (state, label) and checks them; optional fixed context count in info[2] for loss.
  void ReadBatch(const Napi::CallbackInfo& info, at::Tensor& x, at::Tensor& label) {
    x = JsTensor::TensorOf(info[0], "state");
    CheckStates(x, state_->config, "state");
    if (x.size(1) < 2) throw std::invalid_argument("state windows need at least 2 states, got " + std::to_string(x.size(1)));
    label = CheckLabel(info.Length() > 1 ? info[1] : info.Env().Undefined(), state_->config, x.size(0));
  }

  Napi::Value Loss(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x, label;
    // loss(state, label, seed?): with a seed, the random mask, time and noise come from a generator seeded
    // with it, and libtorch's default generators are restored afterwards (a reproducible validation loss
    // that leaves the training stream untouched).
    std::optional<uint64_t> seed;
    Guard(env, Name("loss"), [&]() -> Napi::Value {
      ReadBatch(info, x, label);
      if (info.Length() > 2 && !info[2].IsUndefined() && !info[2].IsNull()) {
        const double v = NumberArg(info, 2, "seed");
        if (!(v >= 0) || v != std::floor(v)) throw std::invalid_argument("seed must be a non-negative integer");
        seed = uint64_t(v);
      }
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<double>(
        env, Name("loss"),
        [s, x, label, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          NamedTensors saved;
          if (seed) {
            saved = rngState(s->device);
            torch::manual_seed(*seed);
          }
          double value = 0;
          try {
            c10::InferenceMode inference;
            AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
            value = s->loss(ToModel(x, s->device), label.defined() ? label.to(s->device, at::kFloat) : label).item<double>();
          } catch (...) {
            if (seed) setRngState(saved);
            throw;
          }
          if (seed) setRngState(saved);
          return value;
        },
        [](Napi::Env env, double& v) -> Napi::Value { return Napi::Number::New(env, v); }, {info[0]});
  }

  Napi::Value TrainStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x, label;
    double lr = 0;
    Guard(env, Name("trainStep"), [&]() -> Napi::Value {
      ReadBatch(info, x, label);
      lr = NumberArg(info, 2, "learningRate");
      if (!(lr >= 0)) throw std::invalid_argument("learningRate must be >= 0, got " + std::to_string(lr));
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<StepResult>(
        env, Name("trainStep"),
        [s, x, label, lr]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          at::Tensor in = ToModel(x, s->device);
          at::Tensor l = label.defined() ? label.to(s->device, at::kFloat) : label;
          return s->trainerOrNew().step([&]() { return s->loss(in, l); }, lr);
        },
        [](Napi::Env env, StepResult& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("loss", r.loss);
          out.Set("gradNorm", r.grad_norm);
          out.Set("skipped", r.skipped);
          return out;
        },
        {info[0]});
  }

  // rollout(context (B, c, C, *S), label, options) → {states (B, K, T, C, *S), seconds, evaluations}.
  Napi::Value Rollout(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor context, label;
    RolloutOptions o;
    std::optional<GuidedRolloutArgs> guidance;  // MMPS (native/sample/guided_rollout.h)
    Guard(env, Name("rollout"), [&]() -> Napi::Value {
      context = JsTensor::TensorOf(info[0], "context");
      CheckStates(context, state_->config, "context");
      if (info.Length() < 3 || !info[2].IsObject()) throw TypeError("options must be an object");
      auto opts = info[2].As<Napi::Object>();
      o.window = Int(opts, "window", state_->config.window);
      o.context = Int(opts, "context", context.size(1));
      o.overlap = Int(opts, "overlap", 1);
      o.crop = Int(opts, "crop", 0);
      o.length = Int(opts, "length", 0);
      o.members = Int(opts, "members", 1);
      const double seed = Num(opts, "seed", 0);
      if (seed < 0 || seed != std::floor(seed)) throw std::invalid_argument("seed must be a non-negative integer");
      o.seed = uint64_t(seed);
      if (state_->diffusion()) o.sampler = ReadSampler(opts);
      else o.sampler.algorithm = "euler";
      if (o.context >= o.window)
        throw std::invalid_argument("context (" + std::to_string(o.context) + " states) must be shorter than the window (" + std::to_string(o.window) + ")");
      if (context.size(1) != o.context)
        throw std::invalid_argument("context holds " + std::to_string(context.size(1)) + " states, options.context says " + std::to_string(o.context));
      o.validate();
      label = CheckLabel(info[1], state_->config, context.size(0));
      guidance = ReadGuidance(opts, context.size(0));
      if (guidance && !state_->diffusion()) throw std::invalid_argument("guidance needs a diffusion denoiser; the neural solver (surrogate) cannot be guided");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<RolloutResult>(
        env, Name("rollout"),
        [s, context, label, o, guidance]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          auto start = std::chrono::steady_clock::now();
          std::optional<c10::InferenceMode> inference;  // a guided rollout differentiates the denoiser and decoder
          std::optional<torch::NoGradGuard> noGrad;
          if (guidance) noGrad.emplace();
          else inference.emplace();
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          const bool wasTraining = s->module->is_training();
          s->module->eval();
          const int64_t B = context.size(0), K = o.members;
          const int64_t reps = s->diffusion() ? K : 1;  // a surrogate's members are identical
          at::Tensor ctx = ToModel(context, s->device).repeat_interleave(reps, 0);
          at::Tensor lab = label.defined() ? label.to(s->device, at::kFloat).repeat_interleave(reps, 0) : label;
          at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
          RolloutResult result;
          WindowEmulator emulate;
          if (s->diffusion()) {
            emulate = [&](const at::Tensor& y, const at::Tensor& mask) {
              NetworkDenoiser net(*s->denoiser, lab, mask);
              return sampleMasked(net, y, maskChannels(mask, y.sizes(), at::kBool), at::Tensor(), o.sampler, gen, &result.evaluations);
            };
          } else {
            emulate = [&](const at::Tensor& y, const at::Tensor& mask) {
              ++result.evaluations;
              at::Tensor m = maskChannels(mask, y.sizes(), at::kBool);
              return at::where(m, y, s->surrogate->forward(y, lab, mask));
            };
          }
          at::Tensor out;  // (B·reps, C, T, *S)
          if (guidance) {
            ObservationSpec spec = guidance->spec;
            spec.observations = spec.observations.repeat_interleave(reps, 0);
            out = guidedRollout(*s->denoiser, guidance->decode, ctx, lab, o, spec, gen, &result.evaluations);
          } else {
            out = rollout(emulate, ctx, o);
          }
          s->module->train(wasTraining);
          std::vector<int64_t> shape{B, reps};
          for (int64_t d = 1; d < out.dim(); ++d) shape.push_back(out.size(d));
          out = out.to(at::kFloat).view(shape).transpose(2, 3);  // (B, reps, T, C, *S)
          if (reps != K) {
            std::vector<int64_t> full = out.sizes().vec();
            full[1] = K;
            out = out.expand(full);
          }
          result.states = out.to(at::kCPU).contiguous();
          result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          return result;
        },
        [](Napi::Env env, RolloutResult& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("states", JsTensor::Wrap(env, r.states));
          out.Set("seconds", r.seconds);
          out.Set("evaluations", Napi::Number::New(env, double(r.evaluations)));
          return out;
        },
        {info[0], info[1]});
  }

  // The open denoiser (native/sample/open_denoiser.h): info = (x (B, L, C, *S), label, mask (B, L) bool or
  // undefined, context (B, L, C, *S) or undefined, then alpha (B) and sigma (B) for denoise, options for
  // sampleFrom). Returns model-layout results transposed back.
  void ReadOpen(const Napi::CallbackInfo& info, const char* what, at::Tensor& x, at::Tensor& label, at::Tensor& mask, at::Tensor& context) {
    if (!state_->diffusion()) throw std::invalid_argument(std::string(what) + " needs a diffusion denoiser, not a surrogate");
    x = JsTensor::TensorOf(info[0], "x");
    CheckStates(x, state_->config, "x");
    label = CheckLabel(info[1], state_->config, x.size(0));
    mask = info[2].IsUndefined() ? at::zeros({x.size(0), x.size(1)}, at::kBool) : JsTensor::TensorOf(info[2], "mask").to(at::kBool);
    if (mask.sizes() != at::IntArrayRef{x.size(0), x.size(1)}) throw std::invalid_argument("mask must have shape (B, L) = " + Shape({x.size(0), x.size(1)}) + ", got " + Shape(mask.sizes()));
    if (!info[3].IsUndefined()) {
      context = JsTensor::TensorOf(info[3], "context");
      if (context.sizes() != x.sizes()) throw std::invalid_argument("context must have the shape of x " + Shape(x.sizes()) + ", got " + Shape(context.sizes()));
    }
  }
  static at::Tensor FromModel(const at::Tensor& y) { return y.to(at::kFloat).transpose(1, 2).contiguous().to(at::kCPU); }

  Napi::Value Denoise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x, label, mask, context, alpha, sigma;
    Guard(env, Name("denoise"), [&]() -> Napi::Value {
      ReadOpen(info, "denoise", x, label, mask, context);
      alpha = JsTensor::TensorOf(info[4], "alpha").to(at::kDouble).flatten().expand({x.size(0)});
      sigma = JsTensor::TensorOf(info[5], "sigma").to(at::kDouble).flatten().expand({x.size(0)});
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<DenoiseResult>(
        env, Name("denoise"),
        [s, x, label, mask, context, alpha, sigma]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          c10::InferenceMode inference;
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          const bool wasTraining = s->module->is_training();
          s->module->eval();  // as rollouts: no dropout
          auto d = s->device;
          DenoiseResult r = denoise(*s->denoiser, ToModel(x, d), alpha.to(d), sigma.to(d), label.defined() ? label.to(d, at::kFloat) : label, mask.to(d),
                                    context.defined() ? ToModel(context, d) : context);
          s->module->train(wasTraining);
          r.mean = FromModel(r.mean);
          for (at::Tensor* p : {&r.c_skip, &r.c_out, &r.c_in, &r.c_noise}) *p = p->to(at::kCPU);
          return r;
        },
        [](Napi::Env env, DenoiseResult& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("mean", JsTensor::Wrap(env, r.mean));
          out.Set("c_skip", JsTensor::Wrap(env, r.c_skip));
          out.Set("c_out", JsTensor::Wrap(env, r.c_out));
          out.Set("c_in", JsTensor::Wrap(env, r.c_in));
          out.Set("c_noise", JsTensor::Wrap(env, r.c_noise));
          return out;
        },
        {info[0], info[1], info[2], info[3]});
  }

  Napi::Value SampleFrom(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x, label, mask, context;
    SamplerOptions so;
    uint64_t seed = 0;
    Guard(env, Name("sampleFrom"), [&]() -> Napi::Value {
      ReadOpen(info, "sampleFrom", x, label, mask, context);
      if (info.Length() < 5 || !info[4].IsObject()) throw TypeError("options must be an object");
      so = ReadSampler(info[4].As<Napi::Object>());
      seed = uint64_t(Int(info[4].As<Napi::Object>(), "seed", 0));
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<at::Tensor>(
        env, Name("sampleFrom"),
        [s, x, label, mask, context, so, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          c10::InferenceMode inference;
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          const bool wasTraining = s->module->is_training();
          s->module->eval();
          auto d = s->device;
          at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
          at::Tensor out = sampleFrom(*s->denoiser, ToModel(x, d), label.defined() ? label.to(d, at::kFloat) : label, mask.to(d),
                                      context.defined() ? ToModel(context, d) : context, so, gen);
          s->module->train(wasTraining);
          return FromModel(out);
        },
        [](Napi::Env env, at::Tensor& r) -> Napi::Value { return JsTensor::Wrap(env, r); }, {info[0], info[1], info[2], info[3]});
  }

  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), Name("configureOptimizer"), [&]() -> Napi::Value {
      if (info.Length() < 1 || !info[0].IsObject()) throw TypeError("options must be an object");
      auto options = info[0].As<Napi::Object>();
      std::lock_guard<std::mutex> lock(state_->mutex);
      TrainerOptions& o = state_->trainerOptions;
      o.lr = Num(options, "lr", o.lr);
      o.beta1 = Num(options, "beta1", o.beta1);
      o.beta2 = Num(options, "beta2", o.beta2);
      o.eps = Num(options, "eps", o.eps);
      o.weight_decay = Num(options, "weight_decay", o.weight_decay);
      o.clip = Num(options, "clip", o.clip);
      o.optimizer = Str(options, "optimizer", o.optimizer);
      if (o.optimizer != "adamw" && o.optimizer != "soap") throw std::invalid_argument("optimizer must be adamw or soap, got " + o.optimizer);
      o.precondition_frequency = Int(options, "precondition_frequency", o.precondition_frequency);
      o.shampoo_beta = Num(options, "shampoo_beta", o.shampoo_beta);
      o.max_precond_dim = Int(options, "max_precond_dim", o.max_precond_dim);
      state_->trainer.reset();
      return info.Env().Undefined();
    });
  }

  Napi::Value SetTraining(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->module->train(info.Length() > 0 && info[0].ToBoolean());
    return info.Env().Undefined();
  }

  Napi::Value Training(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), state_->module->is_training()); }
  Napi::Value Config(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), state_->config.toJson()); }

  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    int64_t n = state_->diffusion() ? state_->denoiser->parameterCount() : state_->surrogate->parameterCount();
    return Napi::Number::New(info.Env(), double(n));
  }

  // forwardFlops(window, spatialShape) → FLOPs (2·MACs) of one network evaluation for one sample.
  Napi::Value ForwardFlops(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), Name("forwardFlops"), [&]() -> Napi::Value {
      ViTOptions v = state_->config.vitOptions();
      if (v.patch_size.empty()) v.patch_size.assign(size_t(v.spatial), 1);
      int64_t tokens = int64_t(NumberArg(info, 0, "window")) / v.patch_size[0];
      if (info.Length() < 2 || !info[1].IsArray()) throw TypeError("spatialShape must be an array");
      auto shape = info[1].As<Napi::Array>();
      for (uint32_t i = 0; i < shape.Length(); ++i) tokens *= int64_t(shape.Get(i).As<Napi::Number>().DoubleValue()) / v.patch_size[i + 1];
      return Napi::Number::New(info.Env(), 2 * vitForwardMacs(v, tokens));
    });
  }

  Napi::Value StateDictShapes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::lock_guard<std::mutex> lock(state_->mutex);
    auto entries = stateDict(*state_->module);
    auto out = Napi::Array::New(env, entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      auto entry = Napi::Object::New(env);
      entry.Set("name", entries[i].first);
      auto shape = Napi::Array::New(env);
      for (int64_t d = 0; d < entries[i].second.dim(); ++d) shape.Set(uint32_t(d), Napi::Number::New(env, double(entries[i].second.size(d))));
      entry.Set("shape", shape);
      entry.Set("dtype", DtypeName(entries[i].second.scalar_type()));
      out.Set(uint32_t(i), entry);
    }
    return out;
  }

  Napi::Value SaveWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    Metadata metadata;
    Guard(env, Name("saveWeights"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      if (info.Length() > 1 && info[1].IsObject()) {
        auto object = info[1].As<Napi::Object>();
        auto keys = object.GetPropertyNames();
        for (uint32_t i = 0; i < keys.Length(); ++i) {
          std::string key = keys.Get(i).ToString().Utf8Value();
          if (key != "config") metadata.emplace_back(key, object.Get(key).ToString().Utf8Value());
        }
      }
      return env.Undefined();
    });
    StatePtr s = state_;
    metadata.emplace_back("config", s->config.toJson());
    return RunAsync<bool>(
        env, Name("saveWeights") + "(" + path + ")",
        [s, path, metadata]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          saveSafetensors(path, stateDict(*s->module), metadata);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  Napi::Value LoadWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    bool strict = true;
    Guard(env, Name("loadWeights"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      if (info.Length() > 1 && info[1].IsBoolean()) strict = info[1].As<Napi::Boolean>().Value();
      return env.Undefined();
    });
    StatePtr s = state_;
    using Loaded = std::pair<Metadata, LoadReport>;
    return RunAsync<Loaded>(
        env, Name("loadWeights") + "(" + path + ")",
        [s, path, strict]() {
          Safetensors file = loadSafetensors(path);
          std::lock_guard<std::mutex> lock(s->mutex);
          LoadReport report = loadStateDict(*s->module, WeightsOf(file.tensors), strict);
          s->trainer.reset();
          return Loaded{file.metadata, report};
        },
        [](Napi::Env env, Loaded& loaded) -> Napi::Value {
          auto out = Napi::Object::New(env);
          auto metadata = Napi::Object::New(env);
          for (const auto& [k, v] : loaded.first) metadata.Set(k, v);
          auto list = [&](const std::vector<std::string>& names) {
            auto array = Napi::Array::New(env, names.size());
            for (size_t i = 0; i < names.size(); ++i) array.Set(uint32_t(i), names[i]);
            return array;
          };
          out.Set("metadata", metadata);
          out.Set("missing", list(loaded.second.missing));
          out.Set("unexpected", list(loaded.second.unexpected));
          return out;
        });
  }

  // saveCheckpoint(path, metadataJson): weights, optimizer moments and step counts, trainer counters and
  // the generator state(s) in one safetensors file (the autoencoder's layout), for exact resumption.
  Napi::Value SaveCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path, metadataText;
    Guard(env, Name("saveCheckpoint"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      metadataText = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "{}";
      return env.Undefined();
    });
    Metadata metadata = MetadataFromJson(env, metadataText);
    StatePtr s = state_;
    metadata.emplace_back("config", s->config.toJson());
    metadata.emplace_back("format", kCheckpointFormat);
    return RunAsync<bool>(
        env, Name("saveCheckpoint") + "(" + path + ")",
        [s, path, metadata]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          latent::SaveCheckpoint(path, *s->module, s->trainerOrNew(), s->device, metadata);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // loadCheckpoint(path, restoreRng = true) → metadata: everything saveCheckpoint wrote, checked strictly
  // (weights and optimizer state) against this model before anything changes.
  Napi::Value LoadCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    Guard(env, Name("loadCheckpoint"), [&]() -> Napi::Value { path = StringArg(info, 0, "path"); return env.Undefined(); });
    const bool restoreRng = info.Length() < 2 || info[1].ToBoolean();
    StatePtr s = state_;
    return RunAsync<Metadata>(
        env, Name("loadCheckpoint") + "(" + path + ")",
        [s, path, restoreRng]() {
          Safetensors file = loadSafetensors(path);
          std::lock_guard<std::mutex> lock(s->mutex);
          s->trainer = latent::LoadCheckpoint(file, s->module, s->trainerOptions, restoreRng);
          return file.metadata;
        },
        [](Napi::Env env, Metadata& metadata) -> Napi::Value {
          auto out = Napi::Object::New(env);
          for (const auto& [k, v] : metadata) out.Set(k, v);
          return out;
        });
  }

  Napi::Value ToDevice(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Device device(at::kCPU);
    Guard(env, Name("toDevice"), [&]() -> Napi::Value { device = ParseDevice(StringArg(info, 0, "device")); return env.Undefined(); });
    StatePtr s = state_;
    return RunAsync<bool>(
        env, Name("toDevice"),
        [s, device]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          s->module->to(device);
          s->device = device;
          s->trainer.reset();
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  Napi::Value DeviceName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), state_->device.str()); }

  Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), Name("setAutocast"), [&]() -> Napi::Value {
      std::string dtype = StringArg(info, 0, "dtype");
      if (dtype != "bfloat16" && dtype != "float32") throw std::invalid_argument("autocast dtype must be bfloat16 or float32, got " + dtype);
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->bf16 = dtype == "bfloat16";
      state_->trainerOptions.bf16_autocast = state_->bf16;
      state_->trainer.reset();
      return info.Env().Undefined();
    });
  }

  // gradCheck(state, label, eps, seed) → {analytic, numeric}: the loss (fixed mask, time and noise) along a
  // random parameter direction, in float64 with dropout off.
  Napi::Value GradCheck(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x, label;
    double eps = 0, seed = 0;
    Guard(env, Name("gradCheck"), [&]() -> Napi::Value {
      ReadBatch(info, x, label);
      eps = NumberArg(info, 2, "eps");
      seed = NumberArg(info, 3, "seed");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<latent::GradCheck>(
        env, Name("gradCheck"),
        [s, x, label, eps, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          bool training = s->module->is_training();
          s->module->eval();
          s->module->to(at::kDouble);
          at::Tensor in = ToModel(x, s->device).to(at::kDouble);
          at::Tensor l = label.defined() ? label.to(s->device, at::kDouble) : label;
          const int64_t B = in.size(0), L = in.size(2);
          at::Tensor mask = (torch::arange(L) < 1).unsqueeze(0).expand({B, L}).to(s->device);
          auto result = directionalGradCheck(
              *s->module,
              [&]() {
                torch::manual_seed(uint64_t(seed) + 1);  // the same t and ε in every evaluation
                return s->loss(in, l, mask);
              },
              eps, uint64_t(seed));
          s->module->to(at::kFloat);
          s->module->train(training);
          return result;
        },
        [](Napi::Env env, latent::GradCheck& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("analytic", r.analytic);
          out.Set("numeric", r.numeric);
          return out;
        },
        {info[0]});
  }

  StatePtr state_;
};

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
    if (info.Length() < 3 || !info[2].IsObject()) throw TypeError("options must be an object");
    auto o = info[2].As<Napi::Object>();
    so = ReadSampler(o);
    members = Int(o, "members", 1);
    if (members < 1) throw std::invalid_argument("members must be positive");
    seed = uint64_t(Int(o, "seed", 0));
    sched.name = Str(o, "schedule", "log_logit");
    if (sched.name != "log_logit" && sched.name != "log_linear") throw std::invalid_argument("unknown schedule \"" + sched.name + "\"");
    sched.sigma_min = Num(o, "sigma_min", 1e-3);
    sched.sigma_max = Num(o, "sigma_max", 1e3);
    std::vector<int64_t> shape{members};
    for (auto d : m.sizes()) shape.push_back(d);
    if (o.Has("init") && !o.Get("init").IsUndefined()) {
      init = JsTensor::TensorOf(o.Get("init"), "init").to(at::kDouble);
      if (init.sizes().vec() != shape) throw std::invalid_argument("init must have shape " + Shape(shape));
    }
    if (o.Has("observed") && !o.Get("observed").IsUndefined()) {
      observed = JsTensor::TensorOf(o.Get("observed"), "observed").to(at::kDouble);
      mask = JsTensor::TensorOf(o.Get("mask"), "mask").to(at::kBool);
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

void RegisterDenoiser(Napi::Env env, Napi::Object exports) {
  JsEmulator::Register(env, exports);
  exports.Set("gaussianSample", Napi::Function::New(env, GaussianSample, "gaussianSample"));
}

}  // namespace latent::js
