// The JavaScript `Autoencoder`: a DCAE model with its trainer. Every call that computes runs off the JS
// thread; calls on one model are serialized by its mutex (the TypeScript facade also queues them).
#include "core/pch.h"

#include <chrono>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include "core/async.h"
#include "core/tensor_bridge.h"
#include "io/safetensors.h"
#include "js/args.h"
#include "js/bindings.h"
#include "js/guidance_binding.h"
#include "models/autoencoder.h"
#include "models/grad_check.h"
#include "models/state_dict.h"
#include "optim/checkpoint.h"
#include "optim/train_step.h"

namespace latent::js {
namespace {

// Everything one model owns; shared with the work items so that it outlives any call in flight.
struct AutoencoderState {
  Autoencoder model{nullptr};
  std::unique_ptr<Trainer> trainer;
  TrainerOptions trainerOptions;
  at::Device device{at::kCPU};
  bool bf16 = false;
  int64_t accumulate = 1;  // micro-batches per optimizer step (gradient accumulation)
  std::mutex mutex;

  Trainer& trainerOrNew() {
    if (!trainer) trainer = std::make_unique<Trainer>(model.ptr(), trainerOptions);
    return *trainer;
  }
};

using StatePtr = std::shared_ptr<AutoencoderState>;

class JsAutoencoder : public Napi::ObjectWrap<JsAutoencoder> {
 public:
  static Napi::FunctionReference& Constructor() {  // for DecoderOf's instanceof check
    static Napi::FunctionReference constructor;
    return constructor;
  }
  StatePtr Shared() const { return state_; }

  static void Register(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "Autoencoder",
                            {InstanceMethod<&JsAutoencoder::Encode>("encode"),
                             InstanceMethod<&JsAutoencoder::Decode>("decode"),
                             InstanceMethod<&JsAutoencoder::Loss>("loss"),
                             InstanceMethod<&JsAutoencoder::TrainStep>("trainStep"),
                             InstanceMethod<&JsAutoencoder::ConfigureOptimizer>("configureOptimizer"),
                             InstanceMethod<&JsAutoencoder::SetTraining>("setTraining"),
                             InstanceAccessor<&JsAutoencoder::Training>("training"),
                             InstanceMethod<&JsAutoencoder::ParameterCount>("parameterCount"),
                             InstanceMethod<&JsAutoencoder::StateDictShapes>("stateDictShapes"),
                             InstanceMethod<&JsAutoencoder::SaveWeights>("saveWeights"),
                             InstanceMethod<&JsAutoencoder::LoadWeights>("loadWeights"),
                             InstanceMethod<&JsAutoencoder::SaveCheckpoint>("saveCheckpoint"),
                             InstanceMethod<&JsAutoencoder::LoadCheckpoint>("loadCheckpoint"),
                             InstanceMethod<&JsAutoencoder::ToDevice>("toDevice"),
                             InstanceAccessor<&JsAutoencoder::DeviceName>("device"),
                             InstanceMethod<&JsAutoencoder::SetAutocast>("setAutocast"),
                             InstanceMethod<&JsAutoencoder::BenchLoop>("benchLoop"),
                             InstanceMethod<&JsAutoencoder::GradCheck>("gradCheck")});
    Constructor() = Napi::Persistent(cls);
    exports.Set("Autoencoder", cls);
  }

  explicit JsAutoencoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<JsAutoencoder>(info) {
    Guard(info.Env(), "new Autoencoder", [&]() -> Napi::Value {
      auto config = AutoencoderConfig::fromJson(StringArg(info, 0, "config (JSON)"));
      at::Device device = ParseDevice(info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "cpu");
      state_ = std::make_shared<AutoencoderState>();
      state_->model = Autoencoder(config);
      state_->model->to(device);
      state_->device = device;
      return info.Env().Undefined();
    });
  }

 private:
  // Moves an input to the model's device as float32 (the model's dtype); autocast handles bf16.
  static at::Tensor Input(const at::Tensor& t, const AutoencoderState& s) {
    if (!at::isFloatingType(t.scalar_type()))
      throw std::invalid_argument("expected a floating-point tensor, got " + DtypeName(t.scalar_type()));
    return t.to(s.device, at::kFloat);
  }

