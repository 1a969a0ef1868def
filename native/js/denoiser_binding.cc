// The JavaScript `Emulator`: a latent emulator (diffusion denoiser or deterministic surrogate, by the config's
// `kind`) on the shared JsModel handle (js_model.h), plus what is its own: rollouts and FLOP counts. A batch is
// {state (B, T, C, *space), label? (B, D) or (D)}: states cross in the data layer's layout and the models use the
// reference's (B, C, T, *space) inside. Shapes, labels and options are checked on the JS thread before anything
// is queued.
#include "core/pch.h"

#include "js/bindings.h"
#include "js/js_model.h"
#include "models/denoiser.h"
#include "models/surrogate.h"
#include "sample/rollout.h"
#include "sample/samplers.h"

namespace latent::js {
namespace {

struct EmulatorState : ModelState {
  EmulatorConfig config;
  Denoiser denoiser{nullptr};
  Surrogate surrogate{nullptr};

  bool diffusion() const { return static_cast<bool>(denoiser); }
  // x in model layout (B, C, L, *S).
  at::Tensor loss(const at::Tensor& x, const at::Tensor& label, const at::Tensor& mask = {}) {
    return diffusion() ? denoiser->loss(x, label, mask) : surrogate->loss(x, label, mask);
  }
};

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

// States in the public layout (B, T, C, *space): rank, channels and (when the config fixes it) spatial size.
void CheckStates(const at::Tensor& x, const EmulatorConfig& c, const std::string& what) {
  const int64_t rank = 3 + c.spatial;
  if (x.dim() != rank)
    throw std::invalid_argument(what + " must be " + std::to_string(rank) + "-D (B, T, C, " + (c.spatial == 1 ? "H" : c.spatial == 2 ? "H, W" : "H, W, D") +
                                "), got shape " + ShapeText(x.sizes()));
  if (!at::isFloatingType(x.scalar_type())) throw std::invalid_argument(what + " must be floating point, got " + DtypeName(x.scalar_type()));
  if (x.size(2) != c.channels)
    throw std::invalid_argument(what + " has " + std::to_string(x.size(2)) + " channels, the model expects " + std::to_string(c.channels) + " (shape " + ShapeText(x.sizes()) + ")");
  if (!c.spatial_shape.empty()) {
    std::vector<int64_t> got(x.sizes().begin() + 3, x.sizes().end());
    if (got != c.spatial_shape)
      throw std::invalid_argument(what + " has spatial size " + ShapeText(got) + ", the model was built for " + ShapeText(c.spatial_shape));
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
      if (l.numel() != 0) throw std::invalid_argument("this model takes no label (label_features = 0), got a label of shape " + ShapeText(l.sizes()));
    }
    return at::Tensor();
  }
  if (v.IsUndefined() || v.IsNull()) throw std::invalid_argument("label is required: the model expects " + std::to_string(c.label_features) + " label features");
  at::Tensor l = JsTensor::TensorOf(v, "label");
  if (l.dim() == 1) l = l.unsqueeze(0).expand({batch, l.size(0)});
  if (l.dim() != 2 || l.size(1) != c.label_features)
    throw std::invalid_argument("label must have " + std::to_string(c.label_features) + " features, as (D) or (B, D), got shape " + ShapeText(l.sizes()));
  if (l.size(0) != batch) throw std::invalid_argument("label batch " + std::to_string(l.size(0)) + " does not match the states' batch " + std::to_string(batch));
  return l;
}

// Public (B, T, C, *S) → model (B, C, T, *S) on the device.
at::Tensor ToModel(const at::Tensor& x, const at::Device& device, at::ScalarType dtype = at::kFloat) {
  return x.to(device, dtype).transpose(1, 2).contiguous();
}

struct RolloutResult {
  at::Tensor states;
  double seconds = 0;
  int64_t evaluations = 0;
};

class JsEmulator : public JsModel<JsEmulator, EmulatorState> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    auto methods = SharedMethods();
    methods.push_back(InstanceMethod<&JsEmulator::Rollout>("rollout"));
    methods.push_back(InstanceMethod<&JsEmulator::ForwardFlops>("forwardFlops"));
    exports.Set("Emulator", DefineClass(env, "Emulator", methods));
  }

  // new Emulator(config, device = 'cpu'): the ViT config as the zod schema returns it, plus `kind`.
  explicit JsEmulator(const Napi::CallbackInfo& info) : JsModel(info) {
    Guard(info.Env(), "new Emulator", [&]() -> Napi::Value {
      auto state = std::make_shared<EmulatorState>();
      state->config = ReadEmulatorConfig(OptionReader(info[0], "config"));
      std::shared_ptr<torch::nn::Module> module;
      if (state->config.kind == "denoiser") {
        state->denoiser = Denoiser(state->config);
        module = state->denoiser.ptr();
      } else {
        state->surrogate = Surrogate(state->config);
        module = state->surrogate.ptr();
      }
      Init(info, state, module);
      return info.Env().Undefined();
    });
  }

  std::string ClassName() const { return state_ && !state_->diffusion() ? "Surrogate" : "Denoiser"; }

  Batch ReadBatch(const Napi::Value& batch) const {
    OptionReader b(batch, "batch");
    at::Tensor x = JsTensor::TensorOf(b.raw("state"), "batch.state");
    CheckStates(x, state_->config, "batch.state");
    if (x.size(1) < 2) throw std::invalid_argument("batch.state: windows need at least 2 states, got " + std::to_string(x.size(1)));
    return {x, CheckLabel(b.raw("label"), state_->config, x.size(0))};
  }
  static Batch Prepare(const Batch& batch, const EmulatorState& s, at::ScalarType dtype) {
    return {ToModel(batch[0], s.device, dtype), batch[1].defined() ? batch[1].to(s.device, dtype) : batch[1]};
  }
  // The training loss with a random context mask (§4.2).
  static at::Tensor Loss(EmulatorState& s, const Batch& in) { return s.loss(in[0], in[1]); }
  // The loss with the mask fixed (the first state known) and the same time and noise in every evaluation.
  static at::Tensor GradCheckLoss(EmulatorState& s, const Batch& in, uint64_t seed) {
    const int64_t B = in[0].size(0), L = in[0].size(2);
    at::Tensor mask = (torch::arange(L) < 1).unsqueeze(0).expand({B, L}).to(s.device);
    torch::manual_seed(seed + 1);
    return s.loss(in[0], in[1], mask);
  }

 private:
  // rollout(context (B, c, C, *S), label, options) → {states (B, K, T, C, *S), seconds, evaluations}.
  // options: {length, window, context, overlap, crop, members, seed} and the sampler's (ReadSamplerOptions).
  Napi::Value Rollout(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor context, label;
    RolloutOptions o;
    Guard(env, Name("rollout"), [&]() -> Napi::Value {
      context = JsTensor::TensorOf(info[0], "context");
      CheckStates(context, state_->config, "context");
      OptionReader r(info.Length() > 2 ? info[2] : env.Undefined(), "options");
      o.window = r.integer("window", state_->config.window);
      o.context = r.integer("context", context.size(1));
      o.overlap = r.integer("overlap", 1);
      o.crop = r.integer("crop", 0);
      o.length = r.integer("length", 0);
      o.members = r.integer("members", 1);
      const int64_t seed = r.integer("seed", 0);
      if (seed < 0) throw std::invalid_argument(r.name("seed") + " must be a non-negative integer");
      o.seed = uint64_t(seed);
      if (state_->diffusion()) o.sampler = ReadSamplerOptions(r);
      else o.sampler.algorithm = "euler";
      if (o.context >= o.window)
        throw std::invalid_argument("context (" + std::to_string(o.context) + " states) must be shorter than the window (" + std::to_string(o.window) + ")");
      if (context.size(1) != o.context)
        throw std::invalid_argument("context holds " + std::to_string(context.size(1)) + " states, options.context says " + std::to_string(o.context));
      o.validate();
      label = CheckLabel(info[1], state_->config, context.size(0));
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<RolloutResult>(
        env, Name("rollout"),
        [s, context, label, o]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          auto start = std::chrono::steady_clock::now();
          c10::InferenceMode inference;
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
          at::Tensor out = rollout(emulate, ctx, o);  // (B·reps, C, T, *S)
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
};

}  // namespace

void RegisterDenoiser(Napi::Env env, Napi::Object exports) { JsEmulator::Register(env, exports); }

}  // namespace latent::js
