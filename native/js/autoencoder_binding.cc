// The JavaScript `Autoencoder`: a DCAE model on the shared JsModel handle (js_model.h), plus what is its
// own: encode, decode and a C++-driven benchmark loop. A batch is {x: (B, pix_channels, *space)}. Its decoder
// is also handed to guided rollouts as a differentiable function (DecoderOf, js/guidance_binding.h).
#include "core/pch.h"

#include "js/bindings.h"
#include "js/guidance_binding.h"
#include "js/js_model.h"
#include "models/autoencoder.h"

namespace latent::js {
namespace {

struct AutoencoderState : ModelState {
  Autoencoder model{nullptr};
};

class JsAutoencoder : public JsModel<JsAutoencoder, AutoencoderState> {
 public:
  static void Register(Napi::Env env, Napi::Object exports) {
    auto methods = SharedMethods();
    methods.push_back(InstanceMethod<&JsAutoencoder::Encode>("encode"));
    methods.push_back(InstanceMethod<&JsAutoencoder::Decode>("decode"));
    methods.push_back(InstanceMethod<&JsAutoencoder::BenchLoop>("benchLoop"));
    Napi::Function cls = DefineClass(env, "Autoencoder", methods);
    exports.Set("Autoencoder", cls);
  }

  // Every Autoencoder object carries this type tag, so that DecoderOf can tell one apart from any other object
  // without a per-process reference to the class (which would outlive a worker thread's environment).
  static const napi_type_tag* TypeTag() {
    static const napi_type_tag tag = {0x6c6174656e742d65ULL, 0x6d752d6165000001ULL};
    return &tag;
  }
  StatePtr Shared() const { return state_; }

  // new Autoencoder(config, device = 'cpu'): config with the reference's keys, as a plain object.
  explicit JsAutoencoder(const Napi::CallbackInfo& info) : JsModel(info) {
    Guard(info.Env(), "new Autoencoder", [&]() -> Napi::Value {
      auto state = std::make_shared<AutoencoderState>();
      state->model = Autoencoder(ReadAutoencoderConfig(OptionReader(info[0], "config")));
      Init(info, state, state->model.ptr());
      NAPI_THROW_IF_FAILED(info.Env(), napi_type_tag_object(info.Env(), info.This(), TypeTag()), Napi::Value());
      return info.Env().Undefined();
    });
  }

  std::string ClassName() const { return "Autoencoder"; }

  Batch ReadBatch(const Napi::Value& batch) const {
    OptionReader b(batch, "batch");
    return {Floating(JsTensor::TensorOf(b.raw("x"), "batch.x"), "batch.x")};
  }
  // Inputs go to the model's device in the model's dtype; autocast handles bf16.
  static Batch Prepare(const Batch& batch, const AutoencoderState& s, at::ScalarType dtype) { return {batch[0].to(s.device, dtype)}; }
  static at::Tensor Loss(AutoencoderState& s, const Batch& in) { return s.model->loss(in[0]); }
  static at::Tensor GradCheckLoss(AutoencoderState& s, const Batch& in, uint64_t) { return s.model->loss(in[0]); }

 private:
  static at::Tensor Floating(const at::Tensor& t, const std::string& what) {
    if (!at::isFloatingType(t.scalar_type())) throw std::invalid_argument(what + ": expected a floating-point tensor, got " + DtypeName(t.scalar_type()));
    return t;
  }

  Napi::Value Code(const Napi::CallbackInfo& info, const char* method, bool decode) {
    Napi::Env env = info.Env();
    at::Tensor x;
    Guard(env, Name(method), [&]() -> Napi::Value {
      x = Floating(JsTensor::TensorOf(info[0], decode ? "z" : "x"), decode ? "z" : "x");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<at::Tensor>(
        env, Name(method),
        [s, x, decode]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          c10::InferenceMode inference;
          AutocastGuard autocast(s->device.type(), at::kBFloat16, s->bf16);
          at::Tensor in = x.to(s->device, at::kFloat);
          return (decode ? s->model->decode(in) : s->model->encode(in)).to(at::kFloat);
        },
        [](Napi::Env env, at::Tensor& out) -> Napi::Value { return JsTensor::Wrap(env, out); }, {info[0]});
  }

  // encode(x (B, pix_channels, *S)) → (B, lat_channels, *S / r), saturated; decode the inverse.
  Napi::Value Encode(const Napi::CallbackInfo& info) { return Code(info, "encode", false); }
  Napi::Value Decode(const Napi::CallbackInfo& info) { return Code(info, "decode", true); }

  // benchLoop(x, 'encode'|'decode'|'train', n, lr) → seconds for n iterations inside C++, for measuring
  // what the JS boundary costs against the same loop driven from JavaScript.
  Napi::Value BenchLoop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    at::Tensor x;
    std::string what;
    int64_t n = 0;
    double lr = 0;
    Guard(env, Name("benchLoop"), [&]() -> Napi::Value {
      x = Floating(JsTensor::TensorOf(info[0], "x"), "x");
      what = StringArg(info, 1, "what");
      n = int64_t(NumberArg(info, 2, "iterations"));
      lr = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : 0.0;
      if (what != "encode" && what != "decode" && what != "train") throw std::invalid_argument("what must be encode, decode or train");
      return env.Undefined();
    });
    StatePtr s = state_;
    return RunAsync<double>(
        env, Name("benchLoop"),
        [s, x, what, n, lr]() {
          std::lock_guard<std::mutex> lock(s->mutex);
          at::Tensor in = x.to(s->device, at::kFloat);
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
};

}  // namespace

void RegisterAutoencoder(Napi::Env env, Napi::Object exports) { JsAutoencoder::Register(env, exports); }

Decoder DecoderOf(const Napi::Value& value, const std::string& what) {
  bool tagged = false;
  if (value.IsObject() && napi_check_object_type_tag(value.Env(), value, JsAutoencoder::TypeTag(), &tagged) != napi_ok) tagged = false;
  if (!tagged) throw TypeError(what + " must be an Autoencoder");
  std::shared_ptr<AutoencoderState> s = JsAutoencoder::Unwrap(value.As<Napi::Object>())->Shared();
  return [s](const at::Tensor& z) {
    std::lock_guard<std::mutex> lock(s->mutex);
    return s->model->decode(z.to(s->device, at::kFloat)).to(at::kFloat);
  };
}

}  // namespace latent::js