  Napi::Value TensorTask(const Napi::CallbackInfo& info, const char* name, bool decode) {
    Napi::Env env = info.Env();
    std::string context = std::string("Autoencoder.") + name;
    at::Tensor x;
    Guard(env, context, [&]() -> Napi::Value {
      x = JsTensor::TensorOf(info[0], decode ? "z" : "x");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<at::Tensor>(
        env, context,
        [s, x, decode]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          c10::InferenceMode inference;
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          at::Tensor in = Input(x, *s);
          at::Tensor out = decode ? s->model->decode(in) : s->model->encode(in);
          return out.to(at::kFloat);
        },
        [](Napi::Env env, at::Tensor& out) -> Napi::Value { return JsTensor::Wrap(env, out); }, {info[0]});
  }

  Napi::Value Encode(const Napi::CallbackInfo& info) { return TensorTask(info, "encode", false); }
  Napi::Value Decode(const Napi::CallbackInfo& info) { return TensorTask(info, "decode", true); }

  // loss(x, useEma = false, evalMode = false): evalMode turns dropout off for this call only; useEma
  // evaluates the trainer's averaged weights (when EMA is on).
  Napi::Value Loss(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x;
    Guard(env, "Autoencoder.loss", [&]() -> Napi::Value { x = JsTensor::TensorOf(info[0], "x"); return env.Undefined(); });
    const bool useEma = info.Length() > 1 && info[1].ToBoolean();
    const bool evalMode = info.Length() > 2 && info[2].ToBoolean();
    StatePtr s = state_;
    return RunAsync<double>(
        env, "Autoencoder.loss",
        [s, x, useEma, evalMode]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          const bool training = s->model->is_training();
          if (evalMode) s->model->train(false);
          const bool swap = useEma && s->trainer && s->trainer->hasEma();
          if (swap) s->trainer->swapEma();
          double value = 0;
          try {
            c10::InferenceMode inference;
            AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
            value = s->model->loss(Input(x, *s)).item<double>();
          } catch (...) {
            if (swap) s->trainer->swapEma();
            s->model->train(training);
            throw;
          }
          if (swap) s->trainer->swapEma();
          s->model->train(training);
          return value;
        },
        [](Napi::Env env, double& loss) -> Napi::Value { return Napi::Number::New(env, loss); }, {info[0]});
  }

  static Napi::Value StepObject(Napi::Env env, const StepResult& r) {
    auto out = Napi::Object::New(env);
    out.Set("loss", r.loss);
    out.Set("gradNorm", r.grad_norm);
    out.Set("skipped", r.skipped);
    return out;
  }

  static Napi::Value StepObjectWithCounts(Napi::Env env, const std::tuple<StepResult, int64_t, int64_t, double>& r) {
    auto out = StepObject(env, std::get<0>(r)).As<Napi::Object>();
    out.Set("steps", static_cast<double>(std::get<1>(r)));
    out.Set("skippedSteps", static_cast<double>(std::get<2>(r)));
    out.Set("seconds", std::get<3>(r));
    return out;
  }

