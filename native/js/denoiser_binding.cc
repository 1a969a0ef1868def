// The JavaScript `Emulator`: a latent emulator (diffusion denoiser or deterministic surrogate, by the config's
// `kind`) on the shared JsModel handle (js_model.h), plus what is its own: rollouts and FLOP counts. A batch is
// {state (B, T, C, *space), label? (B, D) or (D)}: states cross in the data layer's layout and the models use the
// reference's (B, C, T, *space) inside. Shapes, labels and options are checked on the JS thread before anything
// is queued. The diffusion denoiser is open too (issue 14): denoise (one preconditioned evaluation) and
// sampleFrom (a sampler run from a given x_1), and rollouts take MMPS guidance (options.guidance).
#include "core/pch.h"

#include <optional>

#include "js/bindings.h"
#include "js/guidance_binding.h"
#include "js/js_model.h"
#include "models/denoiser.h"
#include "models/surrogate.h"
#include "sample/distillation.h"
#include "sample/guided_rollout.h"
#include "sample/open_denoiser.h"
#include "sample/rollout.h"
#include "sample/samplers.h"

namespace latent::js {
namespace {

struct EmulatorState : ModelState {
  EmulatorConfig config;
  Denoiser denoiser{nullptr};
  Surrogate surrogate{nullptr};

  // Progressive distillation (sample/distillation.h): with a teacher set, the loss (and so trainStep) is the
  // student's distillation loss for `distillSteps` student steps. The teacher is a frozen copy, not a submodule.
  Denoiser teacher{nullptr};
  int64_t distillSteps = 0;

