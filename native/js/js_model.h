// The JavaScript model handle, written once: `JsModel<Derived, State>` implements every method the models
// share (loss, trainStep, configureOptimizer, train/eval, weights and checkpoints, device, autocast, gradCheck)
// over one shared state (module, trainer, options, device, precision, lock). A model (autoencoder_binding.cc,
// denoiser_binding.cc) adds only what is its own (encode/decode; rollout) and tells the template how to read,
// place and score a batch:
//
//   std::string ClassName() const;                          // "Autoencoder", "Denoiser", … (errors name it)
//   Batch ReadBatch(const Napi::Value& batch) const;        // JS thread: tensors checked against the config
//   static Batch Prepare(const Batch&, const State&, at::ScalarType);  // onto the device, model layout
//   static at::Tensor Loss(State&, const Batch& prepared);             // the training loss
//   static at::Tensor GradCheckLoss(State&, const Batch& prepared, uint64_t seed);  // deterministic loss
//
// Every call that computes runs on the compute thread and returns a Promise; calls on one model are
// serialized by the state's mutex (the TypeScript NativeModel also queues them). Options and metadata cross
// as plain objects, read by OptionReader (errors name the call and the key).
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "io/safetensors.h"
#include "js/args.h"
#include "js/option_sets.h"
#include "js/options.h"
#include "models/grad_check.h"
#include "models/state_dict.h"
#include "optim/checkpoint.h"
#include "optim/train_step.h"

namespace latent::js {

// Everything a model handle owns; shared with the work items so that it outlives any call in flight.
struct ModelState {
  std::shared_ptr<torch::nn::Module> module;
  std::unique_ptr<Trainer> trainer;  // built lazily from trainerOptions; reset when they change
  TrainerOptions trainerOptions;
  int64_t accumulate = 1;  // micro-batches per optimizer step (gradient accumulation)
  at::Device device{at::kCPU};
  bool bf16 = false;  // bfloat16 autocast for inference, loss and training
  std::mutex mutex;

  Trainer& trainerOrNew() {
    if (!trainer) trainer = std::make_unique<Trainer>(module, trainerOptions);
    return *trainer;
  }
};

// A batch as a model's loss takes it: its tensors in a fixed order (state, label, …); absent ones undefined.
using Batch = std::vector<at::Tensor>;

// Splits every defined tensor of a batch into `n` equal parts along the batch axis.
inline std::vector<Batch> MicroBatches(const Batch& batch, int64_t n) {
  const int64_t size = batch.at(0).size(0);
  if (size % n != 0)
    throw std::invalid_argument("batch of " + std::to_string(size) + " does not split into " + std::to_string(n) + " equal micro-batches (accumulate)");
  std::vector<Batch> parts(static_cast<size_t>(n));
  for (const auto& t : batch) {
    std::vector<at::Tensor> chunks = t.defined() ? t.chunk(n, 0) : std::vector<at::Tensor>(size_t(n));
    for (int64_t k = 0; k < n; ++k) parts[size_t(k)].push_back(chunks[size_t(k)]);
  }
  return parts;
}

template <typename Derived, typename State>
class JsModel : public Napi::ObjectWrap<Derived> {
 public:
  using StatePtr = std::shared_ptr<State>;
  using Wrap = Napi::ObjectWrap<Derived>;
  using Method = Napi::Value (Derived::*)(const Napi::CallbackInfo&);

  // The shared methods; a model's Register appends its own and defines the class.
  static std::vector<typename Wrap::PropertyDescriptor> SharedMethods() {
    auto m = [](const char* name, Method method) { return Wrap::InstanceMethod(name, method); };
    auto get = [](const char* name, Method getter) { return Wrap::InstanceAccessor(name, getter, nullptr); };
    return {m("loss", &JsModel::Loss),
            m("trainStep", &JsModel::TrainStep),
            m("configureOptimizer", &JsModel::ConfigureOptimizer),
            m("setTraining", &JsModel::SetTraining),
            get("training", &JsModel::Training),
            m("parameterCount", &JsModel::ParameterCount),
            m("stateDictShapes", &JsModel::StateDictShapes),
            m("saveWeights", &JsModel::SaveWeights),
            m("loadWeights", &JsModel::LoadWeights),
            m("saveCheckpoint", &JsModel::SaveCheckpoint),
            m("loadCheckpoint", &JsModel::LoadCheckpoint),
            m("toDevice", &JsModel::ToDevice),
            get("device", &JsModel::DeviceName),
            m("setAutocast", &JsModel::SetAutocast),
            m("gradCheck", &JsModel::GradCheck)};
  }