  // trainStep(x, learningRate): forward, backward, clipping and AdamW entirely in C++.
  Napi::Value TrainStep(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x;
    double lr = 0;
    Guard(env, "Autoencoder.trainStep", [&]() -> Napi::Value {
      x = JsTensor::TensorOf(info[0], "x");
      lr = NumberArg(info, 1, "learningRate");
      if (!(lr >= 0)) throw std::invalid_argument("learningRate must be >= 0, got " + std::to_string(lr));
      return env.Undefined();
    });
    StatePtr s = state_;
    using Counted = std::tuple<StepResult, int64_t, int64_t, double>;
    return RunAsync<Counted>(
        env, "Autoencoder.trainStep",
        [s, x, lr]() {
          const auto start = std::chrono::steady_clock::now();
          std::lock_guard<std::mutex> lock(s->mutex);
          at::Tensor in = Input(x, *s);
          Trainer& trainer = s->trainerOrNew();
          StepResult r;
          if (s->accumulate <= 1) {
            r = trainer.step([&]() { return s->model->loss(in); }, lr);
          } else {
            if (in.size(0) % s->accumulate != 0)
              throw std::invalid_argument("batch of " + std::to_string(in.size(0)) + " does not split into " + std::to_string(s->accumulate) + " equal micro-batches");
            std::vector<at::Tensor> parts = in.chunk(s->accumulate, 0);
            std::vector<Trainer::LossFn> losses;
            for (const auto& part : parts) losses.push_back([&s, part]() { return s->model->loss(part); });
            r = trainer.step(losses, lr);
          }
          if (s->device.is_cuda()) torch::cuda::synchronize();
          return Counted{r, trainer.steps(), trainer.skippedSteps(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
        },
        [](Napi::Env env, Counted& r) { return StepObjectWithCounts(env, r); }, {info[0]});
  }

  // configureOptimizer({lr, betas, eps, weight_decay, clip, bf16}): takes effect on the next step.
  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), "Autoencoder.configureOptimizer", [&]() -> Napi::Value {
      std::string text = StringArg(info, 0, "options (JSON)");
      auto options = Napi::Env(info.Env()).Global().Get("JSON").As<Napi::Object>().Get("parse").As<Napi::Function>()({Napi::String::New(info.Env(), text)}).As<Napi::Object>();
      std::lock_guard<std::mutex> lock(state_->mutex);
      TrainerOptions& o = state_->trainerOptions;
      auto num = [&](const char* key, double& into) {
        if (!options.Has(key)) return;
        Napi::Value v = options.Get(key);
        if (!v.IsNumber()) throw TypeError(std::string(key) + " must be a number");
        into = v.As<Napi::Number>().DoubleValue();
      };
      num("lr", o.lr);
      num("beta1", o.beta1);
      num("beta2", o.beta2);
      num("eps", o.eps);
      num("weight_decay", o.weight_decay);
      num("clip", o.clip);
      num("ema_decay", o.ema_decay);
      if (!(o.ema_decay >= 0 && o.ema_decay < 1)) throw std::invalid_argument("ema_decay must be in [0, 1)");
      double accumulate = static_cast<double>(state_->accumulate);
      num("accumulate", accumulate);
      if (accumulate < 1 || accumulate != static_cast<double>(static_cast<int64_t>(accumulate))) throw std::invalid_argument("accumulate must be a positive integer");
      state_->accumulate = static_cast<int64_t>(accumulate);
      if (options.Has("optimizer")) {
        std::string name = options.Get("optimizer").ToString().Utf8Value();
        if (name != "adamw" && name != "soap") throw std::invalid_argument("optimizer \"" + name + "\" is not available (adamw, soap)");
        o.optimizer = name;
      }
      double frequency = static_cast<double>(o.precondition_frequency);
      num("precondition_frequency", frequency);
      if (frequency < 1) throw std::invalid_argument("precondition_frequency must be ≥ 1");
      o.precondition_frequency = static_cast<int64_t>(frequency);
      double maxDim = static_cast<double>(o.max_precond_dim);
      num("max_precond_dim", maxDim);
      o.max_precond_dim = static_cast<int64_t>(maxDim);
      num("shampoo_beta", o.shampoo_beta);
      if (options.Has("bf16")) o.bf16_autocast = options.Get("bf16").ToBoolean();
      state_->trainer.reset();  // rebuilt with the new options (fresh moments) at the next step
      return info.Env().Undefined();
    });
  }