  bool diffusion() const { return static_cast<bool>(denoiser); }
  // x in model layout (B, C, L, *S).
  at::Tensor loss(const at::Tensor& x, const at::Tensor& label, const at::Tensor& mask = {}) {
    if (teacher) {
      if (teacher->parameters().front().device() != device) teacher->to(device);  // after toDevice
      return distillationLoss(*denoiser, *teacher, x, label, distillSteps, mask);
    }
    return diffusion() ? denoiser->loss(x, label, mask) : surrogate->loss(x, label, mask);
  }
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

// Model (B, C, L, *S) → public (B, L, C, *S) float32 on the CPU.
at::Tensor FromModel(const at::Tensor& y) { return y.to(at::kFloat).transpose(1, 2).contiguous().to(at::kCPU); }

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
    methods.push_back(InstanceMethod<&JsEmulator::Denoise>("denoise"));
    methods.push_back(InstanceMethod<&JsEmulator::SampleFrom>("sampleFrom"));
    methods.push_back(InstanceMethod<&JsEmulator::ForwardFlops>("forwardFlops"));
    methods.push_back(InstanceMethod<&JsEmulator::SetDistillation>("setDistillation"));
    methods.push_back(InstanceMethod<&JsEmulator::DistillationTargetOf>("distillationTarget"));
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
  // options: {length, window, context, overlap, crop, members, seed} and the sampler's (ReadSamplerOptions),
  // and guidance (MMPS, ReadGuidance in js/guidance_binding.h; diffusion only).
  Napi::Value Rollout(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor context, label;
    RolloutOptions o;
    std::optional<GuidedRolloutArgs> guidance;  // MMPS (native/sample/guided_rollout.h)
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
      o.seed = r.seed();
      if (state_->diffusion()) o.sampler = ReadSamplerOptions(r);
      else o.sampler.algorithm = "euler";
      if (o.context >= o.window)
        throw std::invalid_argument("context (" + std::to_string(o.context) + " states) must be shorter than the window (" + std::to_string(o.window) + ")");
      if (context.size(1) != o.context)
        throw std::invalid_argument("context holds " + std::to_string(context.size(1)) + " states, options.context says " + std::to_string(o.context));
      o.validate();
      label = CheckLabel(info[1], state_->config, context.size(0));
      guidance = ReadGuidance(r.object("guidance"), context.size(0));
      if (guidance && !state_->diffusion()) throw std::invalid_argument(r.name("guidance") + ": guidance needs a diffusion denoiser; the neural solver (surrogate) cannot be guided");
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
              ModelDenoiser net(*s->denoiser, lab, mask);
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

  // The open denoiser (native/sample/open_denoiser.h). batch = {x (B, L, C, *S), label?, mask? (B, L), context?
  // (B, L, C, *S)}: x_t (or x_1), the known-state mask (default none) and the clean values of the known states.
  struct OpenBatch {
    at::Tensor x, label, mask, context;
  };
  OpenBatch ReadOpen(const Napi::Value& value, const std::string& method) const {
    if (!state_->diffusion()) throw std::invalid_argument(method + " needs a diffusion denoiser, not a surrogate");
    OptionReader b(value, "batch");
    b.onlyKeys({"x", "label", "mask", "context"});
    OpenBatch r;
    r.x = JsTensor::TensorOf(b.raw("x"), "batch.x");
    CheckStates(r.x, state_->config, "batch.x");
    const int64_t B = r.x.size(0), L = r.x.size(1);
    r.label = CheckLabel(b.raw("label"), state_->config, B);
    r.mask = b.has("mask") ? JsTensor::TensorOf(b.raw("mask"), "batch.mask").to(at::kBool) : at::zeros({B, L}, at::kBool);
    if (r.mask.sizes() != at::IntArrayRef{B, L})
      throw std::invalid_argument("batch.mask must have shape (B, L) = " + ShapeText({B, L}) + ", got " + ShapeText(r.mask.sizes()));
    if (b.has("context")) {
      r.context = JsTensor::TensorOf(b.raw("context"), "batch.context");
      if (r.context.sizes() != r.x.sizes())
        throw std::invalid_argument("batch.context must have the shape of batch.x " + ShapeText(r.x.sizes()) + ", got " + ShapeText(r.context.sizes()));
    }
    return r;
  }

  // denoise(batch, {alpha (B), sigma (B)}) → {mean (B, L, C, *S), c_skip, c_out, c_in, c_noise (B) float64}: one
  // evaluation of E[x | x_t] in evaluation mode, with the clean-context rule when batch.context is given.
  Napi::Value Denoise(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    OpenBatch in;
    at::Tensor alpha, sigma;
    Guard(env, Name("denoise"), [&]() -> Napi::Value {
      in = ReadOpen(info[0], Name("denoise"));
      OptionReader levels(info.Length() > 1 ? info[1] : env.Undefined(), "levels");
      levels.onlyKeys({"alpha", "sigma"});
      const int64_t B = in.x.size(0);
      auto level = [&](const char* key) {
        if (!levels.has(key)) throw TypeError(levels.name(key) + " is required");
        at::Tensor t = JsTensor::TensorOf(levels.raw(key), levels.name(key)).to(at::kDouble).flatten();
        if (t.numel() != 1 && t.numel() != B)
          throw std::invalid_argument(levels.name(key) + " must hold 1 or B = " + std::to_string(B) + " values, got " + std::to_string(t.numel()));
        return t.expand({B}).contiguous();
      };
      alpha = level("alpha");
      sigma = level("sigma");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<DenoiseResult>(
        env, Name("denoise"),
        [s, in, alpha, sigma]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          c10::InferenceMode inference;
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          const bool wasTraining = s->module->is_training();
          s->module->eval();  // as rollouts: no dropout
          const auto d = s->device;
          DenoiseResult r;
          try {
            r = denoise(*s->denoiser, ToModel(in.x, d), alpha.to(d), sigma.to(d), in.label.defined() ? in.label.to(d, at::kFloat) : in.label, in.mask.to(d),
                        in.context.defined() ? ToModel(in.context, d) : in.context);
          } catch (...) {
            s->module->train(wasTraining);
            throw;
          }
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
        {info[0]});
  }

  // sampleFrom(batch, options {sampler options, seed}) → (B, L, C, *S): a sampler run from x_1 = batch.x at t = 1
  // to t = 0, conditioned on context[mask] as rollouts are when batch.context is given.
  Napi::Value SampleFrom(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    OpenBatch in;
    SamplerOptions so;
    uint64_t seed = 0;
    Guard(env, Name("sampleFrom"), [&]() -> Napi::Value {
      in = ReadOpen(info[0], Name("sampleFrom"));
      OptionReader r = OptionsArg(info, 1, "options");
      r.onlyKeys({"sampler", "steps", "order", "eta", "corrections", "delta", "seed"});
      so = ReadSamplerOptions(r);
      seed = r.seed();
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<at::Tensor>(
        env, Name("sampleFrom"),
        [s, in, so, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          c10::InferenceMode inference;
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          const bool wasTraining = s->module->is_training();
          s->module->eval();
          const auto d = s->device;
          at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
          at::Tensor out;
          try {
            out = sampleFrom(*s->denoiser, ToModel(in.x, d), in.label.defined() ? in.label.to(d, at::kFloat) : in.label, in.mask.to(d),
                             in.context.defined() ? ToModel(in.context, d) : in.context, so, gen);
          } catch (...) {
            s->module->train(wasTraining);
            throw;
          }
          s->module->train(wasTraining);
          return FromModel(out);
        },
        [](Napi::Env env, at::Tensor& r) -> Napi::Value { return JsTensor::Wrap(env, r); }, {info[0]});
  }

  // setDistillation(teacherPath | null, {steps}): with a weights file (or checkpoint) of a denoiser of this model's
  // config, the loss and trainStep become progressive distillation of that teacher's DDIM sampler into `steps`
  // student steps (the teacher takes 2·steps); null turns it off. The teacher is loaded on the compute thread,
  // frozen, in evaluation mode; its EMA weights when the file holds them.
  Napi::Value SetDistillation(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    int64_t steps = 0;
    Guard(env, Name("setDistillation"), [&]() -> Napi::Value {
      if (!state_->diffusion()) throw std::invalid_argument("distillation needs a diffusion denoiser, not a surrogate");
      if (info.Length() > 0 && !info[0].IsNull() && !info[0].IsUndefined()) {
        path = StringArg(info, 0, "teacher");
        OptionReader o = OptionsArg(info, 1, "options");
        o.onlyKeys({"steps"});
        steps = o.integer("steps", 0);
        if (steps < 1) throw std::invalid_argument(o.name("steps") + " (the student's sampler steps) must be a positive integer, got " + std::to_string(steps));
      }
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<bool>(
        env, Name("setDistillation") + (path.empty() ? "" : "(" + path + ")"),
        [s, path, steps]() {
          Denoiser teacher{nullptr};
          if (!path.empty()) {
            Safetensors file = loadSafetensors(path);
            teacher = Denoiser(s->config);
            loadStateDict(*teacher, WeightsOf(file.tensors, /*preferEma=*/true), /*strict=*/true);
            for (auto& p : teacher->parameters()) p.set_requires_grad(false);
            teacher->eval();
          }
          std::lock_guard<std::mutex> lock(s->mutex);
          if (teacher) teacher->to(s->device);
          s->teacher = teacher;
          s->distillSteps = steps;
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // distillationTarget(batch, {seed}) → {x_t, target, teacherNext (B, L, C, *S), mask (B, L), index, alpha, sigma, sigmaMid,
  // sigmaNext (B)}: one draw of what the student is fitted to (sample/distillation.h), with the random draws seeded
  // (libtorch's generators restored afterwards). Needs setDistillation first.
  Napi::Value DistillationTargetOf(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Batch batch;
    uint64_t seed = 0;
    Guard(env, Name("distillationTarget"), [&]() -> Napi::Value {
      if (!state_->teacher) throw std::invalid_argument(Name("distillationTarget") + ": no teacher (call setDistillation first)");
      batch = ReadBatch(info[0]);
      OptionReader o = OptionsArg(info, 1, "options");
      o.onlyKeys({"seed"});
      seed = o.seed();
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<DistillationTarget>(
        env, Name("distillationTarget"),
        [s, batch, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          if (!s->teacher) throw std::invalid_argument("distillationTarget: no teacher (call setDistillation first)");
          NamedTensors savedRng = rngState(s->device);
          torch::manual_seed(seed);
          try {
            c10::InferenceMode inference;
            s->teacher->to(s->device);
            Batch in = Prepare(batch, *s, at::kFloat);
            DistillationTarget d = distillationTarget(*s->teacher, in[0], in[1], s->distillSteps);
            setRngState(savedRng);
            for (at::Tensor* p : {&d.x_t, &d.target, &d.teacher_next}) *p = FromModel(*p);
            for (at::Tensor* p : {&d.mask, &d.index, &d.alpha, &d.sigma, &d.sigma_mid, &d.sigma_next}) *p = p->to(at::kCPU);
            return d;
          } catch (...) {
            setRngState(savedRng);
            throw;
          }
        },
        [](Napi::Env env, DistillationTarget& d) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("x_t", JsTensor::Wrap(env, d.x_t));
          out.Set("target", JsTensor::Wrap(env, d.target));
          out.Set("teacherNext", JsTensor::Wrap(env, d.teacher_next));
          out.Set("mask", JsTensor::Wrap(env, d.mask));
          out.Set("index", JsTensor::Wrap(env, d.index));
          out.Set("alpha", JsTensor::Wrap(env, d.alpha));
          out.Set("sigma", JsTensor::Wrap(env, d.sigma));
          out.Set("sigmaMid", JsTensor::Wrap(env, d.sigma_mid));
          out.Set("sigmaNext", JsTensor::Wrap(env, d.sigma_next));
          return out;
        },
        {info[0]});
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