 protected:
  explicit JsModel(const Napi::CallbackInfo& info) : Wrap(info) {}

  // Builds the state around `module`, on the device named by info[1] (default cpu).
  void Init(const Napi::CallbackInfo& info, StatePtr state, std::shared_ptr<torch::nn::Module> module) {
    const at::Device device = ParseDevice(info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu");
    module->to(device);
    state->module = std::move(module);
    state->device = device;
    state_ = std::move(state);
  }

  std::string Name(const char* method) const { return self().ClassName() + "." + method; }
  const Derived& self() const { return static_cast<const Derived&>(*this); }

  StatePtr state_;

 private:
  // loss(batch, {ema, eval, seed}) → number, without gradients. eval: dropout off for this call; ema: the
  // trainer's averaged weights (when EMA is on); seed: the random draws (masks, times, noise) come from
  // libtorch's generators seeded with it, which are restored afterwards (a reproducible validation loss that
  // leaves the training stream untouched).
  Napi::Value Loss(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string context = Name("loss");
    Batch batch;
    bool useEma = false, evalMode = false;
    std::optional<uint64_t> seed;
    Guard(env, context, [&]() -> Napi::Value {
      batch = self().ReadBatch(info[0]);
      OptionReader o = OptionsArg(info, 1, "options");
      o.onlyKeys({"ema", "eval", "seed"});
      useEma = o.boolean("ema", false);
      evalMode = o.boolean("eval", false);
      if (o.has("seed")) seed = o.seed();
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<double>(
        env, context,
        [s, batch, useEma, evalMode, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          const bool training = s->module->is_training();
          const bool swap = useEma && s->trainer && s->trainer->hasEma();
          NamedTensors savedRng;
          if (seed) {
            savedRng = rngState(s->device);
            torch::manual_seed(*seed);
          }
          if (evalMode) s->module->train(false);
          if (swap) s->trainer->swapEma();
          auto restore = [&]() {
            if (swap) s->trainer->swapEma();
            s->module->train(training);
            if (seed) setRngState(savedRng);
          };
          try {
            c10::InferenceMode inference;
            AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
            const double value = Derived::Loss(*s, Derived::Prepare(batch, *s, at::kFloat)).template item<double>();
            restore();
            return value;
          } catch (...) {
            restore();
            throw;
          }
        },
        [](Napi::Env env, double& v) -> Napi::Value { return Napi::Number::New(env, v); }, {info[0]});
  }

  struct StepCounts {
    StepResult step;
    int64_t steps = 0, skipped = 0;
    double seconds = 0;
  };

  // trainStep(batch, learningRate) → {loss, gradNorm, skipped, steps, skippedSteps, seconds}: forward,
  // backward, clipping and the optimizer step entirely in C++; with accumulate = n the batch is split in n
  // equal micro-batches whose gradients are averaged into one step.
  Napi::Value TrainStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const std::string context = Name("trainStep");
    Batch batch;
    double lr = 0;
    Guard(env, context, [&]() -> Napi::Value {
      batch = self().ReadBatch(info[0]);
      lr = NumberArg(info, 1, "learningRate");
      if (!(lr >= 0)) throw std::invalid_argument("learningRate must be >= 0, got " + std::to_string(lr));
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<StepCounts>(
        env, context,
        [s, batch, lr]() {
          const auto start = std::chrono::steady_clock::now();
          std::lock_guard<std::mutex> lock(s->mutex);
          Batch in = Derived::Prepare(batch, *s, at::kFloat);
          Trainer& trainer = s->trainerOrNew();
          StepCounts r;
          if (s->accumulate <= 1) {
            r.step = trainer.step([&]() { return Derived::Loss(*s, in); }, lr);
          } else {
            std::vector<Trainer::LossFn> losses;
            for (auto& part : MicroBatches(in, s->accumulate)) losses.push_back([s, part]() { return Derived::Loss(*s, part); });
            r.step = trainer.step(losses, lr);
          }
          if (s->device.is_cuda()) torch::cuda::synchronize();
          r.steps = trainer.steps();
          r.skipped = trainer.skippedSteps();
          r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          return r;
        },
        [](Napi::Env env, StepCounts& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("loss", r.step.loss);
          out.Set("gradNorm", r.step.grad_norm);
          out.Set("skipped", r.step.skipped);
          out.Set("steps", double(r.steps));
          out.Set("skippedSteps", double(r.skipped));
          out.Set("seconds", r.seconds);
          return out;
        },
        {info[0]});
  }

  // configureOptimizer(options): see ReadOptimizerOptions; takes effect (with fresh moments) at the next step.
  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), Name("configureOptimizer"), [&]() -> Napi::Value {
      std::lock_guard<std::mutex> lock(state_->mutex);
      TrainerOptions options = state_->trainerOptions;
      int64_t accumulate = state_->accumulate;
      ReadOptimizerOptions(OptionReader(info.Length() > 0 ? info[0] : info.Env().Undefined(), "options"), options, accumulate);
      state_->trainerOptions = options;
      state_->accumulate = accumulate;
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

  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    int64_t n = 0;
    for (const auto& p : state_->module->parameters()) n += p.numel();
    return Napi::Number::New(info.Env(), double(n));
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

  // saveWeights(path, metadata, {ema}): safetensors with the reference's state-dict keys; `metadata` (string
  // values; ours hold `config`) becomes the `__metadata__`; ema: the trainer's averaged weights.
  Napi::Value SaveWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    Metadata metadata;
    bool useEma = false;
    Guard(env, Name("saveWeights"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      metadata = OptionsArg(info, 1, "metadata").stringMap();
      OptionReader o = OptionsArg(info, 2, "options");
      o.onlyKeys({"ema"});
      useEma = o.boolean("ema", false);
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<bool>(
        env, Name("saveWeights") + "(" + path + ")",
        [s, path, metadata, useEma]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          const bool swap = useEma && s->trainer && s->trainer->hasEma();
          if (swap) s->trainer->swapEma();
          try {
            saveSafetensors(path, stateDict(*s->module), metadata);
          } catch (...) {
            if (swap) s->trainer->swapEma();
            throw;
          }
          if (swap) s->trainer->swapEma();
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // loadWeights(path, {strict = true, ema = false}) → {metadata, missing, unexpected}. Strict: missing and
  // unexpected keys are errors; mis-shaped keys always are; every problem is listed in one error.
  // Checkpoints load too (their training state is skipped; ema: their EMA weights where present).
  Napi::Value LoadWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    bool strict = true, preferEma = false;
    Guard(env, Name("loadWeights"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      OptionReader o = OptionsArg(info, 1, "options");
      o.onlyKeys({"strict", "ema"});
      strict = o.boolean("strict", true);
      preferEma = o.boolean("ema", false);
      return env.Undefined();
    });
    StatePtr s = state_;
    using Loaded = std::pair<Metadata, LoadReport>;
    return RunAsync<Loaded>(
        env, Name("loadWeights") + "(" + path + ")",
        [s, path, strict, preferEma]() {
          Safetensors file = loadSafetensors(path);
          std::lock_guard<std::mutex> lock(s->mutex);
          LoadReport report = loadStateDict(*s->module, WeightsOf(file.tensors, preferEma), strict);
          s->trainer.reset();  // optimizer moments belonged to the old weights
          return Loaded{file.metadata, report};
        },
        [](Napi::Env env, Loaded& loaded) -> Napi::Value {
          auto list = [&](const std::vector<std::string>& names) {
            auto array = Napi::Array::New(env, names.size());
            for (size_t i = 0; i < names.size(); ++i) array.Set(uint32_t(i), names[i]);
            return array;
          };
          auto out = Napi::Object::New(env);
          out.Set("metadata", MetadataObject(env, loaded.first));
          out.Set("missing", list(loaded.second.missing));
          out.Set("unexpected", list(loaded.second.unexpected));
          return out;
        });
  }

  // saveCheckpoint(path, metadata): weights, optimizer moments and step counts, EMA, trainer counters and
  // the generator state(s) in one safetensors file, written atomically; `format` is ours to write.
  Napi::Value SaveCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    Metadata metadata;
    Guard(env, Name("saveCheckpoint"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      for (auto& entry : OptionsArg(info, 1, "metadata").stringMap())
        if (entry.first != "format") metadata.push_back(std::move(entry));
      metadata.emplace_back("format", kCheckpointFormat);
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<bool>(
        env, Name("saveCheckpoint") + "(" + path + ")",
        [s, path, metadata]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          latent::SaveCheckpoint(path, *s->module, s->trainerOrNew(), s->device, metadata);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // loadCheckpoint(path, {restoreRng = true}) → metadata: everything saveCheckpoint wrote, checked strictly
  // against this model and its optimizer settings (EMA on needs EMA tensors) before anything changes.
  Napi::Value LoadCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    bool restoreRng = true;
    Guard(env, Name("loadCheckpoint"), [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      OptionReader o = OptionsArg(info, 1, "options");
      o.onlyKeys({"restoreRng"});
      restoreRng = o.boolean("restoreRng", true);
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<Metadata>(
        env, Name("loadCheckpoint") + "(" + path + ")",
        [s, path, restoreRng]() {
          Safetensors file = loadSafetensors(path);
          std::lock_guard<std::mutex> lock(s->mutex);
          s->trainer = latent::LoadCheckpoint(file, s->module, s->trainerOptions, restoreRng);
          return file.metadata;
        },
        [](Napi::Env env, Metadata& metadata) -> Napi::Value { return MetadataObject(env, metadata); });
  }

  Napi::Value ToDevice(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Device device(at::kCPU);
    Guard(env, Name("toDevice"), [&]() -> Napi::Value {
      device = ParseDevice(StringArg(info, 0, "device"));
      return env.Undefined();
    });
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

  // setAutocast('bfloat16' | 'float32'): precision of inference, loss and training steps.
  Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), Name("setAutocast"), [&]() -> Napi::Value {
      const std::string dtype = StringArg(info, 0, "dtype");
      if (dtype != "bfloat16" && dtype != "float32") throw std::invalid_argument("autocast dtype must be bfloat16 or float32, got " + dtype);
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->bf16 = dtype == "bfloat16";
      state_->trainerOptions.bf16_autocast = state_->bf16;
      state_->trainer.reset();
      return info.Env().Undefined();
    });
  }

  // gradCheck(batch, eps, seed) → {analytic, numeric}: the loss's derivative along a random parameter
  // direction, autograd against the central difference (f(θ + εd) − f(θ − εd)) / 2ε, in float64 with dropout
  // off; the model returns to float32 and its mode afterwards.
  Napi::Value GradCheck(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Batch batch;
    double eps = 0, seed = 0;
    Guard(env, Name("gradCheck"), [&]() -> Napi::Value {
      batch = self().ReadBatch(info[0]);
      eps = NumberArg(info, 1, "eps");
      seed = NumberArg(info, 2, "seed");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<latent::GradCheck>(
        env, Name("gradCheck"),
        [s, batch, eps, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          const bool training = s->module->is_training();
          s->module->eval();
          s->module->to(at::kDouble);
          try {
            Batch in = Derived::Prepare(batch, *s, at::kDouble);
            auto result = directionalGradCheck(*s->module, [&]() { return Derived::GradCheckLoss(*s, in, uint64_t(seed)); }, eps, uint64_t(seed));
            s->module->to(at::kFloat);
            s->module->train(training);
            return result;
          } catch (...) {
            s->module->to(at::kFloat);
            s->module->train(training);
            throw;
          }
        },
        [](Napi::Env env, latent::GradCheck& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("analytic", r.analytic);
          out.Set("numeric", r.numeric);
          return out;
        },
        {info[0]});
  }

  static Napi::Object MetadataObject(Napi::Env env, const Metadata& metadata) {
    auto out = Napi::Object::New(env);
    for (const auto& [k, v] : metadata) out.Set(k, v);
    return out;
  }
};

}  // namespace latent::js