  Napi::Value SetTraining(const Napi::CallbackInfo& info) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->model->train(info.Length() > 0 && info[0].ToBoolean());
    return info.Env().Undefined();
  }

  Napi::Value Training(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), state_->model->is_training()); }

  Napi::Value ParameterCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(state_->model->parameterCount()));
  }

  Napi::Value StateDictShapes(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::lock_guard<std::mutex> lock(state_->mutex);
    auto entries = stateDict(*state_->model);
    auto out = Napi::Array::New(env, entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      auto entry = Napi::Object::New(env);
      entry.Set("name", entries[i].first);
      auto shape = Napi::Array::New(env);
      for (int64_t d = 0; d < entries[i].second.dim(); ++d) shape.Set(static_cast<uint32_t>(d), Napi::Number::New(env, static_cast<double>(entries[i].second.size(d))));
      entry.Set("shape", shape);
      entry.Set("dtype", DtypeName(entries[i].second.scalar_type()));
      out.Set(static_cast<uint32_t>(i), entry);
    }
    return out;
  }

  // saveWeights(path, metadataJson): safetensors with the reference's keys; metadata holds the config.
  Napi::Value SaveWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path, metadataText;
    Guard(env, "Autoencoder.saveWeights", [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      metadataText = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "{}";
      return env.Undefined();
    });
    Metadata metadata = MetadataFromJson(env, metadataText);  // read on the JS thread
    StatePtr s = state_;
    metadata.emplace_back("config", s->model->config().toJson());
    const bool useEma = info.Length() > 2 && info[2].ToBoolean();
    return RunAsync<bool>(
        env, "Autoencoder.saveWeights(" + path + ")",
        [s, path, metadata, useEma]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          const bool swap = useEma && s->trainer && s->trainer->hasEma();
          if (swap) s->trainer->swapEma();
          try {
            saveSafetensors(path, stateDict(*s->model), metadata);
          } catch (...) {
            if (swap) s->trainer->swapEma();
            throw;
          }
          if (swap) s->trainer->swapEma();
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // loadWeights(path, strict) → {metadata, missing, unexpected}. Strict: missing and unexpected keys are
  // errors; mis-shaped keys always are. Every problem is listed in one error.
  Napi::Value LoadWeights(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    bool strict = true;
    Guard(env, "Autoencoder.loadWeights", [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      if (info.Length() > 1 && info[1].IsBoolean()) strict = info[1].As<Napi::Boolean>().Value();
      return env.Undefined();
    });
    const bool preferEma = info.Length() > 2 && info[2].ToBoolean();
    StatePtr s = state_;
    using Loaded = std::pair<Metadata, LoadReport>;
    return RunAsync<Loaded>(
        env, "Autoencoder.loadWeights(" + path + ")",
        [s, path, strict, preferEma]() {
          Safetensors file = loadSafetensors(path);
          std::lock_guard<std::mutex> lock(s->mutex);
          LoadReport report = loadStateDict(*s->model, WeightsOf(file.tensors, preferEma), strict);
          s->trainer.reset();  // optimizer moments belonged to the old weights
          return Loaded{file.metadata, report};
        },
        [](Napi::Env env, Loaded& loaded) -> Napi::Value {
          auto out = Napi::Object::New(env);
          auto metadata = Napi::Object::New(env);
          for (const auto& [k, v] : loaded.first) metadata.Set(k, v);
          auto list = [&](const std::vector<std::string>& names) {
            auto array = Napi::Array::New(env, names.size());
            for (size_t i = 0; i < names.size(); ++i) array.Set(static_cast<uint32_t>(i), names[i]);
            return array;
          };
          out.Set("metadata", metadata);
          out.Set("missing", list(loaded.second.missing));
          out.Set("unexpected", list(loaded.second.unexpected));
          return out;
        });
  }

  // saveCheckpoint(path, metadataJson): weights, optimizer moments and step counts, EMA, trainer counters
  // and the generator state(s) in one safetensors file, written atomically.
  Napi::Value SaveCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path, metadataText;
    Guard(env, "Autoencoder.saveCheckpoint", [&]() -> Napi::Value {
      path = StringArg(info, 0, "path");
      metadataText = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "{}";
      return env.Undefined();
    });
    Metadata metadata = MetadataFromJson(env, metadataText);
    StatePtr s = state_;
    metadata.emplace_back("config", s->model->config().toJson());
    metadata.emplace_back("format", kCheckpointFormat);
    return RunAsync<bool>(
        env, "Autoencoder.saveCheckpoint(" + path + ")",
        [s, path, metadata]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          latent::SaveCheckpoint(path, *s->model, s->trainerOrNew(), s->device, metadata);
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  // loadCheckpoint(path, restoreRng = true) → metadata: everything saveCheckpoint wrote, checked strictly
  // against this model (and its optimizer settings: EMA on needs EMA tensors) before anything changes.
  Napi::Value LoadCheckpoint(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string path;
    Guard(env, "Autoencoder.loadCheckpoint", [&]() -> Napi::Value { path = StringArg(info, 0, "path"); return env.Undefined(); });
    const bool restoreRng = info.Length() < 2 || info[1].ToBoolean();
    StatePtr s = state_;
    return RunAsync<Metadata>(
        env, "Autoencoder.loadCheckpoint(" + path + ")",
        [s, path, restoreRng]() {
          Safetensors file = loadSafetensors(path);
          std::lock_guard<std::mutex> lock(s->mutex);
          s->trainer = latent::LoadCheckpoint(file, s->model.ptr(), s->trainerOptions, restoreRng);
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
    Guard(env, "Autoencoder.toDevice", [&]() -> Napi::Value { device = ParseDevice(StringArg(info, 0, "device")); return env.Undefined(); });
    StatePtr s = state_;
    return RunAsync<bool>(
        env, "Autoencoder.toDevice",
        [s, device]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          s->model->to(device);
          s->device = device;
          s->trainer.reset();
          return true;
        },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  Napi::Value DeviceName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), state_->device.str()); }

  // setAutocast('bfloat16' | 'float32'): precision of encode/decode/loss and of training steps.
  Napi::Value SetAutocast(const Napi::CallbackInfo& info) {
    return Guard(info.Env(), "Autoencoder.setAutocast", [&]() -> Napi::Value {
      std::string dtype = StringArg(info, 0, "dtype");
      if (dtype != "bfloat16" && dtype != "float32") throw std::invalid_argument("autocast dtype must be bfloat16 or float32, got " + dtype);
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->bf16 = dtype == "bfloat16";
      state_->trainerOptions.bf16_autocast = state_->bf16;
      state_->trainer.reset();
      return info.Env().Undefined();
    });
  }

  // benchLoop(x, 'encode'|'decode'|'train', n, lr) → seconds for n iterations inside C++, for measuring
  // what the JS boundary costs against the same loop driven from JavaScript.
  Napi::Value BenchLoop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x;
    std::string what;
    int64_t n = 0;
    double lr = 0;
    Guard(env, "Autoencoder.benchLoop", [&]() -> Napi::Value {
      x = JsTensor::TensorOf(info[0], "x");
      what = StringArg(info, 1, "what");
      n = static_cast<int64_t>(NumberArg(info, 2, "iterations"));
      lr = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : 0.0;
      if (what != "encode" && what != "decode" && what != "train") throw std::invalid_argument("what must be encode, decode or train");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<double>(
        env, "Autoencoder.benchLoop",
        [s, x, what, n, lr]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          at::Tensor in = Input(x, *s);
          auto start = std::chrono::steady_clock::now();
          for (int64_t i = 0; i < n; ++i) {
            if (what == "train") {
              s->trainerOrNew().step([&]() { return s->model->loss(in); }, lr);
            } else {
              c10::InferenceMode inference;
              AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
              at::Tensor out = what == "decode" ? s->model->decode(in) : s->model->encode(in);
              out.to(at::kFloat);
            }
          }
          if (s->device.is_cuda()) torch::cuda::synchronize();
          return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        },
        [](Napi::Env env, double& seconds) -> Napi::Value { return Napi::Number::New(env, seconds); }, {info[0]});
  }

  // gradCheck(x, eps, seed) → {analytic, numeric}: the loss's derivative along a random parameter direction,
  // in float64 with dropout off; the model returns to float32 and its mode afterwards.
  Napi::Value GradCheck(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x;
    double eps = 0, seed = 0;
    Guard(env, "Autoencoder.gradCheck", [&]() -> Napi::Value {
      x = JsTensor::TensorOf(info[0], "x");
      eps = NumberArg(info, 1, "eps");
      seed = NumberArg(info, 2, "seed");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<latent::GradCheck>(
        env, "Autoencoder.gradCheck",
        [s, x, eps, seed]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          bool training = s->model->is_training();
          s->model->eval();
          s->model->to(at::kDouble);
          at::Tensor in = Input(x, *s).to(at::kDouble);
          auto result = directionalGradCheck(*s->model, [&]() { return s->model->loss(in); }, eps, static_cast<uint64_t>(seed));
          s->model->to(at::kFloat);
          s->model->train(training);
          return result;
        },
        [](Napi::Env env, latent::GradCheck& r) -> Napi::Value {
          auto out = Napi::Object::New(env);
          out.Set("analytic", r.analytic);
          out.Set("numeric", r.numeric);
          return out;
        }, {info[0]});
  }

  StatePtr state_;
};

}  // namespace

void RegisterAutoencoder(Napi::Env env, Napi::Object exports) { JsAutoencoder::Register(env, exports); }

Decoder DecoderOf(const Napi::Value& value, const std::string& what) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(JsAutoencoder::Constructor().Value())) throw TypeError(what + " must be an Autoencoder");
  StatePtr s = JsAutoencoder::Unwrap(value.As<Napi::Object>())->Shared();
  return [s](const at::Tensor& z) {
    std::lock_guard<std::mutex> lock(s->mutex);
    return s->model->decode(z.to(s->device, at::kFloat)).to(at::kFloat);
  };
}

}  // namespace latent::js
